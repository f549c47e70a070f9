"""The Blender extension as zips an artist installs with Install from Disk: one per platform, every dependency inside.

Blender installs an extension's Python dependencies only from wheels listed in its manifest
(``wheels = ["./wheels/….whl"]``); it never runs pip. So the zip carries the shotreel core itself as a
wheel (built from this checkout: it also holds ``shotreel_otio``, ``shotreel_resolve`` and this package)
and every wheel the core's ``dependencies`` need at runtime (OpenTimelineIO and its adapters, PyYAML,
Pillow, fpdf2, fonttools, defusedxml, imageio-ffmpeg with its ffmpeg binary …) but what Blender ships
itself (numpy, certifi, requests), resolved by ``pip download`` for Blender's Python (3.11 in Blender 4.2
to 5.0) on each platform. The pyproject is
the one place the dependencies and the version are written: the manifest's version is the core wheel's.

The zip itself is made and checked by Blender's own tool (``blender --command extension build
--split-platforms``, then ``validate``): the ``blender_ext.py`` script inside the ``bpy`` wheel when it is
installed, else a ``blender`` on ``PATH`` or the one given. Nothing here imports Blender.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from shotreel.errors import ShotreelError

PYTHON = "3.11"
"""The Python of Blender 4.2 LTS to 5.0; Blender 5.1 moves to 3.13 (hence ``blender_version_max``)."""

PLATFORM_TAGS: dict[str, tuple[str, ...]] = {
    # Blender 4.2+ needs glibc 2.28: every manylinux wheel up to 2.28 runs (pip does not expand these tags)
    "linux-x64": ("manylinux_2_28_x86_64", "manylinux_2_27_x86_64", "manylinux_2_26_x86_64",
                  "manylinux_2_24_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64",
                  "manylinux2010_x86_64", "manylinux1_x86_64", "linux_x86_64"),
    "linux-arm64": ("manylinux_2_28_aarch64", "manylinux_2_27_aarch64", "manylinux_2_26_aarch64",
                    "manylinux_2_24_aarch64", "manylinux_2_17_aarch64", "manylinux2014_aarch64"),
    "windows-x64": ("win_amd64",),
    "windows-arm64": ("win_arm64",),
    # Blender 4.2+ needs macOS 11.2; pip expands a macOS tag to every older release and universal2
    "macos-arm64": ("macosx_11_0_arm64",),
    "macos-x64": ("macosx_11_0_x86_64",),
}
"""Blender's platform names → pip's ``--platform`` tags of the wheels that run there."""

BLENDER_BUNDLES = {"numpy": "<2", "requests": "", "certifi": "", "urllib3": "", "idna": "",
                   "charset-normalizer": "", "zstandard": "", "cython": ""}
"""What Blender 4.2 to 5.0 ship in their own Python (the ``bpy`` wheel's requirements): never put in a zip,
since Blender's copy comes first on ``sys.path`` and a second numpy would only shadow or clash. The
dependencies are resolved within these bounds (numpy 1.26 in Blender 4.2 to 4.5)."""

WHEEL_CACHE = Path.home() / ".cache" / "shotreel" / "blender-wheels"
"""Where ``shotreel blender package`` keeps the wheels it downloaded, one folder per platform."""

ADDON = "blender_addon"
MANIFEST = "blender_manifest.toml"
_SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", ".*", "tests", "test_*.py", "wheels", "*.zip", "*.whl")
"""Never in the zip: bytecode, hidden files, tests, earlier builds and wheels (the wheels come from here)."""


@dataclass(frozen=True)
class Package:
    """One built extension zip: the Blender platform it is for, where it is, its size and its wheels."""

    platform: str
    path: Path
    size: int
    wheels: tuple[str, ...]


def checkout() -> Path:
    """The shotreel checkout this module runs from (the extension's sources are not installed with the core)."""
    root = Path(__file__).resolve().parents[1]
    return root if (root / "pyproject.toml").is_file() and (root / ADDON).is_dir() else Path.cwd()


def manifest_platforms(source: Path) -> list[str]:
    """The platforms the checkout's extension manifest lists (``platforms = [...]``)."""
    manifest = _read_manifest(source / ADDON / MANIFEST)
    return list(manifest.get("platforms") or ["linux-x64", "windows-x64", "macos-arm64"])


def build_packages(source: Path, output: Path, platforms: Sequence[str] | None = None, *,
                   blender: str | None = None, cache: Path | None = None, refresh: bool = False,
                   log: Callable[[str], None] = print) -> list[Package]:
    """Build one extension zip per platform from the checkout ``source`` into ``output``; return them.

    ``platforms`` are Blender's names (``linux-x64`` …), by default every one the manifest lists.
    ``blender`` is a Blender executable to build and validate with, when the ``bpy`` wheel is not installed.
    The wheels come from PyPI (or the configured index) through the ``cache`` folder, if given (see
    :func:`download_wheels`; ``refresh`` asks PyPI first).
    Caveat: the zips hold the checkout as it is on disk, uncommitted edits included.
    """
    source = Path(source).resolve()
    addon = source / ADDON
    if not (addon / MANIFEST).is_file() or not (source / "pyproject.toml").is_file():
        raise ShotreelError(f"{source} is not a shotreel checkout (no pyproject.toml and {ADDON}/{MANIFEST})")
    listed = manifest_platforms(source)
    platforms = list(dict.fromkeys(platforms or listed))
    for platform in platforms:
        if platform not in PLATFORM_TAGS:
            raise ShotreelError(f"unknown platform {platform!r}; Blender's are {', '.join(PLATFORM_TAGS)}")
        if platform not in listed:
            raise ShotreelError(f"platform {platform} is not in {ADDON}/{MANIFEST} (it lists {', '.join(listed)})")
    tool = blender_ext_command(blender)
    output = Path(output).resolve()
    output.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="shotreel-blender-") as tmp:
        work = Path(tmp)
        log("building the shotreel core wheel")
        core = core_wheel(source, work / "core")
        stage = work / "shotreel"
        shutil.copytree(addon, stage, ignore=_SKIP)
        (stage / "wheels").mkdir()
        per_platform: dict[str, list[str]] = {}
        for platform in platforms:
            log(f"{platform}: downloading wheels for Python {PYTHON}")
            wheels = download_wheels(core, platform, work / "download" / platform, cache, refresh)
            for wheel in wheels:
                if not (stage / "wheels" / wheel.name).exists():
                    shutil.copy2(wheel, stage / "wheels" / wheel.name)
            per_platform[platform] = sorted(w.name for w in wheels)
        every = sorted({name for names in per_platform.values() for name in names})
        write_manifest(addon / MANIFEST, stage / MANIFEST, version=_wheel_version(core), platforms=platforms,
                       wheels=[f"./wheels/{name}" for name in every])
        log(f"building {len(platforms)} zip(s) with Blender's extension builder")
        _run(tool + ["build", "--source-dir", str(stage), "--output-dir", str(output), "--split-platforms"])
        version = _wheel_version(core)
        packages = []
        for platform in platforms:
            path = output / f"shotreel-{version}-{platform.replace('-', '_')}.zip"
            if not path.is_file():
                raise ShotreelError(f"Blender's extension builder did not write {path.name}")
            _run(tool + ["validate", str(path)])
            packages.append(Package(platform, path, path.stat().st_size, tuple(per_platform[platform])))
            log(f"{platform}: {path} ({path.stat().st_size / 1e6:.1f} MB, {len(per_platform[platform])} wheels),"
                " valid")
    return packages


def blender_ext_command(blender: str | None = None) -> list[str]:
    """The command line of Blender's extension tool: ``blender_ext.py`` from the ``bpy`` wheel (run by this
    Python, no Blender started), else ``<blender> --command extension``."""
    if blender:
        return [blender, "--command", "extension"]
    spec = importlib.util.find_spec("bpy")  # finds the wheel without importing it (a Blender in-process)
    for location in (spec.submodule_search_locations or []) if spec else []:
        for script in sorted(Path(location).glob("*/scripts/addons_core/bl_pkg/cli/blender_ext.py")):
            return [sys.executable, str(script)]
    found = shutil.which("blender")
    if found:
        return [found, "--command", "extension"]
    raise ShotreelError("building the extension needs Blender's extension tool: install the bpy wheel "
                        "(pip install 'bpy>=4.5,<4.6'), put blender on PATH, or pass --blender PATH")


def core_wheel(source: Path, into: Path) -> Path:
    """The shotreel distribution of the checkout as a wheel (``pip wheel --no-deps``), built from a copy of
    the files it is made of, so the checkout gets no ``build/`` folder."""
    project = tomllib.loads((source / "pyproject.toml").read_text(encoding="utf-8"))
    tree = into / "src"
    tree.mkdir(parents=True)
    for name in ("pyproject.toml", project["project"].get("readme", "README.md")):
        shutil.copy2(source / name, tree / name)
    for folder in sorted(set(project["tool"]["setuptools"].get("package-dir", {}).values())):
        shutil.copytree(source / folder, tree / folder, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(into), str(tree)])
    wheels = sorted(into.glob("*.whl"))
    if len(wheels) != 1:
        raise ShotreelError(f"pip wheel made {len(wheels)} wheels of the shotreel core, not one")
    return wheels[0]


