"""Fixtures for tests against the Resolve stand-in (``tests/resolve_standin``).

``standin`` puts the stand-in on ``sys.path`` (so ``import DaVinciResolveScript`` works as in a user's
script), starts a fresh Resolve with default knobs and gives the control module ``_resolve_standin``.
``studio(**knobs)`` starts a Resolve with knobs and a fresh project; ``media(name, …)`` makes a file and
tells the stand-in's decoder what it holds; ``standin_env`` starts a Resolve with a state file and gives
the environment for a subprocess (``PYTHONPATH`` and ``RESOLVE_STANDIN_STATE``).
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

STANDIN = Path(__file__).resolve().parents[1] / "resolve_standin"


@pytest.fixture
def standin(monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    """The control module of a fresh stand-in Resolve, with the stand-in on ``sys.path``."""
    for key in list(os.environ):
        if key.startswith("RESOLVE_STANDIN_"):
            monkeypatch.delenv(key)
    monkeypatch.syspath_prepend(str(STANDIN))
    monkeypatch.delitem(sys.modules, "DaVinciResolveScript", raising=False)
    control = importlib.import_module("_resolve_standin")
    control.reset()
    yield control
    control.runtime.install(None)
    sys.modules.pop("DaVinciResolveScript", None)


@pytest.fixture
def dvr(standin: ModuleType) -> ModuleType:
    """``import DaVinciResolveScript``, as a user's script does it."""
    return importlib.import_module("DaVinciResolveScript")


@dataclass
class Studio:
    """A started stand-in Resolve with a project open: the handles a script would hold."""

    resolve: Any
    manager: Any
    project: Any
    pool: Any

    def timeline(self, name: str = "cut") -> Any:
        """A new empty timeline, made current."""
        timeline = self.pool.CreateEmptyTimeline(name)
        assert timeline is not None
        assert self.project.SetCurrentTimeline(timeline)
        return timeline


@pytest.fixture
def studio(standin: ModuleType, dvr: ModuleType) -> Callable[..., Studio]:
    """``studio(fps="24", **knobs)``: reset with ``knobs``, connect, create project "film" at ``fps``."""

    def start(fps: str = "24", **knobs: Any) -> Studio:
        standin.reset(**knobs)
        resolve = dvr.scriptapp("Resolve") or standin.resolve()
        manager = resolve.GetProjectManager()
        project = manager.CreateProject("film")
        assert project is not None and project.SetSetting("timelineFrameRate", fps)
        return Studio(resolve, manager, project, project.GetMediaPool())

    return start


@pytest.fixture
def media(standin: ModuleType, tmp_path: Path) -> Callable[..., str]:
    """``media(name, fps=24, frames=48, **info)``: a file in ``tmp_path/media`` whose content the
    stand-in's decoder is told (see ``register_media``); returns its absolute path."""

    def make(name: str, fps: Any = 24, frames: int = 48, folder: str = "media", **info: Any) -> str:
        path = tmp_path / folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"stand-in media")
        if info.get("kind") == "audio":
            standin.register_media(path, **info)
        else:
            standin.register_media(path, fps=fps, frames=frames, **info)
        return str(path)

    return make


@pytest.fixture
def standin_env(standin: ModuleType, tmp_path: Path) -> Callable[..., dict[str, str]]:
    """``standin_env(**knobs)``: reset with a state file and ``knobs``; the subprocess environment."""

    def start(**knobs: Any) -> dict[str, str]:
        standin.reset(state_file=tmp_path / "resolve-state.json", **knobs)
        return standin.env()

    return start


@pytest.fixture(autouse=True)
def _last_project_in_tmp(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """`shotreel resolve …` remembers the project it used for menu actions: in the test's folder, not the
    user's ~/.config."""
    from shotreel_resolve import menu

    monkeypatch.setattr(menu, "LAST_PROJECT", tmp_path / "config" / "resolve.json")
