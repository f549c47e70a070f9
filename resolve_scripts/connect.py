"""Reaching DaVinci Resolve the documented way (reference ``resolve-api.md`` §6.2).

From a terminal: ``import DaVinciResolveScript`` as found on ``sys.path``, else from
``$RESOLVE_SCRIPT_API/Modules``, else from the OS's default install location; then
``scriptapp("Resolve")``. From the Workspace ▸ Scripts menu Resolve hands the script a live ``resolve``
global instead (:func:`from_menu`). Every way this fails is one :class:`ResolveUnavailable` line saying why.
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path

from shotreel.errors import ShotreelError

from .compat import OLDEST, Profile, profile_of

DEFAULT_API = {
    "darwin": "/Library/Application Support/Blackmagic Design/DaVinci Resolve/Developer/Scripting",
    "win32": os.path.join(os.environ.get("PROGRAMDATA", r"C:\ProgramData"),
                          r"Blackmagic Design\DaVinci Resolve\Support\Developer\Scripting"),
    "linux": "/opt/resolve/Developer/Scripting",
}
"""Where Resolve installs its scripting modules per OS (§6.2)."""


class ResolveUnavailable(ShotreelError):
    """Resolve cannot be scripted from here: not installed, not running, scripting off, or this edition."""


def _module_folders() -> list[str]:
    folders = []
    api = os.environ.get("RESOLVE_SCRIPT_API")
    if api:
        folders.append(os.path.join(api, "Modules"))
    default = DEFAULT_API.get(sys.platform) or DEFAULT_API["linux"]
    folders.append(os.path.join(default, "Modules"))
    return folders


def scripting_module():
    """``DaVinciResolveScript`` as Resolve documents finding it; :class:`ResolveUnavailable` when absent."""
    try:
        return importlib.import_module("DaVinciResolveScript")
    except ImportError:
        pass
    for folder in _module_folders():
        if Path(folder, "DaVinciResolveScript.py").is_file():
            sys.path.append(folder)
            try:
                return importlib.import_module("DaVinciResolveScript")
            except ImportError as exc:
                raise ResolveUnavailable(f"Resolve's scripting module in {folder} cannot be loaded ({exc}); "
                                         "is RESOLVE_SCRIPT_LIB pointing at fusionscript?") from None
    raise ResolveUnavailable("DaVinci Resolve's scripting module (DaVinciResolveScript) is not installed here: "
                             "install Resolve Studio, or set RESOLVE_SCRIPT_API to its Developer/Scripting folder")


def connect() -> tuple[object, Profile]:
    """The running Resolve and its profile, from a terminal (external scripting, Studio only)."""
    module = scripting_module()
    try:
        resolve = module.scriptapp("Resolve")
    except (OSError, RuntimeError, ImportError, AttributeError, TypeError) as exc:  # no connection
        raise ResolveUnavailable(f"DaVinci Resolve did not answer ({exc})") from None
    if resolve is None:
        raise ResolveUnavailable("DaVinci Resolve did not answer: it is not running, or Preferences ▸ System ▸ "
                                 "General ▸ External scripting using is None, or this is the free edition "
                                 "(which runs scripts only from Workspace ▸ Scripts, up to 21.0)")
    return resolve, checked(resolve)


def from_menu(resolve: object) -> tuple[object, Profile]:
    """The ``resolve`` global a Workspace ▸ Scripts menu script is given, checked like :func:`connect`'s."""
    if resolve is None:
        raise ResolveUnavailable("this script must be run from DaVinci Resolve's Workspace ▸ Scripts menu")
    return resolve, checked(resolve)


def checked(resolve: object) -> Profile:
    """The build's profile; :class:`ResolveUnavailable` for a build shotreel's scripts cannot drive."""
    profile = profile_of(resolve)
    if not profile.supported:
        raise ResolveUnavailable(f"{profile.label} is too old: shotreel needs {OLDEST[0]}.{OLDEST[1]} or later "
                                 "(items placed at their record frame)")
    if not profile.python_scripting:
        raise ResolveUnavailable(f"{profile.label} runs no Python scripts (Studio only since 21.1): use "
                                 "`shotreel resolve import DIR --files` and File ▸ Import ▸ Timeline")
    return profile
