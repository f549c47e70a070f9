"""The job ledger: recorded before submit, a checked state machine, crash-safe, nothing finished forgotten."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import pytest
from shotreel.generation import ledger as L
from shotreel.generation.base import GenerationRequest
from shotreel.generation.ledger import Ledger, LedgerError, ProjectBusy, project_lock, request_from_summary


def _request(tmp_path: Path, shot: str = "sh010", take: str = "t001", prompt: str = "a ship", seed: int = 1):
    board = tmp_path / "boards" / f"{shot}.png"
    board.parent.mkdir(exist_ok=True)
    board.write_bytes(b"not really a png, but hashed all the same")
    return GenerationRequest(take_id=take, shot_id=shot, provider="runway", model="gen4_turbo", prompt=prompt,
                             duration_frames=120, fps=Fraction(24000, 1001), width=1280, height=720,
                             start_image=board, seed=seed, movement="push in",
                             client_id=f"uuid-{shot}-{take}")


def test_a_job_is_recorded_pending_with_its_request_and_no_secret(tmp_path, monkeypatch):
    monkeypatch.setenv("RUNWAYML_API_SECRET", "key_" + "ab" * 64)
    request = _request(tmp_path)
    with Ledger.open(tmp_path) as ledger:
        ledger.record_planned([(request, 0.25)])
        record = ledger.get("sh010", "t001")
    assert record.state == L.PENDING and record.estimated_cost == 0.25 and record.attempts == 0
    assert record.request_hash == request.request_hash()
    assert record.request["start_image"]["sha256"] and record.client_id == "uuid-sh010-t001"
    assert request_from_summary(record.request) == request
    raw = (tmp_path / ".shotreel" / "ledger.sqlite").read_bytes()
    assert b"key_abab" not in raw


def test_the_ledger_is_wal_and_survives_reopening(tmp_path):
    with Ledger.open(tmp_path) as ledger:
        ledger.record_planned([(_request(tmp_path), 0.1)])
        ledger.transition("sh010", "t001", L.SUBMITTING, attempts_add=1)
        ledger.transition("sh010", "t001", L.SUBMITTED, job_id="task-1", handle_data={"url": "u"}, submitted=5.0)
    db = sqlite3.connect(tmp_path / ".shotreel" / "ledger.sqlite")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.close()
    with Ledger.open(tmp_path) as ledger:
        record = ledger.get("sh010", "t001")
    assert (record.state, record.job_id, record.handle.data, record.attempts) == (L.SUBMITTED, "task-1", {"url": "u"}, 1)


def test_the_state_machine_refuses_impossible_moves(tmp_path):
    with Ledger.open(tmp_path) as ledger:
        ledger.record_planned([(_request(tmp_path), 0.1)])
        with pytest.raises(LedgerError, match="cannot go from pending to submitted"):
            ledger.transition("sh010", "t001", L.SUBMITTED, job_id="x")
        for state in (L.SUBMITTING, L.SUBMITTED, L.QUEUED, L.RUNNING, L.DOWNLOADING, L.DONE):
            ledger.transition("sh010", "t001", state)
        with pytest.raises(LedgerError, match="cannot go from done"):
            ledger.transition("sh010", "t001", L.PENDING)
        assert ledger.get("sh010", "t001").finished is not None
        history = [state for _, state, _ in ledger.events("sh010", "t001")]
    assert history == [L.PENDING, L.SUBMITTING, L.SUBMITTED, L.QUEUED, L.RUNNING, L.DOWNLOADING, L.DONE]


def test_a_take_id_is_never_recorded_twice(tmp_path):
    with Ledger.open(tmp_path) as ledger:
        ledger.record_planned([(_request(tmp_path), 0.1)])
        with pytest.raises(LedgerError, match="already in the ledger"):
            ledger.record_planned([(_request(tmp_path, take="t002"), 0.1), (_request(tmp_path), 0.1)])
        assert [r.take for r in ledger.jobs()] == ["t001"], "the whole batch was rolled back"


def test_only_an_unknown_submit_can_be_forgotten_or_resubmitted(tmp_path):
    with Ledger.open(tmp_path) as ledger:
        ledger.record_planned([(_request(tmp_path), 0.1), (_request(tmp_path, shot="sh020"), 0.1)])
        for state in (L.SUBMITTING, L.SUBMITTED, L.DOWNLOADING, L.DONE):
            ledger.transition("sh010", "t001", state)
        with pytest.raises(LedgerError, match="only unknown_submit"):
            ledger.forget("sh010/t001")
        ledger.transition("sh020", "t001", L.SUBMITTING)
        ledger.transition("sh020", "t001", L.UNKNOWN_SUBMIT, failure_kind="ambiguous_submit")
        with pytest.raises(LedgerError, match="several jobs"):
            ledger.resubmit("t001")
        assert ledger.resubmit("sh020/t001").state == L.PENDING
        ledger.transition("sh020", "t001", L.SUBMITTING)
        ledger.transition("sh020", "t001", L.UNKNOWN_SUBMIT)
        forgotten = ledger.forget("sh020/t001")
        assert (forgotten.state, forgotten.failure_kind) == (L.CANCELED, "forgotten")
        assert ledger.take_ids("sh020") == ["t001"], "the row stays, so the id is never reused"
        with pytest.raises(LedgerError, match="no job"):
            ledger.find("sh030/t001")


def test_the_content_hash_ignores_seed_take_and_client_id(tmp_path):
    a = _request(tmp_path, seed=1)
    b = _request(tmp_path, take="t002", seed=2)
    c = _request(tmp_path, prompt="another ship")
    assert L.content_hash(a) == L.content_hash(b) != L.content_hash(c)
    assert a.request_hash() != b.request_hash()
    assert replace(a, client_id="another").request_hash() == a.request_hash()  # names the job, not what is paid


def test_a_client_id_recorded_in_extra_by_an_older_ledger_is_still_read(tmp_path):
    old = replace(_request(tmp_path), client_id="", extra={"client_id": "uuid-old"})
    with Ledger.open(tmp_path) as ledger:
        ledger.record_planned([(old, 0.1)])
        record = ledger.get("sh010", "t001")
    assert record.client_id == "uuid-old" and request_from_summary(record.request).client_id == "uuid-old"
    assert L.content_hash(old) == L.content_hash(_request(tmp_path))


def test_reading_a_project_without_a_ledger_creates_nothing(tmp_path):
    assert Ledger.open_readonly(tmp_path) is None
    assert not (tmp_path / ".shotreel").exists()
    with Ledger.open(tmp_path) as ledger:
        ledger.record_planned([(_request(tmp_path), 0.1)])
    reader = Ledger.open_readonly(tmp_path)
    assert [r.key for r in reader.jobs()] == ["sh010/t001"]
    with pytest.raises(sqlite3.OperationalError):
        reader._db.execute("DELETE FROM jobs")
    reader.close()


def test_two_runs_cannot_drive_one_project(tmp_path):
    with project_lock(tmp_path), pytest.raises(ProjectBusy, match="another `shotreel generate`"), \
            project_lock(tmp_path):
        pass
    with project_lock(tmp_path):
        pass


class _Counting:
    """The ledger's connection, counting the transactions it commits (each one fsync under synchronous=FULL)."""

    def __init__(self, db):
        self.db, self.commits, self.lock = db, 0, __import__("threading").Lock()
        self.in_transaction = False

    def execute(self, sql, *args):
        text = sql.strip().upper()
        with self.lock:
            if text.startswith("BEGIN"):
                self.in_transaction = True
            elif text == "COMMIT":
                self.in_transaction, self.commits = False, self.commits + 1
            elif text.startswith(("UPDATE", "INSERT")) and not self.in_transaction:
                self.commits += 1  # a statement on its own is its own transaction
        return self.db.execute(sql, *args)

    def __getattr__(self, name):
        return getattr(self.db, name)


