"""Resolve, its ProjectManager and Projects (resolve-api.md §2.1–§2.3, §6, §7.3).

A fresh stand-in is Resolve just started: an empty project library, the never-saved
"Untitled Project" current, the configured page showing. What it reproduces beyond the happy path:
``CreateProject`` None on an existing name or while the current project has unsaved changes (21.0.4+
by default); ``DeleteProject`` False for the current or recently current project until
``CloseProject`` releases it; ``SaveProject`` on the Untitled Project False in the GUI and a hang
headless (:class:`~_resolve_standin.base.StandinHang`, then None); ``CloseProject`` discarding
unsaved changes; no database → Create/LoadProject fail; settings as strings with the frame-rate lock
once a timeline exists and ``timelinePlaybackFrameRate`` never settable.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, ClassVar

from . import runtime, store
from .base import ApiObject, Entity, Refuse, StandinHang, api, facade
from .mediapool import Folder, MediaPool, MediaStorage
from .timecode import DROP_FRAME_LABELS, parse_rate_setting, rate_label

UNTITLED = "Untitled Project"
PAGES = ("media", "cut", "edit", "fusion", "color", "fairlight", "deliver")

_EXPORT_NAMES = ("EXPORT_AAF", "EXPORT_DRT", "EXPORT_EDL", "EXPORT_FCP_7_XML", "EXPORT_FCPXML_1_8",
                 "EXPORT_FCPXML_1_9", "EXPORT_FCPXML_1_10", "EXPORT_HDR_10_PROFILE_A", "EXPORT_HDR_10_PROFILE_B",
                 "EXPORT_TEXT_CSV", "EXPORT_TEXT_TAB", "EXPORT_DOLBY_VISION_VER_2_9", "EXPORT_DOLBY_VISION_VER_4_0",
                 "EXPORT_DOLBY_VISION_VER_5_1", "EXPORT_OTIO", "EXPORT_ALE", "EXPORT_ALE_CDL", "EXPORT_NONE",
                 "EXPORT_AAF_NEW", "EXPORT_AAF_EXISTING", "EXPORT_CDL", "EXPORT_SDL", "EXPORT_MISSING_CLIPS")
CONSTANTS: dict[str, int] = {name: 1009 + 37 * i for i, name in enumerate(_EXPORT_NAMES)}
"""``resolve.EXPORT_*``: the real values are undocumented (§1) — these are deliberately odd, so a script
that hard-codes numbers fails here as it would in Resolve."""

DEFAULT_SETTINGS: dict[str, Any] = {
    "timelineFrameRate": "24", "timelineDropFrameTimecode": "0", "timelinePlaybackFrameRate": "24",
    "timelineResolutionWidth": "1920", "timelineResolutionHeight": "1080", "timelinePixelAspectRatio": "square",
    "timelineOutputResolutionWidth": "1920", "timelineOutputResolutionHeight": "1080",
    "timelineInputResMismatchBehavior": "scaleToFit", "timelineSampleRate": "48000", "superScale": 0,
    "colorScienceMode": "davinciYRGB", "videoMonitorFormat": "HD 1080p 24", "perfProxyMediaMode": "0",
}
"""A new project's settings (§2.3): strings, except ``superScale`` (int)."""


def _number(text: str) -> float | int:
    value = float(text)
    return int(value) if value == int(value) else value


# -- the project library -----------------------------------------------------------------------------


@store.persisted
@dataclass(kw_only=True)
class ProjectFolder(Entity):
    """A folder of the project library (ProjectManager's folders, not media pool bins)."""

    kind: ClassVar[str] = "ProjectFolder"
    name: str = ""
    parent: str = ""
    children: list[str] = field(default_factory=list)
    projects: list[str] = field(default_factory=list)


