"""Shared fixtures: a fresh copy of the example film in a temporary folder, and the sample cuts."""

from __future__ import annotations

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
