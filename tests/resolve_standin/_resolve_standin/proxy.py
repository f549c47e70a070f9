"""``PyRemoteObject``: the one type every Resolve object has in a script (resolve-api.md §1).

A proxy holds only ``(kind, id)`` and asks the current session on every attribute, so it keeps
working after the state was reloaded from a file another process wrote. Unknown names follow the
``unknown_attr`` knob (§1, §8): ``hasattr`` is always True; ``getattr`` gives None (default), a
callable returning None, or raises. Two proxies of one object are different Python objects that do
not compare equal, as with fusionscript [UNV]: compare ``GetUniqueId()``.
"""

from __future__ import annotations

from typing import Any

from . import runtime


class PyRemoteObject:
    """An opaque handle to an object living in (the stand-in of) Resolve."""

    __slots__ = ("_ref",)

    def __init__(self, ref: tuple[str, str]) -> None:
        object.__setattr__(self, "_ref", ref)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return runtime.current().attribute(self._ref, name)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"PyRemoteObject attributes are read-only: {name}")

    def __dir__(self) -> list[str]:
        return runtime.current().names(self._ref)

    def __repr__(self) -> str:
        return f"<PyRemoteObject object at 0x{id(self):x}>"


class RemoteMethod:
    """A bound API method of a proxy; calling it runs the call in the session."""

    __slots__ = ("_name", "_ref")

    def __init__(self, ref: tuple[str, str], name: str) -> None:
        self._ref = ref
        self._name = name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return runtime.current().call(self._ref, self._name, args, kwargs)

    def __repr__(self) -> str:
        return f"<built-in method {self._name} of PyRemoteObject>"


def ref_of(value: object) -> tuple[str, str] | None:
    """The ``(kind, id)`` a proxy holds, or None for anything else."""
    if isinstance(value, PyRemoteObject):
        return object.__getattribute__(value, "_ref")
    return None
