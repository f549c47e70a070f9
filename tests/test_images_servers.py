"""Jobs spread over several ComfyUI servers (``--comfyui URL,URL``, ``servers=[…]``), against local ComfyUI
test servers: each server runs its own number of jobs, the ledger records which server holds which job (a
run after a crash polls it there), a server killed mid-run fails its jobs over to another without any job
queued twice, and a server that cannot be reached is named in one line within 5 s while the others carry on.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from pathlib import Path

import pytest
from PIL import Image
from shotreel.cli import main
from shotreel.errors import ShotreelError
from shotreel.generation import ledger as L
from shotreel.generation.base import IMAGE, GenerationRequest
from shotreel.generation.images import ImageJob, generate_images
from shotreel.generation.ledger import Ledger
from shotreel.generation.registry import get_provider
from shotreel.generation.scheduler import provider_for
from shotreel.generation.servers import parse_servers
from shotreel.project import load_project

from tests.servers import fake_server, start_server  # noqa: F401  (pytest fixture)
from tests.test_generate_cli import make_project
from tests.test_providers_comfyui import WORKFLOW


@pytest.fixture
def film(example_dir: Path):
    return load_project(example_dir)


def _jobs(film, count: int, prompt: str = "Mara in the corridor") -> list[ImageJob]:
    jobs = []
    for n in range(count):
        request = GenerationRequest(take_id=f"c{n + 1:03d}", shot_id="sh040", provider="", model="",
                                    prompt=f"{prompt} {n}", duration_frames=0, fps=film.fps, width=320,
                                    height=180, seed=n, kind=IMAGE)
        jobs.append(ImageJob(request, f"boards/candidates/sh040/c{n + 1:03d}"))
    return jobs


def _rows(film) -> list[L.JobRecord]:
    with Ledger.open(film.root) as ledger:
        return ledger.jobs()


def _dead_url() -> str:
    """The address of a port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/comfy"


def _assert_landed(film, count: int) -> None:
    folder = film.root / "boards" / "candidates" / "sh040"
    for n in range(count):
        with Image.open(folder / f"c{n + 1:03d}.png") as image:
            assert image.size == (320, 180)
        assert json.loads((folder / f"c{n + 1:03d}.json").read_text())["provider"] == "comfyui"


def test_jobs_are_spread_over_the_servers_each_with_its_own_concurrency(film, fake_server):  # noqa: F811
    a = fake_server("comfyui", max_concurrent=2, service_time=0.1)
    b = fake_server("comfyui", max_concurrent=2, service_time=0.1)
    summary = generate_images(film, _jobs(film, 12), provider="comfyui", options={"poll_interval": 0.02},
                              servers=[a.url, b.url], concurrency=2)
    assert summary.ok and len(summary.done) == 12
    _assert_landed(film, 12)
    rows = _rows(film)
    assert {r.state for r in rows} == {L.DONE}
    on = {url: [r for r in rows if r.server == url] for url in (a.url, b.url)}
    assert len(on[a.url]) + len(on[b.url]) == 12 and min(len(on[a.url]), len(on[b.url])) >= 4
    for url, server in ((a.url, a), (b.url, b)):
        assert server.duplicates() == {}
        assert all(server.paid(r.client_id) == 1 for r in on[url]), "each job queued once, on its own server"


