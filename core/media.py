"""Media on disk, as ffmpeg sees it: the ffmpeg binary, and probing a clip for its real rate and length.

shotreel ships no ffprobe: it uses the ffmpeg of the ``imageio-ffmpeg`` wheel. :func:`probe` first reads
an MP4 / QuickTime clip's box index in-process (:func:`shotreel.mp4.read_video`, well under a millisecond,
no subprocess); that reader answers only when it is sure to agree with ffmpeg. Anything else (webm, mkv,
a truncated, fragmented or trimmed MP4, an unknown codec) goes to ffmpeg: the first video stream is
copied into ffmpeg's ``framecrc`` muxer (no decoding), which lists every packet with its time base and
duration. Both give the exact frame count and an exact rate: 1001 ticks of 1/24000 is
``Fraction(24000, 1001)``, and a rate within 0.01 of a film rate snaps to it (webm's millisecond
timestamps make 29.97 come out as 29.967).
"""

from __future__ import annotations

import functools
import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from .errors import ShotreelError
from .mp4 import read_video
from .timing import nearest_rate


class MediaError(ShotreelError):
    """A media file that cannot be read, or an ffmpeg run that failed."""


@functools.cache
def ffmpeg_exe() -> str:
    """The path of the ffmpeg binary shipped in the ``imageio-ffmpeg`` wheel."""
    try:
        import imageio_ffmpeg
        return imageio_ffmpeg.get_ffmpeg_exe()
    except (ImportError, RuntimeError) as exc:
        raise MediaError(f"ffmpeg is not available ({exc}); install it with `pip install imageio-ffmpeg`"
                         ) from None


@dataclass(frozen=True)
class Probe:
    """What a clip really holds: exact rate, frame count, size, codec, duration and whether it has sound."""

    fps: Fraction
    frames: int
    width: int
    height: int
    codec: str
    duration: float
    has_audio: bool = False


_TB = re.compile(r"^#tb 0: (\d+)/(\d+)", re.MULTILINE)
_CODEC = re.compile(r"^#codec_id 0: (\S+)", re.MULTILINE)
_DIMENSIONS = re.compile(r"^#dimensions 0: (\d+)x(\d+)", re.MULTILINE)
_STREAM_FPS = re.compile(r"Video: .*?, (\d+(?:\.\d+)?) fps")


def _fraction_text(rate: Fraction) -> str:
    return f"{rate.numerator}/{rate.denominator}"


def ffmpeg_rate(rate: Fraction) -> str:
    """A rate as ffmpeg's exact rational syntax: ``24000/1001``."""
    return _fraction_text(Fraction(rate))


def _error_line(stderr: str) -> str:
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    for line in reversed(lines):
        if "Conversion failed" in line or line.startswith("Exiting"):
            continue
        return re.sub(r"^\[[^\]]*\]\s*", "", line)[:200]
    return "ffmpeg failed"


def probe(path: str | Path) -> Probe:
    """Probe the clip at ``path``: exact fps, exact frame count, size, codec, duration and audio.

    The rate is exact (``Fraction(24000, 1001)``) and snapped to a supported film rate when within
    0.01 of one; the frame count is the number of video packets, so it is exact for every codec
    without decoding. An MP4 / QuickTime clip is read in-process when its box index is plain enough
    to be sure (:func:`shotreel.mp4.read_video`); anything else is asked of ffmpeg. Raises
    :class:`MediaError` naming the file when it is missing, unreadable or has no video.
    """
    path = Path(path)
    if not path.is_file():
        raise MediaError("no such media file", file=path)
    return _probe_mp4(path) or _probe_ffmpeg(path)


def _probe_mp4(path: Path) -> Probe | None:
    """The probe read from an MP4's box index in-process, or ``None`` when ffmpeg must be asked.

    The rate gets the same snapping as :func:`_probe_ffmpeg`; a rate off every film rate is kept exact
    only when it is clearly off (more than 0.02) and has a small denominator, where ffmpeg's path keeps
    it exact too. Otherwise ``None``.
    """
    video = read_video(path)
    if video is None:
        return None
    fps = nearest_rate(float(video.rate), tolerance=0.01)
    if fps is None:
        if video.rate.denominator > 1001 or nearest_rate(float(video.rate), tolerance=0.02) is not None:
            return None
        fps = video.rate
    return Probe(fps=fps, frames=video.frames, width=video.width, height=video.height, codec=video.codec,
                 duration=float(video.frames / fps), has_audio=video.has_audio)


