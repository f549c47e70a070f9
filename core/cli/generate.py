"""Generate takes from the boards with a video provider; safe to interrupt and to run again.

``--dry-run`` prints every request, each take's estimated cost with the reason (the length the provider
bills for the shot, the rate, the model) and the total, and what would stop the real run: a key missing
from the environment (named by its variable, never its value) or a request the provider would refuse. It
exits 1 when the real run would fail, so scripts notice, else 0. A real run that cannot start (a missing
key, a bad provider option, an unknown model) fails with one line, exit 2, before anything is recorded.
"""

from __future__ import annotations

import argparse
import sys
import threading
from pathlib import Path

from ..errors import ShotreelError
from ..generation.base import Provider
from ..generation.registry import DEFAULT_PROVIDER, provider_names
from ..generation.scheduler import GenerationSummary, generate, provider_for
from ..generation.servers import ServerPool, parse_servers
from ..project import load_project
from ..prompts import describe_request
from ._args import not_negative, positive
from ._stills import print_dry_run_end
from .terminal import ProgressBar

NAME = "generate"
HELP = "generate takes from the boards (default provider: the offline animatic); --dry-run to price it first"
ORDER = 35


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("project", metavar="DIR", help="the project folder")
    parser.add_argument("--provider", metavar="P",
                        help=f"who renders the takes: {', '.join(provider_names())} (default: {DEFAULT_PROVIDER}; "
                             "API keys come from the environment)")
    parser.add_argument("--comfyui", metavar="URL[,URL…]",
                        help="ComfyUI servers to spread the jobs over (e.g. http://gpu-1:8188,http://gpu-2:8188), "
                             "each running --concurrency jobs at once; a server that cannot be reached is named at "
                             "once and its jobs go to the others")
    parser.add_argument("--model", metavar="M", help="the provider's model (default: the provider's default)")
    parser.add_argument("--shots", metavar="IDS", help="only these shots, comma separated (sh010,sh020)")
    parser.add_argument("--takes", type=positive, default=1, metavar="N",
                        help="how many takes each shot should have; takes on disk and jobs still running count "
                             "(default 1), so running the command again never pays twice")
    parser.add_argument("--new", action="store_true",
                        help="make N new takes per shot even when the shot has takes already (regenerate)")
    parser.add_argument("--concurrency", type=positive, metavar="N",
                        help="jobs at the provider at once: your account's limit there (default: the provider's "
                             "usual entry-level limit, e.g. 2 on Runway; the number of cores for the animatic)")
    parser.add_argument("--queue-ahead", type=not_negative, metavar="N",
                        help="jobs kept waiting in the provider's own queue besides the running ones, so a "
                             "slot that comes free starts the next job at once (default: a quarter of "
                             "--concurrency, at least 1, on providers that queue: runway, fal, replicate, "
                             "comfyui; 0 elsewhere). They are paid like the others when they run")
    parser.add_argument("--seed", type=int, metavar="S", help="seed of the first new take (the next take S+1 …)")
    parser.add_argument("--workflow", metavar="FILE", help="ComfyUI: the API-format workflow file to run")
    parser.add_argument("--poll-interval", type=float, metavar="SECONDS",
                        help="seconds between polls of a job (default: what the provider advises)")
    parser.add_argument("--stale", action="store_true",
                        help="only the shots whose every take is stale (`shotreel stale DIR`): one new take each; "
                             "with --dry-run, the price of exactly those")
    parser.add_argument("--dry-run", action="store_true",
                        help="print every request, each take's estimated cost and why, and any missing key; "
                             "send nothing, record nothing (exit 1 when the real run would fail)")


