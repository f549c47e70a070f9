"""The Shotreel panel in the sequencer's sidebar: load or import the reel, what is wrong (a line a problem, naming
the shot), the active take and its provenance, use it."""

from __future__ import annotations

import bpy

from .. import compat, registration
from .core import TAG, take_of


class SHOTREEL_PT_reel(bpy.types.Panel):
    bl_label = "Shotreel"
    bl_space_type = "SEQUENCE_EDITOR"
    bl_region_type = "UI"
    bl_category = "Shotreel"

    def draw(self, context):
        scene = compat.edit_scene(context)
        layout = self.layout
        layout.prop(scene.shotreel, "project")
        layout.operator("shotreel.load_reel", icon="SEQUENCE")
        layout.operator("shotreel.send_edit", icon="EXPORT")
        layout.operator("shotreel.import_cut", icon="IMPORT")
        if scene.shotreel.problems:
            box = layout.box()
            box.label(text=f"{len(scene.shotreel.problems)} to look at", icon="ERROR")
            for line in scene.shotreel.problems:
                box.label(text=line.text)
        editor = scene.sequence_editor
        strip = editor.active_strip if editor is not None else None
        found = take_of(strip)
        if found is None:
            return
        box = layout.box()
        box.label(text=f"Shot {found[0]} · take {found[1]}", icon="FILE_MOVIE")
        if strip.mute:
            box.label(text="muted: another take plays", icon="HIDE_ON")
        box.operator("shotreel.use_take", icon="CHECKMARK")
        tag = strip[TAG].to_dict() if hasattr(strip[TAG], "to_dict") else {}
        for key in ("provider", "model", "seed", "prompt"):
            if tag.get(key):
                box.label(text=f"{key}: {tag[key]}")


register, unregister = registration.classes((SHOTREEL_PT_reel,))