def test_records_made_before_submits_at_once_share_commits_and_each_is_on_disk_when_it_returns(tmp_path):
    import threading

    requests = [_request(tmp_path, shot=f"sh{n:03d}") for n in range(48)]
    with Ledger.open(tmp_path) as ledger:
        records = ledger.record_planned([(r, 0.1) for r in requests])
        counting = _Counting(ledger._db)
        ledger._db = counting
        start, seen, errors = threading.Barrier(len(records)), [], []

        def submit(record):
            start.wait()
            try:
                ledger.advance(record, L.SUBMITTING, durable=True, wait=False, attempts_add=1)
                # returned: on disk now, whatever the other threads are doing (a second connection sees it)
                with sqlite3.connect(tmp_path / ".shotreel" / "ledger.sqlite") as db:
                    seen.append(db.execute("SELECT state FROM jobs WHERE shot = ?", (record.shot,)).fetchone()[0])
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=submit, args=(r,)) for r in records]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        ledger._db = counting.db
        assert errors == [] and seen == [L.SUBMITTING] * 48
        assert counting.commits < 48, f"records made at the same time shared commits ({counting.commits})"
        assert {r.state for r in ledger.jobs()} == {L.SUBMITTING}


def test_a_kill_right_after_a_record_returned_never_loses_it(tmp_path):
    import signal
    import subprocess
    import sys

    for n in range(32):
        _request(tmp_path, shot=f"sh{n:03d}")
    child = f"""
import sys, threading
from fractions import Fraction
from pathlib import Path
from shotreel.generation import ledger as L
from shotreel.generation.base import GenerationRequest
root = Path({str(tmp_path)!r})
ledger = L.Ledger.open(root)
requests = [GenerationRequest(take_id="t001", shot_id=f"sh{{n:03d}}", provider="runway", model="gen4_turbo",
            prompt="a ship", duration_frames=120, fps=Fraction(24), width=1280, height=720,
            start_image=root / "boards" / f"sh{{n:03d}}.png", client_id=f"c{{n}}") for n in range(32)]
records = ledger.record_planned([(r, 0.1) for r in requests])
lock = threading.Lock()
def submit(record):
    ledger.advance(record, L.SUBMITTING, durable=True, wait=False, attempts_add=1)
    with lock:
        print(record.shot, flush=True)
for record in records:
    threading.Thread(target=submit, args=(record,)).start()
threading.Event().wait()
"""
    process = subprocess.Popen([sys.executable, "-c", child], stdout=subprocess.PIPE, text=True)
    said = [process.stdout.readline().strip() for _ in range(12)]
    process.send_signal(signal.SIGKILL)
    process.wait(10)
    with Ledger.open(tmp_path) as ledger:
        states = {r.shot: r.state for r in ledger.jobs()}
    assert all(states[shot] == L.SUBMITTING for shot in said), "every record that returned is on disk"
