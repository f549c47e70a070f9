"""Frame rates as Resolve names them in settings, and SMPTE timecode both ways (resolve-api.md §2.3, §7.1).

Rates are exact fractions (``"23.976"`` is 24000/1001). Timecode arithmetic uses the nominal whole
rate (24 for 23.976); drop-frame labels (``29.97``, ``59.94``) skip frame numbers 0-1 (0-3 at 59.94)
at the start of every minute except each tenth, so 01:00:00;00 at 29.97 DF is frame 107892 — the
SMPTE answer, which the reference marks [UNV] for Resolve itself. Drop-frame timecode is written
with ``;`` before the frames, the way Resolve displays it [UNV for the API's strings].
"""

from __future__ import annotations

import re
from fractions import Fraction

RATES: dict[str, Fraction] = {
    "16": Fraction(16), "18": Fraction(18), "23.976": Fraction(24000, 1001), "24": Fraction(24),
    "25": Fraction(25), "29.97": Fraction(30000, 1001), "30": Fraction(30), "47.952": Fraction(48000, 1001),
    "48": Fraction(48), "50": Fraction(50), "59.94": Fraction(60000, 1001), "60": Fraction(60),
    "72": Fraction(72), "95.904": Fraction(96000, 1001), "96": Fraction(96), "100": Fraction(100),
    "119.88": Fraction(120000, 1001), "120": Fraction(120),
}
"""The timeline frame rates Resolve offers, by the string ``SetSetting("timelineFrameRate", …)`` takes."""

DROP_FRAME_LABELS = frozenset({"29.97", "59.94"})

_TC = re.compile(r"^(\d{1,2}):(\d{2}):(\d{2})([:;.,])(\d{2,3})$")


def parse_rate_setting(text: str) -> tuple[Fraction, bool | None] | None:
    """``"29.97 DF"`` → ``(30000/1001, True)``; ``"24"`` → ``(24, None)`` (drop frame untouched); else None."""
    label = text.strip()
    drop: bool | None = None
    if label.upper().endswith(" DF"):
        label, drop = label[:-3].strip(), True
    elif label.upper().endswith(" NDF"):
        label, drop = label[:-4].strip(), False
    if label not in RATES or (drop and label not in DROP_FRAME_LABELS):
        return None
    return RATES[label], drop


def rate_label(rate: Fraction) -> str:
    """The settings string of an exact rate (``Fraction(24000, 1001)`` → ``"23.976"``)."""
    for label, value in RATES.items():
        if value == rate:
            return label
    value = float(rate)
    return str(int(value)) if value == int(value) else f"{value:.3f}".rstrip("0")


def rate_from_number(value: float | str | Fraction) -> Fraction | None:
    """An exact rate from a float such as OTIO's ``23.976023976023978`` or a label; None if unknown."""
    if isinstance(value, Fraction):
        return value
    if isinstance(value, str):
        if value in RATES:
            return RATES[value]
        try:
            value = float(Fraction(value))
        except (ValueError, ZeroDivisionError):
            return None
    for rate in RATES.values():
        if abs(float(rate) - float(value)) < 0.005:
            return rate
    if value > 0 and abs(value - round(value)) < 1e-6:
        return Fraction(round(value))
    return None


def nominal(rate: Fraction) -> int:
    """The whole rate timecode counts in: 24 for 23.976, 30 for 29.97."""
    return round(rate)


def drop_per_minute(rate: Fraction) -> int:
    """Frame numbers skipped per minute in drop-frame timecode (2 at 29.97, 4 at 59.94)."""
    return 2 * nominal(rate) // 30


def timecode_to_frame(text: str, rate: Fraction, drop: bool) -> int | None:
    """The frame number of ``HH:MM:SS:FF`` (``;`` or ``:`` before the frames), or None if invalid."""
    match = _TC.match(text.strip()) if isinstance(text, str) else None
    if not match:
        return None
    hours, minutes, seconds, _sep, frames = match.groups()
    h, m, s, f = int(hours), int(minutes), int(seconds), int(frames)
    base = nominal(rate)
    if m > 59 or s > 59 or f >= base:
        return None
    total = (h * 3600 + m * 60 + s) * base + f
    if drop:
        skip = drop_per_minute(rate)
        if s == 0 and f < skip and m % 10 != 0:
            return None
        minutes_total = h * 60 + m
        total -= skip * (minutes_total - minutes_total // 10)
    return total


def frame_to_timecode(frame: int, rate: Fraction, drop: bool) -> str:
    """``frame`` as ``HH:MM:SS:FF`` (``HH:MM:SS;FF`` in drop frame), wrapping at 24 hours."""
    base = nominal(rate)
    frame = int(frame)
    if drop:
        skip = drop_per_minute(rate)
        per_ten = base * 600 - skip * 9
        per_minute = base * 60 - skip
        frame %= per_ten * 6 * 24
        tens, rest = divmod(frame, per_ten)
        frame += skip * 9 * tens
        if rest > skip:
            frame += skip * ((rest - skip) // per_minute)
    else:
        frame %= base * 3600 * 24
    f = frame % base
    s = frame // base % 60
    m = frame // (base * 60) % 60
    h = frame // (base * 3600)
    sep = ";" if drop else ":"
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{f:02d}"
