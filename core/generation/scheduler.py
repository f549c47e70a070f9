"""The scheduler: plan takes, record them in the ledger, run them concurrently, land them on disk.

:func:`generate` is a plain function a host can call from a worker thread. One run:

0. checks what it can without the project's state: every key the provider needs is in the environment
   and the model is known — a run that cannot start fails here, before the ledger is opened or anything
   recorded (a dry run instead reports the missing keys, each request the provider would refuse, and each
   take's cost with the reason, :class:`~shotreel.generation.base.CostEstimate`);
1. reconciles the ledger: jobs an earlier run left at the provider are polled and downloaded; a
   job whose submit may have reached the provider is looked up by client id, else left
   ``unknown_submit`` for the user (never resubmitted automatically);
2. plans takes so each chosen shot has ``takes_per_shot`` takes (done on disk or unfinished in the
   ledger), or that many new ones with ``new_takes``; take ids continue after every id already used
   (``t001``, ``t002`` …); a request whose content was refused (moderation, bad request) is not sent
   again unchanged;
3. validates every request, then records them as ``pending`` (each job, and its client id, before it
   is sent: the first ones at once, the others while those run) and runs them: ``concurrency`` jobs
   running at the provider at once, plus ``queue_ahead`` waiting in its queue where it has one (so a slot
   that comes free starts the next job without waiting for us), each polled first when it is expected
   to have finished (:class:`PollSchedule`: learnt in the run, counted from when the job started
   running), then with backoff and jitter; Retry-After honoured; each result downloaded at once (while
   the worker's next job is already at the provider), probed, and moved with its sidecar into
   ``takes/<shot>/`` atomically.

Every job is served by one :class:`_Driver`: a job's steps are a generator (:meth:`_Run.run_job`) whose
``yield`` is the pause before its next step, and a fixed pool of ``STEPPERS`` threads runs whichever step
is due from one heap, so no thread sleeps per job (a busy machine wakes a few threads, not one per job).

Where a job lands is the ledger's to say: a take in ``takes/<shot>/``, a still at its destination
(:mod:`shotreel.generation.images`, whose :func:`~shotreel.generation.images.generate_images` runs stills
through this same machinery), so either kind of run finishes the other's jobs left at the provider where they
belong. A provider spread over several servers (:class:`~shotreel.generation.servers.ServerPool`, ``servers``)
is followed server by server; a job whose server went away fails over to another (:meth:`_Run._fail_over`).

A ``stop`` event ends a run cleanly: nothing new is submitted, jobs at the provider stay in the ledger
for the next run. Progress is reported through ``progress(done, total, message)`` from worker threads.
"""

from __future__ import annotations

import contextlib
import errno
import heapq
import inspect
import json
import math
import os
import random
import re
import threading
import time
import uuid
from collections import OrderedDict, deque
from collections.abc import Callable, Generator, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path
from typing import TypeVar

from ..errors import ShotreelError
from ..fsutil import atomic_write_text
from ..model import Film, Shot
from ..progress import ProgressCallback
from ..takes import TAKES_DIR, VIDEO_SUFFIXES, find_takes
from . import images as _images
from . import ledger as L
from .base import (
    AmbiguousSubmit,
    AuthFailed,
    BadRequest,
    CostEstimate,
    DiskFull,
    GenerationError,
    GenerationRequest,
    JobHandle,
    JobState,
    JobStatus,
    ModerationBlocked,
    OutOfCredit,
    Provider,
    ResultExpired,
    ResultRefused,
    RetryLater,
    Unreachable,
    file_sha256,
    take_byte_limit,
)
from .ledger import JobRecord, Ledger, project_lock, request_from_summary
from .registry import DEFAULT_PROVIDER, get_provider
from .servers import POOLED, ServerPool, parse_servers, pool_of

T = TypeVar("T")
STAGING_DIR = "staging"
MAX_SUBMIT_ATTEMPTS = 8
MAX_RETRY_AFTER = 600.0
MAX_POLL_ERRORS = 30
MAX_FETCH_ATTEMPTS = 5
DOWNLOAD_THREADS = 4  # downloads at once, at most (landing a take waits on fsyncs; more threads do not make the disk faster)
DEFAULT_POLL_INTERVAL = 2.0  # seconds, for a provider that does not advise one (``provider.poll_interval``)
LOCAL_POLL_INTERVAL = 0.1  # seconds, the same for a provider without network (renders on this machine)
_TAKE_ID = re.compile(r"^t(\d+)$")
SHAPING = "provider_fingerprint"  # key of a request's ``extra``: :meth:`Provider.fingerprint`
PAID_LOST = frozenset({"expired", "download_refused"})  # failures of a paid job whose take never landed


Steps = Generator[float, bool, T]
"""A job's steps: each ``yield`` is a pause in seconds before the next step, answered with whether the run
goes on (False: it was stopped meanwhile); the return value is the job's result."""
JobSteps = Steps["tuple[JobRecord, JobStatus] | None"]


class GenerationStopped(ShotreelError):
    """The run stopped early (out of credit, key rejected); jobs left are kept in the ledger."""


@dataclass
class TakeOutcome:
    """What became of one job in a run."""

    shot: str
    take: str
    state: str
    path: Path | None = None
    message: str = ""
    cost: float | None = None

    @property
    def key(self) -> str:
        return f"{self.shot}/{self.take}"


@dataclass
class GenerationSummary:
    """What a run planned, did and left; ``ok`` when every job it handled is done and no shot was skipped."""

    provider: str
    model: str
    dry_run: bool = False
    planned: list[GenerationRequest] = field(default_factory=list)
    resumed: list[GenerationRequest] = field(default_factory=list)
    reconciled: list[str] = field(default_factory=list)
    done: list[TakeOutcome] = field(default_factory=list)
    failed: list[TakeOutcome] = field(default_factory=list)
    unknown: list[TakeOutcome] = field(default_factory=list)
    waiting: list[TakeOutcome] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    other_providers: dict[str, int] = field(default_factory=dict)
    billing: str = ""  # how the provider bills (:attr:`Provider.billing`)
    costs: list[CostEstimate] = field(default_factory=list)  # one per request of ``requests``, in order
    missing_keys: list[str] = field(default_factory=list)  # dry run: environment variables not set
    invalid: list[TakeOutcome] = field(default_factory=list)  # dry run: requests the provider would refuse
    estimated_cost: float = 0.0
    spent: float = 0.0
    stopped: str = ""
    error: GenerationError | None = None
    elapsed: float = 0.0
    servers_down: dict[str, str] = field(default_factory=dict)  # server → why it could not be reached

    @property
    def requests(self) -> list[GenerationRequest]:
        """Every request this run sends (or would send): resumed pending jobs, then new ones."""
        return self.resumed + self.planned

    @property
    def ok(self) -> bool:
        """Every take the run was asked for was made: nothing failed, unknown, waiting or skipped."""
        return not (self.failed or self.unknown or self.waiting or self.skipped or self.error or self.stopped)

    @property
    def would_fail(self) -> bool:
        """A dry run found what would stop the real run: a missing key or a request the provider refuses."""
        return bool(self.missing_keys or self.invalid)


def failure_kind(error: BaseException) -> str:
    """The ledger's name for a failure (reference §5): ``moderation_input``, ``invalid_input`` …"""
    if isinstance(error, ModerationBlocked):
        return f"moderation_{error.stage}"
    return {BadRequest: "invalid_input", OutOfCredit: "quota_exhausted", AuthFailed: "auth",
            ResultExpired: "expired", RetryLater: "transient", AmbiguousSubmit: "ambiguous_submit",
            ResultRefused: "download_refused"}.get(type(error), "unknown")


# -- planning -----------------------------------------------------------------------------------


def _take_number(take_id: str) -> int:
    match = _TAKE_ID.match(take_id)
    return int(match.group(1)) if match else 0


def _chosen_shots(film: Film, shots: Iterable[str] | None) -> list[Shot]:
    if not shots:
        return list(film.shots())
    wanted = [s.strip() for s in shots if s and s.strip()]
    known = {s.id for s in film.shots()}
    unknown = [s for s in wanted if s not in known]
    if unknown:
        raise ShotreelError(f"no shot {unknown[0]!r} in the film (shots: {', '.join(sorted(known))})",
                            file=film.source)
    return [s for s in film.shots() if s.id in set(wanted)]


def _blocked(rows: list[JobRecord], request: GenerationRequest, seed_given: bool) -> JobRecord | None:
    """The earlier job that refused this same content, if any (so it is not sent again unchanged)."""
    if not any(row.failure_kind for row in rows):
        return None
    content = L.content_hash(request)
    for row in rows:
        if row.content_hash != content or row.provider != request.provider or row.model != request.model:
            continue
        if row.failure_kind in ("moderation_input", "invalid_input"):
            return row
        if row.failure_kind == "moderation_output" and not (seed_given and row.request.get("seed") != request.seed):
            return row
    return None


def _refusal(refused: JobRecord) -> str:
    return (f"{refused.key} was refused ({refused.failure_kind}: {refused.failure_message}); change the shot's "
            "prompt, board, workflow or model (or --seed for an output block) before asking again, or "
            f"`shotreel jobs DIR --release {refused.key}` to ask again unchanged")


