"""Operators: render the boards of the scene's project (all shots, the shot on screen, or the selected shots'),
one board per timer event with progress in the status bar; Esc cancels."""

from __future__ import annotations

import bpy
from shotreel.errors import ShotreelError
from shotreel.layout import layout_plan

from .. import compat, registration
from ..props import project_film
from .core import BoardBatch, shots_to_render

WHICH = (("ALL", "All Shots", "Every shot's board"),
         ("CURRENT", "Current Shot", "The board of the shot on screen"),
         ("SELECTED", "Selected Shots", "The boards of the shots whose camera or board is selected"))


class SHOTREEL_OT_render_boards(bpy.types.Operator):
    """Render the shots' boards from their layout cameras into the project's boards folder (boards drawn by hand
    are kept); Blender stays usable, Esc cancels"""

    bl_idname = "shotreel.render_boards"
    bl_label = "Render Boards"

    which: bpy.props.EnumProperty(name="Shots", items=WHICH, default="ALL")  # type: ignore[valid-type]

    _batch: BoardBatch | None = None
    _timer = None

    def _start(self, context) -> BoardBatch | None:
        scene = compat.edit_scene(context)
        try:
            shots = shots_to_render(scene, self.which)
            if shots is not None and not shots:
                raise ShotreelError("no shot camera here: " + ("select a shot's camera or board"
                                                               if self.which == "SELECTED" else "build the layout"))
            film = project_film(scene)
            burn_in = bool(getattr(getattr(scene, "shotreel_boards", None), "burn_in", False))
            return BoardBatch(scene, film, layout_plan(film), shots, burn_in)
        except ShotreelError as exc:
            self.report({"ERROR"}, str(exc))
            return None

    def execute(self, context):  # scripts and Blender without a window: the whole batch at once
        batch = self._start(context)
        if batch is None:
            return {"CANCELLED"}
        window_manager = context.window_manager
        window_manager.progress_begin(0, max(1, batch.total))
        try:
            while batch.step():
                window_manager.progress_update(batch.done)
        finally:
            batch.close()
            window_manager.progress_end()
        self._report(batch)
        return {"FINISHED"}

    def invoke(self, context, event):
        if context.window is None:
            return self.execute(context)
        batch = self._start(context)
        if batch is None:
            return {"CANCELLED"}
        self._batch = batch
        window_manager = context.window_manager
        window_manager.progress_begin(0, max(1, batch.total))
        self._timer = window_manager.event_timer_add(0.01, window=context.window)
        window_manager.modal_handler_add(self)
        self._status(context)
        return {"RUNNING_MODAL"}

    def modal(self, context, event):
        batch = self._batch
        if event.type == "ESC" and event.value == "PRESS":
            batch.cancel()
            return self._end(context)
        if event.type != "TIMER" or event.timer != self._timer:
            return {"PASS_THROUGH"}  # the artist goes on working between boards
        try:
            batch.step()
        except ShotreelError as exc:
            self.report({"ERROR"}, str(exc))
            batch.cancel()
            return self._end(context)
        context.window_manager.progress_update(batch.done)
        self._status(context)
        return self._end(context) if batch.finished else {"RUNNING_MODAL"}

    def _end(self, context):
        window_manager = context.window_manager
        window_manager.event_timer_remove(self._timer)
        window_manager.progress_end()
        if context.workspace is not None:
            context.workspace.status_text_set(None)
        self._batch.close()
        self._report(self._batch)
        return {"CANCELLED"} if self._batch.cancelled else {"FINISHED"}

    def _status(self, context) -> None:
        if context.workspace is not None:
            context.workspace.status_text_set(self._batch.status())

    def _report(self, batch: BoardBatch) -> None:
        kept = batch.result.kept
        message = batch.status()
        if kept:
            message += f", {len(kept)} kept ({'; '.join(f'{s}: {why}' for s, why in kept[:3])}" + \
                       (" …)" if len(kept) > 3 else ")")
        self.report({"WARNING"} if batch.cancelled else {"INFO"}, message)


register, unregister = registration.classes((SHOTREEL_OT_render_boards,))
