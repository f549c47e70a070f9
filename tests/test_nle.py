"""The reel as instructions for an editing application's scripting API, and its timeline read back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from shotreel.checks import run_checks
from shotreel.conform import conform
from shotreel.model import Selection
from shotreel.nle import CLIP_COLOURS, HostItem, PlannedItem, read_choices, timeline_plan
from shotreel.project import load_project
from shotreel.takes import load_selects

from ._reel_support import add_board, add_take, example_at, write_selects


@pytest.fixture
def film_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "film"
    example_at(folder, "29.97", "01:00:00;00")
    rate = "30000/1001"
    add_take(folder, "sh020", "t1", fps=rate, frames=200, created=1)
    add_take(folder, "sh020", "t2", fps=rate, frames=60, created=2)  # shorter than the shot
    add_take(folder, "sh030", "t1", fps=rate, frames=150, created=1)
    add_board(folder, "sh010")
    write_selects(folder, "shots:\n  sh030: {take: t1, in: 10, out: 100}\n")
    return folder


def as_host_sees_it(item: PlannedItem) -> HostItem:
    return HostItem(Path(item.path).name if item.path else item.shot, item.track, item.record_in, item.record_out,
                    item.path, item.source_in, None, True, item.kind == "board")


def test_the_plan_places_every_item_at_absolute_frames_from_the_cut(film_dir: Path) -> None:
    film = load_project(film_dir)
    plan = timeline_plan(film, findings=run_checks(film).findings)
    cut = conform(film).by_shot()
    assert plan.start_frame == 107892 and plan.drop_frame  # 01:00:00;00 at 29.97 DF
    assert [b.shot for b in plan.boards] == [s.id for s in film.shots()]
    for board in plan.boards:  # back to back from the start, each its cut length
        assert board.record_in == plan.start_frame + cut[board.shot].record_in
        assert board.duration == cut[board.shot].length
    assert plan.end_frame == plan.start_frame + conform(film).length
    sh020, sh030 = plan.item("sh020"), plan.item("sh030")
    assert [t.take for t in sh020.takes] == ["t1", "t2"] and sh020.chosen == 1  # the newest
    assert (sh020.source_in, sh020.source_out, sh020.duration) == (0, 60, 60) and sh020.colour == CLIP_COLOURS["short"]
    assert sh020.takes[0].source_out - sh020.takes[0].source_in == 60  # the other take fills the same length
    assert (sh030.source_in, sh030.source_out, sh030.duration) == (10, 100, 90)
    assert sh030.colour == CLIP_COLOURS["selected"] and sh030.record_in == plan.item("sh030", "board").record_in
    for item in plan.takes:
        for take in item.takes:
            assert 0 <= take.source_in < take.source_out <= take.frames
    beats = [m for m in plan.markers if m.shot is None]
    assert [m.name for m in beats] == [b.title for b in film.beats]
    assert "Red" not in {m.colour for m in beats}
    assert json.loads(beats[0].custom_data) == {"shotreel": "beat", "beat": film.beats[0].id}
    warned = [m for m in plan.markers if m.shot]
    assert [m.shot for m in warned] == ["sh110"] and warned[0].colour == "Red"
    folders = {b.path: b.files for b in plan.bins}
    assert (film.title, "sc02", "Takes") in folders and len(folders[(film.title, "sc02", "Takes")]) == 3


def test_reading_the_timeline_back_unchanged_changes_nothing(film_dir: Path) -> None:
    film = load_project(film_dir)
    plan = timeline_plan(film)
    before = (film_dir / "selects.yaml").read_bytes()
    items = [as_host_sees_it(i) for i in plan.boards + plan.takes]
    result = read_choices(film, items, film_dir / "edit" / "from-host.otio")
    assert result.changes == [] and (film_dir / "selects.yaml").read_bytes() == before


def test_an_editors_take_switch_and_trim_come_back_as_selects(film_dir: Path) -> None:
    film = load_project(film_dir)
    plan = timeline_plan(film)
    items = [as_host_sees_it(i) for i in plan.boards]
    sh020 = plan.item("sh020")
    other = sh020.takes[0]  # the editor picks t1 in the take selector and trims its head by 6
    items.append(HostItem("t1.mp4", 2, sh020.record_in, sh020.record_in + 100, other.path, 6))
    items += [as_host_sees_it(i) for i in plan.takes if i.shot != "sh020"]
    board = next(i for i in items if i.track == 1 and "sh020" in i.name)
    items[items.index(board)] = HostItem(board.name, 1, board.record_in, board.record_in + 100, board.path, 0,
                                         None, True, True)
    later = [i for i in items if i.record_in >= board.record_out]
    shift = (board.record_out - board.record_in) - 100
    items = [i if i not in later else HostItem(i.name, i.track, i.record_in - shift, i.record_out - shift, i.path,
                                                i.source_in, i.rate, i.enabled, i.still) for i in items]
    read_choices(film, items, film_dir / "edit" / "from-host.otio")
    assert load_selects(load_project(film_dir)) == {"sh020": Selection("sh020", "t1", 6, 106),
                                                     "sh030": Selection("sh030", "t1", 10, 100)}