def download_wheels(core: Path, platform: str, into: Path, cache: Path | None = None,
                    refresh: bool = False) -> list[Path]:
    """The core wheel and every wheel it needs on ``platform`` for Blender's Python, as published on PyPI,
    less what Blender bundles (:data:`BLENDER_BUNDLES`), copied into ``into``.

    With a ``cache`` folder the wheels are first resolved from it alone (no network; a repeat build takes
    seconds) and fetched from PyPI into it only when it lacks one; ``refresh`` asks PyPI first, for the
    newest releases.
    """
    platform_args = [arg for tag in PLATFORM_TAGS[platform] for arg in ("--platform", tag)]
    into.mkdir(parents=True, exist_ok=True)
    constraints = into.parent / f"{platform}-blender-bundles.txt"
    constraints.write_text("".join(f"{name}{bound}\n" for name, bound in BLENDER_BUNDLES.items() if bound))
    command = [sys.executable, "-m", "pip", "download", "--quiet", "--only-binary=:all:", *platform_args,
               "--python-version", PYTHON, "--implementation", "cp", "--constraint", str(constraints)]
    shelf = cache / platform if cache else None
    try:
        if shelf is not None:
            shelf.mkdir(parents=True, exist_ok=True)
            offline = command + ["--no-index", "--find-links", str(shelf), "--dest", str(into), str(core)]
            try:
                if refresh:
                    raise ShotreelError("refresh")
                _run(offline)
            except ShotreelError:
                _run(command + ["--dest", str(shelf), str(core)])
                (shelf / core.name).unlink(missing_ok=True)  # this build's core, never a cached one
                for stale in into.glob("*.whl"):
                    stale.unlink()
                _run(offline)
        else:
            _run(command + ["--dest", str(into), str(core)])
    except ShotreelError as exc:
        missing = re.search(r"No matching distribution found for (\S+)", exc.message)
        if missing:
            raise ShotreelError(f"{platform}: PyPI has no wheel of {missing.group(1)} for Python {PYTHON} "
                                f"on {platform}, so no extension zip can be built for it") from None
        raise
    return sorted(wheel for wheel in into.glob("*.whl") if _distribution(wheel) not in BLENDER_BUNDLES)


