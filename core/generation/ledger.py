"""The job ledger: every generation job, recorded before it is submitted, in ``.shotreel/ledger.sqlite``.

One row per job (shot, take id) holds the request (its hash and a summary without secrets), the
provider's job id and handle (with the server holding it, where the provider runs on several), the state,
the cost, the times, the attempts and the last raw status. A still (an asset view, a generated board) is a
job like a take, named by its owner and view (``asset:mara``/``front``); its row also says where it lands
(``landing_json``: the destination and the sidecar's provenance), outside the request's hash.
SQLite in WAL mode, every change atomic and flushed to disk when committed (``synchronous=FULL``):
the record made before a submit is on disk before the request leaves, so neither a SIGKILL nor a power
cut can make shotreel forget a job it may have paid for. Those records, made by many threads at once, share
commits (group commit: one fsync for all the records waiting while the previous one was flushed), and each
thread goes on only once its own record is on disk. Changes
nothing waits on (a job seen running, a take landed) are queued for a writer thread that applies them in
order, many per transaction, so the threads following jobs do not queue for the database. The
states::

    pending -> submitting -> submitted -> queued / running -> downloading -> done
                   |                                  \\-> failed | moderated | canceled
                   \\-> unknown_submit (the submit may have reached the provider)
                   \\-> pending (the provider said for certain it did not take it: retry)

Invariants: a job whose submit may have reached the provider (``submitting`` at a crash, or an
ambiguous submit) is never resubmitted automatically; it is reconciled by client id where the
provider allows, else left ``unknown_submit`` until the user releases it (:func:`Ledger.forget`,
:func:`Ledger.resubmit`). Finished rows (done, failed, moderated, canceled) are never deleted or
changed, and take ids are never reused.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import Any, Self

from ..errors import ShotreelError
from .base import GenerationRequest, JobHandle, file_sha256

STATE_DIR = ".shotreel"
LEDGER_FILE = "ledger.sqlite"
LOCK_FILE = "generate.lock"
SCHEMA_VERSION = 1

PENDING = "pending"
SUBMITTING = "submitting"
SUBMITTED = "submitted"
QUEUED = "queued"
RUNNING = "running"
DOWNLOADING = "downloading"
DONE = "done"
FAILED = "failed"
MODERATED = "moderated"
UNKNOWN_SUBMIT = "unknown_submit"
CANCELED = "canceled"

CLIENT_ID = "client_id"
"""Key of the recorded request holding the job's client id (:attr:`GenerationRequest.client_id`, a UUID
recorded before the submit), which providers that allow it send as their client job id (Kling
``external_task_id``, ComfyUI ``prompt_id``) and :meth:`Provider.find_by_client_id` looks up. Ledgers
written before it was a field kept it under the same key in ``extra``; both are read."""

SERVER = "server"
"""Key of a job's handle data naming the server that holds it, where a provider runs on several servers
(ComfyUI ``--comfyui URL,URL``): a later run polls that server, whatever list it was given."""

BATCH_SECONDS = 0.02  # how long the writer thread lets queued changes gather into one transaction
BATCH_MAX = 256

STATES = (PENDING, SUBMITTING, SUBMITTED, QUEUED, RUNNING, DOWNLOADING, DONE, FAILED, MODERATED,
          UNKNOWN_SUBMIT, CANCELED)
FINISHED = frozenset({DONE, FAILED, MODERATED, CANCELED})
"""States a job never leaves."""
AT_PROVIDER = frozenset({SUBMITTED, QUEUED, RUNNING, DOWNLOADING})
"""States of a job the provider has accepted and shotreel is still following."""
UNFINISHED = frozenset(STATES) - FINISHED
REFUSALS = frozenset({"moderation_input", "moderation_output", "invalid_input"})
"""Failure kinds of a request that is not sent again unchanged (until released)."""

_TRANSITIONS: dict[str, frozenset[str]] = {
    PENDING: frozenset({SUBMITTING, CANCELED}),
    SUBMITTING: frozenset({SUBMITTED, PENDING, UNKNOWN_SUBMIT, FAILED, MODERATED}),
    # DONE straight from the provider's states: the take found on disk with its sidecar (a run killed
    # between landing it and recording that) is done
    SUBMITTED: frozenset({SUBMITTED, QUEUED, RUNNING, DOWNLOADING, DONE, FAILED, MODERATED, CANCELED}),
    QUEUED: frozenset({QUEUED, RUNNING, DOWNLOADING, DONE, FAILED, MODERATED, CANCELED}),
    RUNNING: frozenset({QUEUED, RUNNING, DOWNLOADING, DONE, FAILED, MODERATED, CANCELED}),
    DOWNLOADING: frozenset({DOWNLOADING, DONE, FAILED}),
    UNKNOWN_SUBMIT: frozenset({SUBMITTED, PENDING, CANCELED}),
}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS jobs (
    shot TEXT NOT NULL,
    take TEXT NOT NULL,
    provider TEXT NOT NULL,
    model TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    request_json TEXT NOT NULL,
    state TEXT NOT NULL,
    job_id TEXT,
    handle_json TEXT,
    failure_kind TEXT,
    failure_message TEXT,
    estimated_cost REAL,
    cost REAL,
    created REAL NOT NULL,
    submitted REAL,
    finished REAL,
    updated REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    raw_status TEXT,
    progress REAL,
    result_path TEXT,
    raw_json TEXT,
    detail TEXT,
    landing_json TEXT,
    PRIMARY KEY (shot, take)
);
CREATE TABLE IF NOT EXISTS released (
    shot TEXT NOT NULL,
    take TEXT NOT NULL,
    time REAL NOT NULL,
    PRIMARY KEY (shot, take)
);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY,
    shot TEXT NOT NULL,
    take TEXT NOT NULL,
    time REAL NOT NULL,
    state TEXT NOT NULL,
    detail TEXT
);
CREATE TRIGGER IF NOT EXISTS jobs_recorded AFTER INSERT ON jobs BEGIN
    INSERT INTO events (shot, take, time, state, detail) VALUES (NEW.shot, NEW.take, NEW.updated, NEW.state,
                                                                 NEW.detail);
END;
CREATE TRIGGER IF NOT EXISTS jobs_changed AFTER UPDATE OF state, detail ON jobs
WHEN OLD.state != NEW.state OR NEW.detail IS NOT NULL BEGIN
    INSERT INTO events (shot, take, time, state, detail) VALUES (NEW.shot, NEW.take, NEW.updated, NEW.state,
                                                                 NEW.detail);
END;
"""


