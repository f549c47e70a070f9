"""Board cards and the contact sheet; --generate board candidates with an image model, --choose one.

Draw a board card for every shot without a board, then the contact sheet (PNG and printable PDF); or make
board candidates with an image model (``--generate``) and choose one (``--choose SHOT CANDIDATE``).

Text the board font cannot draw (a script it lacks) is printed as one warning per shot and field,
in ``shotreel check``'s form (``shotreel.yaml:95: warning: shot sh040: action uses …``).

``--generate`` makes ``--candidates N`` stills per shot (``boards/candidates/<shot>/c001.png`` …, an end
still too where the shot has an end board) from the shot's prompt, its assets' approved references and the
film's style, through the same engine as takes (ledger, costs, ``--dry-run``, never paid twice); shots whose
board an artist made are left out unless named with ``--shots``. The contact sheet then shows each shot's
candidates beside its board. ``--choose SHOT CANDIDATE`` makes a candidate the shot's board; a board an
artist drew, painted or rendered is never replaced. ``--sheet`` writes only the contact sheet.
"""

from __future__ import annotations

import argparse
import threading
from pathlib import Path

from ..boards import contact_sheet, draw_boards
from ..errors import Problem, ShotreelError
from ..generation.registry import DEFAULT_PROVIDER, provider_names
from ..project import load_project
from ._args import positive
from ._stills import print_dry_run, relative
from .terminal import ProgressBar

NAME = "boards"
HELP = ("draw board cards for shots without boards, and the contact sheet (artists' boards are kept); "
        "--generate candidates with an image model, --choose one")
ORDER = 30


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("project", metavar="DIR", help="the project folder")
    parser.add_argument("--force", action="store_true",
                        help="rewrite shotreel's own cards even when up to date "
                             "(artists' boards are never touched)")
    parser.add_argument("--sheet", action="store_true", help="write only the contact sheet (draw no cards)")
    parser.add_argument("--generate", action="store_true",
                        help="make board candidates with an image model (see --provider, --candidates)")
    parser.add_argument("--provider", default=DEFAULT_PROVIDER, metavar="P",
                        help=f"with --generate: who makes the stills: {', '.join(provider_names())} "
                             f"(default: {DEFAULT_PROVIDER}, an offline sketch; API keys come from the environment)")
    parser.add_argument("--model", metavar="M", help="with --generate: the provider's image model")
    parser.add_argument("--shots", metavar="IDS", help="with --generate: only these shots, comma separated")
    parser.add_argument("--candidates", type=positive, default=1, metavar="N",
                        help="with --generate: how many candidates each shot should have (those made count)")
    parser.add_argument("--concurrency", type=positive, metavar="N", help="with --generate: jobs at once")
    parser.add_argument("--workflow", metavar="FILE", help="ComfyUI: the API-format image workflow file to run")
    parser.add_argument("--poll-interval", type=float, metavar="SECONDS",
                        help="seconds between polls of a job (default: what the provider advises)")
    parser.add_argument("--dry-run", action="store_true",
                        help="with --generate: print every still that would be made and its estimated cost; "
                             "send and write nothing")
    parser.add_argument("--choose", nargs=2, metavar=("SHOT", "CANDIDATE"),
                        help="make a candidate (c001) the shot's board, where its board lives, with its sidecar")


def run(args: argparse.Namespace) -> int:
    film = load_project(args.project)
    if args.choose and args.generate:
        raise ShotreelError("--choose and --generate do not go together: generate first, look, then choose")
    if args.choose:
        return _choose(film, args)
    if args.generate:
        return _generate(film, args)
    boards = None
    if not args.sheet:
        bar = ProgressBar("boards")
        try:
            boards = draw_boards(film, bar, force=args.force)
        finally:
            bar.close()
    sheet = _sheet(film)
    for line in dict.fromkeys(_warning(p) for p in (boards.warnings if boards else []) + sheet.warnings):
        print(line)  # once each, in order
    if boards is not None:
        chosen = f", {len(boards.chosen)} chosen from candidates" if boards.chosen else ""
        print(f"boards: {len(boards.written)} drawn, {len(boards.unchanged)} up to date, "
              f"{len(boards.kept)} artist board{'s' if len(boards.kept) != 1 else ''} kept{chosen}")
    _print_sheet(sheet)
    return 0


