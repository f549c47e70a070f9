"""Draw a board card for every shot without a board, then the contact sheet (PNG and printable PDF).

Text the board font cannot draw (a script it lacks) is printed as one warning per shot and field,
in ``shotreel check``'s form (``shotreel.yaml:95: warning: shot sh040: action uses …``).
"""

from __future__ import annotations

import argparse

from ..boards import contact_sheet, draw_boards
from ..errors import Problem
from ..project import load_project
from .terminal import ProgressBar

NAME = "boards"
HELP = "draw board cards for shots without boards, and the contact sheet (artists' boards are kept)"
ORDER = 30


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("project", metavar="DIR", help="the project folder")
    parser.add_argument("--force", action="store_true",
                        help="rewrite shotreel's own cards even when up to date "
                             "(artists' boards are never touched)")


def run(args: argparse.Namespace) -> int:
    film = load_project(args.project)
    bar = ProgressBar("boards")
    try:
        boards = draw_boards(film, bar, force=args.force)
    finally:
        bar.close()
    bar = ProgressBar("contact")
    try:
        sheet = contact_sheet(film, bar)
    finally:
        bar.close()
    for line in dict.fromkeys(_warning(p) for p in boards.warnings + sheet.warnings):  # once each, in order
        print(line)
    print(f"boards: {len(boards.written)} drawn, {len(boards.unchanged)} up to date, "
          f"{len(boards.kept)} artist board{'s' if len(boards.kept) != 1 else ''} kept")
    print(f"contact sheet: {sheet.png}  ·  {sheet.pdf} ({sheet.pages} page{'s' if sheet.pages != 1 else ''})")
    return 0


def _warning(problem: Problem) -> str:
    where = f"{problem.file}:{problem.line}: " if problem.file and problem.line else (
        f"{problem.file}: " if problem.file else "")
    who = f"shot {problem.shot}: " if problem.shot else ""
    return f"{where}warning: {who}{problem.message}"
