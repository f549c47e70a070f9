"""Start a project from an existing cut (OTIO, OTIOZ, EDL, FCP7 XML or AAF): one shot per visible clip."""

from __future__ import annotations

import argparse
import sys

from .. import timing
from ..cut_import import import_cut
from ..progress import no_progress
from .terminal import ProgressBar

NAME = "import-cut"
HELP = "start a project from a cut made in another editor (.otio, .otioz, .edl, .xml, .aaf)"
ORDER = 12


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("cut", metavar="CUT", help="the cut file: .otio, .otioz, .edl, .xml (FCP7) or .aaf")
    parser.add_argument("project", metavar="DIR", help="the new project folder (must not hold a project)")
    parser.add_argument("--track", type=_track, metavar="N",
                        help="read video track N (1 = the lowest) instead of flattening all video tracks")
    parser.add_argument("--fps", metavar="RATE",
                        help="the EDL's rate (24, 23.976, 25, 29.97 …); EDLs carry none (default: inferred)")
    parser.add_argument("--title", metavar="T", help="the film's title (default: the cut's name)")


def _track(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a track number (1, 2, …)")
    return value


def run(args: argparse.Namespace) -> int:
    rate = timing.parse_fps(args.fps) if args.fps is not None else None
    bar = ProgressBar("reading") if sys.stderr.isatty() else None  # a long EDL takes a while
    try:
        result = import_cut(args.cut, args.project, rate=rate, track=args.track, title=args.title,
                            progress=bar or no_progress)
    finally:
        if bar is not None:
            bar.close()
    film, cut = result.film, result.cut
    frames = film.runtime()
    source = f"video track {cut.track} of {cut.video_tracks}" if cut.track else (
        f"{cut.video_tracks} video tracks flattened" if cut.video_tracks > 1 else "1 video track")
    print(f"created {result.project} from {cut.path.name}")
    count = sum(1 for _ in film.shots())
    print(f"  {count} shot{'s' if count != 1 else ''} · {timing.fps_label(film.fps)} fps · start {film.start_timecode} · "
          f"runtime {timing.format_runtime(frames, film.fps)} ({frames}f) · {source}")
    beats = f"{len(film.beats)} beat{'s' if len(film.beats) != 1 else ''}"
    print(f"  {beats} ({'from the cut’s markers' if cut.markers else 'no markers in the cut'})")
    boards = f"  boards: {result.boards} still{'s' if result.boards != 1 else ''} found in the cut"
    if result.extracted:
        boards += f", {len(result.extracted)} copied from the bundle into boards/"
    if result.missing_boards:
        boards += f"; {len(result.missing_boards)} not on this machine (shotreel check lists them)"
    print(boards)
    if result.takes:
        takes = sum(1 for t in result.takes if not t.endswith(".json"))
        print(f"  takes: {takes} brought into takes/ with their provenance; "
              f"{result.selects} select{'s' if result.selects != 1 else ''} written to selects.yaml")
    for note in result.notes:
        print(f"  note: {note}")
    print(f"next: shotreel check {args.project}  ·  shotreel boards {args.project}")
    return 0
