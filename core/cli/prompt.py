"""Show the generation request a shot makes: prompt, boards, duration and seed, as a provider gets them."""

from __future__ import annotations

import argparse

from ..errors import ShotreelError
from ..generation.registry import DEFAULT_PROVIDER, get_provider, provider_names
from ..project import load_project
from ..prompts import DEFAULT_TAKE, render_prompt

NAME = "prompt"
HELP = "print the request a shot makes for a provider (prompt, start/end boards, duration, seed)"
ORDER = 34


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("project", metavar="DIR", help="the project folder")
    parser.add_argument("shot", metavar="SHOT", help="the shot id (sh010)")
    parser.add_argument("--provider", default=DEFAULT_PROVIDER, metavar="P",
                        help=f"map the request to this provider: {', '.join(provider_names())} "
                             f"(default: {DEFAULT_PROVIDER})")
    parser.add_argument("--model", metavar="M", help="the provider's model (default: the provider's default)")
    parser.add_argument("--take", default=DEFAULT_TAKE, metavar="T", help=f"the take id (default {DEFAULT_TAKE})")
    parser.add_argument("--seed", type=int, metavar="S", help="the seed (default: derived from shot and take)")


def run(args: argparse.Namespace) -> int:
    film = load_project(args.project)
    shot = film.shot(args.shot)
    if shot is None:
        known = ", ".join(s.id for s in film.shots())
        raise ShotreelError(f"no shot {args.shot!r} in the film (shots: {known})", file=film.source)
    provider = get_provider(args.provider)
    print(render_prompt(film, shot, provider, args.model, args.take, args.seed))
    return 0
