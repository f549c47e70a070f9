"""The way back: read the editor's cut and turn it into ``selects.yaml`` (which take, which frames).

A cut exported from an editor (OTIO, EDL, FCP7 XML, AAF; read by :func:`shotreel.cuts.read_cut`,
video tracks flattened so the take over a board is what counts) is matched clip by clip to shots and
takes:

1. ``metadata["shotreel"]`` when the editor kept it (an OTIO round trip) names the shot;
2. else the media path: ``takes/<shot>/<take>.<ext>`` inside the project, or — because editors
   move and relink media — the file name with its parent folder (``sh020/t2.mp4``), or a file name
   only one take has, or an editorial transcode in a folder named after the shot (``sh020/t2.mov``);
   a board's path (``boards/<shot>.png``) names its shot;
3. else the clip name: a shot id (``sh020``, ``sh020 take 2``) or a take's file name.

The take is the one the clip's media is (the metadata's active take when the media cannot be told).
Its trims are the clip's source range relative to the take's first frame: an in point where it does
not start at frame 0, an out point where the shot's length in the cut is not what the reel makes
without one (:mod:`shotreel.conform`). A shot whose cut plays exactly as the project already says
keeps its select untouched, so reading back a reel shotreel wrote changes nothing. EDL, FCP7 XML and
AAF round trips drop all metadata, so 2 and 3 are what make them work.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path, PurePosixPath, PureWindowsPath

from . import timing
from .conform import same_cut, shot_cut
from .cuts import Cut, CutClip, read_cut
from .model import Film, Selection, Shot, Take
from .progress import ProgressCallback
from .takes import find_takes, holding_selects_lock, load_selects, write_selects

_STILL = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".webp", ".bmp", ".exr")


@dataclass
class ClipMatch:
    """What one clip of the cut was matched to (``shot`` is ``None`` when it matched nothing)."""

    clip: CutClip
    shot: str | None = None
    take: str | None = None
    how: str = ""
    trim_in: int | None = None
    trim_out: int | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class SyncResult:
    """The outcome of a sync: the new selects, what changed, and what could not be matched."""

    cut: Cut
    selects: dict[str, Selection]
    matches: list[ClipMatch]
    changes: list[str] = field(default_factory=list)
    order: list[str] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    written: Path | None = None

    @property
    def matched(self) -> int:
        return sum(1 for m in self.matches if m.shot is not None)

    def lines(self) -> list[str]:
        """What the sync found, one line each, as the command line and the hosts show it: the changes
        (``select …``), then shots moved in the cut's order, clips matched to nothing, and notes."""
        return ([f"select {change}" for change in self.changes] + [f"order: {line}" for line in self.order]
                + [f"unmatched: {line}" for line in self.unmatched] + [f"note: {note}" for note in self.notes])


def _pure(path: str) -> PurePosixPath | PureWindowsPath:
    if re.match(r"^(?:[A-Za-z]:[\\/]|\\\\)", path) or ("\\" in path and "/" not in path):
        return PureWindowsPath(path)
    return PurePosixPath(path)


