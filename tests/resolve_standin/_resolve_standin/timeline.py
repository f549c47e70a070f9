"""Timelines, tracks, timeline items and the take selector (resolve-api.md §2.9, §2.10, §2.13, §7.1, §7.2).

Record frames are **absolute** (``GetStart``/``GetEnd``, clipInfo ``recordFrame``): a timeline starts at
01:00:00:00 (86400 at 24 fps) and items are kept relative to that start, so ``SetStartTimecode`` moves
them with it and a 0-based recordFrame lands before the start and reads back fine (§7.1). Item ends are
exclusive, ``GetDuration = End − Start``. AppendToTimeline works on the **current** timeline only; its
clipInfo ``endFrame`` is inclusive on 19.1.x and exclusive elsewhere; ``startFrame``/``endFrame`` are
0-based source frames; a source range at another rate becomes timeline frames by flooring; an entry
landing on an occupied span is dropped and shows as a **ghost** (every Get* None, empty unique id) in
the returned list, and the items of such an errored call vanish at the next SaveProject (§7.2).
CreateTimelineFromClips needs its clips in the current bin and de-duplicates ``[clip]*n`` (§7.2).
Timeline.DeleteClips works only on the Edit page and leaves linked audio (§2.9). The take selector
follows §2.13: take 1 is the original, selection swaps the item's clip at once, ``FinalizeTake``
collapses it in place.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, ClassVar

from . import runtime, store
from .base import ApiObject, Entity, Refuse, api, facade, new_uid
from .markers import ClipColor, Flags, Marker, Markers, is_number
from .mediapool import Folder, PoolItem
from .timecode import frame_to_timecode, rate_label, timecode_to_frame
from .versions import FINAL_19, available

TRACK_TYPES = ("video", "audio", "subtitle")
AUDIO_SUBTYPES = ("mono", "stereo", "5.1", "5.1film", "7.1", "7.1film") + tuple(f"adaptive{n}" for n in range(1, 37))
DEFAULT_START_TC = "01:00:00:00"

# (default, kind, low, high): kind "float" takes numbers, "bool" booleans, "enum" ints (README ranges).
_PROPERTIES: dict[str, tuple[Any, str, float, float]] = {
    "Pan": (0.0, "float", -4.0, 4.0), "Tilt": (0.0, "float", -4.0, 4.0), "ZoomX": (1.0, "float", 0.0, 100.0),
    "ZoomY": (1.0, "float", 0.0, 100.0), "ZoomGang": (True, "bool", 0, 1),
    "RotationAngle": (0.0, "float", -360.0, 360.0), "AnchorPointX": (0.0, "float", -4.0, 4.0),
    "AnchorPointY": (0.0, "float", -4.0, 4.0), "Pitch": (0.0, "float", -1.5, 1.5), "Yaw": (0.0, "float", -1.5, 1.5),
    "FlipX": (False, "bool", 0, 1), "FlipY": (False, "bool", 0, 1), "CropLeft": (0.0, "float", 0.0, 1.0),
    "CropRight": (0.0, "float", 0.0, 1.0), "CropTop": (0.0, "float", 0.0, 1.0),
    "CropBottom": (0.0, "float", 0.0, 1.0), "CropSoftness": (0.0, "float", -100.0, 100.0),
    "CropRetain": (False, "bool", 0, 1), "DynamicZoomEase": (0, "enum", 0, 3), "CompositeMode": (0, "enum", 0, 30),
    "Opacity": (100.0, "float", 0.0, 100.0), "Distortion": (0.0, "float", -1.0, 1.0),
    "RetimeProcess": (0, "enum", 0, 3), "MotionEstimation": (0, "enum", 0, 6), "Scaling": (0, "enum", 0, 4),
    "ResizeFilter": (0, "enum", 0, 12),
}
"""TimelineItem.GetProperty keys (§2.10). Pan/Tilt/Anchor ranges scale with the width/height and crops
with the size (README); the stand-in keeps the factors and multiplies by the timeline resolution."""
_SCALED_BY_WIDTH = ("Pan", "AnchorPointX", "CropLeft", "CropRight")
_SCALED_BY_HEIGHT = ("Tilt", "AnchorPointY", "CropTop", "CropBottom")


def _whole(value: Any, what: str, floats_ok: bool = True) -> int:
    """A frame number from an int or (19.0 final+, or with strict_types off) a float, floored."""
    session = runtime.current()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise Refuse(f"{what} must be a number, not {value!r}")
    if isinstance(value, float):
        if not floats_ok and session.config.strict_types:
            raise Refuse(f"{what}: float frames need 19.0 final or later")
        return math.floor(value)
    return value


def _index(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


@store.persisted
@dataclass
class Track:
    """One track: its items in placement order (sorted on read). ``name`` ``""`` reads "Video N"."""

    name: str = ""
    enabled: bool = True
    locked: bool = False
    subtype: str = ""
    items: list[str] = field(default_factory=list)


@store.persisted
@dataclass
class Take:
    """One take of a selector: a pool clip and its extent in the clip's source frames."""

    pool: str
    start: int | float
    end: int | float


# -- timelines --------------------------------------------------------------------------------------


