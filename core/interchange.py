"""Writing the reel in other editors' formats through OTIO's adapters, and its Resolve-shaped variant.

:func:`write_reel` picks the format by suffix — ``.otio``, ``.otioz``, ``.edl`` (CMX 3600),
``.xml`` (FCP7 XML), ``.aaf`` — prepares a copy of the timeline for what that format and its
adapter can carry (:func:`prepare_for_format`, also run by the shotreel OTIO plugin's
``pre_adapter_write`` hook so that ``otioconvert`` writes the same files), writes it atomically and
returns one note per thing the format could not carry. :func:`resolve_variant` reshapes a reel
into the OTIO that DaVinci Resolve's importer accepts (reference ``resolve-api.md`` §3.2).

What each format keeps, measured with OTIO 0.18.1 and its plugins (tests/test_interchange_matrix.py):

======== ===================== ===================== ============================== =================
format   tracks                start timecode        beat markers                   takes, metadata
======== ===================== ===================== ============================== =================
.otio    all                   global_start_time     stack markers, exact           all takes, all
.otioz   all; media bundled    global_start_time     stack markers, exact           chosen take's
                                                                                    media bundled
.edl     one video track:      record TC (read back  LOC locators on the shot       chosen take only,
         Takes over Boards     as a negative track   clips; at 29.97 DF written     no metadata
                               offset, OTIO #1385)   with non-drop labels
.xml     all; file:// URLs,    sequence timecode,    sequence markers: name and     chosen take only,
         <format> from the     DF display at 29.97   position (no colour, comment)  no metadata
         film's resolution
.aaf     all (audio track      kept                  lost (the AAF writer has none) chosen take only,
         names lost)                                                                no metadata
======== ===================== ===================== ============================== =================
"""

from __future__ import annotations

import atexit
import copy
import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import opentimelineio as otio

from . import timing
from .errors import ReelError
from .fsutil import atomic_output, atomic_write_text
from .progress import ProgressCallback, no_progress
from .reel import NAMESPACE

FORMATS: dict[str, str] = {
    ".otio": "otio_json",
    ".otioz": "otioz",
    ".edl": "cmx_3600",
    ".xml": "fcp_xml",
    ".aaf": "AAF",
}
"""Supported suffixes and the OTIO adapter that writes each."""

RESOLVE_SUFFIXES = (".otio",)
RESOLVE_SCHEMA_FAMILY = ("OTIO_CORE", "0.17.0")
"""Resolve bundles its own OTIO; its files are written for the 0.17.0 schema family."""

_ADAPTER_SUFFIX = {adapter.lower(): suffix for suffix, adapter in FORMATS.items()}
_IN_WRITE_REEL: ContextVar[bool] = ContextVar("shotreel_in_write_reel", default=False)


@dataclass
class Prepared:
    """A timeline made ready for one format: what to write, with which adapter arguments, what the
    format could not carry (``notes``), and what to clean up after writing."""

    timeline: otio.schema.Timeline
    notes: list[str] = field(default_factory=list)
    adapter_args: dict = field(default_factory=dict)
    cleanup: Callable[[], None] = lambda: None


def format_for(path: str | os.PathLike, fmt: str | None = None) -> str:
    """The suffix (``.edl`` …) that decides how ``path`` is written; ``fmt`` may force one, given as a
    suffix (``edl``, ``.edl``) or an adapter name (``cmx_3600``). Raises :class:`ReelError` listing
    the supported suffixes for anything else."""
    wanted = (fmt if fmt is not None else Path(path).suffix).strip().lower()
    if wanted in _ADAPTER_SUFFIX:
        return _ADAPTER_SUFFIX[wanted]
    suffix = wanted if wanted.startswith(".") else f".{wanted}"
    if suffix not in FORMATS:
        what = f"format {fmt!r}" if fmt is not None else f"suffix {Path(path).suffix or '(none)'!r}"
        raise ReelError(f"cannot write a reel with {what}; supported: {', '.join(FORMATS)}", file=str(path))
    return suffix


