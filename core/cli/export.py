"""Export the finished film: title, AI-use disclosure, the cut, credits, the mix, captions, a credential."""

from __future__ import annotations

import argparse
import sys

from .. import timing
from ..finishing.credentials import load_signing, make_test_signing
from ..finishing.export import PRESETS, WEB_LOUDNESS, export_film
from ..project import load_project
from . import EXIT_INPUT
from .terminal import ProgressBar

NAME = "export"
HELP = "export the finished film (web, review or master) with titles, disclosure, credits and a credential"
ORDER = 70


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("project", metavar="DIR", help="the project folder")
    parser.add_argument("--preset", choices=PRESETS, default="web",
                        help="web: H.264/AAC MP4 (default); review: with burnt-in shot ids, timecode, captions; "
                             "master: ProRes 422 HQ + PCM MOV with the start timecode")
    parser.add_argument("-o", "--output", metavar="FILE", help="where to write (default DIR/edit/film.mp4, "
                                                               "film-review.mp4, film-master.mov)")
    parser.add_argument("--sign-cert", metavar="PEM", help="your signing certificate chain for the C2PA credential")
    parser.add_argument("--sign-key", metavar="PEM", help="the private key of --sign-cert")
    parser.add_argument("--test-cert", action="store_true",
                        help="sign with a locally made TEST certificate (labelled as such; not for publishing)")
    parser.add_argument("--loudness", type=float, default=WEB_LOUDNESS, metavar="LUFS",
                        help=f"the mix's loudness target (default {WEB_LOUDNESS:g}; -23 for EBU R128 broadcast)")


def run(args: argparse.Namespace) -> int:

    if bool(args.sign_cert) != bool(args.sign_key) or (args.test_cert and args.sign_cert):
        print("shotreel: error: give --sign-cert with --sign-key, or --test-cert alone", file=sys.stderr)
        return EXIT_INPUT
    signing = load_signing(args.sign_cert, args.sign_key) if args.sign_cert else None
    if args.test_cert:
        signing = make_test_signing()
    film = load_project(args.project)
    bar = ProgressBar("export")
    try:
        result = export_film(film, args.preset, args.output, signing, args.loudness, progress=bar)
    finally:
        bar.close()
    for warning in result.warnings:
        print(f"  {warning}")
    fps = timing.fps_label(result.fps)
    print(f"export ({result.preset}): {result.path}  {result.width}x{result.height} at {fps} fps")
    print(f"  frames    : {result.frames} ({timing.format_runtime(result.frames, result.fps)}) = "
          f"title {result.title_frames} + disclosure {result.disclosure_frames} + reel {result.reel_frames} "
          f"(the reel's own length) + credits {result.credits_frames}; read back from the file")
    sound = (f"{result.loudness:.1f} LUFS integrated (measured from the file)" if result.loudness is not None
             else "silent")
    print(f"  sound     : {sound}; {'the mix' if result.mixed else 'no mix installed: silence of the exact length'}")
    print(f"  captions  : {', '.join(str(p) for p in result.captions) or 'none'}")
    print(f"  disclosure: {result.disclosure.sentence()}")
    print(f"  credential: {result.credential}" + ("  — a TEST certificate proves nothing about who made the film"
                                                 if signing is not None and signing.test else ""))
    for note in result.notes:
        print(f"  note: {note}")
    print(f"  took {result.seconds:.1f}s")
    return 0
