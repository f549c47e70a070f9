"""The mix: dialogue over the music bed, ducked under speech, with the effects, at a loudness target.

:func:`mix_film` builds three stems at 48 kHz, each exactly as long as the cut
(``frames / fps × 48000`` samples, :func:`shotreel.finishing.audio.frame_sample`):

- **dialogue**: every scratch voice clip (:func:`shotreel.finishing.voices.scratch_voices`) on its
  record frame's first sample;
- **music**: ``music:`` from ``start``, at ``level`` dB, faded in and out over ``fade_in`` / ``fade_out``
  (the fade out ends at the film's end or the music's, whichever is first), then ducked under the
  dialogue by ffmpeg's ``sidechaincompress`` (the dialogue is the sidechain);
- **effects**: every shot's ``sfx:`` at its shot's record frame plus ``offset``, at ``level`` dB.

The sum is scaled to the loudness target (``-14`` LUFS for the web, ``-23`` for EBU R128), its true
peak held at most −1 dBTP by a limiter at 4× the sample rate when it needs one, and measured (ffmpeg
``ebur128``) on exactly the 16-bit samples the file holds, in the same ffmpeg run that makes them: the
figures reported are the file's, not the plan's, and no run is spent on measuring alone.
Sound files at another rate are resampled (and said so); a file that is missing, unreadable or
damaged stops the mix with one line naming it and its shot, before anything is written.
"""

from __future__ import annotations

import math
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..conform import conform
from ..media import ffmpeg_exe
from ..model import Film
from ..progress import ProgressCallback, no_progress
from .audio import (
    SAMPLE_RATE,
    Loudness,
    SoundError,
    db,
    frame_sample,
    read_sound,
    read_wav,
    summary_loudness,
    write_pcm,
)
from .voices import VoicesResult, scratch_voices

WEB_LOUDNESS = -14.0
BROADCAST_LOUDNESS = -23.0
MAX_TRUE_PEAK = -1.0
"""The ceiling of the mix's true peak, dBTP."""
_PEAK_AIM = -1.5
DUCKING = "threshold=0.02:ratio=8:attack=15:release=350:knee=4"
"""ffmpeg ``sidechaincompress`` settings that duck the music under the dialogue by 10–15 dB."""


@dataclass
class MixResult:
    """The mix as written: its path, length (samples at 48 kHz and film frames, exactly the cut's),
    measured integrated loudness (LUFS; ``-inf`` for a silent film), loudness range (LU) and true peak
    (dBTP), the target, the voices it used, and warnings (one line each: a resampled file, an effect
    past the film's end …)."""

    path: Path
    samples: int
    frames: int
    loudness: float
    true_peak: float
    lra: float
    target: float
    voices: VoicesResult
    warnings: list[str] = field(default_factory=list)
    sample_rate: int = SAMPLE_RATE

    def summary(self) -> str:
        """``mix.wav: 1440 frames, -14.0 LUFS (target -14), true peak -1.6 dBTP``."""
        loud = "silent" if math.isinf(self.loudness) else f"{self.loudness:.1f} LUFS (target {self.target:g})"
        return f"{self.path.name}: {self.frames} frames, {loud}, true peak {self.true_peak:.1f} dBTP"


def _read(film: Film, relative: str, what: str, line: int | None, shot: str | None, warnings: list[str]
          ) -> np.ndarray:
    path = film.path(relative)
    try:
        samples, rate = read_sound(path)
    except SoundError as exc:
        raise SoundError(f"{what} {relative}: {exc.message}", file=film.source, line=line, shot=shot) from None
    if rate and rate != SAMPLE_RATE:
        where = f"shot {shot}: " if shot else ""
        warnings.append(f"{where}{what} {relative} is at {rate} Hz: resampled to {SAMPLE_RATE} Hz")
    return samples


def _place(stem: np.ndarray, samples: np.ndarray, start: int) -> int:
    """Add ``samples`` into ``stem`` from ``start``; returns how many samples fell past its end."""
    end = min(len(stem), start + len(samples))
    if end > start:
        stem[start:end] += samples[:end - start]
    return max(0, start + len(samples) - len(stem))


