"""Operators: lay out the scene's project."""

from __future__ import annotations

import bpy
from shotreel.errors import ShotreelError
from shotreel.layout import layout_plan

from .. import compat, registration
from ..props import project_film
from .core import build_layout, shot_boards, shot_on_screen


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


class SHOTREEL_OT_draw_board(bpy.types.Operator):
    """Draw the board of the shot on screen: its Grease Pencil board active, the view through its camera, in
    Draw mode"""

    bl_idname = "shotreel.draw_board"
    bl_label = "Draw Board"
    bl_options = {"REGISTER", "UNDO"}  # noqa: RUF012 - Blender reads it as a plain class attribute

    def execute(self, context):
        scene = compat.edit_scene(context)
        camera = shot_on_screen(scene)
        board = shot_boards(scene).get(str(camera["shotreel_shot"])) if camera is not None else None
        if board is None:
            self.report({"ERROR"}, "no shot board here: build the layout first")
            return {"CANCELLED"}
        if context.object is not None and context.object.mode != "OBJECT":
            bpy.ops.object.mode_set(mode="OBJECT")
        for obj in context.selected_objects:
            obj.select_set(False)
        context.view_layer.objects.active = board
        board.select_set(True)
        scene.camera = camera
        for area in context.screen.areas if context.screen is not None else ():
            if area.type == "VIEW_3D":
                area.spaces.active.region_3d.view_perspective = "CAMERA"
        bpy.ops.object.mode_set(mode=compat.draw_mode())
        self.report({"INFO"}, f"drawing {board.name} (frame {scene.frame_current})")
        return {"FINISHED"}


def _few(shots: list[str]) -> str:
    return ", ".join(shots[:8]) + (f" and {len(shots) - 8} more" if len(shots) > 8 else "")


register, unregister = registration.classes((SHOTREEL_OT_build_layout, SHOTREEL_OT_draw_board))
