"""What every stand-in object shares: the ``@api`` marker, silent refusals, entities kept by id.

A Resolve object is reached by scripts only through :class:`~_resolve_standin.proxy.PyRemoteObject`;
the classes here hold the behaviour. A method is part of Resolve's API only when marked with
:func:`api`, which records its failure value (None for getters, False for mutators — §1 "nothing
raises"), the first build that has it (§5) and whether it changes state (then the state file is
written). Inside a method, ``raise Refuse("why")`` makes the call fail silently with its failure
value while the reason is kept for tests (§8 "optionally record last_error").
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class Refuse(Exception):
    """Raised inside an API method: the call returns its failure value; the message is recorded."""


class StandinHang(BaseException):
    """A call the real Resolve would never return from (SaveProject on Untitled, headless; §2.2, §7.3).

    A BaseException, so a script's ``except Exception`` does not swallow what would be a hang.
    """


@dataclass(frozen=True)
class ApiSpec:
    """How one API method behaves at the edges."""

    fail: Any = None
    writes: bool = False
    since: tuple[int, ...] | None = None
    final19: bool = False
    until: tuple[int, ...] | None = None
    dirties: bool = False


def api(*, fail: Any = None, writes: bool = False, since: tuple[int, ...] | None = None,
        final19: bool = False, until: tuple[int, ...] | None = None,
        dirties: bool | None = None) -> Callable[[F], F]:
    """Mark a method as part of Resolve's scripting API.

    ``fail`` is what a refused call returns; ``writes`` says the call may change state (the state
    file is written after it) and ``dirties`` that it leaves the project with unsaved changes (by
    default: when it writes); ``since`` is the first build with the call (§5), ``final19`` a
    19.0-final feature absent from 19.0 betas.
    """
    spec = ApiSpec(fail=fail, writes=writes, since=since, final19=final19, until=until,
                   dirties=writes if dirties is None else dirties)

    def mark(func: F) -> F:
        func._api = spec  # type: ignore[attr-defined]
        return func

    return mark


def api_spec(cls: type, name: str) -> ApiSpec | None:
    """The spec of ``cls.name`` when it is an API method, else None."""
    if name.startswith("_"):
        return None
    func = getattr(cls, name, None)
    return getattr(func, "_api", None)


def api_names(cls: type) -> list[str]:
    return sorted(n for n in dir(cls) if api_spec(cls, n) is not None)


class ApiObject:
    """Anything a script can hold: an entity of the state, or a facade such as the MediaPool."""

    kind: ClassVar[str] = "Object"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        KINDS.setdefault(cls.kind, cls)

    def ref(self) -> tuple[str, str]:
        """How a proxy finds this object again: ``(kind, id)``."""
        raise NotImplementedError


FACADES: dict[str, Callable[[Any, str], ApiObject | None]] = {}
"""Objects that are views rather than state (Resolve, ProjectManager, MediaPool …), by kind: a factory
``(session, id) -> object or None``."""

KINDS: dict[str, type] = {}
"""API classes by kind, to tell which API a proxy of a deleted object had."""


def facade(kind: str) -> Callable[[Callable[[Any, str], ApiObject | None]], Callable[[Any, str], ApiObject | None]]:
    """Register the factory of a facade kind."""
    def register(factory: Callable[[Any, str], ApiObject | None]) -> Callable[[Any, str], ApiObject | None]:
        FACADES[kind] = factory
        return factory
    return register


def new_uid() -> str:
    """A unique id in the form Resolve's ``GetUniqueId()`` returns (a UUID string)."""
    return str(uuid.uuid4())


@dataclass(kw_only=True)
class Entity(ApiObject):
    """An object held in the state by unique id (project, bin, clip, timeline, timeline item)."""

    uid: str = field(default_factory=new_uid)
    project: str = ""

    def ref(self) -> tuple[str, str]:
        return (self.kind, self.uid)
