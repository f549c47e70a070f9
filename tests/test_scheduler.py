"""The scheduler's decisions, against a provider that keeps the documented contract and counts submissions.

``ContractProvider`` below is a :class:`~shotreel.generation.base.Provider` written only for these unit
tests: it accepts jobs, runs each for a fixed service time, answers polls, serves a real MP4, and can
play the failures the interface names (Retry-After, moderation, ambiguous submits, out of credit).
The end-to-end tests against the real HTTP clients and the local protocol servers are in
``test_generate_cli.py``.
"""

from __future__ import annotations

import errno
import itertools
import json
import shutil
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest
from shotreel.fsutil import atomic_output
from shotreel.generation import ledger as L
from shotreel.generation.base import (
    AmbiguousSubmit,
    BadRequest,
    Capabilities,
    GenerationRequest,
    JobHandle,
    JobState,
    JobStatus,
    ModerationBlocked,
    OutOfCredit,
    Provider,
    RetryLater,
)
from shotreel.generation.ledger import Ledger
from shotreel.generation.scheduler import PollSchedule, generate
from shotreel.project import load_project
from shotreel.takes import find_takes

from ._generation import draw_plain_boards, make_clip


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    return make_clip(tmp_path_factory.mktemp("clip") / "result.mp4", fps=24, frames=121)


class ContractProvider(Provider):
    """Jobs run ``service`` seconds each from their submit, at most ``limit`` at once (the rest wait queued and
    start at a poll that finds a free slot)."""

    name = "contract"

    def __init__(self, clip: Path, service: float = 0.05, limit: int = 4, client_ids: bool = False):
        self.clip = clip
        self.service = service
        self.limit = limit
        self.poll_interval = 0.01
        self.client_ids = client_ids
        self.lock = threading.Lock()
        self.jobs: dict[str, dict] = {}
        self.attempts: list[tuple[float, str]] = []  # every submit call: (time, shot/take)
        self.accepted: list[str] = []  # jobs the provider created (what would be paid for)
        self.fetched: list[str] = []
        self.scenario: dict[str, str] = {}  # shot id -> scenario
        self.credit: int | None = None
        self.most_active = 0

    def capabilities(self, model: str) -> Capabilities:
        return Capabilities(max_concurrency=self.limit, max_prompt_chars=400)

    def default_model(self) -> str:
        return "contract-1"

    def estimate_cost(self, request: GenerationRequest) -> float:
        return 0.25

    def validate(self, request: GenerationRequest) -> None:
        if self.scenario.get(request.shot_id) == "invalid":
            raise BadRequest("contract: 7 s is not a length this model makes", shot=request.shot_id)

    def submit(self, request: GenerationRequest) -> JobHandle:
        key = f"{request.shot_id}/{request.take_id}"
        scenario = self.scenario.get(request.shot_id, "")
        with self.lock:
            self.attempts.append((time.monotonic(), key))
            tries = sum(1 for _, k in self.attempts if k == key)
        if scenario.startswith("retry_after=") and tries == 1:
            raise RetryLater("contract: 429 too many requests", retry_after=float(scenario.split("=")[1]))
        if scenario == "moderate_input":
            raise ModerationBlocked("contract: the prompt was refused (SAFETY.INPUT)", stage="input")
        with self.lock:
            if self.credit is not None and len(self.accepted) >= self.credit:
                raise OutOfCredit("contract: not enough credit")
            job_id = f"job-{len(self.jobs) + 1}"
            self.jobs[job_id] = {"key": key, "client_id": request.client_id, "created": time.monotonic(),
                                 "started": None, "shot": request.shot_id}
            self.accepted.append(key)
            self._start(self.jobs[job_id], time.monotonic())
        if scenario == "ambiguous":
            raise AmbiguousSubmit("contract: the connection dropped after the request was sent")
        return JobHandle(job_id, {"shot": request.shot_id})

    def _start(self, job: dict, now: float) -> bool:
        """Start ``job`` now if fewer than ``limit`` jobs are running (call with the lock held)."""
        running = sum(1 for j in self.jobs.values() if j["started"] is not None and now - j["started"] < self.service)
        if running >= self.limit:
            return False
        job["started"] = now
        self.most_active = max(self.most_active, running + 1)
        return True

    def poll(self, handle: JobHandle) -> JobStatus:
        now = time.monotonic()
        with self.lock:
            job = self.jobs[handle.job_id]
            if job["started"] is None and not self._start(job, now):  # a queued job starts when polled
                return JobStatus(JobState.QUEUED, raw_status="THROTTLED")
            if now - job["started"] < self.service:
                return JobStatus(JobState.RUNNING, progress=(now - job["started"]) / self.service,
                                 raw_status="RUNNING")
        if self.scenario.get(job["shot"]) == "moderate_output":
            return JobStatus(JobState.FAILED, raw_status="FAILED",
                             failure=ModerationBlocked("contract: SAFETY.OUTPUT.VIOLENCE", stage="output"))
        return JobStatus(JobState.SUCCEEDED, raw_status="SUCCEEDED", result_urls=[f"contract://{handle.job_id}"],
                         cost=0.2)

    def fetch(self, handle: JobHandle, status: JobStatus, destination: Path) -> Path:
        if self.scenario.get(self.jobs[handle.job_id]["shot"]) == "disk_full":
            raise OSError(errno.ENOSPC, "No space left on device", str(destination))
        with self.lock:
            self.fetched.append(handle.job_id)
        with atomic_output(destination) as tmp:
            shutil.copyfile(self.clip, tmp)
        return destination

    def find_by_client_id(self, client_id: str) -> JobHandle | None:
        if not self.client_ids:
            return None
        for job_id, job in self.jobs.items():
            if job["client_id"] == client_id:
                return JobHandle(job_id, {"shot": job["shot"]})
        return None

    def submissions(self, key: str) -> int:
        return self.accepted.count(key)


