"""A film on a host's timeline: the layout (where each shot sits, which lens frames it), the reel as strips,
and an editor's strips back to a cut and selects.

:func:`layout_plan` turns a :class:`~shotreel.model.Film` into plain data a 3D host (the Blender
extension) builds from: one camera and one marker per shot, at the shot's first frame of a single
timeline that starts at ``FIRST_FRAME`` and runs the film's length, at the film's exact rate and
resolution. Everything that is not about the host lives here, so it is tested without Blender:

- shots follow each other in story order with no gap: shot *n* starts where shot *n - 1* ends
  (``end`` is exclusive), so the timeline is exactly the reel's length;
- the lens comes from the shot's camera (``85mm``, ``100mm macro``, ``35 mm``); a shot without one
  gets ``DEFAULT_LENS_MM``, the normal lens of a full-frame still camera, and says so (``lens_given``);
- names are the shot ids, so a camera, a marker and a board file are found by the same word.

Building again must keep what the artist did in the host. The host remembers, per shot, what shotreel
wrote last (:func:`written_record`: lens, first and end frame, board distance) and :func:`update_shot`
applies the three-way rule to it: a value the artist changed since is theirs, a value still as shotreel
wrote it follows the shot list, and a shot whose first frame moved carries its keys, marker and
drawings with it (``shift``). New cameras go where no camera stands (:func:`free_places`); a shot's
board is drawn at the distance where its camera's frame is one unit wide (:func:`board_distance`), and
the sidebar shows the shot as a board artist reads it (:func:`shot_sheet`, :func:`wrap_sheet`).

The timeline starts at frame 1 (a host's convention; the reel's timecode is the film's
``start_timecode``): ``frame_of_timecode`` and ``timecode_of_frame`` convert between the two.

:func:`reel_strips` places the reel (:func:`shotreel.reel.build_reel`) on the same timeline as an
editor's strips: each shot's board on channel 1, its takes above it (the shot's *n*-th take on channel
*1 + n*), the chosen take active with its trim in, the others there to switch to; :func:`conform_strips`
makes the same strips straight from the conform, without building the timeline. :func:`cut_timeline`
goes the other way: an editor's strips, however they were moved, trimmed or muted, as an OTIO cut that
:func:`shotreel.sync.sync_selects` reads back into ``selects.yaml``.
"""

from __future__ import annotations

import math
import os
import re
import textwrap
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import NamedTuple

import opentimelineio as otio

from . import timing
from .conform import Conform, conform
from .cuts import CutClip
from .errors import ProjectError
from .model import Film, Selection, Take
from .reel import BOARDS_DIR, BOARDS_TRACK, TAKES_TRACK, default_board, shot_block
from .sync import clip_selection
from .takes import find_take, find_takes, holding_selects_lock, select_take

FIRST_FRAME = 1
DEFAULT_LENS_MM = 50.0
_LENS = re.compile(r"(\d+(?:\.\d+)?)\s*mm\b", re.IGNORECASE)


@dataclass(frozen=True)
class LayoutShot:
    """One shot on the layout timeline: ``start`` inclusive, ``end`` exclusive, in timeline frames."""

    id: str
    scene: str
    beat: str
    start: int
    end: int
    lens_mm: float
    lens_given: bool
    camera: str
    """What the camera frames, as a compact line (``MCU · low angle · push in · 35mm``)."""
    action: str
    dialogue: tuple[str, ...] = ()
    """Each spoken line as ``MARA (whispering): That bay's been dead for months.``"""
    continuity: str = ""
    sound: str = ""
    timecode: str = ""
    """The record timecode of the shot's first frame."""
    end_timecode: str = ""
    """The record timecode just after its last frame (an EDL's record out)."""

    @property
    def duration(self) -> int:
        return self.end - self.start


@dataclass(frozen=True)
class Layout:
    """A film's layout: its timeline (``start`` .. ``end`` exclusive), rate, frame size and shots."""

    title: str
    fps: Fraction
    resolution: tuple[int, int]
    start: int
    end: int
    start_timecode: str
    shots: tuple[LayoutShot, ...]

    @property
    def duration(self) -> int:
        return self.end - self.start

    def shot_at(self, frame: int) -> LayoutShot | None:
        """The shot on screen at timeline ``frame`` (``None`` outside the film)."""
        for shot in self.shots:
            if shot.start <= frame < shot.end:
                return shot
        return None


