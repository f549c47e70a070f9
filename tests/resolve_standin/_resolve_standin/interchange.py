"""ImportTimelineFromFile and Timeline.Export (resolve-api.md §3, §4, §7.1).

OTIO import (18.6+) is held to the shape Resolve's importer accepts (§3.2, when ``otio_strict``):
a Timeline of stock schemas no newer than OTIO 0.17 knows (an unknown ``OTIO_SCHEMA`` is fatal); every
clip one ``DEFAULT_MEDIA`` reference; every ExternalReference an ``available_range`` and a plain absolute
path (no ``file://``) to a file that exists and the decoder reads, the clip named after its basename;
source ranges inside the media's timecode frame space (media stamped 01:00:00:00 at 24 starts at 86400;
a 0-based range on such media kills the import); ``MissingReference`` items come in offline. Anything
else → None, no reason (the reason is in ``state.errors``). ``global_start_time`` null → 01:00:00:00.
A rate other than the project's is refused [UNV, ``otio_rate_mismatch``]. ``importSourceClips`` True
imports the media into the current bin; False builds the timeline with every item offline — OTIO never
links from the pool — and ``sourceClipsFolders`` must hold Folder objects (strings → None). Clip
markers come in only inside their clip (§3.2).

FCP7 XML, EDL and AAF go through OpenTimelineIO's adapters without the OTIO shape rules and relink as
§3.3 measured: by path, else by file name under ``sourceClipsPath``; with ``importSourceClips`` False by
name in ``sourceClipsFolders``; EDLs carry no paths. DRT, FCPXML and ``.otioz`` import are not
reproduced (None).

Export writes Resolve's own OTIO shape (``EXPORT_OTIO``, 18.5+), FCP7 XML, EDL (first video track,
subtype required), AAF (subtype required) and FCPXML 1.10 as a directory ``path/Info.fcpxml``.
"""

from __future__ import annotations

import json
import math
import os
from fractions import Fraction
from typing import Any
from xml.sax.saxutils import quoteattr

import opentimelineio as otio

from . import runtime
from .base import Refuse
from .markers import MARKER_COLORS, Marker
from .media import MediaInfo, probe, probe_sequence
from .mediapool import Folder, PoolItem, frames_of, new_clip
from .timecode import rate_from_number, timecode_to_frame
from .timeline import AUDIO_SUBTYPES, DEFAULT_START_TC, Timeline, TimelineItem, Track, new_timeline

OPTION_TYPES: dict[str, type | tuple[type, ...]] = {
    "timelineName": str, "importSourceClips": bool, "sourceClipsPath": str, "sourceClipsFolders": list,
    "interlaceProcessing": bool,
}
_TIMELINE_SCHEMAS = ("Timeline", "Stack", "Track", "Clip", "Gap", "Transition", "Marker", "ExternalReference",
                     "MissingReference", "ImageSequenceReference", "GeneratorReference", "Effect", "TimeEffect",
                     "LinearTimeWarp", "FreezeFrame", "SerializableCollection")
_VALUE_SCHEMAS = {"RationalTime": 1, "TimeRange": 1, "TimeTransform": 1}
RESOLVE_OTIO_FAMILY = ("OTIO_CORE", "0.17.0")
"""Resolve bundles an OTIO of the 0.17 family: schemas newer than that map are unknown to it."""

OTIO_TO_RESOLVE = {"RED": "Red", "PINK": "Pink", "ORANGE": "Sand", "YELLOW": "Yellow", "GREEN": "Green",
                   "CYAN": "Cyan", "BLUE": "Blue", "PURPLE": "Purple", "MAGENTA": "Fuchsia", "BLACK": "Cocoa",
                   "WHITE": "Cream"}
"""OTIO marker colours → Resolve's; the seven shared names exact, the rest a guess [UNV]."""
RESOLVE_TO_OTIO = {"Blue": "BLUE", "Cyan": "CYAN", "Green": "GREEN", "Yellow": "YELLOW", "Red": "RED", "Pink": "PINK",
                   "Purple": "PURPLE", "Fuchsia": "MAGENTA", "Rose": "PINK", "Lavender": "PURPLE", "Sky": "CYAN",
                   "Mint": "GREEN", "Lemon": "YELLOW", "Sand": "ORANGE", "Cocoa": "BLACK", "Cream": "WHITE"}
