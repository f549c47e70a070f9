"""``import-script``: draft a new project from a screenplay, or merge a revised one into a project.

A new folder gets a new project (``shotreel.yaml`` through :func:`~shotreel.project.write_new_project`,
the usual ``refs/ boards/ takes/ edit/`` folders, and the record of what was drafted in
``.shotreel/script-import.json``). An existing project is never rewritten silently: the merge is
computed and reported, and written only when asked (``write=True``), after the previous file is
kept as ``shotreel.yaml.bak``. Everything is validated before anything is written.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from .. import timing
from ..errors import Problem, ProjectError
from ..fsutil import atomic_write_text
from ..project import PROJECT_FILE, film_to_data, load_project, loads_film, project_file, write_new_project
from .draft import Draft, draft_film
from .merge import Change, MergeError, annotate, drafted_parts, make_record, merge_project
from .script import read_script
from .yamlpatch import dump_document

RECORD = Path(".shotreel") / "script-import.json"
BACKUP_SUFFIX = ".bak"


@dataclass
class ImportResult:
    """What ``import-script`` did or would do.

    ``created`` for a new project; ``changes`` for a merge; ``written`` when files were written;
    ``diff`` is the unified diff of ``shotreel.yaml`` for a merge.
    """

    project: Path
    draft: Draft
    created: bool
    written: bool
    fps: Fraction
    runtime: int
    target: int | None
    changes: list[Change] = field(default_factory=list)
    notices: list[Problem] = field(default_factory=list)
    diff: str = ""
    backup: Path | None = None

    def summary(self) -> str:
        """``6 scenes, 13 shots, 6 beats, 3 characters, 5 locations; runtime 1m 25.3s (target 1m: 25.3s long)``."""
        film = self.draft.film
        kinds = [a.kind for a in film.assets]
        text = (f"{len(film.scenes)} scenes, {sum(1 for _ in film.shots())} shots, {len(film.beats)} beats, "
                f"{kinds.count('character')} characters, {kinds.count('location')} locations; "
                f"runtime {timing.format_runtime(self.runtime, self.fps)}")
        if self.target:
            gap = self.runtime - self.target
            side = "long" if gap > 0 else "short"
            text += (f" (target {timing.format_runtime(self.target, self.fps)}: "
                     f"{timing.format_runtime(abs(gap), self.fps)} {side})" if gap else " (on target)")
        return text


def import_script(script_path: str | Path, folder: str | Path, *, fps: Fraction | None = None,
                  target: str | None = None, beat_level: int | None = None, title: str | None = None,
                  write: bool = False, dry_run: bool = False) -> ImportResult:
    """Import ``script_path`` into the project ``folder`` (created when it holds no project).

    For a new project the files are written unless ``dry_run``. For an existing project the merge
    is computed and written only with ``write`` (and never with ``dry_run``). ``target`` is a
    runtime (``90s``, ``5m``) for a new project. Raises :class:`~shotreel.errors.ShotreelError`
    subclasses naming file and line; nothing is written then.
    """
    folder = Path(folder)
    file = project_file(folder)
    script_path = Path(script_path)
    data = _read_bytes(script_path)
    script = read_script(script_path)
    sha = hashlib.sha256(data).hexdigest()
    if not file.exists():
        return _new_project(script, script_path, sha, folder, fps or Fraction(24), target, beat_level, title, dry_run)
    film = load_project(folder)
    notices = []
    if fps is not None and fps != film.fps:
        notices.append(Problem(f"the project runs at {timing.fps_label(film.fps)} fps; --fps "
                               f"{timing.fps_label(fps)} is ignored", str(file)))
    draft = draft_film(script, film.fps, film.target_runtime, beat_level, title)
    record = read_record(folder)
    text = file.read_text(encoding="utf-8")
    merge = merge_project(text, record, draft)
    merged = loads_film(merge.text, str(file), file.parent.resolve())  # never write a project that does not load
    record_data = make_record(draft, _script_name(script_path, folder), sha, *merge.parts, old=record, keep=merge.keep)
    diff = "".join(difflib.unified_diff(text.splitlines(True), merge.text.splitlines(True),
                                        f"{PROJECT_FILE}", f"{PROJECT_FILE} (merged)"))
    result = ImportResult(folder, draft, created=False, written=False, fps=film.fps, runtime=merged.runtime(),
                          target=film.target_runtime, changes=merge.changes, notices=draft.notices + notices,
                          diff=diff)
    if write and not dry_run:
        if merge.text != text:
            raw = file.read_bytes()
            result.backup = atomic_write_text(file.with_name(file.name + BACKUP_SUFFIX), raw.decode("utf-8"))
            new_text = merge.text.replace("\n", "\r\n") if b"\r\n" in raw else merge.text
            atomic_write_text(file, new_text)
        write_record(folder, record_data)
        result.written = True
    return result


def _new_project(script, script_path: Path, sha: str, folder: Path, fps: Fraction, target: str | None,
                 beat_level: int | None, title: str | None, dry_run: bool) -> ImportResult:
    target_frames = timing.parse_duration(target, fps) if target else None
    draft = draft_film(script, fps, target_frames, beat_level, title)
    header = (f"shotreel project drafted from {script_path.name} by `shotreel import-script`.\n"
              "Edit freely: importing a revised script again keeps your edits (camera, prompts, boards,\n"
              "durations, notes) and shows what it would change before writing anything.")
    text = dump_document(film_to_data(draft.film), header)
    beats, assets, scenes = drafted_parts(draft)
    annotate(draft, beats, assets, scenes)
    record = make_record(draft, _script_name(script_path, folder), sha, beats, assets, scenes)
    result = ImportResult(folder, draft, created=True, written=False, fps=fps, runtime=draft.film.runtime(),
                          target=target_frames, notices=draft.notices)
    if dry_run:
        loads_film(text, str(project_file(folder)))  # the same validation write_new_project does
    else:
        from ..example import PROJECT_FOLDERS

        write_new_project(folder, text)
        for name in PROJECT_FOLDERS:
            (folder / name).mkdir(exist_ok=True)
        write_record(folder, record)
        result.written = True
    return result


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""  # read_script reports the problem with the right message


def _script_name(script: Path, folder: Path) -> str:
    try:
        return os.path.relpath(script.resolve(), folder.resolve())
    except ValueError:  # another drive on Windows
        return str(script.resolve())


def read_record(folder: str | Path) -> dict | None:
    """The record of the last import into ``folder``, or None when there is none."""
    path = Path(folder) / RECORD
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ProjectError(f"the record of the last script import cannot be read ({exc}); move it away to "
                           "merge as if the project had never been imported", file=str(path)) from None
    if not isinstance(data, dict) or data.get("version") != 1:
        raise MergeError("the record of the last script import has an unknown version", file=str(path))
    return data


def write_record(folder: str | Path, record: dict) -> Path:
    """Write the record of what was drafted (atomically): JSON, one scene / shot / beat per line."""
    rows = []
    for key, value in record.items():
        if isinstance(value, dict) and value:
            inner = ",\n".join(f"  {_json(k)}: {_json(v)}" for k, v in value.items())
            rows.append(f" {_json(key)}: {{\n{inner}\n }}")
        else:
            rows.append(f" {_json(key)}: {_json(value)}")
    return atomic_write_text(Path(folder) / RECORD, "{\n" + ",\n".join(rows) + "\n}\n")


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
