"""Media storage, the media pool, its bins and clips (resolve-api.md §2.4–§2.8, §4).

Media lands in the pool's **current** bin only (§2.5, §7.2 "SetCurrentFolder first"); a file the
decoder cannot read is left out of the returned list. A clip's properties (§2.8) are derived from
the decoder's reading with the documented invariants (``Frames = End − Start + 1``, ``End TC = Start TC
+ Duration``), values strings except ``FPS`` (float) and ``Super Scale`` (int); only the keys the
reference names as writable can be set, ``Reel Name`` returns True and is dropped while the project
derives reel names. Every timeline is also a pool clip with ``Type`` ``Timeline``. RelinkClips takes a
**folder** and matches by file name; ReplaceClip changes the clip for every use in every timeline.
"""

from __future__ import annotations

import csv
import math
import os
import time
import uuid
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, ClassVar

from . import runtime, store
from .base import ApiObject, Entity, Refuse, api, facade
from .markers import ClipColor, Flags, Marker, Markers, is_number
from .media import MediaInfo, probe, probe_sequence
from .timecode import frame_to_timecode, parse_rate_setting, rate_label, timecode_to_frame

WRITABLE_PROPERTIES = frozenset({"Comments", "Description", "IDT", "Data Level", "Alpha mode", "PAR", "H-FLIP",
                                 "V-FLIP", "Slate TC", "Scene", "Shot", "Take", "Good Take", "Camera #",
                                 "Angle", "Roll/Card", "Keyword", "Input Color Space", "Input Gamma"})
"""Clip properties stored as given (besides Clip Name, Start TC, FPS, Drop frame, Reel Name; §2.8)."""

METADATA_KEYS = ("Description", "Comments", "Keywords", "Scene", "Shot", "Take", "Good Take", "Camera #", "Angle",
                 "Roll Card", "Reel Number", "Clip Name")


# -- clips ------------------------------------------------------------------------------------------