@store.persisted
@dataclass(kw_only=True)
class Project(Entity):
    """A project: settings, media pool (bins), timelines; ``snapshot`` is its last saved state (JSON text,
    so writing the state file does not walk it again)."""

    kind: ClassVar[str] = "Project"
    name: str = UNTITLED
    settings: dict[str, Any] = field(default_factory=lambda: dict(DEFAULT_SETTINGS))
    root_folder: str = ""
    current_folder: str = ""
    timelines: list[str] = field(default_factory=list)
    current_timeline: str = ""
    listed: bool = False
    saved: bool = False
    dirty: bool = False
    recently_current: bool = False
    db_folder: str = ""
    selected_clips: list[str] = field(default_factory=list)
    snapshot: str | None = None

    # -- API ---------------------------------------------------------------------------------------

    @api(fail=None)
    def GetMediaPool(self) -> MediaPool:
        return MediaPool(self.uid)

    @api(fail=None)
    def GetTimelineCount(self) -> int:
        return len(self.timelines)

    @api(fail=None)
    def GetTimelineByIndex(self, idx: int) -> Any:
        """The ``idx``-th timeline, 1-based (§1): None for 0, negatives and past the count."""
        if not isinstance(idx, int) or isinstance(idx, bool) or not 1 <= idx <= len(self.timelines):
            raise Refuse(f"no timeline at index {idx!r}")
        return runtime.current().get(self.timelines[idx - 1])

    @api(fail=None)
    def GetCurrentTimeline(self) -> Any:
        return runtime.current().get(self.current_timeline)

    @api(fail=False, writes=True, dirties=False)
    def SetCurrentTimeline(self, timeline: Any) -> bool:
        if getattr(timeline, "kind", None) != "Timeline" or timeline.uid not in self.timelines:
            raise Refuse("not a timeline of this project")
        self.current_timeline = timeline.uid
        return True

    @api(fail=None)
    def GetName(self) -> str:
        return self.name

    @api(fail=False, writes=True)
    def SetName(self, projectName: str) -> bool:
        """Rename; False for a name another project in the library has (§2.3)."""
        session = runtime.current()
        if not isinstance(projectName, str) or not projectName.strip():
            raise Refuse("a project name is a non-empty string")
        if projectName != self.name and _project_named(session, projectName, self.db_folder) is not None:
            raise Refuse(f"a project named {projectName!r} exists")
        self.name = projectName
        return True

    @api(fail=None)
    def GetUniqueId(self) -> str:
        return self.uid

    @api(fail=None)
    def GetSetting(self, settingName: str | None = None) -> Any:
        """One setting as a string (``timelineFrameRate`` a number on 21.1+, knob ``fps_setting_type``),
        or all of them as a dict."""
        if settingName is None or settingName == "":
            return {k: self._typed(k) for k in self.settings}
        if settingName not in self.settings:
            raise Refuse(f"no project setting {settingName!r}")
        return self._typed(settingName)

    def _typed(self, key: str) -> Any:
        value = self.settings[key]
        if key in ("timelineFrameRate", "timelinePlaybackFrameRate") and runtime.current().config.fps_as_number:
            return _number(value)
        return value

    @api(fail=False, writes=True)
    def SetSetting(self, settingName: str, settingValue: Any) -> bool:
        """Set one setting; values are strings (§2.3). The frame rate and drop frame lock once the
        project has a timeline; ``timelinePlaybackFrameRate`` is never settable [MEAS 20.2, 21.x]."""
        session = runtime.current()
        strict = session.config.strict_types
        if settingName not in self.settings:
            raise Refuse(f"no project setting {settingName!r}")
        if settingName == "superScale":
            if not isinstance(settingValue, int) or isinstance(settingValue, bool) or not 0 <= settingValue <= 4:
                raise Refuse("superScale is an int 0-4")
            self.settings[settingName] = settingValue
            return True
        if not isinstance(settingValue, str):
            if strict:
                raise Refuse(f"{settingName}: values are strings, not {type(settingValue).__name__}")
            settingValue = str(settingValue)
        if settingName == "timelinePlaybackFrameRate":
            raise Refuse("timelinePlaybackFrameRate cannot be set from the API")
        if settingName in ("timelineFrameRate", "timelineDropFrameTimecode") and self.timelines:
            raise Refuse(f"{settingName} is locked: the project has a timeline")
        if settingName == "timelineFrameRate":
            parsed = parse_rate_setting(settingValue)
            if parsed is None:
                raise Refuse(f"not a timeline frame rate: {settingValue!r}")
            rate, drop = parsed
            label = rate_label(rate)
            self.settings["timelineFrameRate"] = label
            self.settings["timelinePlaybackFrameRate"] = label
            if drop is not None or label not in DROP_FRAME_LABELS:
                self.settings["timelineDropFrameTimecode"] = "1" if drop else "0"
            return True
        if settingName == "timelineDropFrameTimecode":
            if settingValue not in ("0", "1"):
                raise Refuse("timelineDropFrameTimecode is '0' or '1'")
            if settingValue == "1" and self.settings["timelineFrameRate"] not in DROP_FRAME_LABELS:
                raise Refuse("drop frame needs 29.97 or 59.94")
            self.settings[settingName] = settingValue
            return True
        numeric = settingName.startswith(("timelineResolution", "timelineOutputResolution")) or \
            settingName == "timelineSampleRate"
        if numeric and (not settingValue.isdigit() or int(settingValue) <= 0):
            raise Refuse(f"{settingName} takes a positive whole number as a string")
        self.settings[settingName] = settingValue
        return True

    # -- helpers -----------------------------------------------------------------------------------

    def rate(self) -> tuple[Any, bool]:
        """The project's timeline rate (exact) and drop frame."""
        parsed = parse_rate_setting(self.settings["timelineFrameRate"])
        assert parsed is not None
        return parsed[0], self.settings["timelineDropFrameTimecode"] == "1"