class _Index:
    """Takes and boards of the film, looked up by path, folder + file name, file name and id."""

    def __init__(self, film: Film, takes: dict[str, list[Take]]):
        self.film = film
        self.takes = takes
        self.by_path: dict[str, Take] = {}
        self.by_folder_name: dict[tuple[str, str], Take] = {}
        self.by_folder_stem: dict[tuple[str, str], Take] = {}
        self.by_name: dict[str, list[Take]] = {}
        self.by_stem: dict[str, list[Take]] = {}
        for shot_takes in takes.values():
            for take in shot_takes:
                self.by_path[os.path.normcase(os.path.abspath(take.path))] = take
                self.by_folder_name[(take.path.parent.name, take.path.name)] = take
                self.by_folder_stem[(take.path.parent.name, take.path.stem)] = take
                self.by_name.setdefault(take.path.name, []).append(take)
                self.by_stem.setdefault(take.path.stem, []).append(take)
        self.shot_ids = {s.id for s in film.shots()}
        self.boards: dict[str, str] = {}
        for shot in film.shots():
            names = [f"{shot.id}.png"] + [Path(b.path).name for b in shot.boards]
            for name in names:
                self.boards.setdefault(name, shot.id)

    def take_for_media(self, media: str) -> tuple[Take | None, str]:
        pure = _pure(media)
        local = os.path.normcase(os.path.abspath(media))
        if local in self.by_path:
            return self.by_path[local], "media path"
        parts = pure.parts
        if "takes" in parts:  # takes/<shot>/<file> wherever the project now lives
            i = len(parts) - 1 - parts[::-1].index("takes")
            if len(parts) - i == 3 and (hit := self.by_folder_name.get((parts[i + 1], parts[i + 2]))):
                return hit, "media path in the project"
        if len(parts) >= 2 and (hit := self.by_folder_name.get((parts[-2], parts[-1]))):
            return hit, "media file and folder"
        if self.shot_for_lost_take(media):
            return None, ""  # a take of that shot no longer on disk: not another shot's take of that name
        same = self.by_name.get(pure.name, [])
        if len(same) == 1:
            return same[0], "media file name"
        if len(parts) >= 2 and pure.suffix.lower() not in _STILL and \
                (hit := self.by_folder_stem.get((parts[-2], pure.stem))):
            return hit, "media transcode (folder and name)"  # edit/media/sh020/t1.mov for takes/sh020/t1.mp4
        return None, ""

    def shot_for_board(self, media: str) -> str | None:
        pure = _pure(media)
        if pure.suffix.lower() not in _STILL:
            return None
        return self.boards.get(pure.name) or (pure.stem if pure.stem in self.shot_ids else None)

    def shot_for_lost_take(self, media: str) -> str | None:
        """The shot a take path names (``…/takes/<shot>/<file>``) when that file is no take on disk: a take
        deleted since the cut was made still belongs to its shot, never to another one's take by name."""
        parts = _pure(media).parts
        if len(parts) >= 3 and parts[-3] == "takes" and parts[-2] in self.shot_ids:
            return parts[-2]
        return None

    def shot_for_name(self, name: str) -> tuple[str | None, Take | None]:
        text = name.strip()
        if text in self.shot_ids:
            return text, None
        head = re.split(r"[\s_.:|/-]+", text, maxsplit=1)[0] if text else ""
        if head in self.shot_ids:
            return head, None
        stem = _pure(text).stem if "." in text else text
        for pool in (self.by_name.get(text, []), self.by_stem.get(stem, [])):
            if len(pool) == 1:
                return pool[0].shot, pool[0]
        return None, None


def _trims(film: Film, clip: CutClip, take: Take) -> tuple[int | None, int | None, list[str]]:
    """The frames of ``take`` the clip plays, ``in`` and ``out`` (exclusive), inside the take's media;
    ``None, None`` when the cut gives no source range or one that cannot be this take's."""
    notes: list[str] = []
    if clip.source_in is None or clip.source_out is None:
        return None, None, notes
    take_rate = take.fps or film.fps
    source_rate = clip.source_rate or take_rate
    start = Fraction(clip.source_in) * take_rate / source_rate
    end = Fraction(clip.source_out) * take_rate / source_rate
    trim_in, trim_out = round(start), round(end)
    frames = take.frames
    if frames is not None and trim_in >= frames:
        # the editor counted the take from a media timecode (01:00:00:00 is the usual default)
        hour = timing.parse_timecode("01:00:00:00", film.fps) if film.fps in timing.RATES.values() else None
        for origin in (hour, film.start_frame):
            if origin is None:
                continue
            offset = round(Fraction(origin) * take_rate / film.fps) if take_rate != film.fps else origin
            if 0 <= trim_in - offset < frames:
                trim_in, trim_out = trim_in - offset, trim_out - offset
                notes.append(f"the cut counts take {take.id!r} from timecode frame {origin}; "
                             "trims read from there")
                break
        else:
            notes.append(f"the cut uses frames {trim_in}-{trim_out} of take {take.id!r}, which has {frames}; "
                         "trims not recorded")
            return None, None, notes
    trim_in = max(0, trim_in)
    if frames is not None:
        trim_out = min(trim_out, frames)
    return trim_in, max(trim_out, trim_in + 1), notes


def clip_selection(film: Film, shot: Shot, takes: list[Take], clip: CutClip, take: Take,
                   length: int) -> tuple[Selection, list[str]]:
    """The select that plays ``shot`` as a cut's ``clip`` of ``take`` does, the shot running ``length``
    frames in the cut: the take from the clip's first frame, and an out point only where the reel
    would not make the same length without one. Returns it with notes on what could not be kept."""
    match = ClipMatch(clip, shot.id, take.id)
    match.trim_in, match.trim_out, notes = _trims(film, clip, take)
    selection, more = _selection(film, shot, takes, match, length)
    return selection, notes + more


