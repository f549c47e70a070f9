"""Read a cut made in another editor (OTIO, OTIOZ, EDL, FCP7 XML, AAF) as a list of shots in time.

:func:`read_cut` turns any cut OpenTimelineIO's adapters can read into a :class:`Cut`: the cut's
exact rate, its start timecode, and the clips you see, in order, with their record positions
in frames. It is used to start a project from a cut (:mod:`shotreel.cut_import`) and to read an
editor's choices back.

What "the clips you see" means: the video tracks are flattened (``otio.algorithms.flatten_stack``,
upper tracks cover lower ones) unless one track is picked. Disabled tracks are left out and
disabled clips become gaps first, because ``flatten_stack`` ignores ``enabled``. Gaps are not
clips: they stay visible as holes in the record positions (and are counted in ``Cut.gaps``).
Transitions are skipped (their clips keep their cut points). A nested sequence is one clip.

The caveats of the formats (measured with OTIO 0.18.1, see ``reference/otio-interchange.md``):
an EDL has no rate (pass ``rate``; else it is inferred from the frame numbers, default 24) and
keeps its first record timecode as a negative ``Track.source_range.start_time`` instead of
``global_start_time``; a Resolve clip exported alone is a bare ``Clip``; an AAF with several top
level compositions reads as a ``SerializableCollection`` (its first timeline is used).
"""

from __future__ import annotations

import contextlib
import copy
import logging
import re
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

import opentimelineio as otio

from . import limits, timing
from .errors import CutError
from .progress import ProgressCallback, no_progress

SUFFIXES = {".otio": "otio_json", ".json": "otio_json", ".otioz": "otioz", ".otiod": "otiod",
            ".edl": "cmx_3600", ".xml": "fcp_xml", ".aaf": "AAF"}
"""File suffix → the OTIO adapter that reads it."""
_KIND = {"otio_json": "OTIO", "otioz": "OTIOZ bundle", "otiod": "OTIOD bundle", "cmx_3600": "EDL",
         "fcp_xml": "FCP7 XML", "AAF": "AAF"}

STILL_SUFFIXES = frozenset((".png", ".jpg", ".jpeg", ".tif", ".tiff", ".exr", ".webp", ".bmp", ".tga", ".dpx"))
MEDIA_SUFFIXES = STILL_SUFFIXES | {".mov", ".mp4", ".mxf", ".avi", ".mkv", ".m4v", ".webm"}
_SEQUENCE_NAME = re.compile(r"(#|@|%0?\d*d|\[\d+-\d+\])")
_NUMBERED_FRAME = re.compile(r"[._-]\d{3,}\.[A-Za-z0-9]+$")
_WINDOWS_PATH = re.compile(r"^(?:[A-Za-z]:[\\/]|\\\\)")
_EDL_TIMECODE = re.compile(r"\b\d{2}:\d{2}:\d{2}([:;.,])(\d{2})\b")
_EDL_EVENT = re.compile(r"^\s*\d+\s", re.MULTILINE)
_TRACK_TAG = "_shotreel_track"


@dataclass
class CutClip:
    """One visible clip of the cut, in record order.

    ``record_in``/``record_out`` (exclusive) are frames at the cut's rate counted from the cut's
    first frame (add ``Cut.start_frame`` for timecode); ``source_in``/``source_out`` are frames
    of the media at ``source_rate``. ``media`` is a plain path (or a URL that is not a file);
    ``still`` says whether that media is one image; ``track`` is the 1-based video track it
    came from; ``shotreel`` is the clip's ``metadata["shotreel"]`` when a shotreel reel made it.
    ``board`` is, for a clip that is not a still (a take or a layout movie over the boards), the still
    under it: on the lowest video track that has one within the clip's record range, the one that
    covers most of it. ``alternates`` are the clip's other media (OTIO's multiple media references: a
    shotreel reel keeps every take of a shot there), as plain paths in key order.
    """

    name: str
    record_in: int
    record_out: int
    duration: int
    source_in: int | None = None
    source_out: int | None = None
    source_rate: Fraction | None = None
    media: str | None = None
    still: bool = False
    track: int | None = None
    shotreel: dict | None = None
    board: str | None = None
    alternates: list[str] = field(default_factory=list)