def test_a_server_killed_mid_run_fails_its_jobs_over_without_queueing_any_twice(film, fake_server):  # noqa: F811
    a = start_server("comfyui", process=True, max_concurrent=2, service_time=0.6)
    b = fake_server("comfyui", max_concurrent=2, service_time=0.1)
    told: list[tuple[float, str]] = []
    provider = provider_for("comfyui", {"poll_interval": 0.02}, [a.url, b.url], concurrency=2)
    provider.on_down = lambda url, message: told.append((time.monotonic(), url))
    on_a_before: list[str] = []

    def kill() -> None:
        on_a_before.extend(s.take for s in a.submissions)
        a._proc.kill()  # SIGKILL: the machine is gone
        a._proc.wait()
        killed_at.append(time.monotonic())

    killed_at: list[float] = []
    timer = threading.Timer(0.3, kill)
    timer.start()
    try:
        summary = generate_images(film, _jobs(film, 10), provider=provider)
    finally:
        timer.join()
        a.stop()
    assert summary.ok, (summary.failed, summary.waiting, summary.unknown)
    _assert_landed(film, 10)
    assert on_a_before, "the killed server had jobs"
    assert list(summary.servers_down) == [a.url] and "cannot reach" in summary.servers_down[a.url]
    assert told and told[0][1] == a.url and told[0][0] - killed_at[0] < 5.0
    rows = _rows(film)
    assert {r.state for r in rows} == {L.DONE} and {r.server for r in rows} == {b.url}
    assert b.duplicates() == {} and all(b.paid(r.client_id) == 1 for r in rows)
    moved = []
    with Ledger.open(film.root) as ledger:
        for row in rows:
            details = [d or "" for _, _, d in ledger.events(row.shot, row.take)]
            if any("went away" in d for d in details):
                moved.append(row)
    # every job the dead server had was sent again under a new client id, recorded; none queued twice
    assert len(moved) == len(on_a_before)
    assert not {r.client_id for r in moved} & set(on_a_before)


def test_a_crash_resumes_polling_each_job_on_its_own_server(film, fake_server):  # noqa: F811
    a = fake_server("comfyui", max_concurrent=2, service_time=0.5)
    b = fake_server("comfyui", max_concurrent=2, service_time=0.5)
    stop = threading.Event()

    def stop_when_both_have_jobs(done, total, line):
        if a.creates() >= 2 and b.creates() >= 2:
            stop.set()

    first = generate_images(film, _jobs(film, 8), provider="comfyui", options={"poll_interval": 0.02},
                            servers=[a.url, b.url], concurrency=2, stop=stop, progress=stop_when_both_have_jobs)
    assert first.stopped
    at_servers = {r.key: r.server for r in _rows(film) if r.state in L.AT_PROVIDER}
    assert set(at_servers.values()) == {a.url, b.url}
    # the next run is given the servers the other way round: each job is still followed where it was queued
    second = generate_images(film, _jobs(film, 8), provider="comfyui", options={"poll_interval": 0.02},
                             servers=[b.url, a.url], concurrency=2)
    assert second.ok
    _assert_landed(film, 8)
    rows = {r.key: r for r in _rows(film)}
    for key, url in at_servers.items():
        assert rows[key].server == url and rows[key].state == L.DONE
    for server in (a, b):
        assert server.duplicates() == {}
    assert a.creates() + b.creates() == 8, "every job queued once"


def test_a_job_left_on_a_server_is_polled_there_by_a_run_without_the_list(film, fake_server):  # noqa: F811
    a = fake_server("comfyui", max_concurrent=1, service_time=0.4)
    b = fake_server("comfyui", max_concurrent=1, service_time=0.4)
    stop = threading.Event()
    first = generate_images(film, _jobs(film, 2), provider="comfyui", options={"poll_interval": 0.02},
                            servers=[a.url, b.url], concurrency=1, stop=stop,
                            progress=lambda *_: stop.set() if a.creates() and b.creates() else None)
    assert first.stopped
    second = generate_images(film, _jobs(film, 2), provider=get_provider("comfyui", base_url=b.url,
                                                                          poll_interval=0.02))
    assert second.ok and a.creates() == 1 and b.creates() == 1
    _assert_landed(film, 2)


