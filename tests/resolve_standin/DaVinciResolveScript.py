"""Stand-in for Blackmagic's ``DaVinciResolveScript`` module, backed by ``_resolve_standin``.

Scripts use it as they use the real one (resolve-api.md §6.2)::

    import DaVinciResolveScript as dvr
    resolve = dvr.scriptapp("Resolve")   # None: not running, external scripting off, free edition

Importing fails with ImportError when the stand-in is configured as not installed (no fusionscript).
"""

from __future__ import annotations

from typing import Any

from _resolve_standin import runtime as _runtime

if not _runtime.current().config.installed:
    raise ImportError("Could not locate module dependencies")


def scriptapp(app: str, ip: str | None = None, timeout: float | None = None, uuid: str | None = None) -> Any:
    """The application object ``app`` (``"Resolve"`` or ``"Fusion"``), or None (§6.2, §6.3)."""
    return _runtime.current().scriptapp(app, ip)