@pytest.fixture
def film(example_dir: Path):
    film = load_project(example_dir)
    draw_plain_boards(film)
    return film


def _ledger(film) -> Ledger:
    return Ledger.open(film.root)


def test_one_take_per_shot_lands_with_its_sidecar(film, clip):
    provider = ContractProvider(clip)
    seen = []
    summary = generate(film, shots=["sh010", "sh020", "sh030"], provider=provider,
                       progress=lambda done, total, msg: seen.append((done, total, msg)))
    assert summary.ok and len(summary.done) == 3
    for shot in ("sh010", "sh020", "sh030"):
        assert provider.submissions(f"{shot}/t001") == 1
        clip_path = film.root / "takes" / shot / "t001.mp4"
        sidecar = json.loads((film.root / "takes" / shot / "t001.json").read_text())
        assert clip_path.read_bytes() == clip.read_bytes()
        assert sidecar["status"] == "done" and sidecar["provider"] == "contract" and sidecar["model"] == "contract-1"
        assert sidecar["probe"]["fps"] == "24/1" and sidecar["probe"]["frames"] == 121
        assert sidecar["start_board"]["path"] == f"boards/{shot}.png" and len(sidecar["start_board"]["sha256"]) == 64
        assert sidecar["job_id"].startswith("job-") and sidecar["cost"] == 0.2
        assert sidecar["prompt"] and isinstance(sidecar["seed"], int)
    takes = find_takes(load_project(film.root))
    assert {s: [t.id for t in ts] for s, ts in takes.items()} == {"sh010": ["t001"], "sh020": ["t001"],
                                                                  "sh030": ["t001"]}
    assert takes["sh020"][0].frames == 121
    assert seen[-1][:2] == (3, 3) and "done 3" in seen[-1][2] and "$0.60 spent" in seen[-1][2]
    assert not list((film.root / "takes").rglob(".*")), "no temporary files in takes/"
    with _ledger(film) as ledger:
        assert {r.state for r in ledger.jobs()} == {L.DONE}
        states = [s for _, s, _ in ledger.events("sh010", "t001")]
        # RUNNING is recorded when a poll saw the job running; a first poll made when the job was expected to be
        # done (a loaded machine) may find it finished already
        assert [s for s in states if s != L.RUNNING] == [L.PENDING, L.SUBMITTING, L.SUBMITTED, L.DOWNLOADING, L.DONE]
        assert states.count(L.RUNNING) <= 1 and (L.RUNNING not in states or states[3] == L.RUNNING)