def test_an_unreachable_server_is_named_at_once_and_the_others_carry_on(film, fake_server):  # noqa: F811
    live = fake_server("comfyui", max_concurrent=2, service_time=0.05)
    dead = _dead_url()
    provider = provider_for("comfyui", {"poll_interval": 0.02}, [dead, live.url], concurrency=2)
    told: list[float] = []
    provider.on_down = lambda url, message: told.append(time.monotonic())
    started = time.monotonic()
    summary = generate_images(film, _jobs(film, 6), provider=provider)
    assert summary.ok and list(summary.servers_down) == [dead]
    assert told and told[0] - started < 5.0
    message = summary.servers_down[dead]
    assert "\n" not in message and dead.rsplit("/", 1)[0] in message and "connection refused" in message
    assert {r.server for r in _rows(film)} == {live.url} and live.creates() == 6


def test_generate_takes_over_two_servers_from_the_command_line(fake_server, tmp_path, capsys):  # noqa: F811
    live = fake_server("comfyui", max_concurrent=2, service_time=0.05)
    dead = _dead_url()
    project = make_project(tmp_path / "film", ["a slow push in"] * 4)
    workflow = tmp_path / "wan.json"
    workflow.write_text(json.dumps(WORKFLOW))
    code = main(["generate", str(project), "--comfyui", f"{dead},{live.url}", "--workflow", str(workflow),
                 "--concurrency", "2", "--poll-interval", "0.02"])
    captured = capsys.readouterr()
    assert code == 0, captured.out + captured.err
    errors = [line for line in captured.err.splitlines() if line.startswith("error: server")]
    assert len(errors) == 1 and dead in errors[0] and "its jobs go to the other servers" in errors[0]
    assert "generate: 4 done" in captured.out
    assert live.creates() == 4 and live.duplicates() == {}
    assert main(["jobs", str(project)]) == 0
    assert f"on {live.url}" in capsys.readouterr().out


def test_a_bad_server_list_is_one_line(tmp_path, capsys):
    with pytest.raises(ShotreelError, match="'gpu-1:8188' is not an address like http://gpu-1:8188"):
        parse_servers("gpu-1:8188,http://gpu-2:8188")
    assert parse_servers("http://a:1/, http://a:1,http://b:2") == ["http://a:1", "http://b:2"]
    with pytest.raises(ShotreelError, match="runway does not run on servers of your own"):
        provider_for("runway", {}, ["http://a:1"])
    project = make_project(tmp_path / "film", ["x"])
    assert main(["generate", str(project), "--provider", "runway", "--comfyui", "http://a:1"]) == 2
    assert capsys.readouterr().err.strip() == ("shotreel: error: --comfyui runs the jobs on ComfyUI servers; it "
                                               "cannot go with --provider runway")
    assert main(["generate", str(project), "--comfyui", "gpu-1"]) == 2
    assert "server 'gpu-1' is not an address" in capsys.readouterr().err
    assert not (project / ".shotreel" / "ledger.sqlite").exists()


def test_a_take_run_finishes_a_still_left_at_the_server_where_its_ledger_row_says(fake_server, tmp_path):  # noqa: F811
    server = fake_server("comfyui", max_concurrent=1, service_time=0.4)
    other = fake_server("comfyui", max_concurrent=1, service_time=0.05)
    project = make_project(tmp_path / "film", ["a slow push in"])
    film = load_project(project)
    stop = threading.Event()
    first = generate_images(film, _jobs(film, 1), provider=get_provider("comfyui", base_url=server.url,
                                                                        poll_interval=0.02),
                            stop=stop, progress=lambda *_: stop.set() if server.creates() else None)
    assert first.stopped and not (project / "boards" / "candidates").exists()
    workflow = tmp_path / "wan.json"
    workflow.write_text(json.dumps(WORKFLOW))
    # the take goes to another server; the still is followed where it was queued and lands at its destination
    takes = main(["generate", str(project), "--comfyui", other.url, "--workflow", str(workflow),
                  "--poll-interval", "0.02"])
    assert takes == 0
    assert (project / "takes" / "sh010" / "t001.mp4").is_file()
    with Image.open(project / "boards" / "candidates" / "sh040" / "c001.png") as image:  # sh040: _jobs owner
        assert image.size == (320, 180)
    assert server.creates() == 1 and other.creates() == 1 and server.duplicates() == {}