@dataclass
class CutMarker:
    """A marker of the cut (timeline, track or clip marker) at a record frame from the cut's start."""

    name: str
    frame: int
    comment: str = ""
    color: str = ""


@dataclass
class Cut:
    """A cut as shotreel uses it: exact rate, start, and the visible clips in order.

    ``start_frame`` is the timecode of the first frame as a frame number at ``fps`` (``None``
    when the file names no start: an OTIO timeline without ``global_start_time``, a single clip);
    ``drop_frame`` says how that timecode is written at 29.97/59.94. ``gaps`` are the holes between
    clips as (record_in, record_out). ``notes`` say what was assumed while reading. ``timeline``
    is what the adapter read, untouched (a lone clip is wrapped in a one-track timeline).
    """

    path: Path
    format: str
    name: str
    timeline: otio.schema.Timeline
    fps: Fraction
    start_frame: int | None
    drop_frame: bool
    clips: list[CutClip]
    markers: list[CutMarker] = field(default_factory=list)
    gaps: list[tuple[int, int]] = field(default_factory=list)
    video_tracks: int = 1
    track: int | None = None
    length: int = 0
    resolution: tuple[int, int] | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def start_timecode(self) -> str | None:
        """The cut's start as SMPTE timecode, or ``None`` when the file names no start."""
        return None if self.start_frame is None else self.timecode(0)

    def timecode(self, frame: int) -> str:
        """Record frame ``frame`` (from the cut's start) as timecode in the cut's own style."""
        return timing.format_timecode((self.start_frame or 0) + frame, self.fps, self.drop_frame)

    @property
    def runtime(self) -> int:
        """Frames covered by clips (gaps left out)."""
        return sum(c.duration for c in self.clips)


