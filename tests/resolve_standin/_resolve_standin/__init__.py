"""An in-memory DaVinci Resolve for tests: the control API (what a test calls, never a script).

Put ``tests/resolve_standin`` on ``sys.path`` and ``import DaVinciResolveScript`` works as with the real
one. A test configures and inspects the stand-in here::

    import _resolve_standin as standin
    standin.reset(version="19.1.3.7", edition="studio")          # a fresh, running Resolve
    standin.register_media("/abs/take.mp4", fps=24, frames=48)   # what the decoder reads (optional)
    ... run the script under test ...
    resolve = standin.resolve()                                  # same API, gates ignored
    standin.errors()                                             # every silent refusal, with its reason

For a script run in another process (``shotreel resolve …``), give ``reset`` a ``state_file`` and pass
:func:`env` to the subprocess: the child reads config and state from the file, writes it back after each
call that changes something, and :func:`reload` shows the parent what the child left.
Behaviour is held to ``reference/resolve-api.md``; see this folder's README.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from . import application, interchange, mediapool, runtime, timeline  # noqa: F401 - registers kinds
from .base import StandinHang
from .config import ENV_PREFIX, Config
from .markers import CLIP_COLORS, MARKER_COLORS
from .proxy import PyRemoteObject
from .session import STATE_ENV, Session

__all__ = ["CLIP_COLORS", "FOLDER", "MARKER_COLORS", "STATE_ENV", "Config", "PyRemoteObject", "StandinHang",
           "calls", "configure", "current", "dismiss_modal", "env", "errors", "last_error", "menu_globals",
           "register_media", "reload", "reset", "resolve", "snapshot"]

FOLDER = Path(__file__).resolve().parent.parent
"""The folder to put on ``sys.path`` / ``PYTHONPATH`` (it holds ``DaVinciResolveScript.py``)."""


def reset(*, state_file: str | os.PathLike[str] | None = None, **knobs: Any) -> PyRemoteObject:
    """Start a fresh Resolve with ``knobs`` over the defaults (environment variables are ignored here).

    With ``state_file`` the state is written there at once and after every call that changes it, and
    :func:`env` gives a subprocess the same Resolve. Returns :func:`resolve`.
    """
    config = Config().replace(**knobs)
    session = Session(config, None, os.fspath(state_file) if state_file is not None else None)
    runtime.install(session)
    session.save()
    return resolve()


def current() -> Session:
    """The running session (its ``config``, its ``state`` with every entity by id, its call log)."""
    return runtime.current()


def configure(**knobs: Any) -> Config:
    """Change knobs of the running Resolve without losing its state (e.g. ``running=False``)."""
    session = runtime.current()
    session.sync()
    session.config = session.config.replace(**knobs)
    session.save()
    return session.config


def register_media(path: str | os.PathLike[str], **info: Any) -> None:
    """Tell the decoder what the file at ``path`` holds: ``fps``, ``frames``, ``width``, ``height``,
    ``codec``, ``start_tc``, ``drop``, ``audio`` (channels or bool), ``kind`` (video/audio/still),
    ``seconds`` (audio), ``sample_rate``. The file itself must exist for Resolve to import it."""
    allowed = {"fps", "frames", "width", "height", "codec", "start_tc", "drop", "audio", "kind", "seconds",
               "sample_rate", "format"}
    unknown = sorted(set(info) - allowed)
    if unknown:
        raise TypeError(f"unknown media field(s): {', '.join(unknown)}")
    session = runtime.current()
    session.sync()
    media = dict(session.config.media)
    media[os.path.abspath(os.fspath(path))] = {k: (str(v) if k == "fps" else v) for k, v in info.items()}
    session.config = session.config.replace(media=media)
    session.save()


def resolve() -> PyRemoteObject:
    """The Resolve object for a test's own assertions: the same API a script sees, but handed out even
    when ``scriptapp`` would refuse (not running, free edition …)."""
    return PyRemoteObject(("Resolve", ""))


def reload() -> Session:
    """Read the state file again now. Every call already does this when another process wrote the file
    since, so this is only needed before reading ``current().state`` directly. Proxies stay valid."""
    session = runtime.current()
    if not session.path:
        raise RuntimeError("the stand-in has no state file: reset(state_file=...) first")
    session.sync(force=True)
    return session


def snapshot() -> dict[str, Any]:
    """Config and state as plain JSON data (what the state file holds)."""
    session = runtime.current()
    session.sync()
    return session.snapshot()


def errors() -> list[dict[str, str]]:
    """Every silent refusal so far: ``{"call": "MediaPool.AppendToTimeline", "reason": …}``."""
    session = runtime.current()
    session.sync()
    return list(session.state.errors)


def last_error() -> str | None:
    """The reason of the latest silent refusal, or None."""
    found = errors()
    return found[-1]["reason"] if found else None


def calls() -> list[tuple[str, str, str]]:
    """This process's call log: ``(Kind.Method, args, result)`` (the last 10,000)."""
    return list(runtime.current().calls)


def call_counts() -> dict[str, int]:
    """How many calls this process made since the last reset, by ``Kind.Method`` (never truncated)."""
    return dict(runtime.current().counts)


def dismiss_modal() -> None:
    """A human clicks the upsell modal away (free edition, §6.3)."""
    session = runtime.current()
    session.sync()
    session.state.modal = False
    session.save()


def env(base: dict[str, str] | None = None, **knobs: Any) -> dict[str, str]:
    """The environment for a subprocess that should talk to this Resolve: ``PYTHONPATH`` with the
    stand-in folder first, ``RESOLVE_STANDIN_STATE``, and ``knobs`` as ``RESOLVE_STANDIN_*`` overrides."""
    session = runtime.current()
    if not session.path:
        raise RuntimeError("a subprocess needs a state file: reset(state_file=...) first")
    session.save()
    out = dict(os.environ if base is None else base)
    out["PYTHONPATH"] = os.pathsep.join([str(FOLDER)] + [p for p in out.get("PYTHONPATH", "").split(os.pathsep) if p])
    out[STATE_ENV] = session.path
    for key, value in knobs.items():
        Config().replace(**{key: value})
        text = ("1" if value else "0") if isinstance(value, bool) else str(value)
        out[ENV_PREFIX + key.upper()] = text
    return out


class Bmd:
    """The ``bmd`` global of a menu script: ``bmd.scriptapp("Resolve")`` (§6.1)."""

    def scriptapp(self, app: str = "Resolve", ip: str | None = None, timeout: float | None = None,
                  uuid: str | None = None) -> PyRemoteObject | None:
        return runtime.current().scriptapp(app, ip)


def menu_globals() -> dict[str, Any]:
    """The globals Resolve gives a Workspace ▸ Scripts (or Console) Python script (§6.1): ``resolve``,
    ``bmd``, ``app``/``fusion``/``fu`` (the Fusion app, ``app.GetResolve()``). Configure
    ``launch="menu"`` first; free 21.1+ runs no Python scripts at all (RuntimeError)."""
    session = runtime.current()
    if session.config.launch == "external":
        raise RuntimeError("configure(launch='menu') or 'console' first")
    if not session.python_runs():
        raise RuntimeError("free 21.1+ does not list or run Python scripts (§6.3)")
    fusion = PyRemoteObject(("Fusion", ""))
    return {"resolve": resolve(), "bmd": Bmd(), "app": fusion, "fusion": fusion, "fu": fusion}