def lens_mm(text: str) -> float | None:
    """The focal length in millimetres a camera note names (``"100mm macro"`` → 100.0), else None."""
    match = _LENS.search(text or "")
    return float(match.group(1)) if match else None


def layout_plan(film: Film) -> Layout:
    """The layout of ``film``: every shot in story order from ``FIRST_FRAME``, with its lens."""
    shots = []
    position = FIRST_FRAME
    for shot in film.shots():
        focal = lens_mm(shot.camera.lens)
        shots.append(LayoutShot(id=shot.id, scene=shot.scene, beat=shot.beat, start=position,
                                end=position + shot.duration, lens_mm=focal or DEFAULT_LENS_MM,
                                lens_given=focal is not None, camera=shot.camera.describe(), action=shot.action,
                                dialogue=tuple(line.describe() for line in shot.dialogue),
                                continuity=shot.continuity, sound=shot.sound,
                                timecode=timecode_of_frame(film, position),
                                end_timecode=timecode_of_frame(film, position + shot.duration)))
        position += shot.duration
    return Layout(title=film.title, fps=film.fps, resolution=film.resolution, start=FIRST_FRAME, end=position,
                  start_timecode=timing.format_timecode(film.start_frame, film.fps), shots=tuple(shots))


def timecode_of_frame(film: Film, frame: int) -> str:
    """The record timecode of layout timeline ``frame`` (the film's start timecode at ``FIRST_FRAME``)."""
    return timing.format_timecode(film.start_frame + frame - FIRST_FRAME, film.fps)


def frame_of_timecode(film: Film, timecode: str) -> int:
    """The layout timeline frame of a record ``timecode`` of the film."""
    return timing.parse_timecode(timecode, film.fps) - film.start_frame + FIRST_FRAME


SENSOR_MM = 36.0
"""Full-frame width: the focal lengths in a shot list are full-frame equivalents."""
CAMERA_SPACING = 3.0
"""Metres between new cameras on their row (x = spacing × slot, looking down +Y)."""
CAMERA_ROW = (-10.0, 1.6)
"""The row's y and height (eye height) in metres."""
_TOLERANCE = 1e-4  # hosts store lenses and distances as float32


def _same(a: float, b: float) -> bool:
    return abs(float(a) - float(b)) <= _TOLERANCE * max(1.0, abs(float(b)))


def follow(last: float | None, current: float, planned: float) -> float:
    """The three-way rule for a value shotreel set in a host: ``current`` when the artist changed it since
    shotreel wrote ``last`` (theirs to keep), else ``planned`` (what the project asks now). ``last`` None:
    shotreel never wrote it, so it takes ``planned``."""
    if last is None or _same(current, last):
        return planned
    return current


def board_distance(lens: float, sensor_mm: float = SENSOR_MM) -> float:
    """How far in front of a camera of focal length ``lens`` (mm) its frame is exactly one unit wide: the
    board's plane, so a drawing one unit wide fills the frame whatever the lens."""
    return float(lens) / sensor_mm


def written_record(shot: LayoutShot, lens: float, distance: float) -> dict[str, float | int]:
    """What shotreel wrote for ``shot`` in the host (kept there, read back by :func:`update_shot`)."""
    return {"start": shot.start, "end": shot.end, "lens": float(lens), "board_distance": float(distance)}


@dataclass(frozen=True)
class ShotUpdate:
    """What building the layout again does to a shot the host already has.

    ``shift``: frames its camera keys, marker and drawings move by (its first frame moved); ``end``: where its
    board's closing blank frame goes; ``lens``: the lens it gets (the artist's when they changed it);
    ``lens_kept``: the shot list changed the lens but the artist's wins (to report); ``board_distance``: the
    board's distance (None: the artist moved the board, leave it); ``record``: what to remember as written
    (a value the artist owns keeps shotreel's last one, so the artist's stays theirs next time too)."""

    shift: int
    end: int
    lens: float
    lens_kept: bool
    board_distance: float | None
    record: dict[str, float | int]


