"""Check the story and the project for errors, and for advice that makes a first film better."""

from __future__ import annotations

import argparse
import json
import sys

from ..checks import check_project

NAME = "check"
HELP = "check the project: errors stop the build, warnings make the film better"
ORDER = 20


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("project", metavar="DIR", help="the project folder")
    parser.add_argument("--json", action="store_true", help="print the report as JSON, for tools")


def run(args: argparse.Namespace) -> int:
    report = check_project(args.project)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        for finding in report.findings:
            print(finding, file=sys.stdout)
        for shot, planned, cut in report.recut:
            print(f"cut: shot {shot}: {cut}f in the cut, planned {planned}f (the planned length is what "
                  "generation aims for)")
        if report.findings or report.recut:
            print()
        print(("ok: " if report.ok else "failed: ") + report.summary())
    return 0 if report.ok else 1
