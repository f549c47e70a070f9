"""Takes on disk and the editor's selects: which generated clips a shot has, and which one is used.

A take is a clip at ``takes/<shot>/<take>.<ext>`` with an optional JSON sidecar
``takes/<shot>/<take>.json`` holding its provenance and probe (real fps and frame count).
``selects.yaml`` records the chosen take per shot and its trims; a shot with takes and no select
uses its newest take.
"""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import yaml

from .errors import ProjectError
from .model import Film, Selection, Take
from .timing import rate_from_otio

TAKES_DIR = "takes"
SELECTS_FILE = "selects.yaml"
VIDEO_SUFFIXES = (".mp4", ".mov", ".webm", ".mkv", ".m4v")


def _take_from_file(shot_id: str, clip: Path) -> Take:
    sidecar = clip.with_suffix(".json")
    provenance: dict = {}
    if sidecar.is_file():
        try:
            provenance = json.loads(sidecar.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ProjectError(f"take sidecar cannot be read: {exc}", file=str(sidecar), shot=shot_id) from None
    probe = provenance.get("probe") or {}
    fps = probe.get("fps")
    frames = probe.get("frames")
    return Take(
        shot=shot_id, id=clip.stem, path=clip.resolve(),
        frames=int(frames) if frames is not None else None,
        fps=_read_rate(fps) if fps is not None else None,
        status=str(provenance.get("status", "done")), provenance=provenance,
        created=float(provenance.get("created", clip.stat().st_mtime)))


def _read_rate(value: object) -> Fraction:
    if isinstance(value, str) and "/" in value:
        return Fraction(value)
    return rate_from_otio(float(value))  # type: ignore[arg-type]


def find_takes(film: Film) -> dict[str, list[Take]]:
    """Every take on disk, by shot id, oldest first. Shots without takes are absent."""
    found: dict[str, list[Take]] = {}
    if film.root is None:
        return found
    base = film.root / TAKES_DIR
    if not base.is_dir():
        return found
    for shot in film.shots():
        folder = base / shot.id
        if not folder.is_dir():
            continue
        clips = [p for p in folder.iterdir() if p.suffix.lower() in VIDEO_SUFFIXES and not p.name.startswith(".")]
        takes = [_take_from_file(shot.id, clip) for clip in clips]
        if takes:
            found[shot.id] = sorted(takes, key=lambda t: (t.created, t.id))
    return found


def load_selects(film: Film) -> dict[str, Selection]:
    """The editor's choices from ``selects.yaml`` (empty when there is none)."""
    if film.root is None:
        return {}
    path = film.root / SELECTS_FILE
    if not path.is_file():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ProjectError("malformed YAML", file=str(path), line=mark.line + 1 if mark else None) from None
    shots = data.get("shots", {}) if isinstance(data, dict) else None
    if not isinstance(shots, dict):
        raise ProjectError("expected a mapping 'shots:' of shot id to its select", file=str(path))
    selects = {}
    for shot_id, entry in shots.items():
        if isinstance(entry, str):
            entry = {"take": entry}
        if not isinstance(entry, dict) or not entry.get("take"):
            raise ProjectError("a select needs a 'take'", file=str(path), shot=str(shot_id))
        selects[str(shot_id)] = Selection(str(shot_id), str(entry["take"]), entry.get("in"), entry.get("out"))
    return selects


def chosen_take(takes: list[Take], selection: Selection | None) -> Take | None:
    """The take a shot uses: the selected one when it exists on disk, else the newest."""
    if not takes:
        return None
    if selection is not None:
        for take in takes:
            if take.id == selection.take:
                return take
    return takes[-1]
