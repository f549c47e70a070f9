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


# Grease Pencil: v3 data is ``bpy.data.grease_pencils_v3`` on 4.3–4.5 (where ``grease_pencils`` makes a legacy
# annotation), ``bpy.data.grease_pencils`` from 5.0 (legacy moved to ``annotations``); 4.2 has only the legacy
# (v2) Grease Pencil, object type ``GPENCIL``. The calls shotreel makes (layers.new, frames.new) are the same.

GREASE_PENCIL_TYPES = frozenset({"GREASEPENCIL", "GPENCIL"})
"""Object types of a Grease Pencil object: v3 (4.3+) and legacy (4.2)."""


def grease_pencils():
    """The data collection new Grease Pencil drawings are made in (v3 where Blender has it)."""
    if hasattr(bpy.data, "grease_pencils_v3"):  # (an empty collection is falsy: no ``getattr(…) or …``)
        return bpy.data.grease_pencils_v3
    return bpy.data.grease_pencils


def grease_pencil_v3() -> bool:
    """Whether this Blender draws with Grease Pencil v3 (4.3+)."""
    return hasattr(bpy.data, "grease_pencils_v3") or hasattr(bpy.data, "annotations")


def draw_mode() -> str:
    """The object mode for drawing on a Grease Pencil object."""
    return "PAINT_GREASE_PENCIL" if grease_pencil_v3() else "PAINT_GPENCIL"


def move_frame(layer, number: int, to: int) -> None:
    """Move ``layer``'s Grease Pencil frame at frame ``number`` to frame ``to`` (v3: ``frames.move``; the legacy
    frame number is writable). By numbers: a v3 frame's Python object may not survive a move."""
    if hasattr(layer.frames, "move"):
        layer.frames.move(number, to)
        return
    for frame in layer.frames:
        if frame.frame_number == number:
            frame.frame_number = to
            return


def frame_is_blank(frame) -> bool:
    """Whether a Grease Pencil frame holds no stroke."""
    drawing = getattr(frame, "drawing", None)
    return len(drawing.strokes if drawing is not None else frame.strokes) == 0


def fcurves(block) -> list:
    """Every F-curve animating the ID ``block`` (empty when it has none): its action's channels for its slot
    (layered actions, 4.4+; ``action.fcurves`` is gone in 5.0), or the action's own F-curves before."""
    animation = getattr(block, "animation_data", None)
    action = animation.action if animation is not None else None
    if action is None:
        return []
    slot = getattr(animation, "action_slot", None)
    layers = getattr(action, "layers", None)
    if slot is not None and layers is not None and len(layers):
        curves = []
        for layer in layers:
            for strip in layer.strips:
                bag = strip.channelbag(slot)
                if bag is not None:
                    curves.extend(bag.fcurves)
        return curves
    return list(getattr(action, "fcurves", ()))
