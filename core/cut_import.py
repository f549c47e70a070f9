"""Start a project from an existing cut: every visible clip becomes a shot, frame-exact.

:func:`film_from_cut` turns a :class:`~shotreel.cuts.Cut` into a :class:`~shotreel.model.Film`;
:func:`import_cut` reads the cut, writes the new project folder and proves it loads back.

Decisions (so that the project says what the cut said, and nothing more):
- one scene (``sc01``); shots in record order, each exactly its clip's frames (``NNf``, exact at
  any rate); gaps do not become shots, so later shots move up (the project has no holes; the
  header of ``shotreel.yaml`` says how many frames of gap were closed);
- shot ids are the clips' ``metadata["shotreel"]`` shot ids or their names when every one of
  them is a usable, unique id (``sq001_s001``), else ``sh010``, ``sh020`` …; the clip name is kept
  as the shot's ``action`` (a placeholder for the film-maker to rewrite);
- clips back to back that are one shot (a reel's take, then its board showing after a take that runs
  short) are one shot (:func:`shot_runs`);
- a still (png, jpg, tif, exr …) becomes the shot's board; a movie over stills on lower tracks (takes
  or layout over the boards) gets the still under it (:attr:`~shotreel.cuts.CutClip.board`). A board
  is relative when inside the project folder, extracted into ``boards/`` from an ``.otioz`` bundle,
  else its absolute path as the cut gives it (stills not on this machine are listed in the result:
  ``shotreel check`` reports them);
- a shotreel take the cut points at (the take on screen, and every take an OTIO reel lists for the
  shot) comes along into ``takes/<shot>/`` with its provenance sidecar, and the take on screen with its
  trims becomes the shot's select where it is not what the reel would show anyway;
- beats come from the cut's markers: each marker starts a beat at the shot it falls in (several
  markers in one shot make one beat); shots before the first marker, or a cut without markers,
  get one beat ``cut``;
- fps and start timecode are the cut's, exactly (23.976 stays 24000/1001; a drop-frame start stays
  drop-frame); a cut that names no start gets the default 01:00:00:00.
"""

from __future__ import annotations

import bisect
import contextlib
import os
import re
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from . import limits, timing
from .conform import same_cut
from .cuts import Cut, CutClip, is_windows_path, read_cut
from .errors import CutError, ProjectError, TimingError
from .example import PROJECT_FOLDERS
from .fsutil import atomic_output, atomic_write_bytes
from .model import Beat, Board, Film, Scene, Shot, Story
from .progress import ProgressCallback, no_progress
from .project import PROJECT_FILE, dump_film, load_project, loads_film, project_file, write_new_project
from .sync import clip_selection
from .takes import TAKES_DIR, VIDEO_SUFFIXES, find_takes, write_selects

_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,39}$")
DEFAULT_BEAT = "cut"


@dataclass
class ImportResult:
    """What :func:`import_cut` made: the project file, the film as loaded back, and what to tell.

    ``boards`` counts shots given a still as board; ``missing_boards`` are board paths not on this
    machine; ``extracted`` are boards copied out of an ``.otioz`` bundle.
    """

    project: Path
    film: Film
    cut: Cut
    boards: int = 0
    missing_boards: list[str] = field(default_factory=list)
    extracted: list[str] = field(default_factory=list)
    takes: list[str] = field(default_factory=list)
    selects: int = 0
    notes: list[str] = field(default_factory=list)


def film_from_cut(cut: Cut, title: str | None = None, folder: str | Path | None = None) -> Film:
    """The film a cut describes: one shot per visible clip, in order, frame-exact.

    ``folder`` is the project folder the film is meant for: boards inside it are written relative
    to it. Raises :class:`CutError` (naming the cut file) when the cut's rate is not a film rate
    shotreel supports.
    """
    try:
        fps = timing.parse_fps(cut.fps)
    except TimingError:
        raise CutError(f"the cut runs at {timing.fps_label(cut.fps)} fps, which a shotreel project cannot "
                       f"use (use one of {', '.join(timing.RATES)})", file=cut.path) from None
    root = Path(folder).resolve() if folder is not None else None
    if cut.start_frame is not None:
        start = cut.start_frame
    else:
        start = timing.parse_timecode("01:00:00;00" if cut.drop_frame else "01:00:00:00", fps)
    runs = shot_runs(cut.clips)
    ids = _shot_ids([run[0] for run in runs])
    beats, beat_of = _beats(cut, runs)
    shots = []
    for index, (run, shot_id) in enumerate(zip(runs, ids)):
        clip = run[0]
        board = next((c.media for c in run if c.still), None) or clip.board
        boards = [Board(_board_path(board, cut, root))] if board else []
        duration = run[-1].record_out - clip.record_in
        shots.append(Shot(id=shot_id, beat=beat_of[index], duration=duration,
                          duration_text=f"{duration}f", action=clip.name, boards=boards, scene="sc01"))
    return Film(title=(title or cut.name or cut.path.stem).strip() or cut.path.stem, fps=fps,
                resolution=cut.resolution or (1920, 1080),
                start_timecode=timing.format_timecode(start, fps, cut.drop_frame), start_frame=start,
                story=Story(), beats=beats, scenes=[Scene(id="sc01", shots=shots)], root=root)


