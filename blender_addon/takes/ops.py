"""Operators: load the reel into the sequencer, use a take."""

from __future__ import annotations

import bpy
from shotreel.errors import ShotreelError

from .. import compat, registration
from ..props import SCENE_NAME, project_film, target_scene
from .core import EDIT_FILE, list_shots, load_reel, reel_scene, send_edit, show_problems, use_take


def show_loaded(operator: bpy.types.Operator, context: bpy.types.Context, scene: bpy.types.Scene, film,
                notes: list[str], summary: str) -> set[str]:
    """After a reel or a cut is in ``scene``: its notes in the panel and the status bar, its shots listed,
    the window showing it, and ``summary`` reported. Returns the operator's result."""
    show_problems(scene, notes)
    list_shots(scene, film)
    if context.window is not None:
        context.window.scene = scene
    for note in notes:
        operator.report({"WARNING"}, note)
    operator.report({"INFO"}, summary)
    return {"FINISHED"}


class SHOTREEL_OT_load_reel(bpy.types.Operator):
    """Put the project's reel in the sequencer of its reel scene: boards, and every take of a shot above
    them with the chosen one playing (strips you added stay)"""

    bl_idname = "shotreel.load_reel"
    bl_label = "Load Reel"
    bl_options = {"REGISTER", "UNDO"}  # noqa: RUF012 - Blender reads it as a plain class attribute

    def execute(self, context):
        here = compat.edit_scene(context)
        try:
            film = project_film(here)
            scene = reel_scene(film)
            result = load_reel(scene, film)
        except ShotreelError as exc:  # a project that does not load: every problem in the panel, one a line
            problems = getattr(exc, "problems", None) or [exc]
            show_problems(here, [str(problem) for problem in problems])
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        layout = f", {result.layout} layout shots" if result.layout else ""
        return show_loaded(self, context, scene, film, result.notes,
                           f"{scene.name}: {result.boards} boards, {result.takes} takes{layout}, {result.markers} markers")


class SHOTREEL_OT_use_take(bpy.types.Operator):
    """Use the active take strip as its shot's take (recorded in selects.yaml, with its trims)"""

    bl_idname = "shotreel.use_take"
    bl_label = "Use This Take"
    bl_options = {"REGISTER", "UNDO"}  # noqa: RUF012 - Blender reads it as a plain class attribute

    scene_name: SCENE_NAME  # type: ignore[valid-type]

    def execute(self, context):
        try:
            scene = target_scene(self, context)
            editor = scene.sequence_editor
            strip = editor.active_strip if editor is not None else None
            selection = use_take(scene, project_film(scene), strip)
        except ShotreelError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        self.report({"INFO"}, f"shot {selection.shot}: take {selection.take}")
        return {"FINISHED"}


class SHOTREEL_OT_send_edit(bpy.types.Operator):
    """Send the sequencer's edit back to the project: written as edit/blender-edit.otio, its takes and trims
    recorded in selects.yaml, shots moved against the story reported"""

    bl_idname = "shotreel.send_edit"
    bl_label = "Send Edit to Project"

    scene_name: SCENE_NAME  # type: ignore[valid-type]

    def execute(self, context):
        try:
            scene = target_scene(self, context)
            result = send_edit(scene, project_film(scene))
        except ShotreelError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        for line in result.order + result.unmatched:
            self.report({"WARNING"}, line)
        changed = f"{len(result.changes)} select(s) changed" if result.changes else "selects unchanged"
        self.report({"INFO"}, f"{EDIT_FILE}: {result.matched} clips matched; {changed}")
        return {"FINISHED"}


register, unregister = registration.classes((SHOTREEL_OT_load_reel, SHOTREEL_OT_use_take, SHOTREEL_OT_send_edit))