@dataclass
class _Plan:
    new: list[GenerationRequest] = field(default_factory=list)
    resumed: list[tuple[JobRecord, GenerationRequest]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    refused: list[JobRecord] = field(default_factory=list)  # pending jobs whose request was refused since


def _plan(film: Film, chosen: list[Shot], provider: Provider, model: str, ledger: Ledger | None,
          takes_per_shot: int, new_takes: bool, seed: int | None, extra: dict) -> _Plan:
    from ..prompts import build_request

    plan = _Plan()
    shaping = provider.fingerprint(model)
    if shaping:  # what shapes the request besides the shot (workflow, options): part of its content hash
        extra = {**extra, SHAPING: shaping}
    released = ledger.released() if ledger is not None else set()
    on_disk = find_takes(film)
    by_shot: dict[str, list[JobRecord]] = {}
    names: dict[str, set[str]] = {}  # every ledger name of a shot's jobs, stills too (a name is never reused)
    for row in ledger.jobs() if ledger is not None else []:
        names.setdefault(row.shot, set()).add(row.take)
        if not _images.lands(row):  # a still made for a shot (a board candidate), a voice line: not its takes
            by_shot.setdefault(row.shot, []).append(row)
    for shot in chosen:
        rows = by_shot.get(shot.id, [])
        unfinished = [r for r in rows if r.state in L.UNFINISHED]
        for row in unfinished:
            if row.state == L.PENDING and row.provider == provider.name:
                row_extra = dict(row.request.get("extra") or {})
                if shaping:
                    row_extra[SHAPING] = provider.fingerprint(row.model)
                request = build_request(film, shot, provider, row.model, row.take, row.request.get("seed"),
                                        row.request.get("negative_prompt", ""), row_extra,
                                        client_id=row.client_id)
                refused = _blocked([r for r in rows if r is not row and r.key not in released], request, False)
                if refused is not None:
                    plan.refused.append(row)
                    plan.skipped.append((shot.id, _refusal(refused)))
                else:
                    plan.resumed.append((row, request))
        have = {t.id for t in on_disk.get(shot.id, [])} | {r.take for r in unfinished}
        # a paid take whose result was lost (or refused) counts: a new paid take in its place needs --new
        lost = [r for r in rows if r.state == L.FAILED and r.failure_kind in PAID_LOST and r.take not in have]
        count = takes_per_shot if new_takes else max(0, takes_per_shot - len(have))
        if lost and count and not new_takes:
            count = max(0, count - len(lost))
            if not count:
                reason = (f"{lost[-1].key} was paid but its result was lost; not replaced automatically: add --new "
                          "to pay for a new take")
                plan.skipped.append((shot.id, reason))
        if count <= 0:
            continue
        used = {t.id for t in on_disk.get(shot.id, [])} | names.get(shot.id, set())
        number = max((_take_number(t) for t in used), default=0)
        requests = []
        for k in range(count):
            number += 1
            requests.append(build_request(film, shot, provider, model, f"t{number:03d}",  # the client id is
                                          None if seed is None else seed + k, "", extra,  # recorded before
                                          client_id=str(uuid.uuid4())))  # the submit
        refused = _blocked([r for r in rows if r.key not in released], requests[0], seed is not None)
        if refused is not None:
            if not any(shot_id == shot.id for shot_id, _ in plan.skipped):
                plan.skipped.append((shot.id, _refusal(refused)))
            continue
        plan.new.extend(requests)
    return plan


# -- polling ------------------------------------------------------------------------------------


class PollSchedule:
    """When to poll a job: first when it is expected to have finished, then back off with jitter.

    ``expected`` is how long a job runs, counted from its start: from the submit, or — when a poll saw the
    job waiting in the provider's queue (Runway THROTTLED, fal IN_QUEUE …) — from when it started running
    (between that poll and the one that first saw it running). It starts at the provider's
    ``typical_duration`` and is learnt from this run's jobs: the first job seen finished sets it, then each
    job's first poll at the expected time moves it — up a step when the job was still running, down a
    smaller step when it was done — so that about ``TARGET_DONE`` of those polls find the job finished (a
    quantile tracked by stochastic approximation; an average of observed times would only grow, since a
    job is only seen finished some time after it finished). Until the run has seen a job finish, no wait
    is longer than ``max_interval`` (5 × ``interval`` unless given) or than what the job's own progress,
    extrapolated, says is left: a wrong typical time costs polls, never time, and a job found finished
    before its expected time corrects the estimate at once. After a
    poll that found the job still running (or queued), the next follow ``interval`` × 1.5ⁿ up to
    ``max_interval`` — sooner when the job's reported progress says it is nearly done — each with ±10 %
    jitter (the poll at the expected time: ±0.5 %, as jobs started at different times are spread already).
    """

    TARGET_DONE = 0.75  # share of first polls at the expected time that should find the job finished
    STEP = 0.06  # relative size of the first learning steps; they shrink as jobs are seen, down to MIN_STEP
    MIN_STEP = 0.005  # (still following a provider that slows down or speeds up)

    def __init__(self, interval: float, max_interval: float | None = None, typical: float | None = None):
        self.interval = max(0.001, interval)
        self.max_interval = max_interval or self.interval * 5
        self._expected = typical if typical and typical > 0 else None
        self._learnt = False
        self._seen = 0  # polls at the expected time learnt from
        self._lock = threading.Lock()

    @property
    def expected(self) -> float | None:
        """The expected run time of a job (seconds): learnt, else the provider's typical one, else None."""
        return self._expected

    def first_delay(self, waited: float, left: float | None = None) -> tuple[float, bool]:
        """Seconds to wait before polling a job that started ``waited`` seconds ago and was not yet polled
        at its expected time, and whether that poll is the one at the expected time. Until a job of the run
        has been seen finished, what the job's own progress says is ``left`` beats the typical time."""
        expected = self._expected
        if expected is None:
            return self.backoff(0, left), False
        if not self._learnt and left is not None:
            return max(0.0005, left * random.uniform(1.01, 1.03)), False
        remaining = expected - waited
        if remaining > self.max_interval and not self._learnt:  # a documented time: do not bet on it
            return self.max_interval * random.uniform(0.9, 1.0), False
        return max(0.0005, remaining * random.uniform(0.995, 1.005)), True

    def backoff(self, polls: int, left: float | None = None) -> float:
        """Seconds to wait after ``polls`` polls that found the job not finished (past its expected time);
        sooner when its reported progress says less than that is ``left`` (never below ``interval`` / 4)."""
        delay = min(self.interval * 1.5 ** polls, self.max_interval)
        if left is not None:
            delay = min(delay, max(self.interval / 4, left * 1.05))
        return max(0.0005, delay * random.uniform(0.9, 1.1))

    def observe(self, done: bool, elapsed: float, targeted: bool, since: float | None = None,
                early: bool = False) -> None:
        """Learn from a poll ``elapsed`` seconds after a job's start that found it ``done`` (succeeded) or
        not; ``targeted``: the poll was the one at the expected time; ``early``: it came before that time;
        ``since``: when (after the start) a poll last found the job unfinished, so it finished in between."""
        with self._lock:
            expected = self._expected
            finished = elapsed if since is None else (since + elapsed) / 2
            if not self._learnt or expected is None:
                if done:
                    self._expected, self._learnt = finished, True
                return
            if targeted:
                q = self.TARGET_DONE
                step = max(self.MIN_STEP, self.STEP / (1 + self._seen / 16))
                self._seen += 1
                self._expected = expected * ((1 - step * (1 - q)) if done else (1 + step * q))
            elif done and early and finished < expected:
                self._expected = finished  # finished before it was expected to: the estimate was too long


def _bucket(state: str) -> str:
    """Where a job counts in the progress line: queued, running, done or failed."""
    if state in (L.PENDING, L.SUBMITTING, L.SUBMITTED, L.QUEUED):
        return "queued"
    if state in (L.RUNNING, L.DOWNLOADING):
        return "running"
    return "done" if state == L.DONE else "failed"


def _backoff(attempt: int, first: float = 1.0, cap: float = 60.0) -> float:
    return min(cap, first * 2 ** attempt) * random.uniform(0.8, 1.2)


# -- the run ------------------------------------------------------------------------------------


class _Run:
    """One ``generate`` run against one provider: the workers, the ledger and the counters."""

    def __init__(self, film: Film, provider: Provider, ledger: Ledger, concurrency: int,
                 stop: threading.Event, progress: ProgressCallback | None, summary: GenerationSummary):
        self.film = film
        self.root = Path(film.root).resolve()  # type: ignore[arg-type]
        self.provider = provider
        self.ledger = ledger
        self.stop = stop
        self.progress = progress
        self.summary = summary
        interval = float(getattr(provider, "poll_interval", None)
                         or (DEFAULT_POLL_INTERVAL if provider.needs_network else LOCAL_POLL_INTERVAL))
        self.schedule = PollSchedule(interval, getattr(provider, "max_poll_interval", None),
                                     getattr(provider, "typical_duration", None))
        self.started = time.time()
        self.no_submit = ""  # set when the provider must not get new jobs (out of credit, bad key)
        self.lock = threading.Lock()
        self.reporting = threading.Lock()
        self.total = 0
        self.states: dict[str, str] = {}
        self.counts = {"queued": 0, "running": 0, "done": 0, "failed": 0}
        self.refused: set[str] = set()  # content hashes refused in this run (input moderation, bad request)
        self.errors: OrderedDict[str, str] = OrderedDict()  # last error of each job retrying now, newest last
        self.folders: set[str] = set()
        self.paths: dict[str, tuple[Path, Path]] = {}
        self.staging = self.root / L.STATE_DIR / STAGING_DIR
        # whether the provider's fetch takes the take's size bound (every provider of shotreel's does)
        self._bounded = _takes_keyword(provider.fetch, "max_bytes")
        if isinstance(provider, ServerPool):
            told = provider.on_down  # the caller's (a terminal says it at once), then the run's

            def down(url: str, message: str) -> None:
                if told is not None:
                    told(url, message)
                self._server_down(url, message)

            provider.on_down = down
            for url, message in list(provider.down.items()) if len(provider.servers) > 1 else []:
                self._server_down(url, message)

    # -- bookkeeping ----------------------------------------------------------------------

    def start(self, work: list[tuple[JobRecord, GenerationRequest]], later: int = 0) -> None:
        """Count the jobs of this run (``later``: pending ones recorded once it runs) and report."""
        self.total = len(work) + later
        self.counts["queued"] += later
        for record, _ in work:
            self.states[record.key] = record.state
            self.counts[_bucket(record.state)] += 1
        self._report()

    def add(self, work: list[tuple[JobRecord, GenerationRequest]]) -> None:
        """Jobs counted by :meth:`start` as ``later``, now recorded."""
        with self.lock:
            for record, _ in work:
                self.states[record.key] = record.state

    def _set(self, record: JobRecord, state: str, detail: str | None = None, **fields: object) -> JobRecord:
        """Move a job to ``state`` in the ledger and the counters. Only the record made before a submit
        (``durable``) is waited for; the others are queued for the ledger's writer thread, in order."""
        record = self.ledger.advance(record, state, detail, wait=False, **fields)  # type: ignore[arg-type]
        with self.lock:
            old = self.states.get(record.key)
            if old != state:
                self.errors.pop(record.key, None)
            if old is not None:
                self.counts[_bucket(old)] -= 1
            self.states[record.key] = state
            self.counts[_bucket(state)] += 1
        self._report()
        return record

    def _error(self, record: JobRecord, message: str | None) -> None:
        """Show (or, with None, clear) the last error of a job that is retrying, in the progress line."""
        with self.lock:
            if message is None:
                if self.errors.pop(record.key, None) is None:
                    return
            else:
                self.errors[record.key] = message
                self.errors.move_to_end(record.key)
        self._report()

    def _report(self) -> None:
        if self.progress is None:
            return
        with self.reporting:  # reports arrive in the order their counts were taken (the last one is the latest)
            with self.lock:
                counts, spent = dict(self.counts), self.summary.spent
                last = next(reversed(self.errors.items()), None)
            line = (f"queued {counts['queued']} · running {counts['running']} · done {counts['done']} · "
                    f"failed {counts['failed']} · ${spent:.2f} spent")
            if last is not None:
                line += f" · {last[0]}: {last[1]}"
            self.progress(counts["done"] + counts["failed"], self.total, line)

    def _outcome(self, record: JobRecord, bucket: str, message: str = "", path: Path | None = None) -> None:
        outcome = TakeOutcome(record.shot, record.take, record.state, path, message, record.cost)
        with self.lock:
            getattr(self.summary, bucket).append(outcome)

    def _fail(self, record: JobRecord, error: BaseException, state: str | None = None,
              kind: str | None = None, **fields: object) -> None:
        kind = kind or failure_kind(error)
        if state is None:
            state = L.MODERATED if isinstance(error, ModerationBlocked) else L.FAILED
        message = str(getattr(error, "message", None) or error)
        cost = getattr(error, "cost", None)
        if kind in ("moderation_input", "invalid_input"):
            with self.lock:
                self.refused.add(record.content_hash)
        record = self._set(record, state, message, failure_kind=kind, failure_message=message,
                           **({"cost": cost} if cost is not None else {}), **fields)
        self._outcome(record, "failed", f"{kind}: {message}")

    def _keep(self, record: JobRecord, error: BaseException) -> None:
        """A succeeded job whose result could not be stored now: it stays ``downloading`` for the next run.

        A full disk also stops new submissions (their results could not be stored either).
        """
        message = str(getattr(error, "message", None) or error)
        full = isinstance(error, DiskFull) or getattr(error, "errno", None) in (errno.ENOSPC, errno.EDQUOT)
        if full:
            with self.lock:
                self.no_submit = self.no_submit or f"the disk is full ({message})"
                self.summary.stopped = self.summary.stopped or self.no_submit
        self._outcome(record, "waiting", f"{message}; the result is kept: free the disk / run again to store it"
                      if full else f"{message}; run again to download it")

    def _wait(self, seconds: float) -> bool:
        """Sleep ``seconds`` unless stopped; ``True`` when the run should go on."""
        return not self.stop.wait(max(0.0, seconds))

    # -- one job --------------------------------------------------------------------------

    def run_job(self, record: JobRecord, request: GenerationRequest,
                sent: Callable[[], None] | None = None) -> JobSteps:
        """Submit (if pending) and follow one job until the provider finishes it; every step is in the
        ledger first. A generator of steps (:data:`JobSteps`): each ``yield`` is a pause in seconds, answered
        with whether the run goes on, so one :class:`_Driver` serves every job from a few threads, none of
        them asleep per job. Returns a succeeded job and its status, to be recorded as downloading and
        downloaded (:meth:`download_job`). ``sent`` is called once, when the submit is done (or was not
        needed)."""
        called = False

        def once() -> None:
            nonlocal called
            if not called and sent is not None:
                called = True
                sent()

        try:
            return (yield from self._run_job(record, request, once))
        finally:
            once()  # the job ended before (or at) its submit

    def _run_job(self, record: JobRecord, request: GenerationRequest,
                 sent: Callable[[], None]) -> JobSteps:
        try:
            if self.stop.is_set() or (record.state == L.PENDING and self.no_submit):
                reason = "stopped before it was submitted" if record.state == L.PENDING else \
                    "stopped while at the provider; run again to finish"
                self._outcome(record, "waiting", self.no_submit if record.state == L.PENDING and self.no_submit
                              else reason)
                return None
            if record.state == L.PENDING and record.content_hash in self.refused:
                record = self._set(record, L.CANCELED, "not sent: the same request was just refused",
                                   failure_kind="not_sent", failure_message="the same request was refused")
                self._outcome(record, "failed", "not sent: another take of the same request was just refused")
                return None
            if record.state == L.PENDING:
                submitted = yield from self._submit(record, request)
                if submitted is None or submitted.state not in L.AT_PROVIDER:
                    return None
                record = submitted
            sent()
            result = yield from self._follow(record)
            while isinstance(result, _FailOver):  # its server went away: to another one, never paid twice
                moved = self._fail_over(result.record, request)
                if moved is None:
                    return None
                record, request = moved
                if record.state == L.PENDING:
                    submitted = yield from self._submit(record, request)
                    if submitted is None or submitted.state not in L.AT_PROVIDER:
                        return None
                    record = submitted
                result = yield from self._follow(record)
            return result
        except ShotreelError as exc:
            self._unexpected(record, exc)
            return None

    def download_job(self, record: JobRecord, status: JobStatus | None) -> None:
        """Record a job that just succeeded (``status``) as downloading, then download, probe and land it
        (``status`` None: one an earlier run left downloading). Until then the ledger still has the job as
        running, which a later run would poll and find succeeded: recording it here keeps the write off the
        path between one job's end and the submit of the next."""
        try:
            if status is not None and record.state in L.AT_PROVIDER and record.state != L.DOWNLOADING:
                record = self._set(record, L.DOWNLOADING, raw_status=status.raw_status, progress=1.0,
                                   raw=self.provider.mask(status.raw),
                                   **({"cost": status.cost} if status.cost is not None else {}))
            if record.state != L.DOWNLOADING:
                return
            if status is None:
                if self._landed(record):
                    return
                status = self._poll_once(record)
                if status is None:
                    return
            self._download(record, status)
        except ShotreelError as exc:
            self._unexpected(record, exc)

    def _unexpected(self, record: JobRecord, exc: ShotreelError) -> None:
        if isinstance(exc, AuthFailed):
            self._halt(exc)
        current = self.ledger.get(record.shot, record.take)
        if current is not None and current.state in (L.QUEUED, L.RUNNING, L.SUBMITTED, L.DOWNLOADING):
            self._outcome(current, "waiting", f"left at the provider: {exc}")
        elif current is not None and current.state == L.PENDING:
            self._outcome(current, "waiting", str(exc))

    def _halt(self, error: GenerationError) -> None:
        with self.lock:
            if self.summary.error is None:
                self.summary.error = error
                self.summary.stopped = f"stopped: {error}"
            self.no_submit = self.no_submit or str(error)
        self.stop.set()

    def _submit(self, record: JobRecord, request: GenerationRequest) -> Steps[JobRecord | None]:
        for attempt in range(MAX_SUBMIT_ATTEMPTS):
            if self.stop.is_set() or self.no_submit:
                self._outcome(record, "waiting", self.no_submit or "stopped before it was submitted")
                return None
            record = self._set(record, L.SUBMITTING, durable=True, attempts_add=1)
            sent = time.time()  # when the job may start: its expected run time is counted from here
            try:
                handle = self.provider.submit(request)
            except Unreachable as exc:  # nothing was sent: say so at once, with the fix, and stop
                record = self._set(record, L.PENDING, str(exc.message), failure_kind="unreachable",
                                   failure_message=str(exc.message))
                self._halt(exc)
                self._outcome(record, "waiting", str(exc.message))
                return None
            except RetryLater as exc:  # definitely not taken: sending again is not a second job
                record = self._set(record, L.PENDING, f"retry later: {exc.message}", failure_kind="transient",
                                   failure_message=str(exc.message))
                self._error(record, f"retrying: {exc.message}")
                delay = exc.retry_after if exc.retry_after is not None else _backoff(attempt)
                if delay > MAX_RETRY_AFTER:
                    self._outcome(record, "waiting", f"the provider asks to wait {delay:.0f} s; run again later")
                    return None
                if not (yield delay):
                    self._outcome(record, "waiting", "stopped before it was submitted")
                    return None
                continue
            except AmbiguousSubmit as exc:
                found = self._ambiguous(record, str(exc.message), answered=exc.answered, request=request)
                if found is not None and found.state == L.PENDING:  # answered, and certainly not made
                    record = found
                    if not (yield _backoff(attempt)):
                        self._outcome(record, "waiting", "stopped before it was submitted")
                        return None
                    continue
                return found
            except OutOfCredit as exc:
                record = self._set(record, L.PENDING, f"out of credit: {exc.message}")
                with self.lock:
                    self.no_submit = self.no_submit or f"{self.provider.name} is out of credit: {exc.message}"
                    self.summary.stopped = self.summary.stopped or self.no_submit
                self._outcome(record, "waiting", self.no_submit)
                return None
            except AuthFailed as exc:
                record = self._set(record, L.PENDING, f"key rejected: {exc.message}")
                self._halt(exc)
                self._outcome(record, "waiting", str(exc))
                return None
            except (ModerationBlocked, BadRequest) as exc:
                self._fail(record, exc)
                return None
            except Exception as exc:  # noqa: BLE001 - anything else may have reached the provider
                if not self.provider.needs_network:  # a local provider failed before doing anything: no job
                    message = f"{self.provider.name} could not start the take: {getattr(exc, 'message', None) or exc}"
                    record = self._set(record, L.PENDING, message, failure_kind="local_failure",
                                       failure_message=message)
                    self._halt(GenerationError(message, shot=record.shot))
                    self._outcome(record, "waiting", message)
                    return None
                return self._ambiguous(record, f"submit failed unexpectedly: {exc}", request=request)
            return self._set(record, L.SUBMITTED, job_id=handle.job_id, handle_data=self.provider.mask(handle.data),
                             submitted=sent,
                             soon=True, failure_kind=None, failure_message=None)
        self._outcome(record, "waiting", f"still refused after {MAX_SUBMIT_ATTEMPTS} attempts; run again later")
        return None

    def _ambiguous(self, record: JobRecord, message: str, answered: bool = False,
                   request: GenerationRequest | None = None) -> JobRecord | None:
        """A submit that may have reached the provider: find it by client id, else ask the user.

        Returns the job ``submitted`` (found), ``pending`` (the provider answered the create with an error
        and, asked by client id, says for certain it has no such job: safe to send again), or None (left
        ``unknown_submit``: never sent again until the user says so)."""
        handle = None
        looked = False
        with contextlib.suppress(GenerationError):
            handle = self.provider.find_by_client_id(record.client_id)
            looked = True
        if handle is not None:
            return self._set(record, L.SUBMITTED, f"found by client id after: {message}", job_id=handle.job_id,
                             handle_data=self.provider.mask(handle.data),
                             submitted=record.submitted or time.time(), soon=True)
        if answered and looked and self.provider.finds_by_client_id:
            return self._set(record, L.PENDING, f"retry later: {message}; no job with its client id was made",
                             failure_kind="transient", failure_message=message)
        if request is not None:
            handle = _find_recent(self.ledger, self.provider, record, request)
            if handle is not None:
                return self._set(record, L.SUBMITTED, f"found among the provider's recent jobs after: {message}",
                                 job_id=handle.job_id, handle_data=self.provider.mask(handle.data),
                                 submitted=record.submitted or time.time(), soon=True)
        record = self._set(record, L.UNKNOWN_SUBMIT, message, failure_kind="ambiguous_submit",
                           failure_message=message)
        self._outcome(record, "unknown", f"{message}; {dashboard_hint(record, record.updated)}")
        return None

    def _follow(self, record: JobRecord) -> JobSteps:
        """Poll until the job finishes; the job (now ``downloading``) and its status when it succeeded.

        The first poll comes when the job is expected to have finished (:class:`PollSchedule`), counted
        from the submit, or from when the job started running if a poll saw it queued first.
        """
        handle = record.handle
        assert handle is not None
        start = record.submitted or time.time()
        learn = start >= self.started  # jobs an earlier run submitted say nothing about run times
        aimed = True  # not yet polled at its expected time since it started
        polls = errors = 0  # polls that found it unfinished since then; failed polls in a row
        queued_at: float | None = None
        unfinished: float | None = None  # when (after the start) a poll last found it still running
        left: float | None = None  # what the job's reported progress says is left of its run (seconds)
        while True:
            backing_off = not aimed or self.schedule.expected is None
            if backing_off:
                delay, targeted = self.schedule.backoff(polls, left), False
            else:
                delay, targeted = self.schedule.first_delay(time.time() - start, left)
            if not (yield delay):
                self._outcome(record, "waiting", "stopped while at the provider; run again to finish")
                return None
            asked = time.time()  # what the poll finds is the job's state about now
            try:
                status = self.provider.poll(handle)
            except Unreachable as exc:
                can = getattr(self.provider, "can_fail_over", None)
                if can is not None and can(handle):
                    return _FailOver(record)
                self._set(record, record.state, str(exc.message), failure_kind="unreachable",
                          failure_message=str(exc.message))
                self._halt(exc)
                self._outcome(record, "waiting", f"left at the provider: {exc.message}")
                return None
            except RetryLater as exc:
                errors += 1
                if errors == 1 or errors % 5 == 0:  # the last error shows in `shotreel jobs` and the progress line
                    record = self._set(record, record.state, f"poll failed: {exc.message}", failure_kind="transient",
                                       failure_message=str(exc.message))
                self._error(record, f"poll failing ({errors}×): {exc.message}")
                if errors > MAX_POLL_ERRORS:
                    self._outcome(record, "waiting", f"the provider keeps failing ({exc}); run again to finish")
                    return None
                if not (yield exc.retry_after if exc.retry_after is not None else _backoff(errors, 0.5)):
                    self._outcome(record, "waiting", "stopped while at the provider; run again to finish")
                    return None
                continue
            except (ModerationBlocked, BadRequest, ResultExpired) as exc:
                self._fail(record, exc)
                return None
            if errors:
                errors = 0
                self._error(record, None)
            if status.state == JobState.SUCCEEDED:  # recorded as downloading by the download thread
                if learn:
                    self.schedule.observe(True, asked - start, targeted, unfinished,
                                          early=aimed and not targeted)
                return record, status
            if status.state == JobState.FAILED:
                error = status.failure or GenerationError(f"the provider reports {status.raw_status or 'failed'}")
                self._fail(record, error, L.MODERATED if isinstance(error, ModerationBlocked) else L.FAILED,
                           raw=self.provider.mask(status.raw), raw_status=status.raw_status)
                return None
            if status.state == JobState.CANCELED:
                self._fail(record, GenerationError(f"canceled at the provider ({status.raw_status})"), L.CANCELED,
                           kind="canceled", raw=self.provider.mask(status.raw), raw_status=status.raw_status)
                return None
            if status.state == JobState.QUEUED:  # waiting for a slot: its run has not started
                queued_at, aimed, polls = asked, False, polls + 1
            elif queued_at is not None:  # started running since the last poll, which saw it queued
                start, queued_at, aimed, polls = (queued_at + asked) / 2, None, True, 0
                unfinished = asked - start
            else:
                unfinished = asked - start
                progress = status.progress
                # what is left at the rate the job has gone so far, where it says how far it is
                left = None
                if progress is not None and 0.05 <= progress < 1:
                    left = unfinished * (1 - progress) / progress
                if targeted:  # still running at its expected time
                    if learn:
                        self.schedule.observe(False, asked - start, True)
                    aimed = False
                elif backing_off:
                    polls += 1
            state = L.RUNNING if status.state == JobState.RUNNING else L.QUEUED
            if state != record.state:
                record = self._set(record, state, raw_status=status.raw_status, progress=status.progress)

    def _fail_over(self, record: JobRecord,
                   request: GenerationRequest) -> tuple[JobRecord, GenerationRequest] | None:
        """A job whose server went away (:class:`~shotreel.generation.servers.ServerPool`): adopted where a live
        server has its client id, else back to ``pending`` with a new client id (recorded before it is sent
        again: the dead server's job was not paid for). None when the ledger refuses the move."""
        old = record.server or "its server"
        handle = None
        with contextlib.suppress(GenerationError):
            handle = self.provider.find_by_client_id(record.client_id)
        if handle is not None:
            record = self._set(record, L.SUBMITTED, f"{old} went away; found on {handle.data.get(L.SERVER)} by "
                               "client id", job_id=handle.job_id, handle_data=self.provider.mask(handle.data),
                               submitted=time.time(), soon=True)
            return record, request
        client_id = str(uuid.uuid4())
        detail = f"{old} went away; sent again to another server with a new client id (nothing was paid there)"
        try:
            moved = self.ledger.fail_over(record, client_id, detail)
        except ShotreelError as exc:
            self._outcome(record, "waiting", f"left at {old}: {exc}")
            return None
        with self.lock:
            self.counts[_bucket(self.states.get(record.key, record.state))] -= 1
            self.states[record.key] = moved.state
            self.counts[_bucket(moved.state)] += 1
        self._report()
        return moved, replace(request, client_id=client_id)

    def _server_down(self, url: str, message: str) -> None:
        """A server of the pool cannot be reached: said at once in the progress line and in the summary."""
        with self.lock:
            self.summary.servers_down[url] = message
            self.errors[f"server {url}"] = f"unreachable, its jobs go to the other servers: {message}"
            self.errors.move_to_end(f"server {url}")
        self._report()

    def _poll_once(self, record: JobRecord) -> JobStatus | None:
        """A fresh status for a job that succeeded before (its result URLs may have changed)."""
        handle = record.handle
        assert handle is not None
        for attempt in range(MAX_FETCH_ATTEMPTS):
            try:
                status = self.provider.poll(handle)
            except RetryLater as exc:
                if not self._wait(exc.retry_after if exc.retry_after is not None else _backoff(attempt, 0.5)):
                    return None
                continue
            except GenerationError as exc:
                self._fail(record, exc)
                return None
            if status.state == JobState.SUCCEEDED:
                return status
            self._fail(record, status.failure or ResultExpired(f"the provider now reports {status.raw_status}"))
            return None
        self._outcome(record, "waiting", "the provider keeps failing; run again to finish")
        return None

    # -- landing a take -------------------------------------------------------------------

    def _paths(self, record: JobRecord) -> tuple[Path, Path]:
        """Where the job's download lands first (``.shotreel/staging/<shot>.<take>``, no suffix: one folder
        for every shot, as making a folder per take costs more than the download itself) and the folder it
        lands in: the shot's takes folder, or for a still the folder of its destination (the ledger keeps it,
        so a run after a crash lands it there too)."""
        found = self.paths.get(record.key)
        if found is None:
            if _images.lands(record):
                found = (self.staging / _images.staging_name(record),
                         (self.root / str(record.destination)).parent)
            else:
                found = (self.staging / f"{record.shot}.{record.take}", self.root / TAKES_DIR / record.shot)
            self.paths[record.key] = found
        return found

    def _folder(self, path: Path) -> None:
        """Make ``path`` once per run (a failing mkdir of an existing folder is not free on every disk)."""
        key = str(path)
        if key not in self.folders:
            path.mkdir(parents=True, exist_ok=True)
            self.folders.add(key)

    def _landed(self, record: JobRecord) -> bool:
        """Finish a take an earlier run downloaded (never downloading it twice); True when done."""
        if _images.lands(record):
            return self._landed_still(record)
        staging, final = self._paths(record)
        clip = (_clip(final / record.take) or _clip(staging)
                or _clip(self.staging / record.shot / record.take))  # where shotreel 0.1 staged downloads
        if clip is None:
            return False
        self._land(record, clip, None)
        return True

    def _download(self, record: JobRecord, status: JobStatus) -> None:
        staging, _ = self._paths(record)  # its folder is made by the download's atomic write
        handle = record.handle
        assert handle is not None
        limit = {"max_bytes": _byte_limit(record)} if self._bounded else {}
        suffix = _images.landing_for(record.kind).staged_suffix if _images.lands(record) else ".mp4"
        for attempt in range(MAX_FETCH_ATTEMPTS):
            try:
                clip = self.provider.fetch(handle, status, staging.with_name(staging.name + suffix), **limit)
                break
            except RetryLater as exc:
                if not self._wait(exc.retry_after if exc.retry_after is not None else _backoff(attempt, 0.5)):
                    self._outcome(record, "waiting", "stopped before the download finished; run again")
                    return
            except ResultExpired as exc:
                if attempt == MAX_FETCH_ATTEMPTS - 1:
                    self._lost(record, exc)
                    return
                if not self._wait(_backoff(attempt, min(1.0, self.schedule.interval))):
                    self._outcome(record, "waiting", "stopped before the download finished; run again")
                    return
                fresh = self._poll_once(record)  # fresh URLs, where the provider hands them out again
                if fresh is None:
                    return
                status = fresh
            except ResultRefused as exc:  # too large, or at an address not fetched from: again would not help
                self._lost(record, exc)
                return
            except (ModerationBlocked, BadRequest) as exc:
                self._fail(record, exc)
                return
            except (GenerationError, OSError) as exc:  # the result is still there: keep the job, try next run
                self._keep(record, exc)
                return
        else:
            self._outcome(record, "waiting", "the download keeps failing; run again to finish")
            return
        self._land(record, Path(clip), status)

    def _lost(self, record: JobRecord, error: GenerationError) -> None:
        """A paid job whose result cannot be downloaded any more (expired) or will not be (refused: too
        large, or at an address not fetched from): failed as ``expired`` / ``download_refused`` with its
        cost spent; never replaced by a new paid take unless the user asks (``--new``)."""
        cost = record.cost if record.cost is not None else record.estimated_cost
        with self.lock:
            self.summary.spent += cost or 0.0
        again = (f"not replaced automatically: `shotreel generate DIR --shots {record.shot} --new` pays for a new "
                 "take")
        if isinstance(error, ResultRefused):
            failure: GenerationError = ResultRefused(f"paid, but not downloaded: {error.message}; {again}",
                                                     shot=record.shot)
        else:
            failure = ResultExpired(f"paid, but the result is lost: {error.message} (asked {self.provider.name} "
                                    f"for a fresh link {MAX_FETCH_ATTEMPTS} times); {again}", shot=record.shot)
        self._fail(record, failure, kind=failure_kind(failure), **({"cost": cost} if cost is not None else {}))

    def _land(self, record: JobRecord, clip: Path, status: JobStatus | None) -> None:
        """Probe ``clip``, then move it into ``takes/<shot>/`` and write its sidecar beside it; mark the job
        done. A still (a voice line) lands at its destination instead (:meth:`_land_still`)."""
        if _images.lands(record):
            self._land_still(record, clip)
            return
        _, final = self._paths(record)
        cost = record.cost if record.cost is not None else record.estimated_cost
        digest = file_sha256(clip)
        try:
            probe = _probe(clip, digest)
        except Exception as exc:  # noqa: BLE001 - whatever the prober says, the file is not a usable take
            self._fail(record, GenerationError(f"the downloaded file is not a readable video ({exc}); "
                                               f"kept as {clip}"))
            return
        target = final / f"{record.take}{clip.suffix.lower() or '.mp4'}"
        sidecar = _sidecar(self.root, record, target, probe, cost, digest)
        with contextlib.suppress(KeyError, ShotreelError):  # every input that shaped it but its boards (stale)
            from ..stale import take_inputs
            sidecar["inputs"] = take_inputs(self.film, record.shot, record.request)
        try:
            self._folder(final)
            if clip != target:
                os.replace(clip, target)  # the clip (fsynced when written), then its sidecar beside it, whose
            atomic_write_text(final / f"{record.take}.json",  # folder fsync makes both renames durable
                              json.dumps(sidecar, indent=2, sort_keys=True) + "\n")
        except OSError as exc:  # a clip without its sidecar is finished by the next run (_landed)
            self._keep(record, exc)
            return
        with self.lock:
            self.summary.spent += cost or 0.0
        record = self._set(record, L.DONE, cost=cost, result_path=target.relative_to(self.root).as_posix())
        self._outcome(record, "done", "; ".join(sidecar["notes"]), path=target)


    # -- landing a still (an image job) ---------------------------------------------------------

    def _landed_still(self, record: JobRecord) -> bool:
        """Finish a still an earlier run downloaded: done when it is at its destination with the sidecar of
        this job, else landed from the staging folder; False when neither (download it)."""
        target = _images.landed_job(self.root, record)
        if target is not None:
            record = self._set(record, L.DONE, "found on disk with its sidecar",
                               cost=record.cost if record.cost is not None else record.estimated_cost,
                               result_path=target.relative_to(self.root).as_posix())
            self._outcome(record, "done", "found on disk", path=target)
            return True
        staging, _ = self._paths(record)
        staged = staging.with_name(staging.name + _images.landing_for(record.kind).staged_suffix)
        if not staged.is_file():
            return False
        self._land_still(record, staged)
        return True

    def _land_still(self, record: JobRecord, staged: Path) -> None:
        """Check the downloaded still with Pillow (a voice line's clip with its own probe), then land it at
        ``<destination>.<png|jpg|webp>`` with its sidecar (:func:`~shotreel.generation.images.land_still`);
        never over an artist's file."""
        cost = record.cost if record.cost is not None else record.estimated_cost
        landing = _images.landing_for(record.kind)
        try:
            probe = landing.probe(staged)
        except GenerationError as exc:
            self._fail(record, GenerationError(f"{exc.message}; kept as {staged}", shot=record.shot))
            return
        artist = _images.artist_file(self.root, str(record.destination), record.kind)
        if artist is not None:
            message = (f"{artist.relative_to(self.root).as_posix()} is not shotreel's (no sidecar): not overwritten; "
                       f"the generated {landing.noun} is kept as {staged}")
            self._fail(record, GenerationError(message, shot=record.shot), kind="destination_taken",
                       **({"cost": cost} if cost is not None else {}))
            with self.lock:
                self.summary.spent += cost or 0.0
            return
        seed = _images.received_seed(self.provider, record)
        try:
            target, sidecar = _images.land_still(self.root, record, staged, probe, cost, seed)
        except OSError as exc:  # the still stays staged (or landed without the ledger knowing): next run
            self._keep(record, exc)
            return
        with self.lock:
            self.summary.spent += cost or 0.0
        record = self._set(record, L.DONE, cost=cost, result_path=target.relative_to(self.root).as_posix())
        self._outcome(record, "done", "; ".join(sidecar["notes"]), path=target)


class _FailOver:
    """What :meth:`_Run._follow` returns for a job whose server went away while another is live."""

    __slots__ = ("record",)

    def __init__(self, record: JobRecord):
        self.record = record


def _takes_keyword(function: Callable[..., object], name: str) -> bool:
    """Whether ``function`` accepts the keyword argument ``name``."""
    try:
        parameters = inspect.signature(function).parameters
    except (TypeError, ValueError):
        return False
    return name in parameters or any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())


