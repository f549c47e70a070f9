"""The stand-in's state as JSON: registered dataclasses, exact fractions and non-string dict keys.

A running Resolve outlives the scripts that talk to it; the stand-in gets that by writing its whole
state to a JSON file (``RESOLVE_STANDIN_STATE``) after every call that changes something, and by
reading it when a process first asks for Resolve. The encoding is generic: a dataclass becomes
``{"__type__": name, field: value …}``, a Fraction ``{"__fraction__": "24000/1001"}``.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
from fractions import Fraction
from pathlib import Path
from typing import Any, TypeVar

_TYPES: dict[str, type] = {}

T = TypeVar("T", bound=type)


def persisted(cls: T) -> T:
    """Class decorator: instances of this dataclass may be written to and read from the state file."""
    _TYPES[cls.__name__] = cls
    return cls


_FIELDS: dict[type, tuple[str, ...]] = {}


def _fields(cls: type) -> tuple[str, ...]:
    names = _FIELDS.get(cls)
    if names is None:
        names = tuple(f.name for f in dataclasses.fields(cls) if not f.metadata.get("transient"))
        _FIELDS[cls] = names
    return names


def encode(value: Any) -> Any:
    """``value`` as plain JSON data."""
    if value is None or isinstance(value, (str, int, float)):
        return value
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value):
            return {k: encode(v) for k, v in value.items()}
        return {"__items__": [[encode(k), encode(v)] for k, v in value.items()]}
    if isinstance(value, (list, tuple)):
        return [encode(v) for v in value]
    if isinstance(value, Fraction):
        return {"__fraction__": f"{value.numerator}/{value.denominator}"}
    if hasattr(type(value), "__dataclass_fields__"):
        out: dict[str, Any] = {"__type__": type(value).__name__}
        for name in _fields(type(value)):
            out[name] = encode(getattr(value, name))
        return out
    return value


def decode(data: Any) -> Any:
    """The value :func:`encode` wrote."""
    if isinstance(data, list):
        return [decode(v) for v in data]
    if not isinstance(data, dict):
        return data
    if "__fraction__" in data:
        return Fraction(data["__fraction__"])
    if "__items__" in data:
        return {decode(k): decode(v) for k, v in data["__items__"]}
    if "__type__" in data:
        cls = _TYPES[data["__type__"]]
        names = {f.name for f in dataclasses.fields(cls) if f.init}
        return cls(**{k: decode(v) for k, v in data.items() if k in names})
    return {k: decode(v) for k, v in data.items()}


def write_json(path: str | os.PathLike[str], data: Any) -> None:
    """Write ``data`` to ``path`` atomically (a reader never sees half a file)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=target.name, suffix=".tmp", dir=target.parent)
    try:
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))  # the C encoder: fast
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def read_json(path: str | os.PathLike[str]) -> Any:
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)
