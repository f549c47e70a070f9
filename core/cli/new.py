"""Start a new project folder holding the example film, ready to check, board and build."""

from __future__ import annotations

import argparse

from ..example import scaffold_example

NAME = "new"
HELP = "start a project from the example film (a lonely astronaut, a living plant, twelve shots)"
ORDER = 10


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("project", metavar="DIR", help="the new project folder (must not hold a project)")


def run(args: argparse.Namespace) -> int:
    path = scaffold_example(args.project)
    print(f"created {path}")
    print(f"next: shotreel check {args.project}  ·  shotreel build {args.project}")
    return 0