@store.persisted
@dataclass(kw_only=True)
class Timeline(Markers, Entity):
    """A timeline: absolute start frame, exact rate, tracks by type, markers relative to the start."""

    kind: ClassVar[str] = "Timeline"
    name: str = ""
    start: int = 0
    fps: Fraction = Fraction(24)
    drop: bool = False
    video: list[Track] = field(default_factory=list)
    audio: list[Track] = field(default_factory=list)
    subtitle: list[Track] = field(default_factory=list)
    markers: list[Marker] = field(default_factory=list)
    pool_item: str = ""
    playhead: int | None = None
    settings: dict[str, str] = field(default_factory=dict)
    mark: dict[str, dict[str, int]] = field(default_factory=dict)

    # -- helpers -----------------------------------------------------------------------------------

    def tracks(self, kind: Any) -> list[Track] | None:
        return getattr(self, kind) if kind in TRACK_TYPES else None

    def all_tracks(self) -> list[Track]:
        return self.video + self.audio + self.subtitle

    def track(self, kind: Any, index: Any) -> Track | None:
        tracks = self.tracks(kind)
        i = _index(index)
        if tracks is None or i is None or not 1 <= i <= len(tracks):
            return None
        return tracks[i - 1]

    def _need_track(self, kind: Any, index: Any) -> Track:
        track = self.track(kind, index)
        if track is None:
            raise Refuse(f"no {kind!r} track {index!r}")
        return track

    def items_of(self, track: Track) -> list[TimelineItem]:
        session = runtime.current()
        found = [session.get(uid, TimelineItem) for uid in track.items]
        return sorted((i for i in found if i is not None), key=lambda i: (i.start, i.role == "transition"))

    def locate(self, item: TimelineItem) -> tuple[str, int]:
        for kind in TRACK_TYPES:
            for index, track in enumerate(self.tracks(kind) or [], start=1):
                if item.uid in track.items:
                    return kind, index
        return item.track_type, 0

    def track_end(self, track: Track) -> int:
        """The end (relative, exclusive) of the last item on ``track``; 0 when empty."""
        return max((i.start + i.duration for i in self.items_of(track) if i.role != "transition"), default=0)

    def length(self) -> int:
        return max((self.track_end(t) for t in self.all_tracks()), default=0)

    def track_name(self, kind: str, index: int) -> str:
        track = self.tracks(kind)[index - 1]
        return track.name or f"{kind.capitalize()} {index}"

    def timecode(self, frame: int) -> str:
        return frame_to_timecode(frame, self.fps, self.drop)

    def setting_values(self) -> dict[str, Any]:
        session = runtime.current()
        project = session.get(self.project)
        custom = self.settings.get("useCustomSettings", "0") == "1"
        label = rate_label(self.fps)
        values: dict[str, Any] = {
            "useCustomSettings": "1" if custom else "0",
            "timelineFrameRate": (float(label) if "." in label else int(label)) if session.config.fps_as_number
            else label,
            "timelineDropFrameTimecode": "1" if self.drop else "0",
        }
        for key in ("timelineResolutionWidth", "timelineResolutionHeight", "timelinePixelAspectRatio",
                    "timelineInputResMismatchBehavior", "timelineOutputResolutionWidth",
                    "timelineOutputResolutionHeight"):
            values[key] = self.settings.get(key, project.settings.get(key, "")) if custom else project.settings.get(
                key, "")
        return values

    # -- API: identity and time ----------------------------------------------------------------------

    @api(fail=None)
    def GetName(self) -> str:
        return self.name

    @api(fail=False, writes=True)
    def SetName(self, timelineName: str) -> bool:
        """Rename; False for a name another timeline of the project has."""
        project = runtime.current().get(self.project)
        _check_new_name(project, timelineName, allow=self.name)
        self.name = timelineName
        return True

    @api(fail=None, since=(18, 0))
    def GetUniqueId(self) -> str:
        return self.uid

    @api(fail=None)
    def GetStartFrame(self) -> int:
        """The absolute first frame (86400 for 01:00:00:00 at 24 fps)."""
        return self.start

    @api(fail=None)
    def GetEndFrame(self) -> int:
        """The absolute frame after the last item (``timeline_end`` knob: or the last frame) [UNV]."""
        end = self.start + self.length()
        return end - 1 if runtime.current().config.timeline_end == "inclusive" and self.length() else end

    @api(fail=None, since=(18, 0))
    def GetStartTimecode(self) -> str:
        return self.timecode(self.start)

    @api(fail=False, writes=True, since=(18, 0))
    def SetStartTimecode(self, timecode: str) -> bool:
        """Move the timeline's start; items keep their place relative to it."""
        frame = timecode_to_frame(timecode, self.fps, self.drop) if isinstance(timecode, str) else None
        if frame is None:
            raise Refuse(f"not a timecode: {timecode!r}")
        if self.playhead is not None:
            self.playhead += frame - self.start
        self.start = frame
        return True

    @api(fail=None)
    def GetCurrentTimecode(self) -> str:
        return self.timecode(self.start if self.playhead is None else self.playhead)

    @api(fail=False, writes=True, dirties=False)
    def SetCurrentTimecode(self, timecode: str) -> bool:
        """Move the playhead to an absolute timecode; False below the start (§2.9)."""
        frame = timecode_to_frame(timecode, self.fps, self.drop) if isinstance(timecode, str) else None
        if frame is None or frame < self.start:
            raise Refuse(f"timecode {timecode!r} is not on the timeline")
        self.playhead = frame
        return True

    @api(fail=None, since=(20, 0))
    def GetMediaPoolItem(self) -> PoolItem:
        return runtime.current().get(self.pool_item)

    # -- API: tracks -----------------------------------------------------------------------------------

    @api(fail=None)
    def GetTrackCount(self, trackType: str) -> int:
        tracks = self.tracks(trackType)
        if tracks is None:
            raise Refuse(f"no track type {trackType!r}")
        return len(tracks)

    @api(fail=False, writes=True, since=(18, 5))
    def AddTrack(self, trackType: str, subTrackType: Any = None) -> bool:
        """Add a track at the end (``{audioType, index}`` from 20.0 inserts at ``index``)."""
        tracks = self.tracks(trackType)
        if tracks is None:
            raise Refuse(f"no track type {trackType!r}")
        position = len(tracks)
        subtype = subTrackType
        if isinstance(subTrackType, dict):
            if not runtime.current().version.at_least(20, 0):
                raise Refuse("the {audioType, index} form needs 20.0")
            subtype = subTrackType.get("audioType")
            index = subTrackType.get("index")
            if index is not None:
                if _index(index) is None or not 1 <= index <= len(tracks) + 1:
                    raise Refuse(f"bad track index {index!r}")
                position = index - 1
        if trackType == "audio":
            subtype = runtime.current().config.audio_track_type if subtype is None else subtype
            if subtype not in AUDIO_SUBTYPES:
                raise Refuse(f"no audio track type {subtype!r}")
        else:
            subtype = ""
        tracks.insert(position, Track(subtype=subtype))
        return True

    @api(fail=False, writes=True, since=(18, 5))
    def DeleteTrack(self, trackType: str, trackIndex: int) -> bool:
        track = self._need_track(trackType, trackIndex)
        if trackType == "video" and len(self.video) == 1:
            raise Refuse("a timeline keeps at least one video track [UNV]")
        session = runtime.current()
        for uid in track.items:
            session.remove(uid)
        self.tracks(trackType).remove(track)
        return True

    @api(fail=None)
    def GetTrackName(self, trackType: str, trackIndex: int) -> str:
        self._need_track(trackType, trackIndex)
        return self.track_name(trackType, trackIndex)

    @api(fail=False, writes=True)
    def SetTrackName(self, trackType: str, trackIndex: int, name: str) -> bool:
        track = self._need_track(trackType, trackIndex)
        if not isinstance(name, str) or not name.strip():
            raise Refuse("a track name is a non-empty string")
        track.name = name
        return True

    @api(fail=False, writes=True, since=(19, 0))
    def SetTrackEnable(self, trackType: str, trackIndex: int, enabled: bool) -> bool:
        track = self._need_track(trackType, trackIndex)
        if not isinstance(enabled, bool):
            raise Refuse("enabled is a bool")
        track.enabled = enabled
        return True

    @api(fail=None, since=(19, 0))
    def GetIsTrackEnabled(self, trackType: str, trackIndex: int) -> bool:
        return self._need_track(trackType, trackIndex).enabled

    @api(fail=False, writes=True, since=(19, 0))
    def SetTrackLock(self, trackType: str, trackIndex: int, locked: bool) -> bool:
        track = self._need_track(trackType, trackIndex)
        if not isinstance(locked, bool):
            raise Refuse("locked is a bool")
        track.locked = locked
        return True

    @api(fail=None, since=(19, 0))
    def GetIsTrackLocked(self, trackType: str, trackIndex: int) -> bool:
        return self._need_track(trackType, trackIndex).locked

    @api(fail=None, since=(20, 0))
    def GetTrackSubType(self, trackType: str, trackIndex: int) -> str:
        return self._need_track(trackType, trackIndex).subtype

    @api(fail=None)
    def GetItemListInTrack(self, trackType: str, index: int) -> list[TimelineItem]:
        """The track's items in record order (transitions included), ``[]`` for an empty track."""
        return self.items_of(self._need_track(trackType, index))

    @api(fail=None)
    def GetItemsInTrack(self, trackType: str, index: int) -> dict[int, TimelineItem]:
        """Deprecated form: ``{1: item, …}``."""
        return {i: item for i, item in enumerate(self.items_of(self._need_track(trackType, index)), start=1)}

    # -- API: editing ----------------------------------------------------------------------------------

    @api(fail=False, writes=True)
    def DeleteClips(self, timelineItems: Any, ripple: bool = False) -> bool:
        """Delete items (not their linked audio); only on the Edit page (§2.9)."""
        session = runtime.current()
        if session.state.page != "edit":
            raise Refuse(f"DeleteClips works on the Edit page only (the {session.state.page} page is open)")
        if not isinstance(timelineItems, list) or not all(
                isinstance(i, TimelineItem) and i.timeline == self.uid for i in timelineItems):
            raise Refuse("expected a list of this timeline's items")
        for item in timelineItems:
            kind, index = self.locate(item)
            track = self.track(kind, index)
            if track is not None and ripple:
                for other in self.items_of(track):
                    if other.start >= item.start + item.duration:
                        other.start -= item.duration
            item.detach(session)
        return True

    @api(fail=False, writes=True, since=(19, 0))
    def SetClipsLinked(self, timelineItems: Any, linked: bool) -> bool:
        if not isinstance(timelineItems, list) or not all(
                isinstance(i, TimelineItem) and i.timeline == self.uid for i in timelineItems):
            raise Refuse("expected a list of this timeline's items")
        if not isinstance(linked, bool):
            raise Refuse("linked is a bool")
        group = new_uid() if linked else ""
        for item in timelineItems:
            item.link = group
        return True

    @api(fail=None)
    def GetCurrentVideoItem(self) -> TimelineItem | None:
        playhead = (self.start if self.playhead is None else self.playhead) - self.start
        for index in range(len(self.video), 0, -1):
            track = self.video[index - 1]
            if not track.enabled:
                continue
            for item in self.items_of(track):
                if item.role != "transition" and item.start <= playhead < item.start + item.duration:
                    return item
        return None

    @api(fail=None, writes=True)
    def DuplicateTimeline(self, timelineName: str | None = None) -> Timeline:
        """A copy with new items; ``"<name> copy"`` when no name is given [UNV]."""
        session = runtime.current()
        project = session.get(self.project)
        name = timelineName if timelineName is not None else f"{self.name} copy"
        _check_new_name(project, name)
        twin = new_timeline(session, project, name, fps=self.fps, drop=self.drop, start=self.start,
                            make_current=False)
        twin.markers = copy.deepcopy(self.markers)
        twin.settings = dict(self.settings)
        for kind in TRACK_TYPES:
            tracks: list[Track] = []
            for track in self.tracks(kind):
                clone = Track(track.name, track.enabled, track.locked, track.subtype)
                for item in self.items_of(track):
                    copied = copy.deepcopy(item)
                    copied.uid, copied.timeline = new_uid(), twin.uid
                    session.add(copied)
                    clone.items.append(copied.uid)
                tracks.append(clone)
            setattr(twin, kind, tracks)
        return twin

    def _insert(self, name: Any, role: str) -> TimelineItem:
        session = runtime.current()
        if not isinstance(name, str) or not name.strip():
            raise Refuse("a generator or title name is a non-empty string")
        track = self.video[0]
        if track.locked:
            raise Refuse("V1 is locked")
        start = (self.start if self.playhead is None else self.playhead) - self.start
        duration = session.config.still_duration * round(self.fps)
        if any(_overlaps(i, start, duration) for i in self.items_of(track)):
            raise Refuse("the playhead's span on V1 is occupied")
        item = TimelineItem(project=self.project, timeline=self.uid, track_type="video", role=role, name=name,
                            start=start, duration=duration, media_fps=self.fps, media_frames=duration,
                            source_frames=duration)
        session.add(item)
        track.items.append(item.uid)
        return item

    @api(fail=None, writes=True)
    def InsertGeneratorIntoTimeline(self, generatorName: str) -> TimelineItem:
        return self._insert(generatorName, "generator")

    @api(fail=None, writes=True)
    def InsertFusionGeneratorIntoTimeline(self, generatorName: str) -> TimelineItem:
        return self._insert(generatorName, "generator")

    @api(fail=None, writes=True)
    def InsertOFXGeneratorIntoTimeline(self, generatorName: str) -> TimelineItem:
        return self._insert(generatorName, "generator")

    @api(fail=None, writes=True)
    def InsertTitleIntoTimeline(self, titleName: str) -> TimelineItem:
        return self._insert(titleName, "title")

    @api(fail=None, writes=True)
    def InsertFusionTitleIntoTimeline(self, titleName: str) -> TimelineItem:
        return self._insert(titleName, "title")

    # -- API: settings, marks, export ---------------------------------------------------------------------

    @api(fail=None)
    def GetSetting(self, settingName: str | None = None) -> Any:
        values = self.setting_values()
        if settingName is None or settingName == "":
            return values
        if settingName not in values:
            raise Refuse(f"no timeline setting {settingName!r}")
        return values[settingName]

    @api(fail=False, writes=True)
    def SetSetting(self, settingName: str, settingValue: Any) -> bool:
        """``useCustomSettings`` "0"/"1"; with custom settings on, the resolution keys. The frame rate of
        an existing timeline is locked [UNV]."""
        values = self.setting_values()
        if settingName not in values:
            raise Refuse(f"no timeline setting {settingName!r}")
        if not isinstance(settingValue, str):
            raise Refuse("timeline settings are strings")
        if settingName in ("timelineFrameRate", "timelineDropFrameTimecode"):
            raise Refuse(f"{settingName} of an existing timeline is locked")
        if settingName == "useCustomSettings":
            if settingValue not in ("0", "1"):
                raise Refuse("useCustomSettings is '0' or '1'")
        elif self.settings.get("useCustomSettings", "0") != "1":
            raise Refuse("set useCustomSettings to '1' first")
        self.settings[settingName] = settingValue
        return True

    @api(fail=None, since=(21, 1))
    def GetSettings(self) -> dict[str, Any]:
        return self.setting_values()

    @api(fail=False, writes=True, since=(21, 1))
    def SetSettings(self, settings: Any) -> bool:
        if not isinstance(settings, dict):
            raise Refuse("SetSettings takes a dict")
        for key, value in settings.items():
            self.SetSetting(key, value)
        return True

    @api(fail=None, since=(20, 0))
    def GetMarkInOut(self) -> dict[str, dict[str, int]]:
        return {k: dict(v) for k, v in self.mark.items()}

    @api(fail=False, writes=True, since=(20, 0))
    def SetMarkInOut(self, markIn: int, markOut: int, type: str = "all") -> bool:
        if not (is_number(markIn) and is_number(markOut)) or not 0 <= markIn <= markOut:
            raise Refuse("mark in/out are frames relative to the start, in <= out")
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

    @api(fail=None, since=(21, 0, 4))
    def GetSelectedClips(self) -> list[TimelineItem]:
        """Nothing is selected in a scripted session [UNV]."""
        return []

    @api(fail=False)
    def Export(self, fileName: str, exportType: Any, exportSubtype: Any = None) -> bool:
        """Write the timeline as OTIO (Resolve's shape, §3.2), FCP7 XML, EDL, AAF or FCPXML 1.10 (a
        directory); ``exportType`` must be a ``resolve.EXPORT_*`` value (a string → False, §1)."""
        from .interchange import export_timeline
        return export_timeline(self, fileName, exportType, exportSubtype)

    @api(fail=False, writes=True)
    def DetectSceneCuts(self) -> bool:
        """Studio-only in the default configuration; scene detection itself is not reproduced."""
        return True

    @api(fail=False, writes=True)
    def CreateSubtitlesFromAudio(self, autoCaptionSettings: Any = None) -> bool:
        """Studio-only in the default configuration; transcription itself is not reproduced."""
        return True


