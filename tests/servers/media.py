"""Tiny real media for the fake provider servers: MP4 clips made once per test session with ffmpeg, stills
made with Pillow.

``clip(fps, frames, width, height)`` renders ffmpeg's ``testsrc`` pattern as H.264 (yuv420p, faststart)
with exactly ``frames`` frames at ``fps`` and caches it in a temporary folder removed at exit.
``still(width, height, fmt, label)`` draws a PNG/JPEG/WebP still of exactly that size whose colours come
from ``label`` (a job id), so no two jobs return the same bytes; ``image_info(data)`` reads one back.
"""

from __future__ import annotations

import atexit
import hashlib
import io
import shutil
import subprocess
import tempfile
import threading
from fractions import Fraction
from pathlib import Path

import imageio_ffmpeg
from PIL import Image, ImageDraw

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


IMAGE_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}


def still(width: int, height: int, fmt: str = "png", label: str = "") -> bytes:
    """A ``width``×``height`` still in ``fmt`` (png, jpeg or webp): a frame and a box coloured from
    ``label``'s hash, with ``label`` written in it."""
    fmt = {"jpg": "jpeg"}.get(fmt.lower(), fmt.lower())
    seed = hashlib.sha256(label.encode()).digest()
    image = Image.new("RGB", (int(width), int(height)), tuple(seed[:3]))
    draw = ImageDraw.Draw(image)
    draw.rectangle((width // 5, height // 5, 4 * width // 5, 4 * height // 5), fill=tuple(seed[3:6]))
    draw.text((width // 5 + 4, height // 5 + 4), label[:40], fill=(255, 255, 255))
    buffer = io.BytesIO()
    image.save(buffer, format=fmt.upper(), **({"quality": 90} if fmt in ("jpeg", "webp") else {}))
    return buffer.getvalue()


def image_info(data: bytes) -> dict:
    """``{"size": [w, h], "format": "png", "bytes": n}`` of an image's bytes (what a fake received)."""
    with Image.open(io.BytesIO(data)) as image:
        return {"size": list(image.size), "format": (image.format or "").lower(), "bytes": len(data)}
