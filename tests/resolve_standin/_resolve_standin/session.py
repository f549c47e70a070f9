"""A running stand-in Resolve: its configuration, its state, and the path every API call takes.

Every call a script makes goes through :meth:`Session.call`, which holds the rules of
resolve-api.md §1 in one place: nothing raises (a refused call returns None or False and the reason
is recorded in ``state.errors``), calls missing from the configured build behave like unknown
names, a Studio-only call on the free edition raises the upsell modal that fails every later call
until a human dismisses it (§6.3), a quit or stopped Resolve answers nothing. Calls that change
state write the state file (``RESOLVE_STANDIN_STATE``) so another process sees what this one did.
"""

from __future__ import annotations

import inspect
import os
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from . import base, store
from .base import ApiObject, ApiSpec, Entity, Refuse, StandinHang, api_names, api_spec
from .config import Config, env_overrides
from .proxy import PyRemoteObject, RemoteMethod, ref_of
from .versions import Version, available, python_scripting_anywhere

STATE_ENV = "RESOLVE_STANDIN_STATE"
"""Environment variable naming the JSON file that holds the stand-in's config and state."""

_LOCAL_HOSTS = (None, "", "localhost", "127.0.0.1", "::1")
_MAX_ERRORS = 1000


@store.persisted
@dataclass
class State:
    """Everything Resolve holds: the entities by id, the project library, the page, the modal."""

    objects: dict[str, Any] = field(default_factory=dict)
    db_root: str = ""
    db_folder: str = ""
    current_project: str = ""
    page: str = "media"
    modal: bool = False
    save_hung: bool = False
    quit: bool = False
    errors: list[dict[str, str]] = field(default_factory=list)


class Gone:
    """What an argument becomes when its proxy's object no longer exists (every check refuses it)."""

    def __repr__(self) -> str:
        return "<deleted object>"


