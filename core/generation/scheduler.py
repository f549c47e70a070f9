"""The scheduler: plan takes, record them in the ledger, run them concurrently, land them on disk.

:func:`generate` is a plain function a host can call from a worker thread. One run:

1. reconciles the ledger: jobs an earlier run left at the provider are polled and downloaded; a
   job whose submit may have reached the provider is looked up by client id, else left
   ``unknown_submit`` for the user (never resubmitted automatically);
2. plans takes so each chosen shot has ``takes_per_shot`` takes (done on disk or unfinished in the
   ledger), or that many new ones with ``new_takes``; take ids continue after every id already used
   (``t001``, ``t002`` …); a request whose content was refused (moderation, bad request) is not sent
   again unchanged;
3. validates every request, records them all as ``pending``, then runs them: at most ``concurrency``
   jobs at the provider at once, polls with backoff and jitter (soon after the expected completion),
   honours Retry-After, downloads each result at once, probes it, and moves the take and its sidecar
   into ``takes/<shot>/`` atomically.

A ``stop`` event ends a run cleanly: nothing new is submitted, jobs at the provider stay in the ledger
for the next run. Progress is reported through ``progress(done, total, message)`` from worker threads.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import random
import re
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ShotreelError
from ..fsutil import atomic_write_text
from ..model import Film, Shot
from ..progress import ProgressCallback
from ..takes import TAKES_DIR, VIDEO_SUFFIXES, find_takes
from . import ledger as L
from .base import (
    AmbiguousSubmit,
    AuthFailed,
    BadRequest,
    GenerationError,
    GenerationRequest,
    JobHandle,
    JobState,
    JobStatus,
    ModerationBlocked,
    OutOfCredit,
    Provider,
    ResultExpired,
    RetryLater,
    file_sha256,
)
from .ledger import JobRecord, Ledger, project_lock, request_from_summary
from .registry import DEFAULT_PROVIDER, get_provider

STAGING_DIR = "staging"
MAX_SUBMIT_ATTEMPTS = 8
MAX_RETRY_AFTER = 600.0
MAX_POLL_ERRORS = 30
MAX_FETCH_ATTEMPTS = 5
DOWNLOAD_THREADS = 8  # at most this many downloads at once (results are small next to a job's latency)
DEFAULT_POLL_INTERVAL = 2.0  # seconds, for a provider that does not advise one (``provider.poll_interval``)
LOCAL_POLL_INTERVAL = 0.1  # seconds, the same for a provider without network (renders on this machine)
_TAKE_ID = re.compile(r"^t(\d+)$")


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
    """What a run planned, did and left; ``ok`` when every job it handled is done."""

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
    estimated_cost: float = 0.0
    spent: float = 0.0
    stopped: str = ""
    error: GenerationError | None = None
    elapsed: float = 0.0

    @property
    def requests(self) -> list[GenerationRequest]:
        """Every request this run sends (or would send): resumed pending jobs, then new ones."""
        return self.resumed + self.planned

    @property
    def ok(self) -> bool:
        return not (self.failed or self.unknown or self.waiting or self.error or self.stopped)


def failure_kind(error: BaseException) -> str:
    """The ledger's name for a failure (reference §5): ``moderation_input``, ``invalid_input`` …"""
    if isinstance(error, ModerationBlocked):
        return f"moderation_{error.stage}"
    return {BadRequest: "invalid_input", OutOfCredit: "quota_exhausted", AuthFailed: "auth",
            ResultExpired: "expired", RetryLater: "transient", AmbiguousSubmit: "ambiguous_submit"
            }.get(type(error), "unknown")


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
            "prompt or board (or --seed for an output block) before asking again")


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
    on_disk = find_takes(film)
    for shot in chosen:
        rows = ledger.jobs(shot=shot.id) if ledger is not None else []
        unfinished = [r for r in rows if r.state in L.UNFINISHED]
        for row in unfinished:
            if row.state == L.PENDING and row.provider == provider.name:
                request = build_request(film, shot, provider, row.model, row.take, row.request.get("seed"),
                                        row.request.get("negative_prompt", ""), row.request.get("extra"))
                refused = _blocked([r for r in rows if r is not row], request, False)
                if refused is not None:
                    plan.refused.append(row)
                    plan.skipped.append((shot.id, _refusal(refused)))
                else:
                    plan.resumed.append((row, request))
        have = {t.id for t in on_disk.get(shot.id, [])} | {r.take for r in unfinished}
        count = takes_per_shot if new_takes else max(0, takes_per_shot - len(have))
        if count <= 0:
            continue
        used = {t.id for t in on_disk.get(shot.id, [])} | {r.take for r in rows}
        number = max((_take_number(t) for t in used), default=0)
        requests = []
        for k in range(count):
            number += 1
            requests.append(build_request(film, shot, provider, model, f"t{number:03d}",
                                          None if seed is None else seed + k, "",
                                          {**extra, L.CLIENT_ID: str(uuid.uuid4())}))
        refused = _blocked(rows, requests[0], seed is not None)
        if refused is not None:
            if not any(shot_id == shot.id for shot_id, _ in plan.skipped):
                plan.skipped.append((shot.id, _refusal(refused)))
            continue
        plan.new.extend(requests)
    return plan


