"""The errors shotreel raises: a small hierarchy whose messages name the file, line and shot.

Every error a user can cause is a :class:`ShotreelError`. Its ``str()`` is one line of the form
``shotreel.yaml:12: shot sh010: duration '4x' is not readable (use 4s, 96f or 00:00:04:00)``,
which the command line prints as it is, without a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

_LINE_BREAKS = {ord(ch): repr(ch)[1:-1] for ch in "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"}


def one_line(text: str) -> str:
    """``text`` with every character that would break a line (``\\n``, ``\\r``, U+2028 …) written as
    its escape, so that a message quoting a user's text stays one line."""
    return text.translate(_LINE_BREAKS)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, located as precisely as the input allows."""

    message: str
    file: str | None = None
    line: int | None = None
    shot: str | None = None

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = f"{self.file}:{self.line}: " if self.line else f"{self.file}: "
        who = f"shot {self.shot}: " if self.shot else ""
        return one_line(f"{where}{who}{self.message}")


class ShotreelError(Exception):
    """Base of every error caused by input a user can fix."""

    def __init__(self, message: str, *, file: str | Path | None = None, line: int | None = None,
                 shot: str | None = None, problems: list[Problem] | None = None):
        first = Problem(message, str(file) if file is not None else None, line, shot)
        self.problems: list[Problem] = problems or [first]
        self.message = message
        self.file = first.file
        self.line = line
        self.shot = shot
        super().__init__(str(self.problems[0]))

    def __str__(self) -> str:
        text = str(self.problems[0])
        if len(self.problems) > 1:
            text += f" (and {len(self.problems) - 1} more)"
        return text


class ProjectError(ShotreelError):
    """The project folder or its ``shotreel.yaml`` cannot be read as a film."""

    @classmethod
    def from_problems(cls, problems: list[Problem]) -> ProjectError:
        first = problems[0]
        return cls(first.message, file=first.file, line=first.line, shot=first.shot, problems=problems)


class TimingError(ShotreelError):
    """A rate, duration or timecode that cannot be read exactly."""


class CutError(ShotreelError):
    """A cut from another editor (OTIO, EDL, FCP7 XML, AAF) that cannot be read or used."""


class BoardError(ShotreelError):
    """A board image that cannot be read or drawn."""


class ReelError(ShotreelError):
    """The reel cannot be built or written in the requested format."""
