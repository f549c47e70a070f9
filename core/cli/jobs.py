"""List the generation jobs in the project's ledger; release a job whose submit may have reached the provider, or
attach the job the user found on the provider's dashboard (``--attach SHOT/TAKE JOB_ID``: its result is fetched).

Stills (asset views, generated boards) are jobs like takes, named ``OWNER/TAKE`` (``asset:mara/front``,
``sh040/c001``); the note says where a still lands until it has, and which server holds a job where the
provider runs on several."""

from __future__ import annotations

import argparse
import time

from ..errors import ProjectError
from ..generation import ledger as L
from ..generation.ledger import JobRecord, Ledger
from ..project import project_file

NAME = "jobs"
HELP = "list the generation jobs in the ledger (take, shot, provider, state, job id, cost, age)"
ORDER = 36


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("project", metavar="DIR", help="the project folder")
    parser.add_argument("--state", metavar="S", choices=L.STATES, help=f"only jobs in this state ({', '.join(L.STATES)})")
    release = parser.add_mutually_exclusive_group()
    release.add_argument("--forget", metavar="SHOT/TAKE",
                         help="an unknown_submit job you checked the provider never created: release it (a later "
                              "`shotreel generate` makes a new take instead)")
    release.add_argument("--resubmit", metavar="SHOT/TAKE",
                         help="an unknown_submit job to send again on the next `shotreel generate` "
                              "(the provider may run and bill it twice)")
    release.add_argument("--release", metavar="SHOT/TAKE",
                         help="a refused job (moderated or invalid): let the next `shotreel generate` ask again "
                              "with the same request (a changed prompt, board, workflow or model needs no release)")
    release.add_argument("--attach", nargs=2, metavar=("SHOT/TAKE", "JOB_ID"),
                         help="an unknown_submit job you found on the provider's dashboard: follow that job "
                              "and fetch its result now (nothing is sent, nothing paid again)")


def run(args: argparse.Namespace) -> int:
    path = project_file(args.project)
    if not path.is_file():
        raise ProjectError("no shotreel.yaml here; give the project folder", file=str(path))
    root = path.parent
    if args.attach:
        return _attach(root, args.project, *args.attach)
    if args.release:
        with Ledger.open(root) as ledger:
            record = ledger.release(args.release)
        print(f"released {record.key}: `shotreel generate {args.project}` will ask for shot {record.shot} again")
        return 0
    if args.forget or args.resubmit:
        with Ledger.open(root) as ledger:
            if args.forget:
                record = ledger.forget(args.forget)
                print(f"forgot {record.key}: it stays in the ledger as canceled; `shotreel generate "
                      f"{args.project}` will plan a new take for shot {record.shot}")
            else:
                record = ledger.resubmit(args.resubmit)
                if record.destination:
                    again = "`shotreel voices`" if record.kind == "voice" else \
                        "`shotreel assets` or `shotreel boards --generate`"
                    print(f"{record.key} is pending again: the next run asking for {record.destination} "
                          f"({again}) will submit it")
                else:
                    print(f"{record.key} is pending again: `shotreel generate {args.project}` will submit it")
        return 0
    ledger = Ledger.open_readonly(root)
    if ledger is None:
        print("no generation jobs yet (the ledger is made by `shotreel generate`)")
        return 0
    from ..generation.scheduler import dashboard_hint, submitted_at

    with ledger:
        records = ledger.jobs({args.state} if args.state else None)
        hints = {r.key: dashboard_hint(r, submitted_at(ledger, r)) for r in records if r.state == L.UNKNOWN_SUBMIT}
    _print_table(records, time.time())
    for key, hint in hints.items():
        print(f"{key} may exist at the provider: {hint.replace('DIR', args.project)}")
    if hints:
        print(f"{len(hints)} job(s) may exist at the provider without shotreel knowing; `--resubmit SHOT/TAKE` "
              "sends one again (the provider may bill it twice)")
    return 0


def _attach(root, project: str, name: str, job_id: str) -> int:
    """Attach ``job_id`` to the unknown_submit job ``name``, then follow it and fetch its result."""
    from ..generation.ledger import project_lock, request_from_summary
    from ..generation.registry import get_provider
    from ..generation.scheduler import generate
    from ..project import load_project

    with Ledger.open(root) as ledger:
        record = ledger.find(name)
        provider = get_provider(record.provider)
    handle = provider.attach_handle(job_id, request_from_summary(record.request))
    with project_lock(root), Ledger.open(root) as ledger:
        record = ledger.attach(name, job_id, handle.data)
    print(f"{record.key} is now job {job_id} at {record.provider}; fetching its result")
    if record.destination:  # a still, a voice line: the run follows the provider's jobs and lands it there
        from ..generation.images import ImageJob, generate_files
        from ..generation.voices import VoiceJob

        job_type = VoiceJob if record.kind == "voice" else ImageJob
        summary = generate_files(load_project(project), [], provider, record.kind, job_type, model=record.model)
    else:
        summary = generate(load_project(project), shots=[record.shot], provider=provider, model=record.model)
    for outcome in summary.done:
        print(f"done     {outcome.key}  {outcome.path}")
    for outcome in summary.failed + summary.waiting + summary.unknown:
        print(f"{outcome.state:<8} {outcome.key}  {outcome.message}")
    return 0 if any(o.key == record.key for o in summary.done) else 1


def _age(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f}s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f}m"
    if seconds < 36 * 3600:
        return f"{seconds / 3600:.0f}h"
    return f"{seconds / 86400:.0f}d"


def _print_table(records: list[JobRecord], now: float) -> None:
    rows = [("TAKE", "SHOT", "PROVIDER", "MODEL", "STATE", "JOB ID", "COST", "AGE", "NOTE")]
    for r in records:
        cost = r.cost if r.cost is not None else r.estimated_cost
        cost_text = "-" if cost is None else (f"${cost:.2f}" if r.cost is not None else f"~${cost:.2f}")
        note = r.result_path or (f"{r.failure_kind}: {r.failure_message}" if r.failure_kind else "")
        if r.destination and not r.result_path:  # a still, a voice line: where it lands
            what = "voice clip" if r.kind == "voice" else "still"
            note = f"{what} for {r.destination}" + (f"; {note}" if note else "")
        if r.server:
            note = f"on {r.server}" + (f"; {note}" if note else "")
        rows.append((r.take, r.shot, r.provider, r.model, r.state, r.job_id or "-", cost_text,
                     _age(now - r.created), note))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False)) + "  " + row[-1])
    counts: dict[str, int] = {}
    for r in records:
        counts[r.state] = counts.get(r.state, 0) + 1
    spent = sum(r.cost or 0.0 for r in records if r.state == L.DONE or r.cost is not None)
    states = ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "none"
    print(f"{len(records)} job(s): {states} · ${spent:.2f} spent")
