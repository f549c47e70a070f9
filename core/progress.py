"""Progress reporting for long work, without printing: hosts pass a callback, the core calls it.

A callback is ``progress(done, total, message)``: ``done`` of ``total`` steps finished, and what is
happening now. The terminal draws a bar (:mod:`shotreel.cli.terminal`), Blender its status bar,
Resolve its console; the core never prints.
"""

from __future__ import annotations

from collections.abc import Callable

ProgressCallback = Callable[[int, int, str], None]


def no_progress(done: int, total: int, message: str) -> None:
    """The callback used when the caller does not want progress."""
