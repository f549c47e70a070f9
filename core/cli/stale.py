"""List the boards, takes and reference views made from inputs that have changed since, and which input.

Each line names one and every input that is not what it was:
``sh040 take t002: asset mara: reference refs/mara/front.png changed``. Exit status: 0 when nothing needs
making again, 1 when a shot has no take made from its current inputs (``shotreel generate DIR --stale``
makes one), or a generated board or view is stale; a stale take of a shot that also has a current take is
listed but does not by itself make it 1. 2: the project cannot be read.
"""

from __future__ import annotations

import argparse
import json

from ..project import load_project
from ..stale import stale_report
from .terminal import ProgressBar

NAME = "stale"
HELP = "list the boards and takes whose inputs changed (asset references, descriptions, style, the shot)"
ORDER = 37


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("project", metavar="DIR", help="the project folder")
    parser.add_argument("--json", action="store_true", help="print the report as JSON, for tools")
    parser.epilog = ("exit status: 0 nothing to make again; 1 a shot without a take made from its current inputs "
                     "(`shotreel generate DIR --stale` makes one), or a stale generated board or view; "
                     "2 the project cannot be read")


def run(args: argparse.Namespace) -> int:
    film = load_project(args.project)
    bar = ProgressBar("stale")
    try:
        report = stale_report(film, progress=bar)
    finally:
        bar.close()
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        for item in report.stale:
            print(item)
        if report.stale:
            print()
        print(report.summary())
    return 1 if report.needs_work else 0
