"""The reel as an editing application builds it item by item, and its timeline read back as a cut.

Hosts that assemble a timeline through a scripting API (DaVinci Resolve's scripts) rather than by
importing a file need the reel as plain instructions: which files go in which bin, which item goes on
which track at which absolute record frame with which source frames, the takes of each shot for a take
selector, the markers and clip colours. :func:`timeline_plan` gives exactly that, from the same cut as
every other output (:func:`shotreel.conform.conform`), so the host does no arithmetic of its own:

- record frames are absolute timecode frames (the film's start timecode is ``start_frame``), end
  exclusive; source frames count from the media's first frame (0), end exclusive;
- boards on video track 1 for the shot's cut length; the take on screen on video track 2 from its trim
  in for as long as it covers the shot; every take of the shot listed with its extent for a take
  selector (the chosen one as cut, the others from their first frame for the same length, within their
  media);
- beat markers (timeline markers, relative to the timeline's start) with the beat colours of
  :mod:`shotreel.palette`; a red marker on each shot a check warns about; each item's clip colour says
  its take status (:data:`CLIP_COLOURS`).

The way back is :func:`read_choices`: the items a host reads off its timeline (where each sits, which
media it plays from which frame) become an OTIO cut, written beside the reel, that
:func:`shotreel.sync.sync_selects` reads like any editor's cut — so sending choices from a host is the
same as exporting its timeline and running ``shotreel sync`` on it.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from . import palette, timing
from .checks import WARNING, Finding
from .conform import ShotCut, conform
from .layout import FIRST_FRAME, EditStrip, cut_timeline
from .model import Film, Selection, Take
from .reel import default_board
from .sync import SyncResult, sync_selects
from .takes import find_takes, load_selects

CLIP_COLOURS: dict[str, str] = {
    "board": "Tan",          # a board (still or placeholder): no take yet
    "newest": "Blue",        # the shot plays its newest take (no select)
    "selected": "Green",     # the editor chose this take
    "short": "Yellow",       # the take runs short: the board shows after it
    "new takes": "Orange",   # takes arrived since the timeline was built
}
"""Clip colours by take status, from Resolve's clip palette (which is not its marker palette)."""

BOARDS_TRACK_INDEX = 1
TAKES_TRACK_INDEX = 2


@dataclass(frozen=True)
class TakeExtent:
    """One take of a shot as a take selector holds it: ``source_in``/``source_out`` (exclusive) are frames
    of the take's media from its first frame; ``frames``/``fps`` what the file holds (probed)."""

    take: str
    path: str
    source_in: int
    source_out: int
    frames: int | None = None
    fps: Fraction | None = None
    status: str = "done"


@dataclass(frozen=True)
class PlannedItem:
    """One timeline item: ``kind`` ``board`` or ``take``, on video ``track`` (1-based), from absolute
    ``record_in`` to ``record_out`` (exclusive), playing ``path`` (``None``: a board not drawn yet) from
    ``source_in`` to ``source_out``. A take item lists every take of its shot, ``chosen`` (0-based) the
    one on screen."""

    shot: str
    scene: str
    kind: str
    track: int
    path: str | None
    record_in: int
    record_out: int
    source_in: int
    source_out: int
    colour: str
    takes: tuple[TakeExtent, ...] = ()
    chosen: int = 0
    notes: tuple[str, ...] = ()

    @property
    def duration(self) -> int:
        return self.record_out - self.record_in

    def metadata(self) -> dict[str, str]:
        """What a host stores on the item and its media (string values, as Resolve's metadata takes)."""
        data = {"shotreel.shot": self.shot, "shotreel.scene": self.scene, "shotreel.kind": self.kind}
        if self.kind == "take" and self.takes:
            data["shotreel.take"] = self.takes[self.chosen].take
        return data


@dataclass(frozen=True)
class PlannedMarker:
    """A marker: on the timeline (``shot`` None, ``frame`` from the timeline's start) or on a shot's item
    (``frame`` from the item's first frame). ``colour`` is a marker colour both OTIO and Resolve name;
    ``custom_data`` is JSON naming what the marker is about (invisible in a host's UI). ``on`` is the shot's
    item the marker belongs on: ``board`` (check warnings) or ``take`` (a stale take)."""

    frame: int
    colour: str
    name: str
    note: str
    custom_data: str
    shot: str | None = None
    on: str = "board"