def read_cut(path: str | Path, rate: Any = None, track: int | None = None,
             progress: ProgressCallback = no_progress) -> Cut:
    """Read the cut at ``path`` (``.otio``, ``.otioz``, ``.otiod``, ``.edl``, ``.xml``, ``.aaf``).

    ``rate`` is the EDL's rate (``25``, ``"23.976"``, ``Fraction(24000, 1001)``); an EDL carries
    none, so without it the rate is inferred from the frame numbers (24 when nothing says more,
    noted in ``Cut.notes``). For formats that carry their rate, ``rate`` must agree with it.
    ``track`` (1-based) reads one video track instead of flattening them all. Every failure
    (missing file, unknown suffix, a file that is not a cut, an adapter's exception) raises
    :class:`CutError` with one line naming the file and saying what is wrong with it (a file over
    :data:`~shotreel.limits.MAX_CUT_BYTES`, or an OTIO nested deeper than
    :data:`~shotreel.limits.MAX_JSON_DEPTH`, is refused before any adapter sees it). ``progress`` hears
    ``(done, total, message)`` as the clips are placed (an EDL of 100,000 events takes about 15 s).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise CutError(f"unknown cut format '{path.suffix or '(no suffix)'}'; shotreel reads "
                       ".otio, .otioz, .edl, .xml (FCP7) and .aaf", file=path)
    if not path.exists():
        raise CutError("no such file", file=path)
    if path.is_dir() != (suffix == ".otiod"):
        raise CutError("is a folder, not a cut file" if path.is_dir() else "is not an .otiod folder", file=path)
    if path.is_file() and path.stat().st_size == 0:
        raise CutError("is empty, not a cut", file=path)
    _refuse_unbounded(path, suffix)
    wanted = timing.parse_fps(rate) if rate is not None else None
    notes: list[str] = []
    kwargs: dict[str, Any] = {}
    edl = _edl_facts(path) if suffix == ".edl" else None
    if edl is not None:
        if wanted is None:
            wanted = edl["rate"]
            notes.append(edl["note"])
        kwargs["rate"] = timing.otio_rate(wanted)
    progress(0, edl["events"] if edl else 0, f"reading the {_KIND[SUFFIXES[suffix]]}")
    try:
        with _adapter_logs_quiet():
            result = otio.adapters.read_from_file(str(path), adapter_name=SUFFIXES[suffix], **kwargs)
    except Exception as exc:  # noqa: BLE001 - any adapter failure means "not a cut we can read"
        at = f" (read at {timing.fps_label(wanted)} fps)" if edl is not None and wanted else ""
        raise CutError(_reader_failure(SUFFIXES[suffix], exc) + at, file=path) from None
    timeline = _as_timeline(result, path, notes)
    try:
        return _build(timeline, path, suffix, wanted, edl, track, notes, progress)
    except CutError:
        raise
    except Exception as exc:  # noqa: BLE001 - a malformed timeline (missing ranges, odd rates)
        raise CutError(f"cannot be read as a cut: {_one_line(exc)}", file=path) from None


# -- reading ---------------------------------------------------------------------------------------

@contextlib.contextmanager
def _adapter_logs_quiet() -> Iterator[None]:
    """Silence what adapters log while they read (pyaaf2 logs a damaged AAF's details as warnings on the
    root logger, which would print before shotreel's own one-line answer)."""
    previous = logging.root.manager.disable
    logging.disable(logging.WARNING)
    try:
        yield
    finally:
        logging.disable(previous)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text if len(text) <= 160 else text[:157] + "…"


_AAF_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # AAF files are Microsoft compound files
_OTIO_CONTENT = "content.otio"


def _refuse_unbounded(path: Path, suffix: str) -> None:
    """Refuse, before any adapter parses it, a cut too large to read in bounded memory, an OTIO text
    nested deeper than any timeline (OTIO's parser recurses: 60,000 levels crash it), a bundle that
    is not a zip, and an AAF that does not start as one."""
    kind = _KIND[SUFFIXES[suffix]]
    size = path.stat().st_size if path.is_file() else 0
    if size > limits.MAX_CUT_BYTES:
        raise CutError(f"is {limits.megabytes(size)}; shotreel reads cuts of at most "
                       f"{limits.megabytes(limits.MAX_CUT_BYTES)}", file=path)
    if suffix == ".aaf":
        with open(path, "rb") as handle:
            if handle.read(8) != _AAF_SIGNATURE:
                raise CutError("is not an AAF file: it does not start as one (an AAF is a compound file)",
                               file=path)
        return
    if suffix in (".otio", ".json"):
        _refuse_deep(path.read_bytes(), path, kind)
    elif suffix == ".otiod":
        content = path / _OTIO_CONTENT
        if not content.is_file():
            raise CutError(f"this OTIOD bundle holds no {_OTIO_CONTENT}", file=path)
        if content.stat().st_size > limits.MAX_CUT_BYTES:
            raise CutError(f"its {_OTIO_CONTENT} is {limits.megabytes(content.stat().st_size)}; shotreel reads "
                           f"cuts of at most {limits.megabytes(limits.MAX_CUT_BYTES)}", file=path)
        _refuse_deep(content.read_bytes(), path, kind)
    elif suffix == ".otioz":
        _refuse_deep(_bundle_content(path), path, kind)


def _bundle_content(path: Path) -> bytes:
    """The timeline text of an ``.otioz``, read with at most :data:`~shotreel.limits.MAX_CUT_BYTES` unpacked."""
    try:
        with zipfile.ZipFile(path) as bundle:
            try:
                info = bundle.getinfo(_OTIO_CONTENT)
            except KeyError:
                raise CutError(f"this OTIOZ bundle holds no {_OTIO_CONTENT}", file=path) from None
            if info.file_size > limits.MAX_CUT_BYTES:
                raise CutError(f"its {_OTIO_CONTENT} unpacks to {limits.megabytes(info.file_size)}; shotreel "
                               f"reads cuts of at most {limits.megabytes(limits.MAX_CUT_BYTES)}", file=path)
            with bundle.open(info) as member:
                data = member.read(limits.MAX_CUT_BYTES + 1)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError, NotImplementedError) as exc:
        raise CutError(f"this OTIOZ bundle is cut short or damaged (not a readable zip): {_one_line(exc)}",
                       file=path) from None
    if len(data) > limits.MAX_CUT_BYTES:
        raise CutError(f"its {_OTIO_CONTENT} unpacks to more than {limits.megabytes(limits.MAX_CUT_BYTES)}",
                       file=path)
    return data


def _refuse_deep(data: bytes, path: Path, kind: str) -> None:
    depth = limits.json_depth(data)
    if depth > limits.MAX_JSON_DEPTH:
        raise CutError(f"this {kind} nests {depth:,} levels deep; a timeline nests a few dozen, and shotreel "
                       f"reads at most {limits.MAX_JSON_DEPTH}", file=path)