def _sheet(film):
    bar = ProgressBar("contact")
    try:
        return contact_sheet(film, bar)
    finally:
        bar.close()


def _print_sheet(sheet) -> None:
    extra = f", {sheet.candidates} candidate{'s' if sheet.candidates != 1 else ''}" if sheet.candidates else ""
    print(f"contact sheet: {sheet.png}  ·  {sheet.pdf} ({sheet.pages} page{'s' if sheet.pages != 1 else ''}{extra})")


def _generate(film, args: argparse.Namespace) -> int:
    from ..generated_boards import generate_boards

    options: dict[str, object] = {}
    if args.workflow:
        options["image_workflow"] = str(Path(args.workflow).resolve())
    if args.poll_interval is not None:
        options["poll_interval"] = args.poll_interval
    if args.concurrency is not None:
        options["max_concurrency"] = args.concurrency
    shots = [s.strip() for s in args.shots.split(",") if s.strip()] if args.shots else None
    stop = threading.Event()
    bar = ProgressBar("stills")
    try:
        made = generate_boards(film, args.provider, shots=shots, candidates=args.candidates, model=args.model,
                               dry_run=args.dry_run, concurrency=args.concurrency,
                               progress=None if args.dry_run else bar, stop=stop, options=options)
    finally:
        bar.close()
    summary = made.generation
    if args.dry_run:
        return _print_dry_run(film, made)
    order = {shot.id: index for index, shot in enumerate(film.shots())}
    summary.done.sort(key=lambda o: (order.get(o.shot, len(order)), o.take))
    for outcome in summary.done:
        print(f"done     {outcome.key}  {relative(film, outcome.path) if outcome.path else ''}"
              + (f"  (note: {outcome.message})" if outcome.message else ""))
    for outcome in summary.failed:
        print(f"{outcome.state:<8} {outcome.key}  {outcome.message}")
    for outcome in summary.unknown:
        print(f"unknown  {outcome.key}  {outcome.message}")
    for outcome in summary.waiting:
        print(f"waiting  {outcome.key}  {outcome.message}")
    for shot, reason in made.skipped + list(summary.skipped):
        print(f"skipped  {shot}  {reason}")
    print(f"stills: {len(summary.done)} made, {len(summary.failed)} failed · ${summary.spent:.2f} spent "
          f"(estimated ${summary.estimated_cost:.2f})")
    if summary.error is not None:
        raise summary.error
    sheet = _sheet(film)
    _print_sheet(sheet)
    if summary.done:
        first = summary.done[0]
        print(f"look at the contact sheet, then: shotreel boards {args.project} --choose {first.shot} "
              f"{first.take.removesuffix('-end')}")
    return 0 if summary.ok else 1


def _print_dry_run(film, made) -> int:
    return print_dry_run(film, made.generation, made.jobs, made.skipped, "still")


def _choose(film, args: argparse.Namespace) -> int:
    from ..generated_boards import choose_candidate

    shot, candidate = args.choose
    chosen = choose_candidate(film, shot, candidate)
    for path in chosen.written:
        print(f"board    {relative(film, path)}  ← {candidate}")
    for line in chosen.kept:
        print(f"kept     {line}")
    _print_sheet(_sheet(film))
    return 0


def _warning(problem: Problem) -> str:
    where = f"{problem.file}:{problem.line}: " if problem.file and problem.line else (
        f"{problem.file}: " if problem.file else "")
    who = f"shot {problem.shot}: " if problem.shot else ""
    return f"{where}warning: {who}{problem.message}"
