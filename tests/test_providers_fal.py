"""The fal.ai queue client: Key auth, returned URLs, IN_QUEUE, errors on the result, duplicate webhooks."""

from __future__ import annotations

import json

import pytest
from shotreel.generation.base import AuthFailed, JobState, ModerationBlocked, RetryLater

from tests.servers import WebhookReceiver, fake_server  # noqa: F401  (fixture)
from tests.servers.client import assert_clean, board, connect, expect, request, run, wait

PRO = "fal-ai/kling-video/v2.1/pro/image-to-video"


@pytest.fixture
def server(fake_server):  # noqa: F811
    return fake_server("fal")


@pytest.fixture
def start(tmp_path):
    return board(tmp_path / "sh010.png")


def test_submit_uses_the_subpath_and_follows_the_returned_urls(server, start, tmp_path):
    client = connect("fal", server, model=PRO, media_expiration_s=3600)
    end = board(tmp_path / "end.png")
    status, _ = run(client, request(start, provider="fal", end=end, frames=8 * 24), tmp_path / "t.mp4")
    create = next(r for r in server.requests if r.method == "POST")
    assert create.path == f"/fal/{PRO}" and create.headers["Authorization"].startswith("Key ")
    assert json.loads(create.headers["X-Fal-Object-Lifecycle-Preference"]) == {
        "expiration_duration_seconds": 3600
    }
    polls = {r.path for r in server.requests if r.method == "GET"}
    job = server.submissions[0].job_id
    assert polls == {
        f"/fal/fal-ai/kling-video/requests/{job}/status",
        f"/fal/fal-ai/kling-video/requests/{job}",
    }
    body = server.jobs[job].body
    assert body["duration"] == "10" and body["image_url"].startswith("data:image/png;base64,")
    assert "tail_image_url" in body and status.raw["result"]["video"]["content_type"] == "video/mp4"


def test_in_queue_while_the_account_is_at_its_limit(fake_server, start):  # noqa: F811
    server = fake_server("fal", max_concurrent=2, service_time=0.2)
    client = connect("fal", server)
    handles = [client.submit(request(start, provider="fal", take=f"t{n}", prompt=f"p{n}")) for n in range(3)]
    third = client.poll(handles[2])
    assert third.state is JobState.QUEUED and third.raw["queue_position"] == 0
    assert all(wait(client, h).state is JobState.SUCCEEDED for h in handles)


def test_runner_failure_read_from_the_result_may_be_generated_again(server, start):
    client = connect("fal", server)
    status = wait(client, client.submit(request(start, provider="fal", prompt="x [scenario:failed]")))
    assert status.state is JobState.FAILED and type(status.failure) is RetryLater
    assert "runner_server_error" in str(status.failure)


def test_cancel_a_queued_request(fake_server, start):  # noqa: F811
    server = fake_server("fal", service_time=5)
    client = connect("fal", server)
    handle = client.submit(request(start, provider="fal"))
    client.cancel(handle)
    assert client.poll(handle).state is JobState.CANCELED


def test_duplicate_webhooks_parse_to_the_same_request(fake_server, start):  # noqa: F811
    server = fake_server("fal")
    with WebhookReceiver() as hooks:
        client = connect("fal", server, webhook_url=hooks.url)
        handle = client.submit(request(start, provider="fal", prompt="x [scenario:dup_webhook]"))
        got = hooks.wait(2)
    assert server.webhooks[0]["url"] == hooks.url and len(server.webhooks) == 2
    parsed = [client.parse_webhook(headers, body) for headers, body in got]
    assert [p.job_id for p in parsed] == [handle.job_id] * 2 and parsed[0].delivery == parsed[1].delivery
    assert all(p.status.state is JobState.SUCCEEDED and p.status.result_urls for p in parsed)


def test_moderated_webhook_is_moderation(fake_server, start):  # noqa: F811
    server = fake_server("fal")
    with WebhookReceiver() as hooks:
        client = connect("fal", server, webhook_url=hooks.url)
        client.submit(request(start, provider="fal", prompt="x [scenario:moderation_output]"))
        ((headers, body),) = hooks.wait(1)
    status = client.parse_webhook(headers, body).status
    assert status.state is JobState.FAILED and type(status.failure) is ModerationBlocked
    assert_clean(status.failure)


def test_neither_part_of_a_wrong_key_appears(server, start):
    client = connect("fal", server, api_key="abc-id-123456:zzz-secret-987654")
    error = expect(AuthFailed, client.submit, request(start, provider="fal"))
    for text in (str(error), repr(client)):
        assert "abc-id-123456" not in text and "zzz-secret-987654" not in text
