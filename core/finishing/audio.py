"""Sound as samples: reading any file ffmpeg reads at 48 kHz, writing WAVs, and measuring loudness.

Everything in finishing runs at :data:`SAMPLE_RATE` (48 kHz, the rate of film and video sound).
A frame of the film starts on sample :func:`frame_sample` (``frame × 48000 / fps``, rounded down:
exact at 23.976, 24, 25 and 30 fps, where a frame is a whole number of samples, and at 29.97 on every
fifth frame). Loudness is measured after the fact by ffmpeg's ``ebur128`` filter (ITU-R BS.1770-4:
integrated loudness in LUFS, true peak in dBTP with 4× oversampling).
"""

from __future__ import annotations

import math
import re
import subprocess
import wave
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from ..errors import ShotreelError
from ..fsutil import atomic_output
from ..media import ffmpeg_exe

SAMPLE_RATE = 48000
"""Samples a second of every clip, stem and mix shotreel writes."""


class SoundError(ShotreelError):
    """A music or effects file that cannot be read, or a mix that cannot be made."""


def frame_sample(frame: int, fps: Fraction) -> int:
    """The first sample (at 48 kHz) of film frame ``frame`` at ``fps``: exact, rounded down."""
    return frame * SAMPLE_RATE * fps.denominator // fps.numerator


def samples_frames(samples: int, fps: Fraction) -> int:
    """Whole film frames that ``samples`` (48 kHz) need: rounded up, so the sound fits inside."""
    return -(-samples * fps.numerator // (SAMPLE_RATE * fps.denominator))


def _error_line(stderr: str, path: Path) -> str:
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    for line in reversed(lines):
        if "Conversion failed" in line or line.startswith("Exiting") or "Error opening output" in line:
            continue
        line = re.sub(r"^\[[^\]]*\]\s*", "", line).replace(str(path), path.name)
        return line[:160]
    return "ffmpeg could not read it"


_DAMAGED = re.compile(r"misdetection possible|header missing|invalid|corrupt|error while decoding|damaged",
                      re.IGNORECASE)


def read_sound(path: str | Path, channels: int = 2) -> tuple[np.ndarray, int]:
    """The sound in ``path`` as float32 samples at 48 kHz, shape ``(n, channels)``, and the file's own
    sample rate (``0`` when ffmpeg does not say). Any rate is resampled; any format ffmpeg reads is read.
    Raises :class:`SoundError` naming the file when it is missing, unreadable, has no sound, or is
    damaged (an MP3 with a broken header is refused, not half-read)."""
    path = Path(path)
    if not path.is_file():
        raise SoundError("no such sound file", file=path)
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "warning", "-xerror", "-err_detect", "explode",
           "-i", str(path), "-map", "0:a:0", "-vn", "-ac", str(channels), "-ar", str(SAMPLE_RATE),
           "-f", "f32le", "-"]
    try:
        run = subprocess.run(cmd, check=False, capture_output=True, timeout=600)
    except subprocess.TimeoutExpired:
        raise SoundError("took more than 10 minutes to read; is it a sound file?", file=path) from None
    stderr = run.stderr.decode(errors="replace")
    if run.returncode != 0 or not run.stdout:
        why = _error_line(stderr, path)
        if "matches no streams" in stderr or not run.stdout and run.returncode == 0:
            why = "has no sound ffmpeg can read"
        raise SoundError(f"cannot be read as sound: {why}", file=path)
    damage = [ln for ln in stderr.splitlines() if _DAMAGED.search(ln)]
    if damage:  # ffmpeg read on past a broken header or frame: refused rather than half-read
        raise SoundError(f"is damaged: {_error_line(damage[0], path)}", file=path)
    samples = np.frombuffer(run.stdout, dtype="<f4").reshape(-1, channels)
    return samples, _source_rate(path)


def _source_rate(path: Path) -> int:
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path)]
    run = subprocess.run(cmd, check=False, capture_output=True, text=True, errors="replace", timeout=60)
    found = re.search(r"Audio: .*?, (\d+) Hz", run.stderr)
    return int(found.group(1)) if found else 0