def _check_new_name(project: Any, name: Any, allow: str | None = None) -> None:
    session = runtime.current()
    if not isinstance(name, str) or not name.strip():
        raise Refuse("a timeline name is a non-empty string")
    if name != allow and any(session.get(uid, Timeline).name == name for uid in project.timelines):
        raise Refuse(f"a timeline named {name!r} exists")


def new_timeline(session: Any, project: Any, name: str, *, fps: Fraction | None = None, drop: bool | None = None,
                 start: int | None = None, make_current: bool | None = None) -> Timeline:
    """A timeline at the project's rate starting at 01:00:00:00, one video and one audio track [UNV
    count], with its pool clip in the current bin."""
    rate, project_drop = project.rate()
    fps = rate if fps is None else fps
    drop = project_drop if drop is None else drop
    if start is None:
        start = timecode_to_frame(DEFAULT_START_TC, fps, drop) or 0
    timeline = Timeline(project=project.uid, name=name, start=start, fps=fps, drop=drop,
                        video=[Track()], audio=[Track(subtype=session.config.audio_track_type)])
    session.add(timeline)
    folder = session.get(project.current_folder, Folder)
    clip = PoolItem(project=project.uid, role="timeline", timeline=timeline.uid, name=name, folder=folder.uid)
    session.add(clip)
    folder.clips.append(clip.uid)
    timeline.pool_item = clip.uid
    project.timelines.append(timeline.uid)
    current = session.config.create_makes_current if make_current is None else make_current
    if current or not session.get(project.current_timeline):
        project.current_timeline = timeline.uid
    return timeline


