"""Client ids: every job gets its own (a UUID recorded in the ledger before the submit), never the take id.

Two shots both generate their ``t001``. On ComfyUI (``prompt_id``) and Kling (``external_task_id``) the
take id alone would make the two jobs collide; with the scheduler's client ids both are paid once, both
land, and a create whose answer was lost is found again by its own client id — not by the other shot's.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image
from shotreel.generation import ledger as L
from shotreel.generation.ledger import Ledger
from shotreel.generation.scheduler import generate
from shotreel.project import load_project

from tests.servers import fake_server  # noqa: F401  (pytest fixture)
from tests.servers.client import connect

WORKFLOW = {
    "1": {"class_type": "LoadImage", "inputs": {"image": "{{image}}"}},
    "2": {"class_type": "CLIPTextEncode", "inputs": {"text": "{{prompt}}"}},
    "3": {"class_type": "WanImageToVideo", "inputs": {"width": "{{width}}", "height": "{{height}}",
                                                      "length": "{{frames}}", "start_image": ["1", 0]}},
    "4": {"class_type": "KSampler", "inputs": {"seed": "{{seed}}", "steps": 4}},
    "5": {"class_type": "CreateVideo", "inputs": {"fps": "{{fps}}", "images": ["4", 0]}},
    "6": {"class_type": "SaveVideo",
          "inputs": {"filename_prefix": "shotreel/{{shot}}_{{take}}", "video": ["5", 0]}},
}


def _project(folder: Path, prompts: list[str]) -> Path:
    """Shots sh010, sh020 … of 5 s with a board of a different colour each."""
    shots = "\n".join(
        f"      - id: sh{(i + 1) * 10:03d}\n        beat: b1\n        duration: 5s\n"
        f"        action: Shot {i + 1}.\n        prompt: {json.dumps(prompt)}"
        for i, prompt in enumerate(prompts))
    folder.mkdir(parents=True)
    (folder / "shotreel.yaml").write_text(
        "title: Client ids\nfps: 24\nresolution: 1280x720\nbeats:\n  - id: b1\n"
        f"scenes:\n  - id: sc01\n    heading: INT. TEST - DAY\n    shots:\n{shots}\n", encoding="utf-8")
    (folder / "boards").mkdir()
    for i in range(len(prompts)):
        Image.new("RGB", (1280, 720), (60 * i, 90, 140)).save(folder / "boards" / f"sh{(i + 1) * 10:03d}.png")
    return folder


def _client(dialect: str, server, tmp_path: Path):
    if dialect == "comfyui":
        (tmp_path / "wf.json").write_text(json.dumps(WORKFLOW))
        return connect("comfyui", server, workflow=str(tmp_path / "wf.json"), max_concurrency=2)
    return connect("kling", server, model="kling-v2-1", max_concurrency=2)


def _ledger(project: Path) -> dict[str, L.JobRecord]:
    with Ledger.open(project) as ledger:
        return {r.shot: r for r in ledger.jobs()}


@pytest.mark.parametrize("dialect", ["comfyui", "kling"])
def test_two_shots_t001_get_distinct_client_ids_and_both_land(fake_server, tmp_path, dialect):  # noqa: F811
    server = fake_server(dialect, service_time=0.05)
    project = _project(tmp_path / "film", ["A slow push in.", "A slow pan."])
    summary = generate(load_project(project), provider=_client(dialect, server, tmp_path))
    assert summary.ok and sorted(o.key for o in summary.done) == ["sh010/t001", "sh020/t001"]
    records = _ledger(project)
    ids = {shot: r.client_id for shot, r in records.items()}
    assert len(set(ids.values())) == 2 and "t001" not in ids.values()
    assert sorted(s.take for s in server.submissions) == sorted(ids.values())  # what was sent: the client ids
    assert server.duplicates() == {} and server.creates() == 2
    for shot in ("sh010", "sh020"):
        assert (project / "takes" / shot / "t001.mp4").is_file()
        job = server.jobs[records[shot].job_id]
        assert f"Shot {shot[3]}" in job.prompt or shot in json.dumps(job.body), "each job is its own shot's"
    if dialect == "comfyui":  # each job loads its own board, not the one the other shot uploaded last
        images = {server.jobs[r.job_id].body["prompt"]["1"]["inputs"]["image"] for r in records.values()}
        assert len(images) == 2


@pytest.mark.parametrize("dialect", ["comfyui", "kling"])
def test_a_lost_create_answer_is_found_by_its_own_client_id(fake_server, tmp_path, dialect):  # noqa: F811
    server = fake_server(dialect, service_time=0.05)
    # sh010's create is accepted and the connection dropped; sh020's goes through (both t001).
    project = _project(tmp_path / "film", ["A push in [scenario:drop].", "A pan."])
    summary = generate(load_project(project), provider=_client(dialect, server, tmp_path))
    assert summary.ok and sorted(o.key for o in summary.done) == ["sh010/t001", "sh020/t001"]
    assert server.creates() == 2 and server.duplicates() == {}, "the dropped create was adopted, not resent"
    records = _ledger(project)
    dropped = next(s for s in server.submissions if "drop" in s.scenario)
    assert records["sh010"].job_id == dropped.job_id and records["sh010"].client_id == dropped.take
    assert records["sh020"].job_id != dropped.job_id
    with Ledger.open(project) as ledger:
        assert "found by client id" in " ".join(d or "" for _, _, d in ledger.events("sh010", "t001"))


@pytest.mark.parametrize("dialect", ["comfyui", "kling"])
def test_a_create_answered_500_is_adopted_if_made_else_sent_again(fake_server, tmp_path, dialect):  # noqa: F811
    server = fake_server(dialect, service_time=0.05)
    # sh010: made, then answered 500 (adopted by client id); sh020 (Kling): refused with a 5xx before it was
    # made — Kling says it has no task with that client id, so it is sent again, once.
    prompts = ["A push in [scenario:error_after_create].",
               "A pan [scenario:server_error]." if dialect == "kling" else "A pan."]
    project = _project(tmp_path / "film", prompts)
    summary = generate(load_project(project), provider=_client(dialect, server, tmp_path))
    assert summary.ok and sorted(o.key for o in summary.done) == ["sh010/t001", "sh020/t001"]
    assert server.creates() == 2 and server.duplicates() == {}, "each take paid once"
    with Ledger.open(project) as ledger:
        assert "found by client id" in " ".join(d or "" for _, _, d in ledger.events("sh010", "t001"))


@pytest.mark.parametrize("dialect", ["luma", "replicate"])
def test_a_lost_create_answer_is_found_among_the_recent_jobs_where_the_provider_lists_them(
        fake_server, tmp_path, dialect):  # noqa: F811
    server = fake_server(dialect, service_time=0.05)
    project = _project(tmp_path / "film", ["A push in [scenario:drop].", "A pan."])
    summary = generate(load_project(project), provider=connect(dialect, server, max_concurrency=2))
    assert summary.ok and sorted(o.key for o in summary.done) == ["sh010/t001", "sh020/t001"]
    assert server.creates() == 2 and server.duplicates() == {}, "the dropped create was adopted, not resent"
    dropped = next(s for s in server.submissions if "drop" in s.scenario)
    assert _ledger(project)["sh010"].job_id == dropped.job_id


def test_a_refused_workflow_once_fixed_is_sent_and_a_refusal_can_be_released(fake_server, tmp_path):  # noqa: F811
    server = fake_server("comfyui", service_time=0.05)
    project = _project(tmp_path / "film", ["A push in."])
    broken = dict(WORKFLOW, **{"3": {"class_type": "WanImageToVideoTypo", "inputs": {"start_image": ["1", 0]}}})
    path = tmp_path / "wf.json"
    path.write_text(json.dumps(broken))
    client = connect("comfyui", server, workflow=str(path))
    summary = generate(load_project(project), provider=client)
    assert not summary.ok and "WanImageToVideoTypo" in summary.failed[0].message and server.creates() == 0
    path.write_text(json.dumps(WORKFLOW))  # fixed: the workflow is part of what was refused
    summary = generate(load_project(project), provider=connect("comfyui", server, workflow=str(path)))
    assert summary.ok and [o.key for o in summary.done] == ["sh010/t002"] and server.creates() == 1
    # the same refusal, released deliberately: asked again unchanged
    other = _project(tmp_path / "film2", ["A pan."])
    path.write_text(json.dumps(broken))
    assert not generate(load_project(other), provider=connect("comfyui", server, workflow=str(path))).ok
    assert generate(load_project(other), provider=connect("comfyui", server, workflow=str(path))).skipped
    with Ledger.open(other) as ledger:
        ledger.release("sh010/t001")
    again = generate(load_project(other), provider=connect("comfyui", server, workflow=str(path)))
    assert not again.skipped and [o.key for o in again.failed] == ["sh010/t002"], "asked again, refused again"


def test_a_comfyui_server_that_is_not_there_is_said_at_once_in_one_line_with_the_fix(tmp_path):
    import socket
    import subprocess
    import sys
    import time

    project = _project(tmp_path / "film", ["A push in.", "A pan.", "A tilt."])
    (tmp_path / "wf.json").write_text(json.dumps(WORKFLOW))
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    repo = Path(__file__).resolve().parents[1]
    env = {**__import__("os").environ, "PYTHONPATH": str(repo),
           "SHOTREEL_COMFYUI_BASE_URL": f"http://127.0.0.1:{port}"}
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "shotreel.cli", "generate", str(project), "--provider", "comfyui",
                           "--workflow", str(tmp_path / "wf.json")], env=env, capture_output=True, text=True,
                          timeout=60, check=False)
    assert time.monotonic() - started < 5, "said within 5 s, not after minutes of retries"
    assert done.returncode != 0
    said = [line for line in (done.stdout + done.stderr).splitlines() if "cannot reach" in line]
    assert said and f"cannot reach http://127.0.0.1:{port} (connection refused)" in said[-1]
    assert "is ComfyUI running?" in said[-1]
    with Ledger.open(project) as ledger:
        records = ledger.jobs()
    assert {r.state for r in records} == {L.PENDING}, "nothing was sent; every job waits for the next run"
    assert any(r.failure_message and "cannot reach" in r.failure_message for r in records)
    listing = subprocess.run([sys.executable, "-m", "shotreel.cli", "jobs", str(project)], env=env,
                             capture_output=True, text=True, timeout=60, check=False).stdout
    assert "unreachable: comfyui: cannot reach" in listing


def test_the_last_error_of_a_retrying_job_shows_in_the_progress_line_on_its_own_job(fake_server, tmp_path):  # noqa: F811
    server = fake_server("kling", service_time=0.05, retry_after="0.3")
    project = _project(tmp_path / "film", ["A push in [scenario:rate_limited].", "A pan."])
    lines: list[str] = []
    summary = generate(load_project(project), provider=_client("kling", server, tmp_path),
                       progress=lambda done, total, message: lines.append(message))
    assert summary.ok
    errors = [line for line in lines if "1302" in line]
    assert errors and all("sh010/t001: retrying: " in line for line in errors)
    assert not any("sh020/t001:" in line for line in lines), "one job's error is never on another job's line"
    assert "1302" not in lines[-1], "cleared once the job went through"


def test_a_seed_the_workflow_never_received_is_not_recorded_as_the_takes_seed(fake_server, tmp_path):  # noqa: F811
    server = fake_server("comfyui", service_time=0.05)
    project = _project(tmp_path / "film", ["A push in."])
    unseeded = dict(WORKFLOW, **{"4": {"class_type": "KSampler", "inputs": {"seed": 7, "steps": 4}}})
    (tmp_path / "wf.json").write_text(json.dumps(unseeded))
    summary = generate(load_project(project), provider=connect("comfyui", server, workflow=str(tmp_path / "wf.json")),
                       seed=1234)
    assert summary.ok
    sidecar = json.loads((project / "takes" / "sh010" / "t001.json").read_text())
    assert sidecar["seed"] is None