class LedgerError(ShotreelError):
    """The ledger cannot be read, or a change to it is not allowed (e.g. forgetting a finished job)."""


class ProjectBusy(ShotreelError):
    """Another ``shotreel generate`` is running on the same project."""


@dataclass
class JobRecord:
    """One row of the ledger: a take's job, as recorded."""

    shot: str
    take: str
    provider: str
    model: str
    request_hash: str
    content_hash: str
    request: dict
    state: str
    job_id: str | None = None
    handle_data: dict | None = None
    failure_kind: str | None = None
    failure_message: str | None = None
    estimated_cost: float | None = None
    cost: float | None = None
    created: float = 0.0
    submitted: float | None = None
    finished: float | None = None
    updated: float = 0.0
    attempts: int = 0
    raw_status: str | None = None
    progress: float | None = None
    result_path: str | None = None
    landing: dict | None = None

    @property
    def kind(self) -> str:
        """What the job makes: ``"video"`` (a take) or ``"image"`` (a still)."""
        return str((self.landing or {}).get("kind") or self.request.get("kind") or "video")

    @property
    def is_image(self) -> bool:
        return self.kind == "image"

    @property
    def destination(self) -> str | None:
        """Where an image job's still lands (project-relative, without suffix); None for a take."""
        return (self.landing or {}).get("destination")

    @property
    def server(self) -> str | None:
        """The server holding the job, where the provider runs on several (``--comfyui URL,URL``)."""
        value = (self.handle_data or {}).get(SERVER)
        return str(value) if value else None

    @property
    def key(self) -> str:
        """``shot/take``, how the user names a job (``shotreel jobs DIR --forget sh010/t001``)."""
        return f"{self.shot}/{self.take}"

    @property
    def client_id(self) -> str:
        """The client id sent with the job (its take id for jobs recorded without one)."""
        return str(self.request.get(CLIENT_ID) or (self.request.get("extra") or {}).get(CLIENT_ID) or self.take)

    @property
    def handle(self) -> JobHandle | None:
        """The provider's handle, rebuilt from what was recorded at submit."""
        return JobHandle(self.job_id, dict(self.handle_data or {})) if self.job_id else None

    @property
    def finished_state(self) -> bool:
        return self.state in FINISHED


def content_hash(request: GenerationRequest, digest: Callable[[Path], str] = file_sha256) -> str:
    """The hash of what the provider judges (prompt, images, model …), ignoring the seed and take id.

    A request with the same content hash as a moderated or refused job is "unchanged".
    """
    return request.request_hash(with_seed=False, without_extra=(CLIENT_ID,), digest=digest)


def request_summary(request: GenerationRequest, digest: Callable[[Path], str] = file_sha256) -> dict:
    """The request as JSON-able data (paths, content hashes of the images); no secrets are in a request."""
    def image(path: Path | None) -> dict | None:
        if path is None:
            return None
        try:
            sha256: str | None = digest(path)
        except OSError:  # missing (or not a file)
            sha256 = None
        return {"path": str(path), "sha256": sha256}

    return {
        "take_id": request.take_id, "shot_id": request.shot_id, "provider": request.provider,
        "model": request.model, "prompt": request.prompt, "negative_prompt": request.negative_prompt,
        "duration_frames": request.duration_frames, "fps": f"{request.fps.numerator}/{request.fps.denominator}",
        "width": request.width, "height": request.height, "seed": request.seed, "movement": request.movement,
        "start_image": image(request.start_image), "end_image": image(request.end_image),
        "reference_images": [image(p) for p in request.reference_images], "extra": request.extra,
        CLIENT_ID: request.client_id, "kind": request.kind,
    }


