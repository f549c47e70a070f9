"""The ComfyUI client: the user's workflow with placeholders, upload, prompt_id = client id, history, /view."""

from __future__ import annotations

import json

import pytest
from shotreel.generation.base import AmbiguousSubmit, BadRequest, GenerationError, JobState
from shotreel.generation.providers import comfyui

from tests.servers import fake_server  # noqa: F401  (fixture)
from tests.servers.client import board, connect, expect, frames_and_fps, request, run, wait

WORKFLOW = {
    "1": {"class_type": "LoadImage", "inputs": {"image": "{{image}}"}},
    "2": {"class_type": "CLIPTextEncode", "inputs": {"text": "{{prompt}}, film grain"}},
    "3": {"class_type": "CLIPTextEncode", "inputs": {"text": "{{negative_prompt}}"}},
    "4": {
        "class_type": "WanImageToVideo",
        "inputs": {
            "width": "{{width}}",
            "height": "{{height}}",
            "length": "{{frames}}",
            "start_image": ["1", 0],
        },
    },
    "5": {"class_type": "KSampler", "inputs": {"seed": "{{seed}}", "steps": 4}},
    "6": {"class_type": "CreateVideo", "inputs": {"fps": "{{fps}}", "images": ["5", 0]}},
    "7": {
        "class_type": "SaveVideo",
        "inputs": {"filename_prefix": "shotreel/{{shot}}_{{take}}", "video": ["6", 0]},
    },
}


def _write(path, workflow):
    path.write_text(json.dumps(workflow, indent=2))
    return path


@pytest.fixture
def workflow(tmp_path):
    return _write(tmp_path / "wan_i2v_api.json", WORKFLOW)


@pytest.fixture
def server(fake_server):  # noqa: F811
    return fake_server("comfyui")


@pytest.fixture
def start(tmp_path):
    return board(tmp_path / "sh010.png", 480, 270)


def test_workflow_runs_with_the_board_and_typed_values(server, workflow, start, tmp_path):
    client = connect("comfyui", server, workflow=str(workflow))
    req = request(
        start, provider="comfyui", fps=25, frames=121, width=480, height=270, negative="blurry", seed=None
    )
    status, out = run(client, req, tmp_path / "takes" / "sh010-t1.mp4")
    assert frames_and_fps(out) == (121, 25.0, (480, 270))  # the workflow made what it was asked
    job = server.jobs["sh010-t1"]
    sent = job.body["prompt"]
    assert sent["1"]["inputs"]["image"] == comfyui.upload_name(client.images(req)[0])  # by content
    assert sent["1"]["inputs"]["image"].startswith("shotreel_") and sent["1"]["inputs"]["image"].endswith(".png")
    assert sent["4"]["inputs"] == {"width": 480, "height": 270, "length": 121, "start_image": ["1", 0]}
    assert (
        sent["5"]["inputs"]["seed"] == comfyui.ComfyUIProvider.seed_for(req)
        and sent["6"]["inputs"]["fps"] == 25
    )
    assert sent["2"]["inputs"]["text"] == "An astronaut walks through a greenhouse, film grain"
    assert sent["7"]["inputs"]["filename_prefix"] == "shotreel/sh010_sh010-t1"
    assert job.body["prompt_id"] == "sh010-t1" and server.paid("sh010-t1") == 1
    assert status.result_urls[0].startswith(server.url + "/view?filename=")
    assert client.estimate_cost(req) == 0.0


def test_lost_answer_is_found_by_prompt_id_and_not_resubmitted(server, workflow, start):
    client = connect("comfyui", server, workflow=str(workflow))
    expect(
        AmbiguousSubmit,
        client.submit,
        request(start, provider="comfyui", take="sh020-t3", prompt="x [scenario:drop]"),
    )
    handle = client.find_by_client_id("sh020-t3")
    assert handle is not None and handle.job_id == "sh020-t3"
    assert wait(client, handle).state is JobState.SUCCEEDED
    assert server.paid("sh020-t3") == 1
    assert client.find_by_client_id("sh020-t9") is None


def test_a_workflow_without_an_image_placeholder_is_refused(tmp_path, start, server):
    no_image = dict(WORKFLOW, **{"1": {"class_type": "LoadImage", "inputs": {"image": "example.png"}}})
    path = _write(tmp_path / "no_image.json", no_image)
    client = connect("comfyui", server, workflow=str(path))
    error = expect(BadRequest, client.validate, request(start, provider="comfyui"))
    assert str(error).startswith(f"{path}: shot sh010: ") and '"{{image}}"' in str(error)
    assert "LoadImage" in str(error)
    expect(BadRequest, client.submit, request(start, provider="comfyui"))
    assert server.requests == []  # nothing uploaded, nothing queued


