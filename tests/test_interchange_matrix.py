"""The interchange matrix: the example at 23.976, 24, 25, 29.97 DF and 30, written to every format and read
back through OTIO's own adapters, frame for frame.

For every case: each shot's record in/out and duration in frames, the start timecode, and the beat
markers' positions. Where a format cannot carry something, the test asserts the documented
limitation (and the note ``write_reel`` returns about it) instead of skipping:

- EDL: one video track (Takes over Boards); the start timecode comes back as a negative track
  offset, not ``global_start_time``; markers are LOC locators on the shot clips, upper-cased; at
  29.97 DF they are written with non-drop labels, because OTIO's reader drops ``;`` LOC lines.
- FCP7 XML: markers keep name and position, lose colour and comment.
- AAF: markers are lost (OTIO's AAF writer writes none).
"""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import opentimelineio as otio
import pytest
from shotreel import timing
from shotreel.errors import ReelError
from shotreel.interchange import FORMATS, resolve_otio_text, resolve_variant, write_reel
from shotreel.project import load_project
from shotreel.reel import build_reel

from tests._reel_support import RATES, add_board, add_take, example_at

TAKES_AT = ("23.976", "29.97")  # the cases that also carry takes
BOARDED = ("sh010", "sh030", "sh120")


def make_film(folder: Path, fps: str, takes: bool):
    film = example_at(folder, fps, RATES[fps])
    for shot in BOARDED:
        add_board(folder, shot)
    if takes:
        label = timing.fps_label(film.fps)
        add_take(folder, "sh020", "t001", fps=label, frames=200, created=1)
        add_take(folder, "sh020", "t002", fps=label, frames=200, created=2)
        add_take(folder, "sh050", "t002", fps=label, frames=200, created=1)  # same file name, other shot
    return film


def expected_cut(film):
    """(start frame, [(shot, record in, record out)], [(beat title, frame)]) from the project itself."""
    shots, markers, seen = [], [], set()
    position = film.start_frame
    for shot in film.shots():
        shots.append((shot.id, position, position + shot.duration))
        if shot.beat not in seen:
            seen.add(shot.beat)
            markers.append((film.beat(shot.beat).title, position))
        position += shot.duration
    order = [b.title for b in film.beats]
    return film.start_frame, shots, sorted(markers, key=lambda m: order.index(m[0]))


def read_back(path: Path, film) -> otio.schema.Timeline:
    if path.suffix == ".edl":
        return otio.adapters.read_from_file(str(path), rate=timing.otio_rate(film.fps))
    return otio.adapters.read_from_file(str(path))


def frames(time, film) -> int:
    return timing.to_frames(time, film.fps)


def start_of(read: otio.schema.Timeline, suffix: str, film) -> int:
    if suffix == ".edl":
        # documented limitation: EDL has no global_start_time; the first record TC is a negative offset
        assert read.global_start_time is None
        return -frames(read.tracks[0].source_range.start_time, film)
    return frames(read.global_start_time, film)


def record(track, start: int, film) -> list[tuple[str, int, int]]:
    out = []
    for clip in track.find_clips():
        span = clip.range_in_parent()
        first = start + frames(span.start_time, film)
        out.append((clip.name, first, first + frames(span.duration, film)))
    return out


def markers_of(read, suffix: str, start: int, film) -> list[tuple[str, int]]:
    if suffix != ".edl":
        return [(m.name, start + frames(m.marked_range.start_time, film)) for m in read.tracks.markers]
    found = []
    for clip in read.tracks[0].find_clips():
        for m in clip.markers:
            offset = frames(m.marked_range.start_time, film) - frames(clip.source_range.start_time, film)
            found.append((m.name, start + frames(clip.range_in_parent().start_time, film) + offset))
    return found