def _music(film: Film, total: int, warnings: list[str]) -> np.ndarray | None:
    music = film.music
    if music is None:
        return None
    samples = _read(film, music.path, "music", music.line, None, warnings) * db(music.level)
    start = frame_sample(music.start, film.fps)
    length = max(0, min(len(samples), total - start))
    samples = samples[:length].copy()
    fade_in = min(length, frame_sample(music.fade_in, film.fps))
    fade_out = min(length, frame_sample(music.fade_out, film.fps))
    if fade_in:
        samples[:fade_in] *= np.linspace(0.0, 1.0, fade_in, endpoint=False, dtype=np.float32)[:, None]
    if fade_out:
        samples[length - fade_out:] *= np.linspace(1.0, 0.0, fade_out, dtype=np.float32)[:, None]
    stem = np.zeros((total, 2), dtype=np.float32)
    _place(stem, samples, start)
    return stem


def _ffmpeg_f32(inputs: list[np.ndarray], graph: str, folder: Path) -> np.ndarray:
    """Run the float stereo/mono ``inputs`` through the filter ``graph`` (output ``[out]``, stereo)."""
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error"]
    for index, data in enumerate(inputs):
        raw = folder / f"in{index}.f32"
        np.ascontiguousarray(data, dtype="<f4").tofile(raw)
        channels = 1 if data.ndim == 1 else data.shape[1]
        cmd += ["-f", "f32le", "-ar", str(SAMPLE_RATE), "-ac", str(channels), "-i", str(raw)]
    cmd += ["-filter_complex", graph, "-map", "[out]", "-ar", str(SAMPLE_RATE), "-ac", "2", "-f", "f32le", "-"]
    run = subprocess.run(cmd, check=False, capture_output=True, timeout=3600)
    if run.returncode != 0:
        raise SoundError(f"ffmpeg could not mix: {run.stderr.decode(errors='replace').strip()[-200:]}")
    return np.frombuffer(run.stdout, dtype="<f4").reshape(-1, 2).copy()


def _duck(music: np.ndarray, dialogue: np.ndarray, folder: Path) -> np.ndarray:
    graph = f"[1:a]pan=stereo|c0=c0|c1=c0[sc];[0:a][sc]sidechaincompress={DUCKING}[out]"
    return _fit(_ffmpeg_f32([music, dialogue], graph, folder), len(music))


def _fit(samples: np.ndarray, total: int) -> np.ndarray:
    if len(samples) >= total:
        return samples[:total]
    return np.concatenate([samples, np.zeros((total - len(samples), samples.shape[1]), dtype=samples.dtype)])


def _pass(samples: np.ndarray, chain: str, *, keep: bool) -> tuple[np.ndarray | None, Loudness]:
    """One ffmpeg run over the float stereo ``samples`` (piped in): the filter ``chain``, then 16-bit
    samples, measured by ``ebur128`` (true peak at 4x) in the same run. Returns the 16-bit samples
    (``keep``; else ``None``) and their loudness: the figures are those of exactly these samples."""
    graph = f"[0:a]{chain},aformat=sample_fmts=s16,ebur128=peak=true:framelog=quiet[out]"
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-nostats", "-v", "info",
           "-f", "f32le", "-ar", str(SAMPLE_RATE), "-ac", "2", "-i", "pipe:0", "-filter_complex", graph,
           "-map", "[out]", "-ar", str(SAMPLE_RATE), "-ac", "2"]
    cmd += ["-c:a", "pcm_s16le", "-f", "s16le", "pipe:1"] if keep else ["-f", "null", "-"]
    data = np.ascontiguousarray(samples, dtype="<f4").tobytes()
    run = subprocess.run(cmd, input=data, check=False, capture_output=True, timeout=3600)
    stderr = run.stderr.decode(errors="replace")
    level = summary_loudness(stderr) if run.returncode == 0 else None
    if level is None:
        raise SoundError(f"ffmpeg could not mix: {stderr.strip()[-200:]}")
    pcm = _fit(np.frombuffer(run.stdout, dtype="<i2").reshape(-1, 2), len(samples)) if keep else None
    return pcm, level


