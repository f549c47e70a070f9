"""Takes on disk and the editor's selects: which generated clips a shot has, and which one is used.

A take is a clip at ``takes/<shot>/<take>.<ext>`` with an optional JSON sidecar
``takes/<shot>/<take>.json`` holding its provenance and probe (real fps and frame count).
``selects.yaml`` records the chosen take per shot and its trims (frames of the take: ``in`` the first
used, ``out`` the one after the last); a shot with takes and no select uses its newest take.
:func:`select_take` records a choice (checked against the take on disk) and :func:`write_selects`
writes the file, atomically, in story order with each trim's timecode beside it.
"""

from __future__ import annotations

import contextlib
import difflib
import functools
import json
import os
from collections.abc import Callable, Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any, TypeVar

import yaml

from .errors import ProjectError, TimingError
from .fsutil import atomic_write_text, file_lock
from .media import probe
from .model import Film, Selection, Take
from .timing import RATES, format_timecode, parse_timecode, rate_from_otio

TAKES_DIR = "takes"
SELECTS_FILE = "selects.yaml"
VIDEO_SUFFIXES = (".mp4", ".mov", ".webm", ".mkv", ".m4v")


def _take_from_file(shot_id: str, clip: Path, resolved: Path | None = None, has_sidecar: bool | None = None) -> Take:
    """The take ``clip`` of ``shot_id`` (``resolved``: its real path when the caller knows it; ``has_sidecar``:
    whether its JSON sidecar is a file, when the caller listed the folder)."""
    sidecar = clip.with_suffix(".json")
    provenance: dict = {}
    if sidecar.is_file() if has_sidecar is None else has_sidecar:
        try:
            provenance = json.loads(sidecar.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ProjectError(f"take sidecar cannot be read: {exc}", file=str(sidecar),
                               shot=shot_id) from None
    probe = provenance.get("probe") or {}
    fps = probe.get("fps")
    frames = probe.get("frames")
    return Take(
        shot=shot_id, id=clip.stem, path=resolved or clip.resolve(),
        frames=int(frames) if frames is not None else None,
        fps=_read_rate(fps) if fps is not None else None,
        status=str(provenance.get("status", "done")), provenance=provenance,
        # "newest" means most recently asked for: takes generated side by side finish in any order
        created=float(provenance.get("submitted") or provenance.get("created") or clip.stat().st_mtime))


@functools.lru_cache(maxsize=64)  # a project's takes share a few rates (a lookup is ~6 µs)
def _read_rate(value: object) -> Fraction:
    if isinstance(value, str) and "/" in value:
        return Fraction(value)
    return rate_from_otio(float(value))  # type: ignore[arg-type]


def find_takes(film: Film) -> dict[str, list[Take]]:
    """Every take on disk, by shot id, oldest first. Shots without takes are absent."""
    found: dict[str, list[Take]] = {}
    if film.root is None:
        return found
    base = film.root / TAKES_DIR
    if not base.is_dir():
        return found
    # one listing per folder (not a stat per file), and one realpath for the folder unless a link is in the way
    real_base = base.resolve()
    try:
        folders = {entry.name: entry.is_symlink() for entry in os.scandir(base) if entry.is_dir()}
    except OSError:
        folders = {}
    folded = {name.casefold() for name in folders}
    for shot in film.shots():
        folder = base / shot.id
        if shot.id in folders and not folders[shot.id]:
            real_folder = real_base / shot.id
        elif shot.id.casefold() in folded and folder.is_dir():  # a link, or a case-insensitive file system
            real_folder = folder.resolve()
        else:
            continue
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        files = {entry.name for entry in entries if entry.is_file()}
        takes = []
        for entry in entries:
            name = entry.name
            suffix = os.path.splitext(name)[1]
            if suffix.lower() not in VIDEO_SUFFIXES or name.startswith("."):
                continue
            clip = folder / name
            takes.append(_take_from_file(shot.id, clip, None if entry.is_symlink() else real_folder / name,
                                         f"{name[:-len(suffix)]}.json" in files))
        if takes:
            found[shot.id] = sorted(takes, key=lambda t: (t.created, t.id))
    return found


def load_selects(film: Film) -> dict[str, Selection]:
    """The editor's choices from ``selects.yaml`` (empty when there is none).

    Trims are frames of the take; a trim written as timecode (``in: 00:00:01:12``) is read at the
    take's own rate (from its sidecar), else the film's. Problems raise :class:`ProjectError` naming
    the file, line and shot.
    """
    if film.root is None:
        return {}
    path = film.root / SELECTS_FILE
    if not path.is_file():
        return {}
    from .project import parse_yaml  # keeps line numbers, and timecodes as text (not base-60 numbers)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ProjectError(f"cannot be read: {exc}", file=str(path)) from None
    data = parse_yaml(text, str(path)) or {}
    shots = data.get("shots", {}) if isinstance(data, dict) else None
    if shots is None:
        shots = {}
    if not isinstance(shots, dict):
        raise ProjectError("expected a mapping 'shots:' of shot id to its select", file=str(path),
                           line=getattr(data, "line", None))
    rates: dict[tuple[str, str], Fraction] | None = None
    selects = {}
    for shot_id, entry in shots.items():
        line = shots.line_of(shot_id) if hasattr(shots, "line_of") else None
        if isinstance(entry, str):
            entry = {"take": entry}
        if not isinstance(entry, dict) or not entry.get("take"):
            raise ProjectError("a select needs a 'take'", file=str(path), line=line, shot=str(shot_id))
        trims: list[int | None] = []
        for key in ("in", "out"):
            value = entry.get(key)
            at = entry.line_of(key) if hasattr(entry, "line_of") else line
            if isinstance(value, str) and ":" in value:
                if rates is None:
                    rates = _take_rates(film)
                rate = rates.get((str(shot_id), str(entry["take"])), film.fps)
                try:
                    value = _timecode_frames(value, rate)
                except TimingError as exc:
                    raise ProjectError(f"{key}: {exc.message}", file=str(path), line=at,
                                       shot=str(shot_id)) from None
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
                raise ProjectError(f"{key} {value!r} must be a frame of the take (0, 12 …) or a timecode",
                                   file=str(path), line=at, shot=str(shot_id))
            trims.append(value)
        if trims[0] is not None and trims[1] is not None and trims[1] <= trims[0]:
            raise ProjectError(f"out {trims[1]} must come after in {trims[0]}", file=str(path), line=line,
                               shot=str(shot_id))
        selects[str(shot_id)] = Selection(str(shot_id), str(entry["take"]), trims[0], trims[1])
    return selects


def _timecode_frames(text: str, rate: Fraction) -> int:
    """A timecode counted from a take's start as frames (non-SMPTE rates count nominal frames)."""
    if rate in RATES.values():
        return parse_timecode(text, rate)
    parts = text.replace(";", ":").split(":")
    if len(parts) != 4 or not all(p.isdigit() for p in parts):
        raise TimingError(f"timecode {text!r} is not HH:MM:SS:FF")
    h, m, s, f = (int(p) for p in parts)
    return ((h * 60 + m) * 60 + s) * round(rate) + f


def chosen_take(takes: list[Take], selection: Selection | None) -> Take | None:
    """The take a shot uses: the selected one when it exists on disk, else the newest."""
    if not takes:
        return None
    if selection is not None:
        for take in takes:
            if take.id == selection.take:
                return take
    return takes[-1]


# -- writing selects ------------------------------------------------------------------------------

SELECTS_HEADER = """\
# shotreel selects: the take each shot uses, and its trims in frames of that take
# (in = the first frame used, out = the frame after the last; the timecode beside each is the
# same frame counted from the take's start). Written by `shotreel select` and `shotreel sync`;
# a shot not listed uses its newest take.
"""


def _scalar(value: object) -> str:
    text = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True).strip()
    return text[:-4].strip() if text.endswith("\n...") else text.removesuffix("...").strip()