@pytest.mark.parametrize("suffix", list(FORMATS))
@pytest.mark.parametrize("fps", list(RATES))
def test_every_rate_in_every_format_reads_back_frame_exact(tmp_path, fps, suffix):
    with_takes = fps in TAKES_AT
    film = make_film(tmp_path / "film", fps, with_takes)
    reel = build_reel(film)
    out = tmp_path / f"reel{suffix}"
    notes = write_reel(reel, out)
    read = read_back(out, film)
    start, shots, markers = expected_cut(film)

    got_start = start_of(read, suffix, film)
    assert got_start == start
    assert timing.format_timecode(got_start, film.fps) == RATES[fps]  # 01:00:00;00 at 29.97 DF

    video = [t for t in read.tracks if t.kind == otio.schema.TrackKind.Video]
    assert record(video[0], start, film) == shots  # every shot's record in / out / duration in frames
    for name, first, last in record(video[0], start, film):
        assert last - first == film.shot(name).duration

    got_markers = markers_of(read, suffix, start, film)
    if suffix == ".aaf":
        assert got_markers == [] and not any(c.markers for c in read.find_clips())  # markers lost in AAF
        assert any("AAF drops markers" in n for n in notes)
    elif suffix == ".edl":
        assert got_markers == [(title.upper(), frame) for title, frame in markers]  # LOC names are upper-case
        colors = [m.color for c in read.tracks[0].find_clips() for m in c.markers]
        assert colors == [m.color for m in reel.tracks.markers]
    else:
        assert got_markers == markers

    if suffix in (".otio", ".otioz"):
        assert read.is_equivalent_to(reel) if suffix == ".otio" else len(read.tracks) == 5
        assert [(m.color, m.comment) for m in read.tracks.markers] == [
            (m.color, m.comment) for m in reel.tracks.markers]
    if suffix == ".xml":
        assert all(m.comment == "" for m in read.tracks.markers)  # FCP7 XML: colour and comment lost
        assert any("colours and comments are lost" in n for n in notes)
        text = out.read_text()
        assert f"<string>{RATES[fps]}</string>" in text  # the sequence start shows as the film's TC (DF too)
        assert "<width>1920</width>" in text and "<height>1080</height>" in text
    if suffix == ".edl":
        assert len(read.tracks) == 1  # one video track; audio placeholders dropped
        assert any("one video track" in n for n in notes) and any("audio" in n for n in notes)
        if timing.is_drop_frame_rate(film.fps):
            assert any("non-drop labels" in n for n in notes)
            assert " 01:00:00;00 " in out.read_text()  # record timecodes stay drop-frame
    if with_takes:
        check_takes(read, suffix, film, out, start)


def check_takes(read, suffix: str, film, out: Path, start: int) -> None:
    """The chosen take is where its shot is, in every format; .otio keeps every take."""
    sh020 = next(s for s in expected_cut(film)[1] if s[0] == "sh020")
    takes_dir = (out.parent / "film" / "takes").resolve()
    if suffix == ".edl":  # flattened: the take covers its board
        event = next(c for c in read.tracks[0].find_clips() if c.name == "sh020")
        assert event.media_reference.target_url == str(takes_dir / "sh020" / "t002.mp4")
        return
    takes = [t for t in read.tracks if t.kind == otio.schema.TrackKind.Video][1]
    placed = [r for r in record(takes, start, film) if r[0] == "sh020"]
    assert placed == [sh020]
    if suffix == ".otio":
        clip = next(c for c in takes.find_clips() if c.name == "sh020")
        assert sorted(clip.media_references()) == ["t001", "t002"] and clip.active_media_reference_key == "t002"
    if suffix == ".otioz":
        with zipfile.ZipFile(out) as bundle:
            names = set(bundle.namelist())
        assert {"media/t002.mp4", "media/sh050_t002.mp4", "media/sh010.png"} <= names  # unique names


# -- Resolve ---------------------------------------------------------------------------------------

def walk(node, parents=()):
    if isinstance(node, dict):
        yield node, parents
        for value in node.values():
            yield from walk(value, parents + (node,))
    elif isinstance(node, list):
        for value in node:
            yield from walk(value, parents)


def test_the_resolve_variant_has_the_shape_resolve_imports(tmp_path):
    folder = tmp_path / "film"
    film = make_film(folder, "24", takes=True)
    reel = build_reel(film)
    out = tmp_path / "resolve.otio"
    write_reel(reel, out, for_resolve=True)
    doc = json.loads(out.read_text())
    assert doc["metadata"]["Resolve_OTIO"] == {"Resolve OTIO Meta Version": "1.0"}
    assert doc["global_start_time"] == {"OTIO_SCHEMA": "RationalTime.1", "rate": 24.0, "value": 86400.0}
    tracks = doc["tracks"]["children"]
    assert [t["name"] for t in tracks] == ["Video 1", "Video 2", "Audio 1", "Audio 2", "Audio 3"]
    assert all("Resolve_OTIO" in t["metadata"] for t in tracks)
    stock = {"Timeline.1", "Stack.1", "Track.1", "Clip.2", "Gap.1", "Marker.2", "ExternalReference.1",
             "MissingReference.1", "RationalTime.1", "TimeRange.1"}
    for node, parents in walk(doc):
        schema = node.get("OTIO_SCHEMA")
        if schema is None:
            continue
        assert schema in stock
        if schema not in ("RationalTime.1", "TimeRange.1"):
            assert "color" not in node or schema == "Marker.2", node.get("name")
            assert isinstance(node.get("metadata"), dict)
        if schema in ("Clip.2", "Gap.1", "Track.1", "Stack.1"):
            assert node["enabled"] is True
        if schema == "Clip.2":
            refs = node["media_references"]
            assert list(refs) == ["DEFAULT_MEDIA"] and node["active_media_reference_key"] == "DEFAULT_MEDIA"
            ref = refs["DEFAULT_MEDIA"]
            assert ref["available_range"] is not None
            assert "Resolve_OTIO" in node["metadata"] and "shotreel" in node["metadata"]
            if ref["OTIO_SCHEMA"] == "ExternalReference.1":
                path = ref["target_url"]
                assert os.path.isabs(path) and not path.startswith("file:") and os.path.isfile(path)
                assert node["name"] == os.path.basename(path) == ref["name"]
            else:
                url = ref["metadata"].get("Resolve_OTIO", {}).get("Media Url")
                assert url is None or os.path.isabs(url)
    video1 = tracks[0]["children"]
    assert [c["name"] for c in video1][:3] == ["sh010.png", "sh020.png", "sh030.png"]
    assert video1[1]["media_references"]["DEFAULT_MEDIA"]["metadata"]["Resolve_OTIO"]["Media Url"] == str(
        (folder / "boards" / "sh020.png").resolve())  # offline until the board is drawn, then it relinks
    take = next(c for c in tracks[1]["children"] if c["OTIO_SCHEMA"] == "Clip.2")
    assert take["name"] == "t002.mp4" and take["metadata"]["shotreel"]["shot"] == "sh020"
    assert [t["take"] for t in take["metadata"]["shotreel"]["takes"]] == ["t001", "t002"]  # the rest, mirrored
    markers = doc["tracks"]["markers"]
    assert [m["name"] for m in markers] == [b.title for b in film.beats]
    assert all(m["metadata"]["Resolve_OTIO"]["Note"] for m in markers)
    # OTIO reads it; the reel it came from is untouched
    assert len(otio.adapters.read_from_file(str(out)).tracks) == 5
    assert len(reel.tracks[1].find_clips()[0].media_references()) == 2