def is_reel(timeline: object) -> bool:
    """Whether ``timeline`` is a reel shotreel built (it carries ``metadata["shotreel"]["reel"]``)."""
    if not isinstance(timeline, otio.schema.Timeline):
        return False
    block = timeline.metadata.get(NAMESPACE)
    return isinstance(block, Mapping) and "reel" in block


def write_reel(timeline: otio.schema.Timeline, path: str | os.PathLike, fmt: str | None = None,
               for_resolve: bool = False, progress: ProgressCallback | None = None) -> list[str]:
    """Write ``timeline`` to ``path`` in the format its suffix (or ``fmt``) names, atomically.

    With ``for_resolve`` the Resolve-shaped variant (:func:`resolve_variant`) is written, as
    ``.otio`` only, without item ``color`` keys and for the 0.17.0 schema family. Returns one note
    per thing the format could not carry. Raises :class:`ReelError` for an unsupported suffix or
    when the adapter refuses the timeline; nothing is left at ``path`` then.
    """
    progress = progress or no_progress
    suffix = format_for(path, fmt)
    target = Path(path)
    if for_resolve and suffix not in RESOLVE_SUFFIXES:
        raise ReelError(f"the Resolve variant is OTIO: write it to a {' or '.join(RESOLVE_SUFFIXES)} file, "
                        f"not {suffix}", file=str(target))
    progress(0, 2, f"preparing {suffix}")
    if for_resolve:
        text = resolve_otio_text(resolve_variant(timeline))
        progress(1, 2, f"writing {target.name}")
        atomic_write_text(target, text)
        progress(2, 2, f"wrote {target.name}")
        return [("Resolve variant: one media reference per clip (the chosen take); the other takes are "
                 "listed in metadata only")]
    try:
        prepared = prepare_for_format(timeline, suffix)
    except ReelError as exc:
        if exc.file is None:
            raise ReelError(exc.message, file=str(target)) from None
        raise
    progress(1, 2, f"writing {target.name}")
    token = _IN_WRITE_REEL.set(True)
    try:
        with atomic_output(target, suffix=suffix) as tmp:
            tmp.unlink()  # some adapters (otioz) refuse to write over an existing file
            otio.adapters.write_to_file(prepared.timeline, str(tmp), adapter_name=FORMATS[suffix],
                                        **prepared.adapter_args)
    except ReelError:
        raise
    except Exception as exc:  # an adapter's own error: name the file, keep the adapter's words
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ReelError(f"the {FORMATS[suffix]} adapter could not write the reel: {first}",
                        file=str(target)) from exc
    finally:
        _IN_WRITE_REEL.reset(token)
        prepared.cleanup()
    progress(2, 2, f"wrote {target.name}")
    return prepared.notes


# -- preparing a copy for one format --------------------------------------------------------------

def prepare_for_format(timeline: otio.schema.Timeline, suffix: str) -> Prepared:
    """A copy of ``timeline`` shaped for the format of ``suffix``, with the notes on what it loses.

    ``timeline`` itself is never changed. ``.otio`` gets the timeline as it is.
    """
    suffix = format_for("", suffix)
    if suffix == ".otio":
        return Prepared(timeline)
    work = copy.deepcopy(timeline)
    prepare = {".otioz": _for_otioz, ".edl": _for_edl, ".xml": _for_fcp_xml, ".aaf": _for_aaf}[suffix]
    return prepare(work)


def _rate_of(timeline: otio.schema.Timeline) -> float:
    if timeline.global_start_time is not None:
        return timeline.global_start_time.rate
    for track in timeline.tracks:
        if len(track):
            return track.duration().rate
    return 24.0


def _has_alternate_takes(timeline: otio.schema.Timeline) -> bool:
    return any(len(clip.media_references()) > 1 for clip in timeline.find_clips())


