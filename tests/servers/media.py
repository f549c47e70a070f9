"""Tiny real MP4 clips for the fake provider servers, made once per test session with ffmpeg.

``clip(fps, frames, width, height)`` renders ffmpeg's ``testsrc`` pattern as H.264 (yuv420p, faststart)
with exactly ``frames`` frames at ``fps`` and caches it in a temporary folder removed at exit.
"""

from __future__ import annotations

import atexit
import shutil
import subprocess
import tempfile
import threading
from fractions import Fraction
from pathlib import Path

import imageio_ffmpeg

_lock = threading.Lock()
_cache: dict[tuple, Path] = {}
_folder: Path | None = None


def _cache_dir() -> Path:
    global _folder
    if _folder is None:
        _folder = Path(tempfile.mkdtemp(prefix="shotreel-fake-media-"))
        atexit.register(shutil.rmtree, _folder, True)
    return _folder


def clip(fps: Fraction | int | str = 24, frames: int = 121, width: int = 1280, height: int = 720) -> Path:
    """A cached MP4 of ``frames`` frames at ``fps`` and ``width``×``height`` (even sizes)."""
    rate = Fraction(fps)
    key = (rate, int(frames), int(width), int(height))
    with _lock:
        found = _cache.get(key)
        if found is not None and found.is_file():
            return found
        name = f"testsrc_{rate.numerator}-{rate.denominator}_{frames}f_{width}x{height}.mp4"
        target = _cache_dir() / name
        tmp = target.with_suffix(".part.mp4")
        subprocess.run(
            [
                imageio_ffmpeg.get_ffmpeg_exe(),
                "-v",
                "error",
                "-y",
                "-f",
                "lavfi",
                "-i",
                f"testsrc=size={width}x{height}:rate={rate.numerator}/{rate.denominator}",
                "-frames:v",
                str(frames),
                "-c:v",
                "libx264",
                "-preset",
                "ultrafast",
                "-crf",
                "40",
                "-pix_fmt",
                "yuv420p",
                "-movflags",
                "+faststart",
                str(tmp),
            ],
            check=True,
            capture_output=True,
        )
        tmp.replace(target)
        _cache[key] = target
        return target
