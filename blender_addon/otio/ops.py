"""Operators: import a cut (OTIO, FCP7 XML, EDL) into the reel's sequencer."""

from __future__ import annotations

import bpy
from shotreel.errors import ShotreelError

from .. import registration
from ..props import SCENE_NAME, project_film, target_scene
from ..takes.ops import show_loaded
from .core import import_cut


class SHOTREEL_OT_import_cut(bpy.types.Operator):
    """Import an editor's cut (OTIO, FCP7 XML, EDL) into the reel: boards and takes where the cut has them, the
    chosen take playing with its trims, its markers on the timeline (selects.yaml is not changed)"""

    bl_idname = "shotreel.import_cut"
    bl_label = "Import Cut"
    bl_options = {"REGISTER", "UNDO"}  # noqa: RUF012 - Blender reads it as a plain class attribute

    scene_name: SCENE_NAME  # type: ignore[valid-type]
    filepath: bpy.props.StringProperty(subtype="FILE_PATH", options={"SKIP_SAVE"})  # type: ignore[valid-type]
    filter_glob: bpy.props.StringProperty(  # type: ignore[valid-type]
        default="*.otio;*.otioz;*.xml;*.edl", options={"HIDDEN", "SKIP_SAVE"})

    def invoke(self, context, event):
        context.window_manager.fileselect_add(self)
        return {"RUNNING_MODAL"}

    def execute(self, context):
        try:
            film = project_film(target_scene(self, context))
            scene, result = import_cut(film, bpy.path.abspath(self.filepath))
        except ShotreelError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        return show_loaded(self, context, scene, film, result.notes,
                           f"{scene.name}: {result.boards} boards, {result.takes} takes, {result.markers} markers "
                           "from the cut")


register, unregister = registration.classes((SHOTREEL_OT_import_cut,))
