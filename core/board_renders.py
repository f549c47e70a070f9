"""Boards rendered by a host from the layout (the Blender extension): where each goes, and what it may replace.

A host renders a still per shot camera and hands it to :func:`adopt_render`, which moves it to
``boards/<shot>.png`` atomically and records its SHA-256 in ``.shotreel/board-renders.json``. That record
is what lets the next render replace it: :func:`render_targets` says, before anything is rendered, which
shots get a render and why the others do not:

- no file yet, a shotreel card (derived, :mod:`shotreel.boards`) or an earlier render whose bytes are
  unchanged → rendered;
- a file someone made or painted over (no card marker and not a recorded render, or a render edited
  since) → kept, never overwritten;
- a shot whose listed ``start`` board is another file → kept: that board is the shot's, a render would
  not be used.

To :func:`shotreel.boards.draw_boards` a render is an artist's board (it has no card marker), so
``shotreel boards`` keeps it too.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from .boards import BOARDS_DIR, board_path, is_shotreel_card
from .errors import BoardError
from .fsutil import atomic_write_text, move_into_place
from .generation.base import file_sha256
from .model import Film, Shot

RECORD = ".shotreel/board-renders.json"
"""Per shot id, the SHA-256 of the board render shotreel last put in place."""


@dataclass(frozen=True)
class RenderTarget:
    """Where a shot's render goes, and ``kept`` (why not) when the board there is not to be replaced."""

    shot: str
    path: Path
    kept: str = ""

    @property
    def render(self) -> bool:
        return not self.kept


def _record(film: Film) -> dict[str, str]:
    path = film.path(RECORD)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise BoardError(f"the record of board renders cannot be read: {exc}", file=str(path)) from None
    return {str(k): str(v) for k, v in data.get("renders", {}).items()} if isinstance(data, dict) else {}


def _target(film: Film, shot: Shot, renders: dict[str, str]) -> RenderTarget:
    path = film.path(board_path(film, shot))
    listed = shot.board("start")
    if listed is not None and film.path(listed.path) != path:
        return RenderTarget(shot.id, path, f"uses its listed board {listed.path}")
    if not path.exists():
        return RenderTarget(shot.id, path)
    if renders.get(shot.id) == file_sha256(path):
        return RenderTarget(shot.id, path)
    if is_shotreel_card(path):
        return RenderTarget(shot.id, path)
    return RenderTarget(shot.id, path, f"{BOARDS_DIR}/{path.name} was drawn by hand (kept)")


def render_targets(film: Film) -> list[RenderTarget]:
    """Every shot's render target in story order, with the reason it is kept where it is."""
    if film.root is None:
        raise BoardError("the film has no project folder to render boards into")
    renders = _record(film)
    return [_target(film, shot, renders) for shot in film.shots()]


def adopt_render(film: Film, target: RenderTarget, rendered: str | os.PathLike) -> Path:
    """Move the still ``rendered`` (written by the host beside ``target.path``) into place, durably, and
    record it as shotreel's render. Refuses a target that is to be kept."""
    if target.kept:
        raise BoardError(f"not replacing the board: {target.kept}", shot=target.shot, file=str(target.path))
    digest = file_sha256(Path(rendered))
    move_into_place(rendered, target.path)
    renders = _record(film)
    renders[target.shot] = digest
    atomic_write_text(film.path(RECORD), json.dumps({"renders": dict(sorted(renders.items()))}, indent=1) + "\n")
    return target.path