def write_manifest(template: Path, target: Path, *, version: str, platforms: Sequence[str],
                   wheels: Sequence[str]) -> None:
    """The checkout's manifest with the build's ``version``, ``platforms`` and ``wheels`` set (comments,
    order and the other fields kept); checked by parsing it back."""
    text = template.read_text(encoding="utf-8")
    head, tables = re.split(r"(?m)^(?=\[)", text, maxsplit=1) if re.search(r"(?m)^\[", text) else (text, "")
    values = {"version": _toml_str(version), "platforms": _toml_list(platforms), "wheels": _toml_list(wheels)}
    for key, value in values.items():
        line = f"{key} = {value}"
        pattern = re.compile(rf"(?m)^{key}\s*=.*$")
        head = pattern.sub(lambda _m, line=line: line, head, count=1) if pattern.search(head) \
            else head.rstrip("\n") + f"\n{line}\n\n"
    target.write_text(head + tables, encoding="utf-8")
    written = _read_manifest(target)
    if (written.get("version"), written.get("platforms"), written.get("wheels")) != (
            version, list(platforms), list(wheels)):
        raise ShotreelError(f"{template}: could not set version, platforms and wheels in it")


def _toml_str(value: str) -> str:
    if '"' in value or "\\" in value:
        raise ShotreelError(f"not a plain manifest value: {value!r}")
    return f'"{value}"'


def _toml_list(values: Sequence[str]) -> str:
    if not values:
        return "[]"
    return "[\n" + "".join(f"    {_toml_str(v)},\n" for v in values) + "]"


def _read_manifest(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ShotreelError(f"cannot read the extension manifest: {exc}", file=path) from None


def _distribution(wheel: Path) -> str:
    """A wheel's project name, normalised (``charset_normalizer-3.4…whl`` → ``charset-normalizer``)."""
    return re.sub(r"[-_.]+", "-", wheel.name.split("-")[0]).lower()


def _wheel_version(wheel: Path) -> str:
    return wheel.name.split("-")[1]


def _run(command: list[str]) -> None:
    done = subprocess.run(command, check=False, capture_output=True, text=True)
    if done.returncode != 0:
        said = "\n".join((done.stdout + done.stderr).splitlines()[-40:])
        raise ShotreelError(f"{' '.join(Path(c).name if i < 2 else c for i, c in enumerate(command))} failed "
                            f"(exit {done.returncode}):\n{said.strip()}")
