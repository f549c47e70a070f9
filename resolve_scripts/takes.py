"""Update Takes and Replace Take: new takes into the take selectors of a timeline the editor is cutting,
without touching the editor's trims or choices; one shot's take swapped in its own item only.

Items are found by their media's shotreel metadata (the ``Shot`` field Import Reel sets), so a timeline
the editor rearranged still works; an item that matches no shot is reported and left alone. A take is
never put in with ``ReplaceClip``, which changes every use of a clip in every timeline (§4): a shot's
item gets it through its take selector (§2.13).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from shotreel.conform import conform
from shotreel.errors import ProjectError
from shotreel.nle import CLIP_COLOURS, TAKES_TRACK_INDEX, TakeExtent, take_extents
from shotreel.project import load_project
from shotreel.takes import find_takes

from .api import Created, Log, ResolveActionError, bin_at, call, file_path, track_items
from .compat import Profile
from .importer import SCENE_KEY, SHOT_KEY, TAKE_KEY, current_project

NEW_TAKES_MARKER = "new takes"


@dataclass
class TakesResult:
    """What Update Takes did: takes added per shot, shots given their first take item, and what it could not."""

    added: dict[str, list[str]] = field(default_factory=dict)
    new_items: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def current_timeline(project: object) -> object:
    timeline = call(project, "GetCurrentTimeline")
    if timeline is None:
        raise ResolveActionError("no timeline is open in Resolve: open the reel's timeline first")
    return timeline


def shot_of(item: object) -> str | None:
    clip = call(item, "GetMediaPoolItem")
    value = call(clip, "GetMetadata", SHOT_KEY) if clip is not None else None
    return str(value) if value else None


def selector_paths(item: object) -> list[str]:
    """The media of every take in an item's take selector (its own media when it has none)."""
    count = int(call(item, "GetTakesCount") or 0)
    if count == 0:
        path = file_path(call(item, "GetMediaPoolItem"))
        return [path] if path else []
    paths = []
    for index in range(1, count + 1):
        take = call(item, "GetTakeByIndex", index) or {}
        path = file_path(take.get("mediaPoolItem") if isinstance(take, dict) else None)
        if path:
            paths.append(path)
    return paths


def items_by_shot(timeline: object, track: int, result: TakesResult | None = None) -> dict[str, object]:
    """The items of video ``track`` by the shot they carry (the first when the editor duplicated one)."""
    found: dict[str, object] = {}
    for item in track_items(timeline, track):
        shot = shot_of(item)
        if shot is None:
            if result is not None and call(item, "GetMediaPoolItem") is not None:
                result.problems.append(f"V{track} item {call(item, 'GetName')!r} at frame {call(item, 'GetStart')} "
                                       "is not a shotreel shot; left alone")
            continue
        if shot in found:
            if result is not None:
                result.problems.append(f"shot {shot}: on V{track} more than once; the first is updated")
            continue
        found[shot] = item
    return found


def _pool_item(pool: object, film_title: str, scene: str, shot: str, take: TakeExtent, created: Created) -> object:
    folder = bin_at(pool, (film_title, scene or "shots", "Takes"), created)
    for clip in call(folder, "GetClipList") or []:
        if file_path(clip) == take.path:
            return clip
    call(pool, "SetCurrentFolder", folder)
    imported = list(call(pool, "ImportMedia", [take.path]) or [])
    if not imported:
        raise ResolveActionError(f"shot {shot}: Resolve could not import take {take.take} ({take.path})")
    created.clips.extend(imported)
    call(imported[0], "SetMetadata", {SHOT_KEY: shot, SCENE_KEY: scene, TAKE_KEY: take.take})
    return imported[0]


def update_takes(resolve: object, profile: Profile, project_dir: str | os.PathLike, log: Log) -> TakesResult:
    """Add every take that appeared on disk since the timeline was built to its shot's take selector,
    mark those items (colour and a "new takes" marker), and keep each item's selected take and trims.
    A shot that had no take yet gets its first take item over its board."""
    film = load_project(project_dir)
    project = current_project(resolve)
    timeline = current_timeline(project)
    pool = call(project, "GetMediaPool")
    takes = find_takes(film)
    cuts = conform(film, takes).by_shot()
    result = TakesResult()
    items = items_by_shot(timeline, TAKES_TRACK_INDEX, result)
    boards = items_by_shot(timeline, 1)
    created = Created(pool)
    try:
        for shot in film.shots():
            shot_takes = takes.get(shot.id) or []
            if not shot_takes:
                continue
            extents = take_extents(film, cuts[shot.id], shot_takes)
            item = items.get(shot.id)
            if item is None:
                if _first_take_item(pool, timeline, boards.get(shot.id), shot.id, shot.scene, extents, cuts[shot.id],
                                    film.title, profile, created, log):
                    result.new_items.append(shot.id)
                continue
            present = set(selector_paths(item))
            new = [e for e in extents if e.path not in present]
            for extent in new:
                clip = _pool_item(pool, film.title, shot.scene, shot.id, extent, created)
                if not call(item, "AddTake", clip, extent.source_in, extent.source_out):
                    result.problems.append(f"shot {shot.id}: Resolve refused take {extent.take} in the take selector")
                    continue
                result.added.setdefault(shot.id, []).append(extent.take)
            if shot.id in result.added:
                call(item, "SetClipColor", CLIP_COLOURS["new takes"])
                offset = int(call(item, "GetLeftOffset") or 0)
                call(item, "AddMarker", offset, "Sky", NEW_TAKES_MARKER,
                     ", ".join(result.added[shot.id]), 1, f'{{"shotreel": "new takes", "shot": "{shot.id}"}}')
    except BaseException:
        created.undo(log)
        raise
    for shot_id, added in result.added.items():
        log(f"shot {shot_id}: {len(added)} new take(s) in the take selector ({', '.join(added)})")
    for shot_id in result.new_items:
        log(f"shot {shot_id}: its first take placed over its board")
    for line in result.problems:
        log(line)
    if not result.added and not result.new_items:
        log("no new takes: every take on disk is already in the timeline")
    return result


