"""Conform: the reel's media in Resolve pointed at the files on disk, and editorial transcodes.

Pool items in the film's bins whose file is gone (the project folder moved, a take regenerated under
another folder) are relinked: first to the same path under the project folder as it is now, then by file
name anywhere under the project (``RelinkClips`` takes a folder and matches by name, §4; success is judged
by reading the item's path back, never by the call's bool). What is still missing is reported per shot.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from shotreel.project import load_project

from .api import Log, call, file_path
from .compat import Profile
from .importer import SHOT_KEY, current_project

MEDIA_FOLDERS = ("takes", "boards", os.path.join("edit", "media"))


@dataclass
class ConformResult:
    """Pool items relinked, and what is still missing, per shot."""

    relinked: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    missing: dict[str, list[str]] = field(default_factory=dict)


def _film_clips(pool: object, title: str) -> list[object]:
    root = call(pool, "GetRootFolder")
    film = next((f for f in (call(root, "GetSubFolderList") or []) if call(f, "GetName") == title), None)
    clips: list[object] = []
    stack = [film] if film is not None else []
    while stack:
        folder = stack.pop()
        clips.extend(call(folder, "GetClipList") or [])
        stack.extend(call(folder, "GetSubFolderList") or [])
    return clips


def _index(root: Path) -> dict[str, list[Path]]:
    """Media files under the project's media folders, by file name (one walk of the folder)."""
    found: dict[str, list[Path]] = {}
    for name in MEDIA_FOLDERS:
        for folder, _dirs, files in os.walk(root / name):
            for file in files:
                found.setdefault(file, []).append(Path(folder, file))
    return found


def _candidate(path: str, root: Path, shot: str, index: dict[str, list[Path]]) -> Path | None:
    parts = Path(path).parts
    for anchor in ("takes", "boards", "media"):
        if anchor in parts:  # the same place under the project as it is now
            at = len(parts) - 1 - parts[::-1].index(anchor)
            moved = root.joinpath(*parts[at:]) if anchor != "media" else root / "edit" / Path(*parts[at:])
            if moved.is_file():
                return moved
    named = index.get(Path(path).name, [])
    return next((p for p in named if shot and shot in p.parts), named[0] if len(named) == 1 else None)


def conform_media(resolve: object, profile: Profile, project_dir: str | os.PathLike, log: Log,
                  media_paths: dict[str, str] | None = None) -> ConformResult:
    """Relink the film's offline pool items to the files on disk; report per shot what is still missing.
    ``media_paths`` (a take's path → its editorial transcode) swaps each take's clip for its transcode, in
    every use (``ReplaceClip``: here the point is that every use changes)."""
    film = load_project(project_dir)
    root = film.root or Path(project_dir)
    pool = call(current_project(resolve), "GetMediaPool")
    result = ConformResult()
    index: dict[str, list[Path]] | None = None
    for clip in _film_clips(pool, film.title):
        path = file_path(clip)
        if not path or Path(path).is_file():
            continue
        shot = str(call(clip, "GetMetadata", SHOT_KEY) or "")
        index = _index(root) if index is None else index
        found = _candidate(path, root, shot, index)
        if found is not None:
            call(pool, "RelinkClips", [clip], str(found.parent))
        now = file_path(clip)
        if found is not None and now and Path(now).is_file():
            result.relinked.append(f"{Path(path).name} → {now}")
        else:
            result.missing.setdefault(shot or "(no shot)", []).append(path)
    for clip in _film_clips(pool, film.title) if media_paths else []:
        path = file_path(clip)
        editorial = media_paths.get(path or "") if media_paths else None
        if editorial is None:
            continue
        call(clip, "ReplaceClip", editorial)
        if file_path(clip) == editorial:
            result.replaced.append(f"{Path(path).name} → {editorial}")  # type: ignore[arg-type]
        else:
            shot = str(call(clip, "GetMetadata", SHOT_KEY) or "(no shot)")
            result.missing.setdefault(shot, []).append(f"{path} (Resolve refused its transcode {editorial})")
    for line in result.relinked:
        log(f"relinked {line}")
    if result.replaced:
        log(f"{len(result.replaced)} take(s) now play their editorial transcode")
    for shot, paths in result.missing.items():
        log(f"shot {shot}: still missing {', '.join(Path(p).name for p in paths)} (not under {root})")
    if not result.relinked and not result.missing and not result.replaced:
        log("every clip of the film is online")
    return result