def update_shot(shot: LayoutShot, written: Mapping[str, float] | None, lens_now: float,
                distance_now: float | None = None) -> ShotUpdate:
    """Apply :func:`follow` to ``shot`` against what shotreel ``written`` last (``None`` or missing keys: never
    written; a new camera) and what the host holds now (``lens_now``, the board's ``distance_now``)."""
    written = written or {}
    last_lens = written.get("lens")
    lens = follow(last_lens, lens_now, shot.lens_mm)
    # the artist's, unless it is what the shot list asks now: then the two agree, and it follows again
    artist_lens = last_lens is not None and not _same(lens_now, last_lens) and not _same(lens_now, shot.lens_mm)
    kept = artist_lens and not _same(shot.lens_mm, last_lens)
    last_distance = written.get("board_distance")
    artist_board = distance_now is not None and last_distance is not None and not _same(distance_now, last_distance)
    distance = None if artist_board else board_distance(lens)
    start = written.get("start")
    record = written_record(shot, last_lens if artist_lens else shot.lens_mm,
                            last_distance if artist_board else distance)
    return ShotUpdate(shift=0 if start is None else shot.start - int(start), end=shot.end, lens=lens,
                      lens_kept=kept, board_distance=distance, record=record)


def free_places(taken: Iterable[tuple[float, float, float]], count: int,
                spacing: float = CAMERA_SPACING) -> list[tuple[float, float, float]]:
    """``count`` places for new cameras on the camera row, each ``spacing`` apart and none within half a
    spacing of a camera already ``taken`` (where the artist moved one, its slot is free again)."""
    y, z = CAMERA_ROW
    used = set()
    for position in taken:
        slot = round(position[0] / spacing)
        if math.dist(position, (slot * spacing, y, z)) < spacing / 2:
            used.add(slot)
    places: list[tuple[float, float, float]] = []
    slot = 0
    while len(places) < count:
        if slot not in used:
            places.append((slot * spacing, y, z))
        slot += 1
    return places


class SheetLine(NamedTuple):
    """A line of the shot sheet: ``heading`` lines name a field, the others hold its words."""

    text: str
    heading: bool = False


def _seconds(frames: int, fps: Fraction) -> str:
    return f"{round(float(Fraction(frames) / fps), 2):g}s"


def shot_sheet(shot: LayoutShot, fps: Fraction) -> list[tuple[str, str]]:
    """The shot as a board artist reads it, field by field (empty fields left out): shot, beat, scene,
    duration (seconds and frames), record timecode in and out, action, each dialogue line, camera, sound and
    continuity."""
    rows = [("Shot", shot.id), ("Beat", shot.beat), ("Scene", shot.scene),
            ("Duration", f"{_seconds(shot.duration, fps)} · {shot.duration} frames"),
            ("Timecode", f"{shot.timecode} – {shot.end_timecode}" if shot.timecode else ""),
            ("Action", shot.action)]
    rows += [("Dialogue", line) for line in shot.dialogue]
    rows += [("Camera", shot.camera), ("Sound", shot.sound), ("Continuity", shot.continuity)]
    return [(label, " ".join(str(text).split())) for label, text in rows if str(text).strip()]


def wrap_sheet(rows: Iterable[tuple[str, str]], width: int) -> list[SheetLine]:
    """``rows`` as lines of at most ``width`` characters (at least 12): a field that fits is one line
    (``Beat: sign``); a longer one is its name, then its words wrapped."""
    width = max(12, int(width))
    lines: list[SheetLine] = []
    for label, text in rows:
        if len(label) + 2 + len(text) <= width:
            lines.append(SheetLine(f"{label}: {text}", heading=True))
            continue
        lines.append(SheetLine(label, heading=True))
        lines += [SheetLine(part) for part in textwrap.wrap(text, width, break_long_words=True,
                                                            break_on_hyphens=False)]
    return lines


