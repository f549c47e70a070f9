"""The job ledger: every generation job, recorded before it is submitted, in ``.shotreel/ledger.sqlite``.

One row per take (shot, take id) holds the request (its hash and a summary without secrets), the
provider's job id and handle, the state, the cost, the times, the attempts and the last raw status.
SQLite in WAL mode, one atomic statement per change: what the ledger says survives a crash or a
SIGKILL at once, and the record made before a submit is also flushed to disk (the WAL fsynced) before
the request leaves, so even a power cut cannot make shotreel forget a job it may have paid for. The
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
from collections.abc import Iterator
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
"""Key of ``GenerationRequest.extra`` holding the job's client id (a UUID recorded in the ledger), which
providers that allow it send as their client job id (Kling ``external_task_id``, ComfyUI ``prompt_id``)
and :meth:`Provider.find_by_client_id` looks up."""

STATES = (PENDING, SUBMITTING, SUBMITTED, QUEUED, RUNNING, DOWNLOADING, DONE, FAILED, MODERATED,
          UNKNOWN_SUBMIT, CANCELED)
FINISHED = frozenset({DONE, FAILED, MODERATED, CANCELED})
"""States a job never leaves."""
AT_PROVIDER = frozenset({SUBMITTED, QUEUED, RUNNING, DOWNLOADING})
"""States of a job the provider has accepted and shotreel is still following."""
UNFINISHED = frozenset(STATES) - FINISHED

_TRANSITIONS: dict[str, frozenset[str]] = {
    PENDING: frozenset({SUBMITTING, CANCELED}),
    SUBMITTING: frozenset({SUBMITTED, PENDING, UNKNOWN_SUBMIT, FAILED, MODERATED}),
    SUBMITTED: frozenset({QUEUED, RUNNING, DOWNLOADING, FAILED, MODERATED, CANCELED}),
    QUEUED: frozenset({QUEUED, RUNNING, DOWNLOADING, FAILED, MODERATED, CANCELED}),
    RUNNING: frozenset({QUEUED, RUNNING, DOWNLOADING, FAILED, MODERATED, CANCELED}),
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

    @property
    def key(self) -> str:
        """``shot/take``, how the user names a job (``shotreel jobs DIR --forget sh010/t001``)."""
        return f"{self.shot}/{self.take}"

    @property
    def client_id(self) -> str:
        """The client id sent with the job (its take id for jobs recorded without one)."""
        return str((self.request.get("extra") or {}).get(CLIENT_ID) or self.take)

    @property
    def handle(self) -> JobHandle | None:
        """The provider's handle, rebuilt from what was recorded at submit."""
        return JobHandle(self.job_id, dict(self.handle_data or {})) if self.job_id else None

    @property
    def finished_state(self) -> bool:
        return self.state in FINISHED


def content_hash(request: GenerationRequest) -> str:
    """The hash of what the provider judges (prompt, images, model …), ignoring the seed and take id.

    A request with the same content hash as a moderated or refused job is "unchanged".
    """
    extra = {k: v for k, v in request.extra.items() if k != CLIENT_ID}
    return replace(request, seed=None, extra=extra).request_hash()


def request_summary(request: GenerationRequest) -> dict:
    """The request as JSON-able data (paths, content hashes of the images); no secrets are in a request."""
    def image(path: Path | None) -> dict | None:
        if path is None:
            return None
        return {"path": str(path), "sha256": file_sha256(path) if Path(path).is_file() else None}

    return {
        "take_id": request.take_id, "shot_id": request.shot_id, "provider": request.provider,
        "model": request.model, "prompt": request.prompt, "negative_prompt": request.negative_prompt,
        "duration_frames": request.duration_frames, "fps": f"{request.fps.numerator}/{request.fps.denominator}",
        "width": request.width, "height": request.height, "seed": request.seed, "movement": request.movement,
        "start_image": image(request.start_image), "end_image": image(request.end_image),
        "reference_images": [image(p) for p in request.reference_images], "extra": request.extra,
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
        extra=dict(data.get("extra") or {}))


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
        result_path=row["result_path"])