def import_cut(cut_path: str | Path, folder: str | Path, rate: Any = None, track: int | None = None,
               title: str | None = None, progress: ProgressCallback = no_progress) -> ImportResult:
    """Create the project ``folder`` from the cut at ``cut_path``; returns what was made.

    ``rate`` is for EDLs (which carry none), ``track`` (1-based) reads one video track instead of
    the flattened picture. Everything is read and checked before anything is written: on any
    error (:class:`CutError`, :class:`ProjectError`) nothing is left behind, and an existing
    project is never overwritten; nothing is ever written outside ``folder``. ``progress`` hears how
    the reading goes (see :func:`~shotreel.cuts.read_cut`).
    """
    folder = Path(folder)
    _refuse_existing(folder)
    cut = read_cut(cut_path, rate=rate, track=track, progress=progress)
    shots = len(shot_runs(cut.clips))
    if shots > limits.MAX_SHOTS:
        raise CutError(f"this cut has {shots:,} shots; a project may hold at most {limits.MAX_SHOTS:,} "
                       "(import one video track with --track, or a part of the cut)", file=cut.path)
    film = film_from_cut(cut, title, folder)
    extracted = _bundle_boards(cut, film)
    incoming = _incoming_takes(cut, film)
    text = dump_film(film, header=_header(cut, film))
    _verify(loads_film(text, str(folder / PROJECT_FILE), folder), cut, film)
    for target in [board for board, _ in extracted] + [target for _, target in incoming.files]:
        if not limits.is_inside(folder / target, folder):  # e.g. a boards/ folder that links elsewhere
            raise CutError(f"{folder / target} would be written outside the project folder {folder}; "
                           "import into a new, empty folder", file=cut.path)
    folder.mkdir(parents=True, exist_ok=True)
    for board, data in extracted:
        atomic_write_bytes(folder / board, data)
    path = write_new_project(folder, text)
    for name in PROJECT_FOLDERS:
        (folder / name).mkdir(exist_ok=True)
    loaded = load_project(folder)
    _verify(loaded, cut, film)
    boards = [b.path for s in loaded.shots() for b in s.boards]
    missing = [p for p in boards if is_windows_path(p) or not loaded.path(p).is_file()]
    copied = [_copy_take(source, folder / target) for source, target in incoming.files]
    notes = _notes(cut)
    chosen = _selects(loaded, incoming, notes)
    return ImportResult(project=path, film=loaded, cut=cut, boards=len(boards), missing_boards=missing,
                        extracted=[b for b, _ in extracted], takes=copied, selects=chosen, notes=notes)


# -- pieces ----------------------------------------------------------------------------------------

def shot_runs(clips: list[CutClip]) -> list[list[CutClip]]:
    """The cut's clips grouped into shots: clips back to back that are one shot (the same shotreel shot
    id; or a take followed by its own board, which shows after a take that runs short in a shotreel
    reel, named alike or the still under the take) form one run."""
    runs: list[list[CutClip]] = []
    for clip in clips:
        if runs and _same_shot(runs[-1][-1], clip):
            runs[-1].append(clip)
        else:
            runs.append([clip])
    return runs


def _same_shot(before: CutClip, clip: CutClip) -> bool:
    if before.record_out != clip.record_in:
        return False
    first, second = _metadata_id(before), _metadata_id(clip)
    if first and second:
        return first == second
    board = clip.still or clip.media is None  # a board, or the placeholder of one not drawn yet
    return not before.still and board and ((clip.media is not None and clip.media == before.board)
                                           or clip.name == before.name)