"""Resolve marker colours → OTIO's for export; how Resolve maps the nine others is undocumented [UNV]."""


# -- import -------------------------------------------------------------------------------------------


def import_timeline(project: Any, path: Any, options: Any) -> Timeline:
    """MediaPool.ImportTimelineFromFile (§3)."""
    session = runtime.current()
    if not isinstance(path, str) or not isinstance(options, dict):
        raise Refuse("ImportTimelineFromFile(filePath, {importOptions})")
    for key, value in options.items():
        expected = OPTION_TYPES.get(key)
        if expected is not None and not isinstance(value, expected):
            raise Refuse(f"import option {key} must be {expected}")
    folders = options.get("sourceClipsFolders")
    if folders is not None and not all(isinstance(f, Folder) and f.project == project.uid for f in folders):
        raise Refuse("sourceClipsFolders must be a list of this pool's Folder objects, not strings")
    if not os.path.isfile(path):
        raise Refuse(f"no such file: {path}")
    ext = os.path.splitext(path)[1].lower()
    if ext == ".otio":
        if not session.version.at_least(18, 6):
            raise Refuse("ImportTimelineFromFile reads OTIO from 18.6")
        timeline, strict = _read_otio(path, session.config.otio_strict), session.config.otio_strict
        kind = "otio"
    elif ext in (".xml", ".edl", ".aaf"):
        timeline, strict, kind = _read_with_adapter(path, ext, project), False, ext.lstrip(".")
    else:
        raise Refuse(f"importing {ext or 'this file'} is not reproduced by the stand-in")
    name = options.get("timelineName") or timeline.name or os.path.splitext(os.path.basename(path))[0]
    builder = _Builder(session, project, timeline, path, options, strict, kind)
    return builder.build(name)


def _schema_versions() -> dict[str, int]:
    known = dict(otio.versioning.fetch_map(*RESOLVE_OTIO_FAMILY))
    allowed = {name: known[name] for name in _TIMELINE_SCHEMAS if name in known}
    allowed.update(_VALUE_SCHEMAS)
    return allowed


def _check_schemas(node: Any, allowed: dict[str, int]) -> None:
    if isinstance(node, dict):
        schema = node.get("OTIO_SCHEMA")
        if schema is not None:
            name, _, version = str(schema).partition(".")
            if name not in allowed or not version.isdigit() or int(version) > allowed[name]:
                raise Refuse(f"unknown OTIO schema {schema!r}")
        for value in node.values():
            _check_schemas(value, allowed)
    elif isinstance(node, list):
        for value in node:
            _check_schemas(value, allowed)


def _read_otio(path: str, strict: bool) -> otio.schema.Timeline:
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
        raw = json.loads(text)
    except (OSError, ValueError) as exc:
        raise Refuse(f"not OTIO JSON: {exc}") from None
    if strict:
        if not isinstance(raw, dict) or not str(raw.get("OTIO_SCHEMA", "")).startswith("Timeline."):
            raise Refuse("the file does not hold a Timeline")
        _check_schemas(raw, _schema_versions())
    try:
        timeline = otio.adapters.read_from_string(text, "otio_json")
    except Exception as exc:  # noqa: BLE001 - any OTIO failure is a silent None
        raise Refuse(f"OTIO cannot read it: {exc}") from None
    if not isinstance(timeline, otio.schema.Timeline):
        raise Refuse("the file does not hold a Timeline")
    return timeline


def _read_with_adapter(path: str, ext: str, project: Any) -> otio.schema.Timeline:
    adapter = {".xml": "fcp_xml", ".edl": "cmx_3600", ".aaf": "AAF"}[ext]
    kwargs: dict[str, Any] = {"rate": float(project.rate()[0])} if adapter == "cmx_3600" else {}
    try:
        result = otio.adapters.read_from_file(path, adapter_name=adapter, **kwargs)
    except Exception as exc:  # noqa: BLE001 - any adapter failure is a silent None
        raise Refuse(f"{adapter} cannot read it: {exc}") from None
    if isinstance(result, otio.schema.SerializableCollection):
        result = next((t for t in result if isinstance(t, otio.schema.Timeline)), None)
    if not isinstance(result, otio.schema.Timeline):
        raise Refuse("no timeline in the file")
    return result


