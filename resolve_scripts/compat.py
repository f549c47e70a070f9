"""Every difference between DaVinci Resolve versions and editions that shotreel's scripts meet, in one
place (reference ``resolve-api.md`` §5, §6.3, §7). Supported: 18.6, 19.1, 20.x and 21.x, Studio, and
the free edition up to 21.0 from the Workspace ▸ Scripts menu.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

OLDEST = (18, 5)
"""AppendToTimeline's clipInfo ``recordFrame`` and ``trackIndex`` arrived in 18.5 (§5): without them no
item can be placed at its frame, so older builds are refused."""


@dataclass(frozen=True)
class Profile:
    """What one Resolve build and edition can do, as shotreel's scripts need to know it."""

    version: tuple[int, ...]
    studio: bool

    @property
    def label(self) -> str:
        edition = "Studio" if self.studio else "free"
        return f"DaVinci Resolve {edition} {'.'.join(str(v) for v in self.version)}"

    @property
    def supported(self) -> bool:
        return self.version[:2] >= OLDEST

    @property
    def python_scripting(self) -> bool:
        """The free edition from 21.1 runs no Python scripts at all, not even from the menu (§6.3)."""
        return self.studio or self.version[:2] < (21, 1)

    @property
    def external_scripting(self) -> bool:
        """Only Studio answers scripts run from a terminal (``scriptapp`` is None on free, §6.2/§6.3)."""
        return self.studio

    @property
    def append_end_inclusive(self) -> bool:
        """AppendToTimeline's ``endFrame`` is the last frame (inclusive) on 19.1 only; exclusive before and
        after (§7.2: 19.1.3.7 appended nothing with an exclusive end)."""
        return self.version[:2] == (19, 1)

    def append_end(self, source_out: int) -> int:
        """The clipInfo ``endFrame`` for a source range ending (exclusively) at ``source_out``."""
        return source_out - 1 if self.append_end_inclusive else source_out

    @property
    def import_route(self) -> str:
        """How the reel becomes a timeline: ``append`` (media into bins, then AppendToTimeline with
        ``recordFrame`` and ``trackIndex``) on every supported build. OTIO import exists from 18.6, but
        it cannot put media in per-scene bins (it lands in the current folder), its relinking failed
        through the API on 18.5/18.6 while the UI worked (§3.3), and the take selector and markers need
        API calls afterwards anyway; append lets every item be checked as it lands (ghost items, §7.2).
        The Resolve-shaped OTIO stays the route for editions without scripting (File ▸ Import)."""
        return "append"

    @property
    def source_end_inclusive_on_rate_mismatch(self) -> bool:
        """``GetSourceEndFrame`` is inclusive when the media's rate differs from the timeline's (§2.10)."""
        return True


_VERSION = re.compile(r"\d+")


def parse_version(value: object) -> tuple[int, ...]:
    """A build as numbers: ``[19, 1, 3, 7, '']`` or ``"19.1.3.7"`` → ``(19, 1, 3, 7)``."""
    if isinstance(value, (list, tuple)):
        numbers = [int(v) for v in value if isinstance(v, int) or (isinstance(v, str) and v.isdigit())]
    else:
        numbers = [int(v) for v in _VERSION.findall(str(value or ""))]
    return tuple(numbers) or (0,)


def profile_of(resolve: object) -> Profile:
    """The profile of a live ``resolve`` object (``GetVersion``, ``GetProductName``)."""
    version = parse_version(_call(resolve, "GetVersion") or _call(resolve, "GetVersionString"))
    product = str(_call(resolve, "GetProductName") or "")
    return Profile(version, studio="Studio" in product)


def _call(obj: object, name: str) -> object:
    method = getattr(obj, name, None)
    if not callable(method):
        return None
    try:
        return method()
    except TypeError:
        return None


FRAME_RATES: dict[str, str] = {"23.976": "23.976", "24": "24", "25": "25", "29.97": "29.97", "30": "30",
                               "48": "48", "50": "50", "59.94": "59.94", "60": "60"}
"""Resolve's ``timelineFrameRate`` values by shotreel's rate label (``"29.97 DF"`` turns drop frame on)."""


def frame_rate_setting(label: str, drop_frame: bool) -> str:
    """The ``timelineFrameRate`` string for a film rate label (``"29.97"`` + drop frame → ``"29.97 DF"``)."""
    value = FRAME_RATES[label]
    return f"{value} DF" if drop_frame else value


def same_rate(setting: object, label: str) -> bool:
    """Whether Resolve's ``timelineFrameRate`` (a string, or a number on 21.1, §2.3) is the film's rate."""
    text = str(setting).replace("DF", "").strip()
    try:
        return abs(float(text) - float(FRAME_RATES[label])) < 0.001
    except ValueError:
        return False