def _file_path(url: str) -> str | None:
    """The local path a target_url names (plain path or ``file://`` URL), else ``None``."""
    parsed = urlparse(url)
    if parsed.scheme == "file":
        return otio.url_utils.filepath_from_url(url)
    if parsed.scheme == "" or (len(parsed.scheme) == 1 and os.name == "nt"):
        return url
    return None


def _common_losses(timeline: otio.schema.Timeline, fmt: str) -> list[str]:
    notes = [f"{fmt} carries no metadata: shot ids remain in clip names only"]
    if _has_alternate_takes(timeline):
        notes.append(f"{fmt} keeps only the chosen take of each shot; the others are in the .otio reel")
    return notes


def _for_otioz(work: otio.schema.Timeline) -> Prepared:
    """Bundle-ready: missing media as MissingReference, unique media file names (linked if needed)."""
    notes: list[str] = []
    if _has_alternate_takes(work):
        notes.append(".otioz bundles the chosen take of each shot; the other takes keep their absolute paths")
    by_name: dict[str, str] = {}
    renamed: list[tuple[otio.schema.ExternalReference, str]] = []
    missing: list[str] = []
    for clip in work.find_clips():
        ref = clip.media_reference
        if not isinstance(ref, otio.schema.ExternalReference):
            continue
        path = _file_path(ref.target_url)
        if path is None or not os.path.isfile(path):
            missing.append(ref.target_url)
            clip.media_reference = otio.schema.MissingReference(
                name=ref.name, available_range=ref.available_range,
                metadata={NAMESPACE: {"missing": "media", "expected": ref.target_url}})
            continue
        path = os.path.abspath(path)
        if by_name.setdefault(os.path.basename(path), path) != path:
            renamed.append((ref, path))
    if missing:
        notes.append(f".otioz: {len(missing)} media file(s) not found went in as missing media "
                     f"(first: {missing[0]})")
    folder = _unique_names(renamed, set(by_name)) if renamed else None
    if renamed:
        notes.append(f".otioz: {len(renamed)} media file(s) sharing a name with another were bundled "
                     "as <folder>_<name>")

    def cleanup() -> None:
        if folder:
            shutil.rmtree(folder, ignore_errors=True)

    return Prepared(work, notes, {}, cleanup)


def _unique_names(renamed: list[tuple[otio.schema.ExternalReference, str]], taken: set[str]) -> str:
    """Point each reference at a link named ``<folder>_<name>`` (sh020_t001.mp4) in a new temporary
    folder, which is returned: bundles need unique basenames, and takes/sh010/t001.mp4 and
    takes/sh020/t001.mp4 are not."""
    folder = tempfile.mkdtemp(prefix="shotreel-otioz-")
    for ref, path in renamed:
        parent = os.path.basename(os.path.dirname(path))
        name, counter = f"{parent}_{os.path.basename(path)}", 2
        while name in taken:
            name, counter = f"{parent}_{counter}_{os.path.basename(path)}", counter + 1
        taken.add(name)
        link = os.path.join(folder, name)
        try:
            os.symlink(path, link)
        except OSError:  # no symlinks (Windows without the privilege): copy
            shutil.copy2(path, link)
        ref.target_url = link
    return folder


