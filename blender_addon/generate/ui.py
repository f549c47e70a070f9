"""The generation part of the sequencer's Shotreel panel: provider, Generate / Stop, progress."""

from __future__ import annotations

import bpy

from .. import compat, registration
from . import core


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
        layout.prop(props, "new_takes")
        if core.running(scene) is not None:
            layout.progress(text=props.generation_status or "generating", factor=props.generation_progress)
            layout.operator("shotreel.stop_generation", icon="CANCEL")
            return
        layout.operator("shotreel.generate_takes", icon="RENDER_ANIMATION")
        if props.generation_status:
            layout.label(text=props.generation_status)


register, unregister = registration.classes((SHOTREEL_PT_generate,))
