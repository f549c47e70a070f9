"""Frame-exact time: film rates as exact fractions, durations and timecodes as whole frames.

Rates live in the core as :class:`fractions.Fraction` (23.976 is ``Fraction(24000, 1001)``) and
become floats only at the OpenTimelineIO boundary (:func:`otio_rate`), where OTIO expects them.
Timecode is a frame count, not a clock: ``01:00:00:00`` is frame 86400 at 24 and at 23.976 alike,
so timecodes are converted to frames with :mod:`opentimelineio.opentime`, never through seconds.
"""

from __future__ import annotations

import functools
import re
from fractions import Fraction

import opentimelineio as otio

from .errors import TimingError

RATES: dict[str, Fraction] = {
    "23.976": Fraction(24000, 1001),
    "24": Fraction(24),
    "25": Fraction(25),
    "29.97": Fraction(30000, 1001),
    "30": Fraction(30),
    "48": Fraction(48),
    "50": Fraction(50),
    "59.94": Fraction(60000, 1001),
    "60": Fraction(60),
}
"""The film rates shotreel supports, by the label a film-maker writes."""

_LABELS = {rate: label for label, rate in RATES.items()}
_TIMECODE = re.compile(r"^(\d{1,2}):(\d{2}):(\d{2})([:;.])(\d{2,3})$")
_SECONDS = re.compile(r"^(\d+(?:\.\d+)?)\s*s(?:ec(?:onds?)?)?$", re.IGNORECASE)
_FRAMES = re.compile(r"^(\d+)\s*f(?:rames?)?$", re.IGNORECASE)
_MINUTES = re.compile(r"^(\d+)\s*m(?:in)?\s*(?:(\d+(?:\.\d+)?)\s*s)?$", re.IGNORECASE)


def parse_fps(value: object) -> Fraction:
    """Read a film rate: ``24``, ``23.976``, ``"24000/1001"``, ``29.97`` … as an exact fraction.

    Raises :class:`TimingError` for a rate shotreel does not support, listing those it does.
    """
    if isinstance(value, bool):
        raise TimingError(f"fps {value!r} is not a rate; use one of {', '.join(RATES)}")
    rate: Fraction | None = None
    if isinstance(value, Fraction):
        rate = value
    elif isinstance(value, (int, float)):
        rate = nearest_rate(float(value), tolerance=0.001)
    elif isinstance(value, str):
        text = value.strip()
        if text in RATES:
            rate = RATES[text]
        else:
            try:
                rate = nearest_rate(float(Fraction(text)), tolerance=0.001)
            except (ValueError, ZeroDivisionError):
                rate = None
    if rate not in _LABELS:
        raise TimingError(f"fps {value!r} is not supported; use one of {', '.join(RATES)}")
    return rate


def nearest_rate(value: float, tolerance: float = 0.01) -> Fraction | None:
    """The supported rate within ``tolerance`` of ``value``, else ``None``.

    Real files write 23.976 as ``23.976``, ``23.976023976023978`` or Hiero's float32
    ``23.976024627685547``; all of them mean 24000/1001.
    """
    best = min(RATES.values(), key=lambda r: abs(float(r) - value))
    return best if abs(float(best) - value) <= tolerance else None


def rate_from_otio(value: float) -> Fraction:
    """An OTIO float rate as an exact fraction: a supported film rate when it is one, else the
    closest fraction with a small denominator (a 15 fps clip in a Premiere cut stays 15)."""
    return nearest_rate(value) or Fraction(value).limit_denominator(1001)


def fps_label(rate: Fraction) -> str:
    """How a film-maker writes ``rate``: ``23.976`` for 24000/1001, ``24`` for 24."""
    if rate in _LABELS:
        return _LABELS[rate]
    return str(rate.numerator) if rate.denominator == 1 else f"{rate.numerator}/{rate.denominator}"


def otio_rate(rate: Fraction) -> float:
    """The float OTIO stores for ``rate`` (``23.976023976023978`` for 24000/1001)."""
    return rate.numerator / rate.denominator


def is_drop_frame_rate(rate: Fraction) -> bool:
    """Whether timecode at ``rate`` is drop-frame by convention (29.97 and 59.94)."""
    return rate in (Fraction(30000, 1001), Fraction(60000, 1001))


def rational_time(frames: int, rate: Fraction) -> otio.opentime.RationalTime:
    """``frames`` at ``rate`` as an OTIO RationalTime."""
    return otio.opentime.RationalTime(frames, otio_rate(rate))


def time_range(start: int, duration: int, rate: Fraction) -> otio.opentime.TimeRange:
    """A range of whole frames at ``rate`` as an OTIO TimeRange."""
    return otio.opentime.TimeRange(rational_time(start, rate), rational_time(duration, rate))


def to_frames(time: otio.opentime.RationalTime, rate: Fraction) -> int:
    """An OTIO time as a whole number of frames at ``rate`` (rounded to the nearest frame)."""
    return round(time.value_rescaled_to(otio_rate(rate)))


