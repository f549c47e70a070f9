"""Real Blender (the PyPI ``bpy`` 4.5 wheel, headless) with the shotreel extension installed as users get it:
from a local extension repository, through its ``blender_manifest.toml``, as ``bl_ext.<repo>.shotreel``."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

if sys.version_info[:2] != (3, 11):  # the bpy wheels exist for the Python Blender ships, 3.11
    pytest.skip("Blender's bpy module needs Python 3.11", allow_module_level=True)

import bpy

ADDON = Path(__file__).resolve().parents[2] / "blender_addon"
MODULE = "bl_ext.shotreel_dev.shotreel"


@pytest.fixture(scope="session", autouse=True)
def extension(tmp_path_factory):
    """The extension enabled once for the run (a repository whose ``shotreel`` folder is the checkout's
    ``blender_addon``), disabled and removed after."""
    import addon_utils  # Blender's own module: importable once bpy is

    repo_dir = tmp_path_factory.mktemp("extensions")
    (repo_dir / "shotreel").symlink_to(ADDON, target_is_directory=True)
    repos = bpy.context.preferences.extensions.repos
    repo = repos.new(name="shotreel dev", module="shotreel_dev", custom_directory=str(repo_dir))
    repo.use_custom_directory = True
    addon_utils.extensions_refresh(ensure_wheels=False)
    assert addon_utils.enable(MODULE, default_set=True, persistent=True) is not None
    yield
    if addon_utils.check(MODULE)[1]:
        addon_utils.disable(MODULE)
    repos.remove(repo)


@pytest.fixture
def scene():
    """An empty file's scene (the extension stays enabled)."""
    bpy.ops.wm.read_homefile(use_empty=True)
    return bpy.context.scene


def set_yaml(folder: Path, old: str, new: str) -> None:
    path = folder / "shotreel.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
