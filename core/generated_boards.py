"""Generated boards: still candidates per shot from an image model, and choosing one as the shot's board.

A candidate is a still made from the shot's board prompt (:func:`shotreel.prompts.build_board_prompt`: the
action, the framing at the film's aspect, its assets and the style), with the approved references of the
shot's assets as reference images (every asset's first, then every asset's second …, as many as the model
takes). Where the shot asks for an end board (a board with role ``end``) each candidate gets its end still
too, with the same seed. Candidates land in ``boards/candidates/<shot>/c001.png`` (``c001-end.png``) with
a provenance sidecar each (the shot's inputs among them, so ``shotreel stale`` finds them), through
:func:`shotreel.generation.images.generate_images`: the same ledger, costs, dry run and "never paid twice"
as takes. ``candidates=N`` means each shot should end up with N candidates.

:func:`choose_candidate` makes one the shot's board: copied where the shot's start board lives (its listed
``start`` board, else ``boards/<shot>.png``) and its end board's place, atomically, with a sidecar beside
each (the candidate's provenance, what it was chosen from, and the board's SHA-256). Only shotreel's own
drawn cards, an earlier chosen candidate (its bytes still those its sidecar names) or no file at all may be
replaced: a board an artist drew, painted over or rendered in Blender (recorded in
``.shotreel/board-renders.json``) is never replaced. By default :func:`generate_boards` makes candidates only
for the shots whose board may be replaced.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PIL import Image

from .assets import limit_references
from .board_renders import RECORD as RENDER_RECORD
from .boards import (
    _SAFE_ID,
    CANDIDATES_DIR,
    END_SUFFIX,
    board_path,
    chosen_candidate,
    is_shotreel_card,
    shot_candidates,
)
from .errors import BoardError
from .fsutil import atomic_output, atomic_write_text
from .generation.base import IMAGE, GenerationRequest, Provider, file_sha256
from .model import Film, Shot
from .progress import ProgressCallback
from .prompts import build_board_prompt, derived_seed, reference_groups
from .stale import Inputs

if TYPE_CHECKING:
    from .generation.images import ImageJob

BOARD_LONG_SIDE = 1920
"""Generated boards are made at the film's resolution, scaled down to this long side when larger."""
_STILL_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")
_PIL_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP", ".tif": "TIFF", ".tiff": "TIFF",
                ".bmp": "BMP"}


@dataclass(frozen=True)
class Candidate:
    """A generated candidate of a shot on disk: ``start`` still, ``end`` still (``None`` when the shot has no
    end board or it is not made), the start still's sidecar, and whether it is the shot's board now."""

    shot: str
    name: str
    start: Path
    end: Path | None
    provenance: dict
    chosen: bool = False


@dataclass
class BoardPlan:
    """The jobs :func:`plan_boards` made and the shots it left out (shot id, why)."""

    jobs: list[ImageJob] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class GeneratedBoards:
    """What :func:`generate_boards` did: its plan and the engine's summary of the jobs."""

    jobs: list[ImageJob] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    generation: Any = None


@dataclass
class ChosenBoard:
    """What :func:`choose_candidate` wrote (``written``, absolute) and what it kept (why, one line each)."""

    shot: str
    candidate: str
    written: list[Path] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)


# -- where things are ----------------------------------------------------------------------------------

def board_size(film: Film) -> tuple[int, int]:
    """The size a generated board is made at: the film's resolution, scaled to a long side of at most
    :data:`BOARD_LONG_SIDE` (even sides)."""
    width, height = film.resolution
    scale = min(1.0, BOARD_LONG_SIDE / max(width, height))
    if scale == 1.0:
        return width, height
    return max(16, 2 * round(width * scale / 2)), max(16, 2 * round(height * scale / 2))


def candidate_destination(shot: Shot, name: str, role: str = "start") -> str:
    """Where a candidate still lands, project-relative and without suffix: ``boards/candidates/sh040/c001``
    (``c001-end`` for the end still)."""
    return f"{CANDIDATES_DIR}/{shot.id}/{name}{END_SUFFIX if role == 'end' else ''}"


def _still(film: Film, destination: str) -> Path | None:
    for suffix in _STILL_SUFFIXES:
        path = film.path(destination + suffix)
        if path.is_file():
            return path
    return None


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def candidates(film: Film, shot: Shot) -> list[Candidate]:
    """The candidates of ``shot`` on disk, in name order."""
    current = _start_target(film, shot)
    chosen = chosen_candidate(current) if current.is_file() else None
    return [Candidate(shot.id, name, start, _still(film, candidate_destination(shot, name, "end")),
                      _read_json(start.with_suffix(".json")), name == chosen)
            for name, start in shot_candidates(film, shot)]


def _start_target(film: Film, shot: Shot) -> Path:
    listed = shot.board("start")
    return film.path(listed.path) if listed is not None else film.path(board_path(film, shot))