def create_empty_timeline(project: Any, name: Any) -> Timeline:
    """MediaPool.CreateEmptyTimeline: None for a name the project has (§2.5)."""
    _check_new_name(project, name)
    return new_timeline(runtime.current(), project, name)


def delete_timelines(project: Any, timelines: Any) -> bool:
    """MediaPool.DeleteTimelines: the timelines, their items and their pool clips go."""
    session = runtime.current()
    if not isinstance(timelines, list) or not all(
            isinstance(t, Timeline) and t.uid in project.timelines for t in timelines):
        raise Refuse("expected a list of this project's timelines")
    for timeline in timelines:
        for track in timeline.all_tracks():
            for uid in track.items:
                session.remove(uid)
        clip = session.get(timeline.pool_item, PoolItem)
        if clip is not None:
            folder = session.get(clip.folder, Folder)
            if folder is not None and clip.uid in folder.clips:
                folder.clips.remove(clip.uid)
            session.remove(clip.uid)
        project.timelines.remove(timeline.uid)
        session.remove(timeline.uid)
        if project.current_timeline == timeline.uid:
            project.current_timeline = project.timelines[0] if project.timelines else ""
    return True


# -- appending --------------------------------------------------------------------------------------------


class _Overlap(Exception):
    """An entry landing on an occupied span: dropped, maybe a ghost (§7.2)."""


