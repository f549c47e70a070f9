"""The Kling client: a self-signed JWT renewed on 1004, external_task_id reconciliation, Kling's codes."""

from __future__ import annotations

import base64
import json
import time

import pytest
from shotreel.generation.base import (
    AmbiguousSubmit,
    AuthFailed,
    BadRequest,
    JobState,
    ModerationBlocked,
    RetryLater,
)
from shotreel.generation.providers import kling

from tests.servers import WebhookReceiver, fake_server  # noqa: F401  (fixture)
from tests.servers import kling as fake
from tests.servers.client import assert_clean, board, connect, expect, request, run, wait


@pytest.fixture
def server(fake_server):  # noqa: F811
    return fake_server("kling")


@pytest.fixture
def client(server):
    return connect("kling", server)


@pytest.fixture
def start(tmp_path):
    return board(tmp_path / "sh010.png")


def _claims(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_jwt_is_hs256_signed_with_the_secret_and_valid_now():
    token = kling.make_jwt(fake.ACCESS_KEY, fake.SECRET_KEY, now=1_700_000_000)
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header == {"alg": "HS256", "typ": "JWT"}
    assert _claims(token) == {"iss": fake.ACCESS_KEY, "exp": 1_700_001_800, "nbf": 1_699_999_995}
    live = kling.make_jwt(fake.ACCESS_KEY, fake.SECRET_KEY)

    class Server:  # the fake's own verifier, with the fake's keys
        secret_key, access_key, token_ttl = fake.SECRET_KEY, fake.ACCESS_KEY, None

    assert fake.check_token(Server, live) is None
    assert fake.check_token(Server, kling.make_jwt(fake.ACCESS_KEY, "other-secret")) == (
        1002,
        "Authorization is invalid",
    )


def test_create_sends_raw_base64_and_the_take_id(client, server, start, tmp_path):
    status, _ = run(client, request(start, provider="kling", negative="blur"), tmp_path / "t.mp4")
    body = server.jobs[server.submissions[0].job_id].body
    assert not body["image"].startswith("data:") and base64.b64decode(body["image"])[:4] == b"\x89PNG"
    assert body["external_task_id"] == "sh010-t1" and body["duration"] == "5" and body["mode"] == "std"
    assert body["model_name"] == "kling-v2-1" and body["negative_prompt"] == "blur"
    assert server.paid("sh010-t1") == 1 and status.raw["task_result"]["videos"][0]["duration"] == "5"
    auth = next(r for r in server.requests if r.method == "POST").headers["Authorization"]
    assert auth.startswith("Bearer ey") and _claims(auth[7:])["iss"] == fake.ACCESS_KEY


def test_expired_token_1004_is_renewed_once_and_the_request_repeated(fake_server, start):  # noqa: F811
    server = fake_server("kling", token_ttl=1.0)  # JWT times have 1 s resolution
    client = connect("kling", server)
    handle = client.submit(request(start, provider="kling"))
    time.sleep(2.05)  # the cached token is now too old for this server
    assert wait(client, handle).state is JobState.SUCCEEDED
    statuses = [r.status for r in server.requests]
    assert 401 in statuses and statuses[-1] == 200
    assert server.creates() == 1


def test_ambiguous_create_is_found_by_external_task_id(client, server, start, tmp_path):
    req = request(start, provider="kling", take="sh010-t7", prompt="x [scenario:drop]")
    expect(AmbiguousSubmit, client.submit, req)
    handle = client.find_by_client_id("sh010-t7")
    assert handle is not None and handle.job_id == server.submissions[0].job_id
    assert wait(client, handle).state is JobState.SUCCEEDED  # followed, never resubmitted
    assert server.paid("sh010-t7") == 1
    assert client.find_by_client_id("sh010-never") is None


def test_end_frame_switches_to_pro_mode_and_prices_it(client, server, start, tmp_path):
    end = board(tmp_path / "end.jpg", 1280, 720)
    req = request(start, provider="kling", end=end)
    assert client.estimate_cost(req) == pytest.approx(0.49)  # pro, 5 s
    assert client.estimate_cost(request(start, provider="kling")) == pytest.approx(0.28)
    run(client, req, tmp_path / "t.mp4")
    body = server.jobs[server.submissions[0].job_id].body
    assert body["mode"] == "pro" and "image_tail" in body


def test_image_limits_are_checked_before_spending(client, server, start, tmp_path):
    error = expect(
        BadRequest, client.validate, request(board(tmp_path / "small.png", 280, 200), provider="kling")
    )
    assert "300 px" in str(error) and "small.png" in str(error) and "sh010" in str(error)
    expect(BadRequest, client.validate, request(board(tmp_path / "b.webp", 1280, 720), provider="kling"))
    expect(BadRequest, client.validate, request(board(tmp_path / "tall.png", 300, 800), provider="kling"))
    expect(BadRequest, client.validate, request(start, provider="kling", model="kling-v2-master", end=start))
    expect(BadRequest, client.validate, request(None, provider="kling"))  # no board
    assert server.requests == []


def test_durations_per_model(client, start):
    assert client.clip_seconds(request(start, provider="kling", frames=7 * 24)) == 10
    assert client.clip_seconds(request(start, provider="kling", model="kling-v3", frames=7 * 24)) == 7
    assert client.capabilities("kling-v3").durations_s == tuple(float(s) for s in range(3, 16))


@pytest.mark.parametrize("scenario", ["rate_limited", "quota"])
def test_1302_and_1303_are_retry_later(client, start, scenario):
    error = expect(
        RetryLater, client.submit, request(start, provider="kling", prompt=f"x [scenario:{scenario}]")
    )
    assert ("1302" in str(error)) == (scenario == "rate_limited")


def test_moderation_1301_at_create(client, start):
    error = expect(
        ModerationBlocked,
        client.submit,
        request(start, provider="kling", prompt="x [scenario:moderation_submit]"),
    )
    assert "1301" in str(error)


def test_only_one_key_set_names_the_other(server, start, monkeypatch):
    monkeypatch.setenv("KLING_ACCESS_KEY", fake.ACCESS_KEY)
    monkeypatch.delenv("KLING_SECRET_KEY", raising=False)
    error = expect(AuthFailed, kling.create(base_url=server.url).submit, request(start, provider="kling"))
    assert "KLING_SECRET_KEY" in str(error) and "KLING_ACCESS_KEY" not in str(error)


def test_duplicate_callbacks_carry_the_same_task(fake_server, start):  # noqa: F811
    server = fake_server("kling")
    with WebhookReceiver() as hooks:
        client = connect("kling", server, callback_url=hooks.url)
        handle = client.submit(request(start, provider="kling", prompt="x [scenario:dup_webhook]"))
        got = hooks.wait(3)
    bodies = [json.loads(body) for _, body in got]
    events = [client.parse_webhook(headers, body) for headers, body in got]
    assert [e.job_id for e in events] == [handle.job_id] * 3
    assert events[0].delivery == events[1].delivery != events[2].delivery
    assert [e.status.state for e in events] == [JobState.SUCCEEDED, JobState.SUCCEEDED, JobState.RUNNING]
    assert [b["task_id"] for b in bodies] == [handle.job_id] * 3
    assert [b["task_status"] for b in bodies] == ["succeed", "succeed", "processing"]  # stale one last
    assert_clean(bodies)