@dataclass
class _Incoming:
    """The takes a cut brings along: files to copy (source, project-relative target) and, per shot, the
    clip on screen with the target its media became and the frames the shot runs."""

    files: list[tuple[Path, str]] = field(default_factory=list)
    on_screen: dict[str, tuple[CutClip, str, int]] = field(default_factory=dict)


def _is_take(media: str, clip: CutClip) -> bool:
    """A movie on this machine that is a shotreel take: the clip carries shotreel's metadata, a sidecar
    lies beside the file, or it sits in a ``takes/<shot>/`` folder."""
    path = Path(media)
    if is_windows_path(media) or "://" in media or path.suffix.lower() not in VIDEO_SUFFIXES or not path.is_file():
        return False
    return bool(clip.shotreel) or path.with_suffix(".json").is_file() or path.parent.parent.name == TAKES_DIR


def _incoming_takes(cut: Cut, film: Film) -> _Incoming:
    """Every take the cut points at (each shot's take on screen and, in an OTIO reel, its other takes),
    as files to copy into ``takes/<shot>/``; other movies (camera files, renders) are left where they are."""
    incoming = _Incoming()
    for run, shot in zip(shot_runs(cut.clips), film.shots()):
        clip = next((c for c in run if not c.still and c.media), None)
        if clip is None:
            continue
        names: set[str] = set()
        for media in [clip.media, *clip.alternates]:
            if media is None or not _is_take(media, clip):
                continue
            source = Path(media)
            name, n = source.name, 2
            while name in names:
                name, n = f"{source.stem}-{n}{source.suffix}", n + 1
            names.add(name)
            target = f"{TAKES_DIR}/{shot.id}/{name}"
            incoming.files.append((source, target))
            if media == clip.media:
                incoming.on_screen[shot.id] = (clip, target, run[-1].record_out - run[0].record_in)
    return incoming