def _project_named(session: Any, name: str, db_folder: str) -> Project | None:
    folder = session.get(db_folder, ProjectFolder)
    for uid in folder.projects if folder else []:
        project = session.get(uid, Project)
        if project is not None and project.name == name:
            return project
    return None


def new_project(session: Any, name: str, listed: bool, db_folder: str) -> Project:
    """A new project with a root bin "Master" (§2.5), registered in the state."""
    project = Project(name=name, listed=listed, db_folder=db_folder)
    project.project = project.uid
    root = Folder(name="Master", project=project.uid)
    session.add(root)
    project.root_folder = project.current_folder = root.uid
    session.add(project)
    if listed:
        session.get(db_folder, ProjectFolder).projects.append(project.uid)
    return project


def _members(session: Any, project: Project) -> list[Entity]:
    return [o for o in session.state.objects.values() if isinstance(o, Entity) and o.project == project.uid]


def take_snapshot(session: Any, project: Project) -> None:
    """Remember ``project`` as saved (what CloseProject goes back to)."""
    project.snapshot = None
    project.snapshot = json.dumps([store.encode(o) for o in _members(session, project)], separators=(",", ":"))


def restore_snapshot(session: Any, project: Project) -> Project | None:
    """Put ``project`` back as last saved; None when it was never saved (it goes away)."""
    saved = project.snapshot
    for obj in _members(session, project):
        session.remove(obj.uid)
    if not saved:
        return None
    restored = None
    for data in json.loads(saved):
        obj = store.decode(data)
        session.add(obj)
        if isinstance(obj, Project):
            restored = obj
    if restored is not None:
        restored.snapshot = saved
        restored.dirty = False
    return restored


def _make_current(session: Any, project: Project) -> None:
    session.state.current_project = project.uid
    project.recently_current = True


