"""The knobs of a stand-in Resolve: which build, which edition, how it runs, and the [UNV] choices.

Every knob has a default (the README lists them with the reference section behind each) and can be
set three ways, later winning: the ``config`` block of the state file, an environment variable
``RESOLVE_STANDIN_<KNOB>`` (``RESOLVE_STANDIN_VERSION=19.1.3.7``), and :func:`_resolve_standin.reset`
/ :func:`_resolve_standin.configure` keywords. ``"auto"`` means "as the configured build behaves"
(resolve-api.md §5, §7, §8).
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .versions import Version, end_frame_inclusive

ENV_PREFIX = "RESOLVE_STANDIN_"

_CHOICES: dict[str, tuple[str, ...]] = {
    "edition": ("studio", "free"),
    "scripting": ("local", "network", "none"),
    "launch": ("external", "menu", "console"),
    "unknown_attr": ("none", "fabricate", "raise"),
    "item_marker_origin": ("source", "item"),
    "fps_setting_type": ("auto", "str", "number"),
    "marker_keys": ("float", "int"),
    "append_end": ("auto", "inclusive", "exclusive"),
    "overlap": ("ghost", "drop"),
    "addtake_needs_extents": ("auto", "yes", "no"),
    "take_duration": ("slot", "take"),
    "import_duplicates": ("new", "skip"),
    "otio_rate_mismatch": ("refuse", "accept"),
    "create_project_blocked": ("auto", "dirty", "never"),
    "timeline_end": ("exclusive", "inclusive"),
    "deleted_clip_items": ("offline", "remove"),
    "page": ("media", "cut", "edit", "fusion", "color", "fairlight", "deliver", "photo"),
}


@dataclass
class Config:
    """What kind of Resolve this is. Field docs name the reference section; [UNV] marks a guess."""

    version: str = "20.3.2.9"
    """The build (§5): drives which methods exist, the endFrame rule, GetVersion*, the ``photo`` page."""
    edition: str = "studio"
    """``studio`` / ``free`` (§6.3): product name, scriptapp refusals, Studio-only calls."""
    running: bool = True
    """Whether Resolve is running at all: ``scriptapp`` gives None when not (§6.2)."""
    installed: bool = True
    """False: ``import DaVinciResolveScript`` raises ImportError, as with no fusionscript library (§6.2)."""
    scripting: str = "local"
    """Preferences ▸ System ▸ General ▸ External scripting using: local / network / none (§6.2)."""
    launch: str = "external"
    """How the script runs: ``external`` (a terminal), ``menu`` (Workspace ▸ Scripts), ``console`` (§6.1)."""
    headless: bool = False
    """``-nogui``: SaveProject on the never-saved Untitled Project hangs instead of returning False (§7.3)."""
    database: bool = True
    """False: no project database attached (GetCurrentDatabase None; Create/LoadProject fail) (§2.2)."""
    unknown_attr: str = "none"
    """Unknown names (§1, §8): ``none`` getattr → None (default, direct connection 19.1.3.7);
    ``fabricate`` a callable returning None (in-app bridge 21.0.0); ``raise`` AttributeError (not faithful)."""
    strict_types: bool = True
    """Refuse non-string settings/properties, float frames before 19.0 final, strings for enums (§1, §8)."""
    otio_strict: bool = True
    """Enforce the OTIO shape Resolve's importer accepts (§3.2)."""
    item_marker_origin: str = "source"
    """TimelineItem marker frameIds counted from the source media start (AYON) or the item start (§2.12) [UNV]."""
    fps_setting_type: str = "auto"
    """``GetSetting("timelineFrameRate")``: str, or a number as the 21.1 PYI types it; auto = number on 21.1+ [UNV]."""
    marker_keys: str = "float"
    """GetMarkers() keys and durations: floats as in the README's dumps, or ints as the PYI types them (§2.12) [UNV]."""
    marker_same_frame: bool = False
    """Whether a second marker on an occupied frame is accepted (default: refused, False) (§2.12) [UNV]."""
    append_end: str = "auto"
    """clipInfo endFrame: inclusive on 19.1.x, exclusive elsewhere (§7.2); or forced."""
    overlap: str = "ghost"
    """An appended clipInfo landing on an occupied span: a ghost item in the returned list, or left out (§7.2)."""
    errored_append_lost_on_save: bool = True
    """Items placed by an AppendToTimeline call in which some entry failed vanish at SaveProject (§7.2, 573 → 500)."""
    addtake_needs_extents: str = "auto"
    """AddTake without extents returns False: auto = on 19.1.x (§2.13)."""
    addtake_failure_leaves_selector: bool = False
    """A refused extent-less AddTake still leaves a 1-take selector ("sometimes", 19.1.3.7) (§2.13)."""
    take_duration: str = "slot"
    """Selecting a take keeps the item's record span (``slot``) or resizes it to the take (``take``) [UNV]."""
    source_start_jitter: int = 0
    """Added to GetSourceStartFrame (the reference measured it "one off" vs GetLeftOffset) (§2.10)."""
    create_makes_current: bool = True
    """CreateEmptyTimeline / CreateTimelineFromClips make the new timeline current (§8, §9) [UNV]."""
    import_makes_current: bool = False
    """ImportTimelineFromFile makes the new timeline current (§3.1: call SetCurrentTimeline) [UNV]."""
    import_duplicates: str = "new"
    """ImportMedia of a file already in the folder: a new pool item, or skipped [UNV]."""
    otio_rate_mismatch: str = "refuse"
    """An OTIO whose rate is not the project's: refused (None) or imported at the OTIO rate (§3.2) [UNV]."""
    create_project_blocked: str = "auto"
    """CreateProject gives None while the current project has unsaved changes: auto = 21.0.4+ (§2.2)."""
    reel_names_derived: bool = True
    """The project derives reel names: a ``Reel Name`` write returns True and is dropped (§2.8)."""
    upsell_modal: bool = True
    """Free edition: a Studio-only call raises a modal that fails every later call until dismissed (§6.3)."""
    studio_only: list[str] = field(default_factory=lambda: [
        "Timeline.DetectSceneCuts", "Timeline.CreateSubtitlesFromAudio"])
    """Calls that are Studio-only (``Class.Method``); the reference names none exactly [UNV]."""
    still_duration: int = 5
    """Seconds a still lasts when appended without extents (Resolve's standard still duration) [UNV]."""
    timeline_end: str = "exclusive"
    """Timeline.GetEndFrame: the frame after the last (exclusive, like item ends) or the last frame [UNV]."""
    audio_track_type: str = "stereo"
    """Sub-type of the first audio track of a new timeline, and of AddTrack("audio") without one [UNV]."""
    relink_recursive: bool = True
    """RelinkClips looks in sub-folders of the folder it is given (§4) [UNV]."""
    deleted_clip_items: str = "offline"
    """MediaPool.DeleteClips of a clip used in timelines: its items go offline, or are removed [UNV]."""
    allow_kwargs: bool = False
    """Keyword arguments to API calls: refused (the bridge passes positional arguments) [UNV]."""
    page: str = "media"
    """The page Resolve shows at start; Timeline.DeleteClips works only on ``edit`` (§2.9, §7.3) [UNV]."""
    volumes: list[str] = field(default_factory=lambda: ["/"])
    """MediaStorage.GetMountedVolumeList()."""
    media: dict[str, dict[str, Any]] = field(default_factory=dict)
    """The decoder's table: absolute path → ``{fps, frames, width, height, codec, start_tc, audio, kind}``.
    Files not listed are probed (ffmpeg, Pillow, wave); see :mod:`_resolve_standin.media`."""

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise ValueError naming a knob whose value is not one it takes."""
        Version.parse(self.version)
        for name, choices in _CHOICES.items():
            if getattr(self, name) not in choices:
                raise ValueError(f"stand-in knob {name}={getattr(self, name)!r}: expected one of {choices}")

    # -- derived rules ------------------------------------------------------------------------------

    @property
    def build(self) -> Version:
        return Version.parse(self.version)

    @property
    def studio(self) -> bool:
        return self.edition == "studio"

    @property
    def end_inclusive(self) -> bool:
        if self.append_end == "auto":
            return end_frame_inclusive(self.build)
        return self.append_end == "inclusive"

    @property
    def addtake_requires_extents(self) -> bool:
        if self.addtake_needs_extents == "auto":
            return end_frame_inclusive(self.build)
        return self.addtake_needs_extents == "yes"

    @property
    def fps_as_number(self) -> bool:
        if self.fps_setting_type == "auto":
            return self.build.at_least(21, 1)
        return self.fps_setting_type == "number"

    @property
    def blocks_create_when_dirty(self) -> bool:
        if self.create_project_blocked == "auto":
            return self.build.at_least(21, 0, 4)
        return self.create_project_blocked == "dirty"

    # -- reading and writing -----------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def replace(self, **changes: Any) -> Config:
        """A copy with ``changes`` applied (unknown knob names raise TypeError)."""
        names = {f.name for f in dataclasses.fields(self)}
        unknown = sorted(set(changes) - names)
        if unknown:
            raise TypeError(f"unknown stand-in knob(s): {', '.join(unknown)}")
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Config:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


def env_overrides(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Knobs given as ``RESOLVE_STANDIN_<KNOB>`` variables, parsed by the knob's type.

    Booleans take 1/0, true/false, yes/no, on/off; lists and ``media`` take JSON.
    """
    environ = os.environ if environ is None else environ
    out: dict[str, Any] = {}
    for f in dataclasses.fields(Config):
        raw = environ.get(ENV_PREFIX + f.name.upper())
        if raw is None:
            continue
        default = Config().__getattribute__(f.name)
        if isinstance(default, bool):
            lowered = raw.strip().lower()
            if lowered not in ("1", "0", "true", "false", "yes", "no", "on", "off"):
                raise ValueError(f"{ENV_PREFIX}{f.name.upper()}={raw!r}: expected 1 or 0")
            out[f.name] = lowered in ("1", "true", "yes", "on")
        elif isinstance(default, int):
            out[f.name] = int(raw)
        elif isinstance(default, (list, dict)):
            out[f.name] = json.loads(raw)
        else:
            out[f.name] = raw.strip()
    return out
