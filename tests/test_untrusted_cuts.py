"""Untrusted cuts: every hostile or damaged cut in the seed corpus (tests/fuzz_corpus/cuts) gets one line
naming the file and what is wrong with it, fast, before OTIO's parsers see it where they would crash, and
nothing is written (nor anywhere outside the new project)."""

from __future__ import annotations

import time
import zipfile
from pathlib import Path

import pytest
from shotreel.cli import main
from shotreel.cuts import read_cut

CORPUS = Path(__file__).resolve().parent / "fuzz_corpus" / "cuts"


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def files_under(folder: Path) -> list[Path]:
    """The files a user sees (machine state in .shotreel/, such as a lock, left out)."""
    return sorted(p for p in folder.rglob("*") if p.is_file() and ".shotreel" not in p.relative_to(folder).parts)


@pytest.mark.parametrize("name, message", [
    ("deep.otio", "this OTIO nests 60,002 levels deep; a timeline nests a few dozen, and shotreel reads at most 256"),
    ("deep.otioz", "this OTIOZ bundle nests 5,002 levels deep"),
    ("truncated.aaf", "this AAF is cut short or damaged: array index out of range"),
    ("not-an-aaf.aaf", "is not an AAF file: it does not start as one"),
    ("truncated.otio", "this OTIO is not valid JSON (cut short or damaged): Missing a comma"),
    ("truncated.xml", "this FCP7 XML is not well-formed XML (cut short or damaged): no element found: line 24"),
    ("xxe.xml", "this FCP7 XML is not well-formed XML: undefined entity &e;"),
    ("garbage.edl", "this EDL has a line that is not a CMX 3600 event"),
    ("bomb.otioz", "its board media/sh10.png unpacks to 100 MB; a board in a bundle may be at most 64 MB"),
    ("ratio.otioz", "its board media/sh10.png unpacks to 1,026 times its packed size (a zip bomb?)"),
])
def test_a_hostile_cut_is_one_line_naming_the_file(tmp_path, capsys, name, message):
    started = time.perf_counter()
    code, out, err = run(capsys, "import-cut", CORPUS / name, tmp_path / "film")
    assert time.perf_counter() - started < 3
    assert code == 2, out + err
    assert err == f"shotreel: error: {CORPUS / name}: {err.split(': ', 3)[-1]}" and err.count("\n") == 1, err
    assert message in err
    assert not (tmp_path / "film").exists()


def test_sync_refuses_a_deep_otio_before_parsing_it(example_dir, capsys):
    before = files_under(example_dir)
    code, _, err = run(capsys, "sync", example_dir, CORPUS / "deep.otio")
    assert code == 2 and err.count("\n") == 1 and "nests 60,002 levels deep" in err and str(CORPUS) in err
    assert files_under(example_dir) == before


def test_a_cut_over_the_size_limit_is_refused_unread(tmp_path, capsys, monkeypatch):
    from shotreel import limits

    monkeypatch.setattr(limits, "MAX_CUT_BYTES", 4096)
    big = tmp_path / "big.otio"
    big.write_bytes((CORPUS / "valid.otio").read_bytes() + b" " * 5000)
    code, _, err = run(capsys, "import-cut", big, tmp_path / "film")
    assert code == 2 and err.count("\n") == 1
    assert f"{big}: is {big.stat().st_size:,} bytes; shotreel reads cuts of at most 4,096 bytes" in err


def test_a_bundle_never_unpacks_outside_the_project(tmp_path, capsys):
    code, _, err = run(capsys, "import-cut", CORPUS / "escape.otioz", tmp_path / "film")
    assert code == 0, err
    assert files_under(tmp_path) == [tmp_path / "film" / "shotreel.yaml"]  # no board extracted anywhere
    assert not Path("/tmp/shotreel-evil.png").exists()


def test_a_bundle_member_that_is_not_an_image_is_not_a_board(tmp_path, capsys):
    code, _, err = run(capsys, "import-cut", CORPUS / "not-an-image.otioz", tmp_path / "film")
    assert code == 0, err
    assert not (tmp_path / "film" / "boards" / "sh10.png").exists()


def test_a_boards_folder_linking_outside_is_never_written_through(tmp_path, capsys):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    film = tmp_path / "film"
    film.mkdir()
    (film / "boards").symlink_to(outside)
    code, _, err = run(capsys, "import-cut", CORPUS / "valid.otioz", film)
    assert code == 2 and "would be written outside the project folder" in err and err.count("\n") == 1
    assert list(outside.iterdir()) == [] and not (film / "shotreel.yaml").exists()


def test_the_valid_bundle_still_brings_its_boards(tmp_path, capsys):
    code, _, err = run(capsys, "import-cut", CORPUS / "valid.otioz", tmp_path / "film")
    assert code == 0, err
    assert sorted(p.name for p in (tmp_path / "film" / "boards").iterdir()) == ["sh10.png", "sh20.png", "sh30.png"]


def test_a_bundle_whose_boards_unpack_beyond_the_total_is_refused(tmp_path, capsys, monkeypatch):
    from shotreel import limits

    monkeypatch.setattr(limits, "MAX_BUNDLE_TOTAL_BYTES", 200)
    with zipfile.ZipFile(CORPUS / "valid.otioz") as bundle:
        sizes = [i.file_size for i in bundle.infolist() if i.filename.startswith("media/")]
    assert sum(sizes) > 200 > max(sizes)
    code, _, err = run(capsys, "import-cut", CORPUS / "valid.otioz", tmp_path / "film")
    assert code == 2 and "its boards unpack to more than" in err and err.count("\n") == 1
    assert not (tmp_path / "film").exists()


def edl(path: Path, events: int) -> Path:
    def tc(f: int) -> str:
        return f"{f // 86400:02d}:{f // 1440 % 60:02d}:{f // 24 % 60:02d}:{f % 24:02d}"
    lines = ["TITLE: long", "FCM: NON-DROP FRAME", ""]
    for i in range(events):
        start = 86400 + 48 * i
        lines += [f"{i + 1:06d}  R{i % 999:03d}     V     C        {tc(0)} {tc(48)} {tc(start)} {tc(start + 48)}",
                  f"* FROM CLIP NAME: clip{i}.mov"]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_long_edl_reports_progress_and_reads_in_linear_time(tmp_path):
    heard = []
    started = time.perf_counter()
    cut = read_cut(edl(tmp_path / "long.edl", 20_000), progress=lambda d, t, m: heard.append((d, t, m)))
    assert time.perf_counter() - started < 40  # about 3.5 s alone (quadratic before); generous for busy CI
    assert len(cut.clips) == 20_000
    assert heard[0] == (0, 20_000, "reading the EDL")
    placed = [d for d, t, m in heard if m == "clips placed"]
    assert placed == sorted(placed) and placed[-1] == 20_000 and len(placed) >= 10


def test_import_cut_refuses_a_cut_beyond_the_shot_limit(tmp_path, capsys, monkeypatch):
    from shotreel import limits

    monkeypatch.setattr(limits, "MAX_SHOTS", 50)
    code, _, err = run(capsys, "import-cut", edl(tmp_path / "cut.edl", 51), tmp_path / "film")
    assert code == 2 and "this cut has 51 shots; a project may hold at most 50" in err and err.count("\n") == 1
    assert not (tmp_path / "film").exists()
