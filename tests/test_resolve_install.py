"""The Workspace ▸ Scripts launchers: written where Resolve looks for them per OS, removed exactly, and
runnable the way Resolve runs a menu script (a fresh interpreter with a ``resolve`` global)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from shotreel.cli import main
from shotreel_resolve import install
from shotreel_resolve.compat import Profile, parse_version


def test_the_scripts_folder_is_resolves_per_os(tmp_path: Path) -> None:
    env = {"HOME": "/home/ed", "APPDATA": r"C:\Users\ed\AppData\Roaming", "PROGRAMDATA": r"C:\ProgramData"}
    assert install.scripts_folder(platform="linux", env=env) == Path("/home/ed/.local/share/DaVinciResolve/Fusion/Scripts")
    assert install.scripts_folder(True, platform="linux", env=env) == Path("/opt/resolve/Fusion/Scripts")
    assert install.scripts_folder(platform="darwin", env=env) == Path(
        "/home/ed/Library/Application Support/Blackmagic Design/DaVinci Resolve/Fusion/Scripts")
    assert str(install.scripts_folder(platform="win32", env=env)).endswith(
        str(Path("Roaming", "Blackmagic Design", "DaVinci Resolve", "Support", "Fusion", "Scripts")))


def test_install_writes_the_launchers_and_uninstall_removes_exactly_them(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert main(["resolve", "install", "--project", str(tmp_path / "film")]) == 0
    folder = tmp_path / ".local/share/DaVinciResolve/Fusion/Scripts/Utility/shotreel"
    assert sorted(p.name for p in folder.glob("*.py")) == ["Conform Media.py", "Import Reel.py", "Send Choices.py",
                                                           "Update Takes.py"]
    assert "installed 4 scripts" in capsys.readouterr().out
    mine = folder / "notes.txt"
    mine.write_text("the editor's own file")
    edited = folder / "Send Choices.py"
    edited.write_text(edited.read_text() + "# tweaked by the editor\n")
    assert main(["resolve", "uninstall"]) == 0
    out = capsys.readouterr().out
    assert "removed 3 script(s)" in out and f"kept {edited}" in out
    assert sorted(p.name for p in folder.iterdir()) == ["Send Choices.py", "notes.txt"]
    assert main(["resolve", "uninstall"]) == 2  # nothing of ours left to remove
    assert "no shotreel launchers are installed here" in capsys.readouterr().err


def test_a_launcher_runs_in_a_bare_interpreter_and_says_when_it_has_no_resolve(tmp_path: Path) -> None:
    files = install.install(project=str(tmp_path), folder=tmp_path / "Scripts")
    launcher = next(f for f in files if f.name == "Import Reel.py")
    run = subprocess.run([sys.executable, "-I", "-S", str(launcher)], capture_output=True, text=True, timeout=120,
                         check=False)
    assert run.returncode == 0, run.stderr  # the script returns; Resolve shows its lines
    assert "shotreel: error: this script must be run from DaVinci Resolve's Workspace ▸ Scripts menu" in run.stdout
    assert "Traceback" not in run.stderr


@pytest.mark.parametrize(("version", "inclusive", "python"), [
    ([18, 6, 6, 7, ""], False, True), ("19.1.3.7", True, True), ("20.3.2.9", False, True), ("21.1.0.14", False, False)])
def test_the_version_rules(version, inclusive: bool, python: bool) -> None:
    free = Profile(parse_version(version), studio=False)
    assert free.append_end_inclusive is inclusive and free.append_end(100) == (99 if inclusive else 100)
    assert free.python_scripting is python and not free.external_scripting
    assert Profile(parse_version(version), studio=True).python_scripting
    assert not Profile((18, 1), studio=True).supported