def _for_edl(work: otio.schema.Timeline) -> Prepared:
    """One video track (Takes over Boards), record timecode from the film's start, markers as LOCs."""
    rate = _rate_of(work)
    video = [t for t in work.tracks if t.kind == otio.schema.TrackKind.Video and t.enabled]
    notes = _common_losses(work, "EDL")
    if not video:
        raise ReelError("the reel has no video track to write as an EDL")
    track = otio.algorithms.flatten_stack(video) if len(video) > 1 else copy.deepcopy(video[0])
    if len(video) > 1:
        notes.append(f"EDL carries one video track: {' over '.join(t.name for t in reversed(video))}, "
                     "flattened (a shot's take where it has one, else its board)")
    if any(t.kind == otio.schema.TrackKind.Audio for t in work.tracks):
        notes.append("EDL drops the audio placeholder tracks")
    track.name = video[0].name if len(video) == 1 else "V"
    _name_reels(track)
    notes.append(f"EDL: every source has its own reel name of at most {EDL_REEL_LENGTH} characters "
                 "(shot and take); the full file path is in each event's comments")
    drop_frame = timing.is_drop_frame_rate(timing.rate_from_otio(rate))
    markers = list(work.tracks.markers)
    if markers:
        _markers_onto_clips(track, markers, rate, drop_frame)
        notes.append("EDL: beat markers became LOC locators on their shots' clips (colour and upper-case "
                     "name kept, comment lost)")
        if drop_frame:
            notes.append("EDL at 29.97 drop-frame: LOC timecodes are written with non-drop labels "
                         "(OTIO's EDL reader drops LOC lines written with ';')")
    start = work.global_start_time
    duration = track.duration()
    if start is not None and start.value:
        # cmx_3600 ignores global_start_time; a negative track offset starts the record TC there.
        track.source_range = otio.opentime.TimeRange(
            otio.opentime.RationalTime(-start.value_rescaled_to(rate), rate), duration)
        notes.append("EDL: the start timecode is the first record timecode; OTIO reads it back as a "
                     "negative track offset, not as global_start_time")
    out = otio.schema.Timeline(name=work.name, global_start_time=start)
    out.tracks.append(track)
    return Prepared(out, notes, {"rate": rate})


EDL_REEL_LENGTH = 8
"""CMX 3600 reel names: at most eight characters, letters and digits (what every conform tool reads)."""


def _name_reels(track: otio.schema.Track) -> None:
    """Give every source of ``track`` a reel name of its own, the same for every use of one file:
    ``SH040T2`` for take ``t2`` of shot ``sh040``, ``SH040B`` for its board, shortened (then numbered)
    to stay unique within :data:`EDL_REEL_LENGTH` characters. OTIO's writer would name the reel after the
    take id alone (``t001`` for eleven different files), so a conform by reel could not tell them apart;
    the adapter still writes each file's path as a comment."""
    by_source: dict[str, str] = {}
    taken: set[str] = set()
    for clip in track.find_clips(shallow_search=True):
        ref = clip.media_reference
        source = getattr(ref, "target_url", None) or f"#{clip.name}"
        reel = by_source.get(source)
        if reel is None:
            reel = by_source[source] = _reel_name(clip, taken)
            taken.add(reel)
        clip.metadata.setdefault("cmx_3600", {})["reel"] = reel


def _alnum(text: str) -> str:
    return "".join(ch for ch in text.upper() if ch.isascii() and ch.isalnum())


def _reel_name(clip: otio.schema.Clip, taken: set[str]) -> str:
    block = clip.metadata.get(NAMESPACE) or {}
    shot = _alnum(str(block.get("shot") or clip.name or "")) or "SRC"
    ref = clip.media_reference
    still = os.path.splitext(str(getattr(ref, "target_url", "")))[1].lower() in (".png", ".jpg", ".jpeg", ".tif",
                                                                             ".tiff", ".exr", ".webp")
    if isinstance(ref, otio.schema.ExternalReference) and not still:
        take = _alnum(str(ref.name or Path(ref.target_url).stem))
        digits = take.lstrip("T").lstrip("0") or "0"
        candidates = [f"{shot}{take}", f"{shot}T{digits}", f"{shot[-(EDL_REEL_LENGTH - 1 - len(digits)):]}T{digits}"]
    else:
        candidates = [f"{shot}B", shot, f"{shot[-(EDL_REEL_LENGTH - 1):]}B"]
    for name in candidates:
        if 0 < len(name) <= EDL_REEL_LENGTH and name not in taken:
            return name
    for number in range(1, 10 ** (EDL_REEL_LENGTH - 1)):
        name = f"R{number:0{EDL_REEL_LENGTH - 1}d}"
        if name not in taken:
            return name
    raise ReelError("the EDL has more sources than reel names")  # pragma: no cover - ten million sources