# -- polling ------------------------------------------------------------------------------------


class PollSchedule:
    """When to poll next: soon after a job's expected completion, else an exponential backoff.

    ``interval`` is the provider's poll interval (the first delay and the step near completion);
    delays grow by ×1.5 up to ``max_interval`` (5 × ``interval`` unless given), each with ±10 % jitter. The expected duration is
    learnt from the jobs of this run (a moving average of submit-to-done times).
    """

    def __init__(self, interval: float, max_interval: float | None = None):
        self.interval = max(0.001, interval)
        self.max_interval = max_interval or self.interval * 5
        self._expected: float | None = None
        self._lock = threading.Lock()

    @property
    def expected(self) -> float | None:
        """The expected submit-to-done time learnt so far (seconds), else ``None``."""
        return self._expected

    def observe(self, duration: float) -> None:
        """Learn from a job that took ``duration`` seconds from submit to done."""
        with self._lock:
            self._expected = duration if self._expected is None else 0.8 * self._expected + 0.2 * duration

    def delay(self, elapsed: float, polls_after: int) -> float:
        """Seconds to wait before the next poll of a job ``elapsed`` s after submit, polled
        ``polls_after`` times since its expected completion (or since submit, with no estimate)."""
        expected = self._expected
        if expected is not None and elapsed < 0.9 * expected:
            base = min(0.9 * expected - elapsed, self.max_interval)
        else:
            base = min(self.interval * 1.5 ** polls_after, self.max_interval)
        return max(0.0005, base * random.uniform(0.9, 1.1))


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
        self.schedule = PollSchedule(interval, getattr(provider, "max_poll_interval", None))
        self.no_submit = ""  # set when the provider must not get new jobs (out of credit, bad key)
        self.lock = threading.Lock()
        self.total = 0
        self.states: dict[str, str] = {}
        self.counts = {"queued": 0, "running": 0, "done": 0, "failed": 0}
        self.refused: set[str] = set()  # content hashes refused in this run (input moderation, bad request)
        self.folders: set[Path] = set()

    # -- bookkeeping ----------------------------------------------------------------------

    def start(self, work: list[tuple[JobRecord, GenerationRequest]]) -> None:
        """Count the jobs of this run and report the starting position."""
        self.total = len(work)
        for record, _ in work:
            self.states[record.key] = record.state
            self.counts[_bucket(record.state)] += 1
        self._report()

    def _set(self, record: JobRecord, state: str, detail: str | None = None, **fields: object) -> JobRecord:
        record = self.ledger.advance(record, state, detail, **fields)
        with self.lock:
            old = self.states.get(record.key)
            if old is not None:
                self.counts[_bucket(old)] -= 1
            self.states[record.key] = state
            self.counts[_bucket(state)] += 1
        self._report()
        return record

    def _report(self) -> None:
        if self.progress is None:
            return
        with self.lock:
            counts, spent = dict(self.counts), self.summary.spent
        self.progress(counts["done"] + counts["failed"], self.total,
                      f"queued {counts['queued']} · running {counts['running']} · done {counts['done']} · "
                      f"failed {counts['failed']} · ${spent:.2f} spent")

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
        full = type(error).__name__ == "DiskFull" or getattr(error, "errno", None) in (errno.ENOSPC, errno.EDQUOT)
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

    def run_job(self, record: JobRecord, request: GenerationRequest) -> tuple[JobRecord, JobStatus] | None:
        """Submit (if pending) and follow one job until the provider finishes it; every step is in the
        ledger first. Returns a succeeded job and its status, to be downloaded (:meth:`download_job`)."""
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
                submitted = self._submit(record, request)
                if submitted is None or submitted.state not in L.AT_PROVIDER:
                    return None
                record = submitted
            return self._follow(record)
        except ShotreelError as exc:
            self._unexpected(record, exc)
            return None

    def download_job(self, record: JobRecord, status: JobStatus | None) -> None:
        """Download, probe and land a succeeded job (``status`` None: one an earlier run left downloading)."""
        try:
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

    def _submit(self, record: JobRecord, request: GenerationRequest) -> JobRecord | None:
        for attempt in range(MAX_SUBMIT_ATTEMPTS):
            if self.stop.is_set() or self.no_submit:
                self._outcome(record, "waiting", self.no_submit or "stopped before it was submitted")
                return None
            record = self._set(record, L.SUBMITTING, durable=True, attempts_add=1)
            try:
                handle = self.provider.submit(request)
            except RetryLater as exc:  # definitely not taken: sending again is not a second job
                record = self._set(record, L.PENDING, f"retry later: {exc.message}")
                delay = exc.retry_after if exc.retry_after is not None else _backoff(attempt)
                if delay > MAX_RETRY_AFTER:
                    self._outcome(record, "waiting", f"the provider asks to wait {delay:.0f} s; run again later")
                    return None
                if not self._wait(delay):
                    self._outcome(record, "waiting", "stopped before it was submitted")
                    return None
                continue
            except AmbiguousSubmit as exc:
                return self._ambiguous(record, str(exc.message))
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
                return self._ambiguous(record, f"submit failed unexpectedly: {exc}")
            return self._set(record, L.SUBMITTED, job_id=handle.job_id, handle_data=handle.data,
                             submitted=time.time())
        self._outcome(record, "waiting", f"still refused after {MAX_SUBMIT_ATTEMPTS} attempts; run again later")
        return None

    def _ambiguous(self, record: JobRecord, message: str) -> JobRecord | None:
        """A submit that may have reached the provider: find it by client id, else ask the user."""
        handle = None
        with contextlib.suppress(GenerationError):
            handle = self.provider.find_by_client_id(record.client_id)
        if handle is not None:
            return self._set(record, L.SUBMITTED, f"found by client id after: {message}", job_id=handle.job_id,
                             handle_data=handle.data, submitted=record.submitted or time.time())
        record = self._set(record, L.UNKNOWN_SUBMIT, message, failure_kind="ambiguous_submit",
                           failure_message=message)
        self._outcome(record, "unknown", message)
        return None

    def _follow(self, record: JobRecord) -> tuple[JobRecord, JobStatus] | None:
        """Poll until the job finishes; the job (now ``downloading``) and its status when it succeeded."""
        handle = record.handle
        assert handle is not None
        started = record.submitted or time.time()
        polls_after = errors = 0
        while True:
            elapsed = time.time() - started
            if not self._wait(self.schedule.delay(elapsed, polls_after)):
                self._outcome(record, "waiting", "stopped while at the provider; run again to finish")
                return None
            try:
                status = self.provider.poll(handle)
            except RetryLater as exc:
                errors += 1
                if errors > MAX_POLL_ERRORS:
                    self._outcome(record, "waiting", f"the provider keeps failing ({exc}); run again to finish")
                    return None
                if not self._wait(exc.retry_after if exc.retry_after is not None else _backoff(errors, 0.5)):
                    self._outcome(record, "waiting", "stopped while at the provider; run again to finish")
                    return None
                continue
            except (ModerationBlocked, BadRequest, ResultExpired) as exc:
                self._fail(record, exc)
                return None
            errors = 0
            expected = self.schedule.expected
            if expected is None or time.time() - started >= 0.9 * expected:
                polls_after += 1
            if status.state == JobState.SUCCEEDED:
                self.schedule.observe(time.time() - started)
                record = self._set(record, L.DOWNLOADING, raw_status=status.raw_status, progress=1.0, raw=status.raw,
                                   **({"cost": status.cost} if status.cost is not None else {}))
                return record, status
            if status.state == JobState.FAILED:
                error = status.failure or GenerationError(f"the provider reports {status.raw_status or 'failed'}")
                self._fail(record, error, L.MODERATED if isinstance(error, ModerationBlocked) else L.FAILED,
                           raw=status.raw, raw_status=status.raw_status)
                return None
            if status.state == JobState.CANCELED:
                self._fail(record, GenerationError(f"canceled at the provider ({status.raw_status})"), L.CANCELED,
                           kind="canceled", raw=status.raw, raw_status=status.raw_status)
                return None
            state = L.RUNNING if status.state == JobState.RUNNING else L.QUEUED
            if state != record.state:
                record = self._set(record, state, raw_status=status.raw_status, progress=status.progress)

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
        return self.root / L.STATE_DIR / STAGING_DIR / record.shot, self.root / TAKES_DIR / record.shot

    def _folder(self, path: Path) -> None:
        """Make ``path`` once per run (a failing mkdir of an existing folder is not free on every disk)."""
        if path not in self.folders:
            path.mkdir(parents=True, exist_ok=True)
            self.folders.add(path)

    def _landed(self, record: JobRecord) -> bool:
        """Finish a take an earlier run downloaded (never downloading it twice); True when done."""
        staging, final = self._paths(record)
        clip = _clip(final, record.take) or _clip(staging, record.take)
        if clip is None:
            return False
        self._land(record, clip, None)
        return True

    def _download(self, record: JobRecord, status: JobStatus) -> None:
        staging, _ = self._paths(record)
        self._folder(staging)
        handle = record.handle
        assert handle is not None
        for attempt in range(MAX_FETCH_ATTEMPTS):
            try:
                clip = self.provider.fetch(handle, status, staging / f"{record.take}.mp4")
                break
            except RetryLater as exc:
                if not self._wait(exc.retry_after if exc.retry_after is not None else _backoff(attempt, 0.5)):
                    self._outcome(record, "waiting", "stopped before the download finished; run again")
                    return
            except ResultExpired as exc:
                if attempt > 0:
                    self._fail(record, exc)
                    return
                fresh = self._poll_once(record)  # fresh URLs, where the provider hands them out again
                if fresh is None:
                    return
                status = fresh
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

    def _land(self, record: JobRecord, clip: Path, status: JobStatus | None) -> None:
        """Probe ``clip``, then move it and its sidecar into ``takes/<shot>/``; mark the job done."""
        staging, final = self._paths(record)
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
        try:
            self._folder(final)
            staged_sidecar = staging / f"{record.take}.json"
            atomic_write_text(staged_sidecar, json.dumps(sidecar, indent=2, sort_keys=True) + "\n")
            if clip != target:
                os.replace(clip, target)
            os.replace(staged_sidecar, final / f"{record.take}.json")
        except OSError as exc:
            self._keep(record, exc)
            return
        with self.lock:
            self.summary.spent += cost or 0.0
        record = self._set(record, L.DONE, cost=cost, result_path=target.relative_to(self.root).as_posix())
        self._outcome(record, "done", path=target)