def _timeline_rate(timeline: otio.schema.Timeline) -> float | None:
    if timeline.global_start_time is not None:
        return timeline.global_start_time.rate
    for clip in timeline.find_clips():
        if clip.source_range is not None:
            return clip.source_range.duration.rate
    return None


def _available(clip: otio.schema.Clip) -> otio.opentime.TimeRange | None:
    try:
        return clip.available_range()
    except otio.exceptions.OTIOError:
        return None


def _file_path(url: str, kind: str, base: str) -> str | None:
    """The OS path of a target_url (OTIO shape: a plain absolute path, nothing else)."""
    if kind == "otio_strict":
        return url if "://" not in url and os.path.isabs(url) else None
    if "://" in url:
        if not url.startswith("file://"):
            return None
        url = otio.url_utils.filepath_from_url(url)
    return url if os.path.isabs(url) else os.path.normpath(os.path.join(base, url))


class _Media:
    """One clip's media as the import resolved it."""

    def __init__(self, path: str, info: MediaInfo | None, clip: PoolItem | None, pool_linked: bool) -> None:
        self.path, self.info, self.clip, self.pool_linked = path, info, clip, pool_linked


class _Builder:
    """Checks then builds an imported timeline: nothing is created unless everything passes."""

    def __init__(self, session: Any, project: Any, timeline: otio.schema.Timeline, path: str,
                 options: dict[str, Any], strict: bool, kind: str) -> None:
        self.session, self.project, self.otio, self.path = session, project, timeline, path
        self.options, self.strict, self.kind = options, strict, kind
        self.base = os.path.dirname(os.path.abspath(path))
        self.import_clips = options.get("importSourceClips", True)
        self.clips_by_path: dict[str, PoolItem] = {}
        self.plan: list[tuple[Any, Any]] = []

    # -- checks ---------------------------------------------------------------------------------------

    def _rate(self) -> tuple[Fraction, bool]:
        project_rate, project_drop = self.project.rate()
        raw = _timeline_rate(self.otio)
        rate = project_rate if raw is None else rate_from_number(raw)
        if rate is None:
            raise Refuse(f"unknown frame rate {raw}")
        if rate != project_rate and self.session.config.otio_rate_mismatch == "refuse":
            raise Refuse(f"the file's rate {float(rate):.3f} is not the project's {float(project_rate):.3f} [UNV]")
        return rate, project_drop if rate == project_rate else False

    def _media_for(self, clip: otio.schema.Clip) -> _Media | None:
        """Resolve one clip's media; Refuse when the OTIO shape rules are broken."""
        refs = clip.media_references()
        if self.strict and (list(refs) != [otio.schema.Clip.DEFAULT_MEDIA_KEY]
                            or clip.active_media_reference_key != otio.schema.Clip.DEFAULT_MEDIA_KEY):
            raise Refuse(f"clip {clip.name!r}: Resolve takes exactly one DEFAULT_MEDIA reference")
        ref = clip.media_reference
        if isinstance(ref, otio.schema.MissingReference):
            block = ref.metadata.get("Resolve_OTIO") or {}
            return _Media(str(block.get("Media Url", "") or ""), None, None, False)
        if isinstance(ref, otio.schema.GeneratorReference):
            if self.strict:
                raise Refuse(f"clip {clip.name!r}: GeneratorReference is not Resolve's OTIO shape")
            return None
        if isinstance(ref, otio.schema.ImageSequenceReference):
            if self.strict and ref.available_range is None:
                raise Refuse(f"clip {clip.name!r}: the reference has no available_range")
            base = ref.target_url_base
            if self.strict and ("://" in base or not os.path.isabs(base)):
                raise Refuse(f"clip {clip.name!r}: {base!r} is not a plain absolute path")
            pattern = os.path.join(base, f"{ref.name_prefix}%0{ref.frame_zero_padding}d{ref.name_suffix}")
            count = ref.number_of_images_in_sequence()
            info = probe_sequence(pattern, ref.start_frame, ref.start_frame + count - 1)
            if info is None:
                raise Refuse(f"clip {clip.name!r}: the image sequence {pattern} is not on disk")
            return _Media(pattern, info, None, True)
        if not isinstance(ref, otio.schema.ExternalReference):
            raise Refuse(f"clip {clip.name!r}: {type(ref).__name__} is not a media reference Resolve reads")
        if self.strict and ref.available_range is None:
            raise Refuse(f"clip {clip.name!r}: the reference has no available_range")
        path = _file_path(ref.target_url, "otio_strict" if self.strict else self.kind, self.base)
        if path is None:
            raise Refuse(f"clip {clip.name!r}: {ref.target_url!r} is not a plain absolute path")
        if self.strict and clip.name != os.path.basename(path):
            raise Refuse(f"clip {clip.name!r} is not named after its media {os.path.basename(path)!r}")
        info = probe(path, self.session.config.media)
        if info is None and self.strict:
            raise Refuse(f"clip {clip.name!r}: {path} does not exist or cannot be read")
        return _Media(path, info, None, info is not None)

    def _check_range(self, clip: otio.schema.Clip, media: _Media) -> tuple[int, int]:
        """``(source in, source frames)`` in the media's 0-based frames (§3.2 media TC frame space)."""
        info = media.info
        project_rate = self.project.rate()[0]
        fps = (info.fps if info and info.fps else None) or project_rate
        start_tc = timecode_to_frame(info.start_tc, fps, info.drop) if info else 0
        start_tc = start_tc or 0
        source = clip.source_range or _available(clip)
        if source is None:
            raise Refuse(f"clip {clip.name!r} has no source range")
        first = source.start_time.rescaled_to(float(fps)).value
        count = source.duration.rescaled_to(float(fps)).value
        scalar = 1.0
        for effect in clip.effects:
            if isinstance(effect, otio.schema.LinearTimeWarp):
                scalar *= abs(effect.time_scalar)
        used = count * scalar
        if info is not None and info.kind not in ("still",):
            eps = 1e-6
            frames = frames_of(info, fps)
            if not self.strict and first + eps < start_tc:
                start_tc = 0
            if first + eps < start_tc or first + used > start_tc + frames + eps:
                raise Refuse(f"clip {clip.name!r}: source range {first:g}+{used:g} is outside the media's "
                             f"frames {start_tc}..{start_tc + frames} (media timecode frame space)")
        return math.floor(first - start_tc + 1e-9), max(1, math.floor(used + 1e-9))

    # -- relinking (§3.3) ---------------------------------------------------------------------------

    def _pool_clip(self, media: _Media, name: str) -> PoolItem | None:
        if media.info is None and self.kind != "otio":
            found = self._relink(media.path, name)
            if found is not None:
                return found
        if not self.import_clips:
            return self._from_folders(media.path, name) if self.kind != "otio" else None
        if media.path in self.clips_by_path:
            return self.clips_by_path[media.path]
        folder = self.session.get(self.project.current_folder, Folder)
        if media.info is not None:
            clip = new_clip(self.session, self.project, media.path, media.info, folder)
        else:  # offline media: a pool clip that knows only its path (§3.2 MissingReference)
            clip = PoolItem(project=self.project.uid, folder=folder.uid, name=os.path.basename(media.path) or name,
                            path=media.path, info=MediaInfo(frames=0), online=False, fps=self.project.rate()[0])
            self.session.add(clip)
            folder.clips.append(clip.uid)
        self.clips_by_path[media.path] = clip
        return clip

    def _relink(self, path: str, name: str) -> PoolItem | None:
        """Moved media: the same file name under ``sourceClipsPath`` (XML, AAF; not EDL, not OTIO)."""
        root = self.options.get("sourceClipsPath")
        if not self.import_clips or not root or self.kind == "edl" or not os.path.isdir(root):
            return None
        wanted = os.path.basename(path)
        for folder, _dirs, files in os.walk(root):
            if wanted in files:
                found = os.path.join(folder, wanted)
                info = probe(found, self.session.config.media)
                if info is not None:
                    return self._pool_clip(_Media(os.path.abspath(found), info, None, True), name)
        return None

    def _from_folders(self, path: str, name: str) -> PoolItem | None:
        """With importSourceClips False: a clip of the same file or clip name in sourceClipsFolders."""
        wanted = os.path.basename(path)
        stack = list(self.options.get("sourceClipsFolders") or [])
        while stack:
            folder = stack.pop(0)
            for uid in folder.clips:
                clip = self.session.get(uid, PoolItem)
                if clip is not None and clip.role == "media" and (
                        (self.kind != "edl" and os.path.basename(clip.path) == wanted) or clip.name == name):
                    return clip
            stack.extend(self.session.get(uid, Folder) for uid in folder.subfolders)
        return None

    # -- building -------------------------------------------------------------------------------------

    def build(self, name: str) -> Timeline:
        session, project = self.session, self.project
        if any(session.get(uid, Timeline).name == name for uid in project.timelines):
            raise Refuse(f"a timeline named {name!r} exists")
        rate, drop = self._rate()
        planned: list[tuple[otio.schema.Track, list[tuple[Any, int, int, Any]]]] = []
        for track in self.otio.tracks:
            if not isinstance(track, otio.schema.Track):
                raise Refuse("nested stacks are not Resolve's OTIO shape")
            entries = []
            for child in track:
                if isinstance(child, otio.schema.Gap):
                    continue
                rng = track.range_of_child(child)
                start = math.floor(rng.start_time.rescaled_to(float(rate)).value + 1e-9)
                duration = math.floor(rng.duration.rescaled_to(float(rate)).value + 1e-9)
                if isinstance(child, otio.schema.Transition):
                    entries.append((child, start, duration, None))
                elif isinstance(child, otio.schema.Clip):
                    media = self._media_for(child)
                    extent = self._check_range(child, media) if media is not None else (0, duration)
                    entries.append((child, start, duration, (media, extent)))
                else:
                    raise Refuse(f"{type(child).__name__} is not Resolve's OTIO shape")
            planned.append((track, entries))
        gst = self.otio.global_start_time
        start_frame = (round(gst.rescaled_to(float(rate)).value) if gst is not None
                       else timecode_to_frame(DEFAULT_START_TC, rate, drop) or 0)
        timeline = new_timeline(session, project, name, fps=rate, drop=drop, start=start_frame,
                                make_current=session.config.import_makes_current)
        timeline.video, timeline.audio = [], []
        for track, entries in planned:
            self._build_track(timeline, track, entries)
        if not timeline.video:
            timeline.video.append(Track())
        if not timeline.audio:
            timeline.audio.append(Track(subtype=session.config.audio_track_type))
        for marker in list(self.otio.tracks.markers) + [m for t in self.otio.tracks for m in t.markers]:
            self._add_marker(timeline.markers, marker, 0, rate)
        return timeline

    def _build_track(self, timeline: Timeline, track: otio.schema.Track,
                     entries: list[tuple[Any, int, int, Any]]) -> None:
        session = self.session
        kind = "audio" if track.kind == otio.schema.TrackKind.Audio else "video"
        block = dict(track.metadata.get("Resolve_OTIO", {}) or {})
        subtype = ""
        if kind == "audio":
            subtype = str(block.get("Audio Type", "")).lower()
            subtype = subtype if subtype in AUDIO_SUBTYPES else session.config.audio_track_type
        new = Track(name=track.name or "", enabled=track.enabled, locked=bool(block.get("Locked", False)),
                    subtype=subtype)
        getattr(timeline, kind).append(new)
        for child, start, duration, resolved in entries:
            if resolved is None:
                item = TimelineItem(project=self.project.uid, timeline=timeline.uid, track_type=kind,
                                    role="transition", name=child.name or "Cross Dissolve", start=start,
                                    duration=duration)
                session.add(item)
                new.items.append(item.uid)
                continue
            media, (source_in, source_frames) = resolved
            item = self._clip_item(timeline, kind, child, start, duration, media, source_in, source_frames)
            session.add(item)
            new.items.append(item.uid)

    def _clip_item(self, timeline: Timeline, kind: str, clip: otio.schema.Clip, start: int, duration: int,
                   media: _Media | None, source_in: int, source_frames: int) -> TimelineItem:
        item = TimelineItem(project=self.project.uid, timeline=timeline.uid, track_type=kind, name=clip.name,
                            start=start, duration=duration, source_in=source_in, source_frames=source_frames,
                            enabled=clip.enabled)
        if media is None:
            item.role = "generator"
            item.media_fps, item.media_frames = timeline.fps, duration
            return item
        pool = self._pool_clip(media, clip.name)
        info = media.info
        item.media_path = media.path
        item.media_fps = (info.fps if info and info.fps else None) or timeline.fps
        item.media_frames = frames_of(info, item.media_fps) if info else source_in + source_frames
        item.media_start = (timecode_to_frame(info.start_tc, item.media_fps, info.drop) or 0) if info else 0
        item.still = bool(info and info.kind == "still")
        if pool is not None:
            item.pool = pool.uid
            if pool.online:
                item.remember_media(pool)
        group = (clip.metadata.get("Resolve_OTIO", {}) or {}).get("Link Group ID")
        if group is not None:
            item.link = f"otio-{timeline.uid}-{group}"
        source = clip.source_range or _available(clip)
        for marker in clip.markers if source is not None else []:
            at = marker.marked_range.start_time
            if not (source.start_time <= at < source.end_time_exclusive()):
                self.session.note(f"clip {clip.name!r}: marker {marker.name!r} outside the clip is dropped")
                continue
            origin = item.media_start if self.session.config.item_marker_origin == "source" else \
                item.media_start + source_in
            self._add_marker(item.markers, marker, origin, item.media_fps)
        return item

    def _add_marker(self, markers: list[Marker], marker: otio.schema.Marker, origin: int, rate: Fraction) -> None:
        frame = math.floor(marker.marked_range.start_time.rescaled_to(float(rate)).value + 1e-9) - origin
        duration = max(1, round(marker.marked_range.duration.rescaled_to(float(rate)).value))
        color = OTIO_TO_RESOLVE.get(str(marker.color).upper(), "Blue")
        block = marker.metadata.get("Resolve_OTIO", {}) or {}
        note = str(block.get("Note", "")) or str(getattr(marker, "comment", "") or "")
        if any(m.frame == frame for m in markers):
            self.session.note(f"marker {marker.name!r}: frame {frame} already has a marker")
            return
        markers.append(Marker(float(frame), color if color in MARKER_COLORS else "Blue", marker.name or "", note,
                              float(duration)))
        markers.sort(key=lambda m: m.frame)