def test_running_again_pays_nothing_and_new_takes_continue_the_numbering(film, clip):
    provider = ContractProvider(clip)
    generate(film, shots=["sh010"], provider=provider, takes_per_shot=2)
    again = generate(film, shots=["sh010"], provider=provider, takes_per_shot=2)
    assert again.ok and not again.planned and sorted(provider.accepted) == ["sh010/t001", "sh010/t002"]
    more = generate(film, shots=["sh010"], provider=provider, takes_per_shot=1, new_takes=True)
    assert [r.take_id for r in more.planned] == ["t003"]
    assert sorted(provider.accepted) == ["sh010/t001", "sh010/t002", "sh010/t003"]


def test_jobs_in_flight_never_exceed_the_limit_and_fill_it(film, clip):
    provider = ContractProvider(clip, service=0.15, limit=3)
    summary = generate(film, provider=provider, concurrency=8)
    assert summary.ok and len(summary.done) == 12
    assert provider.most_active == 3


def test_retry_after_is_honoured_and_the_job_is_created_once(film, clip):
    provider = ContractProvider(clip)
    provider.scenario["sh010"] = "retry_after=0.6"
    summary = generate(film, shots=["sh010"], provider=provider)
    assert summary.ok
    times = [t for t, k in provider.attempts if k == "sh010/t001"]
    assert len(times) == 2 and times[1] - times[0] >= 0.6
    assert provider.accepted == ["sh010/t001"]
    with _ledger(film) as ledger:
        assert ledger.get("sh010", "t001").attempts == 2


def test_moderation_is_recorded_and_never_retried_unchanged(film, clip):
    provider = ContractProvider(clip)
    provider.scenario.update({"sh010": "moderate_input", "sh020": "moderate_output"})
    summary = generate(film, shots=["sh010", "sh020", "sh030"], provider=provider)
    assert {o.key: o.state for o in summary.failed} == {"sh010/t001": L.MODERATED, "sh020/t001": L.MODERATED}
    with _ledger(film) as ledger:
        assert ledger.get("sh010", "t001").failure_kind == "moderation_input"
        assert ledger.get("sh020", "t001").failure_kind == "moderation_output"
    attempts = len(provider.attempts)
    again = generate(film, shots=["sh010", "sh020", "sh030"], provider=provider)
    assert len(provider.attempts) == attempts, "nothing was sent again"
    assert {shot for shot, _ in again.skipped} == {"sh010", "sh020"}
    assert "change the shot's prompt" in dict(again.skipped)["sh010"]
    # an explicit new seed is a change for an output block (not for an input block)
    provider.scenario.pop("sh020")
    third = generate(film, shots=["sh010", "sh020"], provider=provider, seed=7)
    assert [(r.shot_id, r.take_id, r.seed) for r in third.planned] == [("sh020", "t002", 7)]


def test_a_request_refused_for_its_content_is_not_sent_again_in_the_same_run(film, clip):
    provider = ContractProvider(clip, limit=1)
    provider.scenario["sh010"] = "moderate_input"
    summary = generate(film, shots=["sh010"], provider=provider, takes_per_shot=3)
    assert [k for _, k in provider.attempts] == ["sh010/t001"]
    assert sorted((o.key, o.state) for o in summary.failed) == [
        ("sh010/t001", L.MODERATED), ("sh010/t002", L.CANCELED), ("sh010/t003", L.CANCELED)]


def test_an_ambiguous_submit_is_never_resent_until_the_user_says_so(film, clip):
    provider = ContractProvider(clip)
    provider.scenario["sh010"] = "ambiguous"
    summary = generate(film, shots=["sh010"], provider=provider)
    assert [o.key for o in summary.unknown] == ["sh010/t001"] and not summary.ok
    again = generate(film, shots=["sh010"], provider=provider)
    assert provider.accepted == ["sh010/t001"] and not again.planned
    assert [o.key for o in again.unknown] == ["sh010/t001"]
    with _ledger(film) as ledger:
        ledger.resubmit("sh010/t001")
    provider.scenario.pop("sh010")
    third = generate(film, shots=["sh010"], provider=provider)
    assert third.ok and provider.accepted == ["sh010/t001", "sh010/t001"]


def test_an_ambiguous_submit_is_adopted_by_client_id(film, clip):
    provider = ContractProvider(clip, client_ids=True)
    provider.scenario["sh010"] = "ambiguous"
    summary = generate(film, shots=["sh010"], provider=provider)
    assert summary.ok and provider.accepted == ["sh010/t001"]
    assert (film.root / "takes" / "sh010" / "t001.mp4").is_file()