@dataclass(frozen=True)
class ReelStrip:
    """One strip of the reel on the layout timeline.

    ``path`` is the board or take file (``None``: a board not drawn yet, a placeholder of the shot's
    length); ``start`` and ``duration`` are timeline frames; ``offset`` the frames of the media skipped
    at its head (the select's trim in, in the take's own frames: a host plays a take frame for frame,
    and the reel reports a take at another rate); ``active`` marks the take the reel shows.
    """

    shot: str
    kind: str  # "board" or "take"
    take: str | None
    path: str | None
    channel: int
    start: int
    duration: int
    offset: int = 0
    active: bool = True


def conform_strips(film: Film, cut: Conform, takes: Mapping[str, list[Take]]) -> list[ReelStrip]:
    """The strips :func:`reel_strips` makes of the reel :func:`shotreel.reel.build_reel` builds from ``cut``
    and ``takes``, straight from the conform (no timeline built and read back: what Load Reel needs, fast).

    Same order, paths, channels, frames, offsets and active take as ``reel_strips(build_reel(...))``: every
    board first (the shot's declared start board when its file exists, else ``boards/<shot>.png``), then the
    takes of each shot whose take is on screen, keyed and sorted as the reel keys them."""
    listed = _listed_boards(film)
    rates: dict[Fraction, Fraction] = {}  # a take's rate as its media reference reads back (one lookup a rate)
    boards: list[ReelStrip] = []
    strips: list[ReelStrip] = []
    for shot_cut in cut.shots:
        shot = shot_cut.shot
        start = FIRST_FRAME + shot_cut.record_in
        if shot.boards:
            found = default_board(film, shot)
            board = os.path.abspath(found) if found is not None else None
        else:
            board = listed.get(f"{shot.id}.png")
        boards.append(ReelStrip(shot.id, "board", None, board, 1, start, shot_cut.length))
        if shot_cut.take is None or shot_cut.covered == 0:
            continue
        keyed: dict[str, Take] = {}
        active = ""
        for take in takes.get(shot.id) or []:
            key = take.id if take.id not in keyed else take.path.name
            keyed[key] = take
            if take is shot_cut.take:
                active = key
        for n, key in enumerate(sorted(keyed), 1):
            take = keyed[key]
            offset = 0
            if key == active and shot_cut.source_in:
                # as the reel's source range and media reference say it (the reel probes a take whose sidecar
                # has no length; a take that cannot be read, Blender cannot open either)
                take_rate = take.fps or film.fps
                media_rate = rates.get(take_rate) or rates.setdefault(
                    take_rate, timing.rate_from_otio(timing.otio_rate(take_rate)))
                offset = timing.to_frames(timing.rational_time(shot_cut.source_in, take_rate), media_rate)
            strips.append(ReelStrip(shot.id, "take", key, os.path.abspath(take.path), 1 + n, start,
                                    shot_cut.covered, offset, key == active))
    return boards + strips


def _listed_boards(film: Film) -> dict[str, str]:
    """``boards/``'s files by name, as absolute paths (one listing instead of a ``stat`` per shot)."""
    if film.root is None:
        return {}
    folder = os.path.join(os.path.abspath(film.root), BOARDS_DIR)
    try:
        return {entry.name: os.path.join(folder, entry.name) for entry in os.scandir(folder) if entry.is_file()}
    except OSError:
        return {}


def reel_strips(timeline: otio.schema.Timeline, fps: Fraction) -> list[ReelStrip]:
    """The boards and takes of a reel shotreel built, as strips from ``FIRST_FRAME`` (see the module doc)."""
    tracks = {track.name: track for track in timeline.tracks}
    strips: list[ReelStrip] = []
    for track_name, kind in ((BOARDS_TRACK, "board"), (TAKES_TRACK, "take")):
        for clip in tracks[track_name].find_clips():
            placed = clip.range_in_parent()
            start = FIRST_FRAME + timing.to_frames(placed.start_time, fps)
            duration = timing.to_frames(placed.duration, fps)
            shot = str(shot_block(clip).get("shot") or clip.name)
            if kind == "board":
                ref = clip.media_reference
                path = ref.target_url if isinstance(ref, otio.schema.ExternalReference) else None
                strips.append(ReelStrip(shot, "board", None, path, 1, start, duration))
                continue
            active = clip.active_media_reference_key
            for n, (key, ref) in enumerate(sorted(clip.media_references().items()), 1):
                rate = timing.rate_from_otio(ref.available_range.start_time.rate) if ref.available_range else fps
                offset = timing.to_frames(clip.source_range.start_time, rate) if key == active else 0
                strips.append(ReelStrip(shot, "take", str(key), ref.target_url, 1 + n, start, duration, offset,
                                        key == active))
    return strips