def fresh_state(session: Any) -> Any:
    """Resolve just started: an empty library and the Untitled Project current."""
    from .session import State
    state = State(page=session.config.page)
    session.state = state
    root = ProjectFolder(name="")
    session.add(root)
    state.db_root = state.db_folder = root.uid
    untitled = new_project(session, UNTITLED, listed=False, db_folder=root.uid)
    _make_current(session, untitled)
    return state


# -- the application objects ------------------------------------------------------------------------


class Resolve(ApiObject):
    """``scriptapp("Resolve")`` (§2.1), with the ``EXPORT_*`` constants as attributes."""

    kind: ClassVar[str] = "Resolve"
    CONSTANTS: ClassVar[dict[str, int]] = CONSTANTS

    def ref(self) -> tuple[str, str]:
        return ("Resolve", "")

    @api(fail=None)
    def GetProjectManager(self) -> ProjectManager:
        return ProjectManager()

    @api(fail=None)
    def GetMediaStorage(self) -> MediaStorage:
        return MediaStorage()

    @api(fail=None)
    def Fusion(self) -> Fusion:
        return Fusion()

    @api(fail=False, writes=True, dirties=False)
    def OpenPage(self, pageName: str) -> bool:
        """Switch page: media, cut, edit, fusion, color, fairlight, deliver (photo from 21)."""
        session = runtime.current()
        pages = PAGES + (("photo",) if session.version.at_least(21) else ())
        if pageName not in pages:
            raise Refuse(f"no page {pageName!r}")
        session.state.page = pageName
        return True

    @api(fail=None)
    def GetCurrentPage(self) -> str:
        return runtime.current().state.page

    @api(fail=None)
    def GetProductName(self) -> str:
        return "DaVinci Resolve Studio" if runtime.current().config.studio else "DaVinci Resolve"

    @api(fail=None)
    def GetVersion(self) -> list[int | str]:
        return runtime.current().version.as_list()

    @api(fail=None)
    def GetVersionString(self) -> str:
        return runtime.current().version.text

    @api(fail=None, writes=True, dirties=False)
    def Quit(self) -> None:
        """Quit Resolve: every later call answers nothing, ``scriptapp`` gives None."""
        runtime.current().state.quit = True

    @api(fail=None, since=(21, 0))
    def DisableBackgroundTasksForCurrentResolveSession(self) -> None:
        return None

    @api(fail=None, since=(21, 1))
    def IsStudio(self) -> bool:
        return runtime.current().config.studio

    @api(fail=None, since=(21, 1))
    def GetCurrentProject(self) -> Project | None:
        return runtime.current().project()

    @api(fail=None, since=(21, 1))
    def GetCurrentTimeline(self) -> Any:
        project = runtime.current().project()
        return runtime.current().get(project.current_timeline) if project else None

    @api(fail=None, since=(21, 1))
    def GetMediaPool(self) -> MediaPool | None:
        project = runtime.current().project()
        return MediaPool(project.uid) if project else None

    @api(fail=False, since=(21, 1))
    def SetHighPriority(self, highPriority: bool) -> bool:
        return isinstance(highPriority, bool)


class Fusion(ApiObject):
    """The Fusion app object (``resolve.Fusion()``, the menu scripts' ``app``; §6.1). Only
    ``GetResolve`` is reproduced."""

    kind: ClassVar[str] = "Fusion"

    def ref(self) -> tuple[str, str]:
        return ("Fusion", "")

    @api(fail=None)
    def GetResolve(self) -> Resolve:
        return Resolve()


