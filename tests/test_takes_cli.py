"""`shotreel takes` and `shotreel select`: what each shot has, and recording the editor's choice."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from shotreel.cli import main
from shotreel.errors import ShotreelError
from shotreel.model import Selection
from shotreel.project import load_project
from shotreel.reel import TAKES_TRACK, build_reel
from shotreel.takes import load_selects, select_take, write_selects

from ._media_support import add_take, tiny_example


@pytest.fixture
def film_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "film"
    tiny_example(folder)
    add_take(folder, "sh030", "t1", 121, created=1.0)
    add_take(folder, "sh030", "t2", 96, fps=25, created=2.0, provider="runway", model="gen4_turbo", seed=99)
    add_take(folder, "sh020", "t1", 120, created=3.0, sidecar=False)  # no sidecar: probed on the spot
    return folder


def test_takes_lists_status_probe_provenance_and_the_take_in_use(film_dir: Path, capsys) -> None:
    assert main(["takes", str(film_dir)]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert "sh030  4s (96f)  2 takes" in lines
    t2 = next(line for line in lines if " t2 " in line)
    assert t2.lstrip().startswith("*") and "25 fps" in t2 and "96f (-4)" in t2  # 25 fps needs 100 frames
    assert "runway/gen4_turbo" in t2 and "seed 99" in t2 and "newest" in t2
    t1 = next(line for line in lines if " t1 " in line and "121f" in line)
    assert "24 fps" in t1 and "(+25)" in t1 and "animatic/ken-burns" in t1 and "seed 7" in t1
    assert any("sh010" in line and "no takes" in line for line in lines)
    assert lines[-1] == "3 takes in 12 shots"
    assert main(["takes", str(film_dir), "sh020"]) == 0
    only = capsys.readouterr().out.splitlines()
    assert only[0].startswith("sh020") and "120f (=)" in only[1] and only[-1] == "1 take in 1 shot"


def test_select_writes_selects_and_the_reel_follows(film_dir: Path, capsys) -> None:
    assert main(["select", str(film_dir), "sh030", "t1", "--in", "00:00:00:12", "--out", "108"]) == 0
    assert "sh030: take t1, frames 12 to 108" in capsys.readouterr().out
    text = (film_dir / "selects.yaml").read_text()
    assert "  sh030:\n    take: t1\n    in: 12  # 00:00:00:12\n    out: 108  # 00:00:04:12\n" in text
    film = load_project(film_dir)
    assert load_selects(film) == {"sh030": Selection("sh030", "t1", 12, 108)}
    reel = build_reel(film)
    takes = next(t for t in reel.tracks if t.name == TAKES_TRACK)
    clip = next(c for c in takes if c.name == "sh030")
    assert clip.active_media_reference_key == "t1"
    assert clip.source_range.start_time.value == 12
    other = next(c for c in takes if c.name == "sh020")
    assert other.active_media_reference_key == "t1"  # no select: the newest take
    assert main(["takes", str(film_dir), "sh030"]) == 0
    listed = capsys.readouterr().out
    assert "selected [12-108]" in listed


def test_select_refuses_bad_input_and_writes_nothing(film_dir: Path, capsys) -> None:
    cases = [
        (["sh031", "t1"], "no shot 'sh031' in the film; did you mean sh030?"),
        (["sh030", "t9"], "shot sh030: no take 't9'; its takes are t1, t2"),
        (["sh040", "t1"], "shot sh040: has no takes yet"),
        (["sh030", "t1", "--in", "50", "--out", "40"], "trim out 40 must come after trim in 50"),
        (["sh030", "t1", "--out", "200"], "trim out 200 is past the end of take 't1' (121 frames)"),
        (["sh030", "t1", "--in", "1x"], "'1x' is not a position in the take"),
        (["sh030", "t1", "--in", "00:00:00:30"], "out of range at 24 fps"),
    ]
    for args, message in cases:
        assert main(["select", str(film_dir), *args]) == 2
        assert message in capsys.readouterr().err
    assert not (film_dir / "selects.yaml").exists()


def test_timecode_trims_use_the_takes_own_rate(film_dir: Path) -> None:
    assert main(["select", str(film_dir), "sh030", "t2", "--in", "00:00:01:00", "--out", "3s"]) == 0
    assert load_selects(load_project(film_dir))["sh030"] == Selection("sh030", "t2", 25, 75)  # 25 fps take


def test_write_selects_is_stable_and_in_story_order(film_dir: Path) -> None:
    film = load_project(film_dir)
    selects = {"sh030": Selection("sh030", "t2"), "sh020": Selection("sh020", "t1", 0, 100)}
    write_selects(film, selects)
    first = (film_dir / "selects.yaml").read_text()
    assert first.index("sh020") < first.index("sh030")
    assert load_selects(film) == selects
    write_selects(film, load_selects(film))
    assert (film_dir / "selects.yaml").read_text() == first
    select_take(film, "sh020", "t1")  # a new choice replaces the old trims
    assert load_selects(film)["sh020"] == Selection("sh020", "t1")


def test_selects_read_timecode_trims_at_the_takes_rate_and_name_bad_lines(film_dir: Path) -> None:
    selects = film_dir / "selects.yaml"
    selects.write_text("shots:\n  sh030:\n    take: t2\n    in: 00:00:01:12\n    out: 90\n")
    film = load_project(film_dir)
    assert load_selects(film)["sh030"] == Selection("sh030", "t2", 37, 90)  # 1 s + 12 frames at 25 fps
    (film_dir / "selects.yaml").write_text("shots:\n  sh030:\n    take: t1\n    in: twelve\n")
    with pytest.raises(ShotreelError, match=r"selects.yaml:4: shot sh030: in 'twelve' must be a frame"):
        load_selects(film)
    (film_dir / "selects.yaml").write_text("shots:\n  sh030: {take: t1, in: 50, out: 40}\n")
    with pytest.raises(ShotreelError, match=r"selects.yaml:2: shot sh030: out 40 must come after in 50"):
        load_selects(film)


def test_takes_and_check_report_the_cut_beside_the_plan(film_dir: Path, capsys) -> None:
    assert main(["select", str(film_dir), "sh030", "t1", "--in", "12", "--out", "108"]) == 0
    capsys.readouterr()
    assert main(["takes", str(film_dir), "sh030"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "sh030  4s (96f)  2 takes"  # 96 frames: as planned
    assert main(["select", str(film_dir), "sh030", "t1", "--in", "12", "--out", "72"]) == 0
    capsys.readouterr()
    assert main(["takes", str(film_dir), "sh030"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "sh030  4s (96f planned, 60f as cut)  2 takes"
    main(["check", str(film_dir)])
    out = capsys.readouterr().out
    assert "cut: shot sh030: 60f in the cut, planned 96f" in out
    assert "1m 00.0s planned, 58.5s as cut (1 shot recut)" in out
    main(["check", str(film_dir), "--json"])
    report = json.loads(capsys.readouterr().out)
    assert report["cut_frames"] == 1440 - 36
    assert report["recut"] == [{"shot": "sh030", "planned_frames": 96, "cut_frames": 60}]