def _byte_limit(record: JobRecord) -> int:
    """The most bytes the job's take may download (:func:`~shotreel.generation.base.take_byte_limit`): from
    the length and frame size it asked for."""
    req = record.request
    if _images.lands(record):
        return _images.landing_for(record.kind).byte_limit(req)
    try:
        seconds = float(Fraction(int(req.get("duration_frames") or 0)) / Fraction(str(req.get("fps") or 24)))
        return take_byte_limit(seconds, int(req.get("width") or 0), int(req.get("height") or 0))
    except (TypeError, ValueError, ZeroDivisionError):
        return take_byte_limit(MAX_UNKNOWN_TAKE_S)


MAX_UNKNOWN_TAKE_S = 30.0  # seconds assumed for a job whose request does not say its length


def _clip(stem: Path) -> Path | None:
    """The video file at ``stem`` with one of the video suffixes, if there is one."""
    for suffix in VIDEO_SUFFIXES:
        path = stem.with_name(stem.name + suffix)
        if path.is_file():
            return path
    return None


_PROBES: dict[str, dict] = {}
_PROBES_LOCK = threading.Lock()


def _probe(path: Path, sha256: str) -> dict | None:
    """The real fps, frames, size and codec of a clip, via :mod:`shotreel.media` (None if unavailable).

    Probes are remembered by content hash: identical bytes are probed once per process.
    """
    with _PROBES_LOCK:
        if sha256 in _PROBES:
            return dict(_PROBES[sha256])
    try:
        from .. import media
    except ImportError:
        return None
    info = media.probe(path)
    if hasattr(media, "probe_to_dict"):
        data = media.probe_to_dict(info)
    else:  # pragma: no cover - older media module
        data = {"fps": f"{info.fps.numerator}/{info.fps.denominator}", "frames": info.frames,
                "width": info.width, "height": info.height, "codec": info.codec, "duration": info.duration}
    with _PROBES_LOCK:
        _PROBES[sha256] = dict(data)
    return data


