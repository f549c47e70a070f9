"""The layout plan a 3D host builds from: shots back to back from frame 1, their lenses, timecode both ways."""

from __future__ import annotations

from fractions import Fraction

import pytest
from PIL import Image
from shotreel.board_renders import adopt_render, render_targets
from shotreel.boards import draw_boards
from shotreel.errors import BoardError
from shotreel.layout import DEFAULT_LENS_MM, frame_of_timecode, layout_plan, lens_mm, timecode_of_frame
from shotreel.project import load_project


def test_shots_follow_each_other_from_frame_1_for_exactly_the_films_length(example_film):
    plan = layout_plan(example_film)
    durations = [shot.duration for shot in example_film.shots()]
    assert [s.id for s in plan.shots] == [s.id for s in example_film.shots()]
    assert plan.start == 1 and plan.shots[0].start == 1
    assert all(a.end == b.start for a, b in zip(plan.shots, plan.shots[1:]))
    assert [s.duration for s in plan.shots] == durations and plan.duration == sum(durations) == 1440
    assert plan.shot_at(1).id == plan.shots[0].id and plan.shot_at(plan.end) is None
    assert plan.shot_at(plan.shots[3].start).id == plan.shots[3].id
    assert plan.shot_at(plan.shots[3].start - 1).id == plan.shots[2].id


@pytest.mark.parametrize("text, mm", [("85mm", 85.0), ("100mm macro", 100.0), ("35 mm", 35.0), ("12.5mm", 12.5),
                                      ("anamorphic 40MM", 40.0), ("wide", None), ("", None)])
def test_the_lens_is_read_from_the_camera_note(text, mm):
    assert lens_mm(text) == mm


def test_a_shot_without_a_lens_gets_the_normal_lens_and_says_so(example_dir):
    text = (example_dir / "shotreel.yaml").read_text(encoding="utf-8")
    (example_dir / "shotreel.yaml").write_text(text.replace(", lens: 50mm}", "}", 1), encoding="utf-8")
    first = layout_plan(load_project(example_dir)).shots[0]
    assert (first.lens_mm, first.lens_given) == (DEFAULT_LENS_MM, False)


@pytest.mark.parametrize("fps, start, frame, timecode", [
    ("24", "01:00:00:00", 1, "01:00:00:00"), ("24", "01:00:00:00", 25, "01:00:01:00"),
    ("23.976", "00:59:58:00", 49, "01:00:00:00"), ("29.97", "00:59:59;28", 3, "01:00:00;00"),
])
def test_timeline_frames_and_record_timecode_convert_both_ways(example_dir, fps, start, frame, timecode):
    text = (example_dir / "shotreel.yaml").read_text(encoding="utf-8")
    text = text.replace("fps: 24\n", f"fps: {fps}\n").replace('start_timecode: "01:00:00:00"',
                                                              f'start_timecode: "{start}"')
    (example_dir / "shotreel.yaml").write_text(text, encoding="utf-8")
    film = load_project(example_dir)
    assert layout_plan(film).fps == {"24": Fraction(24), "23.976": Fraction(24000, 1001),
                                     "29.97": Fraction(30000, 1001)}[fps]
    assert timecode_of_frame(film, frame) == timecode and frame_of_timecode(film, timecode) == frame


def test_render_targets_replace_cards_and_earlier_renders_but_keep_drawn_and_listed_boards(example_dir, tmp_path):
    film = load_project(example_dir)
    draw_boards(film)  # cards everywhere
    Image.new("RGB", (64, 36), "green").save(example_dir / "boards" / "sh020.png")  # drawn over a card
    text = (example_dir / "shotreel.yaml").read_text(encoding="utf-8")
    (example_dir / "boards" / "art").mkdir()
    Image.new("RGB", (64, 36), "blue").save(example_dir / "boards" / "art" / "mara.png")
    (example_dir / "shotreel.yaml").write_text(
        text.replace("      - id: sh030\n", "      - id: sh030\n        boards: [boards/art/mara.png]\n", 1),
        encoding="utf-8")
    film = load_project(example_dir)
    targets = {t.shot: t for t in render_targets(film)}
    assert targets["sh010"].render and targets["sh020"].kept.endswith("was drawn by hand (kept)")
    assert targets["sh030"].kept == "uses its listed board boards/art/mara.png"
    rendered = example_dir / "boards" / ".sh010.render.png"
    Image.new("RGB", (64, 36), "red").save(rendered)
    assert adopt_render(film, targets["sh010"], rendered) == example_dir / "boards" / "sh010.png"
    assert not rendered.exists()
    assert render_targets(film)[0].render, "its own render is replaced next time"
    with pytest.raises(BoardError, match="not replacing the board: boards/sh020.png was drawn by hand"):
        adopt_render(film, targets["sh020"], tmp_path / "x.png")


