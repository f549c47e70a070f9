"""Argument types the commands share (argparse ``type=`` callables with one-line errors)."""

from __future__ import annotations

import argparse
from collections.abc import Callable


def at_least(minimum: int) -> Callable[[str], int]:
    """A ``type=`` for a whole number of at least ``minimum`` (``--takes``, ``--concurrency`` …)."""
    def whole_number(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = minimum - 1
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least {minimum}")
        return value
    whole_number.__name__ = f"whole number of at least {minimum}"
    return whole_number


positive = at_least(1)
not_negative = at_least(0)