def _relative(root: Path, path: str | None) -> str | None:
    """``path`` relative to the project (``root`` resolved) when inside it, else as it is."""
    if not path:
        return None
    candidate = Path(path)
    try:
        return candidate.relative_to(root).as_posix()
    except ValueError:
        try:
            return candidate.resolve().relative_to(root).as_posix()
        except ValueError:
            return str(path)


def _sidecar(root: Path, record: JobRecord, target: Path, probe: dict | None, cost: float | None,
             sha256: str) -> dict:
    """A take's provenance: what was asked, of whom, with which boards, and what came back."""
    req = record.request
    handle = record.handle_data or {}

    def image(entry: dict | None) -> dict | None:
        return {"path": _relative(root, entry["path"]), "sha256": entry.get("sha256")} if entry else None

    now = time.time()
    data = {
        "shot": record.shot, "take": record.take, "status": "done", "created": now,
        "provider": record.provider, "model": record.model, "prompt": req.get("prompt", ""),
        "negative_prompt": req.get("negative_prompt", ""),
        # the seed the provider was given (its handle says so where it may differ), never one it ignored
        "seed": handle["seed"] if "seed" in handle else req.get("seed"),
        "movement": req.get("movement", ""),
        "requested": {"duration_frames": req.get("duration_frames"), "fps": req.get("fps"),
                      "width": req.get("width"), "height": req.get("height")},
        "start_board": image(req.get("start_image")), "end_board": image(req.get("end_image")),
        "reference_images": [image(e) for e in req.get("reference_images", [])],
        "job_id": record.job_id, "request_hash": record.request_hash, "cost": cost,
        "estimated_cost": record.estimated_cost, "submitted": record.submitted, "finished": now,
        "file": target.name, "sha256": sha256,
    }
    if probe is not None:
        data["probe"] = probe
    data["notes"] = delivery_notes(req, probe)
    return data