@dataclass(frozen=True)
class Bin:
    """A media bin: its ``path`` of folder names from the pool's root, and the files it holds."""

    path: tuple[str, ...]
    files: tuple[str, ...]


@dataclass
class TimelinePlan:
    """Everything a host builds for the reel (see the module doc)."""

    name: str
    fps: Fraction
    drop_frame: bool
    start_frame: int
    start_timecode: str
    resolution: tuple[int, int]
    boards: list[PlannedItem]
    takes: list[PlannedItem]
    markers: list[PlannedMarker]
    bins: list[Bin]
    notes: list[str] = field(default_factory=list)

    @property
    def end_frame(self) -> int:
        return self.start_frame + sum(item.duration for item in self.boards)

    def item(self, shot: str, kind: str = "take") -> PlannedItem | None:
        return next((i for i in (self.takes if kind == "take" else self.boards) if i.shot == shot), None)


def _take_extent(film: Film, take: Take, source_in: int, covered: int) -> TakeExtent:
    """``take`` from ``source_in`` for ``covered`` film frames, kept inside its media."""
    rate = take.fps or film.fps
    source_out = source_in + math.ceil(Fraction(covered) * rate / film.fps)
    if take.frames is not None:
        source_out = min(source_out, take.frames)
    return TakeExtent(take.id, os.path.abspath(take.path), source_in, max(source_in + 1, source_out), take.frames,
                      take.fps, take.status)


def take_extents(film: Film, cut: ShotCut, takes: list[Take]) -> tuple[TakeExtent, ...]:
    """Every take of ``cut``'s shot for a take selector: the one on screen as cut, the others from their
    first frame for as long as the shot shows its take (within their own media)."""
    extents = []
    for take in takes:
        if cut.take is not None and take.id == cut.take.id:
            extents.append(_take_extent(film, take, cut.source_in, cut.covered))
        else:
            extents.append(_take_extent(film, take, 0, cut.covered or cut.length))
    return tuple(extents)


