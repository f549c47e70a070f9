"""Operators: generate takes for the reel's shots, stop generating."""

from __future__ import annotations

import bpy
from bpy.app.handlers import persistent
from shotreel.errors import ShotreelError

from .. import registration
from ..props import SCENE_NAME, project_film, target_scene
from ..takes.core import shotreel_strips, take_of
from . import core


def _selected_shots(scene: bpy.types.Scene) -> list[str] | None:
    """The shots of the selected strips shotreel made in the scene's sequencer (None: nothing selected)."""
    shots = []
    for strip in shotreel_strips(scene):
        if strip.select:
            found = take_of(strip)
            shot = found[0] if found else str(strip["shotreel"].get("shot", ""))
            if shot and shot not in shots:
                shots.append(shot)
    return shots or None


class SHOTREEL_OT_generate_takes(bpy.types.Operator):
    """Generate takes for the selected shots (all shots without a take when none is selected) with the chosen
    provider; takes land in the reel as the run ends. Blender stays usable meanwhile"""

    bl_idname = "shotreel.generate_takes"
    bl_label = "Generate Takes"

    scene_name: SCENE_NAME  # type: ignore[valid-type]

    def execute(self, context):
        try:
            scene = target_scene(self, context)
            film = project_film(scene)
            core.start(scene, film, scene.shotreel.provider, _selected_shots(scene), scene.shotreel.new_takes)
        except ShotreelError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        self.report({"INFO"}, f"generating with {scene.shotreel.provider}")
        return {"FINISHED"}


class SHOTREEL_OT_stop_generation(bpy.types.Operator):
    """Stop generating: nothing new is sent; jobs already at the provider finish with the next run"""

    bl_idname = "shotreel.stop_generation"
    bl_label = "Stop"

    scene_name: SCENE_NAME  # type: ignore[valid-type]

    def execute(self, context):
        try:
            core.stop(target_scene(self, context))
        except ShotreelError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        return {"FINISHED"}


@persistent
def _stop_on_load(_dummy) -> None:  # another file: its scenes are not the ones the runs report to
    core.stop_all()


_register, _unregister = registration.classes((SHOTREEL_OT_generate_takes, SHOTREEL_OT_stop_generation))


def register() -> None:
    _register()
    bpy.app.handlers.load_pre.append(_stop_on_load)


def unregister() -> None:
    if _stop_on_load in bpy.app.handlers.load_pre:
        bpy.app.handlers.load_pre.remove(_stop_on_load)
    _unregister()
