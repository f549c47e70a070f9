"""The reel as an editor opens it: boards in story order, takes on top, beats marked, every frame exact."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import opentimelineio as otio
import pytest
from shotreel import timing
from shotreel.boards import shot_board_image
from shotreel.cli import main
from shotreel.project import load_project
from shotreel.reel import BEAT_COLORS, build_reel, reel_notes, shot_block
from shotreel.takes import find_takes, load_selects

from tests._reel_support import add_board, add_take, example_at, write_selects

STOCK_SCHEMAS = {"Timeline.1", "Stack.1", "Track.1", "Clip.2", "Gap.1", "Marker.2", "ExternalReference.1",
                 "MissingReference.1", "RationalTime.1", "TimeRange.1"}


def frames(time: otio.opentime.RationalTime, film) -> int:
    value = time.value_rescaled_to(timing.otio_rate(film.fps))
    assert value == pytest.approx(round(value), abs=1e-6), f"{time} is not a whole frame"
    return round(value)


def track(timeline: otio.schema.Timeline, name: str) -> otio.schema.Track:
    # Keep the timeline alive while using the track: OTIO 0.18.1 iterates a track whose timeline was
    # freed as empty (len() still counts its children).
    return next(t for t in timeline.tracks if t.name == name)


def schemas(node: object) -> set[str]:
    found = set()
    if isinstance(node, dict):
        if "OTIO_SCHEMA" in node:
            found.add(node["OTIO_SCHEMA"])
        for value in node.values():
            found |= schemas(value)
    elif isinstance(node, list):
        for value in node:
            found |= schemas(value)
    return found


def metadata_keys(node: object) -> set[str]:
    keys = set()
    if isinstance(node, dict):
        if "OTIO_SCHEMA" in node and isinstance(node.get("metadata"), dict):
            keys |= set(node["metadata"])
        for key, value in node.items():
            if key != "metadata":
                keys |= metadata_keys(value)
    elif isinstance(node, list):
        for value in node:
            keys |= metadata_keys(value)
    return keys


# -- structure -------------------------------------------------------------------------------------

def test_boards_track_has_one_clip_per_shot_in_story_order_with_exact_durations(example_film):
    reel = build_reel(example_film)
    assert reel.name == "Green Hours"
    assert [(t.name, t.kind) for t in reel.tracks] == [
        ("Boards", "Video"), ("Takes", "Video"), ("Dialogue", "Audio"), ("Music", "Audio"),
        ("Effects", "Audio")]
    shots = list(example_film.shots())
    boards = track(reel, "Boards")
    assert [c.name for c in boards] == [s.id for s in shots]
    position = 0
    for clip, shot in zip(boards, shots):
        span = clip.range_in_parent()
        assert frames(span.start_time, example_film) == position
        assert frames(span.duration, example_film) == shot.duration
        position += shot.duration
    for t in reel.tracks:  # every track is exactly as long as the film
        assert frames(t.duration(), example_film) == example_film.runtime() == 1440


def test_global_start_time_is_the_start_timecode_at_the_exact_rate(tmp_path):
    film = example_at(tmp_path / "ntsc", "29.97", "01:00:00;00")
    reel = build_reel(film)
    start = reel.global_start_time
    assert start.strictly_equal(otio.opentime.RationalTime(107892, 30000 / 1001))
    assert otio.opentime.to_timecode(start, 30000 / 1001) == "01:00:00;00"
    clip = track(reel, "Boards")[0]
    assert clip.source_range.duration.rate == 30000 / 1001  # never 29.97
    assert frames(clip.duration(), film) == round(6 * Fraction(30000, 1001))


@pytest.mark.parametrize("fps", ["23.976", "25", "30"])
def test_durations_are_whole_frames_at_every_rate(tmp_path, fps):
    film = example_at(tmp_path / fps, fps)
    reel = build_reel(film)
    for clip, shot in zip(track(reel, "Boards"), film.shots()):
        assert clip.source_range.duration.strictly_equal(timing.rational_time(shot.duration, film.fps))
    assert frames(reel.global_start_time, film) == film.start_frame


# -- boards ----------------------------------------------------------------------------------------

def test_board_stills_are_absolute_paths_and_missing_boards_keep_their_length(example_dir):
    add_board(example_dir, "sh010")
    add_board(example_dir, "sh030", "artist_sh030.png")
    text = (example_dir / "shotreel.yaml").read_text()
    (example_dir / "shotreel.yaml").write_text(text.replace("      - id: sh030\n",
                                                            "      - id: sh030\n        boards: [boards/artist_sh030.png]\n"))
    film = load_project(example_dir)
    reel = build_reel(film)
    boards = {c.name: c for c in track(reel, "Boards")}
    first = boards["sh010"].media_reference
    assert isinstance(first, otio.schema.ExternalReference)
    assert first.target_url == str((example_dir / "boards" / "sh010.png").resolve())  # plain, absolute
    assert first.available_range == boards["sh010"].source_range  # held for the shot, verify-ranges clean
    assert boards["sh030"].media_reference.target_url.endswith("boards/artist_sh030.png")
    missing = boards["sh020"]
    assert isinstance(missing.media_reference, otio.schema.MissingReference)
    assert frames(missing.duration(), film) == film.shot("sh020").duration
    assert missing.media_reference.metadata["shotreel"]["expected"] == str(
        (example_dir / "boards" / "sh020.png").resolve())
    # the default finder agrees with shotreel.boards.shot_board_image
    expected = {s.id: shot_board_image(film, s) for s in film.shots()}
    found = {name: (Path(c.media_reference.target_url)
                    if isinstance(c.media_reference, otio.schema.ExternalReference) else None)
             for name, c in boards.items()}
    assert found == {k: (v.resolve() if v else None) for k, v in expected.items()}


def test_board_for_decides_the_still(example_film, tmp_path):
    still = add_board(tmp_path, "any", "key.png")
    reel = build_reel(example_film, board_for=lambda film, shot: still if shot.id == "sh050" else None)
    refs = {c.name: c.media_reference for c in track(reel, "Boards")}
    assert refs["sh050"].target_url == str(still.resolve())
    assert all(isinstance(r, otio.schema.MissingReference) for k, r in refs.items() if k != "sh050")


# -- takes -----------------------------------------------------------------------------------------

def test_takes_are_media_references_of_one_clip_with_the_newest_active(example_dir):
    add_take(example_dir, "sh020", "t001", created=1, seed=11)
    add_take(example_dir, "sh020", "t002", created=2, seed=22, frames=120)
    add_take(example_dir, "sh090", "t001", created=1, frames=120)
    film = load_project(example_dir)
    reel = build_reel(film)
    takes = track(reel, "Takes")
    assert [type(i).__name__ for i in takes] == ["Gap", "Clip"] + ["Gap"] * 6 + ["Clip"] + ["Gap"] * 3
    for item, shot in zip(takes, film.shots()):  # gaps let the board show through, exactly as long
        assert frames(item.duration(), film) == shot.duration
    clip = takes[1]
    assert clip.name == "sh020"
    assert sorted(clip.media_references()) == ["t001", "t002"]
    assert clip.active_media_reference_key == "t002"
    assert clip.media_reference.target_url == str((example_dir / "takes/sh020/t002.mp4").resolve())
    assert clip.media_reference.available_range.duration.value == 120
    mirror = shot_block(clip)["takes"]
    assert [(t["take"], t["seed"], t["model"], t["status"], t["frames"], t["fps"]) for t in mirror] == [
        ("t001", 11, "offline-motion", "done", 96, "24"), ("t002", 22, "offline-motion", "done", 120, "24")]
    assert mirror[0]["path"].endswith("takes/sh020/t001.mp4") and mirror[0]["prompt"] == "sh020 prompt"
    assert shot_block(track(reel, "Boards")[1])["takes"] == mirror  # mirrored on the board too


def test_the_select_chooses_the_take_and_trims_its_start(example_dir):
    add_take(example_dir, "sh020", "t001", created=1, frames=200)
    add_take(example_dir, "sh020", "t002", created=2)
    write_selects(example_dir, "shots:\n  sh020: {take: t001, in: 12, out: 132}\n")
    film = load_project(example_dir)
    reel = build_reel(film, find_takes(film), load_selects(film))
    clip = track(reel, "Takes")[1]
    assert clip.active_media_reference_key == "t001"
    assert clip.source_range.start_time.value == 12
    assert frames(clip.source_range.duration, film) == 120  # out - in
    assert shot_block(clip)["trim_in"] == 12 and shot_block(clip)["trim_out"] == 132


def test_the_selects_trims_are_the_shots_length_and_the_later_shots_follow(example_dir):
    add_take(example_dir, "sh020", "t001", frames=300)
    write_selects(example_dir, "shots:\n  sh020: {take: t001, in: 0, out: 200}\n")
    film = load_project(example_dir)
    reel = build_reel(film)
    takes, boards = track(reel, "Takes"), track(reel, "Boards")
    assert frames(takes[1].source_range.duration, film) == 200
    assert frames(boards[1].duration(), film) == 200  # the board under it runs as long
    assert frames(boards[2].range_in_parent().start_time, film) == 144 + 200
    assert frames(reel.duration(), film) == film.runtime() + 80
    block = shot_block(boards[1])
    assert block["frames"] == 200 and block["planned_frames"] == 120
    assert any("sh020" in note and "cut to 200 frames" in note and "planned 120" in note
               for note in reel_notes(reel))


def test_the_editors_out_point_ends_the_shot_inside_its_take(example_dir):
    """shotreel select film sh040 t002 --in 00:00:00:12 --out 00:00:04:12: 96 frames of a 120-frame take."""
    add_take(example_dir, "sh040", "t002", frames=120)
    assert main(["select", str(example_dir), "sh040", "t002", "--in", "00:00:00:12", "--out", "00:00:04:12"]) == 0
    film = load_project(example_dir)
    reel = build_reel(film)
    clip = next(c for c in track(reel, "Takes").find_clips() if c.name == "sh040")
    assert clip.source_range.start_time.value == 12
    assert frames(clip.source_range.duration, film) == 96
    assert clip.source_range.end_time_exclusive() <= clip.media_reference.available_range.end_time_exclusive()
    board = next(c for c in track(reel, "Boards") if c.name == "sh040")
    assert frames(board.duration(), film) == 96


def test_no_source_range_leaves_its_takes_media(example_dir):
    add_take(example_dir, "sh030", "t001", frames=48)  # a 96-frame shot
    add_take(example_dir, "sh050", "t001", frames=200)
    write_selects(example_dir, "shots:\n  sh050: {take: t001, in: 150}\n")  # 144 planned, 50 left
    film = load_project(example_dir)
    reel = build_reel(film)
    for clip in track(reel, "Takes").find_clips():
        available = clip.media_reference.available_range
        assert clip.source_range.start_time >= available.start_time
        assert clip.source_range.end_time_exclusive() <= available.end_time_exclusive(), clip.name
    items = list(track(reel, "Takes"))
    assert [type(i).__name__ for i in items[2:4]] == ["Clip", "Gap"]  # sh030: its 48 frames, then the board
    assert frames(items[3].duration(), film) == 48
    assert frames(reel.duration(), film) == film.runtime()  # planned lengths kept without an out point


def test_a_select_naming_a_missing_take_falls_back_to_the_newest(example_dir):
    add_take(example_dir, "sh020", "t001", created=1)
    add_take(example_dir, "sh020", "t002", created=2)
    write_selects(example_dir, "shots:\n  sh020: t009\n")
    reel = build_reel(load_project(example_dir))
    assert track(reel, "Takes")[1].active_media_reference_key == "t002"
    assert any("'t009' is not on disk" in note for note in reel_notes(reel))


def test_a_take_at_another_rate_is_placed_frame_exactly_and_reported(tmp_path):
    folder = tmp_path / "film"
    film = example_at(folder, "23.976")
    add_take(folder, "sh020", "t001", fps=25, frames=130)
    reel = build_reel(film)
    clip = track(reel, "Takes")[1]
    shot = film.shot("sh020")
    assert frames(clip.range_in_parent().duration, film) == shot.duration  # the record length is the shot's
    assert frames(clip.range_in_parent().start_time, film) == film.shot("sh010").duration
    assert not clip.effects  # never retimed
    assert clip.media_reference.available_range.duration.strictly_equal(otio.opentime.RationalTime(130, 25))
    assert clip.source_range.end_time_exclusive() <= clip.media_reference.available_range.end_time_exclusive()
    notes = reel_notes(reel)
    assert any("sh020" in n and "25 fps" in n and "23.976" in n and "not retimed" in n for n in notes)
    assert shot_block(clip)["notes"] and "25 fps" in shot_block(clip)["notes"][0]
    later = [c for c in track(reel, "Takes") if isinstance(c, otio.schema.Clip)]
    assert frames(reel.tracks[1].duration(), film) == film.runtime() and len(later) == 1


def test_a_take_shorter_than_its_shot_is_reported(example_dir):
    add_take(example_dir, "sh030", "t001", frames=48)
    reel = build_reel(load_project(example_dir))
    assert any("sh030" in n and "the board shows for the last 48" in n for n in reel_notes(reel))


# -- metadata, audio, markers ----------------------------------------------------------------------

def test_every_shot_clip_carries_its_shot_and_nothing_custom_lives_elsewhere(example_dir):
    add_take(example_dir, "sh040", "t001")
    film = load_project(example_dir)
    reel = build_reel(film)
    for name in ("Boards", "Takes"):
        for clip in track(reel, name).find_clips():
            block = shot_block(clip)
            shot = film.shot(clip.name)
            assert block["shot"] == shot.id and block["scene"] == shot.scene and block["beat"] == shot.beat
            assert block["action"] == shot.action and block["prompt"] == shot.prompt
            assert block["duration"] == shot.duration_text and block["frames"] == shot.duration
            assert block["camera"] == {"size": shot.camera.size, "angle": shot.camera.angle,
                                       "movement": shot.camera.movement, "lens": shot.camera.lens}
    sh040 = shot_block(track(reel, "Boards")[3])
    assert sh040["dialogue"] == [{"character": "MARA", "parenthetical": "(whispering)",
                                  "line": "That bay's been dead for months."}]
    assert sh040["take"] == "t001" and sh040["takes"][0]["take"] == "t001"
    document = json.loads(otio.adapters.write_to_string(reel, "otio_json"))
    assert metadata_keys(document) == {"shotreel"}
    assert schemas(document) <= STOCK_SCHEMAS


def test_audio_placeholders_where_shots_have_dialogue_or_sound(example_film):
    reel = build_reel(example_film)
    dialogue = [c.name for c in track(reel, "Dialogue").find_clips()]
    assert dialogue == ["sh040 dialogue", "sh090 dialogue"]
    assert len(track(reel, "Effects").find_clips()) == sum(1 for s in example_film.shots() if s.sound) == 12
    clip = track(reel, "Dialogue").find_clips()[1]
    assert isinstance(clip.media_reference, otio.schema.MissingReference)
    assert shot_block(clip)["dialogue"] == ["MARA: Nobody's coming."]
    assert frames(clip.range_in_parent().start_time, example_film) == sum(
        s.duration for s in list(example_film.shots())[:8])


def test_one_marker_per_beat_at_its_first_shot_on_the_stack(example_film):
    reel = build_reel(example_film)
    markers = list(reel.tracks.markers)
    assert [m.name for m in markers] == [b.title for b in example_film.beats]
    starts = {}
    position = 0
    for shot in example_film.shots():
        starts.setdefault(shot.beat, position)
        position += shot.duration
    assert [frames(m.marked_range.start_time, example_film) for m in markers] == [starts[b.id] for b in example_film.beats]
    assert [m.color for m in markers] == [c for c, _ in BEAT_COLORS[:6]]
    assert len({m.color for m in markers}) == 6
    assert otio.schema.MarkerColor.RED not in {m.color for m in markers}  # red is for check warnings only
    assert markers[0].metadata["shotreel"]["resolve_color"] == "Blue"
    assert markers[2].comment == example_film.beats[2].summary
    assert not any(c.markers for c in reel.find_clips())


def test_check_warnings_are_one_red_marker_on_the_shot_they_are_about(example_dir, capsys, tmp_path):
    assert main(["reel", str(example_dir)]) == 0
    reel = otio.adapters.read_from_file(str(example_dir / "edit" / "reel.otio"))
    marked = {c.name: list(c.markers) for c in track(reel, "Boards") if c.markers}
    assert list(marked) == ["sh110"], "the example warns about hands and a costume change in sh110 only"
    [marker] = marked["sh110"]
    assert marker.name == "check: hands, costume" and marker.color == otio.schema.MarkerColor.RED
    assert "'palm': hand interactions warp" in marker.comment and "'peels off': costume changes" in marker.comment
    assert marker.marked_range.start_time.value == 0  # at the shot's first frame, inside its clip
    assert shot_block(marker) == {"check": ["hands", "costume"], "shot": "sh110", "resolve_color": "Red"}
    assert len(reel.tracks.markers) == len(load_project(example_dir).beats), "beat markers unchanged"
    # Resolve keeps a clip marker only inside its clip: the variant keeps it, named after the board file
    assert main(["reel", str(example_dir), "--for", "resolve", "-o", str(tmp_path / "resolve.otio")]) == 0
    resolve = otio.adapters.read_from_file(str(tmp_path / "resolve.otio"))
    kept = [m for c in resolve.find_clips() for m in c.markers]
    assert [m.name for m in kept] == ["check: hands, costume"]
    assert kept[0].metadata["Resolve_OTIO"]["Note"] == marker.comment


def test_a_warning_answered_on_disk_leaves_no_marker(example_dir, capsys):
    text = (example_dir / "shotreel.yaml").read_text()
    (example_dir / "shotreel.yaml").write_text(text.replace("palm", "leaf").replace("peels off", "slips"))
    assert main(["reel", str(example_dir)]) == 0
    reel = otio.adapters.read_from_file(str(example_dir / "edit" / "reel.otio"))
    assert not any(c.markers for c in reel.find_clips())


# -- the command -----------------------------------------------------------------------------------

def test_shotreel_reel_writes_the_otio_and_prints_notes(example_dir, capsys):
    add_take(example_dir, "sh030", "t001", frames=48)
    assert main(["reel", str(example_dir)]) == 0
    out = capsys.readouterr().out
    written = example_dir / "edit" / "reel.otio"
    assert f"wrote {written}" in out and "the board shows for the last 48" in out
    reel = otio.adapters.read_from_file(str(written))
    assert [c.name for c in reel.tracks[0]] == [s.id for s in load_project(example_dir).shots()]


def test_shotreel_reel_writes_other_formats_by_suffix(example_dir, capsys, tmp_path):
    out = tmp_path / "cut.edl"
    assert main(["reel", str(example_dir), "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "note: EDL" in printed and out.read_text().startswith("TITLE: Green Hours")


def test_shotreel_reel_refuses_an_unknown_suffix_and_writes_nothing(example_dir, capsys, tmp_path):
    assert main(["reel", str(example_dir), "-o", str(tmp_path / "cut.mov")]) == 2
    err = capsys.readouterr().err
    assert "shotreel: error:" in err and ".otio, .otioz, .edl, .xml, .aaf" in err
    assert not list(tmp_path.glob("*cut.mov*"))


def test_shotreel_reel_on_a_broken_project_names_the_line_and_writes_nothing(example_dir, capsys):
    text = (example_dir / "shotreel.yaml").read_text()
    (example_dir / "shotreel.yaml").write_text(text.replace("duration: 4s", "duration: 4x", 1))
    assert main(["reel", str(example_dir)]) == 2
    err = capsys.readouterr().err
    assert "shotreel.yaml:" in err and "4x" in err and "Traceback" not in err
    assert not list((example_dir / "edit").iterdir())


def test_shotreel_reel_refuses_a_film_the_checks_reject(example_dir, capsys):
    text = (example_dir / "shotreel.yaml").read_text()
    (example_dir / "shotreel.yaml").write_text(text.replace("beat: sign", "beat: nowhere", 1))
    assert main(["reel", str(example_dir)]) == 2
    err = capsys.readouterr().err
    assert "shot sh030: beat 'nowhere' does not exist" in err and err.count("\n") == 1
    assert not list((example_dir / "edit").iterdir())



def test_the_resolve_variant_has_its_own_default_name_and_leaves_the_main_reel(example_dir, capsys):
    assert main(["reel", str(example_dir)]) == 0
    main_reel = (example_dir / "edit" / "reel.otio").read_bytes()
    assert main(["reel", str(example_dir), "--for", "resolve"]) == 0
    assert f"wrote {example_dir / 'edit' / 'reel-resolve.otio'}" in capsys.readouterr().out
    assert (example_dir / "edit" / "reel.otio").read_bytes() == main_reel
    variant = otio.adapters.read_from_file(str(example_dir / "edit" / "reel-resolve.otio"))
    assert all(len(c.media_references()) == 1 for c in variant.find_clips())


def test_a_take_whose_sidecar_has_no_probe_is_probed_and_every_format_writes(tmp_path: Path) -> None:
    from tests._media_support import add_take as add_real_take
    from tests._media_support import tiny_example

    folder = tmp_path / "film"
    tiny_example(folder)
    clip = add_real_take(folder, "sh020", "t1", 130, created=1.0)
    sidecar = json.loads(clip.with_suffix(".json").read_text())
    del sidecar["probe"]  # written by hand, or by a tool that does not probe
    clip.with_suffix(".json").write_text(json.dumps(sidecar))
    add_real_take(folder, "sh020", "t2", 100, created=2.0)  # the newest: t1 is an alternate on the clip
    for suffix in (".otio", ".xml", ".edl"):
        assert main(["reel", str(folder), "-o", str(folder / "edit" / f"reel{suffix}")]) == 0
    timeline = otio.adapters.read_from_file(str(folder / "edit" / "reel.otio"))
    clip_ = next(c for c in timeline.find_clips() if "t2.mp4" in getattr(c.media_reference, "target_url", ""))
    t1 = next(r for r in clip_.media_references().values() if getattr(r, "target_url", "").endswith("t1.mp4"))
    assert t1.available_range.duration.to_frames() == 130