def _markers_onto_clips(track: otio.schema.Track, markers: list, rate: float, drop_frame: bool) -> None:
    """Move stack markers onto the clip under them, in that clip's source time."""
    spans = []
    for index, item in enumerate(track):
        spans.append((track.range_of_child_at_index(index), item))
    for marker in markers:
        at = marker.marked_range.start_time
        for span, item in spans:
            if not isinstance(item, otio.schema.Clip):
                continue
            if span.start_time <= at < span.end_time_exclusive():
                local = item.source_range.start_time + (at - span.start_time)
                if drop_frame:
                    frame = round(local.value_rescaled_to(rate))
                    label = timing.format_timecode(frame, timing.rate_from_otio(rate), drop_frame=False)
                    meta = item.metadata.setdefault("cmx_3600", {})
                    comments = list(meta.get("comments", []))
                    comments.append(f"LOC: {label} {marker.color:7} {(marker.name or '').upper()}")
                    meta["comments"] = comments
                else:
                    item.markers.append(otio.schema.Marker(
                        name=marker.name, color=marker.color, comment=marker.comment,
                        marked_range=otio.opentime.TimeRange(local, marker.marked_range.duration)))
                break


def _for_fcp_xml(work: otio.schema.Timeline) -> Prepared:
    notes = _common_losses(work, "FCP7 XML")
    for clip in work.find_clips():
        for ref in clip.media_references().values():
            if isinstance(ref, otio.schema.ExternalReference):
                path = _file_path(ref.target_url)
                if path is not None and os.path.isabs(path):
                    ref.target_url = Path(path).as_uri()
            if ref.available_range is None and clip.source_range is not None:
                # The writer needs a file's length; one that could not be read is said to end where it is cut.
                sr = clip.source_range
                ref.available_range = otio.opentime.TimeRange(otio.opentime.RationalTime(0, sr.start_time.rate),
                                                              sr.end_time_exclusive())
    if work.tracks.markers:
        notes.append("FCP7 XML keeps the beat markers' names and positions; their colours and comments are lost")
    # The writer takes the sequence's timecode display and <format> from its own metadata namespace:
    # without them a 29.97 DF start reads 00:59:56:12 NDF, and Resolve ignores format-less XML (#839).
    rate = timing.rate_from_otio(_rate_of(work))
    xml_rate = {"timebase": str(round(rate)), "ntsc": "TRUE" if rate.denominator == 1001 else "FALSE"}
    width, _, height = str((work.metadata.get(NAMESPACE) or {}).get("resolution", "1920x1080")).partition("x")
    work.metadata["fcp_xml"] = {
        "timecode": {"displayformat": "DF" if timing.is_drop_frame_rate(rate) else "NDF"},
        "media": {"video": {"format": {"samplecharacteristics": {
            "rate": xml_rate, "width": width, "height": height or "1080", "pixelaspectratio": "square",
            "fielddominance": "none"}}}},
    }
    return Prepared(work, notes)


def _for_aaf(work: otio.schema.Timeline) -> Prepared:
    notes = _common_losses(work, "AAF")
    if work.tracks.markers or any(len(i.markers) for i in work.find_children()):
        notes.append("AAF drops markers: OTIO's AAF writer writes none (beats are in the .otio reel)")
    rate = _rate_of(work)
    for clip in work.find_clips():
        _ranges_at_rate(clip, rate)
        ref = clip.media_reference
        aaf = dict(ref.metadata.get("AAF", {}))
        if not aaf.get("MobID"):
            aaf["MobID"] = _mob_id(f"{getattr(ref, 'target_url', ref.name)}#{clip.name}")
            ref.metadata["AAF"] = aaf
    notes.append("AAF: audio track names are not kept")
    return Prepared(work, notes, {"use_empty_mob_ids": True})


