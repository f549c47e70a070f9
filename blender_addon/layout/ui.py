"""The Shotreel panel in the 3D view's sidebar: the project, the layout, the boards, and the shot on screen as a
board artist reads it (its sheet follows the current frame, wrapped to the sidebar's width)."""

from __future__ import annotations

import bpy
from bpy.app.handlers import persistent

from .. import compat, registration
from .core import sidebar_lines

CHAR_PX = 7.0  # about one character of the interface font at scale 1: the sheet wraps to the sidebar


class SHOTREEL_PT_project(bpy.types.Panel):
    bl_label = "Shotreel"
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "Shotreel"

    def draw(self, context):
        scene = compat.edit_scene(context)
        layout = self.layout
        layout.prop(scene.shotreel, "project")
        row = layout.row(align=True)
        row.operator("shotreel.build_layout", icon="OUTLINER_OB_CAMERA")
        row.operator("shotreel.draw_board", icon="GREASEPENCIL")
        boards = layout.column(align=True)
        boards.operator("shotreel.render_boards", icon="RENDER_STILL").which = "ALL"
        row = boards.row(align=True)
        row.operator("shotreel.render_boards", text="This Shot").which = "CURRENT"
        row.operator("shotreel.render_boards", text="Selected").which = "SELECTED"
        if hasattr(scene, "shotreel_boards"):
            boards.prop(scene.shotreel_boards, "burn_in")
        scale = context.preferences.view.ui_scale
        width = int((context.region.width if context.region else 300) / (CHAR_PX * scale)) - 3
        lines = sidebar_lines(scene, width)
        if not lines:
            return
        box = layout.box()
        column = box.column(align=True)
        for n, line in enumerate(lines):
            if n == 0:
                column.label(text=line.text, icon="CAMERA_DATA")
            elif line.heading:
                column.separator(factor=0.4)
                column.label(text=line.text)
            else:
                column.label(text=f"  {line.text}")


@persistent
def redraw_sidebar(_scene, _depsgraph=None) -> None:
    """A new frame may be another shot: redraw the 3D views' sidebars (nothing to do without a screen)."""
    window_manager = bpy.context.window_manager
    for window in window_manager.windows if window_manager is not None else ():
        for area in window.screen.areas:
            if area.type == "VIEW_3D":
                for region in area.regions:
                    if region.type == "UI":
                        region.tag_redraw()


_register, _unregister = registration.classes((SHOTREEL_PT_project,))


def register() -> None:
    _register()
    bpy.app.handlers.frame_change_post.append(redraw_sidebar)


def unregister() -> None:
    if redraw_sidebar in bpy.app.handlers.frame_change_post:
        bpy.app.handlers.frame_change_post.remove(redraw_sidebar)
    _unregister()