def timeline_plan(film: Film, takes: Mapping[str, list[Take]] | None = None,
                  selects: Mapping[str, Selection] | None = None, findings: Iterable[Finding] = (),
                  name: str | None = None, stale: Mapping[str, Mapping[str, list[str]]] | None = None) -> TimelinePlan:
    """The reel of ``film`` as items, markers and bins (see the module doc). ``findings`` are a check's
    results: its warnings about shots become red markers on them. ``stale`` maps shot id → take id → why the
    take is stale (default: :func:`shotreel.stale.stale_takes`): a take item playing one gets a red marker
    at its first frame with the reasons, as the reel's clip does."""
    takes = find_takes(film) if takes is None else takes
    if stale is None:
        from .errors import ProjectError
        from .stale import stale_takes
        try:
            stale = stale_takes(film, takes)
        except ProjectError:  # an unreadable approvals.yaml: check names it; the timeline still builds
            stale = {}
    selects = load_selects(film) if selects is None else selects
    cuts = conform(film, takes, selects)
    start = film.start_frame
    warnings: dict[str, list[Finding]] = {}
    for finding in findings:
        if finding.level == WARNING and finding.shot:
            warnings.setdefault(finding.shot, []).append(finding)
    boards: list[PlannedItem] = []
    items: list[PlannedItem] = []
    markers: list[PlannedMarker] = []
    bins: dict[tuple[str, ...], list[str]] = {}
    title = film.title
    first_of_beat: dict[str, int] = {}
    for cut in cuts.shots:
        shot = cut.shot
        record_in = start + cut.record_in
        board = default_board(film, shot)
        board_path = os.path.abspath(board) if board is not None else None
        if board_path:
            bins.setdefault((title, shot.scene or "shots", "Boards"), []).append(board_path)
        boards.append(PlannedItem(shot.id, shot.scene, "board", BOARDS_TRACK_INDEX, board_path, record_in,
                                  record_in + cut.length, 0, cut.length, CLIP_COLOURS["board"]))
        shot_takes = list(takes.get(shot.id) or [])
        for take in shot_takes:
            bins.setdefault((title, shot.scene or "shots", "Takes"), []).append(os.path.abspath(take.path))
        if cut.take is not None and cut.covered > 0:
            extents = take_extents(film, cut, shot_takes)
            chosen = next(i for i, t in enumerate(shot_takes) if t.id == cut.take.id)
            status = "short" if cut.covered < cut.length else ("selected" if cut.selection else "newest")
            on_screen = extents[chosen]
            items.append(PlannedItem(shot.id, shot.scene, "take", TAKES_TRACK_INDEX, on_screen.path, record_in,
                                     record_in + cut.covered, on_screen.source_in, on_screen.source_out,
                                     CLIP_COLOURS[status], extents, chosen, tuple(cut.notes)))
            reasons = list((stale.get(shot.id) or {}).get(cut.take.id) or [])
            if reasons:
                markers.append(PlannedMarker(
                    0, palette.WARNING_COLOUR.resolve, f"stale: {cut.take.id}", "\n".join(reasons),
                    json.dumps({"shotreel": "stale", "shot": shot.id, "take": cut.take.id, "reasons": reasons}),
                    shot=shot.id, on="take"))
        first_of_beat.setdefault(shot.beat, cut.record_in)
        if shot.id in warnings:
            found = warnings[shot.id]
            codes = list(dict.fromkeys(w.code for w in found))
            markers.append(PlannedMarker(0, palette.WARNING_COLOUR.resolve, f"check: {', '.join(codes)}",
                                         "\n".join(w.message for w in found),
                                         json.dumps({"shotreel": "check", "shot": shot.id, "codes": codes}),
                                         shot=shot.id))
    order = [b.id for b in film.beats] + [b for b in first_of_beat if film.beat(b) is None]
    for index, beat_id in enumerate(b for b in order if b in first_of_beat):
        beat = film.beat(beat_id)
        markers.append(PlannedMarker(first_of_beat[beat_id], palette.beat_colour_at(index).resolve,
                                     beat.title if beat and beat.title else beat_id,
                                     beat.summary if beat else "",
                                     json.dumps({"shotreel": "beat", "beat": beat_id})))
    return TimelinePlan(name=name or f"{title} reel", fps=film.fps,
                        drop_frame=timing.is_drop_frame_rate(film.fps), start_frame=start,
                        start_timecode=film.start_timecode, resolution=film.resolution, boards=boards,
                        takes=items, markers=markers,
                        bins=[Bin(path, tuple(dict.fromkeys(files))) for path, files in bins.items()],
                        notes=cuts.notes())


# -- the way back ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class HostItem:
    """An item as a host's timeline holds it: video ``track`` (1-based), absolute ``record_in`` /
    ``record_out`` (exclusive), the ``path`` of the media it plays (``None``: offline or generated) from
    ``source_in`` (frames of that media from its first frame) at the media's ``rate``; ``name`` as shown."""

    name: str
    track: int
    record_in: int
    record_out: int
    path: str | None
    source_in: int = 0
    rate: Fraction | None = None
    enabled: bool = True
    still: bool = False


def read_choices(film: Film, items: list[HostItem], cut_path: str | os.PathLike, start_frame: int | None = None,
                 dry_run: bool = False) -> SyncResult:
    """Write the host's ``items`` as an OTIO cut at ``cut_path`` (the timeline as the editor left it) and
    sync ``selects.yaml`` from it exactly as ``shotreel sync`` does; ``start_frame`` is the timeline's
    first record frame (default: the film's start). ``dry_run`` writes only the cut."""
    from .interchange import write_reel

    origin = film.start_frame if start_frame is None else start_frame
    strips = [EditStrip(name=i.name, path=i.path, channel=i.track, start=i.record_in - origin + FIRST_FRAME,
                        end=i.record_out - origin + FIRST_FRAME, offset=i.source_in, rate=i.rate,
                        muted=not i.enabled, still=i.still) for i in items if i.record_out > i.record_in]
    timeline = cut_timeline(strips, film, name=f"{film.title} (from the editor)")
    Path(cut_path).parent.mkdir(parents=True, exist_ok=True)
    write_reel(timeline, cut_path)
    return sync_selects(film, cut_path, dry_run=dry_run)
