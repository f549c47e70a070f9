"""One provider on several servers: a studio's GPU machines each running ComfyUI (``--comfyui URL,URL``).

:class:`ServerPool` is a :class:`~shotreel.generation.base.Provider` made of one client per server. Each
server runs its own number of jobs at once (the client's ``max_concurrency``, plus its share of the jobs
kept waiting in its queue); a new job goes to the live server with the most room. The server that holds a
job is recorded in its handle (``handle_data["server"]``, :data:`~shotreel.generation.ledger.SERVER`), so a
run after a crash polls and downloads it there, whatever list that run was given.

A server that cannot be reached is marked down the first time a call to it fails that way: it gets no more
jobs, :attr:`ServerPool.on_down` is told once (the run says so in one line naming the server), and the
others carry on. Its jobs fail over (:meth:`ServerPool.can_fail_over`): the scheduler asks the live servers
for the job's client id, and when none has it, sends it again to one of them with a new client id recorded
first — a job on a server of your own that went away was not paid for (ComfyUI bills nothing).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..errors import ShotreelError
from .base import (
    Capabilities,
    CostEstimate,
    GenerationError,
    GenerationRequest,
    JobHandle,
    JobStatus,
    Provider,
    Unreachable,
)
from .ledger import SERVER

POOLED = ("comfyui",)
"""Providers that run on servers of the user's own, and so may be spread over several."""


def parse_servers(text: str | list[str] | tuple[str, ...]) -> list[str]:
    """``URL[,URL…]`` (or a list) as a list of base URLs without a trailing slash, each ``http(s)://host[:port]``,
    without duplicates; :class:`ShotreelError` naming the first that is not a server address."""
    items = text.split(",") if isinstance(text, str) else list(text)
    servers: list[str] = []
    for item in items:
        url = str(item).strip().rstrip("/")
        if not url:
            continue
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ShotreelError(f"server {url!r} is not an address like http://gpu-1:8188")
        try:
            parts.port  # noqa: B018 - raises on a port that is not a number
        except ValueError:
            raise ShotreelError(f"server {url!r} has a port that is not a number") from None
        if url not in servers:
            servers.append(url)
    if not servers:
        raise ShotreelError("no server given: --comfyui http://gpu-1:8188[,http://gpu-2:8188…]")
    return servers


