"""The Luma client: keyframes, aspect and duration mapping, callbacks delivered twice and out of order."""

from __future__ import annotations

import pytest
from shotreel.generation.base import BadRequest, JobState

from tests.servers import WebhookReceiver, fake_server  # noqa: F401  (fixture)
from tests.servers.client import board, connect, expect, request, run, wait


@pytest.fixture
def server(fake_server):  # noqa: F811
    return fake_server("luma")


@pytest.fixture
def start(tmp_path):
    return board(tmp_path / "sh010.png", 1280, 536)


def test_keyframes_aspect_and_duration(server, start, tmp_path):
    client = connect("luma", server, resolution="1080p")
    end = board(tmp_path / "end.jpg", 1280, 536)
    status, _ = run(
        client,
        request(start, provider="luma", end=end, width=2048, height=858, frames=7 * 24),
        tmp_path / "t.mp4",
    )
    echoed = status.raw["request"]["keyframes"]["frame0"]["url"]  # the board is not kept in the raw payload
    assert echoed.startswith("data:image/png;base64,…") and len(echoed) < 120
    body = server.jobs[server.submissions[0].job_id].body
    assert body["aspect_ratio"] == "21:9" and body["duration"] == "9s" and body["resolution"] == "1080p"
    assert body["keyframes"]["frame0"]["type"] == "image"
    assert body["keyframes"]["frame1"]["url"].startswith("data:image/jpeg;base64,")
    assert server.requests[0].path == "/luma/dream-machine/v1/generations"


def test_text_only_generation_and_price_by_resolution(server, tmp_path):
    client = connect("luma", server)
    run(client, request(None, provider="luma"), tmp_path / "t.mp4")
    assert "keyframes" not in server.jobs[server.submissions[0].job_id].body
    assert client.estimate_cost(request(None, provider="luma")) == pytest.approx(0.4)
    assert connect("luma", server, resolution="1080p").estimate_cost(
        request(None, provider="luma")
    ) == pytest.approx(0.9)
    assert "resolution" in str(expect(BadRequest, connect, "luma", server, resolution="8k"))


def test_cancel_is_canceled(fake_server, start):  # noqa: F811
    server = fake_server("luma", service_time=5)
    client = connect("luma", server)
    handle = client.submit(request(start, provider="luma"))
    client.cancel(handle)
    assert client.poll(handle).state is JobState.CANCELED


def test_callbacks_twice_then_a_stale_one(server, start):
    with WebhookReceiver() as hooks:
        client = connect("luma", server, callback_url=hooks.url)
        handle = client.submit(request(start, provider="luma", prompt="x [scenario:dup_webhook]"))
        got = hooks.wait(3)
    parsed = [client.parse_webhook(headers, body) for headers, body in got]
    assert [p.job_id for p in parsed] == [handle.job_id] * 3
    assert parsed[0].delivery == parsed[1].delivery != parsed[2].delivery
    assert [p.status.state for p in parsed] == [JobState.SUCCEEDED, JobState.SUCCEEDED, JobState.RUNNING]
    assert wait(client, handle).state is JobState.SUCCEEDED  # unsigned hints: the poll is the truth


def test_aspect_outside_lumas_ratios_is_refused(server, start):
    client = connect("luma", server)
    expect(BadRequest, client.validate, request(start, provider="luma", width=3000, height=1000))
