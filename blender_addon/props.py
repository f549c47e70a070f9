"""The scene's link to its shotreel project (the folder holding ``shotreel.yaml``)."""

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


def register() -> None:
    bpy.utils.register_class(ShotreelSceneProps)
    bpy.types.Scene.shotreel = bpy.props.PointerProperty(type=ShotreelSceneProps)


def unregister() -> None:
    del bpy.types.Scene.shotreel
    bpy.utils.unregister_class(ShotreelSceneProps)