@dataclass(frozen=True)
class EditStrip:
    """A strip as an editor left it: ``start``/``end`` (exclusive) timeline frames where it shows, ``offset``
    frames of its media cut from the head, the media's own ``rate`` (None: the film's), ``muted``."""

    name: str
    path: str | None
    channel: int
    start: int
    end: int
    offset: int = 0
    rate: Fraction | None = None
    muted: bool = False
    still: bool = False


def cut_timeline(strips: list[EditStrip], film: Film, name: str | None = None) -> otio.schema.Timeline:
    """The editor's strips as an OTIO cut at the film's rate and start timecode: one video track per
    channel (channel 1 lowest), gaps where a channel is empty, muted strips as disabled clips, each
    clip's media a plain path with its source range (the offset) in the media's own frames."""
    fps = film.fps
    timeline = otio.schema.Timeline(name=name or f"{film.title} (edit)",
                                    global_start_time=timing.rational_time(film.start_frame, fps))
    for channel in sorted({strip.channel for strip in strips}):
        track = otio.schema.Track(name=f"Video {channel}", kind=otio.schema.TrackKind.Video)
        position = FIRST_FRAME
        for strip in sorted((s for s in strips if s.channel == channel), key=lambda s: s.start):
            if strip.start < position or strip.end <= strip.start:
                continue  # overlapping on one channel: the later one is hidden anyway
            if strip.start > position:
                track.append(otio.schema.Gap(source_range=timing.time_range(0, strip.start - position, fps)))
            length = strip.end - strip.start
            rate = strip.rate or fps
            source = otio.opentime.TimeRange(timing.rational_time(strip.offset, rate),
                                             timing.rational_time(length, fps))
            if strip.path:
                ref: otio.core.MediaReference = otio.schema.ExternalReference(
                    target_url=strip.path,
                    available_range=None if strip.still else otio.opentime.TimeRange(
                        timing.rational_time(0, rate), timing.rational_time(strip.offset + length, rate)))
            else:
                ref = otio.schema.MissingReference()
            clip = otio.schema.Clip(name=strip.name, media_reference=ref, source_range=source)
            clip.enabled = not strip.muted
            track.append(clip)
            position = strip.end
        timeline.tracks.append(track)
    return timeline


@holding_selects_lock  # what it reads and what select_take writes, under one lock
def select_strip(film: Film, shot_id: str, take_id: str, strip: EditStrip) -> Selection:
    """Record in ``selects.yaml`` that take ``take_id`` of ``shot_id`` is the one the editor's ``strip`` plays,
    with its trims exactly as :func:`shotreel.sync.sync_selects` reads them from a cut: the frames cut from its
    head as trim in, and an out point only where the strip plays another length than the reel gives the shot
    (the editor trimmed or extended it; a take that runs short and was left alone records none)."""
    shot = film.shot(shot_id)
    take = find_take(film, shot_id, take_id)
    if shot is None:  # pragma: no cover - find_take refuses an unknown shot first
        raise ProjectError(f"no shot {shot_id!r} in the film")
    placed = conform(film).by_shot()[shot_id]
    rate = take.fps or film.fps
    length = strip.end - strip.start
    played = Fraction(length) * rate / film.fps
    clip = CutClip(name=strip.name, record_in=strip.start - FIRST_FRAME, record_out=strip.end - FIRST_FRAME,
                   duration=length, source_in=strip.offset, source_out=strip.offset + round(played),
                   source_rate=rate, media=strip.path)
    takes = find_takes(film).get(shot_id, [])
    selection, _ = clip_selection(film, shot, takes, clip, take, placed.length)
    return select_take(film, shot_id, selection.take, selection.trim_in, selection.trim_out)
