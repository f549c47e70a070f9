"""The scene's board settings (``scene.shotreel_boards``): whether Render Boards burns its stamp in."""

from __future__ import annotations

import bpy


class ShotreelBoardProps(bpy.types.PropertyGroup):
    burn_in: bpy.props.BoolProperty(  # type: ignore[valid-type]
        name="Burn In Shot and Lens",
        description="Draw the shot id and lens onto the rendered boards (generation then sees them too); they "
                    "are always in each board's metadata")


def register() -> None:
    bpy.utils.register_class(ShotreelBoardProps)
    bpy.types.Scene.shotreel_boards = bpy.props.PointerProperty(type=ShotreelBoardProps)


def unregister() -> None:
    del bpy.types.Scene.shotreel_boards
    bpy.utils.unregister_class(ShotreelBoardProps)
