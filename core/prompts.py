"""Shot + assets + style guide -> a provider-neutral :class:`~shotreel.generation.base.GenerationRequest`.

The prompt is built deterministically, most important first, so that cutting it to a provider's
length limit drops the least important words: the shot's action, its ``prompt`` additions, the
camera (size, angle, movement, lens), continuity notes, the assets in shot (their descriptions),
the film's style guide, and the sound as the shot's mood. The start frame is the shot's board,
the end frame a board with role ``end``; reference images come from the assets' approved references
(typed in ``shotreel.yaml`` or approved with ``shotreel assets --approve``) and from boards with role
``reference``. :func:`render_prompt` shows a request as text (``shotreel prompt``).
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from .approvals import APPROVALS_FILE, load_approvals
from .boards import shot_board_image
from .errors import ShotreelError
from .generation.base import GenerationRequest, Provider
from .limits import is_image, may_read_image
from .model import Film, Shot
from .timing import format_duration, fps_label

SHOT_SIZES = {
    "EWS": "extreme wide shot", "XWS": "extreme wide shot", "ELS": "extreme long shot", "WS": "wide shot",
    "LS": "long shot", "FS": "full shot", "MWS": "medium wide shot", "MLS": "medium long shot",
    "MS": "medium shot", "MCU": "medium close-up", "CU": "close-up", "ECU": "extreme close-up",
    "XCU": "extreme close-up", "OTS": "over-the-shoulder shot", "POV": "point-of-view shot",
    "2S": "two shot", "INSERT": "insert shot",
}
"""Shot-size abbreviations a film-maker writes, spelled out for the model."""

DEFAULT_TAKE = "t001"


class PromptError(ShotreelError):
    """A shot cannot be turned into a generation request (no board, a missing reference image)."""


def derived_seed(shot_id: str, take_id: str) -> int:
    """A stable seed for a take when the user gives none: the same take id always gets the same seed."""
    return int.from_bytes(hashlib.sha256(f"{shot_id}/{take_id}".encode()).digest()[:4], "big")


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def _sentence(text: str) -> str:
    text = _clean(text)
    return text if not text or text[-1] in ".!?" else text + "."


def _camera_text(shot: Shot, movement: bool = True) -> str:
    cam = shot.camera
    parts = []
    if cam.size:
        parts.append(SHOT_SIZES.get(cam.size.strip().upper(), cam.size.strip()))
    if cam.angle:
        parts.append(cam.angle.strip())
    if cam.movement and movement:
        movement = cam.movement.strip()
        parts.append("static camera" if movement.lower() == "static" else f"camera {movement}")
    if cam.lens:
        lens = cam.lens.strip()
        parts.append(lens if "lens" in lens.lower() else f"{lens} lens")
    return _sentence("Camera: " + ", ".join(parts)) if parts else ""


def _context_parts(film: Film, shot: Shot) -> list[str]:
    """The sentences after the shot's own: continuity, each asset's description, the style, the mood."""
    parts = [_sentence(f"Continuity: {shot.continuity}")] if shot.continuity else []
    for asset_id in shot.assets:
        asset = film.asset(asset_id)
        if asset is not None and asset.description:
            parts.append(_sentence(f"{asset.kind.capitalize()}: {asset.description}"))
    if film.style:
        parts.append(_sentence(f"Style: {film.style}"))
    if shot.sound:
        parts.append(_sentence(f"Mood: {shot.sound}"))
    return parts


def prompt_parts(film: Film, shot: Shot) -> list[str]:
    """The prompt's sentences, most important first (empty parts left out)."""
    parts = [_sentence(shot.action), _sentence(shot.prompt), _camera_text(shot)]
    return [p for p in parts + _context_parts(film, shot) if p]


def board_prompt_parts(film: Film, shot: Shot, role: str = "start") -> list[str]:
    """The sentences of a generated board's prompt (a still, ``role`` ``start`` or ``end``), most important
    first: the action, the shot's ``prompt`` additions, the framing (size, angle, lens), which moment of the
    shot the still is (its first frame before the camera moves, or its last after), continuity, the assets,
    the style and the mood."""
    movement = _clean(shot.camera.movement)
    moving = movement and movement.lower() != "static"
    if role == "end":
        moment = f"The shot's last frame, after the camera move ({movement})." if moving else "The shot's last frame."
    else:
        moment = f"The shot's first frame, before the camera move ({movement})." if moving else ""
    parts = [_sentence(shot.action), _sentence(shot.prompt), _camera_text(shot, movement=False), moment]
    return [p for p in parts + _context_parts(film, shot) if p]


