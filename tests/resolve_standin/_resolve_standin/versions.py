"""Resolve builds: the version string, and which build has what (resolve-api.md §2, §5, §6.3).

A version reads ``major.minor.patch[suffix].build`` (``"19.1.3.7"``, ``"19.0.0b1.20"``). API methods
name the first build that has them (``since``); :func:`available` decides. ``19.0 final`` features
(``subframe``, ``GetSourceStartFrame`` …) are absent from 19.0 betas.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_VERSION = re.compile(r"^(\d+)\.(\d+)(?:\.(\d+)([A-Za-z][A-Za-z0-9]*)?)?(?:\.(\d+))?$")


@dataclass(frozen=True)
class Version:
    """One Resolve build, as ``GetVersion()`` lists it: ``[19, 1, 3, 7, '']``."""

    major: int
    minor: int
    patch: int = 0
    build: int = 0
    suffix: str = ""

    @classmethod
    def parse(cls, text: str) -> Version:
        """``"19.1.3.7"`` → ``Version(19, 1, 3, 7, "")``; raises ValueError on anything else."""
        match = _VERSION.match(str(text).strip())
        if not match:
            raise ValueError(f"not a Resolve version: {text!r} (expected e.g. '19.1.3.7')")
        major, minor, patch, suffix, build = match.groups()
        return cls(int(major), int(minor), int(patch or 0), int(build or 0), suffix or "")

    @property
    def key(self) -> tuple[int, int, int, int]:
        return (self.major, self.minor, self.patch, self.build)

    def at_least(self, *parts: int) -> bool:
        """True when this build is ``parts`` (a prefix such as ``(20, 2, 2)``) or later."""
        return self.key[: len(parts)] >= tuple(parts)

    @property
    def is_beta(self) -> bool:
        return self.suffix.lower().startswith("b")

    @property
    def text(self) -> str:
        """``GetVersionString()``: ``"19.1.3.7"``."""
        return f"{self.major}.{self.minor}.{self.patch}{self.suffix}.{self.build}"

    def as_list(self) -> list[int | str]:
        """``GetVersion()``: ``[19, 1, 3, 7, '']``."""
        return [self.major, self.minor, self.patch, self.build, self.suffix]


FINAL_19 = (19, 0)
"""Marker for "19.0 final / 19.1" features (§5): 19.0 or later, but not a 19.0 beta."""


def available(version: Version, since: tuple[int, ...] | None, until: tuple[int, ...] | None = None,
              final: bool = False) -> bool:
    """Whether a call introduced in ``since`` (and gone after ``until``) exists on ``version``."""
    if since is not None and not version.at_least(*since):
        return False
    if final and version.key[:2] == (19, 0) and version.is_beta:
        return False
    return not (until is not None and version.at_least(*until))


def end_frame_inclusive(version: Version) -> bool:
    """AppendToTimeline's clipInfo ``endFrame`` is inclusive on 19.1.x only (§5, §7.2)."""
    return (version.major, version.minor) == (19, 1)


def python_scripting_anywhere(version: Version, edition: str) -> bool:
    """Free 21.1+ runs no Python at all: menu scripts unlisted, console Lua-only (§6.3)."""
    return edition == "studio" or not version.at_least(21, 1)
