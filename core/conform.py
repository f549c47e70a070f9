"""The cut: how long each shot runs and which frames of which take fill it (DESIGN §6a).

A shot's planned ``duration`` in ``shotreel.yaml`` is what generation aims for; the editor's select
(``selects.yaml``: the chosen take and its trims) is the cut. :func:`conform` turns a film, its takes
and its selects into one :class:`ShotCut` per shot, and everything that shows the film — the reel in
every format, the animatic, the hosts — places shots from it, so they all agree frame for frame:

- a shot without a take runs for its planned duration (its board);
- a select with an out point runs for exactly its trims (``out - in`` frames of the take, as film
  frames: a take at another rate is placed in real time, never retimed, and never asked for a frame
  past its ``out``);
- otherwise the shot runs for its planned duration from the trim in, and the take fills as much of it
  as it has frames: a take that runs short ends early and the board shows for the rest, so no source
  range ever leaves the take's media.

Every decision that changes what the editor sees is a note on the shot (one line each).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction

from . import timing
from .media import MediaError
from .model import Film, Selection, Shot, Take
from .takes import chosen_take, find_takes, load_selects, take_length


@dataclass
class ShotCut:
    """One shot as the cut plays it.

    ``record_in`` is the shot's first frame counted from the film's start; ``length`` the frames it
    runs in the cut and ``planned`` those ``shotreel.yaml`` asks for (both at the film's rate).
    ``take`` is the take on screen (``None``: the board), ``selection`` the select that chose it
    (``None`` when the shot follows its newest take); ``source_in`` is the first frame used of the
    take (its own frames) and ``covered`` how many film frames of the shot the take fills from the
    shot's start (``covered < length``: the take runs short and the board shows after it).
    """

    shot: Shot
    record_in: int
    length: int
    planned: int
    take: Take | None = None
    selection: Selection | None = None
    source_in: int = 0
    covered: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def record_out(self) -> int:
        """The frame after the shot's last, counted from the film's start."""
        return self.record_in + self.length

    @property
    def take_rate(self) -> Fraction | None:
        """The rate of the take on screen (its probed rate), ``None`` when it has none recorded."""
        return self.take.fps if self.take is not None else None

    def source_out(self, film_fps: Fraction) -> int:
        """The frame after the last one used of the take, in the take's own frames."""
        rate = self.take_rate or film_fps
        return self.source_in + math.ceil(Fraction(self.covered) * rate / film_fps)


@dataclass
class Conform:
    """The whole cut: one :class:`ShotCut` per shot in story order; ``length`` is the film's runtime."""

    shots: list[ShotCut]
    fps: Fraction

    @property
    def length(self) -> int:
        return self.shots[-1].record_out if self.shots else 0

    def by_shot(self) -> dict[str, ShotCut]:
        return {cut.shot.id: cut for cut in self.shots}

    def notes(self) -> list[str]:
        """Every shot's notes as ``shot ID: …`` lines, in story order."""
        return [f"shot {cut.shot.id}: {note}" for cut in self.shots for note in cut.notes]


def _film_frames(take_frames: int | Fraction, take_rate: Fraction, film_fps: Fraction) -> int:
    """Whole film frames that ``take_frames`` of a take at ``take_rate`` fill (never more than it has)."""
    return math.floor(Fraction(take_frames) * film_fps / take_rate)


def shot_cut(film: Film, shot: Shot, takes: list[Take], selection: Selection | None, record_in: int = 0,
             probe: bool = False) -> ShotCut:
    """How ``shot`` plays in the cut (see the module doc), placed at ``record_in``.

    ``probe`` reads the length of a take whose sidecar does not record it (else such a take is trusted
    to cover the shot); a take that cannot be read then leaves the shot on its board, with a note.
    """
    planned = shot.duration
    cut = ShotCut(shot, record_in, planned, planned)
    take = chosen_take(takes, selection)
    if take is None:
        if selection is not None:
            cut.notes.append(f"select names take {selection.take!r}, which is not on disk; showing the board")
        return cut
    if selection is not None and selection.take != take.id:
        cut.notes.append(f"selected take {selection.take!r} is not on disk; using the newest, {take.id!r}")
        selection = None
    frames = take.frames
    if frames is None and probe:
        try:
            frames, _ = take_length(take)
        except MediaError as exc:
            cut.notes.append(f"take {take.id!r} cannot be read ({exc.message}); showing the board")
            return cut
    cut.take, cut.selection = take, selection
    rate = take.fps or film.fps
    if rate != film.fps:
        cut.notes.append(f"take {take.id!r} runs at {timing.fps_label(rate)} fps, the film at "
                         f"{timing.fps_label(film.fps)}: placed in real time, not retimed")
    trim_in = int(selection.trim_in or 0) if selection is not None else 0
    if frames is not None and trim_in >= frames:
        cut.notes.append(f"trim in {trim_in} is past the end of take {take.id!r} ({frames} frames); "
                         "using frame 0")
        trim_in = 0
    cut.source_in = trim_in
    trim_out = selection.trim_out if selection is not None else None
    if trim_out is not None:
        out = int(trim_out)
        if frames is not None and out > frames:
            cut.notes.append(f"trim out {out} is past the end of take {take.id!r} ({frames} frames); "
                             f"cut at {frames}")
            out = frames
        cut.length = cut.covered = max(1, _film_frames(max(1, out - trim_in), rate, film.fps))
        if cut.length != planned:
            cut.notes.append(f"cut to {cut.length} frames by its select (planned {planned})")
        return cut
    cut.covered = planned
    if frames is not None:
        available = _film_frames(frames - trim_in, rate, film.fps)
        if available < planned:
            cut.covered = max(0, available)
            cut.notes.append(f"take {take.id!r} has {frames} frames; from frame {trim_in} it fills "
                             f"{cut.covered} of the shot's {planned}: the board shows for the last "
                             f"{planned - cut.covered}")
    return cut


def conform(film: Film, takes: Mapping[str, list[Take]] | None = None,
            selects: Mapping[str, Selection] | None = None, probe: bool = False) -> Conform:
    """Every shot of ``film`` as the cut plays it, back to back from frame 0 (see the module doc).

    ``takes`` and ``selects`` default to what is on disk; ``probe`` as for :func:`shot_cut`.
    """
    takes = find_takes(film) if takes is None else takes
    selects = load_selects(film) if selects is None else selects
    shots = []
    position = 0
    for shot in film.shots():
        cut = shot_cut(film, shot, takes.get(shot.id) or [], selects.get(shot.id), position, probe)
        shots.append(cut)
        position += cut.length
    return Conform(shots, film.fps)


def same_cut(film: Film, shot: Shot, takes: list[Take], a: Selection | None, b: Selection | None) -> bool:
    """Whether selects ``a`` and ``b`` play ``shot`` identically (same take, frames and length), so that
    reading back a cut that matches the project changes nothing in ``selects.yaml``."""
    if a == b:
        return True
    one, two = shot_cut(film, shot, takes, a), shot_cut(film, shot, takes, b)
    same_take = (one.take.id if one.take else None) == (two.take.id if two.take else None)
    return same_take and (one.source_in, one.length, one.covered) == (two.source_in, two.length, two.covered)