def _take_rates(film: Film) -> dict[tuple[str, str], Fraction]:
    try:
        return {(t.shot, t.id): t.fps for takes in find_takes(film).values() for t in takes if t.fps}
    except ProjectError:
        return {}


def _tc_comment(frame: int, rate: Fraction) -> str:
    if rate not in RATES.values():
        return ""
    return f"  # {format_timecode(frame, rate, drop_frame=False)}"


def selects_text(film: Film, selects: dict[str, Selection]) -> str:
    """The text of ``selects.yaml`` for ``selects``: shots in story order (unknown ones after), one
    block per shot, trims as frames with the timecode beside them."""
    order = [s.id for s in film.shots() if s.id in selects]
    order += sorted(k for k in selects if film.shot(k) is None)
    rates = _take_rates(film) if any(s.trim_in is not None or s.trim_out is not None
                                     for s in selects.values()) else {}
    lines = [SELECTS_HEADER.rstrip("\n"), "shots:" if order else "shots: {}"]
    for shot_id in order:
        sel = selects[shot_id]
        lines.append(f"  {_scalar(shot_id)}:")
        lines.append(f"    take: {_scalar(sel.take)}")
        rate = rates.get((shot_id, sel.take), film.fps)
        for key, value in (("in", sel.trim_in), ("out", sel.trim_out)):
            if value is not None:
                lines.append(f"    {key}: {int(value)}{_tc_comment(int(value), rate)}")
    return "\n".join(lines) + "\n"


