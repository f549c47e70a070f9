"""The scene's link to its shotreel project (the folder holding ``shotreel.yaml``), what the artist chose to
generate, what the panel shows (jobs that need the artist, the project's problems), and the add-on's
preferences: provider keys (masked; an environment variable set for a key still wins), the default provider
and concurrency, ComfyUI's address and workflow.

Keys live only in the preferences (Blender keeps them in ``userpref.blend``, never in a project's .blend): they
are handed to the provider in memory when a run starts, and never written to the project, a scene, the ledger
or a log.
"""

from __future__ import annotations

from pathlib import Path

import bpy
from shotreel.errors import ShotreelError
from shotreel.model import Film
from shotreel.project import load_project

from . import compat


def _providers(_self, _context) -> list[tuple[str, str, str]]:
    from shotreel.generation.registry import DEFAULT_PROVIDER, provider_names

    names = provider_names()
    names.sort(key=lambda name: name != DEFAULT_PROVIDER)  # the offline one first: it needs no account
    return [(name, name, "") for name in names]


SCOPES = [
    ("CURRENT", "Shot Under the Playhead", "The shot at the current frame"),
    ("LIST", "Shots Ticked in the List", "The shots ticked in the shot list below"),
    ("MISSING", "Every Shot Without a Take", "Every shot of the film that has no take yet"),
]

KEYS = {  # the preference holding each provider key, by the environment variable that wins over it
    "RUNWAYML_API_SECRET": "runway_key",
    "LUMAAI_API_KEY": "luma_key",
    "KLING_ACCESS_KEY": "kling_access_key",
    "KLING_SECRET_KEY": "kling_secret_key",
    "FAL_KEY": "fal_key",
    "REPLICATE_API_TOKEN": "replicate_key",
}


class ShotreelShotItem(bpy.types.PropertyGroup):
    """One shot of the list the artist ticks shots in (its name is the shot id)."""

    chosen: bpy.props.BoolProperty(name="Generate", description="Generate a take for this shot")  # type: ignore[valid-type]


class ShotreelLine(bpy.types.PropertyGroup):
    """One line for the panel: a job that needs the artist (``name`` is ``shot/take``) or a problem."""

    text: bpy.props.StringProperty()  # type: ignore[valid-type]
    actions: bpy.props.StringProperty()  # type: ignore[valid-type]  # "forget resubmit" …


class ShotreelSceneProps(bpy.types.PropertyGroup):
    project: bpy.props.StringProperty(  # type: ignore[valid-type]
        name="Project", subtype="DIR_PATH", description="The shotreel project folder (it holds shotreel.yaml)")
    provider: bpy.props.EnumProperty(  # type: ignore[valid-type]
        name="Provider", items=_providers,
        description="Who renders the takes (keys come from the environment; animatic needs none)")
    new_takes: bpy.props.BoolProperty(  # type: ignore[valid-type]
        name="New Takes", description="Make a new take even for shots that have one (regenerate)")
    generation_status: bpy.props.StringProperty(name="Generation")  # type: ignore[valid-type]
    generation_progress: bpy.props.FloatProperty(min=0.0, max=1.0, subtype="FACTOR")  # type: ignore[valid-type]
    scope: bpy.props.EnumProperty(  # type: ignore[valid-type]
        name="Shots", items=SCOPES, default="CURRENT",
        description="Which shots Generate Takes sends (never what happens to be selected)")
    shot_list: bpy.props.CollectionProperty(type=ShotreelShotItem)  # type: ignore[valid-type]
    shot_index: bpy.props.IntProperty()  # type: ignore[valid-type]
    jobs: bpy.props.CollectionProperty(type=ShotreelLine)  # type: ignore[valid-type]
    problems: bpy.props.CollectionProperty(type=ShotreelLine)  # type: ignore[valid-type]