# -- export -------------------------------------------------------------------------------------------


def export_timeline(timeline: Timeline, path: Any, export_type: Any, subtype: Any) -> bool:
    """Timeline.Export (§2.9): the constants must be the live ``resolve.EXPORT_*`` values."""
    from .application import CONSTANTS
    session = runtime.current()
    names = {v: k for k, v in CONSTANTS.items()}
    if isinstance(export_type, bool) or not isinstance(export_type, int) or export_type not in names:
        raise Refuse(f"exportType must be a resolve.EXPORT_* value, not {export_type!r}")
    if not isinstance(path, str):
        raise Refuse("fileName is a path")
    kind = names[export_type]
    if subtype is not None and (isinstance(subtype, bool) or not isinstance(subtype, int) or subtype not in names):
        raise Refuse(f"exportSubtype must be a resolve.EXPORT_* value, not {subtype!r}")
    sub = names.get(subtype) if subtype is not None else None
    try:
        if kind == "EXPORT_OTIO":
            if not session.version.at_least(18, 5):
                raise Refuse("EXPORT_OTIO needs 18.5")
            _write(path, resolve_otio_text(to_otio(timeline)))
        elif kind == "EXPORT_FCP_7_XML":
            otio.adapters.write_to_file(to_otio(timeline, resolve_shape=False), path, adapter_name="fcp_xml")
        elif kind == "EXPORT_EDL":
            if sub not in ("EXPORT_NONE", "EXPORT_CDL", "EXPORT_SDL", "EXPORT_MISSING_CLIPS"):
                raise Refuse("EDL export needs an EXPORT_NONE/CDL/SDL/MISSING_CLIPS subtype")
            plain = to_otio(timeline, resolve_shape=False)
            video = [t for t in plain.tracks if t.kind == otio.schema.TrackKind.Video][:1]
            plain.tracks[:] = [otio.schema.Track(name=t.name, children=[c.deepcopy() for c in t]) for t in video]
            otio.adapters.write_to_file(plain, path, adapter_name="cmx_3600", rate=float(timeline.fps))
        elif kind == "EXPORT_AAF":
            if sub not in ("EXPORT_AAF_NEW", "EXPORT_AAF_EXISTING"):
                raise Refuse("AAF export needs an EXPORT_AAF_NEW/EXISTING subtype")
            otio.adapters.write_to_file(to_otio(timeline, resolve_shape=False), path, adapter_name="AAF")
        elif kind == "EXPORT_FCPXML_1_10":
            os.makedirs(path, exist_ok=True)
            _write(os.path.join(path, "Info.fcpxml"), _fcpxml(timeline))
        else:
            raise Refuse(f"{kind} export is not reproduced by the stand-in")
    except Refuse:
        raise
    except Exception as exc:  # noqa: BLE001 - an export that fails returns False
        raise Refuse(f"export failed: {exc}") from None
    return True


