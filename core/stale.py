"""What shaped each board and take, and which of them are stale now (``shotreel stale``).

A generated still or take records its inputs when it is made: a mapping of *input name → digest*
(SHA-256 hex) of everything that shaped it besides the seed and the model:

- ``shot:action``, ``shot:prompt``, ``shot:camera``, ``shot:continuity``, ``shot:sound`` — the shot's
  fields that enter its prompt (:func:`shotreel.prompts.prompt_parts`), whitespace folded; empty ones left out;
- ``shot:reference:<path>`` — each of the shot's boards with role ``reference`` (the file's bytes);
- ``style`` — the film's style guide; ``aspect`` — the film's frame aspect (``16:9``);
- ``asset:<id>:description`` — each asset in shot, its kind and description (present for every asset in
  the shot, so an asset added to or taken out of a shot is seen);
- ``asset:<id>:reference:<path>`` — each approved reference of that asset
  (:func:`shotreel.approvals.approved_paths`: the typed ``references:`` first, then the approved views),
  as the file's SHA-256 (``missing`` when the file is gone).

:func:`shot_inputs` gives a shot's (for its boards and takes; a take's start and end boards are
recorded apart, in its sidecar's ``start_board`` / ``end_board``), :func:`asset_inputs` an asset's (for
its generated reference views). :func:`stale_report` compares what each board, take and view recorded
with the project as it is now and says exactly which input changed and how.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

from .approvals import load_approvals
from .generation.base import file_sha256
from .limits import may_read_image
from .model import Asset, Film, Shot

MISSING = "missing"
"""The digest of an input file that does not exist (or may not be read)."""

SHOT_FIELDS = ("action", "prompt", "camera", "continuity", "sound")
"""The shot's fields that enter its prompt, in the prompt's order."""


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def text_digest(text: str) -> str:
    """The SHA-256 (hex) of ``text`` with its whitespace folded (a re-wrapped line is the same input)."""
    return hashlib.sha256(_clean(text).encode("utf-8")).hexdigest()


def _camera(shot: Shot) -> str:
    cam = shot.camera
    return " | ".join(_clean(part) for part in (cam.size, cam.angle, cam.movement, cam.lens)) \
        if any((cam.size, cam.angle, cam.movement, cam.lens)) else ""


def _field(shot: Shot, name: str) -> str:
    return _camera(shot) if name == "camera" else getattr(shot, name) or ""


class Inputs:
    """The current inputs of one film, each worked out once: the approvals read once, each asset's part
    built once, each file hashed once (through ``digest``, by default
    :func:`shotreel.generation.base.file_sha256`)."""

    def __init__(self, film: Film, digest=None):
        self.film = film
        self.approvals = load_approvals(film)
        self.assets: dict[str, Asset] = {}
        for asset in film.assets:
            self.assets.setdefault(asset.id, asset)
        self.digest = digest or file_sha256
        self.files: dict[str, str] = {}
        self.parts: dict[str, dict[str, str]] = {}
        self.film_part: dict[str, str] = {"aspect": text_digest(f"{film.aspect.numerator}:{film.aspect.denominator}")}
        if _clean(film.style):
            self.film_part["style"] = text_digest(film.style)

    def file(self, relative: str) -> str:
        """The SHA-256 of the project file ``relative`` (:data:`MISSING` when it is not there or may not be
        read: outside the project and not an image)."""
        known = self.files.get(relative)
        if known is None:
            path = self.film.path(relative)
            try:
                known = self.digest(path) if may_read_image(path, self.film.root) else MISSING
            except (OSError, ValueError):
                known = MISSING
            self.files[relative] = known
        return known

    def approved(self, asset: Asset) -> list[str]:
        """The asset's approved references, as :func:`shotreel.approvals.approved_paths` orders them."""
        return list(dict.fromkeys(list(asset.references) + self.approvals.get(asset.id, [])))

    def asset_part(self, asset_id: str) -> dict[str, str]:
        """The inputs an asset brings into a shot: its description and each approved reference."""
        part = self.parts.get(asset_id)
        if part is None:
            asset = self.assets.get(asset_id)
            part = {}
            if asset is not None:
                part[f"asset:{asset_id}:description"] = text_digest(f"{asset.kind}: {asset.description}")
                for ref in self.approved(asset):
                    part[f"asset:{asset_id}:reference:{ref}"] = self.file(ref)
            self.parts[asset_id] = part
        return part

    def shot(self, shot: Shot) -> dict[str, str]:
        """:func:`shot_inputs` of ``shot``."""
        found: dict[str, str] = {}
        for name in SHOT_FIELDS:
            text = _field(shot, name)
            if text and _clean(text):
                found[f"shot:{name}"] = text_digest(text)
        for board in shot.boards:
            if board.role == "reference" and board.path:
                found[f"shot:reference:{board.path}"] = self.file(board.path)
        found.update(self.film_part)
        for asset_id in dict.fromkeys(shot.assets):
            found.update(self.asset_part(asset_id))
        return found

    def asset(self, asset: Asset | str, view: str | None = None) -> dict[str, str]:
        """:func:`asset_inputs` of ``asset``."""
        asset_id = asset if isinstance(asset, str) else asset.id
        found = dict(self.film_part)
        found.update(self.asset_part(asset_id))
        if view is not None:
            found.pop(f"asset:{asset_id}:reference:{view}", None)
        return found


def shot_inputs(film: Film, shot: Shot | str) -> dict[str, str]:
    """Every input that shapes a board or take of ``shot`` (a :class:`Shot` or its id), name → SHA-256 hex:
    its prompt fields, its reference boards, the film's style and aspect, and for each of its assets the
    description and every approved reference (see the module docstring for the names). The start and end
    boards a take is made from are not in it (a take's sidecar records them apart; a board is not its own
    input). A shot id the film lacks is a :class:`KeyError`."""
    if isinstance(shot, str):
        found = film.shot(shot)
        if found is None:
            raise KeyError(shot)
        shot = found
    return Inputs(film).shot(shot)


def asset_inputs(film: Film, asset: Asset | str, view: str | None = None) -> dict[str, str]:
    """Every input that shapes a generated reference view of ``asset`` (an :class:`Asset` or its id), name →
    SHA-256 hex: its description, the film's style and aspect, and its approved references — except
    ``view`` (the project-relative path of the view being made), which is not its own input."""
    return Inputs(film).asset(asset, view)


def inputs_of_shots(film: Film, shots: Iterable[Shot]) -> dict[str, dict[str, str]]:
    """:func:`shot_inputs` of many shots at once (each asset's part and each file worked out once)."""
    inputs = Inputs(film)
    return {shot.id: inputs.shot(shot) for shot in shots}

