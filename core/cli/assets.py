"""Asset reference sheets (refs/<asset>/sheet.png): views made with an image model, approved by name.

Each asset's views are laid side by side in ``refs/<asset>/sheet.png``, labelled approved or not.

Without ``--provider`` nothing is generated: the sheet lays out the references you already have and the views
still to make. ``--provider P`` makes the missing views (``refs/<asset>/<view>.png`` with a provenance sidecar
each) through the same engine as takes: ledger, costs, ``--dry-run``, never paid twice. ``--approve VIEW…``
and ``--revoke VIEW…`` record which views feed boards and takes (in ``approvals.yaml``; ``shotreel.yaml`` is
never rewritten). ``--json`` prints what each sheet shows for tools.
"""

from __future__ import annotations

import argparse
import json
import threading

from ..assets import AssetError, approve_views, chosen_assets, make_assets, revoke_views, views_for
from ..generation.registry import provider_names
from ..project import load_project
from ._args import positive
from ._stills import print_dry_run, relative
from .terminal import ProgressBar

NAME = "assets"
HELP = "asset reference sheets (refs/<asset>/sheet.png); --provider P makes the missing views; --approve VIEW…"
ORDER = 29


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("project", metavar="DIR", help="the project folder")
    parser.add_argument("assets", metavar="ASSET", nargs="*", help="only these assets (default: every asset)")
    parser.add_argument("--provider", metavar="P",
                        help=f"make the views each asset is missing with this image provider: "
                             f"{', '.join(provider_names())} (default: none, only the sheets are drawn; "
                             "API keys come from the environment)")
    parser.add_argument("--model", metavar="M", help="the provider's image model (default: the provider's)")
    parser.add_argument("--concurrency", type=positive, metavar="N", help="jobs at the provider at once")
    parser.add_argument("--workflow", metavar="FILE", help="ComfyUI: the API-format image workflow file to run")
    parser.add_argument("--poll-interval", type=float, metavar="SECONDS",
                        help="seconds between polls of a job (default: what the provider advises)")
    parser.add_argument("--approve", nargs="+", metavar="VIEW", default=[],
                        help="approve these views of the one ASSET named (front, profile …): they feed boards and "
                             "takes of every shot the asset is in")
    parser.add_argument("--revoke", nargs="+", metavar="VIEW", default=[],
                        help="withdraw the approval of these views of the one ASSET named (the files stay)")
    parser.add_argument("--stale", action="store_true",
                        help="with --provider, also make again the views `shotreel stale` lists (made from a "
                             "description, style or reference that changed since); an approved one among them loses "
                             "its approval first: look at the new one, then --approve it again")
    parser.add_argument("--dry-run", action="store_true",
                        help="print every view that would be made and its estimated cost; send and write nothing")
    parser.add_argument("--json", action="store_true", help="print each asset's references as JSON")


def run(args: argparse.Namespace) -> int:
    film = load_project(args.project)
    if args.stale and not args.provider:
        raise AssetError("--stale makes views again, so it needs --provider P")
    if args.approve or args.revoke:
        if len(args.assets) != 1:
            raise AssetError("--approve and --revoke need exactly one ASSET (shotreel assets DIR mara --approve front)")
        chosen_assets(film, args.assets)  # an unknown asset is named before anything else
        if args.approve:
            approved = approve_views(film, args.assets[0], args.approve)
            print(f"{args.assets[0]}: approved {', '.join(args.approve)} ({len(approved)} approved view"
                  f"{'s' if len(approved) != 1 else ''})")
        if args.revoke:
            revoke_views(film, args.assets[0], args.revoke)
            print(f"{args.assets[0]}: withdrew {', '.join(args.revoke)}")
        film = load_project(args.project)
    options: dict[str, object] = {}
    if args.workflow:
        from pathlib import Path
        options["image_workflow"] = str(Path(args.workflow).resolve())
    if args.poll_interval is not None:
        options["poll_interval"] = args.poll_interval
    bar = ProgressBar("assets")
    stop = threading.Event()
    try:
        result = make_assets(film, args.assets, args.provider, model=args.model, dry_run=args.dry_run,
                             concurrency=args.concurrency, progress=None if args.dry_run else bar, stop=stop,
                             options=options, stale=args.stale)
    finally:
        bar.close()
    summary = result.generation
    if args.dry_run:
        return _print_dry_run(film, result)
    if args.json:
        print(json.dumps({"assets": [_sheet_json(s) for s in result.sheets],
                          "made": [_outcome_path(o) for o in (summary.done if summary is not None else [])]}, indent=1))
    else:
        if summary is not None:
            _print_generation(film, summary)
        for ref in result.withdrawn:
            print(f"withdrawn {ref}: stale, so it no longer feeds boards and takes; approve the new one after "
                  "looking at it")
        for sheet in result.sheets:
            _print_sheet(film, sheet)
    if summary is not None and summary.error is not None:
        raise summary.error
    return 0 if summary is None or summary.ok else 1


def _sheet_json(sheet) -> dict:
    return {"asset": sheet.asset, "kind": sheet.kind, "sheet": str(sheet.sheet) if sheet.sheet else None,
            "views": [{"name": v.name, "path": v.ref, "exists": v.exists, "approved": v.approved,
                       "typed": v.typed} for v in sheet.views]}


def _outcome_path(outcome) -> str:
    return str(getattr(outcome, "path", "") or "")


def _print_sheet(film, sheet) -> None:
    made = [v for v in sheet.views if v.exists]
    approved = [v.name for v in made if v.approved]
    missing = [v.name for v in sheet.views if not v.exists]
    line = f"{sheet.asset} ({sheet.kind}): {len(made)} reference{'s' if len(made) != 1 else ''}"
    line += f", approved: {', '.join(approved)}" if approved else ", none approved"
    if missing:
        line += f"; not made yet: {', '.join(missing)}"
    print(line)
    if sheet.sheet is not None:
        print(f"  sheet: {relative(film, sheet.sheet)}")


def _print_generation(film, summary) -> None:
    order = {(f"asset:{asset.id}", view.name): (index, rank) for index, asset in enumerate(film.assets)
             for rank, view in enumerate(views_for(asset))}
    for outcome in sorted(summary.done, key=lambda o: order.get((o.shot, o.take), (len(order), 0))):
        where = relative(film, outcome.path) if outcome.path else ""
        print(f"done     {outcome.key}  {where}" + (f"  (note: {outcome.message})" if outcome.message else ""))
    for outcome in summary.failed:
        print(f"{outcome.state:<8} {outcome.key}  {outcome.message}")
    for outcome in summary.unknown:
        print(f"unknown  {outcome.key}  {outcome.message}")
    for outcome in summary.waiting:
        print(f"waiting  {outcome.key}  {outcome.message}")
    for owner, reason in summary.skipped:
        print(f"skipped  {owner}  {reason}")
    print(f"views: {len(summary.done)} made, {len(summary.failed)} failed · ${summary.spent:.2f} spent"
          f" (estimated ${summary.estimated_cost:.2f})")


def _print_dry_run(film, result) -> int:
    if result.generation is None:
        print("dry run: no --provider, so nothing would be made; the sheets would be drawn")
        return 0
    return print_dry_run(film, result.generation, result.jobs, (), "view")