def _reader_failure(adapter: str, exc: BaseException) -> str:
    """What an adapter's exception says about the file, in words a person can act on."""
    detail = _one_line(exc)
    if isinstance(exc, (KeyError, IndexError)) and detail.strip("'\"").isdigit():
        detail = f"entry {detail.strip(chr(39) + chr(34))} is missing"
    elif type(exc).__name__ in ("error", "EOFError") or isinstance(exc, (EOFError, MemoryError)):
        detail = f"{detail} (the file ends too early)"
    if adapter == "AAF":
        return f"this AAF is cut short or damaged: {detail}"
    if adapter in ("otio_json", "otioz", "otiod"):
        kind = _KIND[adapter]
        if "JSON parse error" in detail:
            return f"this {kind} is not valid JSON (cut short or damaged): " + \
                detail.rsplit("JSON parse error on input string:", 1)[-1].strip()
        if isinstance(exc, RecursionError):
            return f"this {kind} nests too deeply to read"
        return f"this {kind} is not an OpenTimelineIO timeline OTIO can read: {detail}"
    if adapter == "fcp_xml":
        if type(exc).__name__ == "ParseError":
            short = " (cut short or damaged)" if detail.startswith(("no element found", "unclosed")) else ""
            return f"this FCP7 XML is not well-formed XML{short}: {detail}"
        return f"this XML is not a Final Cut Pro 7 sequence (xmeml) shotreel can read: {detail}"
    if adapter == "cmx_3600":
        return f"this EDL has a line that is not a CMX 3600 event: {detail}"
    return f"not a readable {_KIND.get(adapter, adapter)} cut: {detail}"


def _edl_facts(path: Path) -> dict:
    """What the EDL text says about its rate and drop frame (it has no rate field)."""
    try:
        text = path.read_bytes().decode("latin-1")
    except OSError as exc:
        raise CutError(f"cannot be read: {exc.strerror}", file=path) from None
    upper = text.upper()
    semicolon = any(m.group(1) in ";," for m in _EDL_TIMECODE.finditer(text))
    drop = "FCM: DROP FRAME" in upper or semicolon
    non_drop = "FCM: NON-DROP FRAME" in upper and not semicolon
    top = max((int(m.group(2)) for m in _EDL_TIMECODE.finditer(text)), default=0)
    events = len(_EDL_EVENT.findall(text))
    if drop:
        rate = Fraction(60000, 1001) if top >= 30 else Fraction(30000, 1001)
    else:
        rate = next(r for limit, r in ((24, Fraction(24)), (25, Fraction(25)), (30, Fraction(30)),
                                       (50, Fraction(50)), (10**9, Fraction(60))) if top < limit)
    why = "drop-frame timecode" if drop else f"frame numbers up to {top:02d}"
    note = (f"an EDL carries no rate: read at {timing.fps_label(rate)} fps ({why}); "
            "give the rate (--fps) if the cut runs at another")
    return {"rate": rate, "drop": drop, "non_drop": non_drop, "note": note, "events": events}


def _as_timeline(result: Any, path: Path, notes: list[str]) -> otio.schema.Timeline:
    if isinstance(result, otio.schema.Timeline):
        return result
    if isinstance(result, otio.schema.SerializableCollection):
        timelines = [c for c in result if isinstance(c, otio.schema.Timeline)] or \
            list(result.find_children(descended_from_type=otio.schema.Timeline))
        if not timelines:
            raise CutError("holds a collection with no timeline in it", file=path)
        if len(timelines) > 1:
            notes.append(f"the file holds {len(timelines)} timelines; read the first "
                         f"({timelines[0].name or 'unnamed'})")
        return timelines[0]
    if isinstance(result, otio.schema.Clip):
        timeline = otio.schema.Timeline(name=result.name)
        track = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
        track.append(copy.deepcopy(result))
        timeline.tracks.append(track)
        notes.append("the file holds a single clip, not a timeline: a one-shot cut")
        return timeline
    if isinstance(result, otio.schema.Track):
        timeline = otio.schema.Timeline(name=result.name)
        timeline.tracks.append(copy.deepcopy(result))
        return timeline
    raise CutError(f"holds a {type(result).__name__}, not a timeline or clip", file=path)


