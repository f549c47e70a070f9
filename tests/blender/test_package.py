"""``shotreel blender package``: the extension zip an artist installs with Install from Disk, and nothing else.

The linux-x64 zip is built from this checkout (its wheels come from PyPI; pip's cache in ~/.cache/pip makes a
second run quick), checked by Blender's own validator, then installed into a clean Blender user folder through
Blender's Install from Disk operator, in a Python that sees only what Blender ships: shotreel, OTIO, Pillow and
ffmpeg must all come from the zip. The session's extension (the checkout, enabled from a local repository) is
untouched: the install runs in a separate process with its own user folder.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import tomllib
import zipfile
from importlib import metadata
from pathlib import Path

import pytest
from shotreel.cli import main
from shotreel.media import probe
from shotreel.project import load_project
from shotreel_blender_tools.package import BLENDER_BUNDLES, blender_ext_command

from .conftest import MODULE, set_yaml

REPO = Path(__file__).resolve().parents[2]


def _name(requirement: str) -> str:
    return re.sub(r"[-_.]+", "-", re.match(r"[A-Za-z0-9_.-]+", requirement).group(0)).lower()


def needed() -> set[str]:
    """The distributions a zip must hold: the core, its dependencies in pyproject.toml and the OTIO adapters
    OpenTimelineIO-Plugins brings, less what Blender ships itself (numpy, certifi …)."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names = {"shotreel", "otio-cmx3600-adapter", "otio-fcp-adapter", "otio-aaf-adapter", "pyaaf2"}
    return (names | {_name(r) for r in project["dependencies"]}) - set(BLENDER_BUNDLES)


