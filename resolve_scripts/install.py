"""The Workspace ▸ Scripts menu: small launchers in Resolve's Scripts folder that run shotreel's actions
with the ``resolve`` global Resolve hands a menu script (reference §6.1).

``shotreel resolve install`` writes one launcher per action into ``<Scripts>/Utility/shotreel/`` (Utility:
shown on every page), for this user or, with ``all_users``, for every user; each launcher puts the Python
paths of this shotreel installation first and calls :func:`shotreel_resolve.menu.run`. A manifest beside
them lists what was written, so ``uninstall`` removes exactly that (a launcher edited since is kept, and
said so).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

from shotreel.errors import ShotreelError
from shotreel.fsutil import atomic_write_text

ACTIONS = {"Import Reel": "import", "Update Takes": "update", "Send Choices": "send", "Conform Media": "conform"}
"""Menu entries and the action each runs."""
MANIFEST = ".shotreel-installed.json"
FOLDER = ("Utility", "shotreel")


def scripts_folder(all_users: bool = False, platform: str | None = None, env: dict[str, str] | None = None) -> Path:
    """Resolve's Fusion Scripts folder for this OS, per user or for all users (§6.1)."""
    platform = platform or sys.platform
    env = dict(os.environ) if env is None else env
    home = Path(env.get("HOME") or Path.home())
    if platform == "darwin":
        base = Path("/Library") if all_users else home / "Library"
        return base / "Application Support/Blackmagic Design/DaVinci Resolve/Fusion/Scripts"
    if platform.startswith("win"):
        if all_users:
            return Path(env.get("PROGRAMDATA", r"C:\ProgramData"), "Blackmagic Design", "DaVinci Resolve", "Fusion",
                        "Scripts")
        appdata = env.get("APPDATA") or str(home / "AppData" / "Roaming")
        return Path(appdata, "Blackmagic Design", "DaVinci Resolve", "Support", "Fusion", "Scripts")
    return Path("/opt/resolve/Fusion/Scripts") if all_users else home / ".local/share/DaVinciResolve/Fusion/Scripts"


def launcher_text(action: str, label: str, paths: list[str], project: str | None) -> str:
    return (f'"""shotreel: {label} (written by `shotreel resolve install`; `shotreel resolve uninstall` '
            'removes it)."""\n'
            "import site\nimport sys\n\n"
            f"for folder in {paths!r}:\n"
            "    if folder not in sys.path:\n"
            "        sys.path.insert(0, folder)\n"
            "    site.addsitedir(folder)  # its .pth files too (an editable install is found through one)\n\n"
            "from shotreel_resolve.menu import run  # noqa: E402\n\n"
            f"run({action!r}, globals().get('resolve'), project={project!r})\n")


def _python_paths() -> list[str]:
    """The site-packages folders this shotreel and its dependencies are installed in (Resolve's own Python
    has none of them)."""
    paths: list[str] = []
    for name in ("shotreel", "opentimelineio", "PyYAML", "Pillow"):
        try:
            folder = str(Path(str(distribution(name).locate_file(""))).resolve())
        except PackageNotFoundError:
            continue
        if folder not in paths:
            paths.append(folder)
    return paths


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def install(all_users: bool = False, project: str | None = None, folder: Path | None = None) -> list[Path]:
    """Write the launchers (and the manifest); returns the files written."""
    target = (folder or scripts_folder(all_users)).joinpath(*FOLDER)
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ShotreelError(f"cannot write Resolve's Scripts folder ({exc.strerror})"
                            + ("; run as an administrator for --all-users" if all_users else ""),
                            file=target) from None
    paths = _python_paths()
    written: dict[str, str] = {}
    for label, action in ACTIONS.items():
        text = launcher_text(action, label, paths, str(Path(project).resolve()) if project else None)
        atomic_write_text(target / f"{label}.py", text)
        written[f"{label}.py"] = _digest(text)
    atomic_write_text(target / MANIFEST, json.dumps({"files": written}, indent=2) + "\n")
    return [target / name for name in written]


def uninstall(all_users: bool = False, folder: Path | None = None) -> tuple[list[Path], list[Path]]:
    """Remove what :func:`install` wrote; returns (removed, kept because edited since)."""
    target = (folder or scripts_folder(all_users)).joinpath(*FOLDER)
    manifest = target / MANIFEST
    if not manifest.is_file():
        raise ShotreelError("no shotreel launchers are installed here", file=target)
    files = json.loads(manifest.read_text(encoding="utf-8")).get("files", {})
    removed, kept = [], []
    for name, digest in files.items():
        path = target / name
        if not path.is_file():
            continue
        if _digest(path.read_text(encoding="utf-8")) == digest:
            path.unlink()
            removed.append(path)
        else:
            kept.append(path)
    manifest.unlink()
    if not any(target.iterdir()):
        target.rmdir()
    return removed, kept
