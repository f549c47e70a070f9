"""Helpers for the reel tests: the example at another rate, board stills and take files on disk."""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image
from shotreel.example import example_text
from shotreel.model import Film
from shotreel.project import loads_film

RATES = {"23.976": "01:00:00:00", "24": "01:00:00:00", "25": "10:00:00:00", "29.97": "01:00:00;00",
         "30": "01:00:00:00"}
"""The rates of the interchange matrix and the start timecode each is tested with (DF at 29.97)."""


def example_at(folder: Path, fps: str, start_timecode: str = "01:00:00:00") -> Film:
    """The example film rewritten to ``fps`` and ``start_timecode``, as a project in ``folder``."""
    text = example_text()
    assert "fps: 24\n" in text and 'start_timecode: "01:00:00:00"' in text
    text = text.replace("fps: 24\n", f"fps: {fps}\n", 1)
    text = text.replace('start_timecode: "01:00:00:00"', f'start_timecode: "{start_timecode}"', 1)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "shotreel.yaml").write_text(text, encoding="utf-8")
    return loads_film(text, str(folder / "shotreel.yaml"), folder.resolve())


def add_board(folder: Path, shot: str, name: str | None = None) -> Path:
    """A small board still at ``boards/<shot>.png`` (or ``boards/<name>``)."""
    path = folder / "boards" / (name or f"{shot}.png")
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (64, 36), (40, 60, 80)).save(path)
    return path


def add_take(folder: Path, shot: str, take: str, fps: object = 24, frames: int = 96, created: float = 1.0,
             **provenance: object) -> Path:
    """A take file ``takes/<shot>/<take>.mp4`` with its sidecar (probe + provenance)."""
    clip = folder / "takes" / shot / f"{take}.mp4"
    clip.parent.mkdir(parents=True, exist_ok=True)
    clip.write_bytes(b"\x00\x00\x00\x18ftypmp42 not a real movie")
    sidecar = {"probe": {"fps": fps, "frames": frames}, "created": created, "status": "done",
               "seed": 1234, "model": "offline-motion", "prompt": f"{shot} prompt", **provenance}
    clip.with_suffix(".json").write_text(json.dumps(sidecar), encoding="utf-8")
    return clip


def write_selects(folder: Path, text: str) -> None:
    (folder / "selects.yaml").write_text(text, encoding="utf-8")
