"""Helpers for the media, animatic, takes and sync tests: real clips made by ffmpeg, and pixels read back."""

from __future__ import annotations

import json
import subprocess
from fractions import Fraction
from pathlib import Path

from shotreel.example import example_text
from shotreel.media import ffmpeg_exe, ffmpeg_rate, probe, probe_to_dict
from shotreel.model import Film
from shotreel.project import load_project

COLORS = {"red": (255, 0, 0), "green": (0, 128, 0), "blue": (0, 0, 255), "white": (255, 255, 255),
          "black": (0, 0, 0), "yellow": (255, 255, 0)}


def tiny_example(folder: Path, size: str = "160x90", fps: str = "24") -> Film:
    """The example film at a tiny resolution (and ``fps``), as a project in ``folder``."""
    text = example_text()
    assert "resolution: 1920x1080\n" in text and "fps: 24\n" in text
    text = text.replace("resolution: 1920x1080\n", f"resolution: {size}\n", 1)
    text = text.replace("fps: 24\n", f"fps: {fps}\n", 1)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "shotreel.yaml").write_text(text, encoding="utf-8")
    for name in ("boards", "takes", "edit"):
        (folder / name).mkdir(exist_ok=True)
    return load_project(folder)


def make_clip(path: Path, frames: int, fps: Fraction | int | str = 24, size: str = "64x36",
              colors: tuple[str, ...] = ("red",), audio: bool = False, codec: str = "libx264") -> Path:
    """A clip of exactly ``frames`` frames at ``fps``: equal runs of solid ``colors`` in turn."""
    rate = ffmpeg_rate(Fraction(fps)) if not isinstance(fps, str) else fps
    path.parent.mkdir(parents=True, exist_ok=True)
    cmd = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y"]
    parts = len(colors)
    for color in colors:
        cmd += ["-f", "lavfi", "-i", f"color=c={color}:s={size}:r={rate}"]
    if audio:
        seconds = float(Fraction(frames) / Fraction(rate))
        cmd += ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={seconds:.3f}"]
    per = -(-frames // parts)
    chains = [f"[{i}:v]trim=end_frame={per},setpts=PTS-STARTPTS[c{i}]" for i in range(parts)]
    joined = "".join(f"[c{i}]" for i in range(parts))
    chains.append(f"{joined}concat=n={parts}:v=1:a=0,trim=end_frame={frames}[v]")
    cmd += ["-filter_complex", ";".join(chains), "-map", "[v]"]
    if audio:
        cmd += ["-map", f"{parts}:a", "-c:a", "libopus" if path.suffix == ".webm" else "aac"]
    cmd += ["-frames:v", str(frames), "-r", rate, "-c:v", codec]
    if codec == "libx264":
        cmd += ["-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    subprocess.run(cmd + [str(path)], check=True)
    return path


def add_take(folder: Path, shot: str, take: str, frames: int, fps: Fraction | int = 24,
             colors: tuple[str, ...] = ("red",), created: float = 1.0, sidecar: bool = True,
             **provenance: object) -> Path:
    """A real take ``takes/<shot>/<take>.mp4`` and (by default) its sidecar as the scheduler writes it."""
    clip = make_clip(folder / "takes" / shot / f"{take}.mp4", frames, fps, colors=colors)
    if sidecar:
        data = {"shot": shot, "take": take, "status": "done", "created": created, "provider": "animatic",
                "model": "ken-burns", "seed": 7, "prompt": f"{shot} prompt",
                "probe": probe_to_dict(probe(clip)), **provenance}
        clip.with_suffix(".json").write_text(json.dumps(data), encoding="utf-8")
    return clip


def frame_rgb(path: Path, index: int) -> tuple[int, int, int]:
    """The average colour of frame ``index`` (0-based) of the clip at ``path``."""
    run = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(path), "-vf",
                          f"select=eq(n\\,{index}),scale=4:4:flags=area", "-frames:v", "1", "-f", "rawvideo",
                          "-pix_fmt", "rgb24", "-"], capture_output=True, check=True)
    data = run.stdout
    assert len(data) == 48, f"frame {index} of {path} not found"
    return tuple(sum(data[c::3]) // 16 for c in range(3))  # type: ignore[return-value]


def is_color(rgb: tuple[int, int, int], name: str, tolerance: int = 60) -> bool:
    """Whether ``rgb`` is close to the named colour (H.264 shifts solid colours a little)."""
    return all(abs(a - b) <= tolerance for a, b in zip(rgb, COLORS[name]))