def _end_target(film: Film, shot: Shot) -> Path | None:
    listed = shot.board("end")
    return film.path(listed.path) if listed is not None else None


def _renders(film: Film) -> dict[str, str]:
    data = _read_json(film.path(RENDER_RECORD))
    renders = data.get("renders", {})
    return {str(k): str(v) for k, v in renders.items()} if isinstance(renders, dict) else {}


def _shown(film: Film, path: Path) -> str:
    if film.root is not None and path.is_relative_to(film.root):
        return path.relative_to(film.root).as_posix()
    return str(path)


def kept_reason(film: Film, shot: Shot, target: Path, renders: dict[str, str] | None = None) -> str:
    """Why the board at ``target`` may not be replaced by a generated one (empty when it may: no file, a
    shotreel card, or a candidate chosen earlier whose bytes are unchanged)."""
    if not target.exists():
        return ""
    if is_shotreel_card(target) or chosen_candidate(target, or_before=True) is not None:
        return ""
    renders = _renders(film) if renders is None else renders
    try:
        rendered = renders.get(shot.id) == file_sha256(target)
    except OSError:
        rendered = False
    how = "was rendered in Blender" if rendered else "was drawn or painted by an artist"
    return f"{_shown(film, target)} {how} and is kept"


# -- the requests --------------------------------------------------------------------------------------

def _image_model(provider: Provider, model: str | None) -> str:
    return model or provider.default_image_model()


def shot_references(film: Film, shot: Shot, provider: Provider, model: str) -> tuple[Path, ...]:
    """The reference images a board of ``shot`` is made with: from every group of
    :func:`shotreel.prompts.reference_groups` in turn, as many as ``model`` takes. A shot with approved
    references and a model that takes none is an error naming the shot, before anything is sent."""
    return limit_references(provider, model, reference_groups(film, shot), shot=shot.id)


def board_request(film: Film, shot: Shot, provider: Provider, model: str | None, name: str, role: str = "start",
                  references: tuple[Path, ...] | None = None) -> GenerationRequest:
    """The image request for candidate ``name`` of ``shot`` (``role`` ``start`` or ``end``; the take id is the
    candidate's name, ``c001`` or ``c001-end``); the end still has the start's seed."""
    model = _image_model(provider, model)
    if references is None:
        references = shot_references(film, shot, provider, model)
    width, height = board_size(film)
    return GenerationRequest(
        take_id=name + (END_SUFFIX if role == "end" else ""), shot_id=shot.id, provider=provider.name, model=model,
        prompt=build_board_prompt(film, shot, role, provider.capabilities(model).max_prompt_chars),
        negative_prompt="text, captions, watermark, split screen, storyboard panel borders",
        duration_frames=0, fps=film.fps, width=width, height=height, reference_images=references,
        seed=derived_seed(shot.id, name), kind=IMAGE)


def chosen_shots(film: Film, shots: list[str] | None) -> list[Shot]:
    """The shots named (all when empty), in story order; an unknown id is a :class:`BoardError` naming it."""
    if not shots:
        return list(film.shots())
    unknown = [s for s in dict.fromkeys(shots) if film.shot(s) is None]
    if unknown:
        raise BoardError(f"no shot {', '.join(repr(u) for u in unknown)} in the film", file=film.source)
    wanted = set(shots)
    return [shot for shot in film.shots() if shot.id in wanted]


def plan_boards(film: Film, provider: Provider, *, shots: list[str] | None = None, candidates: int = 1,
                model: str | None = None) -> BoardPlan:
    """The image jobs that give each shot ``candidates`` candidates (those on disk count), with an end still
    each where the shot has an end board that may be replaced. Without ``shots``, shots whose board an artist
    made are left out (``skipped``); shots named are planned whatever their board. Every request is built and
    checked before any is returned (a missing reference, a reference that is not an image, a model that takes
    no reference images: one error naming the shot)."""
    from .generation.images import ImageJob

    if candidates < 1:
        raise BoardError(f"--candidates must be at least 1, not {candidates}")
    model = _image_model(provider, model)
    plan = BoardPlan()
    inputs = Inputs(film)
    renders = _renders(film)
    for shot in chosen_shots(film, shots):
        if not _SAFE_ID.match(shot.id):
            raise BoardError(f"shot id {shot.id!r} cannot name a folder under {CANDIDATES_DIR}/", shot=shot.id,
                             file=film.source, line=shot.line)
        kept = kept_reason(film, shot, _start_target(film, shot), renders)
        if kept and not shots:
            plan.skipped.append((shot.id, f"{kept}; name the shot with --shots to make candidates anyway"))
            continue
        end = _end_target(film, shot)
        make_end = end is not None and not kept_reason(film, shot, end, renders)
        references = shot_references(film, shot, provider, model)
        provenance = {"shot": shot.id, "inputs": inputs.shot(shot)}
        for number in range(1, candidates + 1):
            name = f"c{number:03d}"
            roles = ["start"] + (["end"] if make_end else [])
            for role in roles:
                destination = candidate_destination(shot, name, role)
                if _still(film, destination) is not None:
                    continue
                request = board_request(film, shot, provider, model, name, role, references)
                plan.jobs.append(ImageJob(request, destination, {**provenance, "candidate": name, "role": role}))
    return plan


