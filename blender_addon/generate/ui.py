"""The generation part of the sequencer's Shotreel panel: provider, which shots, Generate / Stop, progress, and
the jobs that need the artist with why and the ledger's actions as buttons."""

from __future__ import annotations

import bpy

from .. import compat, registration
from . import core

ACTION_ICONS = {"forget": "TRASH", "resubmit": "FILE_REFRESH", "release": "UNLOCKED"}


class SHOTREEL_UL_shots(bpy.types.UIList):
    """The film's shots, each with a tick: Generate Takes sends the ticked ones when *Shots* says so."""

    def draw_item(self, context, layout, data, item, icon, active_data, active_propname, index=0):
        layout.prop(item, "chosen", text=item.name)


class SHOTREEL_PT_generate(bpy.types.Panel):
    bl_label = "Generate"
    bl_space_type = "SEQUENCE_EDITOR"
    bl_region_type = "UI"
    bl_category = "Shotreel"
    bl_parent_id = "SHOTREEL_PT_reel"

    def draw(self, context):
        scene = compat.edit_scene(context)
        props = scene.shotreel
        layout = self.layout
        layout.prop(props, "provider")
        layout.prop(props, "scope")
        if props.scope == "LIST":
            layout.template_list("SHOTREEL_UL_shots", "", props, "shot_list", props, "shot_index", rows=4)
        layout.prop(props, "new_takes")
        if core.running(scene) is not None:
            layout.progress(text=props.generation_status or "generating", factor=props.generation_progress)
            layout.operator("shotreel.stop_generation", icon="CANCEL")
        else:
            layout.operator("shotreel.generate_takes", icon="RENDER_ANIMATION")
            if props.generation_status:
                layout.label(text=props.generation_status)
        self.draw_jobs(layout, props)

    @staticmethod
    def draw_jobs(layout, props) -> None:
        header = layout.row()
        header.label(text=f"Jobs that need you: {len(props.jobs)}" if props.jobs else "Jobs")
        header.operator("shotreel.refresh_jobs", text="", icon="FILE_REFRESH")
        for job in props.jobs:
            box = layout.box()
            box.label(text=job.text, icon="ERROR" if "failed" in job.text or "unknown" in job.text else "TIME")
            if job.actions:
                row = box.row()
                for action in job.actions.split():
                    button = row.operator("shotreel.job_action", text=action.title(), icon=ACTION_ICONS[action])
                    button.job, button.action = job.name, action


register, unregister = registration.classes((SHOTREEL_UL_shots, SHOTREEL_PT_generate))
