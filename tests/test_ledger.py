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
