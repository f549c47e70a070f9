"""The Replicate client: model inputs, removed outputs, signed webhooks delivered twice."""

from __future__ import annotations

import pytest
from shotreel.generation.base import BadRequest, JobState, ResultExpired

from tests.servers import WebhookReceiver, fake_server  # noqa: F401  (fixture)
from tests.servers import replicate as fake
from tests.servers.client import board, connect, expect, request, run, wait


@pytest.fixture
def server(fake_server):  # noqa: F811
    return fake_server("replicate")


@pytest.fixture
def start(tmp_path):
    return board(tmp_path / "sh010.png")


def test_official_model_route_and_inputs(server, start, tmp_path):
    client = connect("replicate", server)
    end = board(tmp_path / "end.png")
    status, _ = run(
        client, request(start, provider="replicate", end=end, negative="text"), tmp_path / "t.mp4"
    )
    assert len(status.raw["input"]["start_image"]) < 120  # echoed boards shortened in the raw payload
    create = next(r for r in server.requests if r.method == "POST")
    assert create.path == "/replicate/v1/models/kwaivgi/kling-v2.1/predictions"
    given = server.jobs[server.submissions[0].job_id].body["input"]
    assert given["start_image"].startswith("data:image/png;base64,") and given["end_image"].startswith(
        "data:"
    )
    assert given["mode"] == "pro" and given["duration"] == 5 and given["negative_prompt"] == "text"


def test_veo_takes_a_seed_and_an_aspect(server, start, tmp_path):
    client = connect("replicate", server, model="google/veo-3.1-fast")
    run(client, request(start, provider="replicate", seed=99, frames=5 * 24), tmp_path / "t.mp4")
    given = server.jobs[server.submissions[0].job_id].body["input"]
    assert given["seed"] == 99 and given["duration"] == 6 and given["aspect_ratio"] == "16:9"
    assert client.estimate_cost(request(start, provider="replicate", frames=5 * 24)) == pytest.approx(0.6)
    expect(BadRequest, client.validate, request(start, provider="replicate", width=1000, height=1000))


def test_removed_output_is_expired_without_a_download(server, start, tmp_path):
    client = connect("replicate", server)
    handle = client.submit(request(start, provider="replicate", prompt="x [scenario:expired]"))
    status = wait(client, handle)
    assert status.raw["data_removed"] is True
    expect(ResultExpired, client.fetch, handle, status, tmp_path / "t.mp4")
    assert server.file_requests == [] and not (tmp_path / "t.mp4").exists()


def test_cancel(fake_server, start):  # noqa: F811
    server = fake_server("replicate", service_time=5)
    client = connect("replicate", server)
    handle = client.submit(request(start, provider="replicate"))
    client.cancel(handle)
    assert client.poll(handle).state is JobState.CANCELED


def test_signed_webhooks_delivered_twice_dedupe_on_webhook_id(server, start):
    with WebhookReceiver() as hooks:
        client = connect("replicate", server, webhook_url=hooks.url, webhook_secret=fake.WEBHOOK_SECRET)
        handle = client.submit(request(start, provider="replicate", prompt="x [scenario:dup_webhook]"))
        got = hooks.wait(3)
    parsed = [client.parse_webhook(headers, body) for headers, body in got]
    assert [p.job_id for p in parsed] == [handle.job_id] * 3
    assert parsed[0].delivery == parsed[1].delivery != parsed[2].delivery  # a retry keeps its webhook-id
    assert [p.status.state for p in parsed] == [JobState.SUCCEEDED, JobState.SUCCEEDED, JobState.RUNNING]
    headers, body = got[0]
    forged = dict(headers, **{"webhook-signature": "v1,AAAA"})
    error = expect(BadRequest, client.parse_webhook, forged, body)
    assert "signature" in str(error)