def _limiter(ceiling: float) -> str:
    """A true-peak limiter: ffmpeg's ``alimiter`` at 4x the sample rate, back to 48 kHz."""
    return (f"aresample={SAMPLE_RATE * 4},alimiter=limit={db(ceiling):.6f}:attack=2:release=60:"
            f"level=false:latency=true,aresample={SAMPLE_RATE}")


def _silent(level: Loudness) -> bool:
    return math.isinf(level.integrated) or level.integrated <= -70.0


def _normalise(mix: np.ndarray, target: float) -> tuple[np.ndarray, Loudness]:
    """``mix`` as 16-bit samples at ``target`` LUFS (within 0.3 LU) with a true peak of at most
    :data:`_PEAK_AIM` dBTP, and their measured loudness.

    Measured once as it is; a gain is exact in loudness and peak, so when the gained peaks stay under
    the ceiling one more pass applies it, makes the 16-bit samples and measures them. Where they would
    not, the pass limits too, and the loudness the limiter took is given back in another pass (at most
    three): each pass both makes and measures the samples, so no pass is spent on measuring alone."""
    _, level = _pass(mix, "anull", keep=False)
    if _silent(level):
        pcm, level = _pass(mix, "anull", keep=True)  # silence stays silence
        return pcm, level  # type: ignore[return-value]
    gain = target - level.integrated
    peak = level.true_peak
    pcm = None
    for _ in range(3):
        limit = peak + gain > _PEAK_AIM
        pcm, got = _pass(mix * db(gain), _limiter(_PEAK_AIM - 0.3) if limit else "anull", keep=True)
        if abs(got.integrated - target) < 0.3 and got.true_peak <= _PEAK_AIM or _silent(got):
            return pcm, got  # type: ignore[return-value]
        # the limiter took some loudness (or 16 bits moved it): give it back, or lower under the ceiling
        gain += target - got.integrated if got.true_peak <= _PEAK_AIM else _PEAK_AIM - got.true_peak
    return pcm, got  # type: ignore[return-value]


def mix_film(film: Film, output: Path, loudness: float = WEB_LOUDNESS,
             progress: ProgressCallback | None = None) -> MixResult:
    """Mix ``film``'s dialogue, music and effects into one 48 kHz 16-bit stereo WAV at ``output``
    (see the module doc), exactly as long as the cut, normalised to ``loudness`` LUFS with a true peak
    of at most −1 dBTP, and measured back. The voices are made first (:func:`scratch_voices`, which
    keeps the clips that are still right). Raises :class:`~shotreel.finishing.audio.SoundError` (one
    line naming the file and shot) before writing anything when a sound file cannot be read."""
    progress = progress or no_progress
    output = Path(output)
    steps = 5
    progress(0, steps, "voices")
    voices = scratch_voices(film)
    cut = conform(film)
    total = frame_sample(cut.length, film.fps)
    warnings = list(voices.warnings)
    progress(1, steps, "reading music and effects")
    music = _music(film, total, warnings)
    effects = np.zeros((total, 2), dtype=np.float32)
    for shot_cut in cut.shots:
        for sfx in shot_cut.shot.sfx:
            shot = shot_cut.shot.id
            samples = _read(film, sfx.path, "sfx", sfx.line, shot, warnings) * db(sfx.level)
            start = frame_sample(shot_cut.record_in + sfx.offset, film.fps)
            if _place(effects, samples, start) and start >= total:
                warnings.append(f"shot {shot}: sfx {sfx.path} starts after the film's end; not heard")
    dialogue = np.zeros(total, dtype=np.float32)
    for clip in voices.clips:
        samples, _ = read_wav(clip.path)
        _place(dialogue, samples[:, 0], clip.start_sample)
    progress(2, steps, "ducking the music")
    mix = effects + dialogue[:, None]
    if music is not None:
        if voices.clips:
            with tempfile.TemporaryDirectory(prefix="shotreel-mix-") as tmp:
                mix += _duck(music, dialogue, Path(tmp))
        else:
            mix += music
    progress(3, steps, f"normalising to {loudness:g} LUFS")
    pcm, measured = _normalise(mix, loudness)
    progress(4, steps, f"writing {output.name}")
    write_pcm(output, pcm)
    progress(steps, steps, "mixed")
    return MixResult(output, total, cut.length, measured.integrated, measured.true_peak, measured.lra,
                     loudness, voices, warnings)
