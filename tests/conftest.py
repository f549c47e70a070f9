"""Shared fixtures: a fresh copy of the example film in a temporary folder, and the sample cuts."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from shotreel.example import scaffold_example
from shotreel.project import load_project

SAMPLES = Path(__file__).resolve().parent / "samples" / "interchange"
"""Real cuts from other tools, kept in the repository with their licence (see its README)."""


@pytest.fixture
def example_dir(tmp_path: Path) -> Path:
    """A new project folder holding the example film (no boards drawn yet)."""
    folder = tmp_path / "green-hours"
    scaffold_example(folder)
    return folder


@pytest.fixture
def example_film(example_dir: Path):
    return load_project(example_dir)


@pytest.fixture
def samples() -> Path:
    """Real cuts exported by other tools (tests/samples/interchange)."""
    return SAMPLES


_EXIT_STATUS: list[int] = []


def pytest_sessionfinish(session, exitstatus) -> None:
    _EXIT_STATUS.append(int(exitstatus))


def pytest_unconfigure(config) -> None:
    """Once the results are printed, leave at once when real Blender (``bpy``) was loaded in this process.

    Blender's own shutdown, run by the C library's exit after the whole suite, hangs: attached with gdb, the
    main thread waits in ``pthread_cond_destroy`` inside the static destructor of bpy's sound module
    (``GlobalState::~GlobalState``) while bpy's own audio "delayed close" thread (``delayed_close_thread_run``,
    started by Blender, not by shotreel) still waits on that condition variable; glibc's destroy waits for
    every waiter, so the process never ends (seen with tests/blender/test_generate.py, the fuzz, download and
    generate-CLI tests in one process; not with bpy alone). Nothing is left to do after pytest's report, so
    exiting with its status is safe."""
    if "bpy" in sys.modules and _EXIT_STATUS:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(_EXIT_STATUS[-1])
