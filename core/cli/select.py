"""Choose the take a shot uses, with optional trims, in selects.yaml."""

from __future__ import annotations

import argparse
import re
from fractions import Fraction

from .. import timing
from ..errors import ShotreelError
from ..project import load_project
from ..takes import find_take, select_take, take_length

NAME = "select"
HELP = "choose the take a shot uses (and its trims: --in/--out as timecode or frames of the take)"
ORDER = 64

_TIMECODE = re.compile(r"^(\d{1,2}):(\d{2}):(\d{2})[:;.](\d{2,3})$")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("project", metavar="DIR", help="the project folder")
    parser.add_argument("shot", metavar="SHOT", help="the shot id")
    parser.add_argument("take", metavar="TAKE", help="the take id (see `shotreel takes DIR SHOT`)")
    parser.add_argument("--in", dest="trim_in", metavar="TC",
                        help="first frame used, from the take's start: 00:00:00:12, 12 or 12f")
    parser.add_argument("--out", dest="trim_out", metavar="TC",
                        help="the frame after the last used (exclusive), like --in")


def take_frame(text: str, rate: Fraction) -> int:
    """A position in a take, from its start: frames (``12``, ``12f``), seconds (``0.5s``) or timecode."""
    value = text.strip()
    if value.isdigit():
        return int(value)
    if value.lower().endswith("f") and value[:-1].strip().isdigit():
        return int(value[:-1])
    match = _TIMECODE.match(value)
    if match and rate not in timing.RATES.values():  # a rate SMPTE timecode has no rules for: count frames
        h, m, s, f = (int(g) for g in match.groups())
        return ((h * 60 + m) * 60 + s) * round(rate) + f
    if match:
        return timing.parse_timecode(value, rate)
    if re.match(r"^\d+(\.\d+)?\s*s$", value):
        return timing.parse_duration(value, rate)
    raise ShotreelError(f"{text!r} is not a position in the take: use timecode (00:00:00:12), "
                        "frames (12, 12f) or seconds (0.5s)")


def run(args: argparse.Namespace) -> int:
    film = load_project(args.project)
    trim_in = trim_out = None
    if args.trim_in is not None or args.trim_out is not None:
        take = find_take(film, args.shot, args.take)
        _, rate = take_length(take)
        rate = rate or film.fps
        try:
            trim_in = take_frame(args.trim_in, rate) if args.trim_in is not None else None
            trim_out = take_frame(args.trim_out, rate) if args.trim_out is not None else None
        except ShotreelError as exc:
            raise ShotreelError(exc.message, shot=args.shot) from None
    selection = select_take(film, args.shot, args.take, trim_in, trim_out)
    trims = ""
    if selection.trim_in is not None or selection.trim_out is not None:
        end = selection.trim_out if selection.trim_out is not None else "end"
        trims = f", frames {selection.trim_in or 0} to {end}"
    print(f"{selection.shot}: take {selection.take}{trims} (selects.yaml)")
    return 0
