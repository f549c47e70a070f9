"""OTIO adapter that reads a shotreel project as its reel.

``otioconvert -i my-film/shotreel.yaml -o cut.edl`` (or ``-I shotreel`` with a project folder)
builds the same timeline as ``shotreel reel``: the project, its takes and selects, through
:func:`shotreel.reel.build_reel`. Adapter arguments (``-a for_resolve=true``) give the
Resolve-shaped variant (``shotreel reel --for resolve`` also drops the ``"color": null`` keys
OTIO 0.18 writes, as Resolve's own exports have none). Writing is not supported: a project is
authored by people, and shotreel never rewrites ``shotreel.yaml``.
"""

from __future__ import annotations

import opentimelineio as otio


def _flag(value) -> bool:
    """An adapter argument as a bool (``otioconvert -a for_resolve=true`` passes text)."""
    return str(value).strip().lower() in ("1", "true", "yes", "on") if not isinstance(value, bool) else value


def read_from_file(filepath, for_resolve=False, **_ignored):
    """The reel of the project at ``filepath`` (its ``shotreel.yaml`` or its folder)."""
    from shotreel.checks import run_checks
    from shotreel.errors import ShotreelError
    from shotreel.interchange import resolve_variant
    from shotreel.project import load_project
    from shotreel.reel import build_reel

    try:
        film = load_project(filepath)
        timeline = build_reel(film, findings=run_checks(film).findings)  # as `shotreel reel` writes it
    except ShotreelError as exc:
        problems = "\n".join(f"shotreel: {problem}" for problem in exc.problems)
        raise otio.exceptions.OTIOError(problems) from None
    return resolve_variant(timeline) if _flag(for_resolve) else timeline