@pytest.fixture(scope="module")
def linux_zip(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    started = time.perf_counter()
    assert main(["blender", "package", "--platform", "linux-x64", "-o", str(out)]) == 0
    print(f"shotreel blender package --platform linux-x64: {time.perf_counter() - started:.1f} s")
    (built,) = out.glob("*.zip")
    return built


def _manifest(zip_path: Path) -> dict:
    with zipfile.ZipFile(zip_path) as archive:
        return tomllib.loads(archive.read("blender_manifest.toml").decode("utf-8"))


def test_the_zip_holds_the_extension_and_every_dependency_as_linux_wheels(linux_zip):
    version = metadata.version("shotreel")
    assert linux_zip.name == f"shotreel-{version}-linux_x64.zip"
    manifest = _manifest(linux_zip)
    assert manifest["version"] == version  # from pyproject.toml, through the core wheel
    generated = manifest["build"]["generated"]
    assert generated["platforms"] == ["linux-x64"]
    names = [Path(w).name for w in generated["wheels"]]
    held = {_name(n.split("-")[0]) for n in names}
    assert held >= needed() and not held & set(BLENDER_BUNDLES), sorted(held)
    for name in names:  # Blender's Python 3.11 on Linux: pure wheels or cp311 manylinux ones
        tags = name[:-4].split("-")[-3:]
        assert tags[0] in ("py3", "py2.py3", "cp311") and (tags[2] == "any" or "manylinux" in tags[2]), name
    with zipfile.ZipFile(linux_zip) as archive:
        files = archive.namelist()
        core = archive.read(f"wheels/shotreel-{version}-py3-none-any.whl")
        addon_bytes = sum(i.compress_size for i in archive.infolist() if not i.filename.startswith("wheels/"))
    assert addon_bytes < 500_000  # the rest is the extension's own code: the zip is its wheels
    assert sorted(f for f in files if f.startswith("wheels/")) == sorted(f"wheels/{n}" for n in names)
    assert "__init__.py" in files and "wheels.py" in files and "layout/ops.py" in files
    assert not [f for f in files if "__pycache__" in f or f.endswith(".pyc") or "test" in f.split("/")[0]]
    assert len(core) > 100_000  # the core with its fonts and the example film
    # Blender's own validator accepts it, as extensions.blender.org and Install from Disk would
    done = subprocess.run(blender_ext_command() + ["validate", str(linux_zip)], check=False,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def _blender_only_path(folder: Path) -> Path:
    """A folder of links to ``bpy`` and the modules Blender bundles with it (its wheel's requirements: numpy,
    requests …), and nothing of this venv: no shotreel, no OTIO, no Pillow, no imageio-ffmpeg."""
    seen: dict[str, metadata.Distribution] = {}

    def add(name: str) -> None:
        key = re.sub(r"[-_.]+", "-", name).lower()
        if key in seen:
            return
        seen[key] = dist = metadata.distribution(name)
        for requirement in dist.requires or []:
            if "extra ==" not in requirement:
                add(re.match(r"[A-Za-z0-9_.-]+", requirement).group(0))

    add("bpy")
    folder.mkdir()
    for dist in seen.values():
        for top in {Path(str(f)).parts[0] for f in dist.files or []}:
            source = Path(dist.locate_file(top))
            if top not in ("..", "__pycache__") and source.exists() and not (folder / top).exists():
                (folder / top).symlink_to(source)
    return folder


def test_install_from_disk_in_a_clean_blender_then_generate_a_take(linux_zip, example_dir, tmp_path):
    set_yaml(example_dir, "resolution: 1920x1080", "resolution: 320x180")
    user = tmp_path / "blender-user"
    result_file = tmp_path / "result.json"
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-S", "-E", str(Path(__file__).with_name("_installed.py")), str(linux_zip),
         str(example_dir), str(result_file), str(_blender_only_path(tmp_path / "blender-python"))],
        env={"BLENDER_USER_RESOURCES": str(user), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        check=False, capture_output=True, text=True, timeout=300)
    print(f"install, enable, layout, one take, uninstall: {time.perf_counter() - started:.1f} s")
    result = json.loads(result_file.read_text()) if result_file.exists() else {}
    assert done.returncode == 0 and "uninstall" in result, done.stdout[-3000:] + done.stderr[-3000:]
    site = user / "extensions" / ".local" / "lib" / "python3.11" / "site-packages"
    assert result["shotreel_before_install"] is None  # nothing of the venv leaks in
    assert result["install"] == ["FINISHED"] and result["enabled"]  # one click: installed and enabled
    assert Path(result["shotreel"]).is_relative_to(site)  # the core from the zip's wheel
    assert Path(result["ffmpeg"]).is_relative_to(site / "imageio_ffmpeg")  # the wheel's ffmpeg, not another
    assert result["ffmpeg_runs"] and result["ffmpeg_runs_after_enable"]
    film = load_project(example_dir)
    assert result["build_layout"] == ["FINISHED"] and result["cameras"] == sorted(s.id for s in film.shots())
    assert result["load_reel"] == ["FINISHED"] and result["generate"] == ["FINISHED"]
    assert result["status"].startswith("1 done, 0 failed"), result["status"]
    (take,) = (example_dir / "takes" / "sh010").glob("t001.mp4")
    media = probe(take)  # rendered by the bundled ffmpeg, a real movie of the shot's length
    assert (media.frames, media.width, media.height) == (film.shot("sh010").duration, 320, 180)
    assert result["take_strips"] == {"sh010": film.shot("sh010").duration}  # and it landed in the reel
    assert result["uninstall"] == ["FINISHED"] and not result["left_installed"]


def test_a_platform_the_manifest_does_not_list_is_refused_before_anything_is_downloaded(tmp_path, capsys):
    assert main(["blender", "package", "--platform", "macos-x64", "-o", str(tmp_path)]) == 2
    assert "platform macos-x64 is not in blender_addon/blender_manifest.toml" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_an_ffmpeg_that_cannot_be_made_executable_in_place_runs_from_a_copy_in_the_user_folder(tmp_path,
                                                                                              monkeypatch):
    import importlib
    import os
    import shutil

    wheels = importlib.import_module(f"{MODULE}.wheels")
    binary = tmp_path / "imageio_ffmpeg" / "binaries" / "ffmpeg-linux-x86_64-v7"
    binary.parent.mkdir(parents=True)
    binary.write_text("#!/bin/sh\necho ffmpeg version 7\n")
    binary.chmod(0o444)  # as Blender unpacks it, in a folder this user may not change (a system repository)
    make_executable = wheels._executable

    def refused_in_place(path: Path) -> bool:
        if path == binary:
            raise PermissionError(f"[Errno 1] Operation not permitted: {path}")
        return make_executable(path)

    monkeypatch.setattr(wheels, "bundled_ffmpeg", lambda: binary)
    monkeypatch.setattr(wheels, "_executable", refused_in_place)
    monkeypatch.delenv("IMAGEIO_FFMPEG_EXE", raising=False)
    wheels.register()
    try:
        copy = Path(os.environ["IMAGEIO_FFMPEG_EXE"])
        assert copy != binary and copy.name == binary.name and "shotreel" in copy.parts
        assert subprocess.run([copy], check=True, capture_output=True, text=True).stdout == "ffmpeg version 7\n"
    finally:
        wheels.unregister()
        shutil.rmtree(copy.parent, ignore_errors=True)
    assert "IMAGEIO_FFMPEG_EXE" not in os.environ  # unregistering takes back what registering set
