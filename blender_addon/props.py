"""The scene's link to its shotreel project (the folder holding ``shotreel.yaml``)."""

from __future__ import annotations

from pathlib import Path

import bpy
from shotreel.model import Film
from shotreel.project import load_project


class ShotreelSceneProps(bpy.types.PropertyGroup):
    project: bpy.props.StringProperty(  # type: ignore[valid-type]
        name="Project", subtype="DIR_PATH", description="The shotreel project folder (it holds shotreel.yaml)")


def project_film(scene: bpy.types.Scene) -> Film:
    """The film of the scene's project, loaded fresh (raises the core's one-line errors)."""
    folder = bpy.path.abspath(scene.shotreel.project) if scene.shotreel.project else ""
    if not folder:
        from shotreel.errors import ShotreelError

        raise ShotreelError("no shotreel project set for this scene: choose its folder in the Shotreel panel")
    return load_project(Path(folder))


def register() -> None:
    bpy.utils.register_class(ShotreelSceneProps)
    bpy.types.Scene.shotreel = bpy.props.PointerProperty(type=ShotreelSceneProps)


def unregister() -> None:
    del bpy.types.Scene.shotreel
    bpy.utils.unregister_class(ShotreelSceneProps)
