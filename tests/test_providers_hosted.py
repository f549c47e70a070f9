"""What every hosted provider client must do, each against its own fake server.

Runway, Luma, Kling, fal and Replicate: the happy path writes a playable MP4 atomically and pays once;
throttling shows as queued; 429 surfaces its Retry-After; a 5xx burst is retry-later; a create whose
connection dropped is ambiguous (and the job exists server-side); moderation in all three forms is
ModerationBlocked; out of credit, expired URLs, missing and wrong keys each have their typed error; no key
ever appears in an error, a status or a handle.
"""

from __future__ import annotations

import pytest
from shotreel.generation.base import (
    AmbiguousSubmit,
    AuthFailed,
    BadRequest,
    JobState,
    ModerationBlocked,
    OutOfCredit,
    ResultExpired,
    RetryLater,
)
from shotreel.generation.registry import get_provider

from tests.servers import fake_server  # noqa: F401  (fixture)
from tests.servers.client import (
    ENV_KEYS,
    assert_clean,
    board,
    connect,
    expect,
    frames_and_fps,
    request,
    run,
    wait,
)

HOSTED = ("runway", "luma", "kling", "fal", "replicate")
QUEUED_STATE = {
    "runway": "THROTTLED",
    "luma": "queued",
    "kling": "submitted",
    "fal": "IN_QUEUE",
    "replicate": "starting",
}


@pytest.fixture(params=HOSTED)
def name(request):
    return request.param


@pytest.fixture
def start(tmp_path):
    return board(tmp_path / "boards" / "sh010.png")


@pytest.fixture
def setup(name, fake_server):  # noqa: F811
    server = fake_server(name, retry_after="2", fail_count=2)
    client = connect(name, server)
    yield name, server, client
    client.close()
    assert server.errors == []


def test_happy_path_through_a_queue(setup, start, tmp_path):
    name, server, client = setup
    states: list[str] = []
    handle = client.submit(request(start, provider=name, prompt="dawn [scenario:throttled]"))
    status = wait(client, handle, states=states)
    assert states[0] == QUEUED_STATE[name] and status.state is JobState.SUCCEEDED
    destination = tmp_path / "takes" / "sh010" / "sh010-t1.mp4"
    assert client.fetch(handle, status, destination) == destination
    assert frames_and_fps(destination) == (121, 24.0, (1280, 720))
    assert sorted(p.name for p in destination.parent.iterdir()) == ["sh010-t1.mp4"]
    assert server.creates() == 1 and server.duplicates() == {}
    assert server.file_requests and all("Authorization" not in r.headers for r in server.file_requests)
    assert_clean(client, handle, status.raw)


def test_odd_fps_and_frame_counts(setup, start, tmp_path):
    name, _, client = setup
    _, out = run(
        client,
        request(start, provider=name, prompt="x [fps:25] [frames:241] [size:320x240]"),
        tmp_path / "t.mp4",
    )
    assert frames_and_fps(out) == (241, 25.0, (320, 240))


def test_concurrency_overflow_waits_queued(name, fake_server, start):  # noqa: F811
    server = fake_server(name, max_concurrent=1, service_time=0.15)
    client = connect(name, server)
    first = client.submit(request(start, provider=name, take="a", prompt="first"))
    second = client.submit(request(start, provider=name, take="b", prompt="second"))
    assert client.poll(second).state is JobState.QUEUED
    assert wait(client, first).state is JobState.SUCCEEDED
    assert wait(client, second).state is JobState.SUCCEEDED


def test_429_surfaces_retry_after_and_nothing_is_paid(setup, start):
    name, server, client = setup
    req = request(start, provider=name, prompt="x [scenario:rate_limited]")
    error = expect(RetryLater, client.submit, req)
    assert error.retry_after == 2.0 and name in str(error) and "sh010" in str(error)
    expect(RetryLater, client.submit, req)  # fail_count=2
    assert server.creates() == 0
    client.submit(req)
    assert server.creates() == 1