def _build(timeline: otio.schema.Timeline, path: Path, suffix: str, wanted: Fraction | None,
           edl: dict | None, track: int | None, notes: list[str], progress: ProgressCallback = no_progress
           ) -> Cut:
    videos = list(timeline.video_tracks())
    if not videos:
        raise CutError("has no video track", file=path)
    fps = _cut_rate(timeline, videos, path)
    if wanted is not None and edl is None and fps != wanted:
        raise CutError(f"the cut runs at {timing.fps_label(fps)} fps; a rate is given only for EDLs "
                       "(which carry none)", file=path)
    if edl is not None:
        fps = wanted or fps
    start, drop = _start(timeline, videos, fps, edl)
    picked = _pick_tracks(videos, track, path, notes, edl is not None)
    flat = picked[0][1] if len(picked) == 1 else otio.algorithms.flatten_stack([t for _, t in picked])
    placed, gaps = _clips(flat, fps, progress)
    clips = [clip for _, clip in placed]
    if len(picked) > 1:
        _boards_underneath(clips, picked, fps)
    if not clips:
        where = f"video track {track}" if track else "its video tracks"
        raise CutError(f"has no visible clip in {where}", file=path)
    markers = _markers(timeline, [t for _, t in picked], placed, fps)
    length = timing.to_frames(flat.duration(), fps) if len(flat) else 0
    return Cut(path=path, format=SUFFIXES[path.suffix.lower()], name=timeline.name or path.stem,
               timeline=timeline, fps=fps, start_frame=start, drop_frame=drop, clips=clips, markers=markers,
               gaps=gaps, video_tracks=len(videos), track=track, length=length,
               resolution=_resolution(timeline), notes=notes)


def _cut_rate(timeline: otio.schema.Timeline, videos: list, path: Path) -> Fraction:
    if timeline.global_start_time is not None:
        return timing.rate_from_otio(timeline.global_start_time.rate)
    rates: Counter = Counter()
    for track in videos:
        for item in track:
            if not isinstance(item, otio.schema.Transition) and item.source_range is not None:
                rates[item.source_range.duration.rate] += 1
            elif isinstance(item, otio.schema.Clip):
                rates[item.trimmed_range().duration.rate] += 1
    if not rates:
        raise CutError("has no clip with a length", file=path)
    return timing.rate_from_otio(rates.most_common(1)[0][0])


def _start(timeline: otio.schema.Timeline, videos: list, fps: Fraction, edl: dict | None
           ) -> tuple[int | None, bool]:
    """The start frame and drop-frame style; EDLs keep the start as a negative track offset."""
    drop = timing.is_drop_frame_rate(fps)
    if edl is not None:
        drop = drop and not edl["non_drop"]
        offset = videos[0].source_range
        start = -timing.to_frames(offset.start_time, fps) if offset is not None else 0
        return max(start, 0), drop
    fcp = timeline.metadata.get("fcp_xml")
    display = _get(fcp, "timecode", "displayformat")
    if isinstance(display, str) and drop:
        drop = display.upper() == "DF"
    if timeline.global_start_time is None:
        return None, drop
    return timing.to_frames(timeline.global_start_time, fps), drop


def _get(data: Any, *keys: str) -> Any:
    for key in keys:
        if not hasattr(data, "get"):
            return None
        data = data.get(key)
    return data


def _resolution(timeline: otio.schema.Timeline) -> tuple[int, int] | None:
    chars = _get(timeline.metadata.get("fcp_xml"), "media", "video", "format", "samplecharacteristics")
    try:
        width, height = int(_get(chars, "width")), int(_get(chars, "height"))
    except (TypeError, ValueError):
        return None
    return (width, height) if width > 0 and height > 0 else None


