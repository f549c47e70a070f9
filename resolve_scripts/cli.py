"""DaVinci Resolve from a terminal: import the reel, update or replace takes, send choices, conform media.

Also installs the same actions in Resolve's Workspace ▸ Scripts menu.

``shotreel resolve import DIR`` needs Resolve Studio running with external scripting on (Preferences ▸
System ▸ General); when Resolve cannot be scripted from here (the free edition, 21.1+ free with no Python
at all) it says why and writes the Resolve-shaped OTIO and an FCP7 XML for File ▸ Import ▸ Timeline.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from shotreel.build import refuse_errors
from shotreel.checks import run_checks
from shotreel.cli.terminal import ProgressBar
from shotreel.interchange import write_reel
from shotreel.project import load_project
from shotreel.reel import build_reel
from shotreel.transcode import CODECS, editorial_media

from . import conform, importer, install, menu, send, takes
from .connect import ResolveUnavailable, connect

NAME = "resolve"
HELP = "DaVinci Resolve: import the reel, update/replace takes, send choices, conform, install the menu"
ORDER = 45
FILES = (Path("edit") / "reel-resolve.otio", Path("edit") / "reel-resolve.xml")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    one = sub.add_parser("import", help="the reel as a new timeline (takes in take selectors, markers, bins)")
    one.add_argument("project", metavar="DIR")
    one.add_argument("--media", choices=sorted(CODECS), help="import editorial transcodes of the takes (PCM sound): "
                     "the free Resolve on Linux cannot decode H.264")
    one.add_argument("--files", action="store_true", help="only write the files for File ▸ Import ▸ Timeline")
    up = sub.add_parser("update", help="new takes into the take selectors, the editor's trims and choices kept")
    up.add_argument("project", metavar="DIR")
    rep = sub.add_parser("replace", help="put one take on screen in one shot's item only")
    rep.add_argument("project", metavar="DIR")
    rep.add_argument("shot", metavar="SHOT")
    rep.add_argument("take", metavar="TAKE")
    snd = sub.add_parser("send", help="the timeline's selected takes and trims into selects.yaml")
    snd.add_argument("project", metavar="DIR")
    snd.add_argument("--dry-run", action="store_true", help="show the changes, write only edit/resolve-edit.otio")
    con = sub.add_parser("conform", help="relink offline media to the files on disk; optional editorial media")
    con.add_argument("project", metavar="DIR")
    con.add_argument("--media", choices=sorted(CODECS), help="also transcode every take into edit/media/")
    ins = sub.add_parser("install", help="add shotreel to Workspace ▸ Scripts")
    ins.add_argument("--all-users", action="store_true", help="the system Scripts folder (needs admin rights)")
    ins.add_argument("--project", metavar="DIR", help="the project the menu actions use")
    uni = sub.add_parser("uninstall", help="remove exactly what install wrote")
    uni.add_argument("--all-users", action="store_true")


def _log(line: str) -> None:
    print(line, flush=True)


def _transcodes(project: str, codec: str) -> dict[str, str]:
    film = load_project(project)
    bar = ProgressBar(f"{codec} media")
    try:
        result = editorial_media(film, codec, progress=bar)
    finally:
        bar.close()
    print(f"{codec}: {len(result.made)} take(s) transcoded, {len(result.media) - len(result.made)} up to date")
    return {take: str(path) for take, path in result.media.items()}


def write_files(project: str) -> list[Path]:
    """The reel as Resolve's File ▸ Import ▸ Timeline takes it: the Resolve-shaped OTIO and an FCP7 XML."""
    film = load_project(project)
    report = run_checks(film)
    refuse_errors(report)
    root = film.root or Path(project)
    timeline = build_reel(film, findings=report.findings)
    written = []
    for relative in FILES:
        write_reel(timeline, root / relative, for_resolve=relative.suffix == ".otio")
        written.append(root / relative)
    return written


def run(args: argparse.Namespace) -> int:
    action = args.action
    if action == "install":
        files = install.install(args.all_users, args.project)
        print(f"installed {len(files)} scripts in {files[0].parent}: restart Resolve, then Workspace ▸ Scripts ▸ "
              "shotreel")
        return 0
    if action == "uninstall":
        removed, kept = install.uninstall(args.all_users)
        print(f"removed {len(removed)} script(s)")
        for path in kept:
            print(f"kept {path}: edited since it was installed")
        return 0
    if action == "import" and args.files:
        for path in write_files(args.project):
            print(f"wrote {path}")
        return 0
    media = _transcodes(args.project, args.media) if getattr(args, "media", None) else None
    try:
        resolve, profile = connect()
    except ResolveUnavailable as exc:
        print(f"shotreel: {exc.message}")
        if action == "import":
            for path in write_files(args.project):
                print(f"wrote {path}")
            print("import it by hand: File ▸ Import ▸ Timeline (the OTIO on Resolve 18.6+, else the XML)")
        return 1
    print(f"connected to {profile.label}")
    menu.remember(args.project)
    if action == "import":
        importer.import_reel(resolve, profile, args.project, _log, media_paths=media)
    elif action == "update":
        result = takes.update_takes(resolve, profile, args.project, _log)
        return 1 if result.problems and not (result.added or result.new_items) else 0
    elif action == "replace":
        takes.replace_take(resolve, profile, args.project, args.shot, args.take, _log)
    elif action == "send":
        result = send.send_choices(resolve, profile, args.project, _log, dry_run=args.dry_run)
        return 1 if result.matched == 0 else 0
    elif action == "conform":
        found = conform.conform_media(resolve, profile, args.project, _log, media_paths=media)
        return 1 if found.missing else 0
    return 0