class ShotreelPreferences(bpy.types.AddonPreferences):
    """Provider keys (masked; the environment variable wins), default provider and concurrency, ComfyUI."""

    bl_idname = __package__

    runway_key: bpy.props.StringProperty(name="Runway", subtype="PASSWORD")  # type: ignore[valid-type]
    luma_key: bpy.props.StringProperty(name="Luma", subtype="PASSWORD")  # type: ignore[valid-type]
    kling_access_key: bpy.props.StringProperty(name="Kling access key", subtype="PASSWORD")  # type: ignore[valid-type]
    kling_secret_key: bpy.props.StringProperty(name="Kling secret key", subtype="PASSWORD")  # type: ignore[valid-type]
    fal_key: bpy.props.StringProperty(name="fal", subtype="PASSWORD")  # type: ignore[valid-type]
    replicate_key: bpy.props.StringProperty(name="Replicate", subtype="PASSWORD")  # type: ignore[valid-type]
    default_provider: bpy.props.EnumProperty(  # type: ignore[valid-type]
        name="Default provider", items=_providers, description="The provider a new reel scene starts with")
    concurrency: bpy.props.IntProperty(  # type: ignore[valid-type]
        name="Concurrency", min=0, max=64, default=0,
        description="Jobs running at once at the provider (0: the provider's own limit)")
    comfyui_address: bpy.props.StringProperty(  # type: ignore[valid-type]
        name="ComfyUI address", default="http://127.0.0.1:8188",
        description="Where your ComfyUI server listens (SHOTREEL_COMFYUI_BASE_URL wins when set)")
    comfyui_workflow: bpy.props.StringProperty(  # type: ignore[valid-type]
        name="ComfyUI workflow", subtype="FILE_PATH",
        description="Your API-format workflow with {{image}}, {{prompt}}, {{seed}} … placeholders")

    def draw(self, context):
        import os

        layout = self.layout
        box = layout.box()
        box.label(text="Provider keys (an environment variable set for a key is used instead)")
        for variable, prop in KEYS.items():
            row = box.row()
            row.prop(self, prop)
            if os.environ.get(variable):
                row.label(text=f"{variable} is set: it wins", icon="INFO")
        layout.prop(self, "default_provider")
        layout.prop(self, "concurrency")
        layout.prop(self, "comfyui_address")
        layout.prop(self, "comfyui_workflow")


def preferences() -> ShotreelPreferences | None:
    """The add-on's preferences (None when it was registered without an add-on entry, as in some scripts)."""
    entry = bpy.context.preferences.addons.get(__package__)
    return entry.preferences if entry is not None else None


def provider_settings(name: str) -> tuple[dict, int | None]:
    """Provider options from the preferences (keys only where the environment has none) and the
    concurrency (None: the provider's own); the keys stay in memory."""
    from shotreel.sequencer import provider_options

    prefs = preferences()
    if prefs is None:
        return {}, None
    keys = {variable: getattr(prefs, prop) for variable, prop in KEYS.items()}
    options = provider_options(name, keys, comfyui_address=prefs.comfyui_address,
                               workflow=bpy.path.abspath(prefs.comfyui_workflow) if prefs.comfyui_workflow else "")
    return options, prefs.concurrency or None


SCENE_NAME = bpy.props.StringProperty(
    name="Scene", options={"SKIP_SAVE"}, description="The scene to act on (default: the scene in the editor)")
"""An operator property for scripts: naming the scene instead of overriding the context matters, as Blender 4.5
can crash when an operator runs inside ``context.temp_override`` while another thread runs Python."""


def target_scene(operator: bpy.types.Operator, context: bpy.types.Context) -> bpy.types.Scene:
    """The scene an operator acts on: the one its ``scene_name`` names, else the scene in the editor."""
    if not operator.scene_name:
        return compat.edit_scene(context)
    scene = bpy.data.scenes.get(operator.scene_name)
    if scene is None:
        raise ShotreelError(f"no scene {operator.scene_name!r} in this file")
    return scene


def project_film(scene: bpy.types.Scene) -> Film:
    """The film of the scene's project, loaded fresh (raises the core's one-line errors)."""
    folder = bpy.path.abspath(scene.shotreel.project) if scene.shotreel.project else ""
    if not folder:
        raise ShotreelError("no shotreel project set for this scene: choose its folder in the Shotreel panel")
    return load_project(Path(folder))


_CLASSES = (ShotreelShotItem, ShotreelLine, ShotreelSceneProps, ShotreelPreferences)


def register() -> None:
    for cls in _CLASSES:
        bpy.utils.register_class(cls)
    bpy.types.Scene.shotreel = bpy.props.PointerProperty(type=ShotreelSceneProps)


def unregister() -> None:
    del bpy.types.Scene.shotreel
    for cls in reversed(_CLASSES):
        bpy.utils.unregister_class(cls)