SELECTS_LOCK = ".shotreel/selects.lock"
"""The lock every read-modify-write of ``selects.yaml`` holds (select, sync, the hosts), across processes."""
_F = TypeVar("_F", bound=Callable[..., Any])


@contextlib.contextmanager
def selects_lock(film: Film) -> Iterator[None]:
    """Hold the project's selects lock (``.shotreel/selects.lock``, :func:`~shotreel.fsutil.file_lock`) while
    reading, changing and writing ``selects.yaml``, so two writers at once — ``shotreel select`` in three
    terminals, a sync while Blender records a take — never lose each other's choice."""
    if film.root is None:
        yield
        return
    with file_lock(Path(film.root) / SELECTS_LOCK):
        yield


def holding_selects_lock(function: _F) -> _F:
    """Run ``function(film, …)`` under :func:`selects_lock` of its ``film`` (its first argument)."""
    @functools.wraps(function)
    def locked(film: Film, *args: Any, **kwargs: Any) -> Any:
        with selects_lock(film):
            return function(film, *args, **kwargs)
    return locked  # type: ignore[return-value]


@holding_selects_lock
def write_selects(film: Film, selects: dict[str, Selection]) -> Path:
    """Write ``selects`` (shot id → :class:`Selection`) to the project's ``selects.yaml``, atomically.

    Trims are frames of the take (``in`` first used, ``out`` exclusive). Raises :class:`ProjectError`
    for a film with no folder or a select without a take or with trims out of order.
    """
    if film.root is None:
        raise ProjectError("the film has no project folder to write selects.yaml into")
    for shot_id, sel in selects.items():
        if not sel.take:
            raise ProjectError("a select needs a take", shot=shot_id)
        if sel.trim_in is not None and sel.trim_in < 0:
            raise ProjectError(f"trim in {sel.trim_in} is before the take's first frame", shot=shot_id)
        if sel.trim_in is not None and sel.trim_out is not None and sel.trim_out <= sel.trim_in:
            raise ProjectError(f"trim out {sel.trim_out} is not after trim in {sel.trim_in}", shot=shot_id)
    return atomic_write_text(film.root / SELECTS_FILE, selects_text(film, selects))


def take_length(take: Take) -> tuple[int, Fraction | None]:
    """A take's frame count and rate: from its sidecar's probe, else by probing the file now."""
    if take.frames is not None:
        return take.frames, take.fps
    info = probe(take.path)
    take.frames, take.fps = info.frames, take.fps or info.fps
    return info.frames, take.fps


def find_take(film: Film, shot_id: str, take_id: str) -> Take:
    """The take ``take_id`` of shot ``shot_id`` (by id or file name); a :class:`ProjectError` naming
    the takes there are when it does not exist."""
    if film.shot(shot_id) is None:
        ids = [s.id for s in film.shots()]
        guess = difflib.get_close_matches(shot_id, ids, n=1)
        hint = f"; did you mean {guess[0]}?" if guess else ""
        raise ProjectError(f"no shot {shot_id!r} in the film{hint}", file=film.source)
    takes = find_takes(film).get(shot_id, [])
    for take in takes:
        if take_id in (take.id, take.path.name):
            return take
    if not takes:
        raise ProjectError(f"has no takes yet (generate some with `shotreel generate`); no take {take_id!r}",
                           shot=shot_id)
    raise ProjectError(f"no take {take_id!r}; its takes are {', '.join(t.id for t in takes)}", shot=shot_id)


@holding_selects_lock
def select_take(film: Film, shot_id: str, take_id: str, trim_in: int | None = None,
                trim_out: int | None = None) -> Selection:
    """Record ``take_id`` as the take of ``shot_id`` in ``selects.yaml``, with optional trims.

    Trims are frames of the take from its first frame (``trim_out`` exclusive) and must lie inside
    it, ``trim_in`` before ``trim_out``. Validates before writing; returns the new selection.
    """
    take = find_take(film, shot_id, take_id)
    if trim_in is not None or trim_out is not None:
        frames, _ = take_length(take)
        first = 0 if trim_in is None else int(trim_in)
        last = frames if trim_out is None else int(trim_out)
        if first < 0 or first >= frames:
            raise ProjectError(f"trim in {first} is outside take {take.id!r} (frames 0-{frames - 1})",
                               shot=shot_id)
        if last > frames:
            raise ProjectError(f"trim out {last} is past the end of take {take.id!r} ({frames} frames)",
                               shot=shot_id)
        if last <= first:
            raise ProjectError(f"trim out {last} must come after trim in {first}", shot=shot_id)
    selects = load_selects(film)
    selection = Selection(shot_id, take.id, None if trim_in is None else int(trim_in),
                          None if trim_out is None else int(trim_out))
    selects[shot_id] = selection
    write_selects(film, selects)
    return selection
