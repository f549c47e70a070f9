"""What differs between Blender 4.2, 4.5 and 5.0, in one place (feature-detected, not version-checked)."""

from __future__ import annotations

from fractions import Fraction

import bpy


def edit_scene(context: bpy.types.Context) -> bpy.types.Scene:
    """The scene the artist works in: 5.0's sequencer scene when there is one, else the context's."""
    return getattr(context, "sequencer_scene", None) or context.scene


def set_rate(scene: bpy.types.Scene, rate: Fraction) -> None:
    """Give ``scene`` the exact film rate: 24000/1001 is ``fps=24, fps_base=1.001`` (Blender stores the
    base as float32, so read it back with :func:`rate_of`, never by dividing)."""
    if rate.denominator == 1001:
        scene.render.fps, scene.render.fps_base = rate.numerator // 1000, 1.001
    elif rate.denominator == 1:
        scene.render.fps, scene.render.fps_base = rate.numerator, 1.0
    else:
        fps = max(1, round(rate))
        scene.render.fps, scene.render.fps_base = fps, float(fps / rate)


def rate_of(scene: bpy.types.Scene) -> Fraction:
    """The scene's rate as an exact fraction (``fps_base`` ≈ 1.001 read as 24000/1001 …)."""
    fps, base = scene.render.fps, scene.render.fps_base
    if abs(base - 1.001) < 1e-5:
        return Fraction(fps * 1000, 1001)
    return Fraction(fps) / Fraction(base).limit_denominator(1001)


def still_output(scene: bpy.types.Scene) -> None:
    """PNG stills, 8-bit RGB (5.0 wants the media type chosen before the file format)."""
    settings = scene.render.image_settings
    if hasattr(settings, "media_type"):
        settings.media_type = "IMAGE"
    settings.file_format = "PNG"
    settings.color_mode = "RGB"
    settings.color_depth = "8"


def strips(editor: bpy.types.SequenceEditor):
    """The top-level strips of a sequencer (``strips`` from 4.4; ``sequences`` before)."""
    return editor.strips if hasattr(editor, "strips") else editor.sequences


def new_color(collection, name: str, channel: int, start: int, length: int):
    """A colour strip of ``length`` frames (5.0 takes ``length``, earlier versions an exclusive end frame)."""
    try:
        return collection.new_effect(name, "COLOR", channel, start, length=length)
    except TypeError:
        return collection.new_effect(name, "COLOR", channel, start, frame_end=start + length)