def test_reel_strips_put_boards_under_takes_with_the_chosen_one_active_and_trimmed(example_dir):
    from shotreel.layout import ReelStrip, reel_strips
    from shotreel.reel import build_reel

    from tests._reel_support import add_board, add_take, write_selects

    add_board(example_dir, "sh010")
    for take in ("t001", "t002"):
        add_take(example_dir, "sh030", take, frames=121)
    add_take(example_dir, "sh050", "t001", fps=25, frames=121)
    write_selects(example_dir, "shots:\n  sh030: {take: t001, in: 10}\n")
    film = load_project(example_dir)
    plan = layout_plan(film)
    strips = reel_strips(build_reel(film), film.fps)
    boards = [s for s in strips if s.kind == "board"]
    assert [(b.shot, b.channel, b.start, b.duration) for b in boards] == [(s.id, 1, s.start, s.duration)
                                                                         for s in plan.shots]
    assert boards[0].path == str(example_dir / "boards" / "sh010.png") and boards[1].path is None
    sh030 = next(s for s in plan.shots if s.id == "sh030")
    takes = [s for s in strips if s.kind == "take"]
    assert [s for s in takes if s.shot == "sh030"] == [
        ReelStrip("sh030", "take", "t001", str(example_dir / "takes" / "sh030" / "t001.mp4"), 2, sh030.start,
                  sh030.duration, 10, True),
        ReelStrip("sh030", "take", "t002", str(example_dir / "takes" / "sh030" / "t002.mp4"), 3, sh030.start,
                  sh030.duration, 0, False)]
    [sh050] = [s for s in takes if s.shot == "sh050"]
    assert (sh050.take, sh050.channel, sh050.active, sh050.offset) == ("t001", 2, True, 0)


def test_an_edit_of_the_reel_strips_goes_back_through_sync_frame_exact(example_dir):
    from shotreel.interchange import write_reel
    from shotreel.layout import EditStrip, cut_timeline, reel_strips
    from shotreel.reel import build_reel
    from shotreel.sync import sync_selects
    from shotreel.takes import load_selects

    from tests._reel_support import add_board, add_take, write_selects

    for shot in ("sh010", "sh030"):
        add_board(example_dir, shot)
    for take in ("t001", "t002"):
        add_take(example_dir, "sh030", take, frames=200)
    write_selects(example_dir, "shots:\n  sh030: {take: t001, in: 10}\n")
    film = load_project(example_dir)

    def edit(strips) -> list[EditStrip]:
        return [EditStrip(s.take or s.shot, s.path, s.channel, s.start, s.start + s.duration, s.offset,
                          muted=not s.active, still=s.kind == "board") for s in strips]

    unchanged = edit(reel_strips(build_reel(film), film.fps))
    write_reel(cut_timeline(unchanged, film), example_dir / "edit" / "same.otio")
    result = sync_selects(film, example_dir / "edit" / "same.otio")
    assert result.changes == [] and result.order == []  # the reel, unedited, changes nothing
    # the editor plays t002 slipped by 24 frames instead of t001
    edited = [EditStrip(s.name, s.path, s.channel, s.start, s.end, 24 if s.name == "t002" else s.offset,
                        muted=s.name == "t001" if s.path and "sh030" in s.path else s.muted, still=s.still)
              for s in unchanged]
    write_reel(cut_timeline(edited, film), example_dir / "edit" / "edited.otio")
    result = sync_selects(film, example_dir / "edit" / "edited.otio")
    assert load_selects(load_project(example_dir))["sh030"].take == "t002"
    assert load_selects(load_project(example_dir))["sh030"].trim_in == 24
    assert result.changes == ["sh030: take t001 [10-end] -> take t002 [24-end]"]


def test_a_take_strip_becomes_the_select_with_the_trims_sync_would_read(example_dir):
    from shotreel.layout import EditStrip, select_strip

    from tests._reel_support import add_take

    add_take(example_dir, "sh030", "t001", frames=200)
    film = load_project(example_dir)
    shot = next(s for s in layout_plan(film).shots if s.id == "sh030")
    whole = EditStrip("t001", None, 2, shot.start, shot.end, 0)
    assert (select_strip(film, "sh030", "t001", whole).trim_in, select_strip(film, "sh030", "t001", whole).trim_out) \
        == (None, None)
    slipped = EditStrip("t001", None, 2, shot.start, shot.end, 12)
    selection = select_strip(film, "sh030", "t001", slipped)
    assert (selection.trim_in, selection.trim_out) == (12, None)  # the out follows the shot's length
    short = EditStrip("t001", None, 2, shot.start, shot.end - 20, 12)
    selection = select_strip(film, "sh030", "t001", short)
    assert (selection.trim_in, selection.trim_out) == (12, 12 + shot.duration - 20)