@store.persisted
@dataclass(kw_only=True)
class PoolItem(Markers, Flags, ClipColor, Entity):
    """A MediaPoolItem: a media clip (``role`` ``media``) or a timeline's pool entry (``timeline``)."""

    kind: ClassVar[str] = "MediaPoolItem"
    name: str = ""
    role: str = "media"
    path: str = ""
    info: MediaInfo | None = None
    online: bool = True
    fps: Fraction | None = None
    drop: bool = False
    start_tc: str = "00:00:00:00"
    frames: int = 0
    folder: str = ""
    timeline: str = ""
    renamed: bool = False
    metadata: dict[str, str] = field(default_factory=dict)
    third_party: dict[str, str] = field(default_factory=dict)
    props: dict[str, str] = field(default_factory=dict)
    markers: list[Marker] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    color: str = ""
    proxy: str = ""
    mark: dict[str, dict[str, int]] = field(default_factory=dict)
    date_added: str = ""
    sub_start: int = 0
    sub_end: int | None = None

    # -- what the clip is ---------------------------------------------------------------------------

    @property
    def media_kind(self) -> str:
        if self.role == "timeline":
            return "timeline"
        return self.info.kind if self.info else "video"

    @property
    def is_still(self) -> bool:
        return self.media_kind == "still"

    @property
    def has_video(self) -> bool:
        return self.media_kind in ("video", "still", "sequence", "timeline")

    @property
    def has_audio(self) -> bool:
        return bool(self.info and self.info.has_audio)

    def rate(self) -> Fraction:
        if self.role == "timeline":
            return self._timeline().fps
        assert self.fps is not None
        return self.fps

    def length(self) -> int:
        """Frames of media the clip offers (its sub-clip range when it is one)."""
        if self.role == "timeline":
            return self._timeline().length()
        if self.sub_end is not None:
            return self.sub_end - self.sub_start + 1
        return self.frames

    def start_tc_frame(self) -> int:
        """The media's first frame in its own timecode (86400 for media stamped 01:00:00:00 at 24)."""
        if self.role == "timeline":
            return self._timeline().start
        frame = timecode_to_frame(self.start_tc, self.rate(), self.drop)
        return frame or 0

    def _timeline(self) -> Any:
        return runtime.current().get(self.timeline)

    def type_name(self) -> str:
        kind = self.media_kind
        if kind == "timeline":
            return "Timeline"
        if kind == "audio":
            return "Audio"
        if kind == "still":
            return "Still"
        return "Video + Audio" if self.has_audio else "Video"

    def uses(self) -> int:
        from .timeline import TimelineItem
        return sum(1 for i in runtime.current().all(TimelineItem) if i.pool == self.uid)

    def properties(self) -> dict[str, Any]:
        """Every clip property (§2.8), derived from the media and the clip's own settings."""
        rate = self.rate()
        drop = self.drop
        frames = self.length()
        start_tc_frame = self.start_tc_frame() + (self.sub_start if self.sub_end is not None else 0)
        info = self.info or MediaInfo()
        reel = self.props.get("Reel Name", "")
        props: dict[str, Any] = {
            "Alpha mode": "None", "Angle": "", "Audio Bit Depth": "16" if self.has_audio else "",
            "Audio Ch": str(info.audio_channels) if self.has_audio else "0",
            "Audio Codec": "AAC" if self.has_audio and self.media_kind != "audio" else (
                info.codec if self.media_kind == "audio" else ""),
            "Audio Offset": "", "Bit Depth": "8" if self.has_video else "", "Camera #": "", "Clip Color": self.color,
            "Clip Directory": os.path.dirname(self.path), "Clip Name": self.name, "Cloud Sync": "",
            "Comments": "", "Data Level": "Auto", "Date Added": self.date_added, "Date Created": self.date_added,
            "Date Modified": self.date_added, "Description": "", "Drop frame": "1" if drop else "0",
            "Duration": frame_to_timecode(frames, rate, drop), "Enable Deinterlacing": "0",
            "End": str(self.sub_end if self.sub_end is not None else frames - 1),
            "End TC": frame_to_timecode(start_tc_frame + frames, rate, drop),
            "FPS": round(float(rate), 3), "Field Dominance": "Auto",
            "File Name": os.path.basename(self.path), "File Path": self.path,
            "Flags": ", ".join(self.flags), "Format": info.format if self.role == "media" else "",
            "Frames": str(frames), "Good Take": "", "H-FLIP": "Off", "IDT": "",
            "In": self._mark_tc("in", rate, drop), "Input Color Space": "", "Input Gamma": "", "Input LUT": "",
            "Input Sizing Preset": "None", "Keyword": "", "Noise Reduction": "", "Offline Reference": "",
            "Online Status": "Online" if self.online else "Offline",
            "Out": self._mark_tc("out", rate, drop), "PAR": "Square",
            "Proxy": "None" if not self.proxy else f"{info.width}x{info.height}", "Proxy Media Path": self.proxy,
            "Reel Name": reel, "Resolution": f"{info.width}x{info.height}" if self.has_video and info.width else "",
            "Roll/Card": "", "S3D Sync": "", "Sample Rate": str(info.sample_rate) if self.has_audio else "",
            "Scene": "", "Sharpness": "", "Shot": "", "Slate TC": "",
            "Start": str(self.sub_start if self.sub_end is not None else 0), "Start KeyKode": "",
            "Start TC": frame_to_timecode(start_tc_frame, rate, drop), "Super Scale": 0,
            "Synced Audio": "", "Take": "", "Type": self.type_name(), "Usage": str(self.uses()),
            "V-FLIP": "Off", "Video Codec": info.codec if self.has_video and self.role == "media" else "",
        }
        if self.role == "timeline":
            props.update({"File Path": "", "File Name": "", "Clip Directory": "", "Resolution": "", "Format": ""})
        props.update({k: v for k, v in self.props.items() if k in WRITABLE_PROPERTIES})
        return props

    def _mark_tc(self, which: str, rate: Fraction, drop: bool) -> str:
        video = self.mark.get("video", {})
        return frame_to_timecode(self.start_tc_frame() + video[which], rate, drop) if which in video else ""

    # -- API: identity ------------------------------------------------------------------------------

    @api(fail=None)
    def GetName(self) -> str:
        if self.role == "timeline":
            return self._timeline().name
        return self.name

    @api(fail=False, writes=True, since=(20, 2))
    def SetName(self, clipName: str) -> bool:
        return self._rename(clipName)

    def _rename(self, name: Any) -> bool:
        if not isinstance(name, str) or not name.strip():
            raise Refuse("a clip name is a non-empty string")
        if self.role == "timeline":
            raise Refuse("rename a timeline with Timeline.SetName")
        self.name, self.renamed = name, True
        return True

    @api(fail=None)
    def GetMediaId(self) -> str:
        return self.uid if self.role == "timeline" else str(uuid.uuid5(uuid.NAMESPACE_URL, self.path))

    @api(fail=None)
    def GetUniqueId(self) -> str:
        return self.uid

    @api(fail=None, since=(21, 0, 4))
    def GetTimeline(self) -> Any:
        """The timeline of a ``Type='Timeline'`` clip (21.0.4), else None."""
        if self.role != "timeline":
            raise Refuse("not a timeline clip")
        return self._timeline()

    # -- API: properties and metadata -----------------------------------------------------------------

    @api(fail=None)
    def GetClipProperty(self, propertyName: str | None = None) -> Any:
        props = self.properties()
        if propertyName is None or propertyName == "":
            return props
        if propertyName not in props:
            raise Refuse(f"no clip property {propertyName!r}")
        return props[propertyName]

    @api(fail=False, writes=True)
    def SetClipProperty(self, propertyName: str, propertyValue: Any) -> bool:
        """Set a writable property (§2.8); values are strings (FPS also a number)."""
        session = runtime.current()
        if propertyName == "FPS" and is_number(propertyValue):
            propertyValue = rate_label(Fraction(propertyValue).limit_denominator(1001)) if float(
                propertyValue) != int(propertyValue) else str(int(propertyValue))
        if not isinstance(propertyValue, str):
            if session.config.strict_types:
                raise Refuse(f"{propertyName}: values are strings")
            propertyValue = str(propertyValue)
        if propertyName == "Clip Name":
            return self._rename(propertyValue)
        if self.role == "timeline" and propertyName not in ("Comments", "Description"):
            raise Refuse(f"{propertyName} cannot be set on a timeline clip")
        if propertyName == "Reel Name":
            if not session.config.reel_names_derived:
                self.props["Reel Name"] = propertyValue
            return True
        if propertyName == "Start TC":
            if timecode_to_frame(propertyValue, self.rate(), self.drop) is None:
                raise Refuse(f"not a timecode: {propertyValue!r}")
            self.start_tc = propertyValue
            return True
        if propertyName == "FPS":
            parsed = parse_rate_setting(propertyValue)
            if parsed is None:
                raise Refuse(f"not a frame rate: {propertyValue!r}")
            start = self.start_tc_frame()
            self.fps = parsed[0]
            self.start_tc = frame_to_timecode(start, self.fps, self.drop)
            return True
        if propertyName == "Drop frame":
            if propertyValue not in ("0", "1") or (propertyValue == "1" and rate_label(self.rate()) not in (
                    "29.97", "59.94")):
                raise Refuse("Drop frame is '0', or '1' at 29.97 / 59.94")
            self.drop = propertyValue == "1"
            return True
        if propertyName not in WRITABLE_PROPERTIES:
            raise Refuse(f"clip property {propertyName!r} is not writable")
        self.props[propertyName] = propertyValue
        return True

    @api(fail=None)
    def GetMetadata(self, metadataType: str | None = None) -> Any:
        """All metadata set on the clip (a dict), or one key's string (``''`` when unset)."""
        if metadataType is None or metadataType == "":
            return dict(self.metadata)
        if not isinstance(metadataType, str):
            raise Refuse("metadata keys are strings")
        return self.metadata.get(metadataType, "")

    @api(fail=False, writes=True)
    def SetMetadata(self, metadataType: Any, metadataValue: Any = None) -> bool:
        """``SetMetadata(key, value)`` or ``SetMetadata({key: value})``; string values only."""
        pairs = metadataType.items() if isinstance(metadataType, dict) and metadataValue is None else [
            (metadataType, metadataValue)]
        pairs = list(pairs)
        for key, value in pairs:
            if not isinstance(key, str) or not isinstance(value, str):
                raise Refuse("metadata keys and values are strings")
        for key, value in pairs:
            if key in ("Reel Number", "Reel Name") and runtime.current().config.reel_names_derived:
                continue
            self.metadata[key] = value
        return True

    @api(fail=None, final19=True, since=(19, 0))
    def GetThirdPartyMetadata(self, metadataType: str | None = None) -> Any:
        if metadataType is None or metadataType == "":
            return dict(self.third_party)
        return self.third_party.get(metadataType, "")

    @api(fail=False, writes=True, final19=True, since=(19, 0))
    def SetThirdPartyMetadata(self, metadataType: Any, metadataValue: Any = None) -> bool:
        pairs = list(metadataType.items()) if isinstance(metadataType, dict) and metadataValue is None else [
            (metadataType, metadataValue)]
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in pairs):
            raise Refuse("third-party metadata keys and values are strings")
        self.third_party.update(dict(pairs))
        return True

    # -- API: media ---------------------------------------------------------------------------------

    @api(fail=False, writes=True)
    def ReplaceClip(self, filePath: str) -> bool:
        """Point the clip at another file: every use in every timeline changes (§4)."""
        return self._replace(filePath, keep_sub=False)

    @api(fail=False, writes=True, since=(20, 0))
    def ReplaceClipPreserveSubClip(self, filePath: str) -> bool:
        return self._replace(filePath, keep_sub=True)

    def _replace(self, path: Any, keep_sub: bool) -> bool:
        if self.role != "media" or not isinstance(path, str):
            raise Refuse("not a media clip, or not a path")
        info = probe(path, runtime.current().config.media)
        if info is None:
            raise Refuse(f"cannot read {path!r}")
        project = runtime.current().get(self.project)
        self._link(os.path.abspath(path), info, project)
        if not keep_sub:
            self.sub_start, self.sub_end = 0, None
        return True

    def _link(self, path: str, info: MediaInfo, project: Any) -> None:
        self.path, self.info, self.online = path, info, True
        self.fps = info.fps or self.fps or project.rate()[0]
        self.drop = info.drop
        self.start_tc = info.start_tc
        self.frames = frames_of(info, self.fps)
        if not self.renamed:
            self.name = os.path.basename(path)

    @api(fail=False, writes=True)
    def LinkProxyMedia(self, proxyMediaFilePath: str) -> bool:
        if not isinstance(proxyMediaFilePath, str) or probe(proxyMediaFilePath, runtime.current().config.media) is None:
            raise Refuse(f"cannot read proxy {proxyMediaFilePath!r}")
        self.proxy = os.path.abspath(proxyMediaFilePath)
        return True

    @api(fail=False, writes=True)
    def UnlinkProxyMedia(self) -> bool:
        if not self.proxy:
            raise Refuse("no proxy linked")
        self.proxy = ""
        return True

    @api(fail=False, writes=True, since=(20, 0))
    def LinkFullResolutionMedia(self, fullResMediaPath: str) -> bool:
        return self._replace(fullResMediaPath, keep_sub=True)

    # -- API: marks -----------------------------------------------------------------------------------

    @api(fail=None, since=(20, 0))
    def GetMarkInOut(self) -> dict[str, dict[str, int]]:
        return {k: dict(v) for k, v in self.mark.items()}

    @api(fail=False, writes=True, since=(20, 0))
    def SetMarkInOut(self, markIn: int, markOut: int, type: str = "all") -> bool:
        if not (is_number(markIn) and is_number(markOut)) or not 0 <= markIn <= markOut < self.length():
            raise Refuse("mark in/out outside the clip")
        if type not in ("all", "video", "audio"):
            raise Refuse(f"mark type {type!r}")
        for kind in (("video", "audio") if type == "all" else (type,)):
            self.mark[kind] = {"in": int(markIn), "out": int(markOut)}
        return True

    @api(fail=False, writes=True, since=(20, 0))
    def ClearMarkInOut(self, type: str = "all") -> bool:
        for kind in (("video", "audio") if type == "all" else (type,)):
            self.mark.pop(kind, None)
        return True


