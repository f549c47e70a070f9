"""The loop shotreel exists for: reel → editor → `sync` → reel changes nothing the editor did.

In every format an editor sends back (OTIO with and without shotreel's metadata, FCP7 XML, EDL, AAF):
reading back a reel shotreel just wrote changes nothing, and an editor's choices (another take, a
slip, a shorter or longer shot) come back as selects that rebuild the same cut, frame for frame.
"""

from __future__ import annotations

from pathlib import Path

import opentimelineio as otio
import pytest
from shotreel import timing
from shotreel.cli import main
from shotreel.conform import conform
from shotreel.cuts import read_cut
from shotreel.interchange import write_reel
from shotreel.model import Selection
from shotreel.project import load_project
from shotreel.reel import NAMESPACE, TAKES_TRACK, build_reel
from shotreel.sync import sync_selects
from shotreel.takes import load_selects

from ._reel_support import add_board, add_take, example_at, write_selects

FORMATS = [".otio", "bare.otio", ".xml", ".edl", ".aaf"]
"""``bare.otio``: an OTIO cut from a host that dropped every bit of shotreel's metadata (Resolve does)."""

SELECTS = """shots:
  sh020: {take: t1, in: 12, out: 100}
  sh050: {take: t2, in: 20}
"""


@pytest.fixture(params=["24", "29.97"])
def film_dir(request, tmp_path: Path) -> Path:
    folder = tmp_path / "film"
    fps = request.param
    example_at(folder, fps, "01:00:00;00" if fps == "29.97" else "01:00:00:00")
    rate = "30000/1001" if fps == "29.97" else 24
    add_take(folder, "sh020", "t1", fps=rate, frames=140, created=1)
    add_take(folder, "sh020", "t2", fps=rate, frames=120, created=2)
    add_take(folder, "sh030", "t1", fps=rate, frames=96, created=1)
    add_take(folder, "sh030", "t2", fps=rate, frames=110, created=2)
    add_take(folder, "sh040", "t1", fps=rate, frames=80, created=1)  # shorter than its shot
    add_take(folder, "sh050", "t1", fps=rate, frames=144, created=1)
    add_take(folder, "sh050", "t2", fps=rate, frames=200, created=2)
    add_board(folder, "sh010")
    add_board(folder, "sh040")
    write_selects(folder, SELECTS)
    return folder


def _write(timeline: otio.schema.Timeline, folder: Path, fmt: str, name: str) -> Path:
    path = folder / "edit" / (f"{name}-bare.otio" if fmt == "bare.otio" else f"{name}{fmt}")
    path.parent.mkdir(exist_ok=True)
    if fmt == "bare.otio":
        timeline = timeline.deepcopy()
        for item in timeline.find_children():
            item.metadata.pop(NAMESPACE, None)
            for ref in getattr(item, "media_references", dict)().values():
                ref.metadata.pop(NAMESPACE, None)
        for marker in timeline.tracks.markers:
            marker.metadata.pop(NAMESPACE, None)
        timeline.metadata.pop(NAMESPACE, None)
    write_reel(timeline, path)
    return path


def _seen(path: Path, fps) -> list[tuple]:
    """What an editor sees in a cut: each visible clip's media file, source frames and record frames."""
    cut = read_cut(path, rate=fps if path.suffix == ".edl" else None)
    return [(Path(c.media).name if c.media else c.name, c.source_in if not c.still else None, c.duration,
             c.record_in) for c in cut.clips]


def _rate(film) -> float:
    return timing.otio_rate(film.fps)


def _editors_cut(folder: Path) -> otio.schema.Timeline:
    """The editor at work on the reel: sh030 switched to its older take and cut to 80 frames, sh020
    slipped 4 frames later and cut to 88, sh050 run longer (174 frames from the same in point),
    rippling the boards and the audio with them."""
    film = load_project(folder)
    planned = conform(film).by_shot()
    timeline = build_reel(film)
    rate = _rate(film)
    changes = {"sh030": ("t1", 0, 80), "sh020": (None, 16, 88), "sh050": (None, 20, 174)}
    for shot, (take, source_in, length) in changes.items():
        duration = otio.opentime.RationalTime(length, rate)
        for track in timeline.tracks:
            if track.name == TAKES_TRACK:
                index = next(i for i, c in enumerate(track) if c.name == shot)
                clip = track[index]
                if take:
                    clip.active_media_reference_key = take
                clip.source_range = otio.opentime.TimeRange(otio.opentime.RationalTime(source_in, rate), duration)
                if planned[shot].covered < planned[shot].length:
                    del track[index + 1]  # the board that showed after a take that ran short
                continue
            board = next(i for i, c in enumerate(timeline.tracks[0]) if c.name == shot)
            item = track[board]  # every other track has one item per shot
            item.source_range = otio.opentime.TimeRange(item.source_range.start_time, duration)
    return timeline


