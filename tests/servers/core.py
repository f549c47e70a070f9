"""The machinery shared by every fake provider dialect: HTTP plumbing, jobs, slots, scenarios, files.

A :class:`FakeServer` is a ``ThreadingHTTPServer`` on 127.0.0.1 (random port) run in a daemon thread.
One dialect module (``runway``, ``luma``, ``kling``, ``fal``, ``replicate``, ``comfyui``) answers the
requests under its path prefix. Jobs advance with time, not with polls: a job waits ``queue_time`` when
its scenario says ``throttled``, then for a free slot when ``max_concurrent`` is set (FIFO, like
Runway's THROTTLED or fal's IN_QUEUE), then runs ``service_time`` seconds.

Scenarios are chosen per job by tokens anywhere in the prompt (``[scenario:throttled]``,
``[scenario:rate_limited,expired]``, ``[fps:25]``, ``[frames:241]``, ``[size:1104x832]``,
``[service:0.3]``) or by the ``X-Fake-Scenario`` header, or for every job by the server option
``scenario``. See ``SCENARIOS`` for the list.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import struct
import threading
import time
import uuid
from collections import Counter, deque
from dataclasses import dataclass, field
from fractions import Fraction
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

import requests

from . import media

SCENARIOS = {
    # at create
    "rate_limited": "429 with Retry-After on the first `fail_count` creates of this request, then accepted",
    "server_error": "5xx (503, 502, 500…) on the first `fail_count` creates of this request, then accepted",
    "quota": "the account's daily quota / request quota is used up (Runway 429 without Retry-After)",
    "no_credit": "out of credit (402 / 400 'credits' / Kling 1102 / fal 'Exhausted balance')",
    "moderation_submit": "refused at create for content (4xx naming content, Kling 1301)",
    "invalid": "refused at create as invalid parameters (400 / 422 / Kling 1201)",
    "drop": "create accepted and recorded, then the connection is closed without an answer",
    "hang": "create accepted and recorded, the answer is delayed `hang_time` seconds (client times out)",
    "error_after_create": "create accepted and recorded (the job runs and is paid), then answered 500 on the "
    "first `fail_count` creates of this request",
    # while running
    "throttled": "waits `queue_time` in the provider's queued state first (THROTTLED, IN_QUEUE …)",
    "slow": "runs `slow_time` seconds instead of `service_time`",
    "moderation_input": "fails with the provider's input-moderation code (SAFETY.INPUT.*, 1301 …)",
    "moderation_output": "fails with the provider's output-moderation code (SAFETY.OUTPUT.* …)",
    "no_media": "reports success without any media",
    "failed": "fails with the provider's internal/transient failure",
    "expired": "every result URL answers 403 (404 on Replicate) once `url_ttl` seconds have passed",
    "expire_once": "the first result URL handed out is expired; later ones work",
    "dup_webhook": "the completion webhook is delivered twice, plus a stale 'running' one after it",
    # the result download
    "huge": "the result declares `huge_bytes` (Content-Length) and streams zeros until the client hangs up",
    "huge_stream": "the result streams `huge_bytes` zeros without a Content-Length (ended by closing)",
    "redirect": "the result URL answers 302 to `redirect_to` (default the cloud metadata address "
    "169.254.169.254)",
}

_TOKEN = re.compile(r"\[(scenario|fps|frames|size|service):([^\]]+)\]")


@dataclass
class Scenario:
    """What a job should play: scenario names and the clip it should produce."""

    names: frozenset[str] = frozenset()
    fps: Fraction | None = None
    frames: int | None = None
    size: tuple[int, int] | None = None
    service: float | None = None

    def __contains__(self, name: str) -> bool:
        return name in self.names


def parse_scenario(*texts: str | None, names: str | None = None) -> Scenario:
    """The scenario named by ``[key:value]`` tokens in ``texts`` (prompts) plus bare ``names``
    (``"throttled,expired"``, as in the ``X-Fake-Scenario`` header or the server option)."""
    found: dict[str, Any] = {}
    texts = (*texts, f"[scenario:{names}]" if names else None)
    names: set[str] = set()
    for text in texts:
        if not text:
            continue
        for key, value in _TOKEN.findall(text):
            if key == "scenario":
                names.update(v.strip() for v in value.split(",") if v.strip())
            elif key == "fps":
                found["fps"] = Fraction(value)
            elif key == "frames":
                found["frames"] = int(value)
            elif key == "size":
                w, h = value.lower().split("x")
                found["size"] = (int(w), int(h))
            elif key == "service":
                found["service"] = float(value)
    unknown = names - set(SCENARIOS) - {"ok"}
    if unknown:
        raise ValueError(f"unknown fake scenario(s): {sorted(unknown)}")
    return Scenario(frozenset(names), **found)


@dataclass
class Job:
    """One job as the fake provider holds it."""

    id: str
    dialect: str
    key: str
    take: str | None
    scenario: Scenario
    body: Any
    created: float
    start: float
    end: float
    prompt: str = ""
    webhook: str | None = None
    canceled_at: float | None = None
    polls: int = 0
    extra: dict = field(default_factory=dict)

    def phase(self, now: float | None = None) -> str:
        """``queued``, ``running``, ``done`` or ``canceled`` at ``now`` (call ``server.advance()`` first)."""
        now = time.monotonic() if now is None else now
        if self.canceled_at is not None and self.canceled_at < self.end and self.canceled_at <= now:
            return "canceled"
        if now < self.start:
            return "queued"
        if now < self.end:
            return "running"
        return "done"

    def progress(self, now: float | None = None) -> float:
        now = time.monotonic() if now is None else now
        span = max(self.end - self.start, 1e-9)
        return round(min(1.0, max(0.0, (now - self.start) / span)), 3)

    @property
    def throttled(self) -> bool:
        """Whether the job waited (queue phase or no free slot) before it started."""
        return self.start > self.created + 1e-3

    @property
    def outcome(self) -> str:
        """``ok`` or the failure this job ends with."""
        for name in ("moderation_input", "moderation_output", "no_media", "failed"):
            if name in self.scenario:
                return name
        return "ok"


@dataclass
class Submission:
    """One accepted create: a job the provider would bill."""

    dialect: str
    job_id: str
    key: str
    take: str | None
    body_sha256: str
    path: str
    prompt: str
    scenario: frozenset[str]
    time: float


@dataclass
class Seen:
    """One request as received (headers kept for assertions, e.g. no key sent to result URLs)."""

    method: str
    path: str
    headers: dict[str, str]
    body_sha256: str
    status: int = 0


@dataclass
class Request:
    """A request as a dialect sees it: ``path`` is relative to the dialect's prefix."""

    method: str
    path: str
    query: dict[str, str]
    headers: Any
    body: bytes

    def json(self) -> Any:
        try:
            return json.loads(self.body or b"null")
        except ValueError:
            return None


