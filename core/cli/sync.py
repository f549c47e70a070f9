"""Read a cut back from an editor (OTIO, EDL, FCP7 XML, AAF) into selects.yaml: takes and trims."""

from __future__ import annotations

import argparse

from ..project import load_project
from ..sync import sync_selects
from .terminal import ProgressBar

NAME = "sync"
HELP = "read an editor's cut back (OTIO, EDL, FCP7 XML, AAF) into selects.yaml: which take, which frames"
ORDER = 66


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("project", metavar="DIR", help="the project folder")
    parser.add_argument("cut", metavar="CUT", help="the cut the editor exported (.otio, .edl, .xml, .aaf)")
    parser.add_argument("--fps", metavar="RATE",
                        help="the EDL's rate (an EDL carries none; default: the film's)")
    parser.add_argument("--dry-run", action="store_true", help="report what would change, write nothing")


def run(args: argparse.Namespace) -> int:
    film = load_project(args.project)
    bar = ProgressBar("sync")
    try:
        result = sync_selects(film, args.cut, fps=args.fps, dry_run=args.dry_run, progress=bar)
    finally:
        bar.close()
    cut = result.cut
    print(f"sync: {cut.path.name} ({cut.format}, {len(cut.clips)} clips): {result.matched} matched to shots, "
          f"{len(result.unmatched)} unmatched")
    lines = result.lines()
    if not result.changes:
        lines.insert(0, "selects unchanged")
    for line in lines:
        print(f"  {line}")
    if result.written is not None:
        print(f"wrote {result.written}")
    elif result.changes and args.dry_run:
        print("dry run: selects.yaml not written")
    return 0