def _selection(film: Film, shot: Shot, takes: list[Take], match: ClipMatch, length: int) -> tuple[Selection, list[str]]:
    """:func:`clip_selection` for a clip already matched (its take and trims read)."""
    assert match.take is not None
    if match.trim_in is None or match.trim_out is None:
        return Selection(shot.id, match.take), []
    trim_in = match.trim_in or None
    plain = Selection(shot.id, match.take, trim_in)
    played = match.clip.duration
    cut = shot_cut(film, shot, takes, plain)
    if cut.take is not None and cut.take.id == match.take and \
            (cut.source_in, cut.length, cut.covered) == (match.trim_in, length, played):
        return plain, []
    take = cut.take if cut.take is not None and cut.take.id == match.take else None
    rate = (take.fps if take is not None else None) or film.fps
    # the out point that plays exactly the clip's frames (a take at another rate rounds up to a frame)
    out = match.trim_in + math.ceil(Fraction(played) * rate / film.fps)
    if take is not None and take.frames is not None:
        out = min(out, take.frames)
    chosen = Selection(shot.id, match.take, trim_in, max(out, match.trim_in + 1))
    notes = []
    if length > played:
        notes.append(f"the cut holds the shot for {length} frames, its take plays {played}: the reel ends "
                     "the shot with its take")
    return chosen, notes


def match_cut(film: Film, cut: Cut, takes: dict[str, list[Take]] | None = None,
              progress: ProgressCallback | None = None) -> list[ClipMatch]:
    """Each clip of ``cut`` matched to a shot and (where its media is one) a take, with its trims;
    ``progress(done, total, clip name)`` every 64 clips and at the end."""
    takes = find_takes(film) if takes is None else takes
    index = _Index(film, takes)
    matches = []
    total = len(cut.clips)
    for number, clip in enumerate(cut.clips, 1):
        if progress is not None and (number % 64 == 0 or number == total):
            progress(number, total, clip.name)
        match = ClipMatch(clip)
        block = clip.shotreel or {}
        take: Take | None = None
        if clip.media:
            take, match.how = index.take_for_media(clip.media)
        if block.get("shot") in index.shot_ids:
            match.shot = str(block["shot"])
            match.how = match.how or "shotreel metadata"
            if take is None and block.get("take"):
                take = next((t for t in takes.get(match.shot, []) if t.id == block["take"]), None)
            if take is not None and take.shot != match.shot:
                take = None
        if take is not None:
            match.shot = take.shot
        if match.shot is None and clip.media and (board := index.shot_for_board(clip.media)):
            match.shot, match.how = board, "board path"
        if match.shot is None and clip.media and (gone := index.shot_for_lost_take(clip.media)):
            match.shot, match.how = gone, "media path of a take no longer on disk"
            match.notes.append(f"it plays {_pure(clip.media).name}, which is no longer in takes/{gone}/; "
                               "its select is kept")
        if match.shot is None:
            shot, named = index.shot_for_name(clip.name)
            if shot is not None:
                match.shot, match.how = shot, "clip name"
                take = take or named
        if match.shot is not None and take is not None and take.shot == match.shot:
            match.take = take.id
            match.trim_in, match.trim_out, match.notes = _trims(film, clip, take)
        matches.append(match)
    return matches


