"""Draft a project from a screenplay (Fountain or Final Draft), or merge a revised script into one.

In a folder without a project, ``import-script SCRIPT DIR`` drafts one: beats from sections,
scenes and locations from headings, characters from who speaks, a shot per action paragraph or
``[[shot: …]]`` note with its dialogue, durations estimated from the words. On an existing
project it shows what the revised script changes and writes it only with ``--write`` (keeping
``shotreel.yaml.bak``); edits you made (camera, prompts, boards, durations …) are never undone.
"""

from __future__ import annotations

import argparse
import sys

from .. import timing
from ..screenplay.importer import import_script

NAME = "import-script"
HELP = "draft a project from a Fountain or Final Draft script, or merge a revised script into it"
ORDER = 15


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``shotreel import-script SCRIPT DIR [--fps] [--target] [--beat-level] [--title] [--dry-run | --write] [--diff]``."""
    parser.add_argument("script", help="the screenplay: .fountain (or .txt) or .fdx")
    parser.add_argument("project", help="the project folder (created when it holds no project)")
    parser.add_argument("--fps", type=timing.parse_fps, default=None,
                        help="film rate of a new project: 24 (default), 23.976, 25, 29.97, 30 …")
    parser.add_argument("--target", help="target runtime of a new project, e.g. 90s or 5m")
    parser.add_argument("--beat-level", type=int, metavar="N",
                        help="section level that makes beats (default: the deepest level the script uses)")
    parser.add_argument("--title", help="film title (default: the title page's, else the file name)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--dry-run", action="store_true", help="only show what would be drafted or changed")
    mode.add_argument("--write", action="store_true",
                      help="write the merge into an existing project (the old file is kept as shotreel.yaml.bak)")
    parser.add_argument("--diff", action="store_true", help="also print the merge as a diff of shotreel.yaml")


def run(args: argparse.Namespace) -> int:
    """Draft or merge, print the summary or the changes; 0 when done (errors exit 2 through the CLI)."""
    result = import_script(args.script, args.project, fps=args.fps, target=args.target,
                           beat_level=args.beat_level, title=args.title, write=args.write, dry_run=args.dry_run)
    for notice in result.notices:
        print(f"shotreel: note: {notice}", file=sys.stderr)
    if result.created:
        verb = "drafted" if result.written else "would draft (dry run, nothing written)"
        print(f"{verb} {result.project}: {result.summary()}")
        return 0
    for change in result.changes:
        print(change)
    if not result.changes:
        print("no changes: the project already follows the script")
    if args.diff and result.diff:
        sys.stdout.write(result.diff)
    print(f"runtime after the merge: {timing.format_runtime(result.runtime, result.fps)}"
          + (f" (target {timing.format_runtime(result.target, result.fps)})" if result.target else ""))
    if result.written:
        backup = f"; the previous file is {result.backup}" if result.backup else ""
        print(f"merged into {result.project}{backup}")
    elif args.dry_run:
        print("dry run: nothing written")
    elif not result.diff:
        print("shotreel.yaml needs no change" + ("" if not result.changes else "; run with --write to update the "
                                                 "record of this import"))
    else:
        print("nothing written: run again with --write to apply this (shotreel.yaml.bak keeps the old file), "
              "or --diff to see the edit")
    return 0
