"""The stand-in's decoder: what Resolve would read from a media file (resolve-api.md §2.8, §7.1).

Resolve decodes files itself; the stand-in asks, in order:

1. the ``media`` table of the config (``register_media``): absolute path → ``fps``, ``frames``,
   ``width``, ``height``, ``codec``, ``start_tc``, ``audio`` (channels or bool), ``kind``
   (``video``/``audio``/``still``), ``seconds`` for audio. The file must still exist — Resolve
   cannot import what is not on disk;
2. stills (PNG, JPEG, TIFF, BMP …) through Pillow: one frame, the project's rate at import;
3. WAV through the standard library: samples and sample rate (the rate is the project's at
   import, §2.8 "a WAV takes the project's timelineFrameRate");
4. anything else through the ffmpeg of ``imageio-ffmpeg``: codec, size, rate, the embedded start
   timecode (``timecode`` tag) and an exact frame count (packets of the first video stream).

A file none of them can read is not importable (ImportMedia leaves it out).
"""

from __future__ import annotations

import functools
import os
import re
import subprocess
import wave
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from .store import persisted
from .timecode import rate_from_number

STILL_EXTENSIONS = frozenset({".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".gif", ".exr", ".dpx", ".tga"})
AUDIO_EXTENSIONS = frozenset({".wav"})
FORMATS = {".mov": "QuickTime", ".mp4": "QuickTime", ".m4v": "QuickTime", ".mxf": "MXF", ".mkv": "Matroska",
           ".webm": "WebM", ".avi": "AVI", ".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".tif": "TIFF",
           ".tiff": "TIFF", ".exr": "EXR", ".dpx": "DPX", ".bmp": "BMP", ".wav": "Wave", ".aif": "AIFF",
           ".aiff": "AIFF", ".mp3": "MP3", ".gif": "GIF", ".tga": "TGA"}
CODECS = {"h264": "H.264", "hevc": "H.265", "prores": "Apple ProRes", "dnxhd": "Avid DNxHR",
          "mjpeg": "Motion JPEG", "png": "PNG", "vp9": "VP9", "vp8": "VP8", "av1": "AV1", "mpeg4": "MPEG-4",
          "aac": "AAC", "pcm_s16le": "Linear PCM", "pcm_s24le": "Linear PCM", "mp3": "MP3"}


@persisted
@dataclass
class MediaInfo:
    """What a file holds, as Resolve reads it. ``fps`` is None for stills and audio until imported."""

    kind: str = "video"
    fps: Fraction | None = None
    frames: int = 0
    width: int = 0
    height: int = 0
    codec: str = ""
    start_tc: str = "00:00:00:00"
    drop: bool = False
    audio_channels: int = 0
    sample_rate: int = 48000
    seconds: float = 0.0
    format: str = ""

    @property
    def has_video(self) -> bool:
        return self.kind != "audio"

    @property
    def has_audio(self) -> bool:
        return self.audio_channels > 0


def from_entry(path: str, entry: dict[str, Any]) -> MediaInfo:
    """A ``media`` table entry as MediaInfo (``fps`` as a number, a label or ``"24000/1001"``)."""
    kind = str(entry.get("kind", "video"))
    raw_fps = entry.get("fps")
    fps = rate_from_number(str(raw_fps)) if raw_fps is not None else None
    if raw_fps is not None and fps is None:
        fps = Fraction(str(raw_fps)).limit_denominator(1001)
    audio = entry.get("audio", kind == "audio")
    channels = int(audio) if not isinstance(audio, bool) else (2 if audio else 0)
    ext = os.path.splitext(path)[1].lower()
    codec = str(entry.get("codec", "" if kind == "audio" else "H.264"))
    return MediaInfo(kind=kind, fps=fps, frames=int(entry.get("frames", 1 if kind == "still" else 0)),
                     width=int(entry.get("width", 0 if kind == "audio" else 1920)),
                     height=int(entry.get("height", 0 if kind == "audio" else 1080)), codec=codec,
                     start_tc=str(entry.get("start_tc", "00:00:00:00")), drop=bool(entry.get("drop", False)),
                     audio_channels=channels, sample_rate=int(entry.get("sample_rate", 48000)),
                     seconds=float(entry.get("seconds", 0.0)), format=str(entry.get("format", FORMATS.get(ext, ""))))


def probe(path: str, table: dict[str, dict[str, Any]]) -> MediaInfo | None:
    """What Resolve would read from ``path``, or None when it is missing or unreadable."""
    path = os.path.abspath(path)
    if not os.path.isfile(path):
        return None
    if path in table:
        return from_entry(path, table[path])
    stat = os.stat(path)
    return _probe_file(path, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=4096)
def _probe_file(path: str, _mtime: int, _size: int) -> MediaInfo | None:
    ext = os.path.splitext(path)[1].lower()
    if ext in STILL_EXTENSIONS:
        return _probe_still(path, ext)
    if ext in AUDIO_EXTENSIONS:
        return _probe_audio(path, ext)
    return _probe_ffmpeg(path, ext)


def _probe_still(path: str, ext: str) -> MediaInfo | None:
    try:
        from PIL import Image
        with Image.open(path) as image:
            width, height = image.size
            fmt = image.format or FORMATS.get(ext, "")
    except Exception:  # noqa: BLE001 - anything Pillow cannot open is unreadable
        if ext not in (".exr", ".dpx"):
            return None
        width, height, fmt = 1920, 1080, FORMATS[ext]
    return MediaInfo(kind="still", frames=1, width=width, height=height, codec=fmt, format=FORMATS.get(ext, fmt))


def _probe_audio(path: str, ext: str) -> MediaInfo | None:
    try:
        with wave.open(path, "rb") as audio:
            channels, rate, samples = audio.getnchannels(), audio.getframerate(), audio.getnframes()
    except (wave.Error, EOFError, OSError):
        return None
    return MediaInfo(kind="audio", audio_channels=channels, sample_rate=rate, seconds=samples / rate,
                     codec="Linear PCM", width=0, height=0, format=FORMATS[ext])


_VIDEO = re.compile(r"Stream #\d+:\d+\S*: Video: (\w+).*?(\d{2,5})x(\d{2,5})")
_FPS = re.compile(r"(\d+(?:\.\d+)?(?:k)?) (?:fps|tbr)")
_AUDIO = re.compile(r"Stream #\d+:\d+\S*: Audio: (\w+).*?(\d+) Hz, ([^,]+)")
_TIMECODE = re.compile(r"timecode\s*:\s*(\d{2}:\d{2}:\d{2}[:;]\d{2})")
_DURATION = re.compile(r"Duration: (\d+):(\d+):(\d+(?:\.\d+)?)")
_FRAMES = re.compile(r"frame=\s*(\d+)")


def _probe_ffmpeg(path: str, ext: str) -> MediaInfo | None:
    try:
        import imageio_ffmpeg
        exe = imageio_ffmpeg.get_ffmpeg_exe()
    except (ImportError, RuntimeError):
        return None
    cmd = [exe, "-hide_banner", "-nostdin", "-i", path, "-map", "0:v:0?", "-c", "copy", "-f", "null", "-"]
    try:
        run = subprocess.run(cmd, check=False, capture_output=True, text=True, errors="replace", timeout=300)
    except (OSError, subprocess.TimeoutExpired):
        return None
    head = run.stderr.split("Stream mapping:", 1)[0]
    video, audio = _VIDEO.search(head), _AUDIO.search(head)
    if video is None and audio is None:
        return None
    channels = 0
    if audio is not None:
        layout = audio.group(3).strip()
        channels = {"mono": 1, "stereo": 2, "5.1": 6, "5.1(side)": 6, "7.1": 8}.get(layout, 0)
        if not channels and (m := re.match(r"(\d+) channels", layout)):
            channels = int(m.group(1))
        channels = channels or 2
    duration = _DURATION.search(head)
    seconds = (int(duration.group(1)) * 3600 + int(duration.group(2)) * 60 + float(duration.group(3))
               if duration else 0.0)
    tc = _TIMECODE.search(head)
    start_tc = tc.group(1) if tc else "00:00:00:00"
    if video is None:
        return MediaInfo(kind="audio", audio_channels=channels, seconds=seconds, width=0, height=0,
                         sample_rate=int(audio.group(2)) if audio else 48000,
                         codec=CODECS.get(audio.group(1), audio.group(1)) if audio else "",
                         format=FORMATS.get(ext, ext.lstrip(".").upper()))
    line = head[video.start():].split("\n", 1)[0]
    fps_match = _FPS.search(line)
    fps = None
    if fps_match:
        raw = fps_match.group(1)
        value = float(raw[:-1]) * 1000 if raw.endswith("k") else float(raw)
        fps = rate_from_number(value) or Fraction(value).limit_denominator(1001)
    counted = _FRAMES.findall(run.stderr)
    frames = int(counted[-1]) if counted else (round(seconds * float(fps)) if fps else 0)
    if fps is None or frames <= 0:
        return None
    return MediaInfo(kind="video", fps=fps, frames=frames, width=int(video.group(2)), height=int(video.group(3)),
                     codec=CODECS.get(video.group(1), video.group(1)), start_tc=start_tc.replace(";", ":"),
                     drop=";" in start_tc, audio_channels=channels, seconds=seconds,
                     format=FORMATS.get(ext, ext.lstrip(".").upper()))


def probe_sequence(pattern: str, first: int, last: int) -> MediaInfo | None:
    """An image sequence ``shot_%04d.exr`` from ``first`` to ``last`` (ImportMedia's dict form, §2.5)."""
    try:
        paths = [pattern % i for i in range(first, last + 1)]
    except (TypeError, ValueError):
        return None
    if not paths or not all(os.path.isfile(p) for p in paths):
        return None
    still = _probe_still(os.path.abspath(paths[0]), os.path.splitext(paths[0])[1].lower())
    if still is None:
        return None
    still.kind, still.frames = "sequence", len(paths)
    return still