def parse_timecode(text: str, rate: Fraction) -> int:
    """A SMPTE timecode as a frame number at ``rate``.

    ``;`` before the frames means drop-frame, which only 29.97 and 59.94 have. Raises
    :class:`TimingError` with the reason for anything else.
    """
    match = _TIMECODE.match(text.strip())
    if not match:
        raise TimingError(f"timecode {text!r} is not HH:MM:SS:FF")
    hours, minutes, seconds, sep, frames = match.groups()
    if sep == ";" and not is_drop_frame_rate(rate):
        raise TimingError(f"timecode {text!r} is drop-frame (;) but {fps_label(rate)} fps has no drop-frame")
    nominal = round(rate)
    if int(minutes) > 59 or int(seconds) > 59 or int(frames) >= nominal:
        raise TimingError(f"timecode {text!r} is out of range at {fps_label(rate)} fps")
    if is_drop_frame_rate(rate) and sep != ";":
        # A colon at 29.97 / 59.94 is non-drop-frame: a plain frame count at the nominal rate.
        return ((int(hours) * 60 + int(minutes)) * 60 + int(seconds)) * nominal + int(frames)
    normalized = f"{int(hours):02d}:{minutes}:{seconds}{';' if sep == ';' else ':'}{int(frames):02d}"
    try:
        return round(otio.opentime.from_timecode(normalized, otio_rate(rate)).value)
    except ValueError as exc:  # e.g. an invalid drop-frame label
        raise TimingError(f"timecode {text!r} is not valid at {fps_label(rate)} fps: {exc}") from None


def day_frames(rate: Fraction, drop_frame: bool = False) -> int:
    """How many frames of timecode a day holds at ``rate``: ``24:00:00:00`` as a frame number, where
    every editing app wraps back to ``00:00:00:00``."""
    last = round(rate) - 1
    sep = ";" if drop_frame and is_drop_frame_rate(rate) else ":"
    return parse_timecode(f"23:59:59{sep}{last:02d}", rate) + 1


def format_timecode(frame: int, rate: Fraction, drop_frame: bool | None = None) -> str:
    """Frame number ``frame`` at ``rate`` as SMPTE timecode (drop-frame at 29.97/59.94 by default)."""
    if drop_frame is None:
        drop_frame = is_drop_frame_rate(rate)
    return otio.opentime.to_timecode(rational_time(frame, rate), otio_rate(rate), drop_frame)


def parse_duration(value: object, rate: Fraction) -> int:
    """A shot duration as whole frames at ``rate``.

    Accepts ``4s`` / ``2.5s`` (seconds, rounded to the nearest frame), ``96f`` (frames),
    ``1m30s`` / ``2m`` (minutes, for runtimes) and ``00:00:04:00`` (a timecode duration). A bare
    number is refused because it could mean either seconds or frames. Raises :class:`TimingError`
    with the forms it accepts.
    """
    if isinstance(value, str):
        return _parse_duration_text(value, rate)
    hint = "use 4s, 2.5s, 96f or 00:00:04:00"
    if isinstance(value, bool) or value is None:
        raise TimingError(f"duration {value!r} is not readable ({hint})")
    if isinstance(value, (int, float)):
        raise TimingError(f"duration {value!r} has no unit: write {value}s for seconds or {value}f for frames")
    return _parse_duration_text(str(value), rate)


@functools.lru_cache(maxsize=4096)
def _parse_duration_text(value: str, rate: Fraction) -> int:
    # Cached: a long project repeats the same few durations thousands of times.
    hint = "use 4s, 2.5s, 96f or 00:00:04:00"
    text = value.strip()
    if len(text) > 40:  # no duration is written with this many digits (and Python reads at most 4,300)
        raise TimingError(f"duration {text[:20] + '…'!r} is not readable ({hint})")
    if m := _FRAMES.match(text):
        frames = int(m.group(1))
    elif m := _SECONDS.match(text):
        seconds = Fraction(m.group(1))
        frames = _round_half_up(seconds * rate)
    elif m := _MINUTES.match(text):
        seconds = Fraction(m.group(1)) * 60 + Fraction(m.group(2) or 0)
        frames = _round_half_up(seconds * rate)
    elif _TIMECODE.match(text):
        frames = parse_timecode(text, rate)
    else:
        raise TimingError(f"duration {text!r} is not readable ({hint})")
    if frames <= 0:
        raise TimingError(f"duration {text!r} is shorter than one frame at {fps_label(rate)} fps")
    return frames


def _round_half_up(value: Fraction) -> int:
    return int(value + Fraction(1, 2)) if value >= 0 else -int(-value + Fraction(1, 2))


def seconds(frames: int, rate: Fraction) -> Fraction:
    """``frames`` at ``rate`` as exact seconds."""
    return Fraction(frames) / rate


def format_duration(frames: int, rate: Fraction) -> str:
    """A short human form of a duration: ``4s`` when it is whole seconds, else ``2.46s (59f)``."""
    secs = seconds(frames, rate)
    if secs.denominator == 1:
        return f"{secs.numerator}s"
    return f"{float(secs):.2f}s ({frames}f)"


def format_runtime(frames: int, rate: Fraction) -> str:
    """A runtime as minutes and seconds: ``1m 32s`` or ``48.5s``."""
    secs = float(seconds(frames, rate))
    if secs >= 60:
        return f"{int(secs // 60)}m {secs % 60:04.1f}s"
    return f"{secs:.1f}s"