def _write(path: str, text: str) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)


def to_otio(timeline: Timeline, resolve_shape: bool = True) -> otio.schema.Timeline:
    """The timeline as OTIO; ``resolve_shape`` adds the ``Resolve_OTIO`` blocks of Resolve's exports."""
    rate = float(timeline.fps)
    out = otio.schema.Timeline(name=timeline.name)
    out.global_start_time = otio.opentime.RationalTime(timeline.start, rate)
    if resolve_shape:
        out.metadata["Resolve_OTIO"] = {"Resolve OTIO Meta Version": "1.0"}
    link_ids: dict[str, int] = {}
    for kind, otio_kind in (("video", otio.schema.TrackKind.Video), ("audio", otio.schema.TrackKind.Audio)):
        for index, track in enumerate(timeline.tracks(kind), start=1):
            target = otio.schema.Track(name=timeline.track_name(kind, index), kind=otio_kind)
            target.enabled = track.enabled
            if resolve_shape:
                block: dict[str, Any] = {"Locked": track.locked}
                if kind == "audio":
                    block.update({"Audio Type": track.subtype.capitalize(), "SoloOn": False})
                target.metadata["Resolve_OTIO"] = block
            cursor = 0
            for item in timeline.items_of(track):
                if item.role == "transition" or item.start < cursor:
                    continue
                if item.start > cursor:
                    target.append(otio.schema.Gap(source_range=otio.opentime.TimeRange(
                        duration=otio.opentime.RationalTime(item.start - cursor, rate))))
                target.append(_otio_clip(timeline, item, kind, resolve_shape, link_ids))
                cursor = item.start + item.duration
            out.tracks.append(target)
    for marker in timeline.markers:
        out.tracks.markers.append(_otio_marker(marker, marker.frame, rate, resolve_shape))
    return out


