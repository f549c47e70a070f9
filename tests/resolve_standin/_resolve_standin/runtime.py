"""The one stand-in Resolve of this process (a Python process talks to one Resolve)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .session import Session

_current: Session | None = None


def current() -> Session:
    """The running session, created from the environment (and the state file) on first use."""
    global _current
    if _current is None:
        from .session import Session
        _current = Session.from_environment()
    return _current


def install(session: Session | None) -> None:
    """Make ``session`` the process's Resolve (None: the next use reads the environment again)."""
    global _current
    _current = session
