"""Send Choices: the editor's timeline in Resolve back to the project's ``selects.yaml``.

Each video item is read as Resolve holds it (record frames, the media its selected take plays, from
which frame) and handed to :func:`shotreel.nle.read_choices`, which writes it as an OTIO cut
(``edit/resolve-edit.otio``) and syncs from it exactly as ``shotreel sync`` does on a cut exported from
that timeline. Nothing about shots and takes is decided here.
"""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

from shotreel import timing
from shotreel.cuts import STILL_SUFFIXES
from shotreel.nle import HostItem, read_choices
from shotreel.project import load_project
from shotreel.sync import SyncResult

from .api import Log, call, file_path, track_items
from .compat import Profile
from .importer import current_project
from .takes import current_timeline

EDIT_FILE = Path("edit") / "resolve-edit.otio"


def host_items(timeline: object) -> list[HostItem]:
    """Every video item of ``timeline`` as plain data (its selected take's media for a take selector)."""
    items = []
    for track in range(1, int(call(timeline, "GetTrackCount", "video") or 0) + 1):
        if call(timeline, "GetIsTrackEnabled", "video", track) is False:
            continue
        for item in track_items(timeline, track):
            clip = call(item, "GetMediaPoolItem")
            path = file_path(clip)
            rate = call(clip, "GetClipProperty", "FPS") if clip is not None else None
            try:
                fps = timing.rate_from_otio(float(rate)) if rate not in (None, "") else None
            except (TypeError, ValueError):
                fps = None
            enabled = call(item, "GetClipEnabled")
            items.append(HostItem(name=str(call(item, "GetName") or (Path(path).name if path else "")), track=track,
                                  record_in=int(call(item, "GetStart")), record_out=int(call(item, "GetEnd")),
                                  path=path, source_in=int(call(item, "GetLeftOffset") or 0),
                                  rate=Fraction(fps) if fps else None, enabled=enabled is not False,
                                  still=bool(path) and Path(path).suffix.lower() in STILL_SUFFIXES))
    return items


def send_choices(resolve: object, profile: Profile, project_dir: str | os.PathLike, log: Log,
                 dry_run: bool = False) -> SyncResult:
    """Write the current timeline's choices (selected takes, trims, lengths) into ``selects.yaml``."""
    film = load_project(project_dir)
    timeline = current_timeline(current_project(resolve))
    items = host_items(timeline)
    root = film.root or Path(project_dir)
    result = read_choices(film, items, root / EDIT_FILE, start_frame=int(call(timeline, "GetStartFrame")),
                          dry_run=dry_run)
    for line in result.lines():
        log(line)
    if result.written:
        log(f"wrote {result.written} ({len(result.changes)} change(s)) from {call(timeline, 'GetName')!r}")
    elif not result.changes:
        log("nothing to send: the project already says what the timeline shows")
    return result
