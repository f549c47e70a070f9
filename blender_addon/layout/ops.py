"""Operators: lay out the scene's project."""

from __future__ import annotations

import bpy
from shotreel.errors import ShotreelError
from shotreel.layout import layout_plan

from .. import compat, registration
from ..props import project_film
from .core import build_layout


class SHOTREEL_OT_build_layout(bpy.types.Operator):
    """Lay out the project: one camera and one bound marker per shot, the film's rate, size and length"""

    bl_idname = "shotreel.build_layout"
    bl_label = "Build Layout"
    bl_options = {"REGISTER", "UNDO"}  # noqa: RUF012 - Blender reads it as a plain class attribute

    directory: bpy.props.StringProperty(subtype="DIR_PATH", options={"SKIP_SAVE"})  # type: ignore[valid-type]

    def invoke(self, context, event):
        if compat.edit_scene(context).shotreel.project:
            return self.execute(context)
        context.window_manager.fileselect_add(self)
        return {"RUNNING_MODAL"}

    def execute(self, context):
        scene = compat.edit_scene(context)
        if self.directory:
            scene.shotreel.project = self.directory
        try:
            layout = layout_plan(project_film(scene))
        except ShotreelError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        result = build_layout(scene, layout)
        message = (f"{layout.title}: {len(layout.shots)} shots, {layout.duration} frames; "
                   f"{len(result.created)} cameras made, {len(result.updated)} updated")
        if result.moved:
            message += f"; moved with their shots (keys, marker, drawings): {_few(result.moved)}"
        if result.kept_lenses:
            message += f"; lens set by hand kept over the shot list's: {_few(result.kept_lenses)}"
        if result.stale:
            message += f"; not in the film any more (left as they are): {', '.join(result.stale)}"
        self.report({"INFO"}, message)
        return {"FINISHED"}


def _few(shots: list[str]) -> str:
    return ", ".join(shots[:8]) + (f" and {len(shots) - 8} more" if len(shots) > 8 else "")


register, unregister = registration.classes((SHOTREEL_OT_build_layout,))
