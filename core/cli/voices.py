"""Hosted voices: the lines of characters whose voice is a TTS service's, spoken by it and kept with the project.

A character with ``voice: elevenlabs:VOICE_ID`` on its asset has its lines spoken by ElevenLabs through the
same engine as takes (ledger, ``--dry-run`` prices every line per character, never paid twice; the key from
``ELEVENLABS_API_KEY``). Each clip lands in ``voices/<shot>-<n>.mp3`` with a sidecar; ``shotreel build`` then
mixes it in place of eSpeak NG's scratch voice, and the disclosure says those voices are AI-generated. Nothing
here runs unless asked: ``build`` never calls a service.
"""

from __future__ import annotations

import argparse
import threading

from ..finishing.voices import make_hosted_voices, voice_jobs
from ..project import load_project
from .terminal import ProgressBar

NAME = "voices"
HELP = "speak the lines of characters with a hosted voice (voice: elevenlabs:ID); --dry-run prices them"
ORDER = 56


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("project", metavar="DIR", help="the project folder")
    parser.add_argument("--model", metavar="M", help="the service's voice model (default: the service's)")
    parser.add_argument("--concurrency", type=int, metavar="N", help="lines at the service at once")
    parser.add_argument("--dry-run", action="store_true",
                        help="print every line that would be spoken and its estimated cost; send and write nothing")


def run(args: argparse.Namespace) -> int:
    film = load_project(args.project)
    if not voice_jobs(film):
        print("no character has a hosted voice (voice: elevenlabs:VOICE_ID on its asset); nothing to do")
        return 0
    bar = None if args.dry_run else ProgressBar("voices")
    try:
        results = make_hosted_voices(film, dry_run=args.dry_run, model=args.model, concurrency=args.concurrency,
                                     progress=bar, stop=threading.Event())
    finally:
        if bar is not None:
            bar.close()
    status = 0
    for summary in results:
        if args.dry_run:
            for request, cost in zip(summary.requests, summary.costs, strict=True):
                print(f"{request.shot_id}/{request.take_id}  {request.extra.get('voice_id')}  “{request.prompt}”")
                print(f"  cost   {cost.explanation}")
            for outcome in summary.invalid:
                print(f"would fail: {outcome.key}: {outcome.message}")
            if summary.missing_keys:
                print(f"would fail: missing {' and '.join(summary.missing_keys)}: set it in the environment")
            count = len(summary.requests)
            print(f"dry run: {count} line{'s' if count != 1 else ''} with {summary.provider}/{summary.model}, "
                  f"estimated cost ${summary.estimated_cost:.4f}; nothing was sent")
            status = max(status, 1 if summary.would_fail else 0)
            continue
        for outcome in summary.done:
            where = outcome.path.relative_to(film.root).as_posix() if outcome.path and film.root else ""
            print(f"done     {outcome.key}  {where}" + (f"  ({outcome.message})" if outcome.message else ""))
        for label, outcomes in (("failed", summary.failed), ("unknown", summary.unknown),
                                ("waiting", summary.waiting)):
            for outcome in outcomes:
                print(f"{label:<8} {outcome.key}  {outcome.message}")
        for owner, reason in summary.skipped:
            print(f"skipped  {owner}  {reason}")
        print(f"voices ({summary.provider}): {len(summary.done)} made, {len(summary.failed)} failed · "
              f"${summary.spent:.4f} spent (estimated ${summary.estimated_cost:.4f})")
        status = max(status, 0 if summary.ok else 1)
    return status
