"""The Runway client against the fake Runway server: happy path, every failure typed, no double pay."""

from __future__ import annotations

import pytest
from shotreel.generation.base import (
    AmbiguousSubmit,
    BadRequest,
    JobState,
    OutOfCredit,
    RetryLater,
    Unreachable,
)
from shotreel.generation.providers import runway

from tests.servers import fake_server  # noqa: F401  (fixture)
from tests.servers import runway as fake
from tests.servers.client import assert_clean, board, expect, frames_and_fps, request, run, wait


@pytest.fixture
def server(fake_server):  # noqa: F811
    return fake_server("runway", service_time=0.05)


@pytest.fixture
def provider(server):
    client = runway.create(base_url=server.url, api_key=server.api_key, poll_interval=0.01)
    yield client
    client.close()


@pytest.fixture
def start(tmp_path):
    return board(tmp_path / "boards" / "sh010.png")


def test_happy_path_writes_a_playable_mp4_and_pays_once(provider, server, start, tmp_path):
    states: list[str] = []
    handle = provider.submit(request(start, prompt="A greenhouse at dawn [scenario:throttled]"))
    status = wait(provider, handle, states=states)
    assert states == ["THROTTLED", "RUNNING", "SUCCEEDED"]
    assert status.state is JobState.SUCCEEDED
    out = provider.fetch(handle, status, tmp_path / "takes" / "sh010" / "t1.mp4")
    assert frames_and_fps(out) == (121, 24.0, (1280, 720))
    assert [p.name for p in out.parent.iterdir()] == ["t1.mp4"]  # no temporary left beside it
    assert server.creates() == 1
    sent = server.submissions[0]
    create = next(r for r in server.requests if r.method == "POST")
    assert create.headers["X-Runway-Version"] == "2024-11-06"
    body = server.jobs[sent.job_id].body
    assert body["model"] == "gen4_turbo" and body["ratio"] == "1280:720" and body["duration"] == 5
    assert body["promptImage"].startswith("data:image/png;base64,") and body["seed"] == 7
    assert all("Authorization" not in r.headers for r in server.file_requests)  # key never sent to the CDN
    assert_clean(provider, handle.data)


def test_queued_jobs_wait_throttled_for_a_slot(fake_server, start):  # noqa: F811
    server = fake_server("runway", service_time=0.15, max_concurrent=1)
    client = runway.create(base_url=server.url, api_key=server.api_key, poll_interval=0.01)
    first = client.submit(request(start, take="a", prompt="one"))
    second = client.submit(request(start, take="b", prompt="two"))
    assert client.poll(second).state is JobState.QUEUED
    assert client.poll(second).raw_status == "THROTTLED"
    assert wait(client, first).state is JobState.SUCCEEDED
    assert wait(client, second).state is JobState.SUCCEEDED


def test_dropped_connection_after_create_is_ambiguous_and_the_job_exists(provider, server, start):
    error = expect(AmbiguousSubmit, provider.submit, request(start, prompt="x [scenario:drop]"))
    assert "may exist" in str(error)
    assert server.creates() == 1  # the provider has it; resubmitting would pay twice
    assert provider.find_by_client_id("sh010-t1") is None  # Runway has no client id to look it up


def test_read_timeout_after_create_is_ambiguous(fake_server, start):  # noqa: F811
    server = fake_server("runway", hang_time=0.6)
    client = runway.create(base_url=server.url, api_key=server.api_key, timeout=(2.0, 0.2))
    expect(AmbiguousSubmit, client.submit, request(start, prompt="x [scenario:hang]"))
    assert server.creates() == 1


def test_nothing_listening_is_retry_later_not_ambiguous(start):
    client = runway.create(base_url="http://127.0.0.1:9", api_key="key_x" * 10)
    error = expect(Unreachable, client.submit, request(start))  # a RetryLater: nothing was sent
    assert isinstance(error, RetryLater) and "cannot reach http://127.0.0.1:9 (connection refused)" in str(error)


def test_internal_failure_may_be_generated_again(provider, start):
    status = wait(provider, provider.submit(request(start, prompt="x [scenario:failed]")))
    assert isinstance(status.failure, RetryLater) and "INTERNAL" in str(status.failure)


