"""Write the film's reel: boards, takes, beat markers as an OTIO timeline (or EDL, FCP7 XML, AAF).

The format follows the output's suffix (.otio, .otioz, .edl, .xml, .aaf); ``--for resolve`` writes
the Resolve-shaped OTIO. Notes say what the chosen format could not carry.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..build import refuse_errors
from ..checks import run_checks
from ..interchange import FORMATS, write_reel
from ..project import load_project
from ..reel import build_reel, reel_notes
from .terminal import ProgressBar

NAME = "reel"
HELP = "write the reel as OTIO (or .otioz, .edl, .xml, .aaf by suffix)"
ORDER = 40
DEFAULT_OUTPUT = Path("edit") / "reel.otio"
RESOLVE_OUTPUT = Path("edit") / "reel-resolve.otio"
"""The Resolve-shaped reel has a name of its own: it never replaces the main reel."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``shotreel reel DIR [-o FILE] [--for resolve]``."""
    parser.add_argument("project", metavar="DIR", help="the project folder (or its shotreel.yaml)")
    parser.add_argument("-o", "--output", metavar="FILE",
                        help=f"where to write (default DIR/{DEFAULT_OUTPUT.as_posix()}, with --for resolve "
                             f"DIR/{RESOLVE_OUTPUT.as_posix()}); the suffix picks the format: {', '.join(FORMATS)}")
    parser.add_argument("--for", dest="host", choices=["resolve"],
                        help="write the OTIO shaped for DaVinci Resolve's importer")


def run(args: argparse.Namespace) -> int:
    """Load, check, build, write; print the notes and the path."""
    film = load_project(args.project)
    report = run_checks(film)
    refuse_errors(report)  # a reel is never written over errors; each is named with its line
    root = film.root if film.root is not None else Path(args.project)
    default = RESOLVE_OUTPUT if args.host == "resolve" else DEFAULT_OUTPUT
    output = Path(args.output) if args.output else root / default
    timeline = build_reel(film, findings=report.findings)  # warnings become markers on their shots
    bar = ProgressBar("reel")
    try:
        notes = write_reel(timeline, output, for_resolve=args.host == "resolve", progress=bar)
    finally:
        bar.close()
    for note in reel_notes(timeline) + notes:
        print(f"note: {note}")
    shots = sum(1 for _ in film.shots())
    print(f"wrote {output} ({shots} shots)")
    return 0