def resample(samples: np.ndarray, rate: int, target: int = SAMPLE_RATE) -> np.ndarray:
    """Mono ``samples`` at ``rate`` resampled to ``target`` (band-limited, by FFT; the clip is padded
    with silence first so that its ends do not wrap round)."""
    if rate == target or len(samples) == 0:
        return samples.astype(np.float32)
    pad = rate // 10
    padded = np.concatenate([samples.astype(np.float64), np.zeros(pad)])
    count = round(len(padded) * target / rate)
    spectrum = np.fft.rfft(padded)
    out = np.zeros(count // 2 + 1, dtype=complex)
    keep = min(len(spectrum), len(out))
    out[:keep] = spectrum[:keep]
    result = np.fft.irfft(out, count) * (count / len(padded))
    return result[:round(len(samples) * target / rate)].astype(np.float32)


def write_wav(path: str | Path, samples: np.ndarray) -> Path:
    """``samples`` (float, ``(n,)`` or ``(n, channels)``, full scale ±1) as a 48 kHz 16-bit PCM WAV,
    written atomically."""
    data = samples.reshape(len(samples), -1)
    return write_pcm(path, np.clip(np.round(data * 32767.0), -32768, 32767).astype("<i2"))


def write_pcm(path: str | Path, pcm: np.ndarray) -> Path:
    """16-bit samples (``(n,)`` or ``(n, channels)``) as they are, a 48 kHz PCM WAV written atomically."""
    data = pcm.reshape(len(pcm), -1)
    with atomic_output(path, ".wav") as tmp, wave.open(str(tmp), "wb") as out:
        out.setnchannels(data.shape[1])
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(np.ascontiguousarray(data, dtype="<i2").tobytes())
    return Path(path)


def read_wav(path: str | Path) -> tuple[np.ndarray, int]:
    """A 16-bit PCM WAV (as :func:`write_wav` writes) as float32 samples ``(n, channels)`` and its rate."""
    with wave.open(str(path), "rb") as src:
        frames = src.readframes(src.getnframes())
        data = np.frombuffer(frames, dtype="<i2").astype(np.float32) / 32768.0
        return data.reshape(-1, src.getnchannels()), src.getframerate()


@dataclass(frozen=True)
class Loudness:
    """A measurement: integrated loudness (LUFS, ``-inf`` for silence), loudness range (LU) and true
    peak (dBTP)."""

    integrated: float
    lra: float
    true_peak: float


_SUMMARY_I = re.compile(r"Integrated loudness:\s*\n\s*I:\s*(-?[\d.]+|-inf|nan) LUFS")
_SUMMARY_LRA = re.compile(r"Loudness range:\s*\n\s*LRA:\s*(-?[\d.]+) LU")
_SUMMARY_TP = re.compile(r"True peak:\s*\n\s*Peak:\s*(-?[\d.]+|-inf) dBFS")


def measure(path: str | Path) -> Loudness:
    """The loudness of the sound in ``path`` (ffmpeg ``ebur128``, ``peak=true``)."""
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-nostats", "-i", str(path), "-map", "0:a:0",
           "-af", "ebur128=peak=true:framelog=quiet", "-f", "null", "-"]
    run = subprocess.run(cmd, check=False, capture_output=True, text=True, errors="replace", timeout=600)
    found = summary_loudness(run.stderr) if run.returncode == 0 else None
    if found is None:
        raise SoundError(f"cannot measure its loudness: {_error_line(run.stderr, Path(path))}", file=path)
    return found


def summary_loudness(stderr: str) -> Loudness | None:
    """The loudness in the summary an ``ebur128=peak=true`` filter logs when it ends (``None``: none there)."""
    found = _SUMMARY_I.search(stderr), _SUMMARY_LRA.search(stderr), _SUMMARY_TP.search(stderr)
    if not all(found):
        return None
    values = [float(m.group(1)) for m in found]  # type: ignore[union-attr]
    return Loudness(*(v if not math.isnan(v) else -math.inf for v in values))


def db(level: float) -> float:
    """A level in dB as a linear gain."""
    return 10.0 ** (level / 20.0)