def generate_boards(film: Film, provider: Provider | str, *, shots: list[str] | None = None, candidates: int = 1,
                    model: str | None = None, dry_run: bool = False, concurrency: int | None = None,
                    progress: ProgressCallback | None = None, stop: Any = None,
                    options: dict | None = None) -> GeneratedBoards:
    """Make the candidates :func:`plan_boards` plans with ``provider`` (a name or a :class:`Provider`), through
    the generation engine; ``dry_run`` prices them and sends and writes nothing."""
    from .generation.images import generate_images
    from .generation.registry import get_provider

    if film.root is None:
        raise BoardError("generated boards need a project folder (the film was not loaded from one)")
    prov = provider if isinstance(provider, Provider) else get_provider(provider, **(options or {}))
    model = _image_model(prov, model)
    plan = plan_boards(film, prov, shots=shots, candidates=candidates, model=model)
    summary = generate_images(film, plan.jobs, prov, model=model, concurrency=concurrency, dry_run=dry_run,
                              progress=progress, stop=stop)
    return GeneratedBoards(plan.jobs, plan.skipped, summary)


# -- choosing one --------------------------------------------------------------------------------------

def _place(film: Film, source: Path, target: Path, record: dict) -> None:
    """Write the still ``source`` at ``target`` in ``target``'s format (the bytes as they are when the formats
    agree) with ``record`` as its sidecar: the new file is written beside the target, its SHA-256 goes into
    the sidecar, the sidecar is written, and only then is the still renamed into place (the sidecar also
    names the file it replaces, so a crash between the two leaves a board that may still be replaced)."""
    fmt = _PIL_FORMATS.get(target.suffix.lower())
    if fmt is None:
        raise BoardError(f"cannot write a board as {target.suffix or 'a file without a suffix'}; list a .png, "
                         ".jpg or .webp board", file=_shown(film, target))
    target.parent.mkdir(parents=True, exist_ok=True)
    previous = file_sha256(target) if target.is_file() else None
    with atomic_output(target) as tmp:
        if _PIL_FORMATS.get(source.suffix.lower()) == fmt:
            shutil.copyfile(source, tmp)
        else:
            with Image.open(source) as image:
                image.load()
                (image.convert("RGB") if fmt == "JPEG" else image).save(tmp, format=fmt)
        record = {**record, "path": _shown(film, target), "sha256": file_sha256(tmp)}
        if previous:
            record["previous_sha256"] = previous
        atomic_write_text(target.with_suffix(".json"), json.dumps(record, indent=1, sort_keys=True) + "\n")


def choose_candidate(film: Film, shot_id: str, name: str) -> ChosenBoard:
    """Make candidate ``name`` (``c002``) of shot ``shot_id`` the shot's board: its start still where the
    shot's start board lives, its end still where its end board does, each with a sidecar. A shot or
    candidate that does not exist, or a start board an artist made, is a :class:`BoardError` naming it, and
    nothing is written; an end board an artist made is kept (said in ``kept``)."""
    if film.root is None:
        raise BoardError("choosing a board needs a project folder")
    shot = film.shot(shot_id)
    if shot is None:
        raise BoardError(f"no shot {shot_id!r} in the film", file=film.source)
    known = {c.name: c for c in candidates(film, shot)}
    candidate = known.get(name)
    if candidate is None:
        there = ", ".join(known) or "none yet: make some with shotreel boards DIR --generate"
        raise BoardError(f"no candidate {name!r} in {CANDIDATES_DIR}/{shot.id}/ (candidates: {there})",
                         shot=shot.id, file=film.source, line=shot.line)
    renders = _renders(film)
    start_target = _start_target(film, shot)
    kept = kept_reason(film, shot, start_target, renders)
    if kept:
        raise BoardError(f"{kept}: a generated board never replaces it; list {_shown(film, candidate.start)} as the "
                         "shot's board yourself to use it", shot=shot.id, file=film.source, line=shot.line)
    pairs = [(candidate.start, start_target)]
    result = ChosenBoard(shot.id, name)
    end_target = _end_target(film, shot)
    if end_target is not None:
        end_kept = kept_reason(film, shot, end_target, renders)
        if candidate.end is None:
            result.kept.append(f"{_shown(film, end_target)} kept: candidate {name} has no end still")
        elif end_kept:
            result.kept.append(end_kept)
        else:
            pairs.append((candidate.end, end_target))
    at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    for source, target in pairs:
        provenance = _read_json(source.with_suffix(".json"))
        _place(film, source, target, {**provenance, "chosen": {"candidate": name, "from": _shown(film, source),
                                                               "at": at}})
        result.written.append(target)
    return result
