"""The ffmpeg inside the bundled ``imageio-ffmpeg`` wheel, made runnable when the extension is enabled.

Blender unpacks an extension's wheels with Python's ``zipfile``, which drops the execute bit, so on Linux
and macOS the ffmpeg binary shotreel renders takes and probes media with cannot run (and imageio-ffmpeg
would quietly fall back to some other ffmpeg on ``PATH``, or to none). At register time the binary gets
its execute bit back; where the wheel's folder is read-only (a system repository) it is copied into the
extension's user folder and ``IMAGEIO_FFMPEG_EXE`` points at the copy. An ``IMAGEIO_FFMPEG_EXE`` the user
set is left alone, and so is Windows, which has no execute bit.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import stat
from pathlib import Path

_ENV = "IMAGEIO_FFMPEG_EXE"
_set_env: str | None = None  # the value this module put in the environment, removed again at unregister


def bundled_ffmpeg() -> Path | None:
    """The ffmpeg binary of the installed ``imageio-ffmpeg`` wheel, or None (no wheel, or no binary in it)."""
    spec = importlib.util.find_spec("imageio_ffmpeg")
    for location in (spec.submodule_search_locations or []) if spec else []:
        found = sorted(p for p in (Path(location) / "binaries").glob("ffmpeg-*") if p.is_file())
        if found:
            return found[0]
    return None


def _executable(path: Path) -> bool:
    mode = path.stat().st_mode
    path.chmod(mode | (mode & 0o444) >> 2 | stat.S_IXUSR)  # execute wherever it may be read
    return os.access(path, os.X_OK)


def register() -> None:
    global _set_env
    if os.name == "nt" or os.environ.get(_ENV):
        return
    ffmpeg = bundled_ffmpeg()
    if ffmpeg is None or os.access(ffmpeg, os.X_OK):
        return
    try:
        if _executable(ffmpeg):
            return
    except OSError:
        pass
    import bpy  # only here: the rest of this module is plain Python

    folder = Path(bpy.utils.extension_path_user(__package__, path="ffmpeg", create=True))
    copy = folder / ffmpeg.name
    if not copy.exists():
        shutil.copyfile(ffmpeg, copy)
    _executable(copy)
    os.environ[_ENV] = _set_env = str(copy)


def unregister() -> None:
    global _set_env
    if _set_env is not None and os.environ.get(_ENV) == _set_env:
        del os.environ[_ENV]
    _set_env = None