@pytest.mark.parametrize("fmt", FORMATS)
def test_reading_back_a_reel_shotreel_wrote_changes_nothing(film_dir: Path, fmt: str) -> None:
    film = load_project(film_dir)
    before = (film_dir / "selects.yaml").read_bytes()
    path = _write(build_reel(film), film_dir, fmt, "reel")
    result = sync_selects(film, path)
    assert result.changes == [] and result.written is None, result.changes
    assert (film_dir / "selects.yaml").read_bytes() == before
    assert load_selects(load_project(film_dir))["sh020"] == Selection("sh020", "t1", 12, 100)
    assert "sh030" not in load_selects(load_project(film_dir))  # still follows its newest take


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_editors_cut_survives_sync_and_a_new_reel(film_dir: Path, fmt: str) -> None:
    edited = _write(_editors_cut(film_dir), film_dir, fmt, "editor")
    film = load_project(film_dir)
    result = sync_selects(film, edited)
    assert result.written is not None and result.unmatched == []
    film = load_project(film_dir)
    selects = load_selects(film)
    assert selects["sh030"] == Selection("sh030", "t1", None, 80)
    assert selects["sh020"] == Selection("sh020", "t1", 16, 104)
    assert selects["sh050"] == Selection("sh050", "t2", 20, 194)
    rebuilt = _write(build_reel(film), film_dir, fmt, "rebuilt")
    assert _seen(rebuilt, film.fps) == _seen(edited, film.fps)
    again = sync_selects(film, rebuilt)  # and the next pass is a no-op
    assert again.changes == []
    cut = conform(film).by_shot()
    assert (cut["sh030"].length, cut["sh020"].length, cut["sh050"].length) == (80, 88, 174)


def test_a_take_shorter_than_its_shot_never_plays_past_its_media_in_any_format(film_dir: Path) -> None:
    film = load_project(film_dir)
    for fmt in (".edl", ".xml", ".aaf"):
        path = _write(build_reel(film), film_dir, fmt, "short")
        cut = read_cut(path, rate=film.fps if fmt == ".edl" else None)
        sh040 = [c for c in cut.clips if c.media and "sh040" in c.media]
        take = next(c for c in sh040 if not c.still)
        assert (take.source_in, take.source_out) == (0, 80), fmt
        board = next(c for c in sh040 if c.still)  # the board shows for the rest of the shot
        assert board.record_in == take.record_out, fmt
        assert board.duration == film.shot("sh040").duration - 80, fmt


def test_sync_cli_says_nothing_changed(film_dir: Path, capsys) -> None:
    assert main(["reel", str(film_dir), "-o", str(film_dir / "edit" / "reel.edl")]) == 0
    capsys.readouterr()
    assert main(["sync", str(film_dir), str(film_dir / "edit" / "reel.edl")]) == 0
    out = capsys.readouterr().out
    assert "select " not in out and "wrote" not in out


def test_every_edl_source_has_a_reel_name_of_its_own(film_dir: Path) -> None:
    """A conform by reel name (what EDL tools do) tells every take and board apart."""
    for shot in load_project(film_dir).shots():
        add_take(film_dir, shot.id, "t001", frames=300, created=0.5)  # eleven files all called t001
    path = film_dir / "edit" / "reel.edl"
    assert main(["reel", str(film_dir), "-o", str(path)]) == 0
    reels: dict[str, set[str]] = {}
    reel = None
    for line in path.read_text().splitlines():
        fields = line.split()
        if fields and fields[0].isdigit():
            reel = fields[1]
            assert 0 < len(reel) <= 8 and reel.isalnum(), line
        elif line.startswith("* FROM CLIP:") and reel:
            reels.setdefault(reel, set()).add(line.split(":", 1)[1].strip())
    paths = [p for group in reels.values() for p in group]
    assert all(len(group) == 1 for group in reels.values())  # one file per reel
    assert len(paths) == len(set(paths)) >= 12  # and one reel per file
    assert {"SH020T1", "SH040B"} <= set(reels) and reels["SH020T1"] == {str(film_dir / "takes/sh020/t1.mp4")}


@pytest.mark.parametrize("fmt", [".otio", ".edl", ".xml"])
def test_import_cut_on_a_reel_brings_its_takes_and_selects_back(film_dir: Path, tmp_path: Path, fmt: str) -> None:
    film = load_project(film_dir)
    reel = _write(build_reel(film), film_dir, fmt, "reel")
    new = tmp_path / "again"
    assert main(["import-cut", str(reel), str(new)] + (["--fps", timing.fps_label(film.fps)]
                                                         if fmt == ".edl" else [])) == 0
    again = load_project(new)
    assert [s.id for s in again.shots()] == [s.id for s in film.shots()]
    assert [s.duration for s in again.shots()] == [c.length for c in conform(film).shots]  # a short take's
    # board after it is one shot with it, not a shot of its own
    kept = sorted(p.relative_to(new).as_posix() for p in (new / "takes").rglob("*.*"))
    on_screen = {"sh020": "t1", "sh030": "t2", "sh040": "t1", "sh050": "t2"}
    expected = {f"takes/{shot}/{take}.{ext}" for shot, take in on_screen.items() for ext in ("mp4", "json")}
    if fmt == ".otio":  # the OTIO reel lists every take of a shot
        expected |= {f"takes/{shot}/t{n}.{ext}" for shot in ("sh020", "sh030", "sh050") for n in (1, 2)
                     for ext in ("mp4", "json")}
    assert set(kept) == expected
    sidecar = (new / "takes/sh020/t1.json").read_text()
    assert sidecar == (film_dir / "takes/sh020/t1.json").read_text()  # provenance travels with the take
    # sh020 now lasts its cut's 88 frames, so from frame 12 it needs no out point
    assert load_selects(again) == {"sh020": Selection("sh020", "t1", 12), "sh050": Selection("sh050", "t2", 20)}
    rebuilt = _write(build_reel(again), new, fmt, "rebuilt")
    assert [row[1:] for row in _seen(rebuilt, film.fps)] == [row[1:] for row in _seen(reel, film.fps)]