def _entries(args: tuple[Any, ...]) -> list[dict[str, Any]]:
    items = list(args[0]) if len(args) == 1 and isinstance(args[0], list) else list(args)
    if not items:
        raise Refuse("nothing to append")
    entries = []
    for item in items:
        if isinstance(item, PoolItem):
            entries.append({"mediaPoolItem": item, "_plain": True})
        elif isinstance(item, dict):
            entries.append(dict(item))
        else:
            raise Refuse(f"not a clip or a clipInfo dict: {item!r}")
    return entries


def append_to_timeline(project: Any, args: tuple[Any, ...]) -> list[Any]:
    """MediaPool.AppendToTimeline: into the current timeline only (§2.5, §7.2)."""
    session = runtime.current()
    timeline = session.get(project.current_timeline, Timeline)
    if timeline is None:
        raise Refuse("the project has no current timeline")
    return _place_all(session, project, timeline, _entries(args), allow_track=True)


def create_timeline_from_clips(project: Any, name: Any, args: tuple[Any, ...]) -> Timeline:
    """MediaPool.CreateTimelineFromClips: the clips must be in the current bin; ``[clip]*n`` gives one
    item; clipInfo has ``recordFrame`` but no ``trackIndex`` (§2.5, §7.2)."""
    session = runtime.current()
    _check_new_name(project, name)
    entries = _entries(args)
    folder = session.get(project.current_folder, Folder)
    for entry in entries:
        clip = entry.get("mediaPoolItem")
        if isinstance(clip, PoolItem) and clip.uid not in folder.clips:
            raise Refuse(f"{clip.name} is not in the current bin")
    seen: set[str] = set()
    unique = []
    for entry in entries:
        if entry.get("_plain"):
            if entry["mediaPoolItem"].uid in seen:
                continue
            seen.add(entry["mediaPoolItem"].uid)
        entry.pop("trackIndex", None)
        unique.append(entry)
    timeline = new_timeline(session, project, name)
    _place_all(session, project, timeline, unique, allow_track=False)
    return timeline


def _place_all(session: Any, project: Any, timeline: Timeline, entries: list[dict[str, Any]],
               allow_track: bool) -> list[Any]:
    out: list[Any] = []
    placed: list[TimelineItem] = []
    errored = False
    for number, entry in enumerate(entries, start=1):
        try:
            items = _place(session, project, timeline, entry, allow_track)
        except _Overlap as exc:
            errored = True
            session.note(f"entry {number}: {exc}")
            if session.config.overlap == "ghost":
                out.append(GhostItem())
            continue
        except Refuse as exc:
            errored = True
            session.note(f"entry {number}: {exc}")
            continue
        out.extend(items)
        placed.extend(items)
    if errored and session.config.errored_append_lost_on_save:
        for item in placed:
            item.volatile = True
    return out


def _overlaps(item: TimelineItem, start: int, duration: int) -> bool:
    return item.role != "transition" and item.start < start + duration and start < item.start + item.duration