def run(args: argparse.Namespace) -> int:
    film = load_project(args.project)
    options: dict[str, object] = {}
    if args.workflow:
        options["workflow"] = str(Path(args.workflow).resolve())
    if args.concurrency is not None:
        options["max_concurrency"] = args.concurrency
    if args.poll_interval is not None:
        options["poll_interval"] = args.poll_interval
    shots = [s for s in args.shots.split(",") if s.strip()] if args.shots else None
    if args.stale:
        shots = _stale_shots(film, shots)
        if not shots:
            print("nothing stale: every shot with takes has one made from its current inputs")
            return 0
    provider: str | Provider = args.provider or ("comfyui" if args.comfyui else DEFAULT_PROVIDER)
    if args.comfyui:
        if provider != "comfyui":
            raise ShotreelError(f"--comfyui runs the jobs on ComfyUI servers; it cannot go with --provider {provider}")
        options.pop("max_concurrency", None)  # each server's own, given to provider_for
        provider = provider_for("comfyui", options, parse_servers(args.comfyui), args.concurrency)
        if isinstance(provider, ServerPool):
            provider.on_down = lambda url, message: print(
                f"error: server {url} cannot be reached: {message}; its jobs go to the other servers",
                file=sys.stderr, flush=True)
    stop = threading.Event()
    bar = ProgressBar("generate")
    try:
        summary = generate(film, shots=shots, provider=provider, takes_per_shot=args.takes,
                           concurrency=args.concurrency, dry_run=args.dry_run, progress=None if args.dry_run else bar,
                           options=options, model=args.model, seed=args.seed, new_takes=args.new or args.stale, stop=stop,
                           queue_ahead=args.queue_ahead)
    finally:
        bar.close()
    if args.dry_run:
        _print_dry_run(film, summary)
        return 1 if summary.would_fail else 0
    _print_summary(summary, args.project)
    if summary.error is not None:
        raise summary.error
    if summary.stopped == "interrupted":
        return 130
    return 0 if summary.ok else 1


def _stale_shots(film, wanted: list[str] | None) -> list[str]:
    """The shots ``--stale`` regenerates (of ``wanted``, when given): those with no take made from their
    current inputs. Prints why, one line per stale take."""
    from ..errors import ShotreelError
    from ..stale import TAKE, stale_report

    known = {shot.id for shot in film.shots()}
    unknown = [s for s in wanted or [] if s not in known]
    if unknown:
        raise ShotreelError(f"no shot {unknown[0]!r} in the film", file=film.source)
    report = stale_report(film)
    chosen = [s for s in report.to_regenerate if wanted is None or s in wanted]
    for item in report.of_kind(TAKE):
        if item.shot in chosen:
            print(f"stale {item}")
    return chosen


def _print_dry_run(film, summary: GenerationSummary) -> None:
    for request in summary.requests:
        print(describe_request(film, request))
    for shot, reason in summary.skipped:
        print(f"skipped shot {shot}: {reason}")
    if summary.reconciled:
        print(f"{len(summary.reconciled)} job(s) still at the provider would be followed first "
              f"({', '.join(summary.reconciled[:6])}{' …' if len(summary.reconciled) > 6 else ''})")
    for outcome in summary.unknown:
        print(f"{outcome.key} may exist at the provider (unknown_submit): not sent again; see `shotreel jobs`")
    if summary.requests:
        print(f"cost of each take (estimates{': ' + summary.billing if summary.billing else ''}):")
        for request, cost in zip(summary.requests, summary.costs, strict=True):
            print(f"  {request.shot_id}/{request.take_id}  {cost.explanation}")
    print_dry_run_end(summary, "take")


def _print_summary(summary: GenerationSummary, project: str) -> None:
    for outcome in summary.done:
        print(f"done     {outcome.key}  {outcome.path}" + (f"  (note: {outcome.message})" if outcome.message else ""))
    for outcome in summary.failed:
        print(f"{outcome.state:<8} {outcome.key}  {outcome.message}")
    for outcome in summary.unknown:
        print(f"unknown  {outcome.key}  {outcome.message.replace('DIR', project)}\n         not sent again; "
              f"`shotreel jobs {project} --resubmit {outcome.key}` sends it again (it may be paid twice)")
    for outcome in summary.waiting:
        print(f"waiting  {outcome.key}  {outcome.message}")
    for shot, reason in summary.skipped:
        print(f"skipped  {shot}  {reason.replace('DIR', project)}")
    for provider, count in sorted(summary.other_providers.items()):
        print(f"note: {count} unfinished job(s) of provider {provider}; run with --provider {provider} to finish them")
    for url, message in summary.servers_down.items():
        print(f"error: server {url} could not be reached ({message}); its jobs went to the other servers")
    line = (f"generate: {len(summary.done)} done, {len(summary.failed)} failed, {len(summary.unknown)} unknown, "
            f"{len(summary.waiting)} waiting · ${summary.spent:.2f} spent (estimated ${summary.estimated_cost:.2f})"
            f" · {summary.elapsed:.1f} s")
    if summary.stopped:
        line += f" · {summary.stopped}"
    print(line)
    if summary.waiting and not summary.error:
        print(f"run `shotreel generate {project}` again to finish the waiting jobs", file=sys.stderr)