def _ranges_at_rate(clip: otio.schema.Clip, rate: float) -> None:
    """AAF wants every clip and media range at the edit rate, in whole frames."""
    def at(t: otio.opentime.RationalTime) -> otio.opentime.RationalTime:
        return otio.opentime.RationalTime(round(t.value_rescaled_to(rate)), rate)
    sr = clip.source_range
    clip.source_range = otio.opentime.TimeRange(at(sr.start_time), at(sr.duration))
    ref = clip.media_reference
    ar = ref.available_range
    if ar is None:
        ref.available_range = otio.opentime.TimeRange(otio.opentime.RationalTime(0, rate),
                                                      at(sr.end_time_exclusive()))
    else:
        ref.available_range = otio.opentime.TimeRange(at(ar.start_time), at(ar.duration))


def _mob_id(key: str) -> str:
    """A stable AAF MobID for ``key`` (the same media in the same shot gets the same id)."""
    import aaf2.mobid  # the AAF adapter's own dependency
    mob = aaf2.mobid.MobID.new()
    mob.material = uuid.uuid5(uuid.NAMESPACE_URL, f"shotreel:{key}")
    return str(mob.urn)


# -- the Resolve-shaped variant --------------------------------------------------------------------

def resolve_variant(timeline: otio.schema.Timeline) -> otio.schema.Timeline:
    """A copy of the reel shaped like DaVinci Resolve's own OTIO exports (resolve-api.md §3.2).

    One ``DEFAULT_MEDIA`` reference per clip (the chosen take) with a plain absolute path to an
    existing file and an ``available_range`` (media that does not exist becomes a
    ``MissingReference`` carrying ``Resolve_OTIO["Media Url"]``, as Resolve writes offline media);
    clip name = media file name; tracks ``Video 1``, ``Video 2`` …, ``Audio 1`` …; ``Resolve_OTIO``
    metadata blocks; beat markers as timeline (stack) markers; every clip marker inside its clip;
    ``global_start_time`` set. The ``shotreel`` metadata stays. ``timeline`` is not changed.
    """
    tl = copy.deepcopy(timeline)
    rate = _rate_of(tl)
    if tl.global_start_time is None:
        tl.global_start_time = otio.opentime.from_timecode("01:00:00:00", rate)
    tl.metadata["Resolve_OTIO"] = {"Resolve OTIO Meta Version": "1.0"}
    counters = {otio.schema.TrackKind.Video: 0, otio.schema.TrackKind.Audio: 0}
    for track in tl.tracks:
        counters[track.kind] = counters.get(track.kind, 0) + 1
        block = dict(track.metadata.get(NAMESPACE, {}))
        block["track"] = track.name
        track.metadata[NAMESPACE] = block
        if track.kind == otio.schema.TrackKind.Audio:
            track.name = f"Audio {counters[track.kind]}"
            track.metadata["Resolve_OTIO"] = {"Audio Type": "Mono", "Locked": False, "SoloOn": False}
        else:
            track.name = f"Video {counters[track.kind]}"
            track.metadata["Resolve_OTIO"] = {"Locked": False}
        for item in track:
            if isinstance(item, otio.schema.Clip):
                _resolve_clip(item, audio=track.kind == otio.schema.TrackKind.Audio)
    for marker in tl.tracks.markers:
        _resolve_marker(marker)
    return tl


