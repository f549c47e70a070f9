"""Render the reel to a watchable movie: selected takes, boards elsewhere, burn-in, sound, frame-exact."""

from __future__ import annotations

import argparse
from pathlib import Path

from .. import timing
from ..animatic import render_animatic
from ..project import load_project
from .terminal import ProgressBar

NAME = "animatic"
HELP = "render the reel to an H.264 MP4: takes where chosen, boards elsewhere, with burn-in"
ORDER = 60
DEFAULT_OUTPUT = Path("edit") / "animatic.mp4"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("project", metavar="DIR", help="the project folder")
    parser.add_argument("-o", "--output", metavar="FILE",
                        help=f"where to write (default DIR/{DEFAULT_OUTPUT.as_posix()})")
    parser.add_argument("--no-burn-in", dest="burn_in", action="store_false",
                        help="leave out the shot id, take and timecode drawn over the picture")
    parser.add_argument("--audio", metavar="FILE", help="a temp sound track (cut or padded to the film); "
                                                        "silence without it")


def run(args: argparse.Namespace) -> int:
    film = load_project(args.project)
    root = film.root if film.root is not None else Path(args.project)
    output = Path(args.output) if args.output else root / DEFAULT_OUTPUT
    bar = ProgressBar("animatic")
    try:
        result = render_animatic(film, output, burn_in=args.burn_in, audio=args.audio, progress=bar)
    finally:
        bar.close()
    boards = sum(1 for s in result.shots if s.source != "take")
    print(f"animatic: {result.path}  {result.width}x{result.height} at {timing.fps_label(result.fps)} fps, "
          f"{result.frames} frames ({timing.format_runtime(result.frames, result.fps)}); "
          f"{result.takes} shot{'s' if result.takes != 1 else ''} from takes, {boards} from boards; "
          f"{result.seconds:.1f}s")
    for note in result.notes:
        print(f"  note: {note}")
    return 0