@pytest.mark.parametrize(
    "content,needle",
    [
        ('{"1": {"class_type": "LoadImage", "inputs": {"image": "{{image}}"}},\n  oops}', ":2: "),
        ('{"nodes": [], "links": []}', "Export (API)"),
        (
            '{"1": {"class_type": "LoadImage", "inputs": {"image": "{{image}}", "x": "{{promt}}"}}}',
            "{{promt}}",
        ),
    ],
)
def test_broken_workflows_name_the_file_and_the_fix(tmp_path, start, server, content, needle):
    path = tmp_path / "wf.json"
    path.write_text(content)
    error = expect(
        BadRequest,
        connect("comfyui", server, workflow=str(path)).validate,
        request(start, provider="comfyui"),
    )
    assert str(path) in str(error) and needle in str(error)


def test_missing_workflow_option_or_file(server, start, tmp_path):
    expect(BadRequest, connect("comfyui", server).validate, request(start, provider="comfyui"))
    expect(
        BadRequest,
        connect("comfyui", server, workflow=str(tmp_path / "none.json")).validate,
        request(start, provider="comfyui"),
    )


def test_comfyui_refusing_the_workflow_is_bad_request(server, tmp_path, start):
    broken = dict(WORKFLOW, **{"8": {"class_type": "NotInstalledNode", "inputs": {}}})
    client = connect("comfyui", server, workflow=str(_write(tmp_path / "wf.json", broken)))
    error = expect(BadRequest, client.submit, request(start, provider="comfyui"))
    assert "NotInstalledNode does not exist" in str(error) and server.creates() == 0


def test_execution_error_and_no_video_output(server, workflow, start):
    client = connect("comfyui", server, workflow=str(workflow))
    failed = wait(
        client, client.submit(request(start, provider="comfyui", take="a", prompt="x [scenario:failed]"))
    )
    assert failed.state is JobState.FAILED and type(failed.failure) is GenerationError
    assert "KSampler" in str(failed.failure) and "out of memory" in str(failed.failure)
    empty = wait(
        client, client.submit(request(start, provider="comfyui", take="b", prompt="x [scenario:no_media]"))
    )
    assert type(empty.failure) is BadRequest and "SaveVideo" in str(empty.failure)


def test_one_queue_pending_then_running_and_cancel(fake_server, workflow, start):  # noqa: F811
    server = fake_server("comfyui", service_time=1.0)
    client = connect("comfyui", server, workflow=str(workflow))
    first = client.submit(request(start, provider="comfyui", take="a"))
    second = client.submit(request(start, provider="comfyui", take="b"))
    third = client.submit(request(start, provider="comfyui", take="c"))
    assert client.poll(first).state is JobState.RUNNING
    assert client.poll(second).state is JobState.QUEUED
    client.cancel(third)  # pending: removed from the queue
    assert client.poll(third).state is JobState.FAILED  # ComfyUI forgets it
    client.cancel(first)  # running: interrupted
    assert wait(client, first).state is JobState.CANCELED
    assert wait(client, second).state is JobState.SUCCEEDED


def test_end_frame_needs_its_placeholder(server, workflow, start, tmp_path):
    client = connect("comfyui", server, workflow=str(workflow))
    assert not client.capabilities("").supports_end_frame
    expect(BadRequest, client.validate, request(start, provider="comfyui", end=start))
    with_end = dict(WORKFLOW, **{"9": {"class_type": "LoadImage", "inputs": {"image": "{{end_image}}"}}})
    client = connect("comfyui", server, workflow=str(_write(tmp_path / "fl.json", with_end)))
    assert client.capabilities("").supports_end_frame
    end = board(tmp_path / "sh010_end.png", 480, 270)
    req = request(start, provider="comfyui", end=end)
    run(client, req, tmp_path / "t.mp4")
    sent = server.jobs["sh010-t1"].body["prompt"]
    assert sent["9"]["inputs"]["image"] == comfyui.upload_name(client.images(req)[1])
    assert sent["9"]["inputs"]["image"] != sent["1"]["inputs"]["image"] or end.read_bytes() == start.read_bytes()