def delivery_notes(requested: dict, probe: dict | None) -> list[str]:
    """How a take differs from what was asked (``requested``: the ledger's request summary), one line each:
    another frame size, another rate, too few frames to fill the shot. Empty when it is as asked (a take
    longer than its shot is as asked: providers round up to the clip lengths they make)."""
    if not probe:
        return []
    notes: list[str] = []
    with contextlib.suppress(TypeError, ValueError, ZeroDivisionError):
        size = (int(probe.get("width") or 0), int(probe.get("height") or 0))
        asked = (int(requested.get("width") or 0), int(requested.get("height") or 0))
        if all(size) and all(asked) and size != asked:
            got, want = size[0] / size[1], asked[0] / asked[1]
            aspect = f" (aspect {got:.2f}), asked {asked[0]}×{asked[1]} ({want:.2f})" if abs(got - want) > 0.005 \
                else f", asked {asked[0]}×{asked[1]} (the same aspect)"
            notes.append(f"delivered at {size[0]}×{size[1]}{aspect}")
    with contextlib.suppress(TypeError, ValueError, ZeroDivisionError):
        rate, film_rate = Fraction(str(probe.get("fps"))), Fraction(str(requested.get("fps")))
        frames, shot = int(probe.get("frames") or 0), int(requested.get("duration_frames") or 0)
        if rate and film_rate and rate != film_rate:
            notes.append(f"runs at {_rate(rate)} fps, asked {_rate(film_rate)} fps: placed in real time, not retimed")
        needed = math.ceil(shot * rate / film_rate) if rate and film_rate else 0
        if frames and needed and frames < needed:
            notes.append(f"runs short: {frames} frames at {_rate(rate)} fps, {needed} fill the shot; the board "
                         f"shows for the last {needed - frames}")
    return notes


