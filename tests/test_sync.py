"""`shotreel sync`: the editor's cut back into selects.yaml — after round trips that drop all metadata."""

from __future__ import annotations

import shutil
from pathlib import Path

import opentimelineio as otio
import pytest
from shotreel.cli import main
from shotreel.cuts import read_cut
from shotreel.interchange import write_reel
from shotreel.model import Selection
from shotreel.project import load_project
from shotreel.reel import BOARDS_TRACK, TAKES_TRACK, build_reel
from shotreel.sync import sync_selects
from shotreel.takes import load_selects

from ._media_support import add_take, tiny_example


@pytest.fixture
def film_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "film"
    tiny_example(folder)
    add_take(folder, "sh020", "t1", 140, created=1.0)
    add_take(folder, "sh020", "t2", 120, created=2.0)
    add_take(folder, "sh030", "t1", 96, created=1.0)
    add_take(folder, "sh030", "t2", 96, created=2.0)
    add_take(folder, "sh050", "t1", 144, created=1.0)
    return folder


def _track(timeline: otio.schema.Timeline, name: str) -> otio.schema.Track:
    return next(t for t in timeline.tracks if t.name == name)


def _edit(film_dir: Path, reorder: bool = False, stock: bool = False) -> otio.schema.Timeline:
    """The editor's cut: sh020 uses its older take, slipped 12 frames; sh030 its older take; optionally
    sh030 moved before sh020 and a stock clip added at the end."""
    timeline = build_reel(load_project(film_dir))
    takes = _track(timeline, TAKES_TRACK)
    sh020 = next(c for c in takes if c.name == "sh020")
    sh020.active_media_reference_key = "t1"
    length = sh020.source_range.duration
    sh020.source_range = otio.opentime.TimeRange(otio.opentime.RationalTime(12, length.rate), length)
    next(c for c in takes if c.name == "sh030").active_media_reference_key = "t1"
    if reorder:
        for track in (_track(timeline, BOARDS_TRACK), takes):
            first, second = track[1], track[2]
            del track[2]
            del track[1]
            track.insert(1, second)
            track.insert(2, first)
    if stock:
        span = otio.opentime.TimeRange(otio.opentime.RationalTime(0, length.rate),
                                       otio.opentime.RationalTime(24, length.rate))
        media = otio.schema.ExternalReference(target_url="/stock/explosion.mov", available_range=span)
        takes.append(otio.schema.Clip(name="explosion", media_reference=media, source_range=span))
    return timeline


EXPECTED = {"sh020": Selection("sh020", "t1", 12), "sh030": Selection("sh030", "t1")}  # 12 + the shot's 120
"""sh050 plays its newest (and only) take as the reel did: it keeps following the newest take."""


@pytest.mark.parametrize("suffix", [".edl", ".xml", ".aaf"])
def test_sync_recovers_selects_and_trims_without_metadata(film_dir: Path, suffix: str) -> None:
    cut_path = film_dir / "edit" / f"cut{suffix}"
    write_reel(_edit(film_dir, reorder=True, stock=True), cut_path)
    film = load_project(film_dir)
    cut = read_cut(cut_path, rate=film.fps if suffix == ".edl" else None)
    assert all(clip.shotreel is None for clip in cut.clips)  # the format dropped every bit of metadata
    result = sync_selects(film, cut_path)
    assert load_selects(load_project(film_dir)) == EXPECTED
    assert result.written == film_dir / "selects.yaml"
    assert any(line.startswith("sh030 moved") for line in result.order) or \
        any(line.startswith("sh020 moved") for line in result.order)
    assert result.unmatched == [f"explosion (/stock/explosion.mov) at record frame {film.runtime()}"]
    assert "sh020: newest take -> take t1 [12-end]" in result.changes


