"""Rendering each shot's board from its camera (Workbench: fast, and what a layout is meant to show)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple

import bpy
from shotreel.board_renders import adopt_render, render_targets
from shotreel.errors import BoardError
from shotreel.layout import Layout
from shotreel.model import Film

from .. import compat
from ..layout.core import shot_cameras

ENGINE = "BLENDER_WORKBENCH"


class BoardRenderResult(NamedTuple):
    """What :func:`render_boards` did: the stills written, and the shots kept with the reason."""

    written: list[Path]
    kept: list[tuple[str, str]]


@contextlib.contextmanager
def _render_settings(scene: bpy.types.Scene) -> Iterator[None]:
    """Workbench PNG stills of the camera for the duration; the scene's own engine, output, camera and frame
    after."""
    render = scene.render
    settings = render.image_settings
    saved = (render.engine, render.filepath, render.use_file_extension, render.use_sequencer, scene.camera,
             scene.frame_current, settings.file_format, settings.color_mode, settings.color_depth)
    media = getattr(settings, "media_type", None)
    try:
        render.engine = ENGINE
        render.use_file_extension = False
        render.use_sequencer = False  # a board is the camera's view, even in a scene that also holds an edit
        compat.still_output(scene)
        yield
    finally:
        if media is not None:
            settings.media_type = media
        (render.engine, render.filepath, render.use_file_extension, render.use_sequencer, scene.camera, frame,
         settings.file_format, settings.color_mode, settings.color_depth) = saved
        scene.frame_set(frame)


def render_boards(scene: bpy.types.Scene, film: Film, layout: Layout, shots: set[str] | None = None,
                  progress: Callable[[int, int, str], None] | None = None) -> BoardRenderResult:
    """Render the board of every shot (or of ``shots``) from its layout camera at its first frame.

    Boards a person drew, and shots that use another listed board, are kept (the core decides:
    :func:`shotreel.board_renders.render_targets`). Each still is rendered beside its target and moved
    into place whole; a shot without a layout camera raises :class:`BoardError` before anything renders.
    """
    cameras = shot_cameras(scene)
    starts = {shot.id: shot.start for shot in layout.shots}
    targets = [t for t in render_targets(film) if shots is None or t.shot in shots]
    missing = [t.shot for t in targets if t.render and t.shot not in cameras]
    if missing:
        raise BoardError(f"no layout camera for {', '.join(missing[:5])}: build the layout first", shot=missing[0])
    result = BoardRenderResult([], [(t.shot, t.kept) for t in targets if not t.render])
    todo = [t for t in targets if t.render]
    with _render_settings(scene):
        for done, target in enumerate(todo):
            if progress is not None:
                progress(done, len(todo), target.shot)
            scene.camera = cameras[target.shot]
            scene.frame_set(starts[target.shot])
            rendered = target.path.with_name(f".{target.path.stem}.render.png")
            rendered.parent.mkdir(parents=True, exist_ok=True)
            scene.render.filepath = str(rendered)
            try:
                bpy.ops.render.render(write_still=True, scene=scene.name)
                result.written.append(adopt_render(film, target, rendered))
            finally:
                rendered.unlink(missing_ok=True)
    if progress is not None:
        progress(len(todo), len(todo), "boards rendered")
    return result
