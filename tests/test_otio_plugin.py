"""The OTIO plugin `pip install` registers: any OTIO tool reads a shotreel project as its reel.

``otioconvert -i DIR/shotreel.yaml -o cut.edl`` (and ``-I shotreel``) must write what ``shotreel reel``
writes; the plugin's write hook shapes a reel for EDL / FCP7 XML / AAF / .otioz exactly as
``write_reel`` does, and leaves every other timeline alone.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import opentimelineio as otio
import pytest
from shotreel.cli import main
from shotreel.interchange import prepare_for_write_hook

from tests._reel_support import add_board, add_take


def otio_tool(name: str) -> list[str]:
    """The console script next to this interpreter (the venv's), else its module."""
    script = Path(sys.executable).with_name(name)
    if script.exists():
        return [str(script)]
    found = shutil.which(name)
    if found:
        return [found]
    return [sys.executable, "-m", f"opentimelineio.console.{name}"]


def run(tool: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(otio_tool(tool) + list(args), capture_output=True, text=True, timeout=120,
                          check=False)


@pytest.fixture
def project(example_dir: Path) -> Path:
    add_board(example_dir, "sh010")
    add_take(example_dir, "sh020", "t001", created=1)
    add_take(example_dir, "sh020", "t002", created=2)
    return example_dir


def test_the_plugin_is_registered_by_its_entry_point():
    adapter = otio.adapters.from_name("shotreel")
    assert {"yaml", "yml"} <= set(adapter.suffixes)
    assert otio.adapters.from_filepath("film/shotreel.yaml").name == "shotreel"
    assert "shotreel_prepare_for_format" in otio.hooks.scripts_attached_to("pre_adapter_write")
    info = run("otiopluginfo")
    assert info.returncode == 0 and "shotreel" in info.stdout


def test_otioconvert_writes_the_same_edl_as_shotreel_reel(project, tmp_path, capsys):
    ours, theirs = tmp_path / "ours.edl", tmp_path / "theirs.edl"
    assert main(["reel", str(project), "-o", str(ours)]) == 0
    done = run("otioconvert", "-i", str(project / "shotreel.yaml"), "-o", str(theirs))
    assert done.returncode == 0, done.stderr
    assert theirs.read_text() == ours.read_text()
    assert "01:00:00:00" in theirs.read_text().splitlines()[2]  # record TC from the film's start
    assert "takes/sh020/t002.mp4" in theirs.read_text()


def test_otioconvert_with_the_adapter_named_reads_a_project_folder(project, tmp_path):
    ours, theirs = tmp_path / "ours.otio", tmp_path / "theirs.otio"
    assert main(["reel", str(project), "-o", str(ours)]) == 0
    done = run("otioconvert", "-I", "shotreel", "-i", str(project), "-o", str(theirs))
    assert done.returncode == 0, done.stderr
    assert otio.adapters.read_from_file(str(theirs)).is_equivalent_to(otio.adapters.read_from_file(str(ours)))
    aaf = tmp_path / "cut.aaf"  # AAF without -A use_empty_mob_ids: the hook gave every clip a MobID
    done = run("otioconvert", "-i", str(project / "shotreel.yaml"), "-o", str(aaf))
    assert done.returncode == 0, done.stderr
    read = otio.adapters.read_from_file(str(aaf))
    assert read.global_start_time.value == 86400
    assert [c.name for c in read.tracks[0].find_clips()][:3] == ["sh010", "sh020", "sh030"]


def test_a_broken_project_names_the_file_and_line(example_dir, tmp_path):
    text = (example_dir / "shotreel.yaml").read_text()
    (example_dir / "shotreel.yaml").write_text(text.replace("duration: 5s", "duration: five", 1))
    done = run("otioconvert", "-i", str(example_dir / "shotreel.yaml"), "-o", str(tmp_path / "cut.otio"))
    assert done.returncode != 0
    assert "shotreel.yaml:" in done.stderr and "five" in done.stderr
    assert not (tmp_path / "cut.otio").exists()


def test_the_hook_leaves_other_timelines_alone(tmp_path):
    timeline = otio.schema.Timeline(name="not a reel")
    timeline.tracks.append(otio.schema.Track(name="V1"))
    timeline.tracks.append(otio.schema.Track(name="V2"))
    assert prepare_for_write_hook(timeline, {"_filepath": str(tmp_path / "x.edl")}) is timeline
    with pytest.raises(otio.exceptions.NotSupportedError, match="single video track"):
        otio.adapters.write_to_file(timeline, str(tmp_path / "x.edl"))  # the EDL writer's own refusal
