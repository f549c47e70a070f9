"""Import Reel: the film's reel as a Resolve timeline, boards on V1, takes on V2 with every take of a shot
in its item's take selector, beat and check markers, clip colours by take status, media in per-scene
bins (DESIGN §6, issue "DaVinci Resolve").

Everything about the reel comes from :func:`shotreel.nle.timeline_plan`; this module only asks Resolve
to build it and checks that Resolve did (its calls fail silently, reference §1, §7.2). A failure part
way removes what the import made: no half-built timeline, bins or media are left behind.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from shotreel import timing
from shotreel.build import refuse_errors
from shotreel.checks import run_checks
from shotreel.model import Film
from shotreel.nle import PlannedItem, PlannedMarker, TimelinePlan, timeline_plan
from shotreel.project import load_project

from .api import Created, Log, ResolveActionError, bin_at, call, file_path, free_timeline_name, track_items
from .compat import Profile, frame_rate_setting, same_rate

TRACK_NAMES = {1: "Boards", 2: "Takes"}
SHOT_KEY = "Shot"
SCENE_KEY = "Scene"
TAKE_KEY = "Take"
"""Resolve's own metadata fields a pool item carries shotreel's ids in (every build has them)."""


@dataclass
class ImportResult:
    """What Import Reel made: the timeline's name, how many items, takes in selectors and markers."""

    timeline: str
    boards: int = 0
    takes: int = 0
    alternates: int = 0
    markers: int = 0
    missing: list[str] = field(default_factory=list)


def current_project(resolve: object) -> object:
    project = call(call(resolve, "GetProjectManager"), "GetCurrentProject")
    if project is None:
        raise ResolveActionError("no project is open in DaVinci Resolve: open or create one first")
    return project


def ensure_rate(project: object, plan: TimelinePlan, log: Log) -> None:
    """Give an empty Resolve project the film's rate and size; refuse one locked to another rate (the rate
    locks once a timeline exists, §2.3), naming both."""
    label = timing.fps_label(plan.fps)
    wanted = frame_rate_setting(label, plan.drop_frame)
    if int(call(project, "GetTimelineCount") or 0) == 0:
        width, height = plan.resolution
        for key, value in (("timelineFrameRate", wanted), ("timelineResolutionWidth", str(width)),
                           ("timelineResolutionHeight", str(height))):
            if not call(project, "SetSetting", key, value):
                raise ResolveActionError(f"Resolve refused to set the project's {key} to {value}")
        log(f"project set to {wanted} fps, {width}x{height}")
        return
    current = call(project, "GetSetting", "timelineFrameRate")
    if not same_rate(current, label):
        raise ResolveActionError(f"the Resolve project runs at {current} fps and the film at {label}; a project's "
                                 "rate is locked once it has a timeline: import into a new project")


def import_media(pool: object, plan: TimelinePlan, film: Film, created: Created, log: Log) -> dict[str, object]:
    """Every board and take into its bin (one per scene, boards and takes apart), with the shot, scene and
    take in its metadata; media already in its bin is reused. Returns pool items by absolute path."""
    by_path: dict[str, object] = {}
    ids = _ids_by_path(plan)
    for folder in plan.bins:
        target = bin_at(pool, folder.path, created)
        present = {file_path(c): c for c in (call(target, "GetClipList") or [])}
        missing = [p for p in folder.files if p not in present]
        if missing:
            if not call(pool, "SetCurrentFolder", target):
                raise ResolveActionError(f"Resolve refused to open the bin {'/'.join(folder.path)}")
            imported = list(call(pool, "ImportMedia", missing) or [])
            created.clips.extend(imported)
            for clip in imported:
                present[file_path(clip)] = clip
        for path in folder.files:
            clip = present.get(path)
            if clip is None:
                raise ResolveActionError(f"Resolve could not import {path}")
            by_path[path] = clip
            shot, scene, take = ids.get(path, ("", "", ""))
            call(clip, "SetMetadata", {SHOT_KEY: shot, SCENE_KEY: scene, TAKE_KEY: take})
        log(f"bin {'/'.join(folder.path)}: {len(folder.files)} file(s), {len(missing)} imported")
    return by_path


def _ids_by_path(plan: TimelinePlan) -> dict[str, tuple[str, str, str]]:
    ids: dict[str, tuple[str, str, str]] = {}
    for board in plan.boards:
        if board.path:
            ids[board.path] = (board.shot, board.scene, "")
    for item in plan.takes:
        for take in item.takes:
            ids[take.path] = (item.shot, item.scene, take.take)
    return ids


def append_items(pool: object, timeline: object, items: list[PlannedItem], media: dict[str, object],
                 profile: Profile) -> list[object]:
    """Append ``items`` (one track) at their record frames and check each landed there (a clip Resolve
    could not place comes back as a ghost or not at all, §7.2)."""
    infos = [{"mediaPoolItem": media[i.path], "startFrame": i.source_in, "endFrame": profile.append_end(i.source_out),
              "recordFrame": i.record_in, "trackIndex": i.track, "mediaType": 1} for i in items if i.path]
    placed = [i for i in items if i.path]
    if not infos:
        return []
    landed = list(call(pool, "AppendToTimeline", infos) or [])
    if len(landed) != len(infos):
        raise ResolveActionError(f"Resolve placed {len(landed)} of {len(infos)} items on V{placed[0].track}")
    for item, got in zip(placed, landed):
        start, end = call(got, "GetStart"), call(got, "GetEnd")
        if not call(got, "GetUniqueId") or (start, end) != (item.record_in, item.record_out):
            raise ResolveActionError(f"shot {item.shot}: Resolve put its {item.kind} at frames {start}-{end}, "
                                     f"not {item.record_in}-{item.record_out}")
    on_track = track_items(timeline, placed[0].track)
    if len(on_track) < len(landed):
        raise ResolveActionError(f"V{placed[0].track} holds {len(on_track)} items after placing {len(landed)}")
    return landed