def _otio_clip(timeline: Timeline, item: TimelineItem, kind: str, resolve_shape: bool,
               link_ids: dict[str, int]) -> otio.schema.Clip:
    rate = float(timeline.fps)
    fps, frames, start_tc, still = item._media()
    clip_pool = item._clip()
    path = clip_pool.path if clip_pool is not None else item.media_path
    online = clip_pool is not None and clip_pool.online and item.role == "clip"
    RT, TR = otio.opentime.RationalTime, otio.opentime.TimeRange
    if still:
        available = TR(RT(0, rate), RT(1, rate))
        source = TR(RT(0, rate), RT(item.duration, rate))
    elif fps == timeline.fps:
        available = TR(RT(start_tc, rate), RT(frames, rate))
        source = TR(RT(start_tc + item.source_in, rate), RT(item.duration, rate))
    else:
        media_rate = float(fps)
        available = TR(RT(start_tc, media_rate), RT(frames, media_rate))
        source = TR(RT(start_tc + item.source_in, media_rate).rescaled_to(rate), RT(item.duration, rate))
    name = os.path.basename(path) if path else item.name
    if online:
        ref: otio.core.MediaReference = otio.schema.ExternalReference(target_url=path, available_range=available)
    else:
        ref = otio.schema.MissingReference(available_range=available)
        if resolve_shape:
            ref.metadata["Resolve_OTIO"] = {"Media Url": path}
    ref.name = name
    clip = otio.schema.Clip(name=item.name, source_range=source)
    clip.set_media_references({otio.schema.Clip.DEFAULT_MEDIA_KEY: ref}, otio.schema.Clip.DEFAULT_MEDIA_KEY)
    clip.enabled = item.enabled
    if resolve_shape:
        block: dict[str, Any] = {}
        if item.link:
            block["Link Group ID"] = link_ids.setdefault(item.link, len(link_ids) + 1)
        if kind == "audio":
            block["Channels"] = [{"Source Channel ID": 0, "Source Track ID": 0}]
        clip.metadata["Resolve_OTIO"] = block
    origin = start_tc if runtime.current().config.item_marker_origin == "source" else start_tc + item.source_in
    for marker in item.markers:
        clip.markers.append(_otio_marker(marker, origin + marker.frame, float(fps), resolve_shape))
    return clip