def request_from_summary(data: dict) -> GenerationRequest:
    """The :class:`GenerationRequest` a :func:`request_summary` was made from."""
    def path(entry: dict | None) -> Path | None:
        return Path(entry["path"]) if entry else None

    return GenerationRequest(
        take_id=data["take_id"], shot_id=data["shot_id"], provider=data["provider"], model=data["model"],
        prompt=data["prompt"], negative_prompt=data.get("negative_prompt", ""),
        duration_frames=int(data["duration_frames"]), fps=Fraction(data["fps"]),
        width=int(data["width"]), height=int(data["height"]), seed=data.get("seed"),
        movement=data.get("movement", ""), start_image=path(data.get("start_image")),
        end_image=path(data.get("end_image")),
        reference_images=tuple(p for p in (path(e) for e in data.get("reference_images", [])) if p),
        extra=dict(data.get("extra") or {}),
        client_id=str(data.get(CLIENT_ID) or (data.get("extra") or {}).get(CLIENT_ID) or ""),
        kind=str(data.get("kind") or "video"))


def ledger_path(root: Path) -> Path:
    """Where a project's ledger lives."""
    return Path(root) / STATE_DIR / LEDGER_FILE


def _row(row: sqlite3.Row) -> JobRecord:
    return JobRecord(
        shot=row["shot"], take=row["take"], provider=row["provider"], model=row["model"],
        request_hash=row["request_hash"], content_hash=row["content_hash"],
        request=json.loads(row["request_json"]), state=row["state"], job_id=row["job_id"],
        handle_data=json.loads(row["handle_json"]) if row["handle_json"] else None,
        failure_kind=row["failure_kind"], failure_message=row["failure_message"],
        estimated_cost=row["estimated_cost"], cost=row["cost"], created=row["created"],
        submitted=row["submitted"], finished=row["finished"], updated=row["updated"],
        attempts=row["attempts"], raw_status=row["raw_status"], progress=row["progress"],
        result_path=row["result_path"],
        landing=_landing(row))


def _landing(row: sqlite3.Row) -> dict | None:
    """Where the job lands (``landing_json``; a read-only ledger made before the column has none)."""
    try:
        text = row["landing_json"]
    except IndexError:
        return None
    return json.loads(text) if text else None


