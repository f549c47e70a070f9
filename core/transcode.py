"""Editorial media: takes transcoded into an editing codec with PCM sound, frame for frame.

Generation services deliver H.264 MP4, which the free DaVinci Resolve on Linux cannot decode and which
scrubs poorly in any editor. :func:`editorial_media` writes each take as DNxHR HQ (or ProRes 422 HQ) in a
QuickTime file with 48 kHz PCM sound (the take's own, or silence of its length) at
``edit/media/<shot>/<take>.mov``: same rate, same frame count (checked by probing the result), written
atomically, and skipped when an up-to-date transcode is already there. ``shotreel sync`` knows such a
file as its take (same folder and name).
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ShotreelError
from .fsutil import atomic_output
from .media import MediaError, ffmpeg_exe, ffmpeg_rate, probe
from .model import Film, Take
from .progress import ProgressCallback, no_progress
from .takes import find_takes, take_length

MEDIA_DIR = Path("edit") / "media"
CODECS: dict[str, list[str]] = {
    "dnxhr": ["-c:v", "dnxhd", "-profile:v", "dnxhr_hq", "-pix_fmt", "yuv422p"],
    "prores": ["-c:v", "prores_ks", "-profile:v", "3", "-pix_fmt", "yuv422p10le", "-vendor", "apl0"],
}
"""Editorial codecs by name: Avid DNxHR HQ (8-bit 4:2:2) and Apple ProRes 422 HQ (10-bit 4:2:2)."""
SMALLEST = {"dnxhr": (256, 120)}
"""The smallest picture a codec encodes (ffmpeg's DNxHR encoder refuses anything below 256x120)."""


class TranscodeError(ShotreelError):
    """A take could not be transcoded frame for frame."""


@dataclass
class TranscodeResult:
    """Transcodes by the take's absolute path, which were made now (the rest were up to date)."""

    media: dict[str, Path] = field(default_factory=dict)
    made: list[Path] = field(default_factory=list)


def editorial_path(film: Film, take: Take) -> Path:
    assert film.root is not None
    return film.root / MEDIA_DIR / take.shot / f"{take.id}.mov"


def editorial_media(film: Film, codec: str, takes: Mapping[str, list[Take]] | None = None,
                    progress: ProgressCallback | None = None) -> TranscodeResult:
    """Transcode every take of ``film`` (or of ``takes``) into ``codec`` (see :data:`CODECS`)."""
    if codec not in CODECS:
        raise TranscodeError(f"unknown editorial codec {codec!r}; use one of {', '.join(CODECS)}")
    if film.root is None:
        raise TranscodeError("the film has no project folder to write edit/media into")
    progress = progress or no_progress
    takes = find_takes(film) if takes is None else takes
    todo = [t for shot_takes in takes.values() for t in shot_takes]
    result = TranscodeResult()
    for done, take in enumerate(todo):
        progress(done, len(todo), f"{take.shot} {take.id}")
        target = editorial_path(film, take)
        frames, _ = take_length(take)
        if not _up_to_date(take.path, target, frames):
            transcode(take.path, target, codec, frames)
            result.made.append(target)
        result.media[str(Path(take.path).resolve())] = target
    progress(len(todo), len(todo), "editorial media ready")
    return result


def _up_to_date(source: Path, target: Path, frames: int) -> bool:
    if not target.is_file() or target.stat().st_mtime < Path(source).stat().st_mtime:
        return False
    try:
        return probe(target).frames == frames
    except MediaError:
        return False


def transcode(source: Path, target: Path, codec: str, frames: int | None = None) -> Path:
    """``source`` as ``codec`` + 48 kHz PCM in ``target`` (.mov), every frame kept; raises
    :class:`TranscodeError` naming the take when the result does not have the source's frames."""
    info = probe(source)
    frames = info.frames if frames is None else frames
    low = SMALLEST.get(codec)
    if low and (info.width < low[0] or info.height < low[1]):
        raise TranscodeError(f"{info.width}x{info.height} is below {codec}'s smallest picture ({low[0]}x{low[1]}); "
                             "use prores", file=source)
    rate = ffmpeg_rate(info.fps)
    target.parent.mkdir(parents=True, exist_ok=True)
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-i", str(source)]
    if not info.has_audio:  # silence exactly as long as the picture, so every editor sees a sound track
        cmd += ["-f", "lavfi", "-i", "anullsrc=r=48000:cl=stereo"]
    audio = "0:a:0" if info.has_audio else "1:a:0"
    with atomic_output(target, suffix=".mov") as tmp:
        cmd += ["-map", "0:v:0", "-map", audio, *CODECS[codec], "-r", rate, "-frames:v", str(frames),
                "-c:a", "pcm_s16le", "-ar", "48000", "-shortest", "-f", "mov", str(tmp)]
        run = subprocess.run(cmd, capture_output=True, text=True, errors="replace", check=False, timeout=3600)
        if run.returncode != 0:
            lines = [line for line in run.stderr.splitlines() if line.strip()]
            raise TranscodeError(f"ffmpeg could not transcode it: {lines[-1] if lines else run.returncode}",
                                 file=source)
        made = probe(tmp)
        if made.frames != frames:
            raise TranscodeError(f"the {codec} transcode has {made.frames} frames, the take {frames}; nothing written",
                                 file=source)
    return target
