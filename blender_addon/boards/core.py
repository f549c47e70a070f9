"""Rendering each shot's board from its layout camera (Workbench: fast, and what a layout is meant to show), one
board at a time: a :class:`BoardBatch` renders one still per :meth:`~BoardBatch.step`, so the operator renders
one board per timer event and Blender stays usable (and the batch cancellable) between boards.

Every still carries a stamp: the shot id and lens as the PNG's metadata (``Note``: ``sh010 50mm``, ``Lens``),
and burned into the picture on request (off by default: a board is where generation starts, and a generator
would animate the words)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import bpy
from shotreel.board_renders import adopt_render, render_targets
from shotreel.errors import BoardError
from shotreel.layout import Layout
from shotreel.model import Film

from .. import compat
from ..layout.core import BOARD_KEY, SHOT_KEY, shot_cameras, shot_on_screen

ENGINE = "BLENDER_WORKBENCH"
_RENDER = ("engine", "filepath", "use_file_extension", "use_sequencer", "use_stamp", "stamp_note_text",
           "stamp_font_size")
_IMAGE = ("file_format", "color_mode", "color_depth")


class BoardRenderResult(NamedTuple):
    """What :func:`render_boards` did: the stills written, and the shots kept with the reason."""

    written: list[Path]
    kept: list[tuple[str, str]]


def shots_to_render(scene: bpy.types.Scene, which: str) -> set[str] | None:
    """The shots ``which`` names: ``"ALL"`` (None: every shot), ``"CURRENT"`` (the shot on screen) or
    ``"SELECTED"`` (the shots whose camera or board is selected); empty when there is none."""
    if which == "CURRENT":
        camera = shot_on_screen(scene)
        return {str(camera[SHOT_KEY])} if camera is not None else set()
    if which == "SELECTED":
        shots = set()
        for obj in scene.objects:
            if obj.select_get():
                if SHOT_KEY in obj:
                    shots.add(str(obj[SHOT_KEY]))
                elif BOARD_KEY in obj:
                    shots.add(str(obj[BOARD_KEY]))
        return shots
    return None


class BoardBatch:
    """The boards of ``shots`` (None: every shot) of ``film``, rendered from ``scene``'s layout cameras at each
    shot's first frame, one per :meth:`step`.

    The scene's engine, output, stamp, camera and frame are swapped for the batch at the first step and put
    back when it ends or is cancelled. Boards a person drew, and shots that use another listed board, are kept
    (the core decides: :func:`shotreel.board_renders.render_targets`); a shot without a layout camera raises
    :class:`BoardError` before anything renders. Each still is rendered beside its target and moved into place
    whole, so a cancelled batch leaves every board either as it was or new."""

    def __init__(self, scene: bpy.types.Scene, film: Film, layout: Layout, shots: set[str] | None = None,
                 burn_in: bool = False) -> None:
        self.scene, self.film, self.burn_in = scene, film, burn_in
        self.cameras = shot_cameras(scene)
        self.starts = {shot.id: shot.start for shot in layout.shots}
        targets = [t for t in render_targets(film) if shots is None or t.shot in shots]
        missing = [t.shot for t in targets if t.render and t.shot not in self.cameras]
        if missing:
            raise BoardError(f"no layout camera for {', '.join(missing[:5])}: build the layout first",
                             shot=missing[0])
        self.todo = [t for t in targets if t.render]
        self.result = BoardRenderResult([], [(t.shot, t.kept) for t in targets if not t.render])
        self.done = 0
        self.cancelled = False
        self._saved: tuple | None = None

    @property
    def total(self) -> int:
        return len(self.todo)

    @property
    def finished(self) -> bool:
        return self.cancelled or self.done >= self.total

    @property
    def progress(self) -> float:
        return self.done / self.total if self.total else 1.0

    def status(self) -> str:
        """One line for the status bar."""
        if self.cancelled:
            return f"Render Boards cancelled: {self.done} of {self.total} rendered"
        if self.finished:
            return f"{self.done} boards rendered"
        return f"Rendering boards {self.done + 1}/{self.total}: {self.todo[self.done].shot} (Esc to cancel)"

    def step(self) -> bool:
        """Render the next board; True while boards remain."""
        if self.finished:
            self.close()
            return False
        try:
            if self._saved is None:
                self._saved = _swap_in(self.scene, self.burn_in)
            self._render(self.todo[self.done])
            self.done += 1
        except BaseException:
            self.close()
            raise
        if self.finished:
            self.close()
        return not self.finished

    def cancel(self) -> None:
        """Stop: the boards rendered so far stay, the rest are not touched; the scene is put back."""
        self.cancelled = True
        self.close()

    def close(self) -> None:
        """Put the scene's own settings back (done by the last step and by :meth:`cancel`)."""
        if self._saved is not None:
            _swap_out(self.scene, self._saved)
            self._saved = None

    def _render(self, target) -> None:
        scene, camera = self.scene, self.cameras[target.shot]
        scene.camera = camera
        scene.frame_set(self.starts[target.shot])
        scene.render.stamp_note_text = f"{target.shot} {camera.data.lens:g}mm"  # ASCII: PNG text is Latin-1
        rendered = target.path.with_name(f".{target.path.stem}.render.png")
        rendered.parent.mkdir(parents=True, exist_ok=True)
        scene.render.filepath = str(rendered)
        try:
            bpy.ops.render.render(write_still=True, scene=scene.name)
            self.result.written.append(adopt_render(self.film, target, rendered))
        finally:
            rendered.unlink(missing_ok=True)


def _stamp_fields(render) -> list[str]:
    return [p.identifier for p in render.bl_rna.properties if p.identifier.startswith("use_stamp_")]


def _swap_in(scene: bpy.types.Scene, burn_in: bool) -> tuple:
    """Workbench PNG stills of the camera, stamped with the shot and lens only; returns what was there."""
    render = scene.render
    settings = render.image_settings
    fields = _stamp_fields(render)
    saved = ({name: getattr(render, name) for name in (*_RENDER, *fields)},
             {name: getattr(settings, name) for name in _IMAGE}, getattr(settings, "media_type", None),
             scene.camera, scene.frame_current)
    render.engine = ENGINE
    render.use_file_extension = False
    render.use_sequencer = False  # a board is the camera's view, even in a scene that also holds an edit
    for name in fields:
        setattr(render, name, name in ("use_stamp_note", "use_stamp_lens"))
    render.use_stamp = burn_in
    render.stamp_font_size = max(12, render.resolution_y * render.resolution_percentage // 100 // 36)
    compat.still_output(scene)
    return saved


def _swap_out(scene: bpy.types.Scene, saved: tuple) -> None:
    render_values, image_values, media, camera, frame = saved
    settings = scene.render.image_settings
    if media is not None:
        settings.media_type = media
    for name, value in image_values.items():
        setattr(settings, name, value)
    for name, value in render_values.items():
        setattr(scene.render, name, value)
    scene.camera = camera
    scene.frame_set(frame)


def render_boards(scene: bpy.types.Scene, film: Film, layout: Layout, shots: set[str] | None = None,
                  progress: Callable[[int, int, str], None] | None = None,
                  burn_in: bool = False) -> BoardRenderResult:
    """Render the boards of every shot (or of ``shots``) in one go (scripts, and Blender without a window):
    a :class:`BoardBatch` stepped to its end."""
    batch = BoardBatch(scene, film, layout, shots, burn_in)
    while not batch.finished:
        if progress is not None:
            progress(batch.done, batch.total, batch.todo[batch.done].shot)
        batch.step()
    if progress is not None:
        progress(batch.total, batch.total, "boards rendered")
    return batch.result