class ServerPool(Provider):
    """The provider ``members`` (base URL → client, in order) as one; ``make(url)`` builds the client of a
    server that is not in the list (one an earlier run recorded a job on)."""

    def __init__(self, members: dict[str, Provider], make: Callable[[str], Provider]):
        if not members:
            raise ShotreelError("a server pool needs at least one server")
        self.members = dict(members)
        self.make = make
        self.servers = list(members)
        first = next(iter(members.values()))
        self.first = first
        self.name = first.name
        self.needs_network = first.needs_network
        self.queues_overflow = first.queues_overflow
        self.poll_interval = first.poll_interval
        self.typical_duration = first.typical_duration
        typical_image = getattr(first, "typical_image_duration", None)
        if typical_image:
            self.typical_image_duration = typical_image
        self.billing = first.billing
        self.finds_by_client_id = first.finds_by_client_id
        self.lists_recent = False
        self.queue_ahead_each = 0  # jobs each server keeps waiting in its queue besides its running ones
        self.running_each: dict[str, int] = {}  # jobs each server runs at once in this run (:meth:`running`)
        self.on_down: Callable[[str, str], None] | None = None  # told once per server found unreachable
        self.down: dict[str, str] = {}  # server → the one-line error
        self.load = dict.fromkeys(self.servers, 0)  # jobs sent to each server and not yet seen finished
        self._holding: dict[str, str] = {}  # job id → its server, for the jobs counted in ``load``
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<ServerPool {self.name} {', '.join(self.servers)}>"

    # -- what the servers share: the first one answers -----------------------------------------------
    @property
    def max_concurrency(self) -> int:
        return sum(m.max_concurrency for url, m in self.members.items() if url in self.servers)

    def running(self, concurrency: int | None) -> int:
        """How many jobs the servers run at once in all: each its own limit, or ``concurrency`` where lower."""
        self.running_each = {url: max(1, min(concurrency or self.members[url].max_concurrency,
                                             self.members[url].max_concurrency)) for url in self.servers}
        return sum(self.running_each.values())

    def spread(self, queue_ahead: int) -> None:
        """Share ``queue_ahead`` jobs kept waiting among the servers (rounded up)."""
        self.queue_ahead_each = -(-max(0, queue_ahead) // len(self.servers))

    def capabilities(self, model: str) -> Capabilities:
        return self.first.capabilities(model)

    def default_model(self) -> str:
        return self.first.default_model()

    def image_models(self) -> tuple[str, ...]:
        return self.first.image_models()

    def default_image_model(self) -> str:
        return self.first.default_image_model()

    def validate(self, request: GenerationRequest) -> None:
        self.first.validate(request)

    def missing_keys(self) -> list[str]:
        return self.first.missing_keys()

    def require_key(self, shot: str | None = None) -> None:
        self.first.require_key(shot)

    def estimate_cost(self, request: GenerationRequest) -> float:
        return self.first.estimate_cost(request)

    def cost_estimate(self, request: GenerationRequest) -> CostEstimate:
        return self.first.cost_estimate(request)

    def fingerprint(self, model: str) -> str:
        return self.first.fingerprint(model)

    def mask(self, value: Any) -> Any:
        return self.first.mask(value)

    def attach_handle(self, job_id: str, request: GenerationRequest) -> JobHandle:
        handle = self.first.attach_handle(job_id, request)
        handle.data[SERVER] = self.servers[0]
        return handle

    # -- which server ------------------------------------------------------------------------------
    def member(self, url: str | None) -> tuple[str, Provider]:
        """The server holding a job (recorded in its handle; the first server for a job recorded without one)
        and its client, built when it is not one of this run's servers."""
        url = url or self.servers[0]
        with self._lock:
            client = self.members.get(url)
            if client is None:
                client = self.members[url] = self.make(url)
                self.load.setdefault(url, 0)
        return url, client

    def _room(self, url: str) -> float:
        capacity = self.running_each.get(url, self.members[url].max_concurrency) + self.queue_ahead_each
        return (capacity - self.load.get(url, 0)) / max(1, capacity)

    def _pick(self, tried: set[str]) -> str | None:
        """The live server of this run's list with the most room (least loaded for its size), counted now."""
        with self._lock:
            live = [u for u in self.servers if u not in self.down and u not in tried]
            if not live:
                return None
            url = max(live, key=lambda u: (self._room(u), -self.servers.index(u)))
            self.load[url] = self.load.get(url, 0) + 1
            return url

    def _release(self, url: str, job_id: str | None = None) -> None:
        with self._lock:
            if job_id is not None and self._holding.pop(job_id, None) is None:
                return
            self.load[url] = max(0, self.load.get(url, 0) - 1)

    def mark_down(self, url: str, message: str) -> None:
        """Mark ``url`` unreachable: no job goes there any more; :attr:`on_down` is told (once) where there are
        other servers to carry on (a pool of one stops the run with the server's own error instead)."""
        with self._lock:
            if url in self.down:
                return
            self.down[url] = message
        if self.on_down is not None and len(self.servers) > 1:
            self.on_down(url, message)

    def live(self) -> list[str]:
        with self._lock:
            return [u for u in self.servers if u not in self.down]

    def can_fail_over(self, handle: JobHandle) -> bool:
        """Whether the job of ``handle`` is on a server that is down while another server is live: it was not
        paid (the user's own server), so it may be asked of another."""
        url = handle.data.get(SERVER) or self.servers[0]
        return url in self.down and bool(self.live())

    # -- the verbs -------------------------------------------------------------------------------
    def submit(self, request: GenerationRequest) -> JobHandle:
        """Send ``request`` to the live server with the most room; a server that cannot be reached is marked
        down and the next one tried (nothing was sent to it). :class:`Unreachable` when none is left."""
        tried: set[str] = set()
        last: Unreachable | None = None
        while True:
            url = self._pick(tried)
            if url is None:
                if len(self.servers) == 1 and last is not None:
                    raise last  # one server: its own error, as without a pool
                down = "; ".join(f"{u}: {m}" for u, m in self.down.items())
                raise Unreachable(f"no {self.name} server can be reached ({down or 'none given'})",
                                  shot=request.shot_id)
            try:
                handle = self.members[url].submit(request)
            except Unreachable as exc:
                self._release(url)
                self.mark_down(url, str(exc.message))
                tried.add(url)
                last = exc
                continue
            except BaseException:
                self._release(url)
                raise
            handle.data[SERVER] = url
            with self._lock:
                self._holding[handle.job_id] = url
            return handle

    def poll(self, handle: JobHandle) -> JobStatus:
        url, client = self.member(handle.data.get(SERVER))
        if url in self.down:  # its error names the server
            raise Unreachable(self.down[url], shot=handle.data.get("shot"))
        try:
            status = client.poll(handle)
        except Unreachable as exc:
            self.mark_down(url, str(exc.message))
            self._release(url, handle.job_id)
            raise
        except GenerationError as exc:
            if not exc.retryable:
                self._release(url, handle.job_id)
            raise
        if status.state.finished:
            self._release(url, handle.job_id)
        return status

    def fetch(self, handle: JobHandle, status: JobStatus, destination: Path, *,
              max_bytes: int | None = None) -> Path:
        _, client = self.member(handle.data.get(SERVER))
        return client.fetch(handle, status, destination, max_bytes=max_bytes)

    def cancel(self, handle: JobHandle) -> None:
        url, client = self.member(handle.data.get(SERVER))
        self._release(url, handle.job_id)
        if url not in self.down:
            client.cancel(handle)

    def find_by_client_id(self, client_id: str) -> JobHandle | None:
        """The job of ``client_id`` on any live server (its handle names the server), else None."""
        for url in self.live():
            try:
                handle = self.members[url].find_by_client_id(client_id)
            except Unreachable as exc:
                self.mark_down(url, str(exc.message))
                continue
            if handle is not None:
                handle.data[SERVER] = url
                with self._lock:
                    if handle.job_id not in self._holding:
                        self._holding[handle.job_id] = url
                        self.load[url] = self.load.get(url, 0) + 1
                return handle
        return None

    def close(self) -> None:
        for client in self.members.values():
            close = getattr(client, "close", None)
            if callable(close):
                close()


def clone_for(provider: Provider, url: str) -> Provider:
    """A client like ``provider`` (same options, concurrency, poll interval) for the server at ``url``."""
    from .registry import get_provider

    options = dict(getattr(provider, "options", {}) or {})
    options["base_url"] = url
    if getattr(provider, "concurrency", None):
        options["max_concurrency"] = provider.concurrency  # type: ignore[attr-defined]
    if provider.poll_interval:
        options["poll_interval"] = provider.poll_interval
    return get_provider(provider.name, **options)


def pool_of(provider: Provider, servers: list[str], make: Callable[[str], Provider] | None = None) -> ServerPool:
    """``provider`` (its kind, options and concurrency) on each of ``servers``."""
    if provider.name not in POOLED:
        raise ShotreelError(f"{provider.name} does not run on servers of your own; only "
                            f"{', '.join(POOLED)} can be spread over several (--comfyui URL,URL)")
    build = make or (lambda url: clone_for(provider, url))
    own = getattr(provider, "base_url", None)
    members = {url: provider if url == own else build(url) for url in servers}
    return ServerPool(members, build)