def test_a_5xx_at_create_is_ambiguous_never_a_silent_retry(setup, start):
    # the server may have made the job before it failed: no provider documents that a 5xx means it did not
    name, server, client = setup
    req = request(start, provider=name, prompt="x [scenario:server_error]")
    error = expect(AmbiguousSubmit, client.submit, req)
    assert error.answered and "HTTP 5" in str(error) and "may exist" in str(error)
    expect(AmbiguousSubmit, client.submit, req)
    assert wait(client, client.submit(req)).state is JobState.SUCCEEDED
    assert server.creates() == 1


def test_dropped_connection_after_create_is_ambiguous(setup, start):
    name, server, client = setup
    error = expect(AmbiguousSubmit, client.submit, request(start, provider=name, prompt="x [scenario:drop]"))
    assert "sh010" in str(error) and name in str(error)
    assert server.creates() == 1  # the job exists: a blind resubmission would pay twice


def test_moderation_at_submit(setup, start):
    name, server, client = setup
    error = expect(
        ModerationBlocked,
        client.submit,
        request(start, provider=name, prompt="x [scenario:moderation_submit]"),
    )
    assert error.stage == "input" and server.creates() == 0


@pytest.mark.parametrize(
    "scenario,stage", [("moderation_input", "input"), ("moderation_output", "output"), ("no_media", "output")]
)
def test_moderation_as_a_failed_state_or_a_success_without_media(setup, start, scenario, stage):
    name, _, client = setup
    status = wait(client, client.submit(request(start, provider=name, prompt=f"x [scenario:{scenario}]")))
    assert status.state is JobState.FAILED, status
    assert type(status.failure) is ModerationBlocked and status.failure.stage == stage
    assert "sh010" in str(status.failure)


def test_invalid_parameters_are_bad_request(setup, start):
    name, _, client = setup
    req = request(start, provider=name, prompt="x [scenario:invalid]")
    if name == "fal":  # fal's queue accepts anything; the model refuses it when it runs (COMPLETED + 422)
        status = wait(client, client.submit(req))
        assert status.state is JobState.FAILED and type(status.failure) is BadRequest
        assert_clean(status.failure)
    else:
        expect(BadRequest, client.submit, req)


def test_out_of_credit(setup, start):
    name, server, client = setup
    expect(OutOfCredit, client.submit, request(start, provider=name, prompt="x [scenario:no_credit]"))
    assert server.creates() == 0


def test_expired_result_url_writes_nothing(setup, start, tmp_path):
    name, _, client = setup
    handle = client.submit(request(start, provider=name, prompt="x [scenario:expired]"))
    status = wait(client, handle)
    error = expect(ResultExpired, client.fetch, handle, status, tmp_path / "takes" / "t.mp4")
    assert "sh010" in str(error)
    assert not (tmp_path / "takes").exists() or not any((tmp_path / "takes").iterdir())


def test_missing_key_names_the_variable_and_sends_nothing(name, fake_server, start, monkeypatch):  # noqa: F811
    server = fake_server(name)
    for variable in ENV_KEYS[name]:
        monkeypatch.delenv(variable, raising=False)
    client = get_provider(name, base_url=server.url)
    error = expect(AuthFailed, client.submit, request(start, provider=name))
    assert all(variable in str(error) for variable in ENV_KEYS[name]) and "sh010" in str(error)
    assert server.requests == []


def test_wrong_key_from_the_environment_is_auth_failed_and_never_shown(
    name,
    fake_server,  # noqa: F811
    start,
    monkeypatch,
):
    server = fake_server(name)
    wrong = "WRONG-secret-" + "7f3a9c" * 6
    for variable in ENV_KEYS[name]:
        monkeypatch.setenv(variable, wrong)
    client = get_provider(name, base_url=server.url)
    error = expect(AuthFailed, client.submit, request(start, provider=name))
    for text in (str(error), repr(error), repr(client)):
        assert wrong not in text and "7f3a9c7f3a9c" not in text
    assert server.creates() == 0


def test_validate_refuses_a_too_long_shot_before_spending(setup, start):
    name, server, client = setup
    expect(BadRequest, client.validate, request(start, provider=name, frames=24 * 20))
    expect(BadRequest, client.submit, request(start, provider=name, frames=24 * 20))
    assert server.requests == []


def test_estimate_is_positive_and_marked_in_dollars(setup, start):
    name, _, client = setup
    cost = client.estimate_cost(request(start, provider=name))
    assert 0.05 < cost < 5.0