def _pick_tracks(videos: list, track: int | None, path: Path, notes: list[str], edl: bool
                 ) -> list[tuple[int, Any]]:
    """Deep copies of the tracks to read, tagged with their index, disabled items turned to gaps.

    An EDL track's negative ``source_range`` is its start timecode, not a trim: it is dropped."""
    if track is not None:
        if not 1 <= track <= len(videos):
            raise CutError(f"has {len(videos)} video track{'s' if len(videos) != 1 else ''}; "
                           f"track {track} does not exist", file=path)
        if not videos[track - 1].enabled:
            notes.append(f"video track {track} is disabled in the cut; read as asked")
        chosen = [(track, videos[track - 1])]
    else:
        chosen = [(i, t) for i, t in enumerate(videos, 1) if t.enabled]
        if len(chosen) < len(videos):
            notes.append(f"{len(videos) - len(chosen)} disabled video track(s) left out")
        if not chosen:
            raise CutError("has no enabled video track", file=path)
    tracks = []
    for index, original in chosen:
        dup = copy.deepcopy(original)
        if edl:
            dup.source_range = None
        for position, item in enumerate(list(dup)):
            if isinstance(item, otio.schema.Transition):
                continue
            if not item.enabled:
                dup[position] = otio.schema.Gap(source_range=item.trimmed_range())
            else:
                item.metadata[_TRACK_TAG] = index
        tracks.append((index, dup))
    return tracks


def _clips(flat: otio.schema.Track, fps: Fraction, progress: ProgressCallback = no_progress
           ) -> tuple[list[tuple[Any, CutClip]], list[tuple[int, int]]]:
    """The visible clips (with the items they came from) and the gaps of a flat track.

    Every item's place comes from one pass over the track (``range_of_all_children``): asking each
    item for its ``range_in_parent`` walks its elder siblings, which is quadratic."""
    clips: list[tuple[Any, CutClip]] = []
    gaps: list[tuple[int, int]] = []
    ranges = flat.range_of_all_children()
    total = len(flat)
    for number, item in enumerate(flat, 1):
        if number % 2000 == 0:
            progress(number, total, "clips placed")
        if isinstance(item, otio.schema.Transition):
            continue
        placed = ranges[item]
        record_in = timing.to_frames(placed.start_time, fps)
        record_out = timing.to_frames(placed.end_time_exclusive(), fps)
        if record_out <= record_in:
            continue
        if isinstance(item, otio.schema.Gap):
            gaps.append((record_in, record_out))
            continue
        clips.append((item, _clip(item, record_in, record_out, len(clips) + 1)))
    progress(total, total, "clips placed")
    return clips, gaps


def _clip(item: Any, record_in: int, record_out: int, number: int) -> CutClip:
    metadata = item.metadata
    track = metadata.pop(_TRACK_TAG, None) if _TRACK_TAG in metadata else None
    source = item.trimmed_range()
    source_rate = timing.rate_from_otio(source.duration.rate)
    media, still = (None, False)
    alternates: list[str] = []
    if isinstance(item, otio.schema.Clip):
        media, still = _media(item)
        active = item.active_media_reference_key
        alternates = [_plain_path(ref.target_url) for key, ref in sorted(item.media_references().items())
                      if key != active and isinstance(ref, otio.schema.ExternalReference) and ref.target_url]
    name = (item.name or "").strip()
    if not name or name == "/":
        name = _basename(media) if media else f"clip {number}"
    raw = metadata.get("shotreel")
    return CutClip(name=name, record_in=record_in, record_out=record_out, duration=record_out - record_in,
                   source_in=timing.to_frames(source.start_time, source_rate),
                   source_out=timing.to_frames(source.end_time_exclusive(), source_rate),
                   source_rate=source_rate, media=media, still=still,
                   track=int(track) if track is not None else None,
                   shotreel=_plain(raw) if hasattr(raw, "items") else None, alternates=alternates)


def _boards_underneath(clips: list[CutClip], tracks: list[tuple[int, Any]], fps: Fraction) -> None:
    """Set ``board`` on each visible clip that is not a still, from the tracks below it (see CutClip)."""
    stills: list[tuple[int, list[tuple[int, int, str]]]] = []  # per track, bottom first: (in, out, path)
    for index, track in tracks:
        found = []
        ranges = track.range_of_all_children()
        for item in track:
            if isinstance(item, otio.schema.Clip):
                media, still = _media(item)
                if still and media:
                    placed = ranges[item]
                    found.append((timing.to_frames(placed.start_time, fps),
                                  timing.to_frames(placed.end_time_exclusive(), fps), media))
        stills.append((index, found))
    for clip in clips:
        if clip.still or clip.track is None:
            continue
        for index, found in stills:
            if index >= clip.track:
                break
            cover = [(min(out, clip.record_out) - max(start, clip.record_in), -start, media)
                     for start, out, media in found if start < clip.record_out and out > clip.record_in]
            if cover:
                clip.board = max(cover)[2]  # the most frames; of equals, the earliest
                break