def test_a_crash_while_submitting_is_reconciled_not_resubmitted(film, clip):
    provider = ContractProvider(clip)
    with _ledger(film) as ledger:  # what a SIGKILL between the ledger write and the POST leaves
        from shotreel.prompts import build_request
        request = replace(build_request(film, film.shot("sh030"), provider, None, "t001"), client_id="c-1")
        ledger.record_planned([(request, 0.25)])
        ledger.transition("sh030", "t001", L.SUBMITTING, attempts_add=1)
    summary = generate(film, shots=["sh030"], provider=provider)
    assert [o.key for o in summary.unknown] == ["sh030/t001"] and provider.attempts == []
    with _ledger(film) as ledger:
        assert ledger.get("sh030", "t001").state == L.UNKNOWN_SUBMIT
        ledger.forget("sh030/t001")
    after = generate(film, shots=["sh030"], provider=provider)
    assert after.ok and [r.take_id for r in after.planned] == ["t002"]


def test_jobs_left_at_the_provider_are_polled_and_downloaded_once(film, clip):
    provider = ContractProvider(clip, service=0.3)
    stop = threading.Event()

    def stop_after_submit(done, total, message):
        if provider.accepted:
            stop.set()

    first = generate(film, shots=["sh010", "sh020"], provider=provider, stop=stop, progress=stop_after_submit)
    assert first.stopped and not first.done
    with _ledger(film) as ledger:
        assert {r.state for r in ledger.jobs()} <= {L.PENDING, L.SUBMITTED, L.RUNNING, L.QUEUED}
    second = generate(film, shots=["sh010", "sh020"], provider=provider)
    assert second.ok and sorted(o.key for o in second.done) == ["sh010/t001", "sh020/t001"]
    assert sorted(provider.accepted) == ["sh010/t001", "sh020/t001"]
    assert len(provider.fetched) == 2


def test_a_downloaded_take_is_never_downloaded_again(film, clip):
    provider = ContractProvider(clip)
    generate(film, shots=["sh010"], provider=provider)
    with _ledger(film) as ledger:  # a crash after the file landed but before the ledger said so
        ledger._db.execute("UPDATE jobs SET state = 'downloading' WHERE shot = 'sh010'")
    (film.root / "takes" / "sh010" / "t001.json").unlink()
    again = generate(film, shots=["sh010"], provider=provider)
    assert again.ok and len(provider.fetched) == 1
    assert json.loads((film.root / "takes" / "sh010" / "t001.json").read_text())["status"] == "done"


@pytest.mark.parametrize("staged", [".shotreel/staging/sh010.t001.mp4", ".shotreel/staging/sh010/t001.mp4"])
def test_a_download_that_never_landed_is_landed_from_staging_not_fetched_again(film, clip, staged):
    provider = ContractProvider(clip)
    generate(film, shots=["sh010"], provider=provider)
    # a crash after the download reached the staging folder, before it was probed and moved into takes/
    # (the second path is where shotreel 0.1 staged downloads)
    folder = film.root / "takes" / "sh010"
    (film.root / staged).parent.mkdir(parents=True, exist_ok=True)
    (folder / "t001.mp4").rename(film.root / staged)
    (folder / "t001.json").unlink()
    with _ledger(film) as ledger:
        ledger._db.execute("UPDATE jobs SET state = 'downloading' WHERE shot = 'sh010'")
    again = generate(film, shots=["sh010"], provider=provider)
    assert again.ok and len(provider.fetched) == 1, "landed from staging, not downloaded again"
    assert sorted(p.name for p in folder.iterdir()) == ["t001.json", "t001.mp4"]
    assert not (film.root / staged).exists()


def test_a_full_disk_keeps_the_paid_result_for_the_next_run(film, clip):
    provider = ContractProvider(clip, limit=1)
    provider.scenario["sh010"] = "disk_full"
    summary = generate(film, shots=["sh010", "sh020"], provider=provider)
    waiting = {o.key: o.message for o in summary.waiting}
    assert "No space left on device" in waiting.pop("sh010/t001") and "the disk is full" in summary.stopped
    # sh020 ran before the disk filled up, or was not sent once it had
    assert [o.key for o in summary.done] == ["sh020/t001"] or (
        list(waiting) == ["sh020/t001"] and "the disk is full" in waiting["sh020/t001"]
        and provider.accepted == ["sh010/t001"])
    assert not summary.ok
    with _ledger(film) as ledger:
        assert ledger.get("sh010", "t001").state == L.DOWNLOADING
    provider.scenario.pop("sh010")
    again = generate(film, shots=["sh010", "sh020"], provider=provider)
    assert again.ok and sorted(provider.accepted) == ["sh010/t001", "sh020/t001"]
    assert not list((film.root / "takes").rglob(".*"))


