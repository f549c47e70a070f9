"""The main job: check, board, fill missing takes offline, cut the film into DIR/edit/ with an animatic,
and export the finished film (edit/film.mp4: titles, disclosure, credits, the mix, captions)."""

from __future__ import annotations

import argparse

from .. import timing
from ..finishing.export import PRESETS

NAME = "build"
HELP = ("check, board, fill missing takes offline, cut the film into DIR/edit/ "
        "(reel.otio/.edl/.xml, contact sheet, animatic.mp4) and export it (film.mp4 with sound and captions)")
ORDER = 50


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("project", metavar="DIR", help="the project folder")
    parser.add_argument("--no-takes", dest="generate", action="store_false",
                        help="do not generate missing takes (boards show through in the reel)")
    parser.add_argument("--no-animatic", dest="animatic", action="store_false", help="do not render the animatic")
    parser.add_argument("--no-export", dest="export", action="store_false",
                        help="do not export the finished film (edit/film.mp4)")
    parser.add_argument("--preset", choices=PRESETS, default="web",
                        help="the film's export preset (default web: edit/film.mp4; review, master as "
                             "`shotreel export`); unsigned: sign with `shotreel export`")


def run(args: argparse.Namespace) -> int:
    from ..build import build
    from .terminal import ProgressBar

    bars: list[ProgressBar] = []

    def stage(name: str) -> ProgressBar:
        bars.append(ProgressBar(name))
        return bars[-1]

    try:
        result = build(args.project, stage, generate=args.generate, animatic=args.animatic, export=args.export,
                       preset=args.preset)
    finally:
        for bar in bars:
            bar.close()
    film, report = result.film, result.report
    print(f"{film.title}: {report.summary()}")
    for warning in report.warnings:
        print(f"  {warning}")
    print(f"boards: {len(result.boards.written)} drawn, {len(result.boards.unchanged)} up to date, "
          f"{len(result.boards.kept)} by artists")
    print(f"contact sheet: {result.sheet.png} ({result.sheet.pages}-page PDF beside it)")
    for note in result.notes:
        print(f"note: {note}")
    if result.generated:
        print(f"takes: {len(result.generated)} generated offline (animatic provider)")
    if result.mix:
        print(f"sound: {len(result.mix.voices.clips)} voices ({result.mix.voices.built} spoken), "
              f"{result.mix.summary()}")
    if result.captions:
        print(f"captions: {result.captions.srt.name}, {result.captions.vtt.name} "
              f"({len(result.captions.captions)} captions)")
    for path in result.reels:
        print(f"wrote {path}")
    if result.animatic:
        print(f"wrote {result.animatic.path} ({result.animatic.frames} frames, "
              f"{result.animatic.takes} shots from takes)")
    if result.export:
        made = result.export
        loud = f"{made.loudness:.1f} LUFS measured" if made.loudness is not None else "silent"
        print(f"wrote {made.path} ({made.frames} frames = title {made.title_frames} + disclosure "
              f"{made.disclosure_frames} + reel {made.reel_frames} + credits {made.credits_frames}; {loud}; "
              f"captions: {', '.join(p.name for p in made.captions) or 'none'})")
        print(f"  disclosure: {made.disclosure.sentence()}")
        print(f"  credential: {made.credential}")
    runtime = timing.format_runtime(film.runtime(), film.fps)
    print(f"done: {sum(1 for _ in film.shots())} shots, {runtime} at {timing.fps_label(film.fps)} fps, "
          f"starting {film.start_timecode}")
    return 0