def _probe_ffmpeg(path: str | Path) -> Probe:
    """The probe as ffmpeg sees it: the first video stream copied into the ``framecrc`` muxer."""
    path = Path(path)
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path), "-map", "0:v:0", "-c", "copy",
           "-f", "framecrc", "-"]
    try:
        run = subprocess.run(cmd, check=False, capture_output=True, text=True, errors="replace", timeout=600)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise MediaError(f"cannot be probed: {exc}", file=path) from None
    if run.returncode != 0:
        if "matches no streams" in run.stderr:
            raise MediaError("has no video stream", file=path)
        raise MediaError(f"is not a readable video: {_error_line(run.stderr)}", file=path)
    out = run.stdout
    tb_match, codec, dims = _TB.search(out), _CODEC.search(out), _DIMENSIONS.search(out)
    packets = [line.split(",") for line in out.splitlines() if line and not line.startswith("#")]
    if not (tb_match and dims) or not packets:
        raise MediaError("has no video frames", file=path)
    time_base = Fraction(int(tb_match.group(1)), int(tb_match.group(2)))
    frames = len(packets)
    fps = _rate_from_packets(packets, time_base, _input_section(run.stderr))
    if fps is None:
        raise MediaError("has no frame rate ffmpeg can tell", file=path)
    head = _input_section(run.stderr)
    has_audio = re.search(r"Stream #\d+:\d+\S*: Audio:", head) is not None
    return Probe(fps=fps, frames=frames, width=int(dims.group(1)), height=int(dims.group(2)),
                 codec=codec.group(1) if codec else "unknown", duration=float(frames / fps),
                 has_audio=has_audio)


def _input_section(stderr: str) -> str:
    return stderr.split("Stream mapping:", 1)[0]


def _rate_from_packets(packets: list[list[str]], time_base: Fraction, head: str) -> Fraction | None:
    """The rate from packet durations (exact when all equal), the span of timestamps, or the stream line.

    The first that lies within 0.01 of a film rate snaps to it; otherwise an equal packet duration
    gives the exact rate, else the span's rate (rounded to a whole rate within 0.01).
    """
    try:
        durations = {int(p[3]) for p in packets}
        pts = [int(p[2]) for p in packets]
    except (IndexError, ValueError):
        durations, pts = set(), []
    by_duration = by_span = by_stream = None
    if len(durations) == 1 and (d := next(iter(durations))) > 0:
        by_duration = 1 / (d * time_base)
    if len(pts) > 1 and max(pts) > min(pts):
        by_span = Fraction(len(pts) - 1) / ((max(pts) - min(pts)) * time_base)
    if m := _STREAM_FPS.search(head):
        by_stream = Fraction(m.group(1))
    for rate in (by_duration, by_span, by_stream):
        if rate and (snapped := nearest_rate(float(rate), tolerance=0.01)) is not None:
            return snapped
    agrees = by_span is None or abs(by_duration - by_span) < 0.05 if by_duration else False
    if by_duration and by_duration.denominator <= 1001 and agrees:
        return by_duration
    rate = by_span or by_duration or by_stream
    if not rate or rate <= 0:
        return None
    if abs(rate - round(rate)) <= Fraction(1, 100):
        return Fraction(round(rate))
    return rate.limit_denominator(1001)


def probe_to_dict(info: Probe) -> dict:
    """A probe as JSON-ready data for a take's sidecar (fps written exactly, ``"24000/1001"``)."""
    return {"fps": _fraction_text(info.fps), "frames": info.frames, "width": info.width,
            "height": info.height, "codec": info.codec, "duration": round(info.duration, 6),
            "has_audio": info.has_audio}


def probe_from_dict(data: dict) -> Probe:
    """A probe read back from a sidecar (``fps`` as ``"24000/1001"``, ``"24"`` or a number)."""
    raw = data.get("fps")
    rate = Fraction(str(raw)) if raw is not None else Fraction(0)
    if rate and (snapped := nearest_rate(float(rate), tolerance=0.01)):
        rate = snapped
    frames = int(data.get("frames") or 0)
    duration = data.get("duration")
    if duration is None:
        duration = float(frames / rate) if rate else 0.0
    return Probe(fps=rate, frames=frames, width=int(data.get("width") or 0),
                 height=int(data.get("height") or 0), codec=str(data.get("codec") or "unknown"),
                 duration=float(duration),
                 has_audio=bool(data.get("has_audio", False)))


def run_ffmpeg(cmd: list[str], folder: Path, on_frame: Callable[[int], None]) -> str | None:
    """Run an ffmpeg command (with ``-progress pipe:1``) in ``folder``, calling ``on_frame(frame)`` for each
    ``frame=`` line as it comes; its stderr goes to ``folder/ffmpeg.log``. Returns ``None`` on success, else
    the last line ffmpeg wrote (or ``exit N``), for the caller's one-line error. Ctrl-C kills ffmpeg."""
    log = folder / "ffmpeg.log"
    with open(log, "wb") as err:
        process = subprocess.Popen(cmd, cwd=folder, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=err, text=True, errors="replace")
        try:
            assert process.stdout is not None
            for line in process.stdout:
                if line.startswith("frame=") and line[6:].strip().isdigit():
                    on_frame(int(line[6:]))
            code = process.wait()
        except BaseException:
            process.kill()
            process.wait()
            raise
    if code == 0:
        return None
    lines = [ln.strip() for ln in log.read_text(errors="replace").splitlines() if ln.strip()]
    return lines[-1] if lines else f"exit {code}"