class ProjectManager(ApiObject):
    """The project library (§2.2)."""

    kind: ClassVar[str] = "ProjectManager"

    def ref(self) -> tuple[str, str]:
        return ("ProjectManager", "")

    @staticmethod
    def _need_database() -> Any:
        session = runtime.current()
        if not session.config.database:
            raise Refuse("no project database is attached")
        return session

    @api(fail=None, writes=True, dirties=False)
    def CreateProject(self, projectName: str, mediaLocationPath: str | None = None) -> Project:
        """Create and open a project. None for an existing name, and (21.0.4+) while the current
        project has unsaved changes; ``mediaLocationPath`` from 20.2.2 (§2.2)."""
        session = self._need_database()
        if mediaLocationPath is not None and not session.version.at_least(20, 2, 2):
            raise Refuse("mediaLocationPath needs 20.2.2")
        if not isinstance(projectName, str) or not projectName.strip():
            raise Refuse("a project name is a non-empty string")
        if _project_named(session, projectName, session.state.db_folder) is not None:
            raise Refuse(f"a project named {projectName!r} exists")
        current = session.project()
        if current is not None and current.dirty and session.config.blocks_create_when_dirty:
            raise Refuse("the current project (unsaved changes) blocks the switch")
        project = new_project(session, projectName, listed=True, db_folder=session.state.db_folder)
        project.saved = True
        take_snapshot(session, project)
        _make_current(session, project)
        return project

    @api(fail=None, writes=True, dirties=False)
    def LoadProject(self, projectName: str) -> Project:
        session = self._need_database()
        project = _project_named(session, projectName, session.state.db_folder) if isinstance(
            projectName, str) else None
        if project is None:
            raise Refuse(f"no project named {projectName!r} in this folder")
        _make_current(session, project)
        return project

    @api(fail=None)
    def GetCurrentProject(self) -> Project | None:
        return runtime.current().project()

    @api(fail=False, writes=True, dirties=False)
    def SaveProject(self) -> bool | None:
        """Save the current project. The never-saved Untitled Project: False in the GUI; headless the
        call never returns (StandinHang), and returns None at once afterwards (§2.2)."""
        session = runtime.current()
        project = session.project()
        if not session.config.database or project is None:
            session.note("no project database is attached")
            return None
        if not project.listed:
            if not session.config.headless:
                raise Refuse("the Untitled Project cannot be saved")
            if session.state.save_hung:
                session.note("SaveProject on Untitled after a hang")
                return None
            session.state.save_hung = True
            raise StandinHang("SaveProject on the never-saved Untitled Project blocks forever headless")
        _drop_volatile_items(session, project)
        project.saved, project.dirty = True, False
        take_snapshot(session, project)
        return True

    @api(fail=False, writes=True, dirties=False)
    def CloseProject(self, project: Any) -> bool:
        """Close ``project``, discarding unsaved changes; it is released for DeleteProject. Closing the
        current project opens a new Untitled Project."""
        session = runtime.current()
        if not isinstance(project, Project):
            raise Refuse("not a project")
        was_current = session.state.current_project == project.uid
        restored = restore_snapshot(session, project) if project.listed else None
        if project.listed and restored is None:
            folder = session.get(project.db_folder, ProjectFolder)
            if folder and project.uid in folder.projects:
                folder.projects.remove(project.uid)
        if not project.listed:
            for obj in _members(session, project):
                session.remove(obj.uid)
        if restored is not None:
            restored.recently_current = False
        if was_current:
            untitled = new_project(session, UNTITLED, listed=False, db_folder=session.state.db_root)
            session.state.current_project = untitled.uid
        return True

    @api(fail=False, writes=True, dirties=False)
    def DeleteProject(self, projectName: str) -> bool:
        """Delete a project of the current folder; False while it is, or recently was, current (§2.2)."""
        session = self._need_database()
        project = _project_named(session, projectName, session.state.db_folder) if isinstance(
            projectName, str) else None
        if project is None:
            raise Refuse(f"no project named {projectName!r} in this folder")
        if session.state.current_project == project.uid or project.recently_current:
            raise Refuse("the project is, or recently was, current (CloseProject releases it)")
        session.get(project.db_folder, ProjectFolder).projects.remove(project.uid)
        for obj in _members(session, project):
            session.remove(obj.uid)
        return True

    @api(fail=None)
    def GetProjectListInCurrentFolder(self) -> list[str]:
        session = runtime.current()
        folder = session.get(session.state.db_folder, ProjectFolder)
        return [session.get(uid).name for uid in folder.projects]

    @api(fail=None)
    def GetFolderListInCurrentFolder(self) -> list[str]:
        session = runtime.current()
        folder = session.get(session.state.db_folder, ProjectFolder)
        return [session.get(uid).name for uid in folder.children]

    def _child(self, name: Any) -> ProjectFolder | None:
        session = runtime.current()
        folder = session.get(session.state.db_folder, ProjectFolder)
        for uid in folder.children:
            child = session.get(uid, ProjectFolder)
            if child is not None and child.name == name:
                return child
        return None

    @api(fail=False, writes=True, dirties=False)
    def CreateFolder(self, folderName: str) -> bool:
        session = self._need_database()
        if not isinstance(folderName, str) or not folderName.strip() or self._child(folderName) is not None:
            raise Refuse(f"cannot create project folder {folderName!r}")
        child = ProjectFolder(name=folderName, parent=session.state.db_folder)
        session.add(child)
        session.get(session.state.db_folder, ProjectFolder).children.append(child.uid)
        return True

    @api(fail=False, writes=True, dirties=False)
    def DeleteFolder(self, folderName: str) -> bool:
        session = self._need_database()
        child = self._child(folderName)
        if child is None or child.projects or child.children:
            raise Refuse(f"cannot delete project folder {folderName!r}")
        session.get(session.state.db_folder, ProjectFolder).children.remove(child.uid)
        session.remove(child.uid)
        return True

    @api(fail=False, writes=True, dirties=False)
    def OpenFolder(self, folderName: str) -> bool:
        child = self._child(folderName)
        if child is None:
            raise Refuse(f"no project folder {folderName!r}")
        runtime.current().state.db_folder = child.uid
        return True

    @api(fail=False, writes=True, dirties=False)
    def GotoRootFolder(self) -> bool:
        state = runtime.current().state
        state.db_folder = state.db_root
        return True

    @api(fail=False, writes=True, dirties=False)
    def GotoParentFolder(self) -> bool:
        session = runtime.current()
        folder = session.get(session.state.db_folder, ProjectFolder)
        if not folder.parent:
            raise Refuse("already at the root folder")
        session.state.db_folder = folder.parent
        return True

    @api(fail=None)
    def GetCurrentFolder(self) -> str:
        session = runtime.current()
        return session.get(session.state.db_folder, ProjectFolder).name

    @api(fail=None)
    def GetCurrentDatabase(self) -> dict[str, str] | None:
        """``{DbType, DbName}``; None when no database is attached (the liveness check, §2.2)."""
        if not runtime.current().config.database:
            return None
        return {"DbType": "Disk", "DbName": "Local Database"}

    @api(fail=None)
    def GetDatabaseList(self) -> list[dict[str, str]]:
        if not runtime.current().config.database:
            return []
        return [{"DbType": "Disk", "DbName": "Local Database"}]


def _drop_volatile_items(session: Any, project: Project) -> None:
    """Items from an errored append chunk are lost on save (§7.2)."""
    from .timeline import Timeline, TimelineItem
    for uid in project.timelines:
        timeline = session.get(uid, Timeline)
        for track in timeline.all_tracks() if timeline else []:
            keep = []
            for item_uid in track.items:
                item = session.get(item_uid, TimelineItem)
                if item is not None and item.volatile:
                    session.remove(item_uid)
                else:
                    keep.append(item_uid)
            track.items[:] = keep


@facade("Resolve")
def _resolve(session: Any, ident: str) -> Resolve:
    return Resolve()


@facade("Fusion")
def _fusion(session: Any, ident: str) -> Fusion:
    return Fusion()


@facade("ProjectManager")
def _project_manager(session: Any, ident: str) -> ProjectManager:
    return ProjectManager()