def test_out_of_credit_stops_submitting_and_finishes_what_is_in_flight(film, clip):
    provider = ContractProvider(clip, limit=2)
    provider.credit = 3
    summary = generate(film, provider=provider)
    assert "out of credit" in summary.stopped
    assert len(summary.done) == 3 and len(provider.accepted) == 3
    with _ledger(film) as ledger:
        assert sum(1 for r in ledger.jobs() if r.state == L.PENDING) == 9


def test_a_request_the_provider_would_refuse_records_nothing(film, clip):
    provider = ContractProvider(clip)
    provider.scenario["sh020"] = "invalid"
    with pytest.raises(BadRequest, match="7 s"):
        generate(film, provider=provider)
    with _ledger(film) as ledger:
        assert ledger.jobs() == []
    assert provider.attempts == []


def test_dry_run_spends_nothing_and_writes_nothing(film, clip):
    provider = ContractProvider(clip)
    summary = generate(film, provider=provider, takes_per_shot=2, dry_run=True)
    assert len(summary.requests) == 24 and summary.estimated_cost == pytest.approx(6.0)
    assert provider.attempts == [] and not (film.root / ".shotreel").exists()


def test_poll_schedule_polls_at_the_expected_end_then_backs_off_and_learns():
    schedule = PollSchedule(0.01, typical=30.0)  # the provider's typical run time, before any job is seen
    delay, targeted = schedule.first_delay(0.0)
    assert delay <= 0.05 and not targeted  # a long typical time never means a long wait
    schedule.observe(True, 0.2, False)  # the first job seen finished sets the estimate
    assert schedule.expected == pytest.approx(0.2)
    delay, targeted = schedule.first_delay(0.17)
    assert targeted and delay == pytest.approx(0.03, rel=0.03)  # the first poll at the expected end
    delays = [schedule.backoff(n) for n in range(8)]
    assert all(b > a for a, b in itertools.pairwise(delays[:4])) and max(delays) <= 0.05 * 1.1
    finished = []
    for _ in range(400):  # jobs that really take 0.25 s: polled at the estimate, it settles just above
        expected = schedule.expected
        finished.append(expected >= 0.25)
        schedule.observe(finished[-1], expected, True)
    assert 0.25 * 0.97 <= schedule.expected <= 0.25 * 1.05
    assert 0.6 <= sum(finished[100:]) / 300 <= 0.9  # most first polls find the job done, some come early
    late = PollSchedule(0.01, typical=30.0)
    late.observe(True, 0.2, False)
    late.observe(True, 0.1, False, early=True)  # a job seen finished long before the estimate corrects it
    assert late.expected == pytest.approx(0.1)


def test_jobs_are_polled_when_they_should_be_done_not_blindly(film, clip):
    provider = ContractProvider(clip, service=0.2, limit=8)
    polls = []
    poll = provider.poll
    provider.poll = lambda handle: polls.append(handle.job_id) or poll(handle)
    summary = generate(film, provider=provider, concurrency=4)
    assert summary.ok and len(summary.done) == 12
    # polling every 10 ms would take ~20 polls a job; the first four (nothing learnt yet) back off from 10 ms
    # to 50 ms, about 7 polls each, then the others take about one, two where the first came a little early
    assert len(polls) <= 4 * 8 + 8 * 2.5


def test_providers_are_found_by_name_with_clear_errors():
    from shotreel.generation.registry import UnknownProvider, get_provider, provider_names

    assert {"animatic", "runway"} <= set(provider_names()) and "_common" not in provider_names()
    assert get_provider("runway", api_key="k", poll_interval=0.5).poll_interval == 0.5
    with pytest.raises(UnknownProvider, match=r"unknown provider 'sora' \(known providers: animatic, "):
        get_provider("sora")
    with pytest.raises(UnknownProvider, match="unknown provider '../x'"):
        get_provider("../x")
    with pytest.raises(BadRequest, match="unknown provider option 'workflow'"):
        get_provider("runway", workflow="w.json")