class Ledger:
    """A project's job ledger. Thread-safe: one connection; a change is one transaction, or one of a batch
    the writer thread applies together.

    Open it with :meth:`open` (creates ``.shotreel/ledger.sqlite``) or :meth:`open_readonly`.
    """

    def __init__(self, connection: sqlite3.Connection, path: Path, readonly: bool = False):
        self._db = connection
        self._db.row_factory = sqlite3.Row
        self._lock = threading.RLock()
        self.path = path
        self.readonly = readonly
        # changes queued for the writer thread (``advance(..., wait=False)``), applied in order
        self._queue: deque[_Change] = deque()
        self._queued = threading.Condition(threading.Lock())
        self._applying = 0
        self._waiting: dict[tuple[str, str], int] = {}  # queued changes per job, not yet applied
        self._urgent = 0  # threads waiting to write directly (the writer lets them in between statements)
        self._hurry = 0  # threads waiting for the queue to be written (the writer stops gathering)
        self._writer: threading.Thread | None = None
        self._closing = False
        self._group: list[_Change] = []  # direct writes waiting to share the next commit (group commit)
        self._group_leading = False  # a thread is committing a group now
        self._group_done = threading.Condition(threading.Lock())
        self._failure: BaseException | None = None

    @classmethod
    def open(cls, root: Path) -> Ledger:
        """Open (creating if needed) the ledger of the project at ``root``."""
        path = ledger_path(root)
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            db = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            # every commit is flushed to disk (the WAL fsynced) before it returns: the record made before a
            # submit survives a power cut, and it costs no more than one fsync of our own after each commit
            db.execute("PRAGMA synchronous=FULL")
            db.executescript(_SCHEMA)
            columns = {r[1] for r in db.execute("PRAGMA table_info(jobs)")}
            if "landing_json" not in columns:  # a ledger from before image jobs: where a job lands
                db.execute("ALTER TABLE jobs ADD COLUMN landing_json TEXT")
            db.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
        except sqlite3.Error as exc:
            raise LedgerError(f"the job ledger cannot be opened: {exc}", file=str(path)) from None
        ledger = cls(db, path)
        ledger.sync()
        _fsync_dir(path.parent)  # the ledger's files themselves are durable from the start
        return ledger

    @classmethod
    def open_readonly(cls, root: Path) -> Ledger | None:
        """The ledger for reading only, or ``None`` when the project has none yet (nothing is created)."""
        path = ledger_path(root)
        if not path.is_file():
            return None
        try:
            db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30,
                                 isolation_level=None, check_same_thread=False)
            if db.execute("SELECT name FROM sqlite_master WHERE name = 'jobs'").fetchone() is None:
                db.close()  # being created by a run that has just started: nothing in it yet
                return None
        except sqlite3.Error as exc:
            raise LedgerError(f"the job ledger cannot be read: {exc}", file=str(path)) from None
        return cls(db, path, readonly=True)

    def close(self) -> None:
        """Apply the queued changes, stop the writer thread and close the database."""
        self._drain()
        if self._writer is not None:
            with self._queued:
                self._closing = True
                self._queued.notify_all()
            self._writer.join()
            self._writer = None  # later writes go to the (closed) database, which refuses them
        with self._lock:
            self._db.close()

    def flush(self) -> None:
        """Wait until every queued change is in the ledger; raise the first one that could not be written."""
        self._drain()
        if self._failure is not None:
            raise self._failure

    def _drain(self) -> None:
        if self._writer is None:
            return
        with self._queued:
            self._hurry += 1  # the writer stops letting changes gather
            self._queued.notify_all()
            try:
                while self._queue or self._applying:
                    self._queued.wait()
            finally:
                self._hurry -= 1

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # -- reading -----------------------------------------------------------------------------

    def get(self, shot: str, take: str) -> JobRecord | None:
        """The job of take ``take`` of ``shot``, else ``None``."""
        self._drain()
        with self._lock:
            row = self._db.execute("SELECT * FROM jobs WHERE shot = ? AND take = ?", (shot, take)).fetchone()
        return _row(row) if row else None

    def jobs(self, states: frozenset[str] | set[str] | None = None, provider: str | None = None,
             shot: str | None = None) -> list[JobRecord]:
        """Jobs, oldest first, optionally only those in ``states`` / of ``provider`` / of ``shot``."""
        self._drain()
        sql, args = "SELECT * FROM jobs WHERE 1=1", []
        if states is not None:
            sql += f" AND state IN ({','.join('?' * len(states))})"
            args += sorted(states)
        if provider is not None:
            sql += " AND provider = ?"
            args.append(provider)
        if shot is not None:
            sql += " AND shot = ?"
            args.append(shot)
        with self._lock:
            rows = self._db.execute(sql + " ORDER BY created, shot, take", args).fetchall()
        return [_row(r) for r in rows]

    def events(self, shot: str, take: str) -> list[tuple[float, str, str | None]]:
        """A job's history: (time, state, detail), oldest first."""
        self._drain()
        with self._lock:
            rows = self._db.execute("SELECT time, state, detail FROM events WHERE shot = ? AND take = ? "
                                    "ORDER BY id", (shot, take)).fetchall()
        return [(r["time"], r["state"], r["detail"]) for r in rows]

    def take_ids(self, shot: str) -> list[str]:
        """Every take id the ledger has used for ``shot`` (ids are never reused)."""
        self._drain()
        with self._lock:
            rows = self._db.execute("SELECT take FROM jobs WHERE shot = ?", (shot,)).fetchall()
        return [r["take"] for r in rows]

    def find(self, name: str) -> JobRecord:
        """The job named ``shot/take`` (or a take id that only one shot has); :class:`LedgerError` if none."""
        if "/" in name:
            shot, take = name.split("/", 1)
            record = self.get(shot, take)
            matches = [record] if record else []
        else:
            self._drain()
            with self._lock:
                rows = self._db.execute("SELECT * FROM jobs WHERE take = ?", (name,)).fetchall()
            matches = [_row(r) for r in rows]
        if not matches:
            raise LedgerError(f"no job {name!r} in the ledger (name it as SHOT/TAKE, see `shotreel jobs DIR`)")
        if len(matches) > 1:
            raise LedgerError(f"{name!r} names several jobs ({', '.join(m.key for m in matches)}); "
                              "name it as SHOT/TAKE")
        return matches[0]

    # -- writing -----------------------------------------------------------------------------

    def record_planned(self, planned: list[tuple[GenerationRequest, float]]
                       | list[tuple[GenerationRequest, float, dict | None]]) -> list[JobRecord]:
        """Record new jobs as ``pending`` (before anything is sent), all in one transaction; returns them.

        Each entry is (request, estimated cost) or (request, estimated cost, landing): where the job's result
        lands when it is not a take in ``takes/<shot>/`` — for a still, ``{"kind": "image", "destination":
        "refs/mara/front", "provenance": {…}}``. The landing is kept beside the request, not in its hash, so a
        run after a crash lands the result in the right place."""
        self.flush()
        now = time.time()
        digests: dict[str, str] = {}

        def digest(path: Path) -> str:  # each image hashed (or its stat checked) once for all the jobs
            key = os.fspath(path)
            found = digests.get(key)
            if found is None:
                found = digests[key] = file_sha256(path)
            return found

        records = [JobRecord(shot=r.shot_id, take=r.take_id, provider=r.provider, model=r.model,
                             request_hash=r.request_hash(digest=digest), content_hash=content_hash(r, digest),
                             request=request_summary(r, digest), state=PENDING, estimated_cost=estimate,
                             created=now, updated=now, landing=(rest[0] if rest else None))
                   for r, estimate, *rest in planned]
        with self._transaction() as db:
            for record in records:
                landing = json.dumps(record.landing, sort_keys=True, default=str) if record.landing else None
                try:
                    db.execute("INSERT INTO jobs (shot, take, provider, model, request_hash, content_hash, "
                               "request_json, state, estimated_cost, created, updated, landing_json) "
                               "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                               (record.shot, record.take, record.provider, record.model, record.request_hash,
                                record.content_hash, json.dumps(record.request, sort_keys=True), PENDING,
                                record.estimated_cost, now, now, landing))
                except sqlite3.IntegrityError:
                    raise LedgerError(f"take {record.take} of shot {record.shot} is already in the ledger",
                                      shot=record.shot) from None
        return records

    def replace_request(self, shot: str, take: str, request: GenerationRequest, landing: dict | None = None) -> None:
        """Update a ``pending`` job's request (its board was redrawn before it was ever sent); ``landing``, when
        given, replaces where it lands too (see :meth:`record_planned`)."""
        self.flush()
        with self._transaction() as db:
            row = db.execute("SELECT state FROM jobs WHERE shot = ? AND take = ?", (shot, take)).fetchone()
            if row is None or row["state"] != PENDING:
                raise LedgerError(f"job {shot}/{take} is not pending; its request cannot change", shot=shot)
            db.execute("UPDATE jobs SET request_hash = ?, content_hash = ?, request_json = ?, model = ?, "
                       "updated = ? WHERE shot = ? AND take = ?",
                       (request.request_hash(), content_hash(request),
                        json.dumps(request_summary(request), sort_keys=True), request.model, time.time(),
                        shot, take))
            if landing is not None:
                db.execute("UPDATE jobs SET landing_json = ? WHERE shot = ? AND take = ?",
                           (json.dumps(landing, sort_keys=True, default=str), shot, take))

    def fail_over(self, record: JobRecord, client_id: str, detail: str) -> JobRecord:
        """Move a job whose server went away back to ``pending`` with a new client id, so it is sent to another
        server. Only for a provider that runs on the user's own servers (ComfyUI): a job on a dead server
        was not paid for. The change is on disk before this returns (the next submit sends the new id), and the
        old job id stays in the history. Raises :class:`LedgerError` unless the job is at the provider."""
        self.flush()
        now = time.time()
        request = dict(record.request)
        request[CLIENT_ID] = client_id
        with self._transaction() as db:
            updated = db.execute(
                "UPDATE jobs SET state = ?, detail = ?, request_json = ?, job_id = NULL, handle_json = NULL, "
                "failure_kind = ?, failure_message = ?, updated = ? WHERE shot = ? AND take = ? AND state IN (?,?,?)",
                (PENDING, detail, json.dumps(request, sort_keys=True), "failed_over", detail, now, record.shot,
                 record.take, SUBMITTED, QUEUED, RUNNING)).rowcount
        if updated != 1:
            raise LedgerError(f"job {record.key} is not at the provider; it cannot fail over", shot=record.shot)
        return replace(record, state=PENDING, request=request, job_id=None, handle_data=None,
                       failure_kind="failed_over", failure_message=detail, updated=now)

    def transition(self, shot: str, take: str, state: str, detail: str | None = None, **fields: Any) -> JobRecord:
        """Move a job to ``state`` (checked against the state machine), setting ``fields`` with it.

        ``fields`` are column names (``job_id``, ``handle_data``, ``failure_kind``, ``failure_message``,
        ``cost``, ``submitted``, ``finished``, ``raw_status``, ``progress``, ``result_path``, ``raw``: the
        provider's last payload) and ``attempts_add`` to count an attempt. One atomic statement; the history gets an event.
        Returns the job as it now is (read back).
        """
        self.flush()
        change = self._change(shot, take, state, detail, fields)
        with self._lock:
            error = self._apply(change)
        if error is not None:
            raise error
        record = self.get(shot, take)
        assert record is not None
        return record

    def advance(self, record: JobRecord, state: str, detail: str | None = None, durable: bool = False,
                wait: bool = True, soon: bool = False, **fields: Any) -> JobRecord:
        """:meth:`transition` for a job the caller holds: returns the updated copy without reading it back.

        ``durable``: the change must be on disk when this returns — the record made before a submit
        (every commit is flushed to disk; a durable change is never left queued). ``wait=False``: queue
        the change and return at once, for a change nothing waits on (a job seen running, a result being
        downloaded, a take landed). A writer thread applies queued changes in order, many in one
        transaction, so threads following jobs never queue behind each other for the database; a change
        that cannot be applied makes every later write and :meth:`flush` raise. A change made with
        ``wait=True`` is applied after the job's queued ones (at once, by the calling thread, when it has
        none). ``soon``: a queued change the writer applies without letting others gather first (the job
        id a submit returned: until it is written, a crash would leave the job's submit in doubt).
        """
        change = self._change(record.shot, record.take, state, detail, fields)
        change.soon, change.durable = soon, durable
        attempts = record.attempts + change.attempts
        if wait or durable or self._writer is not None:
            self._submit(change, wait=wait or durable)
        else:
            self._start_writer()
            self._submit(change, wait=False)
        values = change.values
        changes = {k: v for k, v in values.items() if k in _RECORD_FIELDS}
        if "handle_json" in values:
            changes["handle_data"] = json.loads(values["handle_json"]) if values["handle_json"] else None
        return replace(record, state=state, attempts=attempts, **changes)

    def _change(self, shot: str, take: str, state: str, detail: str | None, fields: dict[str, Any]) -> _Change:
        """The UPDATE that moves a job to ``state`` only from a state allowed to go there."""
        now = time.time()
        fields = dict(fields)
        sources = _SOURCES[state]
        values: dict[str, Any] = {"updated": now}
        attempts = int(fields.pop("attempts_add", 0) or 0)
        if "handle_data" in fields:
            fields["handle_json"] = json.dumps(fields.pop("handle_data"), sort_keys=True, default=str)
        if "raw" in fields:
            fields["raw_json"] = json.dumps(fields.pop("raw"), sort_keys=True, default=str)
        if state in FINISHED and "finished" not in fields:
            fields["finished"] = now
        for column, value in fields.items():
            if column not in _COLUMNS:
                raise ValueError(f"not a ledger column: {column}")
            values[column] = value
        sets = ", ".join(f"{c} = ?" for c in values)
        sql = (f"UPDATE jobs SET state = ?, detail = ?, attempts = attempts + ?, {sets} "
               f"WHERE shot = ? AND take = ? AND state IN ({','.join('?' * len(sources))})")
        return _Change(shot, take, state, sql, (state, detail, attempts, *values.values(), shot, take, *sources),
                       values, attempts)

    def _apply(self, change: _Change, db: sqlite3.Connection | None = None) -> LedgerError | None:
        """Run one change on ``db`` (the ledger's connection: hold the lock); the error when the job cannot
        make that move."""
        db = db or self._db
        if db.execute(change.sql, change.args).rowcount == 1:
            return None
        row = db.execute("SELECT state FROM jobs WHERE shot = ? AND take = ?",
                         (change.shot, change.take)).fetchone()
        if row is None:
            return LedgerError(f"no job {change.shot}/{change.take} in the ledger", shot=change.shot)
        return LedgerError(f"job {change.shot}/{change.take} cannot go from {row['state']} to {change.state}",
                           shot=change.shot)

    def _submit(self, change: _Change, wait: bool) -> None:
        """Apply ``change``: directly, or through the writer thread once it runs (keeping the order)."""
        if self._failure is not None:
            raise self._failure
        key = (change.shot, change.take)
        if self._writer is None or (wait and not self._waiting.get(key)):
            # nothing of this job is queued: write it now (one statement, flushed to disk), without a hand-over
            # to the writer, which lets it in between two of its statements (a submit waits for this record)
            with self._queued:
                self._urgent += 1
            try:
                error = self._commit_together(change)
            finally:
                with self._queued:
                    self._urgent -= 1
                    self._queued.notify_all()
            if error is not None:
                raise error
            return
        if wait:
            change.done = threading.Event()
        with self._queued:
            self._queue.append(change)
            self._waiting[key] = self._waiting.get(key, 0) + 1
            self._queued.notify_all()
        if wait:
            assert change.done is not None
            change.done.wait()
            if change.error is not None:
                raise change.error

    def _commit_together(self, change: _Change) -> BaseException | None:
        """Write ``change`` now, flushed to disk, sharing one commit (one fsync) with the direct writes of other
        threads that arrive meanwhile (group commit): the first thread in commits every change waiting then,
        the others wait until their change is on disk. Each caller returns only once its own change is
        committed, so a record made before a submit is on disk before the request leaves, as before."""
        with self._group_done:
            self._group.append(change)
            while not change.applied:
                if not self._group_leading:
                    self._group_leading = True
                    batch, self._group = self._group, []
                    break
                self._group_done.wait()
            else:
                return change.error
        try:
            with self._lock:
                if len(batch) == 1:
                    try:
                        batch[0].error = self._apply(batch[0])  # one statement: its own transaction
                    except sqlite3.Error as exc:
                        batch[0].error = LedgerError(f"the job ledger cannot be written: {exc}", file=str(self.path))
                else:
                    try:
                        self._db.execute("BEGIN IMMEDIATE")
                        for each in batch:
                            each.error = self._apply(each)
                        self._db.execute("COMMIT")  # synchronous=FULL: one fsync for the whole group
                    except sqlite3.Error as exc:
                        with contextlib.suppress(sqlite3.Error):
                            self._db.execute("ROLLBACK")
                        failure = LedgerError(f"the job ledger cannot be written: {exc}", file=str(self.path))
                        for each in batch:
                            each.error = failure
        finally:
            with self._group_done:
                for each in batch:
                    each.applied = True
                self._group_leading = False
                self._group_done.notify_all()
        return change.error

    def _start_writer(self) -> None:
        with self._queued:
            if self._writer is None:
                self._writer = threading.Thread(target=self._write_queued, name="shotreel-ledger", daemon=True)
                self._writer.start()

    def _write_queued(self) -> None:
        """The writer thread: apply queued changes in order, those queued together in one transaction.

        Nothing queued has to be on disk before anything else happens, so these commits are not fsynced
        (``synchronous=NORMAL``; the next durable commit flushes them with its own) — except a batch holding a
        durable change (a record made before a submit, queued behind its job's earlier changes), committed with
        ``synchronous=FULL``. A thread waiting to write directly (the record before a submit) is let in between
        two statements.
        """
        while True:
            with self._queued:
                while not self._queue and not self._closing:
                    self._queued.wait()
                if not self._queue:
                    return
                # let a few more changes come (unless someone waits): fewer, larger transactions
                deadline = time.monotonic() + BATCH_SECONDS
                while (not self._closing and not self._hurry and len(self._queue) < BATCH_MAX
                       and not any(c.done is not None or c.soon for c in self._queue)
                       and (left := deadline - time.monotonic()) > 0):
                    self._queued.wait(left)
                batch = list(self._queue)
                self._queue.clear()
                self._applying = len(batch)
            failure: BaseException | None = None
            durable = any(c.durable for c in batch)  # a record made before a submit, queued behind its job's changes
            with self._lock:
                try:
                    self._db.execute("PRAGMA synchronous=FULL" if durable else "PRAGMA synchronous=NORMAL")
                    self._db.execute("BEGIN IMMEDIATE")
                    for n, change in enumerate(batch):
                        if n and self._urgent:  # a thread waits to write directly: commit, let it in
                            self._db.execute("COMMIT")
                            self._db.execute("PRAGMA synchronous=FULL")  # its write must reach the disk
                            self._lock.release()
                            try:
                                with self._queued:
                                    while self._urgent:
                                        self._queued.wait()
                            finally:
                                self._lock.acquire()
                            self._db.execute("PRAGMA synchronous=FULL" if durable else "PRAGMA synchronous=NORMAL")
                            self._db.execute("BEGIN IMMEDIATE")
                        change.error = self._apply(change)
                    self._db.execute("COMMIT")
                except Exception as exc:  # noqa: BLE001 - e.g. the disk is full: nothing of the batch is written
                    with contextlib.suppress(sqlite3.Error):
                        self._db.execute("ROLLBACK")
                    failure = LedgerError(f"the job ledger cannot be written: {exc}", file=str(self.path))
                finally:
                    with contextlib.suppress(sqlite3.Error):
                        self._db.execute("PRAGMA synchronous=FULL")
            for change in batch:
                change.error = failure or change.error
                if change.error is not None and change.done is None and self._failure is None:
                    self._failure = change.error  # nobody waits for it: every later write reports it
                if change.done is not None:
                    change.done.set()
            with self._queued:
                self._applying = 0
                for change in batch:
                    key = (change.shot, change.take)
                    left = self._waiting[key] - 1
                    if left:
                        self._waiting[key] = left
                    else:
                        del self._waiting[key]
                self._queued.notify_all()

    def sync(self) -> None:
        """Flush the ledger's files to the disk (fsync of its write-ahead log, else the database).

        Every commit is already flushed (``synchronous=FULL``); this is for the files themselves, once
        when the ledger is created.
        """
        for path in (self.path.with_name(self.path.name + "-wal"), self.path):
            try:
                fd = os.open(path, os.O_RDONLY)
            except FileNotFoundError:
                continue
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
            return

    def forget(self, name: str) -> JobRecord:
        """Release an ``unknown_submit`` job: the user checked that the provider never created it.

        The row stays (as ``canceled``, kind ``forgotten``) so its take id is never reused; a later
        ``shotreel generate`` plans a new take in its place.
        """
        record = self._released(name, "forget")
        return self.transition(record.shot, record.take, CANCELED, "forgotten by the user",
                               failure_kind="forgotten", failure_message="released by the user (--forget)")

    def resubmit(self, name: str) -> JobRecord:
        """Allow an ``unknown_submit`` job to be submitted again by the next ``shotreel generate``.

        Only for when the user accepts that the provider may run (and bill) it twice.
        """
        record = self._released(name, "resubmit")
        return self.transition(record.shot, record.take, PENDING, "resubmit allowed by the user")

    def release(self, name: str) -> JobRecord:
        """Let a refused job's request be sent again unchanged (the user fixed what the refusal was about
        outside shotreel, or wants to try anyway). The refused row stays as it is; the release is recorded
        beside it (table ``released``) and in its history."""
        record = self.find(name)
        if record.failure_kind not in REFUSALS:
            raise LedgerError(f"job {record.key} was not refused ({record.state}); only refused jobs can be "
                              "released with --release", shot=record.shot)
        now = time.time()
        with self._transaction() as db:
            db.execute("INSERT OR REPLACE INTO released (shot, take, time) VALUES (?, ?, ?)",
                       (record.shot, record.take, now))
            db.execute("INSERT INTO events (shot, take, time, state, detail) VALUES (?, ?, ?, ?, ?)",
                       (record.shot, record.take, now, record.state, "released by the user (--release)"))
        return record

    def released(self) -> set[str]:
        """``shot/take`` of every refused job the user released (:meth:`release`)."""
        self._drain()
        with self._lock:
            try:
                rows = self._db.execute("SELECT shot, take FROM released").fetchall()
            except sqlite3.OperationalError:  # a read-only ledger made before the table existed
                return set()
        return {f"{r['shot']}/{r['take']}" for r in rows}

    def attach(self, name: str, job_id: str, handle_data: dict) -> JobRecord:
        """Give an ``unknown_submit`` job the id of the job the user found on the provider's dashboard: it is
        ``submitted`` again, and the next run follows and downloads it (nothing is sent)."""
        record = self._released(name, "attach")
        job_id = job_id.strip()
        if not job_id:
            raise LedgerError("give the provider's job id to attach (as shown on its dashboard)", shot=record.shot)
        other = self._db.execute("SELECT shot, take FROM jobs WHERE job_id = ?", (job_id,)).fetchone()
        if other is not None:
            raise LedgerError(f"job {job_id} is already {other['shot']}/{other['take']} in the ledger",
                              shot=record.shot)
        return self.transition(record.shot, record.take, SUBMITTED, "attached by the user (--attach)",
                               job_id=job_id, handle_data=handle_data, submitted=record.updated,
                               failure_kind=None, failure_message=None)

    def _released(self, name: str, verb: str) -> JobRecord:
        record = self.find(name)
        if record.state != UNKNOWN_SUBMIT:
            hint = "; a refused job is released with --release" if record.failure_kind in REFUSALS else ""
            raise LedgerError(f"job {record.key} is {record.state}; only unknown_submit jobs can be released "
                              f"with --{verb}{hint}", shot=record.shot)
        return record


