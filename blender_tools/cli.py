"""Blender from a terminal: ``shotreel blender package`` builds the extension zips, one per platform.

Each zip holds the extension and every dependency as wheels (the shotreel core, OpenTimelineIO and its
adapters, PyYAML, Pillow, fpdf2, the ffmpeg wheel …) and installs in Blender 4.2 to 5.0 with Edit ▸
Preferences ▸ Get Extensions ▸ Install from Disk. Built and validated by Blender's own extension tool.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from . import package

NAME = "blender"
HELP = "Blender: build the extension zips for Install from Disk (one per platform, dependencies inside)"
ORDER = 44


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    pkg = sub.add_parser("package", help="the extension zip for each platform, every dependency as wheels")
    pkg.add_argument("--platform", action="append", choices=sorted(package.PLATFORM_TAGS), metavar="PLATFORM",
                     help="linux-x64, windows-x64, macos-arm64, macos-x64 … (repeatable; "
                          "default: every platform the manifest lists)")
    pkg.add_argument("-o", "--output", metavar="DIR", default="dist", help="where the zips go (default: dist)")
    pkg.add_argument("--source", metavar="DIR", help="the shotreel checkout (default: the one shotreel runs from)")
    pkg.add_argument("--wheel-cache", metavar="DIR", default=str(package.WHEEL_CACHE),
                     help="the downloaded wheels, reused by the next build (default: %(default)s)")
    pkg.add_argument("--refresh", action="store_true", help="ask PyPI for the newest wheels, not the cache first")
    pkg.add_argument("--blender", metavar="PATH", help="a Blender executable to build and validate with "
                     "(default: the bpy wheel's tool, else blender on PATH)")


def run(args: argparse.Namespace) -> int:
    source = Path(args.source) if args.source else package.checkout()
    package.build_packages(source, Path(args.output), args.platform, blender=args.blender,
                           cache=Path(args.wheel_cache), refresh=args.refresh)  # says what it built
    return 0