def _plain(value: Any) -> Any:
    """OTIO's AnyDictionary / AnyVector as plain dicts and lists."""
    if hasattr(value, "items"):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)) or type(value).__name__ == "AnyVector":
        return [_plain(v) for v in value]
    return value


def _media(clip: otio.schema.Clip) -> tuple[str | None, bool]:
    """The clip's media as a plain path, and whether it is a single still image."""
    ref = clip.media_reference
    if isinstance(ref, otio.schema.ImageSequenceReference):
        base = ref.target_url_base or ""
        if base and not base.endswith(("/", "\\")):
            base += "\\" if "\\" in base and "/" not in base else "/"
        first = f"{base}{ref.name_prefix}{ref.start_frame:0{ref.frame_zero_padding}d}{ref.name_suffix}"
        return _plain_path(first), False
    path = None
    if isinstance(ref, otio.schema.ExternalReference) and ref.target_url:
        path = _plain_path(ref.target_url)
    elif isinstance(ref, otio.schema.MissingReference):
        url = _get(ref.metadata.get("Resolve_OTIO"), "Media Url") or \
            _get(clip.metadata.get("Resolve_OTIO"), "Media Url")
        reel = _get(clip.metadata.get("cmx_3600"), "reel")
        if isinstance(url, str) and url:
            path = _plain_path(url)
        elif isinstance(reel, str) and _suffix(reel) in MEDIA_SUFFIXES:
            path = reel  # an EDL event whose reel is the file name (storyboard EDLs)
    if path is None:
        return None, False
    return path, _is_still(path, ref)


def _plain_path(url: str) -> str:
    if url.lower().startswith("file:"):
        return otio.url_utils.filepath_from_url(url)
    return url


def _pure(path: str) -> PurePosixPath | PureWindowsPath:
    return PureWindowsPath(path) if _WINDOWS_PATH.match(path) or ("\\" in path and "/" not in path) \
        else PurePosixPath(path)


def _basename(path: str) -> str:
    return _pure(path).name


def _suffix(path: str) -> str:
    return _pure(path).suffix.lower()


def is_windows_path(path: str) -> bool:
    """Whether ``path`` is an absolute Windows path (``C:\\…``, ``\\\\server\\…``)."""
    return bool(_WINDOWS_PATH.match(path))


def _is_still(path: str, ref: Any) -> bool:
    """A single image: an image suffix, not a sequence pattern, and not one numbered frame of a
    sequence (a numbered name counts as a still only when its media is at most one frame long)."""
    name = _basename(path)
    if _suffix(path) not in STILL_SUFFIXES or _SEQUENCE_NAME.search(name):
        return False
    if _NUMBERED_FRAME.search(name):
        available = getattr(ref, "available_range", None)
        return available is not None and available.duration.to_frames() <= 1
    return True


def _markers(timeline: otio.schema.Timeline, tracks: list, placed: list[tuple[Any, CutClip]],
             fps: Fraction) -> list[CutMarker]:
    """Timeline, track and clip markers at their record frames; clip markers outside the visible
    part of their clip are left out."""
    found: list[CutMarker] = []

    def add(marker: Any, frame: int) -> None:
        found.append(CutMarker(marker.name or "", frame, marker.comment or "", str(marker.color or "")))

    for marker in timeline.tracks.markers:
        add(marker, timing.to_frames(marker.marked_range.start_time, fps))
    for track in tracks:
        for marker in track.markers:
            add(marker, timing.to_frames(marker.marked_range.start_time, fps))
    for item, clip in placed:
        start = item.trimmed_range().start_time
        for marker in item.markers:
            offset = timing.to_frames(marker.marked_range.start_time - start, fps)
            if 0 <= offset < clip.duration:
                add(marker, clip.record_in + offset)
    unique = {(m.frame, m.name): m for m in sorted(found, key=lambda m: m.frame)}
    return list(unique.values())