@dataclass
class _Change:
    """One change of a job's row: the statement, and what the caller needs back."""

    shot: str
    take: str
    state: str
    sql: str
    args: tuple
    values: dict[str, Any]
    attempts: int
    soon: bool = False
    durable: bool = False  # must be on disk when the caller goes on (the record made before a submit)
    applied: bool = False  # written (by a group commit, :meth:`Ledger._commit_together`)
    done: threading.Event | None = None
    error: BaseException | None = None


_SOURCES = {state: sorted(s for s, targets in _TRANSITIONS.items() if state in targets) for state in STATES}
_COLUMNS = frozenset({"job_id", "handle_json", "failure_kind", "failure_message", "cost", "submitted", "finished",
                      "raw_status", "progress", "result_path", "raw_json"})
_RECORD_FIELDS = _COLUMNS - {"handle_json", "raw_json"} | {"updated"}


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def project_lock(root: Path) -> Iterator[None]:
    """Hold ``.shotreel/generate.lock`` so two ``generate`` runs never drive the same jobs at once.

    Raises :class:`ProjectBusy` when another process holds it. The operating system releases it
    when the process dies, even by SIGKILL.
    """
    path = Path(root) / STATE_DIR / LOCK_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+b")  # noqa: SIM115 - held open for the whole run, closed in finally
    try:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows
            fcntl = None
        if fcntl is not None:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                raise ProjectBusy("another `shotreel generate` is running on this project; wait for it or "
                                  "stop it (Ctrl-C) first", file=str(path)) from None
        else:  # pragma: no cover - Windows
            import msvcrt
            try:
                msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
            except OSError:
                raise ProjectBusy("another `shotreel generate` is running on this project", file=str(path)) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()).encode())
        handle.flush()
        yield
    finally:
        handle.close()

