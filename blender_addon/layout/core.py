"""Building the layout in a scene from :func:`shotreel.layout.layout_plan` (the plan is the core's)."""

from __future__ import annotations

import contextlib
import math
from typing import NamedTuple

import bpy
from shotreel.layout import Layout, LayoutShot

from .. import compat

COLLECTION = "Shotreel cameras"
SHOT_KEY = "shotreel_shot"
"""The ID property naming the shot a camera object frames."""
SENSOR_MM = 36.0  # full-frame width: the focal lengths in a shot list are full-frame equivalents


class LayoutResult(NamedTuple):
    """What :func:`build_layout` did, by shot id."""

    created: list[str]
    updated: list[str]
    stale: list[str]  # cameras of shots the film no longer has (left as they are; their markers removed)


def shot_cameras(scene: bpy.types.Scene) -> dict[str, bpy.types.Object]:
    """The scene's shot cameras by shot id."""
    return {str(obj[SHOT_KEY]): obj for obj in scene.objects if obj.type == "CAMERA" and SHOT_KEY in obj}


def build_layout(scene: bpy.types.Scene, layout: Layout) -> LayoutResult:
    """Make ``scene`` the film's layout: rate, size and frame range; per shot a camera (created once,
    then only its lens follows the shot list; where an artist moved it stays theirs) and a marker at the
    shot's first frame bound to it, so the view cuts from camera to camera like the reel. A camera whose
    shot is gone is left for the artist (its framing may be wanted) but its marker goes."""
    compat.set_rate(scene, layout.fps)
    scene.render.resolution_x, scene.render.resolution_y = layout.resolution
    scene.render.resolution_percentage = 100
    scene.render.pixel_aspect_x = scene.render.pixel_aspect_y = 1.0
    scene.frame_start, scene.frame_end = layout.start, layout.end - 1  # Blender's end frame is inclusive
    with contextlib.suppress(TypeError):  # a colour configuration without it keeps its own
        scene.view_settings.view_transform = "Standard"  # boards feed generators: no tone mapping (AgX)
    collection = _collection(scene)
    cameras = shot_cameras(scene)
    created, updated = [], []
    for index, shot in enumerate(layout.shots):
        camera = cameras.get(shot.id)
        if camera is None:
            camera = _new_camera(collection, shot, index)
            created.append(shot.id)
        else:
            updated.append(shot.id)
        _frame(camera, shot)
        _marker(scene, shot, camera)
    if layout.shots and scene.camera is None:
        scene.camera = shot_cameras(scene)[layout.shots[0].id]
    stale = sorted(set(cameras) - {shot.id for shot in layout.shots})
    for shot_id in stale:  # its marker would cut to a camera the film no longer has
        marker = scene.timeline_markers.get(shot_id)
        if marker is not None and marker.camera == cameras[shot_id]:
            scene.timeline_markers.remove(marker)
    return LayoutResult(created, updated, stale)


def _collection(scene: bpy.types.Scene) -> bpy.types.Collection:
    collection = bpy.data.collections.get(COLLECTION)
    if collection is None:
        collection = bpy.data.collections.new(COLLECTION)
    if collection.name not in scene.collection.children:
        scene.collection.children.link(collection)
    return collection


def _new_camera(collection: bpy.types.Collection, shot: LayoutShot, index: int) -> bpy.types.Object:
    data = bpy.data.cameras.new(shot.id)
    camera = bpy.data.objects.new(shot.id, data)
    camera[SHOT_KEY] = shot.id
    camera.location = (3.0 * index, -10.0, 1.6)  # side by side, eye height, looking down +Y
    camera.rotation_euler = (math.radians(90.0), 0.0, 0.0)
    data.sensor_width = SENSOR_MM
    data.show_safe_areas = True
    data.show_passepartout = True
    data.passepartout_alpha = 0.8
    collection.objects.link(camera)
    return camera


def _frame(camera: bpy.types.Object, shot: LayoutShot) -> None:
    if shot.lens_given or "shotreel_lens" not in camera.data:
        camera.data.lens = shot.lens_mm
        camera.data["shotreel_lens"] = shot.lens_mm
    camera["shotreel_camera"] = shot.camera  # what the shot list asks of it, for the artist


def _marker(scene: bpy.types.Scene, shot: LayoutShot, camera: bpy.types.Object) -> None:
    marker = scene.timeline_markers.get(shot.id)
    if marker is None:
        marker = scene.timeline_markers.new(shot.id, frame=shot.start)
    marker.frame = shot.start
    marker.camera = camera