def build_board_prompt(film: Film, shot: Shot, role: str = "start", max_chars: int = 0) -> str:
    """A generated board's prompt (:func:`board_prompt_parts`), cut to ``max_chars`` at a word boundary."""
    return truncate_words(" ".join(board_prompt_parts(film, shot, role)), max_chars)


def truncate_words(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters at a word boundary (never inside a word)."""
    if limit <= 0 or len(text) <= limit:
        return text
    cut = text[:limit + 1]
    space = cut.rfind(" ")
    cut = cut[:space] if space > 0 else ""
    return cut.rstrip(" ,;:-—")


def build_prompt(film: Film, shot: Shot, max_chars: int = 0) -> str:
    """The shot's prompt, deterministic, cut to ``max_chars`` at a word boundary (0: no limit)."""
    return truncate_words(" ".join(prompt_parts(film, shot)), max_chars)


def _fallback_board(film: Film, shot: Shot) -> Path:
    board = shot.board("start")
    return film.path(board.path) if board is not None else film.path(f"boards/{shot.id}.png")


def _absolute(path: Path) -> Path:
    """``path`` absolute and normalised (``..`` folded) without touching the disk: a board that is a
    symbolic link keeps its place in the project."""
    return Path(os.path.abspath(path))


def start_board(film: Film, shot: Shot) -> Path:
    """The image a take of ``shot`` starts from; raises :class:`PromptError` naming the fix if missing."""
    path = shot_board_image(film, shot)
    if path is None:
        where = _relative(film, _fallback_board(film, shot))
        raise PromptError(f"no board image ({where}); draw one or run `shotreel boards DIR` first",
                          shot=shot.id, file=film.source, line=shot.line)
    return _absolute(path)


def end_board(film: Film, shot: Shot) -> Path | None:
    """The shot's end frame (a board with role ``end``), if it has one; missing file -> :class:`PromptError`."""
    board = shot.board("end")
    if board is None:
        return None
    path = film.path(board.path)
    if not path.is_file():
        raise PromptError(f"end board {board.path} does not exist; draw it or remove it from the shot",
                          shot=shot.id, file=film.source, line=shot.line)
    _refuse_outside(film, shot, path, f"end board {board.path}")
    return _absolute(path)


def _refuse_outside(film: Film, shot: Shot, path: Path, what: str) -> None:
    if not may_read_image(path, film.root):
        raise PromptError(f"{what} lies outside the project and is not an image; it is never read",
                          shot=shot.id, file=film.source, line=shot.line)


def reference_groups(film: Film, shot: Shot) -> list[list[Path]]:
    """The reference images of ``shot`` in groups: its boards with role ``reference`` first (one group, when it
    has any), then one group per asset in shot holding that asset's approved references
    (:func:`shotreel.approvals.approved_paths`: the paths typed under ``references:`` first, then the views
    approved with ``shotreel assets --approve``). A caller that may send only a few picks from every group.

    A typed reference that is missing, an approved view that is gone, or either one that is not an image
    raises :class:`PromptError` naming the asset and the file.
    """
    groups: list[list[Path]] = []
    boards: list[Path] = []
    for board in shot.boards:
        if board.role == "reference":
            path = film.path(board.path)
            if not path.is_file():
                raise PromptError(f"reference board {board.path} does not exist",
                                  shot=shot.id, file=film.source, line=shot.line)
            _refuse_outside(film, shot, path, f"reference board {board.path}")
            boards.append(_absolute(path))
    if boards:
        groups.append(boards)
    approvals = load_approvals(film)
    for asset_id in dict.fromkeys(shot.assets):
        asset = film.asset(asset_id)
        if asset is None:
            continue
        typed = list(asset.references)
        found: list[Path] = []
        for ref in dict.fromkeys(typed + approvals.get(asset_id, [])):
            path = film.path(ref)
            if ref in typed:
                what, where, line = f"reference image {ref} of asset {asset_id}", film.source, asset.line
                gone = f"{what} does not exist"
            else:
                what, where, line = f"approved view {ref} of asset {asset_id}", APPROVALS_FILE, None
                gone = (f"{what} is gone: make it again (shotreel assets DIR {asset_id}) or withdraw it "
                        f"(shotreel assets DIR {asset_id} --revoke {Path(ref).stem})")
            if not path.is_file():
                raise PromptError(gone, shot=shot.id, file=where, line=line)
            _refuse_outside(film, shot, path, what)
            if not is_image(path):
                raise PromptError(f"{what} is not an image (PNG, JPEG, TIFF, EXR, DPX, WebP, BMP or GIF)",
                                  shot=shot.id, file=where, line=line)
            found.append(_absolute(path))
        if found:
            groups.append(found)
    return groups


def reference_images(film: Film, shot: Shot) -> tuple[Path, ...]:
    """Reference images for ``shot``: its assets' approved references, then its boards with role ``reference``
    (see :func:`reference_groups` for the errors)."""
    groups = reference_groups(film, shot)
    if groups and any(b.role == "reference" for b in shot.boards):
        groups = groups[1:] + groups[:1]
    return tuple(dict.fromkeys(p for group in groups for p in group))


def _provider_name_and_limit(provider: Provider | str | None, model: str | None) -> tuple[str, str, int]:
    if isinstance(provider, Provider):
        model = model or provider.default_model()
        return provider.name, model, provider.capabilities(model).max_prompt_chars
    return (provider or ""), (model or ""), 0


def build_request(film: Film, shot: Shot, provider: Provider | str, model: str | None, take_id: str,
                  seed: int | None = None, negative_prompt: str = "",
                  extra: dict | None = None, client_id: str = "") -> GenerationRequest:
    """The request for take ``take_id`` of ``shot`` from ``provider`` (a :class:`Provider` or its name).

    ``model`` ``None`` means the provider's default. Without ``seed`` the take gets
    :func:`derived_seed`, so the same take id always asks for the same thing. The prompt is cut
    to the model's ``max_prompt_chars`` at a word boundary. ``client_id`` is the id the job is submitted
    under where the provider takes one. Raises :class:`PromptError` when the
    shot has no board to start from.
    """
    name, model, limit = _provider_name_and_limit(provider, model)
    width, height = film.resolution
    return GenerationRequest(
        take_id=take_id, shot_id=shot.id, provider=name, model=model,
        prompt=build_prompt(film, shot, limit), negative_prompt=negative_prompt,
        duration_frames=shot.duration, fps=film.fps, width=width, height=height,
        start_image=start_board(film, shot), end_image=end_board(film, shot),
        reference_images=reference_images(film, shot),
        seed=seed if seed is not None else derived_seed(shot.id, take_id),
        movement=_clean(shot.camera.movement).lower(), extra=dict(extra or {}), client_id=client_id)


def _relative(film: Film, path: Path | None) -> str:
    if path is None:
        return "-"
    if film.root is not None:
        try:
            return Path(path).resolve().relative_to(film.root.resolve()).as_posix()
        except ValueError:
            pass
    return str(path)


def describe_request(film: Film, request: GenerationRequest, cost: float | None = None) -> str:
    """A request as readable lines: shot, take, provider, model, boards, duration, seed and prompt."""
    head = f"shot {request.shot_id}  take {request.take_id}  provider {request.provider}"
    lines = [
        f"{head}  model {request.model or '-'}",
        f"  start board  {_relative(film, request.start_image)}",
        f"  end board    {_relative(film, request.end_image)}",
    ]
    if request.reference_images:
        lines.append("  references   " + ", ".join(_relative(film, p) for p in request.reference_images))
    lines.append(f"  duration     {format_duration(request.duration_frames, request.fps)}"
                 f" ({request.duration_frames} frames at {fps_label(request.fps)} fps)"
                 f"  size {request.width}x{request.height}  movement {request.movement or '-'}")
    seed = "-" if request.seed is None else str(request.seed)
    lines.append(f"  seed         {seed}" + (f"  estimated cost ${cost:.2f}" if cost is not None else ""))
    lines.append(f"  prompt       {request.prompt}")
    if request.negative_prompt:
        lines.append(f"  negative     {request.negative_prompt}")
    return "\n".join(lines)


def render_prompt(film: Film, shot: Shot, provider: Provider | str, model: str | None = None,
                  take_id: str = DEFAULT_TAKE, seed: int | None = None) -> str:
    """The request :func:`build_request` would make for ``shot``, as text for a person to inspect."""
    request = build_request(film, shot, provider, model, take_id, seed)
    cost = provider.estimate_cost(request) if isinstance(provider, Provider) else None
    return describe_request(film, request, cost)