def test_resolve_variant_keeps_clip_markers_only_inside_their_clip(example_film):
    reel = build_reel(example_film)
    clip = reel.tracks[0][0]
    rate = clip.source_range.duration.rate
    clip.markers.append(otio.schema.Marker(name="in", marked_range=otio.opentime.TimeRange(
        otio.opentime.RationalTime(10, rate), otio.opentime.RationalTime(1, rate))))
    clip.markers.append(otio.schema.Marker(name="out", marked_range=otio.opentime.TimeRange(
        otio.opentime.RationalTime(500, rate), otio.opentime.RationalTime(1, rate))))
    variant = resolve_variant(reel)
    assert [m.name for m in variant.tracks[0][0].markers] == ["in"]
    assert '"color"' not in resolve_otio_text(variant).replace('"color": "', "")


def test_the_resolve_variant_is_otio_only(example_film, tmp_path):
    out = tmp_path / "out"
    with pytest.raises(ReelError, match="Resolve variant is OTIO"):
        write_reel(build_reel(example_film), out / "cut.edl", for_resolve=True)
    assert not out.exists()


# -- failures leave nothing behind -----------------------------------------------------------------

def test_unknown_suffix_lists_the_supported_ones(example_film, tmp_path):
    out = tmp_path / "out"
    with pytest.raises(ReelError, match=r"supported: \.otio, \.otioz, \.edl, \.xml, \.aaf"):
        write_reel(build_reel(example_film), out / "cut.mov")
    assert not out.exists()


def test_a_format_that_refuses_the_reel_leaves_no_file(example_film, tmp_path):
    reel = build_reel(example_film)
    for t in reel.tracks:
        t.enabled = False  # an EDL needs one enabled video track
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(ReelError) as caught:
        write_reel(reel, out / "cut.edl")
    assert "cut.edl" in str(caught.value)
    assert not list(out.iterdir())


def test_an_adapter_error_names_the_file_and_leaves_nothing(example_film, tmp_path):
    reel = build_reel(example_film)
    reel.tracks[0][0].effects.extend([otio.schema.LinearTimeWarp(time_scalar=2.0),
                                      otio.schema.LinearTimeWarp(time_scalar=0.5)])
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(ReelError, match=r"cut\.edl: the cmx_3600 adapter could not write the reel: .*timing effect"):
        write_reel(reel, out / "cut.edl")
    assert not list(out.iterdir())


def test_fmt_forces_a_format_whatever_the_suffix(example_film, tmp_path):
    out = tmp_path / "cut.txt"
    write_reel(build_reel(example_film), out, fmt="cmx_3600")
    assert out.read_text().startswith("TITLE: Green Hours")


def test_otioz_takes_missing_media_as_missing_and_says_so(example_dir, tmp_path):
    add_board(example_dir, "sh010")
    add_take(example_dir, "sh020", "t001")
    reel = build_reel(load_project(example_dir))
    (example_dir / "takes" / "sh020" / "t001.mp4").unlink()  # gone since the reel was built
    out = tmp_path / "reel.otioz"
    notes = write_reel(reel, out)
    assert any("1 media file(s) not found" in n for n in notes)
    read = otio.adapters.read_from_file(str(out))
    take = read.tracks[1].find_clips()[0]
    assert isinstance(take.media_reference, otio.schema.MissingReference)
    assert take.media_reference.metadata["shotreel"]["expected"].endswith("takes/sh020/t001.mp4")
    with zipfile.ZipFile(out) as bundle:
        assert "media/sh010.png" in bundle.namelist()
