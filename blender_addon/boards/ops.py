"""Operators: render the boards of the scene's project."""

from __future__ import annotations

import bpy
from shotreel.errors import ShotreelError
from shotreel.layout import layout_plan

from .. import compat, registration
from ..props import project_film
from .core import render_boards


class SHOTREEL_OT_render_boards(bpy.types.Operator):
    """Render every shot's board from its layout camera into the project's boards folder (boards drawn by
    hand are kept)"""

    bl_idname = "shotreel.render_boards"
    bl_label = "Render Boards"

    def execute(self, context):
        scene = compat.edit_scene(context)
        window_manager = context.window_manager
        window_manager.progress_begin(0.0, 1.0)
        try:
            film = project_film(scene)
            result = render_boards(scene, film, layout_plan(film), progress=lambda done, total, _shot:
                                   window_manager.progress_update(done / max(1, total)))
        except ShotreelError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        finally:
            window_manager.progress_end()
        message = f"{len(result.written)} boards rendered"
        if result.kept:
            message += f", {len(result.kept)} kept ({'; '.join(f'{s}: {why}' for s, why in result.kept[:3])}" + \
                       (" …)" if len(result.kept) > 3 else ")")
        self.report({"INFO"}, message)
        return {"FINISHED"}


register, unregister = registration.classes((SHOTREEL_OT_render_boards,))
