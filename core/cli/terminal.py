"""Terminal output for commands: a progress bar on stderr that is quiet when not on a terminal."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class ProgressBar:
    """A progress callback (``bar(done, total, message)``) drawing one updating line on a terminal.

    When the stream is not a terminal (a pipe, CI) it prints nothing but the final line of each
    stage, so logs stay readable.
    """

    def __init__(self, label: str, stream: TextIO | None = None, width: int = 28):
        self.label = label
        self.stream = stream or sys.stderr
        self.width = width
        self.tty = self.stream.isatty()
        self._last = 0.0
        self._open = False

    def __call__(self, done: int, total: int, message: str) -> None:
        now = time.monotonic()
        finished = total > 0 and done >= total
        if self.tty:
            if not finished and now - self._last < 0.05:
                return
            self._last = now
            filled = int(self.width * done / total) if total else 0
            bar = "█" * filled + "·" * (self.width - filled)
            text = f"\r{self.label:<8} {bar} {done}/{total} {message}"[:120]
            self.stream.write(text.ljust(100) if not finished else text.ljust(100) + "\n")
            self.stream.flush()
            self._open = not finished
        elif finished:
            self.stream.write(f"{self.label}: {done}/{total} {message}\n")

    def close(self) -> None:
        if self._open:
            self.stream.write("\n")
            self._open = False
