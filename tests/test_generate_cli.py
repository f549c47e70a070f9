"""``shotreel generate`` / ``jobs`` / ``prompt`` end to end: the real Runway client against the local Runway server.

The server (``tests.servers``) speaks Runway's protocol, moves jobs through its states with time, serves
real MP4s and records every accepted create, so these tests can say "exactly one paid submission per
take" — including after the command is killed with SIGKILL in the middle of a run.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image
from shotreel.cli import main
from shotreel.generation import ledger as L
from shotreel.generation.ledger import Ledger

from tests.servers import fake_server  # noqa: F401  (pytest fixture)
from tests.servers import media as server_media

REPO = Path(__file__).resolve().parents[1]


def make_project(folder: Path, prompts: list[str], duration: str = "5s") -> Path:
    """A project of ``len(prompts)`` shots (sh010, sh020 …) with a 1280×720 board each."""
    shots = "\n".join(
        f"      - id: sh{(i + 1) * 10:03d}\n        beat: b1\n        duration: {duration}\n"
        f"        action: Test shot {i + 1}, a slow push in on the console.\n"
        f"        camera: {{size: MS, movement: push in}}\n        prompt: {json.dumps(prompt)}"
        for i, prompt in enumerate(prompts))
    folder.mkdir(parents=True)
    (folder / "shotreel.yaml").write_text(
        "title: Generate test\nfps: 24\nresolution: 1280x720\nstyle: Grainy 35mm.\nbeats:\n  - id: b1\n"
        f"scenes:\n  - id: sc01\n    heading: INT. TEST - DAY\n    shots:\n{shots}\n", encoding="utf-8")
    (folder / "boards").mkdir()
    for i in range(len(prompts)):
        Image.new("RGB", (1280, 720), (30 * i % 255, 90, 140)).save(folder / "boards" / f"sh{(i + 1) * 10:03d}.png")
    return folder


@pytest.fixture
def runway(fake_server, monkeypatch):  # noqa: F811 - the fixture imported above
    """A local Runway server; the real client finds it through SHOTREEL_RUNWAY_BASE_URL."""
    def start(**options):
        server_media.clip()  # the server's default clip, made before any timing starts
        server = fake_server("runway", **options)
        monkeypatch.setenv("SHOTREEL_RUNWAY_BASE_URL", server.url)
        monkeypatch.setenv("RUNWAYML_API_SECRET", server.api_key)
        return server
    return start


def _states(project: Path) -> dict[str, str]:
    reader = Ledger.open_readonly(project)
    if reader is None:
        return {}
    with reader:
        return {r.key: r.state for r in reader.jobs()}


def _assert_takes_complete(project: Path, shots: list[str]) -> None:
    for shot in shots:
        folder = project / "takes" / shot
        assert sorted(p.name for p in folder.iterdir()) == ["t001.json", "t001.mp4"], shot
        sidecar = json.loads((folder / "t001.json").read_text())
        assert sidecar["status"] == "done" and sidecar["provider"] == "runway" and sidecar["model"] == "gen4_turbo"
        assert sidecar["probe"]["frames"] == 121 and sidecar["probe"]["fps"] == "24/1"
        assert sidecar["job_id"] and sidecar["start_board"]["path"] == f"boards/{shot}.png"
    leftovers = [p for p in (project / "takes").rglob("*") if p.name.startswith(".")]
    assert leftovers == [], "nothing half-written in takes/"


def test_sigkill_mid_run_then_run_again_pays_each_take_once(runway, tmp_path, capsys):
    # sh010–sh040 finish at once, sh050–sh080 run 1.5 s, sh090–sh120 at once: the command is killed while
    # four takes are done, four are running at Runway, one waits in Runway's queue (THROTTLED: shotreel
    # keeps one job queued ahead on a four-job account) and three were never sent.
    prompts = ["[service:0.05]"] * 4 + ["[service:1.5]"] * 4 + ["[service:0.05]"] * 4
    project = make_project(tmp_path / "film", prompts)
    shots = [f"sh{(i + 1) * 10:03d}" for i in range(12)]
    server = runway(max_concurrent=4)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "shotreel.cli", "generate", str(project), "--provider", "runway",
               "--concurrency", "4", "--poll-interval", "0.02"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            states = _states(project)
            at_runway = [k for k, s in states.items() if s in (L.SUBMITTED, L.QUEUED, L.RUNNING)]
            if sum(s == L.DONE for s in states.values()) == 4 and len(at_runway) == 5:
                break
            assert process.poll() is None, process.stderr.read().decode()
            time.sleep(0.01)
        else:
            pytest.fail(f"the run never reached the kill point: {_states(project)}")
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait(10)
    assert process.returncode == -signal.SIGKILL
    assert server.creates() == 9 and sorted(at_runway) == [f"{s}/t001" for s in shots[4:9]]
    assert server.jobs[server.submissions[8].job_id].throttled, "the ninth waited for a slot at Runway"
    for shot in shots[9:]:
        assert not (project / "takes" / shot).exists()

    assert main(["generate", str(project), "--provider", "runway", "--concurrency", "4",
                 "--poll-interval", "0.02"]) == 0
    out = capsys.readouterr().out
    assert "generate: 8 done, 0 failed, 0 unknown, 0 waiting" in out
    assert server.creates() == 12 and server.duplicates() == {}, "exactly one paid submission per take"
    assert set(_states(project).values()) == {L.DONE}
    _assert_takes_complete(project, shots)
    assert main(["generate", str(project), "--provider", "runway", "--poll-interval", "0.02"]) == 0
    assert server.creates() == 12, "a third run finds every take there and sends nothing"


def _most_at_once(intervals: list[tuple[float, float]]) -> int:
    """The largest number of ``(start, end)`` intervals that overlap at one moment."""
    events = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals])
    most = now = 0
    for _, step in events:
        now += step
        most = max(most, now)
    return most


@pytest.mark.parametrize("queue_ahead, in_flight", [(None, 3), ("0", 2)])
def test_one_job_waits_in_runways_queue_so_a_free_slot_starts_the_next_at_once(runway, tmp_path, capsys,
                                                                                queue_ahead, in_flight):
    project = make_project(tmp_path / "film", ["[service:0.25]"] * 6)
    server = runway(max_concurrent=2)
    extra = ["--queue-ahead", queue_ahead] if queue_ahead is not None else []
    assert main(["generate", str(project), "--provider", "runway", "--concurrency", "2", "--poll-interval", "0.02",
                 *extra]) == 0
    assert "generate: 6 done, 0 failed" in capsys.readouterr().out
    jobs = sorted(server.jobs.values(), key=lambda j: j.start)
    assert server.creates() == 6 and server.duplicates() == {}
    assert _most_at_once([(j.start, j.end) for j in jobs]) == 2, "never more running than the account allows"
    assert _most_at_once([(j.created, j.end) for j in jobs]) == in_flight
    waited = [j for j in jobs if j.throttled]
    if queue_ahead is None:  # a job waiting THROTTLED started the moment a slot came free, not after a poll
        assert waited
        assert all(any(abs(job.start - other.end) < 1e-6 for other in jobs) for job in waited)
    else:
        assert not any(j.throttled for j in jobs)


def test_a_kill_at_any_moment_never_pays_twice(runway, tmp_path, capsys):
    # Killed wherever it happens to be (even between the ledger write and the POST): the next run
    # finishes every job it can be sure of and reports the rest; no take is ever submitted twice.
    project = make_project(tmp_path / "film", ["[service:0.2]"] * 8)
    server = runway(max_concurrent=3)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    process = subprocess.Popen([sys.executable, "-m", "shotreel.cli", "generate", str(project), "--provider",
                                "runway", "--concurrency", "3", "--poll-interval", "0.01"], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while server.creates() < 4 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.002)
    process.kill()
    process.wait(10)
    main(["generate", str(project), "--provider", "runway", "--concurrency", "3", "--poll-interval", "0.01"])
    capsys.readouterr()
    states = _states(project)
    assert server.duplicates() == {} and server.creates() <= 8
    assert set(states.values()) <= {L.DONE, L.UNKNOWN_SUBMIT} and len(states) == 8
    done = [k for k, s in states.items() if s == L.DONE]
    assert server.creates() >= len(done)
    for key in done:
        shot = key.split("/")[0]
        assert sorted(p.name for p in (project / "takes" / shot).iterdir()) == ["t001.json", "t001.mp4"]


def test_dry_run_prints_every_request_and_the_cost_and_spends_nothing(runway, tmp_path, capsys):
    project = make_project(tmp_path / "film", ["", "", ""])
    server = runway()
    assert main(["generate", str(project), "--provider", "runway", "--takes", "2", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert server.creates() == 0 and server.requests == []
    assert not (project / ".shotreel").exists() and not (project / "takes").exists()
    assert out.count("provider runway  model gen4_turbo") == 6
    assert "shot sh020  take t002" in out and "start board  boards/sh020.png" in out
    assert "5s (120 frames at 24 fps)" in out and "prompt       Test shot 2, a slow push in" in out
    assert "dry run: 6 takes with runway/gen4_turbo, estimated cost $1.50; nothing was sent" in out


def test_moderation_is_recorded_and_not_retried(runway, tmp_path, capsys):
    project = make_project(tmp_path / "film", ["[scenario:moderation_input]", "[scenario:moderation_submit]", ""])
    server = runway()
    args = ["generate", str(project), "--provider", "runway", "--poll-interval", "0.02"]
    assert main(args) == 1
    out = capsys.readouterr().out
    assert "moderated sh010/t001  moderation_input:" in out and "moderated sh020/t001  moderation_input:" in out
    assert _states(project) == {"sh010/t001": L.MODERATED, "sh020/t001": L.MODERATED, "sh030/t001": L.DONE}
    creates, posts = server.creates(), sum(1 for r in server.requests if r.method == "POST")
    assert main(args) == 1, "a shot skipped as refused is a take not made: the run says so"
    out = capsys.readouterr().out
    assert server.creates() == creates and sum(1 for r in server.requests if r.method == "POST") == posts
    assert "skipped  sh010  sh010/t001 was refused (moderation_input" in out
    assert main(["jobs", str(project)]) == 0
    listing = capsys.readouterr().out
    assert "t001  sh010  runway    gen4_turbo  moderated" in listing
    assert "3 job(s): 1 done, 2 moderated" in listing


def test_retry_after_is_honoured(runway, tmp_path, capsys):
    project = make_project(tmp_path / "film", ["[scenario:rate_limited]"])
    server = runway(retry_after="1")
    started = time.time()
    assert main(["generate", str(project), "--provider", "runway", "--poll-interval", "0.02"]) == 0
    assert server.creates() == 1 and sum(server.attempts.values()) == 2
    assert server.submissions[0].time - started >= 1.0, "the second create waited for Retry-After"
    with Ledger.open(project) as ledger:
        assert ledger.get("sh010", "t001").attempts == 2


def test_a_dropped_submit_is_never_resent_until_the_user_releases_it(runway, tmp_path, capsys):
    project = make_project(tmp_path / "film", ["[scenario:drop]"])
    server = runway()
    args = ["generate", str(project), "--provider", "runway", "--poll-interval", "0.02"]
    assert main(args) == 1
    out = capsys.readouterr().out
    assert "unknown  sh010/t001" in out and f"shotreel jobs {project} --forget sh010/t001" in out
    assert main(args) == 1
    assert server.creates() == 1, "the ambiguous job was not sent again"
    assert main(["jobs", str(project)]) == 0
    assert "unknown_submit" in capsys.readouterr().out
    assert main(["jobs", str(project), "--forget", "sh010/t001"]) == 0
    assert main(["jobs", str(project), "--forget", "sh010/t001"]) == 2
    assert "only unknown_submit jobs can be released" in capsys.readouterr().err
    assert _states(project) == {"sh010/t001": L.CANCELED}


def test_a_missing_key_or_board_is_one_line_and_sends_nothing(runway, tmp_path, capsys, monkeypatch):
    project = make_project(tmp_path / "film", ["", ""])
    server = runway()
    (project / "boards" / "sh020.png").unlink()
    assert main(["generate", str(project), "--provider", "runway"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("shotreel: error: ") and "shotreel.yaml:17: shot sh020: no board image (boards/sh020.png)" in err
    assert "shotreel boards DIR" in err and "\n" not in err
    Image.new("RGB", (1280, 720)).save(project / "boards" / "sh020.png")
    monkeypatch.delenv("RUNWAYML_API_SECRET")
    assert main(["generate", str(project), "--provider", "runway", "--poll-interval", "0.02"]) == 2
    err = capsys.readouterr().err
    assert "RUNWAYML_API_SECRET" in err and server.creates() == 0
    assert main(["generate", str(project), "--provider", "sora"]) == 2
    assert "unknown provider 'sora' (known providers: animatic" in capsys.readouterr().err


def test_the_offline_animatic_is_the_default(tmp_path, capsys):
    project = make_project(tmp_path / "film", ["", ""], duration="12f")
    text = (project / "shotreel.yaml").read_text().replace("resolution: 1280x720", "resolution: 320x180")
    (project / "shotreel.yaml").write_text(text)
    assert main(["generate", str(project)]) == 0
    out = capsys.readouterr().out
    assert "generate: 2 done, 0 failed, 0 unknown, 0 waiting · $0.00 spent" in out
    sidecar = json.loads((project / "takes" / "sh020" / "t001.json").read_text())
    assert sidecar["provider"] == "animatic" and sidecar["probe"]["frames"] == 12
    assert (sidecar["probe"]["width"], sidecar["probe"]["height"]) == (320, 180)
    assert main(["jobs", str(project)]) == 0
    assert "2 job(s): 2 done · $0.00 spent" in capsys.readouterr().out


def test_the_benchmark_runs_small(capsys):
    sys.path.insert(0, str(REPO))
    from benchmarks.bench_generate import main as bench

    assert bench(["--jobs", "24", "--concurrency", "6", "--service", "0.05", "--max-ratio", "100", "--no-baseline",
                  "--runs", "2"]) == 0
    out = capsys.readouterr().out
    assert "takes landed 24/24 (24 distinct clips probed), creates 24, duplicates 0" in out and "ratio" in out


def test_prompt_shows_the_request_for_a_provider(runway, tmp_path, capsys):
    project = make_project(tmp_path / "film", ["x " * 600])
    assert main(["prompt", str(project), "sh010", "--provider", "runway"]) == 0
    out = capsys.readouterr().out
    assert "shot sh010  take t001  provider runway  model gen4_turbo" in out
    prompt = out.split("prompt       ", 1)[1].rstrip("\n")
    assert len(prompt) <= 1000 and prompt.startswith("Test shot 1")
    assert main(["prompt", str(project), "sh999"]) == 2
    assert "no shot 'sh999'" in capsys.readouterr().err


def test_a_create_answered_500_after_runway_made_the_task_is_never_sent_again(runway, tmp_path, capsys):
    # Runway made the task, then answered 500: the take may be paid; it is left for the user, not resent.
    prompts = ["[scenario:error_after_create]"] * 3 + ["fine"]
    project = make_project(tmp_path / "film", prompts)
    server = runway(fail_count=3)
    code = main(["generate", str(project), "--provider", "runway", "--poll-interval", "0.02"])
    out = capsys.readouterr().out
    assert code != 0
    assert server.creates() == 4 and server.duplicates() == {}, "4 takes, 4 paid tasks, none twice"
    states = _states(project)
    assert states == {"sh010/t001": L.UNKNOWN_SUBMIT, "sh020/t001": L.UNKNOWN_SUBMIT,
                      "sh030/t001": L.UNKNOWN_SUBMIT, "sh040/t001": L.DONE}
    assert "HTTP 500" in out and "not sent again" in out
    assert main(["generate", str(project), "--provider", "runway", "--poll-interval", "0.02"]) != 0
    assert server.creates() == 4, "a second run sends none of them again"


def test_a_take_on_disk_with_its_sidecar_is_done_whatever_the_ledger_says(runway, tmp_path, capsys):
    # killed after the take and its sidecar landed but before the ledger said so; the URL has expired since
    project = make_project(tmp_path / "film", ["fine"])
    server = runway()
    assert main(["generate", str(project), "--provider", "runway", "--poll-interval", "0.02"]) == 0
    import sqlite3
    with sqlite3.connect(L.ledger_path(project)) as db:
        db.execute("UPDATE jobs SET state = 'running', cost = NULL, result_path = NULL")
    server.files.clear()  # every result URL now answers 404
    downloads = len(server.file_requests)
    capsys.readouterr()
    assert main(["generate", str(project), "--provider", "runway", "--poll-interval", "0.02"]) == 0
    assert len(server.file_requests) == downloads, "never downloaded again"
    assert _states(project) == {"sh010/t001": L.DONE} and server.creates() == 1
    with Ledger.open(project) as ledger:
        record = ledger.get("sh010", "t001")
        assert record.result_path == "takes/sh010/t001.mp4" and record.cost == 0.25


def test_a_result_url_answering_404_is_retried_recorded_as_paid_and_never_replaced_silently(runway, tmp_path,
                                                                                            capsys):
    project = make_project(tmp_path / "film", ["[scenario:expired]"])
    server = runway(url_ttl=0)
    assert main(["generate", str(project), "--provider", "runway", "--poll-interval", "0.02"]) != 0
    out = capsys.readouterr().out
    assert len(server.file_requests) >= 5, "the download was tried again, each time with a fresh link"
    assert "paid, but the result is lost" in out and "--new" in out and "$0.25 spent" in out
    with Ledger.open(project) as ledger:
        record = ledger.get("sh010", "t001")
        assert (record.state, record.failure_kind, record.cost) == (L.FAILED, "expired", 0.25)
    assert main(["generate", str(project), "--provider", "runway", "--poll-interval", "0.02"]) != 0
    assert server.creates() == 1, "no new paid take without --new"
    assert "add --new to pay for a new take" in capsys.readouterr().out
    main(["generate", str(project), "--provider", "runway", "--poll-interval", "0.02", "--new"])
    assert server.creates() == 2


def test_an_unknown_submit_says_what_to_look_for_and_a_found_job_is_attached_and_fetched(runway, tmp_path,
                                                                                        capsys):
    project = make_project(tmp_path / "film", ["A quiet corridor [scenario:drop]"])
    server = runway()
    assert main(["generate", str(project), "--provider", "runway", "--poll-interval", "0.02"]) != 0
    out = capsys.readouterr().out
    assert "look on runway's dashboard for a gen4_turbo job made between" in out
    assert "A quiet corridor" in out and f"shotreel jobs {project} --attach sh010/t001 JOB_ID" in out
    assert main(["jobs", str(project)]) == 0
    assert "--attach sh010/t001 JOB_ID" in capsys.readouterr().out
    job_id = server.submissions[0].job_id
    assert main(["jobs", str(project), "--attach", "sh010/t001", job_id]) == 0
    assert "done     sh010/t001" in capsys.readouterr().out
    assert (project / "takes" / "sh010" / "t001.mp4").is_file() and server.creates() == 1
    assert _states(project) == {"sh010/t001": L.DONE}


def test_a_missing_or_non_executable_ffmpeg_says_what_is_missing_and_leaves_nothing_unknown(tmp_path):
    project = make_project(tmp_path / "film", ["fine", "fine too"])
    fake = tmp_path / "ffmpeg"
    fake.write_text("not a program")  # there, but not executable
    env = {**os.environ, "PYTHONPATH": str(REPO), "IMAGEIO_FFMPEG_EXE": str(fake)}
    done = subprocess.run([sys.executable, "-m", "shotreel.cli", "generate", str(project)], env=env,
                          check=False, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    said = done.stdout + done.stderr
    assert "animatic could not start the take: ffmpeg could not start" in said and str(fake) in said
    assert "unknown_submit" not in said and "dashboard" not in said
    assert set(_states(project).values()) == {L.PENDING}, "nothing to reconcile: the next run renders them"
