"""Operators: generate takes for the shots the artist chose, stop generating, the ledger's actions.

Generate Takes sends only what the artist chose: the shot under the playhead, the shots ticked in the list, or
every shot without a take (the scene's *Shots* setting; a script may name ``shots="sh010,sh020"``), never the
strips that happen to be selected. A provider that bills (a hosted one) always asks first: from the panel a
dialog shows the request count and the estimated cost (the core's dry run, nothing sent) and sends only on
OK; called without the dialog (``EXEC_DEFAULT``, a script) it is refused with that count and cost unless
``confirmed=True`` says the caller accepts them.
"""

from __future__ import annotations

import bpy
from bpy.app.handlers import persistent
from shotreel.errors import ShotreelError
from shotreel.generation.registry import get_provider
from shotreel.layout import layout_plan
from shotreel.model import Film
from shotreel.sequencer import is_paid, ledger_action, quote
from shotreel.takes import find_takes

from .. import registration
from ..props import SCENE_NAME, project_film, provider_settings, target_scene
from ..takes.core import shotreel_strips
from . import core


def chosen_shots(scene: bpy.types.Scene, film: Film, scope: str | None = None) -> list[str]:
    """The shots the artist chose, in story order (see the module doc); never the selection."""
    scope = scope or scene.shotreel.scope
    order = [shot.id for shot in film.shots()]
    if scope == "LIST":
        ticked = {item.name for item in scene.shotreel.shot_list if item.chosen}
        return [shot for shot in order if shot in ticked]
    if scope == "MISSING":
        made = find_takes(film)
        return [shot for shot in order if not made.get(shot)]
    frame = scene.frame_current
    for strip in shotreel_strips(scene):  # the reel as it is cut now
        if strip["shotreel"].get("kind") == "board" and strip.frame_final_start <= frame < strip.frame_final_end:
            return [str(strip["shotreel"]["shot"])]
    at = layout_plan(film).shot_at(frame)  # a layout scene: its timeline is the film's
    return [at.id] if at is not None else []


class SHOTREEL_OT_generate_takes(bpy.types.Operator):
    """Generate takes for the shots you chose (the shot under the playhead, or the ticked ones) with the chosen
    provider; a paid provider shows the request count and estimated cost first. Blender stays usable"""

    bl_idname = "shotreel.generate_takes"
    bl_label = "Generate Takes"

    scene_name: SCENE_NAME  # type: ignore[valid-type]
    shots: bpy.props.StringProperty(  # type: ignore[valid-type]
        name="Shots", options={"SKIP_SAVE"}, description="Shot ids, comma separated (default: the panel's choice)")
    confirmed: bpy.props.BoolProperty(  # type: ignore[valid-type]
        name="Confirmed", options={"SKIP_SAVE", "HIDDEN"},
        description="The request count and estimated cost were shown and accepted (a paid provider needs it)")

    _quote = None  # what the dialog shows (set by invoke)

    def _plan(self, context):
        scene = target_scene(self, context)
        film = project_film(scene)
        name = scene.shotreel.provider
        options, concurrency = provider_settings(name)
        provider = get_provider(name, **options)  # the keys in memory only
        shots = [s.strip() for s in self.shots.split(",") if s.strip()] if self.shots else chosen_shots(scene, film)
        return scene, film, provider, shots, concurrency

    def invoke(self, context, event):
        try:
            scene, film, provider, shots, _ = self._plan(context)
            core.check_online(provider, shots)
            if not shots:
                raise ShotreelError("no shots chosen: put the playhead on a shot, or tick shots in the list")
            if not is_paid(provider):
                return self.execute(context)
            self._quote = quote(film, provider, shots, scene.shotreel.new_takes)
        except ShotreelError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        self.confirmed = True  # only the dialog's OK runs execute
        return context.window_manager.invoke_props_dialog(self, width=520, title="Send to a paid provider?",
                                                          confirm_text="Send")

    def draw(self, context):
        layout = self.layout
        found = self._quote
        if found is None:
            return
        layout.label(text=found.headline(), icon="FUND")
        for line in found.lines[:12]:
            layout.label(text=line)
        if len(found.lines) > 12:
            layout.label(text=f"… and {len(found.lines) - 12} more")
        for line in [f"missing key: {k}" for k in found.missing_keys] + found.refused:
            layout.label(text=line, icon="ERROR")

    def execute(self, context):
        try:
            scene, film, provider, shots, concurrency = self._plan(context)
            core.check_online(provider, shots)
            if not shots:
                raise ShotreelError("no shots chosen: put the playhead on a shot, or tick shots in the list")
            if is_paid(provider) and not self.confirmed:
                found = quote(film, provider, shots, scene.shotreel.new_takes)
                raise ShotreelError(f"not sent: {found.headline()} ({', '.join(shots)}); confirm it in the "
                                    "Generate Takes dialog (a script passes confirmed=True)")
            core.start(scene, film, provider, shots, scene.shotreel.new_takes, concurrency)
        except ShotreelError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        self.report({"INFO"}, f"generating {len(shots)} shot(s) with {provider.name}")
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


class SHOTREEL_OT_job_action(bpy.types.Operator):
    """Forget, resubmit or release a job of the ledger (as shotreel jobs --forget / --resubmit / --release)"""

    bl_idname = "shotreel.job_action"
    bl_label = "Job"

    scene_name: SCENE_NAME  # type: ignore[valid-type]
    job: bpy.props.StringProperty(name="Job", options={"SKIP_SAVE"})  # type: ignore[valid-type]
    action: bpy.props.EnumProperty(  # type: ignore[valid-type]
        name="Action", options={"SKIP_SAVE"},
        items=[("forget", "Forget", "The provider never made it: the next run makes a new take"),
               ("resubmit", "Resubmit", "Send it again on the next run (the provider may bill it twice)"),
               ("release", "Release", "Ask again with the same request on the next run")])

    @classmethod
    def description(cls, context, properties):
        return {"forget": "The provider never made this job: the next run makes a new take instead",
                "resubmit": "Send this job again on the next run (the provider may bill it twice)",
                "release": "Ask again with the same request on the next run"}.get(properties.action, "")

    def execute(self, context):
        try:
            scene = target_scene(self, context)
            film = project_film(scene)
            message = ledger_action(film.root, self.action, self.job)
            core.refresh_jobs(scene, film)
        except ShotreelError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        self.report({"INFO"}, message)
        return {"FINISHED"}


class SHOTREEL_OT_refresh_jobs(bpy.types.Operator):
    """Read the ledger again: the jobs that wait, failed or may exist at the provider, and why"""

    bl_idname = "shotreel.refresh_jobs"
    bl_label = "Refresh Jobs"

    scene_name: SCENE_NAME  # type: ignore[valid-type]

    def execute(self, context):
        try:
            scene = target_scene(self, context)
            core.refresh_jobs(scene, project_film(scene))
        except ShotreelError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        return {"FINISHED"}


@persistent
def _stop_on_load(_dummy) -> None:  # another file: its scenes are not the ones the runs report to
    core.stop_all()


_register, _unregister = registration.classes((SHOTREEL_OT_generate_takes, SHOTREEL_OT_stop_generation,
                                               SHOTREEL_OT_job_action, SHOTREEL_OT_refresh_jobs))


def register() -> None:
    _register()
    bpy.app.handlers.load_pre.append(_stop_on_load)


def unregister() -> None:
    if _stop_on_load in bpy.app.handlers.load_pre:
        bpy.app.handlers.load_pre.remove(_stop_on_load)
    _unregister()