def _rate(rate: Fraction) -> str:
    """``24`` / ``23.976`` for notes."""
    return str(rate.numerator) if rate.denominator == 1 else f"{float(rate):.3f}".rstrip("0").rstrip(".")


def _clean_staging(root: Path) -> None:
    """Remove temporary files a killed download left in ``.shotreel/staging`` (never a finished file)."""
    staging = root / L.STATE_DIR / STAGING_DIR
    if not staging.is_dir():
        return
    for path in [*staging.glob(".*"), *staging.glob("*/.*")]:
        with contextlib.suppress(OSError):
            path.unlink()


# -- the entry point ----------------------------------------------------------------------------


def generate(film: Film, shots: Iterable[str] | None = None, provider: str | Provider = DEFAULT_PROVIDER,
             takes_per_shot: int = 1, concurrency: int | None = None, dry_run: bool = False,
             progress: ProgressCallback | None = None, options: dict | None = None, *,
             model: str | None = None, seed: int | None = None, new_takes: bool = False,
             stop: threading.Event | None = None, extra: dict | None = None,
             queue_ahead: int | None = None, servers: list[str] | None = None) -> GenerationSummary:
    """Generate takes for ``shots`` (all when ``None``) of ``film`` with ``provider``; see the module doc.

    ``provider`` is a name (created with ``options``) or a :class:`Provider`. ``takes_per_shot`` is
    how many takes each shot should have (or how many new ones with ``new_takes``). ``concurrency``
    (jobs running at once) is capped by the provider's ``max_concurrency`` (raise that with the provider
    option ``max_concurrency`` when the account allows more). Where the provider queues what is over its
    limit (:attr:`Provider.queues_overflow`), ``queue_ahead`` more jobs (default :func:`default_queue_ahead`)
    wait in its queue, so a slot that comes free starts the next job at once, not after a poll and a
    submit. ``dry_run`` plans, checks and prices the requests without sending anything or touching the
    ledger: the summary's ``missing_keys``, ``invalid`` and ``costs`` say what a real run would meet and
    pay. ``stop`` ends the run cleanly (jobs stay in the ledger). ``progress`` is called from worker
    threads. A missing key (:class:`AuthFailed`) or an unknown model is raised before the ledger is
    opened; errors in the input (a missing board, an unknown shot, a request the provider would refuse)
    before anything is recorded or sent.
    """
    started = time.monotonic()
    if film.root is None:
        raise ShotreelError("generation needs a project folder (the film was not loaded from one)")
    if takes_per_shot < 1:
        raise ShotreelError(f"--takes must be at least 1, not {takes_per_shot}")
    prov = provider_for(provider, options, servers, concurrency)
    model = model or prov.default_model()
    chosen = _chosen_shots(film, shots)
    summary = GenerationSummary(provider=prov.name, model=model, dry_run=dry_run, billing=prov.billing)
    root = Path(film.root)
    if dry_run:
        summary.missing_keys = prov.missing_keys()
        ledger = Ledger.open_readonly(root)
        try:
            plan = _plan(film, chosen, prov, model, ledger, takes_per_shot, new_takes, seed, extra or {})
            if ledger is not None:
                for record in ledger.jobs(L.UNFINISHED - {L.PENDING}, provider=prov.name):
                    if record.state in (L.SUBMITTING, L.UNKNOWN_SUBMIT):
                        summary.unknown.append(TakeOutcome(record.shot, record.take, record.state))
                    else:
                        summary.reconciled.append(record.key)
        finally:
            if ledger is not None:
                ledger.close()
        _fill_plan(summary, plan, prov, check=True)
        summary.elapsed = time.monotonic() - started
        return summary
    prov.require_key()  # before the ledger: a run that cannot send anything records nothing
    prov.capabilities(model)  # an unknown model is refused here too
    stop = stop or threading.Event()
    with project_lock(root), Ledger.open(root) as ledger:
        _clean_staging(root)
        prov = pool_for_ledger(prov, ledger)
        plan = _plan(film, chosen, prov, model, ledger, takes_per_shot, new_takes, seed, extra or {})
        for request in [r for _, r in plan.resumed] + plan.new:
            prov.validate(request)
        _fill_plan(summary, plan, prov)
        price = {(r.shot_id, r.take_id): c.amount for r, c in zip(summary.requests, summary.costs, strict=True)}
        for row, request in plan.resumed:
            if request.request_hash() != row.request_hash:
                ledger.replace_request(row.shot, row.take, request)
        for row in plan.refused:
            ledger.transition(row.shot, row.take, L.CANCELED, "not sent: the same request was refused",
                              failure_kind="not_sent", failure_message="the same request was refused")
        limit = set_limit(prov, running_limit(prov, concurrency), queue_ahead)
        # the first jobs are recorded before anything is sent; the others while those first ones run
        first, later = plan.new[:limit], plan.new[limit:]
        recorded = ledger.record_planned([(r, price[r.shot_id, r.take_id]) for r in first])
        work = _work(ledger, root, prov, plan, summary, recorded, first)
        run = _Run(film, prov, ledger, limit, stop, progress, summary)
        run.start(work, len(later))

        def record_later() -> list[tuple[JobRecord, GenerationRequest]]:
            """The later jobs, recorded as pending (one transaction per ``limit`` of them)."""
            added: list[tuple[JobRecord, GenerationRequest]] = []
            for n in range(0, len(later), limit):
                chunk = later[n:n + limit]
                added.extend(zip(ledger.record_planned([(r, price[r.shot_id, r.take_id]) for r in chunk]),
                                 chunk, strict=True))
            return added

        _execute(run, work, limit, record_later if later else None)
        ledger.flush()  # every change of the run is in the ledger (or its failure is raised here)
    summary.elapsed = time.monotonic() - started
    return summary