def test_sync_finds_takes_after_the_project_moved_and_media_was_relinked(film_dir: Path,
                                                                         tmp_path: Path) -> None:
    timeline = _edit(film_dir)
    relinked = next(c for c in _track(timeline, TAKES_TRACK) if c.name == "sh030")
    relinked.media_reference.target_url = "D:\\Media\\sh030\\t1.mp4"  # an editor on another machine
    cut_path = tmp_path / "from-editor.edl"
    write_reel(timeline, cut_path)
    moved = tmp_path / "moved"
    shutil.move(str(film_dir), moved)
    film = load_project(moved)
    result = sync_selects(film, cut_path)
    hows = {m.shot: m.how for m in result.matches if m.take}
    assert hows["sh020"] == "media path in the project" and hows["sh030"] == "media file and folder"
    assert load_selects(film) == EXPECTED


def test_otio_round_trip_uses_the_metadata(film_dir: Path) -> None:
    cut_path = film_dir / "edit" / "cut.otio"
    write_reel(_edit(film_dir), cut_path)
    film = load_project(film_dir)
    seen: list[tuple[int, int, str]] = []
    result = sync_selects(film, cut_path, progress=lambda done, total, message: seen.append((done, total, message)))
    assert {m.shot: m.take for m in result.matches if m.take} == {"sh020": "t1", "sh030": "t1", "sh050": "t1"}
    assert load_selects(film) == EXPECTED
    clips = len(result.cut.clips)
    assert seen and seen[-1][:2] == (clips, clips)  # the matching reports its end
    assert result.order == [] and result.unmatched == []
    again = sync_selects(film, cut_path)  # nothing new: nothing written
    assert again.changes == [] and again.written is None


def test_clip_names_alone_find_the_shot(film_dir: Path, tmp_path: Path) -> None:
    timeline = _edit(film_dir)
    clip = next(c for c in _track(timeline, TAKES_TRACK) if c.name == "sh030")
    clip.media_reference.target_url = "/elsewhere/render_0001.mp4"  # renamed media: only the name is left
    cut_path = tmp_path / "cut.edl"
    write_reel(timeline, cut_path)
    film = load_project(film_dir)
    result = sync_selects(film, cut_path, dry_run=True)
    match = next(m for m in result.matches if m.clip.name == "sh030")
    assert (match.shot, match.take, match.how) == ("sh030", None, "clip name")
    assert not (film_dir / "selects.yaml").exists()  # dry run


def test_cli_reports_changes_order_and_unmatched(film_dir: Path, capsys) -> None:
    cut_path = film_dir / "edit" / "cut.edl"
    write_reel(_edit(film_dir, reorder=True, stock=True), cut_path)
    assert main(["sync", str(film_dir), str(cut_path), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "select sh020: newest take -> take t1 [12-end]" in out
    assert "order: " in out and "unmatched: explosion" in out and "dry run" in out
    assert not (film_dir / "selects.yaml").exists()
    assert main(["sync", str(film_dir), str(cut_path), "--fps", "24"]) == 0
    assert f"wrote {film_dir / 'selects.yaml'}" in capsys.readouterr().out
    assert main(["sync", str(film_dir), str(film_dir / "edit" / "none.edl")]) == 2
    assert "none.edl: no such file" in capsys.readouterr().err


def test_an_editorial_transcode_of_a_take_is_that_take(film_dir: Path, tmp_path: Path) -> None:
    timeline = _edit(film_dir)
    clip = next(c for c in _track(timeline, TAKES_TRACK) if c.name == "sh020")
    clip.media_reference.target_url = str(film_dir / "edit" / "media" / "sh020" / "t1.mov")  # DNxHR for Resolve
    cut_path = tmp_path / "cut.xml"
    write_reel(timeline, cut_path)
    result = sync_selects(load_project(film_dir), cut_path)
    match = next(m for m in result.matches if m.shot == "sh020" and m.take)
    assert (match.take, match.how) == ("t1", "media transcode (folder and name)")
    assert load_selects(load_project(film_dir))["sh020"] == Selection("sh020", "t1", 12)
