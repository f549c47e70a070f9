"""Building the layout in a scene from :func:`shotreel.layout.layout_plan` (the plan, and the rules of what
building again may change, are the core's: :func:`shotreel.layout.update_shot`; this module reads and writes
Blender data).

Per shot: a camera (``SHOT_KEY`` names its shot; ``WRITTEN_KEY`` holds what shotreel wrote last, as JSON;
``SHEET_KEY`` the shot sheet the sidebar shows), a marker at its first frame bound to it, and a Grease Pencil
board parented to it (``BOARD_KEY``), in front of it where its frame is one unit wide, with an empty drawing on
the shot's first frame and a blank one on the frame after its last, so it shows on the shot's frames only.
"""

from __future__ import annotations

import contextlib
import json
import math
from typing import NamedTuple

import bpy
from shotreel.layout import (
    SENSOR_MM,
    Layout,
    LayoutShot,
    SheetLine,
    free_places,
    shot_sheet,
    update_shot,
    wrap_sheet,
)

from .. import compat

COLLECTION = "Shotreel cameras"
BOARDS_COLLECTION = "Shotreel boards"
SHOT_KEY = "shotreel_shot"
"""The ID property naming the shot a camera object frames."""
BOARD_KEY = "shotreel_board"
"""The ID property naming the shot a Grease Pencil board belongs to."""
WRITTEN_KEY = "shotreel_layout"
"""On a camera: what shotreel wrote last (:func:`shotreel.layout.written_record`), as JSON."""
SHEET_KEY = "shotreel_sheet"
"""On a camera: its shot's sheet (:func:`shotreel.layout.shot_sheet`), as JSON rows."""
INK = "Shotreel ink"
BOARD_LAYER = "Board"


class LayoutResult(NamedTuple):
    """What :func:`build_layout` did, by shot id."""

    created: list[str]
    updated: list[str]
    stale: list[str]  # cameras of shots the film no longer has (left as they are; their markers removed)
    moved: list[str]  # shots whose keys, marker and drawings moved with them
    kept_lenses: list[str]  # a lens set by hand kept over a changed shot list


def shot_cameras(scene: bpy.types.Scene) -> dict[str, bpy.types.Object]:
    """The scene's shot cameras by shot id."""
    return {str(obj[SHOT_KEY]): obj for obj in scene.objects if obj.type == "CAMERA" and SHOT_KEY in obj}


def shot_boards(scene: bpy.types.Scene) -> dict[str, bpy.types.Object]:
    """The scene's Grease Pencil boards by shot id."""
    return {str(obj[BOARD_KEY]): obj for obj in scene.objects
            if obj.type in compat.GREASE_PENCIL_TYPES and BOARD_KEY in obj}


