"""A small film for the finishing tests: 320x180, three shots, two with generated takes and sidecars."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from shotreel.media import ffmpeg_exe, probe, probe_to_dict

PROJECT = """\
title: Small Hours
fps: {fps}
resolution: 320x180
start_timecode: "01:00:00:00"
style: Quiet science fiction, amber lamps against cold blue steel.
{extra}
beats:
  - {{id: alone, title: Alone}}
scenes:
  - id: sc01
    heading: INT. CORRIDOR - NIGHT
    shots:
      - {{id: sh010, beat: alone, duration: 1s, action: Mara walks.,
          dialogue: [{{character: MARA, line: Hello?}}]}}
      - {{id: sh020, beat: alone, duration: 1s, action: A green light.}}
      - {{id: sh030, beat: alone, duration: 1s, action: Dark.}}
"""

CREDITS = """\
titles:
  subtitle: a film by Zoë Lind
  duration: 2s
credits:
  duration: 2s
  roles:
    - {role: Written and directed by, names: [Zoë Lind]}
    - {role: Music, names: Jo Park}
  thanks: The crew of the Vesna
"""


def make_take(folder: Path, shot: str, take: str, provenance: dict | None, fps: str = "24",
              seconds: float = 1.0, source: str = "testsrc2") -> Path:
    """A real H.264 take (``testsrc2``) with its sidecar, its probe in it (``None``: no sidecar)."""
    path = folder / "takes" / shot / f"{take}.mp4"
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    f"{source}=s=320x180:r={fps}:d={seconds}", "-c:v", "libx264", "-preset", "ultrafast",
                    "-pix_fmt", "yuv420p", str(path)], check=True)
    if provenance is not None:  # with its probe, as the generation engine writes it
        path.with_suffix(".json").write_text(json.dumps({"probe": probe_to_dict(probe(path)), **provenance}),
                                             encoding="utf-8")
    return path


def small_film(folder: Path, credits: bool = True, fps: str = "24", takes: bool = True) -> Path:
    """The small film in ``folder``: ``sh010`` by Runway gen4_turbo, ``sh020`` by Kling, ``sh030`` a board."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "shotreel.yaml").write_text(PROJECT.format(fps=fps, extra=CREDITS if credits else ""),
                                          encoding="utf-8")
    if takes:
        make_take(folder, "sh010", "t001", {"provider": "runway", "model": "gen4_turbo", "seed": 7}, fps)
        make_take(folder, "sh020", "t001", {"provider": "kling", "model": "kling-v2-1", "seed": 9}, fps)
    return folder