def add_takes(item: object, planned: PlannedItem, media: dict[str, object], log: Log) -> int:
    """Every other take of the shot into the item's take selector (explicit extents, §2.13), the chosen one
    (take 1, the one appended) selected. Returns how many were added."""
    added = 0
    for index, take in enumerate(planned.takes):
        if index == planned.chosen:
            continue
        if call(item, "AddTake", media[take.path], take.source_in, take.source_out):
            added += 1
        else:
            log(f"shot {planned.shot}: Resolve refused take {take.take} in the take selector")
    if added and not call(item, "SelectTakeByIndex", 1):
        log(f"shot {planned.shot}: Resolve would not select take {planned.takes[planned.chosen].take}")
    return added


def add_marker(target: object, marker: PlannedMarker, frame: int) -> bool:
    return bool(call(target, "AddMarker", frame, marker.colour, marker.name, marker.note, 1, marker.custom_data))


def import_reel(resolve: object, profile: Profile, project_dir: str | os.PathLike, log: Log,
                media_paths: dict[str, str] | None = None) -> ImportResult:
    """Build the reel of the shotreel project at ``project_dir`` as a new timeline in the current Resolve
    project (see the module doc). ``media_paths`` swaps a take's file for another (editorial transcodes).
    Raises :class:`ShotreelError` (the check's errors, a rate conflict, a refusal) with nothing left behind."""
    film = load_project(project_dir)
    report = run_checks(film)
    refuse_errors(report)
    project = current_project(resolve)
    plan = timeline_plan(film, findings=report.findings)
    if media_paths:
        plan = _with_media(plan, media_paths)
    ensure_rate(project, plan, log)
    pool = call(project, "GetMediaPool")
    created = Created(pool)
    try:
        result = _build(project, pool, plan, film, profile, created, log)
    except BaseException:
        created.undo(log)
        raise
    for note in plan.notes:
        log(f"note: {note}")
    return result


def _build(project: object, pool: object, plan: TimelinePlan, film: Film, profile: Profile, created: Created,
           log: Log) -> ImportResult:
    media = import_media(pool, plan, film, created, log)
    name = free_timeline_name(project, plan.name)
    timeline = call(pool, "CreateEmptyTimeline", name)
    if timeline is None:
        raise ResolveActionError(f"Resolve refused to create the timeline {name!r}")
    created.timelines.append(timeline)
    call(project, "SetCurrentTimeline", timeline)
    if not call(timeline, "SetStartTimecode", plan.start_timecode):
        raise ResolveActionError(f"Resolve refused the start timecode {plan.start_timecode}")
    while int(call(timeline, "GetTrackCount", "video") or 0) < 2:
        if not call(timeline, "AddTrack", "video"):
            raise ResolveActionError("Resolve refused to add a second video track")
    for index, track_name in TRACK_NAMES.items():
        call(timeline, "SetTrackName", "video", index, track_name)
    result = ImportResult(name)
    boards = append_items(pool, timeline, plan.boards, media, profile)
    takes = append_items(pool, timeline, plan.takes, media, profile)
    result.boards, result.takes = len(boards), len(takes)
    result.missing = [f"shot {b.shot}: no board drawn yet (run `shotreel boards`)" for b in plan.boards if not b.path]
    placed_boards = dict(zip([b.shot for b in plan.boards if b.path], boards))
    placed_takes = dict(zip([t.shot for t in plan.takes if t.path], takes))
    for planned, item in zip([t for t in plan.takes if t.path], takes):
        result.alternates += add_takes(item, planned, media, log)
        call(item, "SetClipColor", planned.colour)
    for planned, item in zip([b for b in plan.boards if b.path], boards):
        call(item, "SetClipColor", planned.colour)
    for marker in plan.markers:
        if marker.shot is None:
            ok = add_marker(timeline, marker, marker.frame)
        else:
            target = (placed_takes if marker.on == "take" else placed_boards).get(marker.shot)
            ok = target is not None and add_marker(target, marker, int(call(target, "GetLeftOffset") or 0))
        result.markers += ok
        if not ok:
            log(f"could not place the marker {marker.name!r}")
    log(f"timeline {name!r}: {result.boards} boards on V1, {result.takes} takes on V2 "
        f"(+{result.alternates} in take selectors), {result.markers} markers, from {plan.start_timecode}")
    for line in result.missing:
        log(line)
    return result


def _with_media(plan: TimelinePlan, media_paths: dict[str, str]) -> TimelinePlan:
    """The plan with each take's file swapped for its editorial transcode (same frames)."""
    from dataclasses import replace

    takes = []
    for item in plan.takes:
        extents = tuple(replace(t, path=media_paths.get(t.path, t.path)) for t in item.takes)
        takes.append(replace(item, path=media_paths.get(item.path or "", item.path), takes=extents))
    bins = [replace(b, files=tuple(media_paths.get(f, f) for f in b.files)) for b in plan.bins]
    return replace(plan, takes=takes, bins=bins)


def project_of_timeline(timeline: object) -> Path | None:
    """The shotreel project a timeline was imported from (the folder holding its first take or board)."""
    for index in (2, 1):
        for item in track_items(timeline, index):
            path = file_path(call(item, "GetMediaPoolItem"))
            if path:
                for parent in Path(path).parents:
                    if (parent / "shotreel.yaml").is_file():
                        return parent
    return None
