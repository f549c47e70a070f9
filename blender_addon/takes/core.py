"""The reel's strips in a scene's sequencer (:func:`shotreel.layout.conform_strips`), and the edit made there sent
back as an OTIO cut (:func:`shotreel.layout.cut_timeline`) that updates ``selects.yaml`` (the core's sync).

The reel scene is the edit: boards on channel 1, the layout's shot cameras live as scene strips on channel 2
(*Layout*, when the file holds a layout Build Layout made: moving a camera there changes the edit at once),
and every take of a shot above as movie strips, the chosen one playing; the reel's beat markers are the
scene's timeline markers. It renders with the *Standard* view transform, so a board's pixels are what the
sequencer shows (AgX would tone-map them). Nothing shotreel puts there is left selected, so nothing is sent
to a provider by a selection the artist did not make.
"""

from __future__ import annotations

import contextlib
import gc
import os
from collections.abc import Iterable
from typing import NamedTuple

import bpy
from shotreel.conform import conform
from shotreel.interchange import write_reel
from shotreel.layout import EditStrip, ReelStrip, conform_strips, cut_timeline, layout_plan, select_strip
from shotreel.model import Film
from shotreel.sequencer import ReelMarker, conform_markers, project_lines, reel_takes
from shotreel.sync import SyncResult, sync_selects
from shotreel.takes import Selection, find_takes, load_selects
from shotreel.timing import nearest_rate

from .. import compat

EDIT_FILE = "edit/blender-edit.otio"
"""Where :func:`send_edit` writes the sequencer's edit, in the project."""
TAG = "shotreel"
"""The ID property on every strip shotreel made: ``{"shot", "kind", "take"}`` (kind: board, take, layout)."""
MARKERS = "shotreel_markers"
"""The scene ID property listing the timeline markers shotreel made (``name@frame``), replaced on each load."""
PLACEHOLDER_COLOR = (0.18, 0.18, 0.2)
LAYOUT_CHANNEL = 2


class ReelLoad(NamedTuple):
    """What :func:`load_reel` put in the sequencer: board, take and layout strips, markers, and the notes
    (the reel's decisions; problems naming the shot: a board gone, a take that will not decode …)."""

    boards: int
    takes: int
    notes: list[str]
    layout: int = 0
    markers: int = 0


def reel_scene(film: Film) -> bpy.types.Scene:
    """The scene the film's reel is edited in (``<title> reel``), made once with the film's rate and size."""
    name = f"{film.title} reel"
    scene = bpy.data.scenes.get(name)
    if scene is None:
        scene = bpy.data.scenes.new(name)
        from ..props import preferences

        prefs = preferences()
        if prefs is not None and prefs.default_provider:
            scene.shotreel.provider = prefs.default_provider
    layout = layout_plan(film)
    compat.set_rate(scene, layout.fps)
    scene.render.resolution_x, scene.render.resolution_y = layout.resolution
    scene.frame_start, scene.frame_end = layout.start, max(layout.start, layout.end - 1)
    with contextlib.suppress(TypeError):  # a colour configuration without it keeps its own
        scene.view_settings.view_transform = "Standard"  # a board pixel of 64 shows as 64 (AgX: 59)
    if film.root is not None:
        scene.shotreel.project = str(film.root)
    return scene


def show_problems(scene: bpy.types.Scene, lines: Iterable[str]) -> None:
    """Put ``lines`` (one problem each, naming the shot) in the scene's panel, in place of the last ones."""
    scene.shotreel.problems.clear()
    for line in lines:
        scene.shotreel.problems.add().text = line


def list_shots(scene: bpy.types.Scene, film: Film) -> None:
    """The film's shots into the scene's tick list, keeping the ticks of shots that are still there."""
    ticked = {item.name for item in scene.shotreel.shot_list if item.chosen}
    scene.shotreel.shot_list.clear()
    for shot in film.shots():
        item = scene.shotreel.shot_list.add()
        item.name, item.chosen = shot.id, shot.id in ticked


def shotreel_strips(scene: bpy.types.Scene) -> list:
    """The top-level strips shotreel made in ``scene``."""
    editor = scene.sequence_editor
    return [] if editor is None else [strip for strip in compat.strips(editor) if TAG in strip]


def load_reel(scene: bpy.types.Scene, film: Film) -> ReelLoad:
    """Put the film's reel in ``scene``'s sequencer, replacing the strips shotreel made there before (the
    editor's own strips stay): boards on channel 1 (a grey placeholder where a shot has no board yet), the
    layout's cameras as scene strips, each shot's takes above, the chosen one playing with its trim in, the
    others muted to switch to; the reel's beat markers as timeline markers.

    The strips come straight from the conform (:func:`shotreel.layout.conform_strips`: the reel's strips
    without building its timeline), the takes and selects read once (the takes' sidecars again only when a
    take folder changed since the last load, :func:`shotreel.sequencer.reel_takes`); ``shotreel check`` runs
    for the panel only when the project changed since the last load."""
    paused = gc.isenabled()  # thousands of small acyclic objects: the collector's passes find nothing
    gc.disable()
    try:
        takes = reel_takes(film)  # once: the cut, the check and the strips' provenance read the same takes
        cut = conform(film, takes, load_selects(film))
        notes = cut.notes() + project_lines(film, takes)
        return place_reel(scene, film, conform_strips(film, cut, takes), conform_markers(film, cut), notes, takes)
    finally:
        if paused:
            gc.enable()


