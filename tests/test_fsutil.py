"""Atomic writes: readers see the old file or the new one, never half of one."""

import os
import stat

import pytest
from shotreel.fsutil import atomic_file, atomic_output, atomic_write_text


def test_write_replaces_whole_file_with_normal_permissions(tmp_path):
    target = tmp_path / "edit" / "reel.otio"
    atomic_write_text(target, "first")
    atomic_write_text(target, "second")
    assert target.read_text() == "second"
    mode = stat.S_IMODE(target.stat().st_mode)
    assert mode & 0o044 == 0o044 & ~_umask()  # readable by group and others, as umask allows
    assert [p.name for p in target.parent.iterdir()] == ["reel.otio"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "reel.edl"
    atomic_write_text(target, "good")
    with pytest.raises(RuntimeError), atomic_output(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("crash mid-write")
    assert target.read_text() == "good"
    assert [p.name for p in tmp_path.iterdir()] == ["reel.edl"]


def test_temporary_keeps_the_suffix_for_format_sniffing_writers(tmp_path):
    with atomic_output(tmp_path / "sheet.png") as tmp:
        assert tmp.suffix == ".png" and tmp.parent == tmp_path
        tmp.write_bytes(b"x")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_a_stream_cut_short_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "takes" / "sh010" / "t001.mp4"
    with atomic_file(target) as handle:  # the folder is made on the way
        handle.write(b"first clip")
    with pytest.raises(ConnectionResetError), atomic_file(target) as handle:
        handle.write(b"half of the second")
        raise ConnectionResetError("the download stopped")
    assert target.read_bytes() == b"first clip"
    assert [p.name for p in target.parent.iterdir()] == ["t001.mp4"]
    assert stat.S_IMODE(target.stat().st_mode) & 0o044 == 0o044 & ~_umask()