def _first_take_item(pool: object, timeline: object, board: object | None, shot: str, scene: str,
                     extents: tuple[TakeExtent, ...], cut, title: str, profile: Profile, created: Created,
                     log: Log) -> bool:
    """A shot that had only its board: its chosen take over the board, where the board now sits."""
    if board is None:
        log(f"shot {shot}: has takes but no board item on V1 to place them over; left out")
        return False
    chosen = next(i for i, t in enumerate(extents) if cut.take is not None and t.take == cut.take.id)
    extent = extents[chosen]
    start = int(call(board, "GetStart"))
    length = min(int(call(board, "GetDuration") or cut.length), cut.covered or cut.length)
    clip = _pool_item(pool, title, scene, shot, extent, created)
    end = extent.source_in + min(length, extent.source_out - extent.source_in)
    info = {"mediaPoolItem": clip, "startFrame": extent.source_in, "endFrame": profile.append_end(end),
            "recordFrame": start, "trackIndex": TAKES_TRACK_INDEX, "mediaType": 1}
    landed = list(call(pool, "AppendToTimeline", [info]) or [])
    if len(landed) != 1 or not call(landed[0], "GetUniqueId") or call(landed[0], "GetStart") != start:
        log(f"shot {shot}: Resolve would not place its take at frame {start} (something already there?)")
        return False
    item = landed[0]
    for index, other in enumerate(extents):
        if index != chosen:
            call(item, "AddTake", _pool_item(pool, title, scene, shot, other, created), other.source_in,
                 other.source_out)
    call(item, "SetClipColor", CLIP_COLOURS["new takes"])
    return True


def replace_take(resolve: object, profile: Profile, project_dir: str | os.PathLike, shot_id: str, take_id: str,
                 log: Log) -> str:
    """Put take ``take_id`` on screen in shot ``shot_id``'s item only (added to its take selector when not
    there yet, then selected). Returns the take's path."""
    film = load_project(project_dir)
    shot = film.shot(shot_id)
    if shot is None:
        raise ProjectError(f"no shot {shot_id!r} in the film", file=film.source)
    shot_takes = find_takes(film).get(shot_id) or []
    take = next((t for t in shot_takes if take_id in (t.id, t.path.name)), None)
    if take is None:
        known = ", ".join(t.id for t in shot_takes) or "none yet"
        raise ProjectError(f"no take {take_id!r} (its takes: {known})", shot=shot_id)
    project = current_project(resolve)
    timeline = current_timeline(project)
    item = items_by_shot(timeline, TAKES_TRACK_INDEX).get(shot_id)
    if item is None:
        raise ResolveActionError(f"shot {shot_id}: no take item on V{TAKES_TRACK_INDEX} of {call(timeline, 'GetName')!r} "
                                 "(run Update Takes to place its first take)")
    path = os.path.abspath(take.path)
    paths = selector_paths(item)
    if path not in paths:
        cut = conform(film).by_shot()[shot_id]
        extent = next(e for e in take_extents(film, cut, shot_takes) if e.path == path)
        pool = call(project, "GetMediaPool")
        created = Created(pool)
        clip = _pool_item(pool, film.title, shot.scene, shot_id, extent, created)
        if not call(item, "AddTake", clip, extent.source_in, extent.source_out):
            created.undo(log)
            raise ResolveActionError(f"shot {shot_id}: Resolve refused take {take.id} in the take selector")
        paths = selector_paths(item)
    if path not in paths or not call(item, "SelectTakeByIndex", paths.index(path) + 1):
        raise ResolveActionError(f"shot {shot_id}: Resolve would not select take {take.id}")
    log(f"shot {shot_id}: take {take.id} on screen ({Path(path).name}); other shots untouched")
    return path