def _copy_take(source: Path, target: Path) -> str:
    """The take (and its provenance sidecar) into the project: a hard link where the disk allows, else a
    copy, written atomically with its times kept (so "newest take" stays the same take)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    for src, dst in ((source, target), (source.with_suffix(".json"), target.with_suffix(".json"))):
        if not src.is_file():
            continue
        with atomic_output(dst, suffix=dst.suffix) as tmp:
            tmp.unlink()
            try:
                os.link(src, tmp)
            except OSError:
                shutil.copy2(src, tmp)
    return target.as_posix()


def _selects(film: Film, incoming: _Incoming, notes: list[str]) -> int:
    """``selects.yaml`` for the shots whose take on screen is not what the reel would show anyway (the
    newest take, from its first frame, for the shot's length); returns how many were recorded."""
    if not incoming.on_screen:
        return 0
    takes = find_takes(film)
    selects = {}
    for shot in film.shots():
        if shot.id not in incoming.on_screen:
            continue
        clip, target, length = incoming.on_screen[shot.id]
        take = next((t for t in takes.get(shot.id, []) if t.path.name == Path(target).name), None)
        if take is None:
            continue
        selection, said = clip_selection(film, shot, takes[shot.id], clip, take, length)
        notes.extend(f"shot {shot.id}: {note}" for note in said)
        if not same_cut(film, shot, takes[shot.id], None, selection):
            selects[shot.id] = selection
    if selects:
        write_selects(film, selects)
    return len(selects)


def _refuse_existing(folder: Path) -> None:
    file = project_file(folder)
    if folder.exists() and not folder.is_dir():
        raise ProjectError("is a file, not a folder for a new project", file=folder)
    if file.exists():
        raise ProjectError(f"{folder} already holds a project ({PROJECT_FILE}); shotreel never overwrites "
                           "it — choose a new folder", file=file)


def _shot_ids(clips: list[CutClip]) -> list[str]:
    """Ids from the clips' shotreel metadata or names when all are usable and unique, else sh010 …"""
    for pick in (_metadata_id, lambda c: c.name):
        ids = [pick(c) for c in clips]
        if all(isinstance(i, str) and _ID.match(i) for i in ids) and len(set(ids)) == len(ids):
            return ids
    width = max(3, len(str(len(clips) * 10)))
    return [f"sh{(n + 1) * 10:0{width}d}" for n in range(len(clips))]


def _metadata_id(clip: CutClip) -> str | None:
    data = clip.shotreel or {}
    value = data.get("shot") or data.get("shot_id") or data.get("id")
    return value if isinstance(value, str) else None


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")[:32]
    return slug if slug and slug[0].isalpha() else f"beat_{slug}".rstrip("_")


def _beats(cut: Cut, runs: list[list[CutClip]]) -> tuple[list[Beat], list[str]]:
    """Beats from markers, and the beat of each shot (a marker starts a beat at the shot it is in)."""
    beats: list[Beat] = []
    beat_of: list[str] = []
    starts: dict[int, Beat] = {}
    clips = runs
    outs = [run[-1].record_out for run in runs]
    for marker in cut.markers:
        index = bisect.bisect_right(outs, marker.frame)  # the clip it falls in, or the next after a gap
        if index == len(clips):
            continue  # after the last clip: marks nothing
        label = marker.name.strip() or f"Marker at {cut.timecode(marker.frame)}"
        if index in starts:
            beat = starts[index]
            beat.summary = "; ".join(p for p in (beat.summary, label, marker.comment.strip()) if p)
            continue
        ids = {b.id for b in beats} | {DEFAULT_BEAT}
        beat_id, n = _slug(label), 2
        while beat_id in ids:
            beat_id, n = f"{_slug(label)}_{n}", n + 1
        starts[index] = Beat(beat_id, label, marker.comment.strip())
    current = None
    for index in range(len(clips)):
        if index in starts:
            current = starts[index]
            beats.append(current)
        elif current is None:
            current = Beat(DEFAULT_BEAT, "The cut", f"Every shot of {cut.path.name} before its first marker"
                           if starts else f"Every shot of {cut.path.name}")
            beats.append(current)
        beat_of.append(current.id)
    return beats, beat_of


def _board_path(media: str, cut: Cut, root: Path | None) -> str:
    """A still's path as a board: project-relative inside the project, else absolute as given."""
    if is_windows_path(media) or "://" in media:
        return media
    path = Path(media)
    if not path.is_absolute():  # relative to the cut (to the folder itself for an .otiod bundle)
        path = (cut.path.resolve() if cut.format == "otiod" else cut.path.resolve().parent) / path
    if root is not None:
        try:
            return path.resolve().relative_to(root).as_posix()
        except ValueError:
            pass
    return str(path)


def _bundle_boards(cut: Cut, film: Film) -> list[tuple[str, bytes]]:
    """Stills kept inside an ``.otioz``/``.otiod`` bundle (``media/x.png``): copied to ``boards/``,
    the shots pointing there, so the project does not depend on the bundle.

    What a bundle may unpack is bounded (:mod:`shotreel.limits`): each board at most
    ``MAX_BUNDLE_FILE_BYTES``, all of them ``MAX_BUNDLE_TOTAL_BYTES``, and none more than
    ``MAX_BUNDLE_RATIO`` times its packed size; a bundle over a bound is refused with :class:`CutError`
    before anything is written. Only members that are images become boards; a member of an ``.otiod``
    folder that links outside it is never read."""
    if cut.format not in ("otioz", "otiod"):
        return []
    out: list[tuple[str, bytes]] = []
    taken: dict[str, bytes] = {}
    with contextlib.ExitStack() as stack:
        read = _bundle_reader(cut, stack)
        for run, shot in zip(shot_runs(cut.clips), film.shots()):
            clip = next((c for c in run if c.still), run[0])
            member = _member(clip.media) if clip.still and clip.media else None
            data = read(member) if member else None
            if member is None or data is None:
                continue
            name = _free_board_name(PurePosixPath(member).name, data, film.root, taken)
            if name not in taken:
                out.append((name, data))
                taken[name] = data
            shot.boards = [Board(name)]
    return out


def _bundle_reader(cut: Cut, stack: contextlib.ExitStack) -> Callable[[str], bytes | None]:
    """A function reading one image member of the bundle (``None`` when it holds no such file, or the
    file is not an image), within the bounds of :func:`_bundle_boards`."""
    unpacked = 0

    def bounded(member: str, size: int, packed: int | None, data: Callable[[], bytes]) -> bytes | None:
        nonlocal unpacked
        what = f"its board {member}"
        if size > limits.MAX_BUNDLE_FILE_BYTES:
            raise CutError(f"{what} unpacks to {limits.megabytes(size)}; a board in a bundle may be at most "
                           f"{limits.megabytes(limits.MAX_BUNDLE_FILE_BYTES)}", file=cut.path)
        if packed is not None and size > limits.RATIO_FLOOR_BYTES and size > limits.MAX_BUNDLE_RATIO * packed:
            raise CutError(f"{what} unpacks to {size // max(packed, 1):,} times its packed size (a zip bomb?); "
                           f"shotreel unpacks at most {limits.MAX_BUNDLE_RATIO} times", file=cut.path)
        if unpacked + size > limits.MAX_BUNDLE_TOTAL_BYTES:
            raise CutError(f"its boards unpack to more than {limits.megabytes(limits.MAX_BUNDLE_TOTAL_BYTES)}, "
                           "the most shotreel takes from one bundle", file=cut.path)
        content = data()
        if len(content) > size:  # a zip that says less than it holds
            raise CutError(f"{what} holds more than its {size:,} bytes (the bundle is damaged)", file=cut.path)
        unpacked += len(content)
        return content if limits.starts_as_image(content[:16]) else None

    if cut.format == "otioz":
        bundle = stack.enter_context(zipfile.ZipFile(cut.path))
        infos = {info.filename: info for info in bundle.infolist() if not info.is_dir()}

        def from_zip(member: str) -> bytes | None:
            info = infos.get(member)
            if info is None:
                return None

            def data() -> bytes:
                try:
                    with bundle.open(info) as handle:
                        return handle.read(info.file_size + 1)
                except (zipfile.BadZipFile, EOFError, OSError, ValueError, NotImplementedError) as exc:
                    raise CutError(f"its board {member} is cut short or damaged: {exc}", file=cut.path) from None
            return bounded(member, info.file_size, info.compress_size, data)
        return from_zip

    def from_folder(member: str) -> bytes | None:
        file = cut.path / member
        if not file.is_file() or not limits.is_inside(file, cut.path):
            return None
        return bounded(member, file.stat().st_size, None, lambda: file.read_bytes()[:file.stat().st_size + 1])
    return from_folder


def _free_board_name(filename: str, data: bytes, root: Path | None, taken: dict[str, bytes]) -> str:
    """``boards/<filename>``, numbered when another image already has that name (never overwritten)."""
    stem, suffix = PurePosixPath(filename).stem, PurePosixPath(filename).suffix
    for n in range(1, 10_000):
        name = f"boards/{filename}" if n == 1 else f"boards/{stem}-{n}{suffix}"
        existing = taken.get(name)
        if existing is None and root is not None and (root / name).is_file():
            existing = (root / name).read_bytes()
        if existing is None or existing == data:
            return name
    raise CutError(f"too many boards called {filename}")


def _member(media: str) -> str | None:
    """A bundle-relative media path (``media/x.png``) as a member name, else ``None``."""
    if is_windows_path(media) or "://" in media:
        return None
    path = PurePosixPath(media.replace("\\", "/"))
    return None if path.is_absolute() or ".." in path.parts else path.as_posix()


def _verify(film: Film, cut: Cut, built: Film) -> None:
    """The project must say what the cut says: same rate, start and every duration in frames."""
    shots = list(film.shots())
    runs = shot_runs(cut.clips)
    problems = []
    if film.fps != built.fps or film.start_frame != built.start_frame:
        problems.append(f"fps/start {film.fps}/{film.start_frame} != {built.fps}/{built.start_frame}")
    if len(shots) != len(runs):
        problems.append(f"{len(shots)} shots for {len(runs)} clips")
    for shot, run in zip(shots, runs):
        frames = run[-1].record_out - run[0].record_in
        if shot.duration != frames:
            problems.append(f"shot {shot.id} is {shot.duration}f, its clips {frames}f")
    if problems:
        raise CutError(f"the project made from the cut would not keep its timing: {problems[0]}", file=cut.path)


def _notes(cut: Cut) -> list[str]:
    notes = list(cut.notes)
    if cut.gaps:
        frames = sum(b - a for a, b in cut.gaps)
        notes.append(f"{len(cut.gaps)} gap(s) in the cut ({frames} frames) are not shots: later shots move up")
    if cut.start_frame is None:
        notes.append("the cut names no start timecode: the project starts at the default")
    return notes


def _header(cut: Cut, film: Film) -> str:
    source = "the flattened video tracks" if cut.track is None else f"video track {cut.track}"
    if cut.video_tracks == 1:
        source = "its video track"
    lines = [
        f"shotreel project imported from the cut {cut.path.name} ({cut.format}) by `shotreel import-cut`.",
        f"{len(cut.clips)} shots from {source}, at {timing.fps_label(film.fps)} fps, start {film.start_timecode};",
        "each shot lasts exactly its clip's frames, and its action holds the clip's name.",
        *_notes(cut),
        "Edit freely: shotreel never rewrites this file.",
    ]
    return "\n".join(lines)