def _otio_marker(marker: Marker, frame: float, rate: float, resolve_shape: bool) -> otio.schema.Marker:
    out = otio.schema.Marker(name=marker.name, marked_range=otio.opentime.TimeRange(
        otio.opentime.RationalTime(frame, rate), otio.opentime.RationalTime(marker.duration, rate)),
        color=RESOLVE_TO_OTIO.get(marker.color, "BLUE"))
    if resolve_shape:
        out.metadata["Resolve_OTIO"] = {"Keywords": [], "Note": marker.note}
    return out


def resolve_otio_text(timeline: otio.schema.Timeline) -> str:
    """OTIO JSON in the 0.17 schema family with no ``color`` null keys, like Resolve's exports."""
    versions = otio.versioning.fetch_map(*RESOLVE_OTIO_FAMILY)
    data = json.loads(otio.adapters.write_to_string(timeline, "otio_json", target_schema_versions=versions))

    def strip(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("color", "") is None:
                del node["color"]
            for value in node.values():
                strip(value)
        elif isinstance(node, list):
            for value in node:
                strip(value)

    strip(data)
    return json.dumps(data, indent=4) + "\n"


def _fcpxml(timeline: Timeline) -> str:
    """A minimal FCPXML 1.10 document of the first video track (Resolve writes it in a directory)."""
    num, den = timeline.fps.denominator, timeline.fps.numerator
    frame = f"{num}/{den}s"
    assets, spine = [], []
    cursor = 0
    for n, item in enumerate(timeline.items_of(timeline.video[0]) if timeline.video else [], start=1):
        if item.role != "clip":
            continue
        clip = item._clip()
        src = clip.path if clip else item.media_path
        assets.append(f'<asset id="r{n + 1}" name={quoteattr(item.name)} src={quoteattr("file://" + src)} '
                      f'format="r1" hasVideo="1"/>')
        if item.start > cursor:
            spine.append(f'<gap offset="{cursor * num}/{den}s" duration="{(item.start - cursor) * num}/{den}s"/>')
        spine.append(f'<asset-clip ref="r{n + 1}" name={quoteattr(item.name)} offset="{item.start * num}/{den}s" '
                     f'start="{item.source_in * num}/{den}s" duration="{item.duration * num}/{den}s"/>')
        cursor = item.start + item.duration
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE fcpxml>\n<fcpxml version="1.10">\n<resources>\n'
            f'<format id="r1" frameDuration="{frame}"/>\n' + "\n".join(assets) + "\n</resources>\n<library>\n"
            f'<event name={quoteattr(timeline.name)}>\n<project name={quoteattr(timeline.name)}>\n'
            f'<sequence format="r1" tcStart="{timeline.start * num}/{den}s">\n<spine>\n' + "\n".join(spine)
            + "\n</spine>\n</sequence>\n</project>\n</event>\n</library>\n</fcpxml>\n")