class Session:
    """One running Resolve: configuration, state, and the call path."""

    def __init__(self, config: Config, state: State | None = None, path: str | None = None,
                 overrides: dict[str, Any] | None = None) -> None:
        self.config = config
        self.path = path
        self.overrides = dict(overrides or {})
        self.calls: list[tuple[str, str, str]] = []
        self.counts: Counter[str] = Counter()  # every call, by method (the log above keeps the last 10,000)
        self._where = ""
        self._stamp: tuple[int, int] | None = None
        if state is None:
            from .application import fresh_state
            state = fresh_state(self)
        self.state = state
        if path and os.path.exists(path):
            self._stamp = self._file_stamp()

    # -- construction and persistence --------------------------------------------------------------

    @classmethod
    def from_environment(cls) -> Session:
        """The session a process sees first: the state file's config and state when the file exists,
        then ``RESOLVE_STANDIN_*`` variables over the config."""
        path = os.environ.get(STATE_ENV) or None
        data = store.read_json(path) if path and os.path.exists(path) else None
        config = Config.from_dict(data["config"]) if data else Config()
        overrides = env_overrides()
        if overrides:
            config = config.replace(**overrides)
        session = cls(config, store.decode(data["state"]) if data else None, path, overrides)
        if path and data is None:
            session.save()
        return session

    def save(self) -> None:
        """Write config and state to the state file, when there is one."""
        if self.path:
            store.write_json(self.path, self.snapshot())
            self._stamp = self._file_stamp()

    def _file_stamp(self) -> tuple[int, int] | None:
        try:
            stat = os.stat(self.path or "")
        except OSError:
            return None
        return (stat.st_mtime_ns, stat.st_size)

    def sync(self, force: bool = False) -> None:
        """Read the state file again when another process wrote it since this one last did (every call
        starts with this, so a test and a subprocess share one Resolve without stepping on each other)."""
        if not self.path:
            return
        stamp = self._file_stamp()
        if stamp is None or (stamp == self._stamp and not force):
            return
        data = store.read_json(self.path)
        config = Config.from_dict(data["config"])
        self.config = config.replace(**self.overrides) if self.overrides else config
        self.state = store.decode(data["state"])
        self._stamp = stamp

    def snapshot(self) -> dict[str, Any]:
        """Config and state as plain JSON data (what the state file holds)."""
        return {"config": self.config.to_dict(), "state": store.encode(self.state)}

    # -- the state -----------------------------------------------------------------------------------

    @property
    def version(self) -> Version:
        return self.config.build

    def add(self, entity: Entity) -> Entity:
        self.state.objects[entity.uid] = entity
        return entity

    def remove(self, uid: str) -> None:
        self.state.objects.pop(uid, None)

    def get(self, uid: str | None, cls: type | None = None) -> Any:
        """The entity with ``uid`` (of class ``cls`` when given), or None."""
        if not uid:
            return None
        obj = self.state.objects.get(uid)
        if obj is None or (cls is not None and not isinstance(obj, cls)):
            return None
        return obj

    def all(self, cls: type) -> list[Any]:
        return [o for o in self.state.objects.values() if isinstance(o, cls)]

    def lookup(self, ref: tuple[str, str]) -> ApiObject | None:
        """The object a proxy stands for, or None when it no longer exists."""
        kind, ident = ref
        factory = base.FACADES.get(kind)
        if factory is not None:
            return factory(self, ident)
        obj = self.state.objects.get(ident)
        return obj if obj is not None and obj.kind == kind else None

    def project(self) -> Any:
        """The current Project entity."""
        return self.get(self.state.current_project)

    def note(self, reason: str) -> None:
        """Record a silent failure inside a call that still returns (e.g. one dropped clipInfo)."""
        self.state.errors.append({"call": self._where, "reason": reason})
        del self.state.errors[:-_MAX_ERRORS]

    # -- what a script can reach ----------------------------------------------------------------------

    def alive(self) -> bool:
        return self.config.running and not self.state.quit

    def scriptapp(self, app: str = "Resolve", ip: str | None = None) -> PyRemoteObject | None:
        """``DaVinciResolveScript.scriptapp``: None when Resolve is not running, when external scripting
        is off (or local-only and another host is asked), on the free edition, and on free 21.1+ for
        every Python route (§6.2, §6.3)."""
        self.sync()
        c = self.config
        if not self.alive() or not c.studio:
            return None
        refused = c.scripting == "none" or (c.scripting == "local" and ip not in _LOCAL_HOSTS)
        if c.launch == "external" and refused:
            return None
        if app == "Resolve":
            return PyRemoteObject(("Resolve", ""))
        if app == "Fusion":
            return PyRemoteObject(("Fusion", ""))
        return None

    def python_runs(self) -> bool:
        """Whether this build runs Python scripts at all (free 21.1+ does not; §6.3)."""
        return python_scripting_anywhere(self.version, self.config.edition)

    def _class_of(self, ref: tuple[str, str], obj: ApiObject | None) -> type | None:
        if obj is not None:
            return type(obj)
        return base.KINDS.get(ref[0])

    def _spec(self, cls: type | None, name: str) -> ApiSpec | None:
        if cls is None:
            return None
        target = getattr(cls, "ghost_of", None) or cls
        spec = api_spec(target, name)
        if spec is None or not available(self.version, spec.since, spec.until, spec.final19):
            return None
        return spec

    def attribute(self, ref: tuple[str, str], name: str) -> Any:
        """What ``getattr(proxy, name)`` gives: an enum constant, a bound API method, or the
        ``unknown_attr`` behaviour (§1)."""
        obj = self.lookup(ref)
        cls = self._class_of(ref, obj)
        constants = getattr(cls, "CONSTANTS", None) or {}
        if name in constants:
            return constants[name]
        if self._spec(cls, name) is not None:
            return RemoteMethod(ref, name)
        mode = self.config.unknown_attr
        if mode == "raise":
            raise AttributeError(f"Resolve {ref[0]} has no attribute {name!r} in {self.version.text}")
        if mode == "fabricate":
            return RemoteMethod(ref, name)
        return None

    def names(self, ref: tuple[str, str]) -> list[str]:
        """``dir(proxy)``: the API names this build has on the object, and its constants."""
        obj = self.lookup(ref)
        cls = self._class_of(ref, obj)
        if cls is None:
            return []
        target = getattr(cls, "ghost_of", None) or cls
        names = [n for n in api_names(target) if self._spec(cls, n) is not None]
        return sorted(names + list(getattr(cls, "CONSTANTS", None) or {}))

    # -- the call path --------------------------------------------------------------------------------

    def call(self, ref: tuple[str, str], name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """Run one API call with Resolve's rules (see the module docstring)."""
        self.sync()
        obj = self.lookup(ref)
        cls = self._class_of(ref, obj)
        where = f"{ref[0]}.{name}"
        self._where = where
        spec = self._spec(cls, name)
        if spec is None:  # a fabricated name (unknown_attr="fabricate"): callable, returns None
            return self._fail(where, args, "no such call in this build", None)
        if not self.alive():
            return spec.fail
        if self.state.modal:
            return self._fail(where, args, "the upsell modal is open", spec.fail)
        if obj is None:
            return self._fail(where, args, "the object no longer exists", spec.fail)
        if getattr(obj, "ghost_of", None):
            return self._log(where, args, "" if name == "GetUniqueId" else None)
        if where in self.config.studio_only and not self.config.studio:
            self.state.modal = self.config.upsell_modal
            return self._fail(where, args, "Studio-only call on the free edition", False)
        if kwargs and not self.config.allow_kwargs:
            return self._fail(where, args, "keyword arguments", spec.fail)
        plain = [self._unwrap(a) for a in args]
        plain_kwargs = {k: self._unwrap(v) for k, v in kwargs.items()}
        method = getattr(obj, name)
        try:
            inspect.signature(method).bind(*plain, **plain_kwargs)
        except TypeError as exc:
            return self._fail(where, args, f"wrong arguments: {exc}", spec.fail)
        try:
            result = method(*plain, **plain_kwargs)
        except Refuse as exc:
            return self._fail(where, args, str(exc), spec.fail)
        except StandinHang:
            self.save()
            raise
        if spec.dirties:
            self._dirty(obj)
        if spec.writes:
            self.save()
        return self._log(where, args, self._wrap(result))

    def _fail(self, where: str, args: tuple[Any, ...], reason: str, value: Any) -> Any:
        """A silent refusal: recorded (and written, so another process sees it too), ``value`` returned."""
        self.state.errors.append({"call": where, "reason": reason})
        del self.state.errors[:-_MAX_ERRORS]
        self.save()
        return self._log(where, args, value)

    def _log(self, where: str, args: tuple[Any, ...], result: Any) -> Any:
        self.calls.append((where, repr(args)[:200], repr(result)[:200]))
        del self.calls[:-10000]
        self.counts[where] += 1
        return result

    def _dirty(self, obj: ApiObject) -> None:
        uid = obj.project if isinstance(obj, Entity) and obj.project else self.state.current_project
        project = self.get(uid)
        if project is not None and hasattr(project, "dirty"):
            project.dirty = True

    def _unwrap(self, value: Any) -> Any:
        ref = ref_of(value)
        if ref is not None:
            obj = self.lookup(ref)
            return Gone() if obj is None else obj
        if isinstance(value, list):
            return [self._unwrap(v) for v in value]
        if isinstance(value, tuple):
            return tuple(self._unwrap(v) for v in value)
        if isinstance(value, dict):
            return {k: self._unwrap(v) for k, v in value.items()}
        return value

    def _wrap(self, value: Any) -> Any:
        if isinstance(value, ApiObject):
            return PyRemoteObject(value.ref())
        if isinstance(value, list):
            return [self._wrap(v) for v in value]
        if isinstance(value, tuple):
            return [self._wrap(v) for v in value]
        if isinstance(value, dict):
            return {k: self._wrap(v) for k, v in value.items()}
        return value