def frames_of(info: MediaInfo, fps: Fraction) -> int:
    """The frames a media file offers at ``fps`` (audio is counted at the rate it takes at import)."""
    if info.kind == "audio":
        return max(1, math.floor(Fraction(info.seconds).limit_denominator(10**6) * fps))
    return info.frames


def new_clip(session: Any, project: Any, path: str, info: MediaInfo, folder: Folder) -> PoolItem:
    """A pool clip for ``path`` in ``folder``; audio and stills take the project's rate (§2.8)."""
    clip = PoolItem(project=project.uid, folder=folder.uid, date_added=time.strftime("%a %b %d %Y %H:%M:%S"))
    clip._link(os.path.abspath(path), info, project)
    session.add(clip)
    folder.clips.append(clip.uid)
    return clip


# -- bins -------------------------------------------------------------------------------------------


@store.persisted
@dataclass(kw_only=True)
class Folder(Entity):
    """A media pool bin (§2.6). The root is "Master"."""

    kind: ClassVar[str] = "Folder"
    name: str = ""
    parent: str = ""
    clips: list[str] = field(default_factory=list)
    subfolders: list[str] = field(default_factory=list)

    @api(fail=None)
    def GetClipList(self) -> list[PoolItem]:
        """The bin's clips, timelines included (``Type`` ``Timeline``)."""
        session = runtime.current()
        return [c for c in (session.get(uid, PoolItem) for uid in self.clips) if c is not None]

    @api(fail=None)
    def GetName(self) -> str:
        return self.name

    @api(fail=None)
    def GetSubFolderList(self) -> list[Folder]:
        session = runtime.current()
        return [session.get(uid, Folder) for uid in self.subfolders]

    @api(fail=None)
    def GetIsFolderStale(self) -> bool:
        return False

    @api(fail=None)
    def GetUniqueId(self) -> str:
        return self.uid

    @api(fail=None)
    def GetClips(self) -> dict[int, PoolItem]:
        """Deprecated form: ``{1: clip, …}``."""
        return {i: c for i, c in enumerate(self.GetClipList(), start=1)}

    @api(fail=None)
    def GetSubFolders(self) -> dict[int, Folder]:
        """Deprecated form: ``{1: bin, …}``."""
        return {i: f for i, f in enumerate(self.GetSubFolderList(), start=1)}

    @api(fail=False)
    def Export(self, filePath: str) -> bool:
        raise Refuse("DRB export is not reproduced by the stand-in")