@holding_selects_lock  # read, changed and written with no other writer in between
def sync_selects(film: Film, cut_path: str | os.PathLike, fps: object = None,
                 dry_run: bool = False, progress: ProgressCallback | None = None) -> SyncResult:
    """Read the cut at ``cut_path`` and update the film's ``selects.yaml`` from it.

    ``fps`` is the EDL's rate (EDLs carry none; default: the film's). Each shot whose take clip is
    in the cut gets that take and its trims; shots the cut shows only as boards, or not at all,
    keep their select. Returns the new selects, one line per change, the shots that moved in the
    cut's order, the clips nothing matched, and the reader's notes. ``dry_run`` writes nothing.
    ``progress(done, total, message)`` follows the matching of the cut's clips (a long cut takes a while).
    """
    path = Path(cut_path)
    rate = fps if fps is not None else (film.fps if path.suffix.lower() == ".edl" else None)
    cut = read_cut(path, rate=rate)
    takes = find_takes(film)
    old = load_selects(film)
    matches = match_cut(film, cut, takes, progress)
    result = SyncResult(cut, dict(old), matches, notes=list(cut.notes))
    lengths = _shot_lengths(matches)
    seen: dict[str, ClipMatch] = {}
    for index, match in enumerate(matches):
        clip = match.clip
        if match.shot is None:
            media = f" ({clip.media})" if clip.media else ""
            result.unmatched.append(f"{clip.name}{media} at record frame {clip.record_in}")
            continue
        if match.take is None:
            result.notes.extend(f"shot {match.shot}: {note}" for note in match.notes)
            continue
        if match.shot in seen:
            result.notes.append(f"shot {match.shot}: in the cut more than once; the first use "
                                f"(take {seen[match.shot].take}) is kept")
            continue
        seen[match.shot] = match
        shot = film.shot(match.shot)
        assert shot is not None
        new, notes = _selection(film, shot, takes.get(shot.id) or [], match, lengths[index])
        result.notes.extend(f"shot {match.shot}: {note}" for note in match.notes + notes)
        before = old.get(match.shot)
        if not same_cut(film, shot, takes.get(shot.id) or [], before, new):
            result.selects[match.shot] = new
            result.changes.append(f"{match.shot}: {_describe(before)} -> {_describe(new)}")
    first_shown: dict[str, int] = {}
    for i, m in enumerate(matches):
        if m.shot is not None:
            first_shown.setdefault(m.shot, i)
    for shot in film.shots():
        if shot.id in seen or shot.id not in first_shown:
            continue
        if takes.get(shot.id):
            result.notes.append(f"shot {shot.id}: the cut shows its board, not a take; its select is kept")
        elif (held := lengths[first_shown[shot.id]]) != shot.duration:
            result.notes.append(f"shot {shot.id}: the cut holds its board for {held} frames, planned "
                                f"{shot.duration}: change its duration in shotreel.yaml to keep the editor's length")
    result.order = _order_changes(film, matches)
    missing = [s.id for s in film.shots() if s.id not in first_shown]
    if missing:
        result.notes.append(f"not in the cut: {', '.join(missing)}")
    if result.changes and not dry_run:
        result.written = write_selects(film, result.selects)
    return result


def _shot_lengths(matches: list[ClipMatch]) -> list[int]:
    """For each clip, the frames its shot runs in the cut: the clips of one shot back to back (a take
    and the board showing after it) count as one run."""
    lengths = [0] * len(matches)
    start = 0
    for i in range(1, len(matches) + 1):
        if i == len(matches) or matches[i].shot is None or matches[i].shot != matches[start].shot or \
                matches[i].clip.record_in != matches[i - 1].clip.record_out:
            run = matches[start:i]
            total = sum(m.clip.duration for m in run)
            for k in range(start, i):
                lengths[k] = total
            start = i
    return lengths


def _describe(selection: Selection | None) -> str:
    if selection is None:
        return "newest take"
    trims = ""
    if selection.trim_in is not None or selection.trim_out is not None:
        end = selection.trim_out if selection.trim_out is not None else "end"
        trims = f" [{selection.trim_in or 0}-{end}]"
    return f"take {selection.take}{trims}"


def _order_changes(film: Film, matches: list[ClipMatch]) -> list[str]:
    """The shots the cut moved, against story order (those outside the longest run kept in order)."""
    story = {shot.id: i for i, shot in enumerate(film.shots())}
    order: list[str] = []
    for match in matches:
        if match.shot is not None and match.shot not in order:
            order.append(match.shot)
    positions = [story[s] for s in order]
    keep = _longest_increasing(positions)
    moved = []
    for i, shot_id in enumerate(order):
        if i in keep:
            continue
        after = order[i - 1] if i > 0 else None
        where = f"after {after}" if after else "first"
        moved.append(f"{shot_id} moved: now {where} (story order #{story[shot_id] + 1}, cut #{i + 1})")
    return moved


def _longest_increasing(values: list[int]) -> set[int]:
    """Indexes of one longest strictly increasing subsequence of ``values`` (patience sorting)."""
    tails: list[int] = []  # tails[k]: index of the smallest tail of an increasing run of length k+1
    back = [-1] * len(values)
    for i, value in enumerate(values):
        k = _bisect_tails(values, tails, value)
        if k > 0:
            back[i] = tails[k - 1]
        if k == len(tails):
            tails.append(i)
        else:
            tails[k] = i
    keep = set()
    i = tails[-1] if tails else -1
    while i != -1:
        keep.add(i)
        i = back[i]
    return keep


def _bisect_tails(values: list[int], tails: list[int], value: int) -> int:
    lo, hi = 0, len(tails)
    while lo < hi:
        mid = (lo + hi) // 2
        if values[tails[mid]] < value:
            lo = mid + 1
        else:
            hi = mid
    return lo
