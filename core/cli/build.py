"""The main job: check the project, draw boards and the contact sheet, write the reel into DIR/edit/."""

from __future__ import annotations

import argparse

from .. import timing

NAME = "build"
HELP = "check, board and cut the film into DIR/edit/ (reel.otio, reel.edl, reel.xml, contact sheet)"
ORDER = 50


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("project", metavar="DIR", help="the project folder")


def run(args: argparse.Namespace) -> int:
    from ..build import build
    from .terminal import ProgressBar

    bars: list[ProgressBar] = []

    def stage(name: str) -> ProgressBar:
        bars.append(ProgressBar(name))
        return bars[-1]

    try:
        result = build(args.project, stage)
    finally:
        for bar in bars:
            bar.close()
    film, report = result.film, result.report
    print(f"{film.title}: {report.summary()}")
    for warning in report.warnings:
        print(f"  {warning}")
    print(f"boards: {len(result.boards.written)} drawn, {len(result.boards.unchanged)} up to date, "
          f"{len(result.boards.kept)} by artists")
    print(f"contact sheet: {result.sheet.png} ({result.sheet.pages}-page PDF beside it)")
    for note in result.notes:
        print(f"note: {note}")
    for path in result.reels:
        print(f"wrote {path}")
    runtime = timing.format_runtime(film.runtime(), film.fps)
    print(f"done: {sum(1 for _ in film.shots())} shots, {runtime} at {timing.fps_label(film.fps)} fps, "
          f"starting {film.start_timecode}")
    return 0
