"""Captions: SRT and WebVTT from the dialogue as the scratch voices time it, written with ``pysubs2``.

A caption is one dialogue line, on screen from its voice's first frame for as long as the voice runs
(:func:`shotreel.finishing.voices.scratch_voices`), times counted from the film's first frame. Text is
wrapped at :data:`MAX_CHARS` characters a line. The usual caption rules are checked, each a warning
naming the shot: at most :data:`MAX_LINES` lines, at least :data:`MIN_SECONDS` on screen, at most
:data:`MAX_CPS` characters a second, and a gap of at least :data:`MIN_GAP_FRAMES` frames between two
captions.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import pysubs2

from ..fsutil import atomic_write_text
from ..model import Film
from .voices import VoicesResult, scratch_voices

MAX_LINES = 2
MAX_CHARS = 42
MIN_SECONDS = 1
MAX_CPS = 17
MIN_GAP_FRAMES = 2
CAPTIONS_NAME = "captions"


@dataclass(frozen=True)
class Caption:
    """One caption: its shot, first frame and frames on screen (from the film's start), and its lines."""

    shot: str
    start: int
    frames: int
    lines: tuple[str, ...]


@dataclass
class CaptionsResult:
    """The files written (``srt``, ``vtt``), every caption, and the caption-rule warnings (one line each)."""

    srt: Path
    vtt: Path
    captions: list[Caption] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _ms(frame: int, fps: Fraction) -> int:
    return round(Fraction(frame) * 1000 / fps)


def captions_for(film: Film, voices: VoicesResult) -> tuple[list[Caption], list[str]]:
    """The captions of ``film`` from its ``voices``, and the warnings about them."""
    fps = film.fps
    captions: list[Caption] = []
    warnings: list[str] = []
    for clip in sorted(voices.clips, key=lambda c: c.record_in):
        lines = tuple(textwrap.wrap(clip.text, MAX_CHARS, break_long_words=True)) or ("",)
        caption = Caption(clip.shot, clip.record_in, clip.frames, lines)
        where = f"shot {clip.shot}: line {clip.index}"
        if len(lines) > MAX_LINES:
            warnings.append(f"{where}: the caption needs {len(lines)} lines of {MAX_CHARS} characters "
                            f"(at most {MAX_LINES}); split the line")
        seconds = Fraction(caption.frames) / fps
        if seconds < MIN_SECONDS:
            warnings.append(f"{where}: the caption is on screen {float(seconds):.2f} s (at least {MIN_SECONDS} s)")
        characters = len(clip.text)
        if seconds and characters / seconds > MAX_CPS:
            warnings.append(f"{where}: the caption reads at {float(characters / seconds):.1f} characters a "
                            f"second (at most {MAX_CPS})")
        if captions:
            previous = captions[-1]
            gap = caption.start - (previous.start + previous.frames)
            if gap < MIN_GAP_FRAMES:
                what = f"overlaps the one before by {-gap} frames" if gap < 0 else f"follows the one before after {gap} frames"
                warnings.append(f"{where}: the caption {what} (leave at least {MIN_GAP_FRAMES})")
        captions.append(caption)
    return captions, warnings


def write_captions(film: Film, folder: str | Path, voices: VoicesResult | None = None) -> CaptionsResult:
    """``captions.srt`` and ``captions.vtt`` in ``folder`` from the dialogue's timings (the scratch voices
    are made first when ``voices`` is not given), each written atomically; and the caption-rule warnings."""
    folder = Path(folder)
    voices = voices if voices is not None else scratch_voices(film)
    captions, warnings = captions_for(film, voices)
    subs = pysubs2.SSAFile()
    for caption in captions:
        subs.append(pysubs2.SSAEvent(start=_ms(caption.start, film.fps),
                                     end=_ms(caption.start + caption.frames, film.fps),
                                     text="\\N".join(caption.lines)))
    result = CaptionsResult(folder / f"{CAPTIONS_NAME}.srt", folder / f"{CAPTIONS_NAME}.vtt", captions, warnings)
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write_text(result.srt, subs.to_string("srt"))
    atomic_write_text(result.vtt, subs.to_string("vtt"))
    return result