def provider_for(provider: str | Provider, options: dict | None = None, servers: list[str] | None = None,
                 concurrency: int | None = None) -> Provider:
    """The provider a run uses: ``provider`` itself, or the one of that name created with ``options``; with
    ``servers``, that provider on each of them (:class:`~shotreel.generation.servers.ServerPool`), each running
    ``concurrency`` jobs at once (default: the provider's own). A provider that runs on servers of the user's
    own (ComfyUI) is a pool even of one, so every job records the server holding it and a later run given
    another address still follows it there."""
    if servers:
        servers = parse_servers(servers)
        options = dict(options or {})
        if concurrency:
            options["max_concurrency"] = concurrency
        if isinstance(provider, Provider):
            return pool_of(provider, servers)
        name = provider
        if name not in POOLED:
            raise ShotreelError(f"{name} does not run on servers of your own; only {', '.join(POOLED)} can be "
                                "spread over several (--comfyui URL,URL)")
        return pool_of(get_provider(name, **{**options, "base_url": servers[0]}), servers,
                       lambda url: get_provider(name, **{**options, "base_url": url}))
    prov = provider if isinstance(provider, Provider) else get_provider(provider, **(options or {}))
    if prov.name in POOLED and getattr(prov, "base_url", None) and not isinstance(prov, ServerPool):
        return pool_of(prov, [prov.base_url])  # type: ignore[attr-defined] - every job records its server
    return prov


def running_limit(provider: Provider, concurrency: int | None) -> int:
    """How many jobs run at once: ``concurrency`` capped by the provider's limit; on several servers, each
    server's own (their sum)."""
    if isinstance(provider, ServerPool):
        return provider.running(concurrency)
    return max(1, min(concurrency or provider.max_concurrency, provider.max_concurrency))


def pool_for_ledger(provider: Provider, ledger: Ledger) -> Provider:
    """``provider`` as a pool when the ledger holds unfinished jobs of it on servers (recorded by a run on
    several), so each is polled on its own server; else ``provider`` itself."""
    if isinstance(provider, ServerPool) or provider.name not in POOLED or not getattr(provider, "base_url", None):
        return provider
    if not any(r.server for r in ledger.jobs(L.UNFINISHED - {L.PENDING}, provider=provider.name)):
        return provider
    return pool_of(provider, [provider.base_url])  # type: ignore[attr-defined]


def set_limit(provider: Provider, running: int, queue_ahead: int | None) -> int:
    """The run's limit of jobs at the provider: ``running`` plus those kept waiting in its queue (shared among
    the servers of a pool)."""
    ahead = default_queue_ahead(provider, running) if queue_ahead is None else max(0, queue_ahead)
    if isinstance(provider, ServerPool):
        provider.spread(ahead)
    return running + ahead


