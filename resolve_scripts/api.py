"""Small helpers over Resolve's scripting objects: look-ups the API lacks (a timeline or a bin by name,
items of a track), calls that must be verified because Resolve fails silently (§1: nothing raises,
failures are None/False), and the record of what an action created so a failure can remove it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from shotreel.errors import ShotreelError

Log = Callable[[str], None]


class ResolveActionError(ShotreelError):
    """Resolve refused something an action needs; the message says what and, where known, why."""


def call(obj: object, name: str, *args: object) -> object:
    """``obj.name(*args)``; None when the object has no such method (Resolve's objects answer every
    attribute, §1: an unknown one is None or a callable returning None)."""
    method = getattr(obj, name, None)
    if not callable(method):
        return None
    return method(*args)


def timelines(project: object) -> list[object]:
    """Every timeline of ``project`` (there is no look-up by name, §1)."""
    count = int(call(project, "GetTimelineCount") or 0)
    return [t for t in (call(project, "GetTimelineByIndex", i) for i in range(1, count + 1)) if t is not None]


def timeline_named(project: object, name: str) -> object | None:
    return next((t for t in timelines(project) if call(t, "GetName") == name), None)


def free_timeline_name(project: object, name: str) -> str:
    """``name``, or ``name v2``, ``v3`` … when a timeline already has it (Resolve refuses a duplicate
    name with a bare None, §3.1)."""
    taken = {call(t, "GetName") for t in timelines(project)}
    if name not in taken:
        return name
    n = 2
    while f"{name} v{n}" in taken:
        n += 1
    return f"{name} v{n}"


def track_items(timeline: object, index: int, kind: str = "video") -> list[object]:
    return list(call(timeline, "GetItemListInTrack", kind, index) or [])


def file_path(pool_item: object | None) -> str | None:
    if pool_item is None:
        return None
    value = call(pool_item, "GetClipProperty", "File Path")
    return str(value) if value else None


@dataclass
class Created:
    """What an action made in the Resolve project, so that a failure leaves nothing half-built."""

    pool: object
    folders: list[object] = field(default_factory=list)
    clips: list[object] = field(default_factory=list)
    timelines: list[object] = field(default_factory=list)

    def undo(self, log: Log) -> None:
        """Remove everything recorded, newest first (timelines, then clips, then bins)."""
        if self.timelines and not call(self.pool, "DeleteTimelines", self.timelines):
            log("could not remove the half-built timeline; delete it by hand")
        if self.clips and not call(self.pool, "DeleteClips", self.clips):
            log("could not remove the media it imported; delete it from the bins by hand")
        if self.folders and not call(self.pool, "DeleteFolders", list(reversed(self.folders))):
            log("could not remove the bins it made; delete them by hand")
        self.folders, self.clips, self.timelines = [], [], []


def bin_at(pool: object, path: Iterable[str], created: Created | None = None) -> object:
    """The pool folder at ``path`` (names from the root "Master"), made where missing."""
    folder = call(pool, "GetRootFolder")
    for name in path:
        found = next((f for f in (call(folder, "GetSubFolderList") or []) if call(f, "GetName") == name), None)
        if found is None:
            found = call(pool, "AddSubFolder", folder, name)
            if found is None:
                raise ResolveActionError(f"Resolve refused to make the bin {name!r}")
            if created is not None:
                created.folders.append(found)
        folder = found
    return folder