def build_layout(scene: bpy.types.Scene, layout: Layout) -> LayoutResult:
    """Make ``scene`` the film's layout: rate, size and frame range; per shot a camera, a bound marker at its
    first frame and a Grease Pencil board. Safe to run again: a lens or a board the artist changed stays
    theirs, a shot whose first frame moved takes its camera keys, marker and drawings with it, new cameras
    stand where no camera stands. A camera whose shot is gone is left for the artist (its framing may be
    wanted) but its marker goes."""
    compat.set_rate(scene, layout.fps)
    scene.render.resolution_x, scene.render.resolution_y = layout.resolution
    scene.render.resolution_percentage = 100
    scene.render.pixel_aspect_x = scene.render.pixel_aspect_y = 1.0
    scene.frame_start, scene.frame_end = layout.start, layout.end - 1  # Blender's end frame is inclusive
    with contextlib.suppress(TypeError):  # a colour configuration without it keeps its own
        scene.view_settings.view_transform = "Standard"  # boards feed generators: no tone mapping (AgX)
    cameras_collection = _collection(scene, COLLECTION)
    boards_collection = _collection(scene, BOARDS_COLLECTION)
    cameras, boards = shot_cameras(scene), shot_boards(scene)
    markers = {marker.name: marker for marker in scene.timeline_markers}
    new = [shot for shot in layout.shots if shot.id not in cameras]
    places = iter(free_places([tuple(c.matrix_world.translation) for c in cameras.values()], len(new)))
    ink = _ink()
    result = LayoutResult([], [], [], [], [])
    moved_curves: set[int] = set()
    for shot in layout.shots:
        camera = cameras.get(shot.id)
        if camera is None:
            camera = cameras[shot.id] = _new_camera(cameras_collection, shot, next(places))
            written = None
            result.created.append(shot.id)
        else:
            written = _written(camera, markers.get(shot.id))
            result.updated.append(shot.id)
        board = boards.get(shot.id)
        own_board = board is not None and board.parent == camera
        update = update_shot(shot, written, camera.data.lens, -board.location.z if own_board else None)
        if update.shift:
            _shift_keys(camera, board, update.shift, moved_curves)
            result.moved.append(shot.id)
        if update.lens_kept:
            result.kept_lenses.append(shot.id)
        if not _animated(camera.data, "lens"):
            camera.data.lens = update.lens
        if board is None:
            board = _new_board(boards_collection, camera, shot, ink, update.record["board_distance"])
        elif written is not None:
            _close_board(board, int(written.get("end", shot.end)) + update.shift, shot.end)
        if own_board and update.board_distance is not None:
            board.location = (0.0, 0.0, -update.board_distance)
        marker = markers.get(shot.id)
        if marker is None:
            marker = markers[shot.id] = scene.timeline_markers.new(shot.id, frame=shot.start)
        elif written is not None and "start" in written:
            marker.frame += update.shift  # moved with its shot (a marker the artist nudged stays nudged)
        else:
            marker.frame = shot.start
        marker.camera = camera
        camera[WRITTEN_KEY] = json.dumps(update.record)
        camera[SHEET_KEY] = json.dumps(shot_sheet(shot, layout.fps))
        camera["shotreel_camera"] = shot.camera  # what the shot list asks of it, for the artist
    if layout.shots and scene.camera is None:
        scene.camera = cameras[layout.shots[0].id]
    stale = sorted(set(cameras) - {shot.id for shot in layout.shots})
    for shot_id in stale:  # its marker would cut to a camera the film no longer has
        marker = markers.get(shot_id)
        if marker is not None and marker.camera == cameras[shot_id]:
            scene.timeline_markers.remove(marker)
    result.stale.extend(stale)
    return result


def _collection(scene: bpy.types.Scene, name: str) -> bpy.types.Collection:
    collection = bpy.data.collections.get(name)
    if collection is None:
        collection = bpy.data.collections.new(name)
    if collection.name not in scene.collection.children:
        scene.collection.children.link(collection)
    return collection


def _written(camera: bpy.types.Object, marker: bpy.types.TimelineMarker | None) -> dict:
    """What shotreel wrote on ``camera`` last; for a camera from before it was recorded, what it must have
    written (its marker's frame, the lens it noted)."""
    with contextlib.suppress(KeyError, TypeError, ValueError):
        record = json.loads(camera[WRITTEN_KEY])
        if isinstance(record, dict):
            return record
    record = {}
    if marker is not None and marker.camera == camera:
        record["start"] = marker.frame
    if "shotreel_lens" in camera.data:
        record["lens"] = float(camera.data["shotreel_lens"])
    return record


def _new_camera(collection: bpy.types.Collection, shot: LayoutShot,
                place: tuple[float, float, float]) -> bpy.types.Object:
    data = bpy.data.cameras.new(shot.id)
    camera = bpy.data.objects.new(shot.id, data)
    camera[SHOT_KEY] = shot.id
    camera.location = place  # on the camera row, where no camera stands, eye height, looking down +Y
    camera.rotation_euler = (math.radians(90.0), 0.0, 0.0)
    data.sensor_width = SENSOR_MM
    data.show_safe_areas = True
    data.show_passepartout = True
    data.passepartout_alpha = 0.8
    collection.objects.link(camera)
    return camera


def _ink() -> bpy.types.Material:
    """The board's drawing material: black strokes, as a pencil on paper."""
    material = bpy.data.materials.get(INK)
    if material is None or material.grease_pencil is None:
        material = bpy.data.materials.new(INK)
        bpy.data.materials.create_gpencil_data(material)
        material.grease_pencil.color = (0.0, 0.0, 0.0, 1.0)
    return material