def test_a_short_take_left_alone_records_no_out_point_and_a_recut_shot_places_later_strips(example_dir):
    from shotreel.layout import EditStrip, reel_strips, select_strip
    from shotreel.reel import build_reel

    from tests._reel_support import add_take

    add_take(example_dir, "sh030", "t001", frames=60)  # a 96-frame shot: the take ends early
    add_take(example_dir, "sh040", "t001", frames=200)
    film = load_project(example_dir)
    strips = {(s.shot, s.kind): s for s in reel_strips(build_reel(film), film.fps)}
    short = strips[("sh030", "take")]
    assert short.duration == 60 and strips[("sh030", "board")].duration == 96
    as_loaded = EditStrip("t001", None, 2, short.start, short.start + short.duration, 0)
    assert select_strip(film, "sh030", "t001", as_loaded).trim_out is None  # nothing the editor did
    sh040 = strips[("sh040", "take")]
    longer = EditStrip("t001", None, 2, sh040.start, sh040.start + 150, 10)  # dragged 30 frames longer
    assert (select_strip(film, "sh040", "t001", longer).trim_in, select_strip(film, "sh040", "t001", longer).trim_out) \
        == (10, 160)
    film = load_project(example_dir)
    after = {(s.shot, s.kind): s for s in reel_strips(build_reel(film), film.fps)}
    assert after[("sh040", "board")].duration == 150
    assert after[("sh050", "board")].start == strips[("sh050", "board")].start + 30  # later shots follow


def test_building_again_follows_the_shot_list_only_where_the_artist_left_shotreels_value():
    from shotreel.layout import follow

    assert follow(None, 50.0, 85.0) == 85.0  # never written: the shot list's
    assert follow(50.0, 50.0, 85.0) == 85.0  # as shotreel left it: follows the shot list
    assert follow(50.0, 40.0, 85.0) == 40.0  # set by hand: the artist's
    assert follow(35.0, 35.000001, 28.0) == 28.0  # a float32 read back is the same value


def test_a_shot_that_moved_carries_its_keys_and_a_hand_set_lens_stays_recorded_as_shotreels(example_film):
    from shotreel.layout import board_distance, update_shot, written_record

    sh030 = next(s for s in layout_plan(example_film).shots if s.id == "sh030")  # 85mm, frames 265-360
    first = update_shot(sh030, None, 50.0)
    assert (first.shift, first.lens, first.lens_kept) == (0, 85.0, False)
    assert first.record == written_record(sh030, 85.0, board_distance(85.0)) == {
        "start": 265, "end": 361, "lens": 85.0, "board_distance": 85.0 / 36.0}
    moved = update_shot(sh030, {**first.record, "start": 241, "end": 337}, 85.0, board_distance(85.0))
    assert moved.shift == 24 and moved.end == 361 and moved.lens == 85.0
    by_hand = update_shot(sh030, {**first.record, "lens": 50.0}, 40.0, first.record["board_distance"])
    assert (by_hand.lens, by_hand.lens_kept, by_hand.record["lens"]) == (40.0, True, 50.0)
    assert by_hand.board_distance == board_distance(40.0), "the board keeps filling the frame at the artist's lens"
    agreed = update_shot(sh030, {**first.record, "lens": 50.0}, 85.0)
    assert (agreed.lens, agreed.lens_kept, agreed.record["lens"]) == (85.0, False, 85.0)
    board_moved = update_shot(sh030, first.record, 85.0, 5.0)
    assert board_moved.board_distance is None and board_moved.record["board_distance"] == 85.0 / 36.0


def test_new_cameras_stand_on_free_places_of_the_row():
    from shotreel.layout import CAMERA_ROW, CAMERA_SPACING, free_places

    y, z = CAMERA_ROW
    assert free_places([], 3) == [(0.0, y, z), (CAMERA_SPACING, y, z), (2 * CAMERA_SPACING, y, z)]
    taken = [(0.0, y, z), (3.0, y, z), (9.4, y, z), (6.0, 20.0, z)]  # slot 2's camera was moved far away
    assert free_places(taken, 2) == [(6.0, y, z), (12.0, y, z)]


def test_the_shot_sheet_has_what_a_board_artist_reads_wrapped_to_the_panel(example_film):
    from shotreel.layout import shot_sheet, wrap_sheet

    sh040 = next(s for s in layout_plan(example_film).shots if s.id == "sh040")
    rows = dict(shot_sheet(sh040, example_film.fps))
    assert rows["Shot"] == "sh040" and rows["Beat"] == "sign" and rows["Scene"] == "sc02"
    assert rows["Duration"] == "5s · 120 frames" and rows["Timecode"] == "01:00:15:00 – 01:00:20:00"
    assert rows["Dialogue"] == "MARA (whispering): That bay's been dead for months."
    assert rows["Camera"] == "MCU · over the shoulder · pull out · 50mm"
    assert rows["Continuity"].startswith("Same light as sh020")
    assert rows["Action"].startswith("Mara turns.")
    lines = wrap_sheet(shot_sheet(sh040, example_film.fps), 30)
    assert all(len(line.text) <= 30 for line in lines)
    assert lines[0] == ("Shot: sh040", True) and ("Action", True) in lines
    words = " ".join(line.text for line in lines[lines.index(("Action", True)) + 1:]).split()
    assert words[:3] == ["Mara", "turns.", "At"]