@dataclass
class Reply:
    """A dialect's answer. ``job`` marks an accepted create (drop/hang scenarios apply to it)."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None
    content_type: str = "application/json"
    job: Job | None = None
    stream: int = 0  # a body of this many zero bytes, written as the client reads it
    declare: bool = True  # with ``stream``: send its Content-Length (else the end is the connection's close)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # A listen backlog like a real front end's (nginx: 511), not socketserver's 5: with many clients
    # connecting at once a short backlog drops SYNs, and each dropped one costs the client a 1 s retransmit.
    request_queue_size = 128
    fake: FakeServer

    def handle_error(self, request, client_address):
        pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go in two writes: no 40 ms delayed-ACK stall
    server: _HTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _any(self) -> None:
        self.server.fake._handle(self)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _any


def unique_result(clip: bytes, job_id: str) -> bytes:
    """The job's result: its clip with a top-level MP4 ``free`` box naming the job appended (still a valid
    MP4), so that, as at a real provider, no two jobs return the same bytes."""
    payload = f"shotreel fake result {job_id}".encode()
    return clip + struct.pack(">I4s", 8 + len(payload), b"free") + payload


class FakeServer:
    """A fake provider (one dialect) on 127.0.0.1. Use :func:`tests.servers.start_server`.

    ``url`` is the ``base_url`` to give the provider client. ``submissions`` lists every accepted
    create (the jobs that would be paid); ``paid(take)``/``counts()``/``duplicates()`` summarise them.
    """

    def __init__(
        self,
        dialect: Any,
        *,
        service_time: float = 0.05,
        max_concurrent: int | None = None,
        queue_time: float = 0.1,
        slow_time: float = 1.0,
        url_ttl: float = 0.0,
        retry_after: str = "1",
        fail_count: int = 1,
        hang_time: float = 2.0,
        fps: int | str = 24,
        frames: int = 121,
        size: tuple[int, int] = (1280, 720),
        scenario: str | None = None,
        huge_bytes: int = 2_000_000_000,
        redirect_to: str = "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
        **options: Any,
    ):
        self.dialect = dialect
        self.name: str = dialect.NAME
        self.service_time = service_time
        self.max_concurrent = max_concurrent
        self.queue_time = queue_time
        self.slow_time = slow_time
        self.url_ttl = url_ttl
        self.retry_after = retry_after
        self.fail_count = fail_count
        self.hang_time = hang_time
        self.default_clip = (Fraction(fps), frames, size)
        self.default_scenario = scenario
        self.huge_bytes = huge_bytes
        self.redirect_to = redirect_to
        self.options = {**dialect.DEFAULTS, **options}
        self.lock = threading.RLock()
        self.jobs: dict[str, Job] = {}
        self.submissions: list[Submission] = []
        self.requests: list[Seen] = []
        self.file_requests: list[Seen] = []
        self.webhooks: list[dict] = []
        self.streamed: list[int] = []  # bytes written for each streamed (huge) result
        self.errors: list[str] = []
        self.attempts: Counter[str] = Counter()
        self.errored: Counter[str] = Counter()  # creates of a request answered 500 after being made
        self.files: dict[str, tuple[Job, float, float | None]] = {}
        self._pending: deque[Job] = deque()
        self._running: list[Job] = []
        self._timers: list[threading.Timer] = []
        self.state: dict[str, Any] = {}  # dialect-specific
        self._httpd = _HTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.fake = self
        self.port = self._httpd.server_address[1]
        self.root = f"http://127.0.0.1:{self.port}"
        self.url = self.root + dialect.BASE_PATH
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"fake-{self.name}",
            daemon=True,
        )
        self._thread.start()

    # -- lifecycle ------------------------------------------------------------------------------
    def stop(self) -> None:
        """Stop serving and cancel pending webhooks."""
        for timer in self._timers:
            timer.cancel()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __getattr__(self, name: str) -> Any:
        options = self.__dict__.get("options", {})
        if name in options:
            return options[name]
        raise AttributeError(name)

    # -- accounting -----------------------------------------------------------------------------
    def paid(self, take_or_key: str) -> int:
        """How many accepted creates carried this take id (or request key)."""
        return sum(1 for s in self.submissions if take_or_key in (s.take, s.key))

    def counts(self) -> Counter[str]:
        """Accepted creates per take id (or per request body when the protocol carries no client id)."""
        return Counter(s.take or s.key for s in self.submissions)

    def duplicates(self) -> dict[str, int]:
        """Takes (or request bodies) that were accepted more than once — each one paid twice."""
        return {key: n for key, n in self.counts().items() if n > 1}

    def creates(self) -> int:
        """The number of accepted creates."""
        return len(self.submissions)

    def snapshot(self) -> dict:
        """Submissions, jobs and fake-server errors as JSON data (served at ``/_fake/state``)."""
        self.advance()
        with self.lock:
            submissions = [dict(vars(s), scenario=sorted(s.scenario)) for s in self.submissions]
            jobs = [
                {
                    "id": j.id,
                    "take": j.take,
                    "key": j.key,
                    "created": j.created,
                    "start": j.start,
                    "end": j.end,
                    "phase": j.phase(),
                    "polls": j.polls,
                }
                for j in self.jobs.values()
            ]
            return {
                "submissions": submissions,
                "jobs": jobs,
                "errors": list(self.errors),
                "requests": len(self.requests),
                "downloads": len(self.file_requests),
            }

    # -- scenarios and jobs ---------------------------------------------------------------------
    def scenario(self, request: Request, *texts: str | None) -> Scenario:
        """The scenario of a create: header, prompt tokens, then the server default."""
        bare = ",".join(n for n in (self.default_scenario, request.headers.get("X-Fake-Scenario")) if n)
        return parse_scenario(*texts, names=bare or None)

    def gate(self, scenario: Scenario, key: str) -> str | None:
        """Which create-time failure to play for this attempt of ``key`` (None: accept the create)."""
        with self.lock:
            self.attempts[key] += 1
            attempt = self.attempts[key]
        for name in ("no_credit", "quota", "moderation_submit", "invalid"):
            if name in scenario:
                return name
        for name in ("rate_limited", "server_error"):
            if name in scenario and attempt <= self.fail_count:
                return name
        return None

    def new_job(
        self,
        request: Request,
        *,
        key: str,
        take: str | None,
        scenario: Scenario,
        body: Any,
        prompt: str = "",
        job_id: str | None = None,
        webhook: str | None = None,
        **extra: Any,
    ) -> Job:
        """Record an accepted create and queue the job for a slot (FIFO)."""
        now = time.monotonic()
        ready = now + (self.queue_time if "throttled" in scenario else 0.0)
        service = (
            scenario.service
            if scenario.service is not None
            else (self.slow_time if "slow" in scenario else self.service_time)
        )
        with self.lock:
            job = Job(
                job_id or str(uuid.uuid4()),
                self.name,
                key,
                take,
                scenario,
                body,
                now,
                math.inf,
                math.inf,
                prompt=prompt,
                webhook=webhook,
                extra=dict(extra, ready=ready, service=service),
            )
            self.jobs[job.id] = job
            self._pending.append(job)
            self.submissions.append(
                Submission(
                    self.name,
                    job.id,
                    key,
                    take,
                    body_hash(request.body),
                    request.path,
                    prompt,
                    scenario.names,
                    time.time(),
                )
            )
            self.advance(now)
        return job

    def advance(self, now: float | None = None) -> None:
        """Start waiting jobs whose slot came free by ``now`` (at the exact time it came free)."""
        now = time.monotonic() if now is None else now
        cap = self.max_concurrent or math.inf
        with self.lock:
            while self._pending:
                head = self._pending[0]
                if head.canceled_at is not None:
                    self._pending.popleft()
                    continue
                ready = head.extra["ready"]
                busy = sorted(e for e in (_ends(j) for j in self._running) if e > ready)
                at = ready if len(busy) < cap else busy[len(busy) - int(cap)]
                if at > now:
                    break
                self._pending.popleft()
                head.start, head.end = at, at + head.extra["service"]
                self._running = [j for j in self._running if _ends(j) > at] + [head]

    def when_done(self, job: Job, action: Any) -> None:
        """Run ``action()`` in a timer thread once ``job`` has finished (webhook deliveries)."""

        def check() -> None:
            self.advance()
            if job.phase() in ("done", "canceled"):
                action()
            else:
                self.later(min(max(job.end - time.monotonic(), 0.0) + 0.005, 0.05), check)

        self.later(0.0, check)

    def job(self, job_id: str) -> Job | None:
        """The job with ``job_id``, counting the poll."""
        with self.lock:
            job = self.jobs.get(job_id)
            if job is not None:
                job.polls += 1
            return job

    def result(self, job: Job) -> bytes:
        """The bytes a download of ``job``'s result returns (:func:`unique_result` of its clip), or for a
        still (``job.extra["image"] = (width, height, format)``) a still of that size drawn for this job."""
        if job.extra.get("image"):
            with self.lock:
                found = job.extra.get("image_bytes")
            if found is None:
                width, height, fmt = job.extra["image"]
                found = media.still(width, height, fmt, job.id)
                with self.lock:
                    job.extra["image_bytes"] = found
            return found
        return unique_result(self.clip_for(job).read_bytes(), job.id)

    def result_type(self, job: Job) -> str:
        """The Content-Type of ``job``'s result."""
        if job.extra.get("image"):
            return media.IMAGE_TYPES[job.extra["image"][2]]
        return "video/mp4"

    def clip_for(self, job: Job) -> Path:
        """The MP4 this job produces (its scenario's fps/frames/size or the server's defaults)."""
        fps, frames, size = self.default_clip
        sc = job.scenario
        w, h = sc.size or job.extra.get("size") or size
        return media.clip(
            sc.fps or job.extra.get("fps") or fps, sc.frames or job.extra.get("frames") or frames, w, h
        )

    def file_url(self, job: Job, suffix: str = ".mp4") -> str:
        """A fresh signed-looking URL for the job's result on this server (no auth needed)."""
        token = uuid.uuid4().hex
        ttl: float | None = None
        if "expired" in job.scenario:
            ttl = self.url_ttl
        elif "expire_once" in job.scenario and not job.extra.get("expired_once"):
            job.extra["expired_once"] = True
            ttl = 0.0
        with self.lock:
            self.files[token] = (job, time.monotonic(), ttl)
        return f"{self.root}/files/{token}{suffix}?X-Amz-Signature={token[:16]}"

    def later(self, delay: float, action: Any) -> None:
        """Run ``action()`` after ``delay`` seconds in a daemon timer (webhook deliveries)."""
        timer = threading.Timer(max(0.0, delay), action)
        timer.daemon = True
        self._timers.append(timer)
        timer.start()

    def deliver(
        self, url: str, body: Any, headers: dict[str, str] | None = None, raw: bytes | None = None
    ) -> None:
        """POST a webhook now and record it (delivery failures are recorded, not raised)."""
        data = raw if raw is not None else json.dumps(body).encode()
        record = {
            "url": url,
            "body": body,
            "headers": dict(headers or {}),
            "status": None,
            "time": time.time(),
        }
        try:
            reply = requests.post(
                url, data=data, headers={"Content-Type": "application/json", **(headers or {})}, timeout=5
            )
            record["status"] = reply.status_code
        except requests.RequestException as exc:
            record["status"] = f"error: {type(exc).__name__}"
        with self.lock:
            self.webhooks.append(record)

    # -- HTTP -----------------------------------------------------------------------------------
    def _handle(self, handler: _Handler) -> None:
        split = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        query = {k: v[-1] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        seen = Seen(handler.command, split.path, dict(handler.headers.items()), body_hash(body))
        if split.path.startswith("/files/"):
            reply = self._serve_file(split.path[len("/files/") :], seen)
        elif split.path == "/_fake/state":
            reply = Reply(200, self.snapshot())
        elif split.path.startswith(self.dialect.PREFIX + "/") or split.path == self.dialect.PREFIX:
            request = Request(
                handler.command, split.path[len(self.dialect.PREFIX) :] or "/", query, handler.headers, body
            )
            self.advance()
            with self.lock:
                self.requests.append(seen)
            try:
                reply = self.dialect.handle(self, request)
            except Exception as exc:  # noqa: BLE001 - a fake's bug must show up in tests, not hang them
                self.errors.append(f"{type(exc).__name__}: {exc}")
                reply = Reply(500, {"error": f"fake server bug: {exc}"})
        else:
            reply = Reply(404, {"detail": "Not Found"})
        seen.status = reply.status
        if reply.job is not None and "drop" in reply.job.scenario:
            handler.close_connection = True  # accepted, recorded, and no answer at all
            return
        if reply.job is not None and "error_after_create" in reply.job.scenario:
            with self.lock:
                self.errored[reply.job.key] += 1
                failing = self.errored[reply.job.key] <= self.fail_count
            if failing:
                reply = Reply(500, {"error": "An internal error occurred."})
        if reply.job is not None and "hang" in reply.job.scenario:
            time.sleep(self.hang_time)
        self._write(handler, reply)

    def _serve_file(self, name: str, seen: Seen) -> Reply:
        token = name.split(".")[0]
        with self.lock:
            self.file_requests.append(seen)
            entry = self.files.get(token)
        if entry is None:
            return Reply(404, raw=b"<Error><Code>NoSuchKey</Code></Error>", content_type="application/xml")
        job, issued, ttl = entry
        if ttl is not None and time.monotonic() - issued >= ttl:
            status = self.dialect.EXPIRED_STATUS
            return Reply(
                status,
                raw=b"<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>",
                content_type="application/xml",
            )
        if "redirect" in job.scenario:
            return Reply(302, raw=b"", headers={"Location": self.redirect_to}, content_type="text/plain")
        if "huge" in job.scenario or "huge_stream" in job.scenario:
            return Reply(200, stream=self.huge_bytes, declare="huge" in job.scenario, content_type="video/mp4")
        return Reply(200, raw=self.result(job), content_type=self.result_type(job))

    def _write(self, handler: _Handler, reply: Reply) -> None:
        if reply.stream:
            self._stream(handler, reply)
            return
        if reply.raw is not None:
            data = reply.raw
        elif reply.body is None and reply.status in (202, 204):
            data = b""
        else:
            data = json.dumps(reply.body).encode()
        try:
            handler.send_response(reply.status)
            handler.send_header("Content-Type", reply.content_type)
            handler.send_header("Content-Length", str(len(data)))
            for name, value in reply.headers.items():
                handler.send_header(name, value)
            handler.end_headers()
            if handler.command != "HEAD":
                handler.wfile.write(data)
        except OSError:
            handler.close_connection = True


    def _stream(self, handler: _Handler, reply: Reply) -> None:
        """Write ``reply.stream`` zero bytes, 1 MB at a time, until done or the client hangs up; how many
        bytes went out (into the socket: the client read at most that) is appended to ``streamed``."""
        handler.close_connection = True
        chunk = bytes(1 << 20)
        sent = 0
        try:
            handler.send_response(reply.status)
            handler.send_header("Content-Type", reply.content_type)
            if reply.declare:
                handler.send_header("Content-Length", str(reply.stream))
            handler.send_header("Connection", "close")
            handler.end_headers()
            while sent < reply.stream:
                part = chunk[: min(reply.stream - sent, len(chunk))]
                handler.wfile.write(part)
                sent += len(part)
        except OSError:
            pass
        with self.lock:
            self.streamed.append(sent)


def _ends(job: Job) -> float:
    """When ``job`` frees its slot: its end, or the moment it was canceled."""
    return job.end if job.canceled_at is None else min(job.end, job.canceled_at)


def body_hash(body: bytes) -> str:
    """The SHA-256 of a request body, as hex."""
    return hashlib.sha256(body or b"").hexdigest()


def bearer(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer …`` header, or None."""
    value = request.headers.get("Authorization") or ""
    return value[7:] if value.startswith("Bearer ") else None


def now_iso() -> str:
    """The current UTC time as ISO 8601 with milliseconds and ``Z``."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + f".{int(time.time() * 1000) % 1000:03d}Z"
