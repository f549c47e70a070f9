"""List the generation jobs in the project's ledger; release a job whose submit may have reached the provider."""

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


def run(args: argparse.Namespace) -> int:
    path = project_file(args.project)
    if not path.is_file():
        raise ProjectError("no shotreel.yaml here; give the project folder", file=str(path))
    root = path.parent
    if args.forget or args.resubmit:
        with Ledger.open(root) as ledger:
            if args.forget:
                record = ledger.forget(args.forget)
                print(f"forgot {record.key}: it stays in the ledger as canceled; `shotreel generate "
                      f"{args.project}` will plan a new take for shot {record.shot}")
            else:
                record = ledger.resubmit(args.resubmit)
                print(f"{record.key} is pending again: `shotreel generate {args.project}` will submit it")
        return 0
    ledger = Ledger.open_readonly(root)
    if ledger is None:
        print("no generation jobs yet (the ledger is made by `shotreel generate`)")
        return 0
    with ledger:
        records = ledger.jobs({args.state} if args.state else None)
    _print_table(records, time.time())
    unknown = [r for r in records if r.state == L.UNKNOWN_SUBMIT]
    if unknown:
        print(f"{len(unknown)} job(s) may exist at the provider without shotreel knowing: check the provider's "
              f"dashboard, then `shotreel jobs {args.project} --forget SHOT/TAKE` or `--resubmit SHOT/TAKE`")
    return 0


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
