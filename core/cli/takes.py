"""List each shot's takes: status, real fps and length against the shot, a frame size other than asked,
provenance, and which is used."""

from __future__ import annotations

import argparse

from .. import timing
from ..conform import conform
from ..errors import ProjectError
from ..media import MediaError
from ..project import load_project
from ..takes import chosen_take, find_takes, load_selects, take_length

NAME = "takes"
HELP = "list takes per shot: status, fps and frames against the shot, provider/model/seed, the select"
ORDER = 62


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("project", metavar="DIR", help="the project folder")
    parser.add_argument("shot", metavar="SHOT", nargs="?", help="only this shot")


def _length(take, shot, film) -> str:
    try:
        frames, rate = take_length(take)
    except MediaError as exc:
        return f"unreadable ({exc.message})"
    rate = rate or film.fps
    label = f"{timing.fps_label(rate)} fps"
    needed = shot.duration * rate / film.fps
    diff = frames - needed
    fit = "=" if diff == 0 else (f"{int(diff):+d}" if diff.denominator == 1 else f"{float(diff):+.1f}")
    return f"{label:>10}  {frames:>5}f ({fit})"


def _size(take, film) -> str:
    """``1104×832 (asked 1280×720)`` when the take's probed size is not what was asked (its sidecar's
    request, else the film's resolution); empty when it is, or is not known."""
    prov = take.provenance or {}
    probe, asked = prov.get("probe") or {}, prov.get("requested") or {}
    try:
        size = (int(probe.get("width") or 0), int(probe.get("height") or 0))
        want = (int(asked.get("width") or film.resolution[0]), int(asked.get("height") or film.resolution[1]))
    except (TypeError, ValueError, AttributeError):
        return ""
    if not all(size) or size == want:
        return ""
    return f"  {size[0]}×{size[1]} (asked {want[0]}×{want[1]})"


def run(args: argparse.Namespace) -> int:
    film = load_project(args.project)
    shots = list(film.shots())
    if args.shot:
        shot = film.shot(args.shot)
        if shot is None:
            raise ProjectError(f"no shot {args.shot!r} in the film", file=film.source)
        shots = [shot]
    takes = find_takes(film)
    selects = load_selects(film)
    cuts = conform(film, takes, selects).by_shot()
    total = 0
    for shot in shots:
        shot_takes = takes.get(shot.id, [])
        total += len(shot_takes)
        count = f"{len(shot_takes)} take{'s' if len(shot_takes) != 1 else ''}" if shot_takes else "no takes"
        cut = cuts[shot.id]
        recut = f" planned, {cut.length}f as cut" if cut.length != cut.planned else ""
        print(f"{shot.id}  {timing.format_duration(shot.duration, film.fps)} ({shot.duration}f{recut})  {count}")
        selection = selects.get(shot.id)
        chosen = chosen_take(shot_takes, selection)
        for take in reversed(shot_takes):
            prov = take.provenance or {}
            mark = "*" if take is chosen else " "
            why = ""
            if take is chosen:
                why = "selected" if selection is not None and selection.take == take.id else "newest"
                if selection is not None and selection.take == take.id and \
                        (selection.trim_in is not None or selection.trim_out is not None):
                    end = selection.trim_out if selection.trim_out is not None else "end"
                    why += f" [{selection.trim_in or 0}-{end}]"
            who = "/".join(str(prov[k]) for k in ("provider", "model") if prov.get(k)) or "-"
            seed = f"seed {prov['seed']}" if prov.get("seed") is not None else ""
            line = (f"  {mark} {take.id:<8} {take.status:<7} {_length(take, shot, film)}{_size(take, film)}  {who}  "
                    f"{seed}  {why}")
            print(line.rstrip())
        if selection is not None and chosen is not None and selection.take != chosen.id:
            print(f"    note: selected take {selection.take!r} is not on disk; the newest is used")
    print(f"{total} take{'s' if total != 1 else ''} in {len(shots)} shot{'s' if len(shots) != 1 else ''}")
    return 0