def place_reel(scene: bpy.types.Scene, film: Film, plan: list[ReelStrip], markers: Iterable[ReelMarker],
               notes: list[str], takes: dict | None = None) -> ReelLoad:
    """Put ``plan``'s strips and ``markers`` in ``scene`` in place of shotreel's earlier ones (see
    :func:`load_reel`); a board that was there and is gone, and a take Blender cannot open, are notes naming
    the shot (the take is left out, the board shows as a placeholder), never a failed load."""
    editor = scene.sequence_editor_create()
    strips = compat.strips(editor)
    earlier = shotreel_strips(scene)
    had_board = {str(s[TAG]["shot"]) for s in earlier if s.type == "IMAGE"}
    for strip in earlier:
        strips.remove(strip)
    chosen = [strip.name for strip in strips if strip.select]  # the artist's own selection stays theirs
    layout_scene, cameras = layout_cameras(exclude=scene)
    lift = 1 if cameras else 0  # takes go above the Layout channel when there is one
    takes = find_takes(film) if takes is None else takes
    provenance = {(t.shot, t.id): t.provenance for shot_takes in takes.values() for t in shot_takes}
    boards = made = 0
    notes = list(notes)
    new_image, new_movie = strips.new_image, strips.new_movie
    for item in plan:
        if item.kind == "board":
            if item.path is None:
                if item.shot in had_board:
                    notes.append(f"shot {item.shot}: its board file is gone; a grey placeholder shows")
                strip = _placeholder(strips, item)
            else:
                strip = new_image(item.shot, item.path, item.channel, item.start, fit_method="FIT")
                strip.frame_final_duration = item.duration
            boards += 1
            strip[TAG] = {"shot": item.shot, "kind": "board", "take": ""}
            continue
        try:  # the strip starts where the take's trim in lands on the shot's first frame, then is cut to the shot
            strip = new_movie(f"{item.shot} {item.take}", item.path, item.channel + lift, item.start - item.offset,
                              fit_method="FIT")
        except (RuntimeError, OSError) as exc:  # no file Blender can open
            notes.append(_unreadable(item, str(exc).strip().splitlines()[-1] if str(exc).strip() else ""))
            continue
        # opened, no picture decoded: Blender keeps a one-frame strip (asking its fps would open the movie again)
        if not strip.elements[0].orig_width:
            strips.remove(strip)
            notes.append(_unreadable(item, "Blender finds no video in it"))
            continue
        if item.offset:
            strip.frame_final_start = item.start
        end, media_end = item.start + item.duration, strip.frame_final_end
        if end < media_end:  # set only where it changes (a short take ends early): each set updates the strip
            strip.frame_final_end = end
        if not item.active:
            strip.mute = True
        tag = {"shot": item.shot, "kind": "take", "take": item.take or ""}
        origin = provenance.get((item.shot, item.take or ""))
        if origin:
            tag.update({key: str(origin[key]) for key in ("provider", "model", "seed", "prompt") if origin.get(key)})
        strip[TAG] = tag  # what the take is, for the panel (a seed may not fit Blender's 32-bit ints: text)
        made += 1
    placed = _layout_strips(strips, layout_scene, cameras, plan) if cameras else 0
    strips.foreach_set("select", [False] * len(strips))  # in bulk: a selection the artist did not make
    for name in chosen:  # chooses nothing to generate
        strips[name].select = True
    editor.active_strip = None
    highest = max((item.channel + (lift if item.kind == "take" else 0) for item in plan), default=1)
    editor.channels[1].name = "Boards"
    if cameras:
        editor.channels[LAYOUT_CHANNEL].name = "Layout"
    for channel in range(2 + lift, highest + 1):
        n = channel - lift - 1
        editor.channels[channel].name = "Takes" if n == 1 else f"Takes {n}"
    count = _place_markers(scene, markers)
    return ReelLoad(boards, made, notes, placed, count)


def layout_cameras(exclude: bpy.types.Scene | None = None) -> tuple[bpy.types.Scene | None, dict]:
    """The layout scene of the file (the one holding the most shot cameras Build Layout made) and its
    cameras by shot id; ``(None, {})`` when there is none."""
    from ..layout.core import shot_cameras

    best: tuple[bpy.types.Scene | None, dict] = (None, {})
    for candidate in bpy.data.scenes:
        if candidate == exclude:
            continue
        cameras = shot_cameras(candidate)
        if len(cameras) > len(best[1]):
            best = (candidate, cameras)
    return best


