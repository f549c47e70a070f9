"""What a Workspace ▸ Scripts launcher runs inside Resolve: one action, its lines on Resolve's console,
one line and no traceback when something a user can fix is wrong.

The project folder is the one the launcher was installed with, else the one the current timeline's media
lives in (a reel Import Reel built), else the last one a ``shotreel resolve`` command used.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from shotreel.errors import ShotreelError

from .api import call
from .connect import from_menu

LAST_PROJECT = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "shotreel" / "resolve.json"


def remember(project: str | os.PathLike) -> None:
    """Note the project a command used, for menu actions run without one."""
    from shotreel.fsutil import atomic_write_text

    LAST_PROJECT.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(LAST_PROJECT, json.dumps({"project": str(Path(project).resolve())}) + "\n")


def _project(resolve: object, given: str | None) -> str:
    if given:
        return given
    from .importer import project_of_timeline

    project = call(call(resolve, "GetProjectManager"), "GetCurrentProject")
    timeline = call(project, "GetCurrentTimeline") if project is not None else None
    found = project_of_timeline(timeline) if timeline is not None else None
    if found is not None:
        return str(found)
    try:
        return str(json.loads(LAST_PROJECT.read_text(encoding="utf-8"))["project"])
    except (OSError, ValueError, KeyError):
        raise ShotreelError("which shotreel project? Run `shotreel resolve install --project DIR`, or "
                            "`shotreel resolve import DIR` once from a terminal") from None


def run(action: str, resolve: object, project: str | None = None) -> int:
    """Run ``action`` (import, update, send, conform) against the live ``resolve``; prints to the console."""
    from . import conform, importer, send, takes

    def log(line: str) -> None:
        print(f"shotreel: {line}", flush=True)

    try:
        resolve, profile = from_menu(resolve)
        folder = _project(resolve, project)
        if action == "import":
            importer.import_reel(resolve, profile, folder, log)
        elif action == "update":
            takes.update_takes(resolve, profile, folder, log)
        elif action == "send":
            send.send_choices(resolve, profile, folder, log)
        elif action == "conform":
            conform.conform_media(resolve, profile, folder, log)
        else:
            raise ShotreelError(f"unknown action {action!r}")
    except ShotreelError as exc:
        for problem in exc.problems:
            log(f"error: {problem}")
        return 2
    return 0
