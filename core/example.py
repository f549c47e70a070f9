"""The example film that ``shotreel new`` scaffolds: "Green Hours", twelve shots, one minute."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from .project import PROJECT_FILE, write_new_project

PROJECT_FOLDERS = ("refs", "boards", "takes", "edit")


def example_text() -> str:
    """The example's ``shotreel.yaml``."""
    return resources.files("shotreel").joinpath("examples", "astronaut", PROJECT_FILE).read_text("utf-8")


def scaffold_example(folder: str | Path) -> Path:
    """Create a new project folder holding the example film; returns its ``shotreel.yaml``.

    Refuses (with :class:`~shotreel.errors.ProjectError`) when the folder already holds a project.
    """
    folder = Path(folder)
    path = write_new_project(folder, example_text())
    for name in PROJECT_FOLDERS:
        (folder / name).mkdir(exist_ok=True)
    return path