def test_daily_quota_429_without_retry_after_stops_submitting(provider, server, start):
    error = expect(OutOfCredit, provider.submit, request(start, prompt="x [scenario:quota]"))
    assert "quota" in str(error) and server.creates() == 0


def test_expired_url_is_requeried_once(provider, start, tmp_path):
    handle = provider.submit(request(start, prompt="x [scenario:expire_once]"))
    out = provider.fetch(handle, wait(provider, handle), tmp_path / "t.mp4")
    assert out.stat().st_size > 0


def test_env_base_url_is_honoured(server, start, monkeypatch):
    monkeypatch.setenv("SHOTREEL_RUNWAY_BASE_URL", server.url)
    client = runway.create(api_key=server.api_key, poll_interval=0.01)
    assert wait(client, client.submit(request(start))).state is JobState.SUCCEEDED


def test_validate_refuses_before_spending(provider, server, start, tmp_path):
    too_long = request(start, frames=12 * 24)
    error = expect(BadRequest, provider.validate, too_long)
    assert "12 s" in str(error) and "5 or 10 s" in str(error)
    expect(BadRequest, provider.submit, too_long)
    expect(BadRequest, provider.validate, request(start, duration_s=7))
    expect(BadRequest, provider.validate, request(start, end=start))  # gen4_turbo has no end frame
    expect(BadRequest, provider.validate, request(board(tmp_path / "wide.png", 1500, 500)))  # aspect 3.0
    expect(BadRequest, provider.validate, request(start, width=2000, height=500))  # no such ratio
    expect(BadRequest, provider.validate, request(board(tmp_path / "b.gif", 640, 360)))  # GIF
    expect(BadRequest, provider.validate, request(tmp_path / "missing.png"))
    expect(BadRequest, provider.validate, request(start, prompt="x" * 1001))
    expect(BadRequest, provider.validate, request(start, model="gen5"))
    assert server.creates() == 0 and server.requests == []


def test_end_frame_on_veo(provider, server, start, tmp_path):
    end = board(tmp_path / "end.jpg", 1280, 720)
    status, _ = run(provider, request(start, end=end, model="veo3.1", seed=None), tmp_path / "t.mp4")
    body = server.jobs[server.submissions[0].job_id].body
    assert [i["position"] for i in body["promptImage"]] == ["first", "last"] and body["duration"] == 4
    assert status.state is JobState.SUCCEEDED


def test_cancel(fake_server, start):  # noqa: F811
    server = fake_server("runway", service_time=5)
    client = runway.create(base_url=server.url, api_key=server.api_key, poll_interval=0.01)
    handle = client.submit(request(start))
    client.cancel(handle)
    assert client.poll(handle).state is JobState.CANCELED


def test_capabilities_and_cost(provider, start):
    caps = provider.capabilities("gen4.5")
    assert caps.durations_s == tuple(float(s) for s in range(2, 11)) and not caps.supports_end_frame
    assert provider.capabilities("veo3.1").supports_end_frame
    assert provider.estimate_cost(request(start)) == pytest.approx(0.25)  # 4 s → a 5 s gen4_turbo clip
    assert provider.estimate_cost(request(start, model="gen4.5")) == pytest.approx(0.48)


def test_unknown_option_is_refused():
    assert "unknown provider option 'poll'" in str(expect(BadRequest, runway.create, poll=1))


def test_fake_server_saw_no_bug(server):
    assert fake.VERSION == "2024-11-06" and server.errors == []


def test_server_in_a_child_process_counts_the_same(start, tmp_path):
    from tests.servers import start_server

    with start_server("runway", process=True, max_concurrent=2, size=(320, 180), frames=24) as remote:
        client = runway.create(base_url=remote.url, api_key=remote.api_key, poll_interval=0.01)
        run(client, request(start, prompt="x [scenario:throttled]"), tmp_path / "t.mp4")
        assert remote.creates() == 1 and remote.duplicates() == {} and remote.errors == []
        assert remote.state()["jobs"][0]["phase"] == "done"


def test_a_30_fps_1104x832_clip_of_121_frames_arrives_as_made(provider, start, tmp_path):
    prompt = "pan [fps:30] [frames:121] [size:1104x832]"
    _, out = run(provider, request(start, prompt=prompt, width=1104, height=832), tmp_path / "t.mp4")
    assert frames_and_fps(out) == (121, 30.0, (1104, 832))
    assert provider.poll_interval == 0.01