def _clip(folder: Path, take: str) -> Path | None:
    for suffix in VIDEO_SUFFIXES:
        path = folder / f"{take}{suffix}"
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

    def image(entry: dict | None) -> dict | None:
        return {"path": _relative(root, entry["path"]), "sha256": entry.get("sha256")} if entry else None

    now = time.time()
    data = {
        "shot": record.shot, "take": record.take, "status": "done", "created": now,
        "provider": record.provider, "model": record.model, "prompt": req.get("prompt", ""),
        "negative_prompt": req.get("negative_prompt", ""), "seed": req.get("seed"),
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
    return data


def _clean_staging(root: Path) -> None:
    """Remove temporary files a killed download left in ``.shotreel/staging`` (never a finished file)."""
    staging = root / L.STATE_DIR / STAGING_DIR
    if not staging.is_dir():
        return
    for path in staging.glob("*/.*"):
        with contextlib.suppress(OSError):
            path.unlink()


# -- the entry point ----------------------------------------------------------------------------


def generate(film: Film, shots: Iterable[str] | None = None, provider: str | Provider = DEFAULT_PROVIDER,
             takes_per_shot: int = 1, concurrency: int | None = None, dry_run: bool = False,
             progress: ProgressCallback | None = None, options: dict | None = None, *,
             model: str | None = None, seed: int | None = None, new_takes: bool = False,
             stop: threading.Event | None = None, extra: dict | None = None) -> GenerationSummary:
    """Generate takes for ``shots`` (all when ``None``) of ``film`` with ``provider``; see the module doc.

    ``provider`` is a name (created with ``options``) or a :class:`Provider`. ``takes_per_shot`` is
    how many takes each shot should have (or how many new ones with ``new_takes``). ``concurrency``
    is capped by the provider's ``max_concurrency`` (raise that with the provider option
    ``max_concurrency`` when the account allows more). ``dry_run`` plans and prices the requests without sending
    anything or touching the ledger. ``stop`` ends the run cleanly (jobs stay in the ledger).
    ``progress`` is called from worker threads. Errors in the input (a missing board, an unknown
    shot, a request the provider would refuse) are raised before anything is recorded or sent.
    """
    started = time.monotonic()
    if film.root is None:
        raise ShotreelError("generation needs a project folder (the film was not loaded from one)")
    if takes_per_shot < 1:
        raise ShotreelError(f"--takes must be at least 1, not {takes_per_shot}")
    prov = provider if isinstance(provider, Provider) else get_provider(provider, **(options or {}))
    model = model or prov.default_model()
    chosen = _chosen_shots(film, shots)
    summary = GenerationSummary(provider=prov.name, model=model, dry_run=dry_run)
    root = Path(film.root)
    if dry_run:
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
        _fill_plan(summary, plan, prov)
        summary.elapsed = time.monotonic() - started
        return summary
    stop = stop or threading.Event()
    with project_lock(root), Ledger.open(root) as ledger:
        _clean_staging(root)
        plan = _plan(film, chosen, prov, model, ledger, takes_per_shot, new_takes, seed, extra or {})
        for request in [r for _, r in plan.resumed] + plan.new:
            prov.validate(request)
        _fill_plan(summary, plan, prov)
        for row, request in plan.resumed:
            if request.request_hash() != row.request_hash:
                ledger.replace_request(row.shot, row.take, request)
        for row in plan.refused:
            ledger.transition(row.shot, row.take, L.CANCELED, "not sent: the same request was refused",
                              failure_kind="not_sent", failure_message="the same request was refused")
        ledger.record_planned([(r, prov.estimate_cost(r)) for r in plan.new])
        work = _work(ledger, prov, plan, summary)
        limit = max(1, min(concurrency or prov.max_concurrency, prov.max_concurrency))
        run = _Run(film, prov, ledger, limit, stop, progress, summary)
        run.start(work)
        _execute(run, work, limit)
    summary.elapsed = time.monotonic() - started
    return summary


def _fill_plan(summary: GenerationSummary, plan: _Plan, provider: Provider) -> None:
    summary.planned = plan.new
    summary.resumed = [r for _, r in plan.resumed]
    summary.skipped = plan.skipped
    summary.estimated_cost = sum(provider.estimate_cost(r) for r in summary.requests)


def _work(ledger: Ledger, provider: Provider, plan: _Plan,
          summary: GenerationSummary) -> list[tuple[JobRecord, GenerationRequest]]:
    """The jobs of this run: the provider's unfinished jobs first (reconciled), then pending ones."""
    work: list[tuple[JobRecord, GenerationRequest]] = []
    for record in ledger.jobs(L.UNFINISHED - {L.PENDING}):
        if record.provider != provider.name:
            summary.other_providers[record.provider] = summary.other_providers.get(record.provider, 0) + 1
            continue
        summary.reconciled.append(record.key)
        if record.state in (L.SUBMITTING, L.UNKNOWN_SUBMIT):
            record = _reconcile_submit(ledger, provider, record, summary)
            if record is None:
                continue
        work.append((record, request_from_summary(record.request)))
    requests = {(r.shot_id, r.take_id): r for r in [r for _, r in plan.resumed] + plan.new}
    order = {key: n for n, key in enumerate(requests)}
    pending = [r for r in ledger.jobs({L.PENDING}, provider=provider.name) if (r.shot, r.take) in order]
    for record in sorted(pending, key=lambda r: order[(r.shot, r.take)]):
        work.append((record, requests[(record.shot, record.take)]))
    return work


def _reconcile_submit(ledger: Ledger, provider: Provider, record: JobRecord,
                      summary: GenerationSummary) -> JobRecord | None:
    """A job whose submit may have reached the provider: adopt it by client id, else leave it to the user."""
    handle: JobHandle | None = None
    with contextlib.suppress(GenerationError):
        handle = provider.find_by_client_id(record.client_id)
    if handle is not None:
        return ledger.transition(record.shot, record.take, L.SUBMITTED, "found by client id", job_id=handle.job_id,
                                 handle_data=handle.data, submitted=record.submitted or time.time())
    if record.state == L.SUBMITTING:
        message = "the run stopped while submitting; the provider may have the job"
        record = ledger.transition(record.shot, record.take, L.UNKNOWN_SUBMIT, message,
                                   failure_kind="ambiguous_submit", failure_message=message)
    summary.unknown.append(TakeOutcome(record.shot, record.take, record.state, None,
                                       record.failure_message or "the submit may have reached the provider"))
    return None


def _execute(run: _Run, work: list[tuple[JobRecord, GenerationRequest]], limit: int) -> None:
    """Run ``work`` with ``limit`` workers, each driving one job at the provider at a time, in order.

    Succeeded jobs are downloaded by a pool of up to ``DOWNLOAD_THREADS`` more threads, so a download
    never holds a provider slot. Ctrl-C (KeyboardInterrupt in the calling thread) stops the run like ``stop``: the
    workers finish their current step and every job stays in the ledger for the next run.
    """
    if not work:
        return
    downloads = ThreadPoolExecutor(max_workers=max(2, min(limit, DOWNLOAD_THREADS)),
                                   thread_name_prefix="shotreel-download")
    queue = deque((record, request) for record, request in work if record.state != L.DOWNLOADING)
    taking = threading.Lock()
    errors: list[BaseException] = []

    def guarded(function: Callable[..., object], *args: object) -> None:
        try:
            function(*args)
        except BaseException as exc:  # noqa: BLE001 - a bug: stop the run; the ledger keeps every job
            errors.append(exc)
            run.stop.set()

    def worker() -> None:
        while True:
            with taking:
                if not queue:
                    return
                record, request = queue.popleft()
            succeeded = run.run_job(record, request)
            if succeeded is not None:
                downloads.submit(guarded, run.download_job, *succeeded)

    for record, _ in work:
        if record.state == L.DOWNLOADING:
            downloads.submit(guarded, run.download_job, record, None)
    threads = [threading.Thread(target=guarded, args=(worker,), name=f"shotreel-job-{n}", daemon=True)
               for n in range(min(limit, len(queue)))]
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            while thread.is_alive():
                thread.join(0.2)
    except KeyboardInterrupt:
        run.stop.set()
        with run.lock:
            run.summary.stopped = run.summary.stopped or "interrupted"
        for thread in threads:
            thread.join()
    finally:
        downloads.shutdown(wait=True)
    if run.stop.is_set() and not run.summary.stopped:
        run.summary.stopped = "stopped"
    if errors:
        raise errors[0]