def _resolve_clip(clip: otio.schema.Clip, audio: bool) -> None:
    ref = clip.media_reference
    source = clip.source_range
    available = ref.available_range or otio.opentime.TimeRange(
        otio.opentime.RationalTime(0, source.start_time.rate), source.end_time_exclusive())
    path = _file_path(ref.target_url) if isinstance(ref, otio.schema.ExternalReference) else None
    if path is None and isinstance(ref, otio.schema.MissingReference):
        path = (ref.metadata.get(NAMESPACE) or {}).get("expected")
    if path is not None:
        path = os.path.abspath(path)
    if path is not None and os.path.isfile(path):
        new = otio.schema.ExternalReference(target_url=path, available_range=available)
    else:
        new = otio.schema.MissingReference(available_range=available)
        new.metadata["Resolve_OTIO"] = {"Media Url": path} if path else {}
    block = ref.metadata.get(NAMESPACE)
    if block is not None:
        new.metadata[NAMESPACE] = block
    name = os.path.basename(path) if path else clip.name
    new.name = name
    shot = clip.name
    clip.name = name
    clip.set_media_references({otio.schema.Clip.DEFAULT_MEDIA_KEY: new}, otio.schema.Clip.DEFAULT_MEDIA_KEY)
    clip.metadata["Resolve_OTIO"] = ({"Channels": [{"Source Channel ID": 0, "Source Track ID": 0}]}
                                     if audio else {})
    block = dict(clip.metadata.get(NAMESPACE, {}))
    block.setdefault("shot", shot)
    clip.metadata[NAMESPACE] = block
    inside = []
    for marker in clip.markers:
        start = marker.marked_range.start_time
        if source.start_time <= start < source.end_time_exclusive():
            _resolve_marker(marker)
            inside.append(marker)
    # Resolve imports a clip marker only inside its clip: keep those, drop the rest.
    if len(inside) != len(clip.markers):
        clip.markers[:] = inside


def _resolve_marker(marker: otio.schema.Marker) -> None:
    marker.metadata["Resolve_OTIO"] = {"Keywords": [], "Note": marker.comment or ""}


def resolve_otio_text(timeline: otio.schema.Timeline) -> str:
    """``timeline`` as OTIO JSON for Resolve: 0.17.0-family schemas and no item ``color`` keys
    (Resolve's own exports have none; OTIO 0.18 writes ``"color": null`` on every item)."""
    versions = otio.versioning.fetch_map(*RESOLVE_SCHEMA_FAMILY)
    text = otio.adapters.write_to_string(timeline, "otio_json", target_schema_versions=versions)
    data = json.loads(text)
    _strip_item_colors(data)
    return json.dumps(data, indent=4, ensure_ascii=False) + "\n"


def _strip_item_colors(node: object) -> None:
    if isinstance(node, dict):
        schema = str(node.get("OTIO_SCHEMA", ""))
        if "color" in node and not schema.startswith("Marker.") and node["color"] is None:
            del node["color"]
        for value in node.values():
            _strip_item_colors(value)
    elif isinstance(node, list):
        for value in node:
            _strip_item_colors(value)


# -- the OTIO plugin's pre_adapter_write hook -------------------------------------------------------

def prepare_for_write_hook(timeline: object, argument_map: dict | None) -> object:
    """What the plugin's ``pre_adapter_write`` hook returns: a shotreel reel written by any OTIO tool
    (``otioconvert``) is prepared exactly as :func:`write_reel` prepares it; anything else, and
    everything :func:`write_reel` itself writes, passes unchanged."""
    if _IN_WRITE_REEL.get() or not is_reel(timeline):
        return timeline
    path = (argument_map or {}).get("_filepath") or ""
    suffix = Path(str(path)).suffix.lower()
    if suffix not in FORMATS or suffix == ".otio":
        return timeline
    # A hook cannot pass adapter arguments; the prepared copy carries what they would set (the EDL's
    # exact rate is its track's, AAF MobIDs are in metadata). Linked bundle files go at exit.
    prepared = prepare_for_format(timeline, suffix)  # type: ignore[arg-type]
    atexit.register(prepared.cleanup)
    return prepared.timeline
