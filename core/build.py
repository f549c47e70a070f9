"""The main job: check, boards, reel (OTIO, EDL, FCP7 XML) into ``DIR/edit/``, as one call a host can make.

:func:`build` runs the stages in order and stops at the first that cannot go on (a project with
errors is never boarded or cut). Each stage reports progress through its own callback, obtained from
``stage_progress(stage_name)``, so a terminal can draw one bar per stage and Blender can show the
stage in its status bar.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .boards import BoardsResult, ContactSheetResult, contact_sheet, draw_boards, shot_board_image
from .checks import Report, run_checks
from .errors import Problem, ProjectError
from .interchange import write_reel
from .model import Film
from .progress import ProgressCallback, no_progress
from .project import load_project
from .reel import build_reel, reel_notes

EDIT_DIR = "edit"
REEL_FILES = ("reel.otio", "reel.edl", "reel.xml")
"""What ``build`` writes into ``edit/``: the reel for every OTIO host, an EDL and an FCP7 XML."""

StageProgress = Callable[[str], ProgressCallback]


@dataclass
class BuildResult:
    """What a build did: the check report, the boards, the contact sheet, the files it wrote and
    the notes on what a format or a take could not carry."""

    film: Film
    report: Report
    boards: BoardsResult
    sheet: ContactSheetResult
    reels: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def written(self) -> list[Path]:
        return [*self.boards.written, self.sheet.png, self.sheet.pdf, *self.reels]


def _no_stage_progress(stage: str) -> ProgressCallback:
    return no_progress


def refuse_errors(report: Report) -> None:
    """Raise :class:`ProjectError` listing every error of ``report`` (each with its file and line)."""
    if report.errors:
        raise ProjectError.from_problems([Problem(f.message, f.file, f.line, f.shot) for f in report.errors])


def build(project: str | Path, stage_progress: StageProgress | None = None) -> BuildResult:
    """Check, draw boards and the contact sheet, and write the reel as OTIO, EDL and FCP7 XML.

    Raises :class:`ProjectError` (every error of the check, each naming its line) before anything
    is written when the project has errors. Returns what was written.
    """
    progress_for = stage_progress or _no_stage_progress
    film = load_project(project)
    report = run_checks(film)
    refuse_errors(report)
    boards = draw_boards(film, progress_for("boards"))
    sheet = contact_sheet(film, progress_for("contact"))
    timeline = build_reel(film, board_for=shot_board_image)
    notes = reel_notes(timeline)
    edit = film.path(EDIT_DIR)
    reels = []
    reel_progress = progress_for("reel")
    for index, name in enumerate(REEL_FILES):
        reel_progress(index, len(REEL_FILES), f"writing {name}")
        notes += [f"{name}: {note}" for note in write_reel(timeline, edit / name)]
        reels.append(edit / name)
    reel_progress(len(REEL_FILES), len(REEL_FILES), "reels written")
    return BuildResult(film, report, boards, sheet, reels, notes)