def default_queue_ahead(provider: Provider, running: int) -> int:
    """How many jobs to keep waiting in the provider's own queue besides the ``running`` ones: a quarter
    as many (at least one) where overflow waits in a queue, none where it would be refused."""
    return max(1, -(-running // 4)) if provider.queues_overflow else 0


def _fill_plan(summary: GenerationSummary, plan: _Plan, provider: Provider, check: bool = False) -> None:
    """Put the plan's requests and each one's :class:`CostEstimate` in ``summary``. With ``check`` (a dry
    run) each request is validated too, and one the provider would refuse is listed in ``summary.invalid``
    (priced at nothing) instead of raising."""
    summary.planned = plan.new
    summary.resumed = [r for _, r in plan.resumed]
    summary.skipped = plan.skipped
    summary.costs = []
    for request in summary.requests:
        if not check:
            summary.costs.append(provider.cost_estimate(request))
            continue
        try:
            provider.validate(request)
            summary.costs.append(provider.cost_estimate(request))
        except BadRequest as exc:
            summary.invalid.append(TakeOutcome(request.shot_id, request.take_id, "invalid", message=exc.message))
            summary.costs.append(CostEstimate(0.0, f"would be refused: {exc.message}"))
    summary.estimated_cost = sum(c.amount for c in summary.costs)


def _work(ledger: Ledger, root: Path, provider: Provider, plan: _Plan, summary: GenerationSummary,
          recorded: list[JobRecord],
          requests: list[GenerationRequest]) -> list[tuple[JobRecord, GenerationRequest]]:
    """The jobs of this run: the provider's unfinished jobs first (reconciled: from disk first — a take that
    landed with its sidecar is done, whatever the ledger says — then at the provider), then pending ones
    (those resumed from an earlier run, then the ``recorded`` new ones, made from ``requests``)."""
    work: list[tuple[JobRecord, GenerationRequest]] = []
    for record in ledger.jobs(L.UNFINISHED - {L.PENDING}):
        if record.provider != provider.name:
            summary.other_providers[record.provider] = summary.other_providers.get(record.provider, 0) + 1
            continue
        summary.reconciled.append(record.key)
        if record.state in L.AT_PROVIDER and _landed_on_disk(ledger, root, record, summary):
            continue
        if record.state in (L.SUBMITTING, L.UNKNOWN_SUBMIT):
            record = _reconcile_submit(ledger, provider, record, summary)
            if record is None:
                continue
        work.append((record, request_from_summary(record.request)))
    for row, request in plan.resumed:
        record = ledger.get(row.shot, row.take)  # as it is now (its request may have been replaced)
        if record is not None and record.state == L.PENDING:
            work.append((record, request))
    work.extend(zip(recorded, requests, strict=True))
    return work


def _landed_on_disk(ledger: Ledger, root: Path, record: JobRecord, summary: GenerationSummary) -> bool:
    """Mark done a job whose take is on disk with a valid sidecar of the same job (a run killed between
    landing the take and recording it): it is never downloaded again, nor failed when its URL has expired."""
    if _images.lands(record):
        target = _images.landed_job(root, record)
        if target is None:
            return False
        cost = record.cost if record.cost is not None else record.estimated_cost
        record = ledger.transition(record.shot, record.take, L.DONE, "found on disk with its sidecar", cost=cost,
                                   result_path=target.relative_to(root).as_posix())
        summary.done.append(TakeOutcome(record.shot, record.take, record.state, target, "found on disk", cost))
        return True
    folder = root / TAKES_DIR / record.shot
    try:
        sidecar = json.loads((folder / f"{record.take}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(sidecar, dict) or sidecar.get("take") != record.take or sidecar.get("status") != "done":
        return False
    if record.job_id and sidecar.get("job_id") not in (None, record.job_id):
        return False
    clip = folder / str(sidecar.get("file") or "")
    if not sidecar.get("file") or not clip.is_file():
        return False
    cost = sidecar.get("cost")
    cost = float(cost) if isinstance(cost, (int, float)) else (record.cost or record.estimated_cost)
    record = ledger.transition(record.shot, record.take, L.DONE, "found on disk with its sidecar", cost=cost,
                               result_path=clip.relative_to(root).as_posix())
    summary.done.append(TakeOutcome(record.shot, record.take, record.state, clip, "found on disk", cost))
    return True


def _reconcile_submit(ledger: Ledger, provider: Provider, record: JobRecord,
                      summary: GenerationSummary) -> JobRecord | None:
    """A job whose submit may have reached the provider: adopt it by client id, else leave it to the user."""
    handle: JobHandle | None = None
    with contextlib.suppress(GenerationError):
        handle = provider.find_by_client_id(record.client_id)
    if handle is not None:
        return ledger.transition(record.shot, record.take, L.SUBMITTED, "found by client id", job_id=handle.job_id,
                                 handle_data=provider.mask(handle.data), submitted=record.submitted or time.time())
    handle = _find_recent(ledger, provider, record, request_from_summary(record.request))
    if handle is not None:
        return ledger.transition(record.shot, record.take, L.SUBMITTED, "found among the provider's recent jobs",
                                 job_id=handle.job_id, handle_data=provider.mask(handle.data),
                                 submitted=record.submitted or time.time())
    sent_at = submitted_at(ledger, record)
    if record.state == L.SUBMITTING:
        message = "the run stopped while submitting; the provider may have the job"
        record = ledger.transition(record.shot, record.take, L.UNKNOWN_SUBMIT, message,
                                   failure_kind="ambiguous_submit", failure_message=message)
    summary.unknown.append(TakeOutcome(record.shot, record.take, record.state, None,
                                       f"{record.failure_message or 'the submit may have reached the provider'}; "
                                       f"{dashboard_hint(record, sent_at)}"))
    return None


RECENT_WINDOW = 120.0  # seconds either side of a submit in which the job it may have made is looked for


def _find_recent(ledger: Ledger, provider: Provider, record: JobRecord,
                 request: GenerationRequest) -> JobHandle | None:
    """The job an ambiguous submit made, found among the provider's recent jobs (where it lists them)."""
    if not provider.lists_recent:
        return None
    sent = submitted_at(ledger, record)
    known = {r.job_id for r in ledger.jobs() if r.job_id}
    try:
        return provider.find_recent(request, sent - RECENT_WINDOW, sent + RECENT_WINDOW, known)
    except GenerationError:
        return None


def submitted_at(ledger: Ledger, record: JobRecord) -> float:
    """When the job's (last) submit was sent: its last ``submitting`` event, else its last change."""
    times = [t for t, state, _ in ledger.events(record.shot, record.take) if state == L.SUBMITTING]
    return times[-1] if times else record.updated


def dashboard_hint(record: JobRecord, sent: float) -> str:
    """What to look for on the provider's dashboard to tell whether an ``unknown_submit`` job exists: the
    time window of its submit, the start of its prompt, its seed; and the commands for either answer."""
    def clock(t: float) -> str:
        return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(t))

    prompt = " ".join(str(record.request.get("prompt") or "").split())
    start = prompt[:60] + ("…" if len(prompt) > 60 else "")
    seed = record.request.get("seed")
    return (f"look on {record.provider}'s dashboard for a {record.model} job made between {clock(sent - 60)} and "
            f"{clock(sent + RECENT_WINDOW)} (local time) with the prompt starting “{start}”"
            f"{f', seed {seed}' if seed is not None else ''}: if it is there, `shotreel jobs DIR --attach "
            f"{record.key} JOB_ID` fetches it; if not, `shotreel jobs DIR --forget {record.key}`")


def _execute(run: _Run, work: list[tuple[JobRecord, GenerationRequest]], limit: int,
             more: Callable[[], list[tuple[JobRecord, GenerationRequest]]] | None = None) -> None:
    """Run ``work`` with ``limit`` jobs at the provider at once, in order; ``more`` (called here once the
    jobs run) gives the jobs that come after.

    Every job is served by one :class:`_Driver`: a few threads take whichever job's next step (submit,
    poll) is due, so nothing sleeps per job and a busy machine wakes a few threads, not one per job.
    Succeeded jobs are downloaded by a pool of up to ``DOWNLOAD_THREADS`` more threads, so a download
    never holds a provider slot; a finished job is handed over once the job that takes its slot has been
    sent, so the download does not compete with that submit (a few milliseconds later, it starts at once).
    Ctrl-C (KeyboardInterrupt in the calling thread) stops the run like ``stop``: each job finishes its
    current step and every job stays in the ledger for the next run.
    """
    if not work and more is None:
        return
    downloads = ThreadPoolExecutor(max_workers=max(1, min(limit, DOWNLOAD_THREADS)),
                                   thread_name_prefix="shotreel-download")
    errors: list[BaseException] = []

    def guarded(function: Callable[..., object], *args: object) -> None:
        try:
            function(*args)
        except BaseException as exc:  # noqa: BLE001 - a bug: stop the run; the ledger keeps every job
            errors.append(exc)
            run.stop.set()

    for record, _ in work:
        if record.state == L.DOWNLOADING:
            downloads.submit(guarded, run.download_job, record, None)
    driver = _Driver(run, limit, lambda *finished: downloads.submit(guarded, run.download_job, *finished), errors)
    driver.add([(record, request) for record, request in work if record.state != L.DOWNLOADING],
               more_coming=more is not None)
    driver.start()
    try:
        if more is not None:
            added: list[tuple[JobRecord, GenerationRequest]] = []
            try:
                if not run.stop.is_set():
                    added = more()
                    run.add(added)
            except Exception as exc:  # noqa: BLE001 - not recorded, so not sent: stop the run and report it
                errors.append(exc)
                run.stop.set()
            finally:
                driver.add(added, more_coming=False)
        while not driver.finished.wait(0.2):
            pass
    except KeyboardInterrupt:
        run.stop.set()
        with run.lock:
            run.summary.stopped = run.summary.stopped or "interrupted"
        driver.wake()
        driver.finished.wait()
    finally:
        driver.join()
        downloads.shutdown(wait=True)
    if run.stop.is_set() and not run.summary.stopped:
        run.summary.stopped = "stopped"
    if errors:
        raise errors[0]


STEPPERS = 16  # threads that run the jobs' steps (submits, polls), whatever the number of jobs: each blocks only
# for one HTTP call or the fsync of the record made before a submit (several at once share one fsync)
STOP_CHECK = 0.2  # seconds: how often a waiting driver looks at a ``stop`` set from outside


class _Task:
    """One job in the driver: its steps, the value to send them next, and a finished job's download that
    waits for this job's submit (``hand_over``)."""

    __slots__ = ("hand_over", "key", "send", "steps")

    def __init__(self, steps: JobSteps, key: str):
        self.steps, self.key = steps, key
        self.send: bool | None = None
        self.hand_over: list[tuple[JobRecord, JobStatus]] = []


class _Driver:
    """Serves every job of a run from ``STEPPERS`` threads: a job's next step waits in a heap (by when it
    is due) instead of in a sleeping thread. At most ``limit`` jobs are started (at the provider) at once,
    in order; when one ends the next starts, and the ended job's download (``download(record, status)``)
    is handed over once the next job's submit is done."""

    def __init__(self, run: _Run, limit: int, download: Callable[..., object], errors: list[BaseException]):
        self.run, self.limit, self.download, self.errors = run, limit, download, errors
        self.queue: deque[tuple[JobRecord, GenerationRequest]] = deque()
        self.coming = False
        self.active = 0  # jobs started and not yet ended
        self.due: list[tuple[float, int, _Task]] = []  # (when, order, task): a heap
        self.order = 0
        self.waiting_hand_over: list[tuple[JobRecord, JobStatus]] = []  # ended with no next job to wait for
        self.cond = threading.Condition()
        self.finished = threading.Event()
        self.threads = [threading.Thread(target=self._serve, name=f"shotreel-jobs-{n}", daemon=True)
                        for n in range(max(1, min(STEPPERS, limit)))]

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def join(self) -> None:
        self.wake()
        for thread in self.threads:
            thread.join()

    def wake(self) -> None:
        with self.cond:
            self.cond.notify_all()

    def add(self, jobs: list[tuple[JobRecord, GenerationRequest]], more_coming: bool) -> None:
        """Queue ``jobs`` (started in order as slots come free); ``more_coming``: more will be added."""
        with self.cond:
            self.queue.extend(jobs)
            self.coming = more_coming
            self._fill()
            self._check_done()
            self.cond.notify_all()

    # -- under self.cond ------------------------------------------------------------------
    def _fill(self, previous: list[tuple[JobRecord, JobStatus]] | None = None) -> None:
        """Start queued jobs while there are free slots; ``previous``: a download to hand over after the
        first started job's submit (at once if none starts)."""
        while self.active < self.limit and self.queue:
            record, request = self.queue.popleft()
            task = _Task(iter(()), record.key)  # type: ignore[arg-type]
            hand = list(previous or ()) + self.waiting_hand_over
            previous, self.waiting_hand_over = None, []
            task.hand_over = hand
            task.steps = self.run.run_job(record, request, lambda t=task: self._handed(t))
            self.active += 1
            self._schedule(task, 0.0)
        if previous:
            if self.queue or self.coming:
                self.waiting_hand_over.extend(previous)  # the next job to start sends it on
            else:
                for finished in previous:
                    self.download(*finished)
        if not self.queue and not self.coming and self.waiting_hand_over:
            for finished in self.waiting_hand_over:
                self.download(*finished)
            self.waiting_hand_over = []

    def _schedule(self, task: _Task, delay: float) -> None:
        self.order += 1
        heapq.heappush(self.due, (time.monotonic() + max(0.0, delay), self.order, task))

    def _check_done(self) -> None:
        if not self.active and not self.queue and not self.coming:
            self.finished.set()
            self.cond.notify_all()

    # -- the threads ----------------------------------------------------------------------
    def _handed(self, task: _Task) -> None:
        """The job's submit is done (or was not needed): send on the download handed to it."""
        hand, task.hand_over = task.hand_over, []
        for finished in hand:
            self.download(*finished)

    def _next(self) -> _Task | None:
        """The next task whose step is due (waiting for it), or None when the run is over."""
        with self.cond:
            while True:
                if self.finished.is_set():
                    return None
                now = time.monotonic()
                stopped = self.run.stop.is_set()
                if self.due and (stopped or self.due[0][0] <= now):
                    task = heapq.heappop(self.due)[2]
                    if task.send is not None:
                        task.send = task.send and not stopped
                    return task
                wait = STOP_CHECK if not self.due else min(STOP_CHECK, self.due[0][0] - now)
                self.cond.wait(wait)

    def _serve(self) -> None:
        while True:
            task = self._next()
            if task is None:
                return
            try:
                delay = task.steps.send(task.send) if task.send is not None else next(task.steps)
            except StopIteration as end:
                self._ended(task, end.value)
                continue
            except BaseException as exc:  # noqa: BLE001 - a bug: stop the run; the ledger keeps every job
                self.errors.append(exc)
                self.run.stop.set()
                self._ended(task, None)
                continue
            with self.cond:
                task.send = True
                self._schedule(task, delay)
                if self.due[0][2] is task:
                    self.cond.notify()

    def _ended(self, task: _Task, result: tuple[JobRecord, JobStatus] | None) -> None:
        with self.cond:
            self.active -= 1
            leftover, task.hand_over = task.hand_over, []
            previous = leftover + ([result] if result is not None else [])
            self._fill(previous)
            self._check_done()
            self.cond.notify_all()