# -- the pool ------------------------------------------------------------------------------------------


class MediaPool(ApiObject):
    """A project's media pool (§2.5). Timeline calls are in :mod:`_resolve_standin.timeline` and
    :mod:`_resolve_standin.interchange`."""

    kind: ClassVar[str] = "MediaPool"

    def __init__(self, project_uid: str) -> None:
        self.project_uid = project_uid

    def ref(self) -> tuple[str, str]:
        return ("MediaPool", self.project_uid)

    def _project(self) -> Any:
        return runtime.current().get(self.project_uid)

    def _folder(self, value: Any) -> Folder:
        if not isinstance(value, Folder) or value.project != self.project_uid:
            raise Refuse("not a bin of this project's media pool")
        return value

    def _clips(self, value: Any) -> list[PoolItem]:
        if not isinstance(value, list) or not all(
                isinstance(c, PoolItem) and c.project == self.project_uid for c in value):
            raise Refuse("expected a list of this pool's clips")
        return value

    # -- bins ---------------------------------------------------------------------------------------

    @api(fail=None)
    def GetRootFolder(self) -> Folder:
        return runtime.current().get(self._project().root_folder)

    @api(fail=None, writes=True)
    def AddSubFolder(self, folder: Any, name: str) -> Folder:
        """A new bin in ``folder``; None for a name the folder already has [§8]."""
        session = runtime.current()
        parent = self._folder(folder)
        if not isinstance(name, str) or not name.strip():
            raise Refuse("a bin name is a non-empty string")
        if any(session.get(uid, Folder).name == name for uid in parent.subfolders):
            raise Refuse(f"bin {name!r} exists")
        child = Folder(name=name, parent=parent.uid, project=self.project_uid)
        session.add(child)
        parent.subfolders.append(child.uid)
        return child

    @api(fail=None)
    def GetCurrentFolder(self) -> Folder:
        return runtime.current().get(self._project().current_folder)

    @api(fail=False, writes=True, dirties=False)
    def SetCurrentFolder(self, folder: Any) -> bool:
        self._project().current_folder = self._folder(folder).uid
        return True

    @api(fail=False, writes=True)
    def DeleteFolders(self, folders: Any) -> bool:
        session = runtime.current()
        project = self._project()
        if not isinstance(folders, list) or not all(isinstance(f, Folder) for f in folders):
            raise Refuse("expected a list of bins")
        for folder in folders:
            self._folder(folder)
            if folder.uid == project.root_folder:
                raise Refuse("the root bin cannot be deleted")
        for folder in folders:
            self._delete_folder(session, project, folder)
        return True

    def _delete_folder(self, session: Any, project: Any, folder: Folder) -> None:
        for uid in list(folder.subfolders):
            self._delete_folder(session, project, session.get(uid, Folder))
        _delete_clips(session, project, [session.get(uid, PoolItem) for uid in list(folder.clips)])
        parent = session.get(folder.parent, Folder)
        if parent is not None and folder.uid in parent.subfolders:
            parent.subfolders.remove(folder.uid)
        if project.current_folder == folder.uid:
            project.current_folder = project.root_folder
        session.remove(folder.uid)

    @api(fail=False, writes=True)
    def MoveClips(self, clips: Any, targetFolder: Any) -> bool:
        session = runtime.current()
        target = self._folder(targetFolder)
        for clip in self._clips(clips):
            source = session.get(clip.folder, Folder)
            if source is not None and clip.uid in source.clips:
                source.clips.remove(clip.uid)
            target.clips.append(clip.uid)
            clip.folder = target.uid
        return True

    @api(fail=False, writes=True)
    def MoveFolders(self, folders: Any, targetFolder: Any) -> bool:
        session = runtime.current()
        target = self._folder(targetFolder)
        if not isinstance(folders, list):
            raise Refuse("expected a list of bins")
        for folder in folders:
            self._folder(folder)
            ancestor: Folder | None = target
            while ancestor is not None:
                if ancestor.uid == folder.uid:
                    raise Refuse("a bin cannot move into itself")
                ancestor = session.get(ancestor.parent, Folder)
        for folder in folders:
            parent = session.get(folder.parent, Folder)
            if parent is not None:
                parent.subfolders.remove(folder.uid)
            target.subfolders.append(folder.uid)
            folder.parent = target.uid
        return True

    # -- clips --------------------------------------------------------------------------------------

    @api(fail=None, writes=True)
    def ImportMedia(self, items: Any) -> list[PoolItem]:
        """Import files (or ``{FilePath, StartIndex, EndIndex}`` image sequences) into the **current**
        bin; unreadable entries are left out (§2.5)."""
        session = runtime.current()
        project = self._project()
        if isinstance(items, str):
            items = [items]
        if not isinstance(items, list):
            raise Refuse("ImportMedia takes a list of paths or of {FilePath, StartIndex, EndIndex}")
        folder = session.get(project.current_folder, Folder)
        out: list[PoolItem] = []
        for entry in items:
            if isinstance(entry, dict):
                pattern, first, last = entry.get("FilePath"), entry.get("StartIndex"), entry.get("EndIndex")
                if not isinstance(pattern, str) or not isinstance(first, int) or not isinstance(last, int):
                    session.note(f"bad image sequence entry {entry!r}")
                    continue
                info = probe_sequence(pattern, first, last)
                if info is None:
                    session.note(f"cannot read image sequence {pattern!r}")
                    continue
                out.append(new_clip(session, project, pattern, info, folder))
            elif isinstance(entry, str):
                out.extend(import_paths(session, project, [entry], folder))
            else:
                session.note(f"not a path: {entry!r}")
        return out

    @api(fail=False, writes=True)
    def DeleteClips(self, clips: Any) -> bool:
        session = runtime.current()
        _delete_clips(session, self._project(), self._clips(clips))
        return True

    @api(fail=False, writes=True)
    def RelinkClips(self, mediaPoolItems: Any, folderPath: str) -> bool:
        """Point clips at files of the same name under ``folderPath`` (a folder, §4); True when any
        was relinked [UNV]."""
        session = runtime.current()
        clips = self._clips(mediaPoolItems)
        if not isinstance(folderPath, str) or not os.path.isdir(folderPath):
            raise Refuse(f"not a folder: {folderPath!r}")
        found = _files_by_name(folderPath, session.config.relink_recursive)
        relinked = 0
        for clip in clips:
            if clip.role != "media":
                continue
            candidate = found.get(os.path.basename(clip.path))
            info = probe(candidate, session.config.media) if candidate else None
            if info is None:
                continue
            clip._link(candidate, info, self._project())
            relinked += 1
        if not relinked:
            raise Refuse("no clip found a file of its name")
        return True

    @api(fail=False, writes=True)
    def UnlinkClips(self, mediaPoolItems: Any) -> bool:
        for clip in self._clips(mediaPoolItems):
            clip.online = False
        return True

    @api(fail=False, writes=True)
    def ExportMetadata(self, fileName: str, clips: Any = None) -> bool:
        """Write the clips' properties as CSV (all clips of the pool when none are given)."""
        session = runtime.current()
        if not isinstance(fileName, str):
            raise Refuse("not a file name")
        chosen = self._clips(clips) if clips is not None else [
            c for c in session.all(PoolItem) if c.project == self.project_uid and c.role == "media"]
        rows = [c.properties() for c in chosen]
        try:
            with open(fileName, "w", newline="", encoding="utf-8") as handle:
                writer = csv.DictWriter(handle, fieldnames=sorted(rows[0]) if rows else ["Clip Name"])
                writer.writeheader()
                writer.writerows(rows)
        except OSError as exc:
            raise Refuse(f"cannot write {fileName}: {exc}") from None
        return True

    @api(fail=None)
    def GetUniqueId(self) -> str:
        return f"pool-{self.project_uid}"

    @api(fail=None, since=(20, 0))
    def GetSelectedClips(self) -> list[PoolItem]:
        session = runtime.current()
        return [c for c in (session.get(u, PoolItem) for u in self._project().selected_clips) if c]

    @api(fail=False, writes=True, dirties=False, since=(20, 0))
    def SetSelectedClip(self, mediaPoolItem: Any) -> bool:
        self._clips([mediaPoolItem])
        self._project().selected_clips = [mediaPoolItem.uid]
        return True

    @api(fail=False)
    def ImportFolderFromFile(self, folderPath: str, sourceClipsPath: str = "") -> bool:
        raise Refuse("DRB import is not reproduced by the stand-in")

    @api(fail=None, writes=True)
    def CreateMulticamClip(self, clips: Any, options: Any = None) -> Any:
        raise Refuse("multicam is not reproduced by the stand-in")

    # -- timelines (see timeline.py and interchange.py) ----------------------------------------------

    @api(fail=None, writes=True)
    def CreateEmptyTimeline(self, name: str) -> Any:
        from .timeline import create_empty_timeline
        return create_empty_timeline(self._project(), name)

    @api(fail=None, writes=True)
    def AppendToTimeline(self, *clips: Any) -> Any:
        from .timeline import append_to_timeline
        return append_to_timeline(self._project(), clips)

    @api(fail=None, writes=True)
    def CreateTimelineFromClips(self, name: str, *clips: Any) -> Any:
        from .timeline import create_timeline_from_clips
        return create_timeline_from_clips(self._project(), name, clips)

    @api(fail=False, writes=True)
    def DeleteTimelines(self, timelines: Any) -> bool:
        from .timeline import delete_timelines
        return delete_timelines(self._project(), timelines)

    @api(fail=None, writes=True)
    def ImportTimelineFromFile(self, filePath: str, importOptions: Any = None) -> Any:
        from .interchange import import_timeline
        return import_timeline(self._project(), filePath, {} if importOptions is None else importOptions)