def _layout_strips(strips, layout_scene: bpy.types.Scene, cameras: dict, plan: list[ReelStrip]) -> int:
    """One scene strip per shot on the Layout channel: the layout scene seen through the shot's camera, on
    the shot's frames of the layout, placed where the reel has the shot (a recut shot shows its head)."""
    planned: dict[str, bool] = {}
    marker_frames = {m.name: m.frame for m in layout_scene.timeline_markers}
    placed = 0
    for item in plan:
        if item.kind != "board" or item.shot not in cameras or item.shot in planned:
            continue
        planned[item.shot] = True
        layout_start = marker_frames.get(item.shot, item.start)  # Build Layout marks each shot's first frame
        strip = strips.new_scene(f"{item.shot} layout", layout_scene, LAYOUT_CHANNEL,
                                 item.start - (layout_start - layout_scene.frame_start))
        strip.scene_input = "CAMERA"
        strip.scene_camera = cameras[item.shot]
        end = min(item.start + item.duration, strip.frame_final_end)  # a layout scene that ends early shows less
        strip.frame_final_start = item.start
        strip.frame_final_end = max(item.start + 1, end)
        strip[TAG] = {"shot": item.shot, "kind": "layout", "take": ""}
        strip.select = False
        placed += 1
    return placed


def _place_markers(scene: bpy.types.Scene, markers: Iterable[ReelMarker]) -> int:
    """Replace the timeline markers shotreel made in ``scene`` with ``markers`` (the artist's own stay)."""
    made = set(scene.get(MARKERS, []))
    for marker in list(scene.timeline_markers):
        if f"{marker.name}@{marker.frame}" in made:
            scene.timeline_markers.remove(marker)
    names = []
    for marker in markers:
        scene.timeline_markers.new(marker.name, frame=marker.frame)
        names.append(f"{marker.name}@{marker.frame}")
    scene[MARKERS] = names
    return len(names)


def _unreadable(item: ReelStrip, why: str) -> str:
    """The panel's line for a take Blender cannot play (left out of the reel; the file is left as it is)."""
    return (f"shot {item.shot}: take {item.take} ({os.path.basename(item.path or '')}) cannot be opened: "
            f"{why or 'unreadable'}; left out of the reel")


def _placeholder(strips, item: ReelStrip):
    """A board not drawn yet: a grey strip of the shot's length, visible."""
    strip = compat.new_color(strips, item.shot, item.channel, item.start, item.duration)
    strip.color = PLACEHOLDER_COLOR
    return strip


def take_of(strip) -> tuple[str, str] | None:
    """(shot, take) of a take strip shotreel made, else None."""
    tag = strip.get(TAG) if strip is not None else None
    if tag is None:
        return None
    tag = tag.to_dict() if hasattr(tag, "to_dict") else dict(tag)
    return (str(tag["shot"]), str(tag["take"])) if tag.get("kind") == "take" else None


def use_take(scene: bpy.types.Scene, film: Film, strip) -> Selection:
    """Make the take ``strip`` shows the shot's take: ``selects.yaml`` records it with the strip's trims
    (:func:`shotreel.layout.select_strip`), it plays and the shot's other takes are muted."""
    found = take_of(strip)
    if found is None:
        from shotreel.errors import ShotreelError

        raise ShotreelError(f"{strip.name if strip else 'nothing'} is not a take shotreel put in the reel")
    shot_id, take_id = found
    selection = select_strip(film, shot_id, take_id, _edit_strip(strip))
    for other in shotreel_strips(scene):
        if take_of(other) is not None and take_of(other)[0] == shot_id:
            other.mute = other != strip
    return selection


def edit_strips(scene: bpy.types.Scene) -> list[EditStrip]:
    """Every picture strip of ``scene``'s sequencer as the editor left it (moved, trimmed, muted)."""
    editor = scene.sequence_editor
    strips = [] if editor is None else [_edit_strip(s) for s in compat.strips(editor)]
    return [strip for strip in strips if strip is not None]


def _edit_strip(strip) -> EditStrip | None:
    """A strip as plain data for the core (None for what is not a picture: sound, effects)."""
    if strip.type == "MOVIE":
        path, rate, still = bpy.path.abspath(strip.filepath), nearest_rate(strip.fps, tolerance=0.01), False
    elif strip.type == "IMAGE":
        path, rate, still = bpy.path.abspath(strip.directory + strip.elements[0].filename), None, True
    elif strip.type == "COLOR" and TAG in strip:  # a board not drawn yet: the shot is still there
        path, rate, still = None, None, True
    else:
        return None
    return EditStrip(name=strip.name, path=path, channel=strip.channel, start=strip.frame_final_start,
                     end=strip.frame_final_end, offset=round(strip.frame_offset_start), rate=rate, muted=strip.mute,
                     still=still)


def send_edit(scene: bpy.types.Scene, film: Film) -> SyncResult:
    """Write the sequencer's edit to ``edit/blender-edit.otio`` and read it back into ``selects.yaml``: the
    take each shot shows and its trims; shots moved against the story are reported, never rewritten."""
    path = film.path(EDIT_FILE)
    write_reel(cut_timeline(edit_strips(scene), film), path)
    return sync_selects(film, path)
