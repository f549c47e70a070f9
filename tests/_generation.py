"""Helpers for the generation tests: board images for a project and tiny real clips made with ffmpeg."""

from __future__ import annotations

import subprocess
from pathlib import Path

from PIL import Image
from shotreel.model import Film


def draw_plain_boards(film: Film, size: tuple[int, int] = (640, 360)) -> list[Path]:
    """Write ``boards/<shot>.png`` for every shot of ``film`` (a flat colour per shot)."""
    assert film.root is not None
    folder = film.root / "boards"
    folder.mkdir(exist_ok=True)
    paths = []
    for index, shot in enumerate(film.shots()):
        path = folder / f"{shot.id}.png"
        Image.new("RGB", size, (20 * index % 255, 80, 120)).save(path)
        paths.append(path)
    return paths


def make_clip(path: Path, fps: int = 24, frames: int = 121, size: tuple[int, int] = (320, 180)) -> Path:
    """A real H.264 MP4 of ``frames`` frames at ``fps`` (ffmpeg from imageio-ffmpeg)."""
    import imageio_ffmpeg

    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i",
                    f"testsrc=size={size[0]}x{size[1]}:rate={fps}", "-frames:v", str(frames), "-pix_fmt", "yuv420p",
                    "-c:v", "libx264", "-preset", "ultrafast", str(path)], check=True)
    return path