def _source_range(session: Any, clip: PoolItem, entry: dict[str, Any], timeline: Timeline) -> tuple[int, int]:
    """``(first source frame, number of source frames)`` of a clipInfo (§7.1, §7.2)."""
    floats_ok = available(session.version, FINAL_19, final=True)
    start, end = entry.get("startFrame"), entry.get("endFrame")
    total = clip.frames
    if clip.is_still:
        total = session.config.still_duration * round(timeline.fps)
    if start is None and end is None:
        video_mark = clip.mark.get("video")
        if video_mark:
            return video_mark["in"], video_mark["out"] - video_mark["in"] + 1
        if clip.sub_end is not None:
            return clip.sub_start, clip.sub_end - clip.sub_start + 1
        return 0, total
    first = 0 if start is None else _whole(start, "startFrame", floats_ok)
    if end is None:
        count = total - first
    else:
        count = _whole(end, "endFrame", floats_ok) - first + (1 if session.config.end_inclusive else 0)
    if first < 0 or count < 1:
        raise Refuse(f"empty or negative source range {start!r}..{end!r}")
    if not clip.is_still and first + count > clip.frames:
        raise Refuse(f"source range {start!r}..{end!r} is outside the clip's {clip.frames} frames")
    return first, count


def _place(session: Any, project: Any, timeline: Timeline, entry: dict[str, Any],
           allow_track: bool) -> list[TimelineItem]:
    clip = entry.get("mediaPoolItem")
    if not isinstance(clip, PoolItem) or clip.project != project.uid:
        raise Refuse("mediaPoolItem is not a clip of this project")
    if clip.role != "media":
        raise Refuse("appending a timeline clip (nesting) is not reproduced")
    first, count = _source_range(session, clip, entry, timeline)
    media_type = entry.get("mediaType")
    if media_type not in (None, 1, 2) or isinstance(media_type, bool):
        raise Refuse(f"mediaType is 1 (video) or 2 (audio), not {media_type!r}")
    if media_type == 1 and not clip.has_video:
        raise Refuse("mediaType 1 on a clip without video")
    if media_type == 2 and not clip.has_audio:
        raise Refuse("mediaType 2 on a clip without audio")
    kinds = [k for k, wanted in (("video", clip.has_video and media_type != 2),
                                 ("audio", clip.has_audio and media_type != 1)) if wanted]
    index: Any = 1
    modern = session.version.at_least(18, 5)
    if allow_track and modern and entry.get("trackIndex") is not None:
        index = entry["trackIndex"]
        if _index(index) is None or index < 1:
            raise Refuse(f"trackIndex must be a whole number >= 1, not {index!r}")
    targets = []
    for kind in kinds:
        track = timeline.track(kind, index)
        if track is None:
            raise Refuse(f"the timeline has no {kind} track {index}")
        if track.locked:
            raise Refuse(f"{kind} track {index} is locked")
        targets.append((kind, track))
    if clip.is_still:
        duration = count
    else:
        duration = math.floor(Fraction(count) * timeline.fps / clip.rate())
        if duration < 1:
            raise Refuse("the source range is shorter than one timeline frame")
    record = entry.get("recordFrame") if modern else None
    if record is not None:
        start = _whole(record, "recordFrame", available(session.version, FINAL_19, final=True)) - timeline.start
    else:
        start = max(timeline.track_end(track) for _kind, track in targets)
    for kind, track in targets:
        if any(_overlaps(other, start, duration) for other in timeline.items_of(track)):
            raise _Overlap(f"{clip.name} at record frame {timeline.start + start} lands on an occupied span of "
                           f"{kind} track {index}")
    link = new_uid() if len(targets) > 1 else ""
    items = []
    for kind, track in targets:
        item = TimelineItem(project=project.uid, timeline=timeline.uid, track_type=kind, name=clip.name,
                            start=start, duration=duration, pool=clip.uid, source_in=first, source_frames=count,
                            link=link)
        item.remember_media(clip)
        session.add(item)
        track.items.append(item.uid)
        items.append(item)
    return items


# -- timeline items ------------------------------------------------------------------------------------------