def _files_by_name(folder: str, recursive: bool) -> dict[str, str]:
    found: dict[str, str] = {}
    if recursive:
        for root, _dirs, files in sorted(os.walk(folder)):
            for name in sorted(files):
                found.setdefault(name, os.path.join(root, name))
    else:
        for name in sorted(os.listdir(folder)):
            if os.path.isfile(os.path.join(folder, name)):
                found[name] = os.path.join(folder, name)
    return {k: os.path.abspath(v) for k, v in found.items()}


def media_files(path: str) -> list[str]:
    """``path`` itself, or the files under a folder (sorted, recursively)."""
    if os.path.isdir(path):
        return sorted(os.path.join(root, name) for root, _d, files in os.walk(path) for name in files
                      if not name.startswith("."))
    return [path]


def import_paths(session: Any, project: Any, paths: list[str], folder: Folder,
                 ranges: list[tuple[int, int | None]] | None = None) -> list[PoolItem]:
    """Import ``paths`` (files or folders) into ``folder``; unreadable files are noted and skipped."""
    out: list[PoolItem] = []
    for index, path in enumerate(paths):
        for file in media_files(path):
            file = os.path.abspath(file)
            if session.config.import_duplicates == "skip" and any(
                    session.get(uid, PoolItem) is not None and session.get(uid, PoolItem).path == file
                    for uid in folder.clips):
                session.note(f"{file} is already in the bin")
                continue
            info = probe(file, session.config.media)
            if info is None:
                session.note(f"cannot import {file}")
                continue
            clip = new_clip(session, project, file, info, folder)
            if ranges and ranges[index][1] is not None:
                start, end = ranges[index]
                clip.sub_start, clip.sub_end = start, end
            out.append(clip)
    return out