def _new_board(collection: bpy.types.Collection, camera: bpy.types.Object, shot: LayoutShot,
               ink: bpy.types.Material, distance: float) -> bpy.types.Object:
    """A Grease Pencil board for ``shot`` in front of its camera, an empty drawing on the shot's first frame
    and a blank frame after its last, ready to draw."""
    data = compat.grease_pencils().new(f"{shot.id} board")
    data.materials.append(ink)
    layer = data.layers.new(BOARD_LAYER, set_active=True)
    layer.frames.new(shot.start)
    layer.frames.new(shot.end)
    board = bpy.data.objects.new(f"{shot.id} board", data)
    board[BOARD_KEY] = shot.id
    board.use_grease_pencil_lights = False  # a drawing, not a lit surface: its ink renders as drawn
    board.parent = camera
    board.location = (0.0, 0.0, -distance)  # where the camera's frame is one unit wide
    collection.objects.link(board)
    return board


def _frames(board: bpy.types.Object):
    for layer in board.data.layers:
        yield layer, list(layer.frames)


def _close_board(board: bpy.types.Object, was: int, end: int) -> None:
    """Move the board's closing blank frame from ``was`` to the shot's new ``end`` (only a blank one, and not
    onto a frame the artist has there)."""
    if was == end:
        return
    for layer, frames in _frames(board):
        numbers = {frame.frame_number for frame in frames}
        closing = next((f for f in frames if f.frame_number == was), None)
        if closing is not None and end not in numbers and compat.frame_is_blank(closing):
            compat.move_frame(layer, was, end)


def _animated(block, path: str) -> bool:
    return any(curve.data_path == path for curve in compat.fcurves(block))


def _shift_keys(camera: bpy.types.Object, board: bpy.types.Object | None, shift: int, done: set[int]) -> None:
    """Move every key of the camera (object and lens) and of its board, and every drawing frame of the board,
    by ``shift`` frames (a curve shared with another shot moves once)."""
    for block in (camera, camera.data, board, board.data if board is not None else None):
        if block is None:
            continue
        for curve in compat.fcurves(block):
            if curve.as_pointer() in done:
                continue
            done.add(curve.as_pointer())
            points = curve.keyframe_points
            for prop in ("co", "handle_left", "handle_right"):
                values = [0.0] * (2 * len(points))
                points.foreach_get(prop, values)
                values[0::2] = [x + shift for x in values[0::2]]
                points.foreach_set(prop, values)
            curve.update()
    if board is None:
        return
    for layer, frames in _frames(board):
        for number in sorted((f.frame_number for f in frames), reverse=shift > 0):  # never onto one not moved
            compat.move_frame(layer, number, number + shift)


def written_of(camera: bpy.types.Object) -> dict:
    """What shotreel wrote on a shot camera last (empty when nothing)."""
    return _written(camera, None)


def shot_on_screen(scene: bpy.types.Scene) -> bpy.types.Object | None:
    """The shot camera the scene cuts to at its current frame (the last bound marker at or before it)."""
    frame = scene.frame_current
    marker = max((m for m in scene.timeline_markers if m.camera is not None and m.frame <= frame
                  and SHOT_KEY in m.camera), key=lambda m: m.frame, default=None)
    return marker.camera if marker is not None else None


def sheet_of(camera: bpy.types.Object) -> list[tuple[str, str]]:
    """The shot sheet Build Layout kept on ``camera`` (rows of field and words)."""
    with contextlib.suppress(KeyError, TypeError, ValueError):
        return [(str(label), str(text)) for label, text in json.loads(camera[SHEET_KEY])]
    return []


def sidebar_lines(scene: bpy.types.Scene, width: int) -> list[SheetLine]:
    """What the sidebar shows at the scene's current frame: the sheet of the shot on screen wrapped to
    ``width`` characters, after a line placing the frame in the shot (``frame 12 of 120``); empty off the
    layout."""
    camera = shot_on_screen(scene)
    if camera is None:
        return []
    written = written_of(camera)
    lines = wrap_sheet(sheet_of(camera), width)
    if "start" in written and "end" in written:
        marker = next((m for m in scene.timeline_markers if m.camera == camera), None)
        start = marker.frame if marker is not None else int(written["start"])
        length = int(written["end"]) - int(written["start"])
        lines.insert(1, SheetLine(f"frame {scene.frame_current - start + 1} of {length}"))
    return lines
