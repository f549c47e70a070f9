"""The Shotreel panel in the 3D view's sidebar: the project, the layout and the boards."""

from __future__ import annotations

import bpy

from .. import compat, registration


class SHOTREEL_PT_project(bpy.types.Panel):
    bl_label = "Shotreel"
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "Shotreel"

    def draw(self, context):
        scene = compat.edit_scene(context)
        layout = self.layout
        layout.prop(scene.shotreel, "project")
        layout.operator("shotreel.build_layout", icon="OUTLINER_OB_CAMERA")
        layout.operator("shotreel.render_boards", icon="RENDER_STILL")
        marker = max((m for m in scene.timeline_markers if m.camera is not None and m.frame <= scene.frame_current),
                     key=lambda m: m.frame, default=None)  # the shot on screen
        if marker is not None:
            box = layout.box()
            box.label(text=f"Shot {marker.name}", icon="CAMERA_DATA")
            note = marker.camera.get("shotreel_camera")
            if note:
                box.label(text=str(note))


register, unregister = registration.classes((SHOTREEL_PT_project,))