def _delete_clips(session: Any, project: Any, clips: list[PoolItem]) -> None:
    from .timeline import TimelineItem, delete_timelines
    for clip in clips:
        if clip is None:
            continue
        if clip.role == "timeline":
            timeline = session.get(clip.timeline)
            if timeline is not None:
                delete_timelines(project, [timeline])
            continue
        for item in session.all(TimelineItem):
            if item.pool == clip.uid:
                if session.config.deleted_clip_items == "remove":
                    item.detach(session)
                else:
                    item.forget_pool(clip)
        folder = session.get(clip.folder, Folder)
        if folder is not None and clip.uid in folder.clips:
            folder.clips.remove(clip.uid)
        if clip.uid in project.selected_clips:
            project.selected_clips.remove(clip.uid)
        session.remove(clip.uid)


class MediaStorage(ApiObject):
    """The file system as Resolve's Media page shows it (§2.4)."""

    kind: ClassVar[str] = "MediaStorage"

    def ref(self) -> tuple[str, str]:
        return ("MediaStorage", "")

    @api(fail=None)
    def GetMountedVolumeList(self) -> list[str]:
        return list(runtime.current().config.volumes)

    @api(fail=None)
    def GetSubFolderList(self, folderPath: str) -> list[str]:
        if not isinstance(folderPath, str) or not os.path.isdir(folderPath):
            raise Refuse(f"not a folder: {folderPath!r}")
        return sorted(os.path.join(os.path.abspath(folderPath), n) for n in os.listdir(folderPath)
                      if os.path.isdir(os.path.join(folderPath, n)))

    @api(fail=None)
    def GetFileList(self, folderPath: str) -> list[str]:
        if not isinstance(folderPath, str) or not os.path.isdir(folderPath):
            raise Refuse(f"not a folder: {folderPath!r}")
        return sorted(os.path.join(os.path.abspath(folderPath), n) for n in os.listdir(folderPath)
                      if os.path.isfile(os.path.join(folderPath, n)))

    @api(fail=False)
    def RevealInStorage(self, path: str) -> bool:
        if not isinstance(path, str) or not os.path.exists(path):
            raise Refuse(f"no such path: {path!r}")
        return True

    @api(fail=None, writes=True)
    def AddItemListToMediaPool(self, *items: Any) -> list[PoolItem]:
        """``(p1, p2, …)``, ``([paths])`` or ``([{media, startFrame, endFrame}])`` into the current bin."""
        session = runtime.current()
        project = session.project()
        entries = list(items[0]) if len(items) == 1 and isinstance(items[0], list) else list(items)
        paths: list[str] = []
        ranges: list[tuple[int, int | None]] = []
        for entry in entries:
            if isinstance(entry, str):
                paths.append(entry)
                ranges.append((0, None))
            elif isinstance(entry, dict) and isinstance(entry.get("media"), str):
                start, end = entry.get("startFrame", 0), entry.get("endFrame")
                if not is_number(start) or (end is not None and not is_number(end)):
                    session.note(f"bad sub-clip range in {entry!r}")
                    continue
                paths.append(entry["media"])
                ranges.append((int(start), None if end is None else int(end)))
            else:
                raise Refuse(f"not a path or {{media, startFrame, endFrame}}: {entry!r}")
        folder = session.get(project.current_folder, Folder)
        return import_paths(session, project, paths, folder, ranges)


@facade("MediaPool")
def _media_pool(session: Any, ident: str) -> MediaPool | None:
    return MediaPool(ident) if session.get(ident) is not None else None


@facade("MediaStorage")
def _media_storage(session: Any, ident: str) -> MediaStorage:
    return MediaStorage()