class Ledger:
    """A project's job ledger. Thread-safe: one connection, every change one transaction.

    Open it with :meth:`open` (creates ``.shotreel/ledger.sqlite``) or :meth:`open_readonly`.
    """

    def __init__(self, connection: sqlite3.Connection, path: Path, readonly: bool = False):
        self._db = connection
        self._db.row_factory = sqlite3.Row
        self._lock = threading.RLock()
        self.path = path
        self.readonly = readonly

    @classmethod
    def open(cls, root: Path) -> Ledger:
        """Open (creating if needed) the ledger of the project at ``root``."""
        path = ledger_path(root)
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            db = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")  # durable against crashes; see :meth:`Ledger.sync`
            db.executescript(_SCHEMA)
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
        with self._lock:
            self._db.close()

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
        with self._lock:
            row = self._db.execute("SELECT * FROM jobs WHERE shot = ? AND take = ?", (shot, take)).fetchone()
        return _row(row) if row else None

    def jobs(self, states: frozenset[str] | set[str] | None = None, provider: str | None = None,
             shot: str | None = None) -> list[JobRecord]:
        """Jobs, oldest first, optionally only those in ``states`` / of ``provider`` / of ``shot``."""
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
        with self._lock:
            rows = self._db.execute("SELECT time, state, detail FROM events WHERE shot = ? AND take = ? "
                                    "ORDER BY id", (shot, take)).fetchall()
        return [(r["time"], r["state"], r["detail"]) for r in rows]

    def take_ids(self, shot: str) -> list[str]:
        """Every take id the ledger has used for ``shot`` (ids are never reused)."""
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

    def record_planned(self, planned: list[tuple[GenerationRequest, float]]) -> None:
        """Record new jobs as ``pending`` (before anything is sent), all in one transaction."""
        now = time.time()
        rows = [(r.shot_id, r.take_id, r.provider, r.model, r.request_hash(), content_hash(r),
                 json.dumps(request_summary(r), sort_keys=True), PENDING, estimate, now, now)
                for r, estimate in planned]
        with self._transaction() as db:
            for row in rows:
                try:
                    db.execute("INSERT INTO jobs (shot, take, provider, model, request_hash, content_hash, "
                               "request_json, state, estimated_cost, created, updated) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                               row)
                except sqlite3.IntegrityError:
                    raise LedgerError(f"take {row[1]} of shot {row[0]} is already in the ledger", shot=row[0]) from None

    def replace_request(self, shot: str, take: str, request: GenerationRequest) -> None:
        """Update a ``pending`` job's request (its board was redrawn before it was ever sent)."""
        with self._transaction() as db:
            row = db.execute("SELECT state FROM jobs WHERE shot = ? AND take = ?", (shot, take)).fetchone()
            if row is None or row["state"] != PENDING:
                raise LedgerError(f"job {shot}/{take} is not pending; its request cannot change", shot=shot)
            db.execute("UPDATE jobs SET request_hash = ?, content_hash = ?, request_json = ?, model = ?, "
                       "updated = ? WHERE shot = ? AND take = ?",
                       (request.request_hash(), content_hash(request),
                        json.dumps(request_summary(request), sort_keys=True), request.model, time.time(),
                        shot, take))

    def transition(self, shot: str, take: str, state: str, detail: str | None = None, **fields: Any) -> JobRecord:
        """Move a job to ``state`` (checked against the state machine), setting ``fields`` with it.

        ``fields`` are column names (``job_id``, ``handle_data``, ``failure_kind``, ``failure_message``,
        ``cost``, ``submitted``, ``finished``, ``raw_status``, ``progress``, ``result_path``, ``raw``: the
        provider's last payload) and ``attempts_add`` to count an attempt. One atomic statement; the history gets an event.
        Returns the job as it now is (read back).
        """
        self._update(shot, take, state, detail, fields)
        record = self.get(shot, take)
        assert record is not None
        return record

    def advance(self, record: JobRecord, state: str, detail: str | None = None, durable: bool = False,
                **fields: Any) -> JobRecord:
        """:meth:`transition` for a job the caller holds: returns the updated copy without reading it back.

        ``durable``: also flush the ledger to disk (:meth:`sync`) before returning — for the record made
        before a submit.
        """
        values = self._update(record.shot, record.take, state, detail, fields)
        if durable:
            self.sync()
        changes = {k: v for k, v in values.items() if k in _RECORD_FIELDS}
        if "handle_json" in values:
            changes["handle_data"] = json.loads(values["handle_json"]) if values["handle_json"] else None
        return replace(record, state=state, attempts=record.attempts + int(fields.get("attempts_add", 0) or 0),
                       **changes)

    def _update(self, shot: str, take: str, state: str, detail: str | None, fields: dict[str, Any]) -> dict:
        now = time.time()
        sources = sorted(s for s, targets in _TRANSITIONS.items() if state in targets)
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
        with self._lock:
            changed = self._db.execute(sql, (state, detail, attempts, *values.values(), shot, take,
                                             *sources)).rowcount
            if changed != 1:
                row = self._db.execute("SELECT state FROM jobs WHERE shot = ? AND take = ?", (shot, take)).fetchone()
                if row is None:
                    raise LedgerError(f"no job {shot}/{take} in the ledger", shot=shot)
                raise LedgerError(f"job {shot}/{take} cannot go from {row['state']} to {state}", shot=shot)
        return values

    def sync(self) -> None:
        """Flush what the ledger has committed to the disk (fsync of its write-ahead log).

        Committed changes already survive the process being killed; this makes them survive a power
        cut too. It runs outside the ledger's lock, so concurrent callers share the disk's flushes.
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

    def _released(self, name: str, verb: str) -> JobRecord:
        record = self.find(name)
        if record.state != UNKNOWN_SUBMIT:
            raise LedgerError(f"job {record.key} is {record.state}; only unknown_submit jobs can be released "
                              f"with --{verb}", shot=record.shot)
        return record


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

