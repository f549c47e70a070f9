"""Which reference views of each asset the director approved: ``approvals.yaml``, written only by tools.

An asset's references are what keeps a cast the same from shot to shot; only approved ones feed boards
and takes. A path a person typed under an asset's ``references:`` in ``shotreel.yaml`` is approved by being
written there. A generated view (``refs/<asset>/<view>.png``, made by ``shotreel assets``) is approved with
``shotreel assets DIR ASSET --approve VIEW…``, which records it here, never by rewriting ``shotreel.yaml``::

    # Approved asset references, written by shotreel (shotreel assets DIR ASSET --approve VIEW).
    mara:
    - refs/mara/front.png
    - refs/mara/three-quarter.png

Every read-modify-write of the file holds ``.shotreel/approvals.lock``, and the file is replaced
atomically, so two approvals at once never lose each other.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from pathlib import Path

import yaml

from .errors import ProjectError
from .fsutil import atomic_write_text, file_lock
from .model import Film

APPROVALS_FILE = "approvals.yaml"
APPROVALS_LOCK = ".shotreel/approvals.lock"
_HEADER = "# Approved asset references, written by shotreel (shotreel assets DIR ASSET --approve VIEW).\n"


def approvals_path(film: Film) -> Path:
    """Where the project's approvals live."""
    return film.path(APPROVALS_FILE)


_READ: dict[str, tuple[tuple[int, ...], dict[str, list[str]]]] = {}
"""What each approvals file held when last read, by its stat (so a generation run reads it once, not per shot)."""


def load_approvals(film: Film) -> dict[str, list[str]]:
    """Asset id → the project-relative paths of its approved generated views, as recorded (empty when the
    project has none). A file that is not a mapping of lists of paths is a :class:`ProjectError` naming it."""
    if film.root is None:
        return {}
    path = approvals_path(film)
    try:
        stat = os.stat(path)
        signature = (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)
        known = _READ.get(os.fspath(path))
        if known is not None and known[0] == signature:  # read once per change, not once per shot
            return {asset: list(paths) for asset, paths in known[1].items()}
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise ProjectError(f"cannot read the approvals: {exc}", file=APPROVALS_FILE) from exc
    approvals = _parse(text)
    if time.time_ns() - max(stat.st_mtime_ns, stat.st_ctime_ns) > 100_000_000:  # not changed just now
        if len(_READ) > 64:
            _READ.clear()
        _READ[os.fspath(path)] = (signature, approvals)
    return {asset: list(paths) for asset, paths in approvals.items()}


def _parse(text: str) -> dict[str, list[str]]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ProjectError("approvals are not valid YAML", file=APPROVALS_FILE,
                           line=mark.line + 1 if mark is not None else None) from exc
    if data is None:
        return {}
    if not isinstance(data, dict) or not all(
            isinstance(k, str) and isinstance(v, list) and all(isinstance(p, str) for p in v)
            for k, v in data.items()):
        raise ProjectError("approvals must map each asset id to a list of reference paths", file=APPROVALS_FILE)
    return {asset: list(dict.fromkeys(paths)) for asset, paths in data.items()}


def approved_paths(film: Film, asset_id: str) -> list[str]:
    """The project-relative paths of ``asset_id``'s approved references, in order: those typed in
    ``shotreel.yaml`` first, then the approved generated views."""
    asset = film.asset(asset_id)
    typed = list(asset.references) if asset is not None else []
    return list(dict.fromkeys(typed + load_approvals(film).get(asset_id, [])))


def approved_references(film: Film, asset_id: str) -> list[Path]:
    """The approved references of ``asset_id`` as paths (see :func:`approved_paths`)."""
    return [film.path(ref) for ref in approved_paths(film, asset_id)]


def _write(film: Film, approvals: dict[str, list[str]]) -> Path:
    kept = {asset: paths for asset, paths in sorted(approvals.items()) if paths}
    body = yaml.safe_dump(kept, sort_keys=False, allow_unicode=True) if kept else ""
    return atomic_write_text(approvals_path(film), _HEADER + body)


def approve(film: Film, asset_id: str, paths: Iterable[str]) -> list[str]:
    """Record ``paths`` (project-relative, files that exist) as approved references of ``asset_id`` and return
    the asset's approved generated views afterwards. An unknown asset or a missing file is a
    :class:`ProjectError` naming it; nothing is written then."""
    if film.root is None:
        raise ProjectError("a film built in memory has no approvals file")
    if film.asset(asset_id) is None:
        raise ProjectError(f"no asset {asset_id!r} in the project", file=film.source)
    wanted = list(dict.fromkeys(paths))
    for ref in wanted:
        if not film.path(ref).is_file():
            raise ProjectError(f"asset {asset_id}: no reference file {ref} to approve", file=ref)
    with file_lock(film.path(APPROVALS_LOCK)):
        approvals = load_approvals(film)
        approvals[asset_id] = list(dict.fromkeys(approvals.get(asset_id, []) + wanted))
        _write(film, approvals)
        return approvals[asset_id]


def revoke(film: Film, asset_id: str, paths: Iterable[str]) -> list[str]:
    """Withdraw the approval of ``paths`` for ``asset_id`` (the files stay); return what stays approved."""
    if film.root is None:
        raise ProjectError("a film built in memory has no approvals file")
    dropped = set(paths)
    with file_lock(film.path(APPROVALS_LOCK)):
        approvals = load_approvals(film)
        approvals[asset_id] = [p for p in approvals.get(asset_id, []) if p not in dropped]
        _write(film, approvals)
        return approvals[asset_id]