@store.persisted
@dataclass(kw_only=True)
class TimelineItem(Markers, Flags, ClipColor, Entity):
    """A clip, title, generator or transition on a track. ``start`` is relative to the timeline start;
    ``source_in``/``source_frames`` are in the media's frames."""

    kind: ClassVar[str] = "TimelineItem"
    timeline: str = ""
    track_type: str = "video"
    role: str = "clip"
    name: str = ""
    start: int = 0
    duration: int = 0
    pool: str = ""
    media_path: str = ""
    media_fps: Fraction | None = None
    media_frames: int = 0
    media_start: int = 0
    still: bool = False
    source_in: int = 0
    source_frames: int = 0
    speed: float = 1.0
    enabled: bool = True
    color: str = ""
    flags: list[str] = field(default_factory=list)
    markers: list[Marker] = field(default_factory=list)
    properties: dict[str, Any] = field(default_factory=dict)
    link: str = ""
    takes: list[Take] = field(default_factory=list)
    selected_take: int = 0
    volatile: bool = False

    # -- helpers -------------------------------------------------------------------------------------------

    def remember_media(self, clip: PoolItem) -> None:
        """Keep what the item knows of its media (offline items still answer from it)."""
        self.media_path, self.media_fps, self.media_frames = clip.path, clip.rate(), clip.frames
        self.media_start, self.still = clip.start_tc_frame(), clip.is_still

    def _timeline(self) -> Timeline:
        return runtime.current().get(self.timeline, Timeline)

    def _clip(self) -> PoolItem | None:
        return runtime.current().get(self.pool, PoolItem) if self.pool else None

    def _media(self) -> tuple[Fraction, int, int, bool]:
        clip = self._clip()
        if clip is not None:
            return clip.rate(), clip.frames, clip.start_tc_frame(), clip.is_still
        return self.media_fps or self._timeline().fps, self.media_frames, self.media_start, self.still

    def _keeps_color(self) -> bool:
        return self.role not in ("title", "generator")

    def detach(self, session: Any) -> None:
        """Take the item off its track and out of the state."""
        timeline = self._timeline()
        if timeline is not None:
            for track in timeline.all_tracks():
                if self.uid in track.items:
                    track.items.remove(self.uid)
        session.remove(self.uid)

    def forget_pool(self, clip: PoolItem) -> None:
        """The pool clip was deleted: the item stays, offline, without a pool item [UNV]."""
        self.remember_media(clip)
        self.pool = ""

    @staticmethod
    def _subframe(subframe: Any) -> bool:
        if subframe in (None, False):
            return False
        if not isinstance(subframe, bool):
            raise Refuse("subframe is a bool")
        if not available(runtime.current().version, FINAL_19, final=True):
            raise Refuse("subframe needs 19.0 final")
        return True

    def _frames(self, value: int, subframe: Any) -> int | float:
        return float(value) if self._subframe(subframe) else value

    # -- API: identity and geometry ----------------------------------------------------------------------------

    @api(fail=None)
    def GetName(self) -> str:
        return self.name

    @api(fail=False, writes=True, since=(20, 2))
    def SetName(self, name: str) -> bool:
        if not isinstance(name, str) or not name.strip():
            raise Refuse("a name is a non-empty string")
        self.name = name
        return True

    @api(fail=None)
    def GetUniqueId(self) -> str:
        return self.uid

    @api(fail=None)
    def GetStart(self, subframe: bool = False) -> int | float:
        """The absolute record frame of the first frame."""
        return self._frames(self._timeline().start + self.start, subframe)

    @api(fail=None)
    def GetEnd(self, subframe: bool = False) -> int | float:
        """The absolute record frame after the last (exclusive)."""
        return self._frames(self._timeline().start + self.start + self.duration, subframe)

    @api(fail=None)
    def GetDuration(self, subframe: bool = False) -> int | float:
        return self._frames(self.duration, subframe)

    @api(fail=None)
    def GetLeftOffset(self, subframe: bool = False) -> int | float:
        """The source in-point, in the media's frames."""
        return self._frames(self.source_in if self.role != "transition" else 0, subframe)

    @api(fail=None)
    def GetRightOffset(self, subframe: bool = False) -> int | float:
        """The unused tail of the media after the source out-point (0 for stills)."""
        _fps, frames, _start, still = self._media()
        tail = 0 if still or self.role != "clip" else frames - (self.source_in + self.source_frames)
        return self._frames(tail, subframe)

    @api(fail=None, since=FINAL_19, final19=True)
    def GetSourceStartFrame(self) -> int:
        """The first source frame (media fps), plus the ``source_start_jitter`` knob (§2.10)."""
        return self.source_in + runtime.current().config.source_start_jitter

    @api(fail=None, since=FINAL_19, final19=True)
    def GetSourceEndFrame(self) -> int:
        """Exclusive when the media's rate is the timeline's, inclusive when they differ [MEAS 19.1.3.7]."""
        fps, _frames, _start, _still = self._media()
        end = self.source_in + self.source_frames
        return end if fps == self._timeline().fps else end - 1

    @api(fail=None, since=FINAL_19, final19=True)
    def GetSourceStartTime(self) -> float:
        """Seconds, timecode-absolute on media with a start timecode (mcp #147)."""
        fps, _frames, start, _still = self._media()
        return float((start + self.source_in) / fps)

    @api(fail=None, since=FINAL_19, final19=True)
    def GetSourceEndTime(self) -> float:
        fps, _frames, start, _still = self._media()
        return float((start + self.source_in + self.source_frames) / fps)

    @api(fail=None)
    def GetMediaPoolItem(self) -> PoolItem | None:
        """The pool clip; None for titles, generators, transitions and items imported offline."""
        return self._clip() if self.role == "clip" else None

    @api(fail=None, since=FINAL_19, final19=True)
    def GetTrackTypeAndIndex(self) -> list[Any]:
        kind, index = self._timeline().locate(self)
        return [kind, index]

    @api(fail=None, since=FINAL_19, final19=True)
    def GetLinkedItems(self) -> list[TimelineItem]:
        if not self.link:
            return []
        session = runtime.current()
        return [i for i in session.all(TimelineItem) if i.link == self.link and i.uid != self.uid]

    @api(fail=False, writes=True, since=(19, 0))
    def SetClipEnabled(self, enabled: bool) -> bool:
        if not isinstance(enabled, bool):
            raise Refuse("enabled is a bool")
        self.enabled = enabled
        return True

    @api(fail=None, since=(19, 0))
    def GetClipEnabled(self) -> bool:
        return self.enabled

    @api(fail=None, since=(21, 1))
    def GetType(self) -> str:
        if self.role in ("title", "generator"):
            return "generator"
        return "transition" if self.role == "transition" else self.track_type

    # -- API: properties ------------------------------------------------------------------------------------

    def _property_values(self) -> dict[str, Any]:
        if self.track_type != "video" or self.role == "transition":
            return {}
        values = {k: spec[0] for k, spec in _PROPERTIES.items()}
        values.update(self.properties)
        return values

    @api(fail=None)
    def GetProperty(self, propertyKey: str | None = None) -> Any:
        """Transform and retime properties of video items; ``{}`` for audio items and transitions."""
        values = self._property_values()
        if propertyKey is None or propertyKey == "":
            return values
        if propertyKey not in values:
            raise Refuse(f"no item property {propertyKey!r}")
        return values[propertyKey]

    @api(fail=False, writes=True)
    def SetProperty(self, propertyKey: str, propertyValue: Any) -> bool:
        if propertyKey not in self._property_values():
            raise Refuse(f"no item property {propertyKey!r}")
        _default, kind, low, high = _PROPERTIES[propertyKey]
        project = runtime.current().get(self.project)
        scale = 1.0
        if propertyKey in _SCALED_BY_WIDTH:
            scale = float(project.settings.get("timelineResolutionWidth", "1920"))
        elif propertyKey in _SCALED_BY_HEIGHT:
            scale = float(project.settings.get("timelineResolutionHeight", "1080"))
        if kind == "bool":
            if not isinstance(propertyValue, bool):
                raise Refuse(f"{propertyKey} is a bool")
        elif kind == "enum":
            if _index(propertyValue) is None or not low <= propertyValue <= high:
                raise Refuse(f"{propertyKey} is a whole number {low}..{high}")
        elif not is_number(propertyValue) or not low * scale <= propertyValue <= high * scale:
            raise Refuse(f"{propertyKey} is a number {low * scale}..{high * scale}")
        self.properties[propertyKey] = propertyValue
        return True

    @api(fail=None, since=(21, 1))
    def GetProperties(self) -> dict[str, Any]:
        return self._property_values()

    @api(fail=False, writes=True, since=(21, 1))
    def SetProperties(self, properties: Any) -> bool:
        if not isinstance(properties, dict):
            raise Refuse("SetProperties takes a dict")
        saved = dict(self.properties)
        try:
            for key, value in properties.items():
                self.SetProperty(key, value)
        except Refuse:
            self.properties = saved
            raise
        return True

    # -- API: the take selector (§2.13) ------------------------------------------------------------------

    @api(fail=False, writes=True)
    def AddTake(self, mediaPoolItem: Any, startFrame: Any = None, endFrame: Any = None) -> bool:
        """Add a take (creating the selector, the item's clip as take 1); extents are source frames of
        the new clip, the whole clip by default — refused without extents on 19.1.x (§2.13)."""
        session = runtime.current()
        if self.role != "clip" or self._clip() is None:
            raise Refuse("only items with a pool clip take a take selector")
        if not isinstance(mediaPoolItem, PoolItem) or mediaPoolItem.project != self.project or \
                mediaPoolItem.role != "media":
            raise Refuse("not a media clip of this project")
        if startFrame is None and endFrame is None and session.config.addtake_requires_extents:
            if session.config.addtake_failure_leaves_selector and not self.takes:
                self._open_selector()
            raise Refuse("AddTake without extents fails on this build")
        start = 0 if startFrame is None else startFrame
        end = mediaPoolItem.frames if endFrame is None else endFrame
        if not (is_number(start) and is_number(end)):
            raise Refuse("take extents are numbers")
        if start < 0 or end <= start or (not mediaPoolItem.is_still and end > mediaPoolItem.frames):
            raise Refuse(f"take extent {start}..{end} is outside the clip's {mediaPoolItem.frames} frames")
        if not self.takes:
            self._open_selector()
        self.takes.append(Take(mediaPoolItem.uid, start, end))
        return True

    def _open_selector(self) -> None:
        self.takes = [Take(self.pool, self.source_in, self.source_in + self.source_frames)]
        self.selected_take = 1

    def _take_index(self, idx: Any) -> int:
        if _index(idx) is None or not 1 <= idx <= len(self.takes):
            raise Refuse(f"no take at index {idx!r}")
        return idx

    @api(fail=None)
    def GetSelectedTakeIndex(self) -> int:
        """1-based; 0 when the item is not a take selector."""
        return self.selected_take if self.takes else 0

    @api(fail=None)
    def GetTakesCount(self) -> int:
        return len(self.takes)

    @api(fail=None)
    def GetTakeByIndex(self, idx: int) -> dict[str, Any]:
        """``{startFrame, endFrame, mediaPoolItem}`` of take ``idx`` (1-based)."""
        take = self.takes[self._take_index(idx) - 1]
        return {"startFrame": take.start, "endFrame": take.end,
                "mediaPoolItem": runtime.current().get(take.pool, PoolItem)}

    @api(fail=False, writes=True)
    def SelectTakeByIndex(self, idx: int) -> bool:
        """Select take ``idx``: ``GetMediaPoolItem()`` changes at once (§2.13)."""
        self._select(self._take_index(idx))
        return True

    def _select(self, idx: int) -> None:
        session = runtime.current()
        take = self.takes[idx - 1]
        clip = session.get(take.pool, PoolItem)
        if clip is None:
            raise Refuse("the take's clip no longer exists")
        timeline = self._timeline()
        self.pool, self.name = clip.uid, clip.name
        self.remember_media(clip)
        self.source_in = math.floor(take.start)
        take_frames = math.floor(take.end) - self.source_in
        if session.config.take_duration == "take" and not clip.is_still:
            self.source_frames = take_frames
            self.duration = max(1, math.floor(Fraction(take_frames) * timeline.fps / clip.rate()))
        else:
            self.source_frames = max(1, round(Fraction(self.duration) * clip.rate() / timeline.fps)) \
                if not clip.is_still else self.duration
        self.selected_take = idx

    @api(fail=False, writes=True)
    def DeleteTakeByIndex(self, idx: int) -> bool:
        index = self._take_index(idx)
        if len(self.takes) == 1:
            raise Refuse("the last take of a selector cannot be deleted [UNV]")
        del self.takes[index - 1]
        if index == self.selected_take:
            self._select(1)
        elif index < self.selected_take:
            self.selected_take -= 1
        return True

    @api(fail=False, writes=True)
    def FinalizeTake(self) -> bool:
        """Collapse the selector in place onto the selected take; False without a selector (§2.13)."""
        if not self.takes:
            raise Refuse("the item is not a take selector")
        self.takes, self.selected_take = [], 0
        return True


class GhostItem(ApiObject):
    """A returned item that is not on the timeline: every Get* None, an empty unique id (§7.2)."""

    kind: ClassVar[str] = "Ghost"
    ghost_of: ClassVar[type] = TimelineItem

    def ref(self) -> tuple[str, str]:
        return ("Ghost", "")


@facade("Ghost")
def _ghost(session: Any, ident: str) -> GhostItem:
    return GhostItem()
