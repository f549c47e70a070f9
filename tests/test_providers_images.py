"""Stills through the provider clients (issue 13): each provider's image endpoint against its local server.

A still of the asked size (or the provider's size where it decides) lands through submit → poll → fetch; the
approved references arrive (count, tags, sizes — resized to the provider's limit when too large); bad input
is one line naming the file, shot and limit before anything is sent; failures are typed as for takes; the
cost of a still is the published price per image with its reason; no key appears anywhere.
"""

from __future__ import annotations

import json
import os
import time

import pytest
from PIL import Image
from shotreel.generation.base import (
    AmbiguousSubmit,
    AuthFailed,
    BadRequest,
    GenerationError,
    JobState,
    ModerationBlocked,
    ResultExpired,
    ResultRefused,
    RetryLater,
)
from shotreel.generation.providers import comfyui

from tests.servers import fake_server  # noqa: F401  (fixture)
from tests.servers.client import (
    assert_clean,
    board,
    connect,
    expect,
    image_request,
    run,
    still_info,
    wait,
)


def _ref(tmp_path, asset: str, view: str = "front", width: int = 640, height: int = 640, fmt: str = "png"):
    return board(tmp_path / "refs" / asset / f"{view}.{'jpg' if fmt == 'jpeg' else fmt}", width, height)


def _noise(path, width: int, height: int):
    """A reference that compresses badly: random pixels (a PNG of ~3 bytes per pixel)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.frombytes("RGB", (width, height), os.urandom(width * height * 3)).save(path)
    return path


# -- ComfyUI --------------------------------------------------------------------------------------------


@pytest.fixture
def comfy(fake_server):  # noqa: F811
    return fake_server("comfyui")


def test_comfyui_still_without_references_uses_the_text_workflow(comfy, tmp_path):
    client = connect("comfyui", comfy)
    assert client.image_models() == ("image_workflow",) and client.default_image_model() == "image_workflow"
    req = image_request(width=800, height=450, seed=None)
    status, out = run(client, req, tmp_path / "boards" / "sh010_b1.png")
    assert still_info(out) == ("png", (800, 450))
    sent = comfy.jobs["sh010-b1"].body
    assert sent["prompt_id"] == "sh010-b1" and comfy.paid("sh010-b1") == 1
    assert not [n for n in sent["prompt"].values() if n["class_type"] == "LoadImage"]
    assert sent["prompt"]["7"]["inputs"] == {"width": 800, "height": 450, "batch_size": 1}
    assert sent["prompt"]["8"]["inputs"]["seed"] == comfyui.ComfyUIProvider.seed_for(req)
    assert status.result_urls[0].startswith(comfy.url + "/view?filename=")
    cost = client.cost_estimate(req)
    assert cost.amount == 0.0 and "nothing is billed" in cost.explanation


def test_comfyui_references_are_uploaded_and_unused_slots_pruned(comfy, tmp_path):
    client = connect("comfyui", comfy)
    caps = client.capabilities("image_workflow")
    assert caps.max_reference_images == 3 and caps.max_image_px == client.image_rules.max_px
    refs = [_ref(tmp_path, "mara", width=512, height=768), _ref(tmp_path, "vesna", "wide", 900, 500, "jpeg")]
    _, out = run(client, image_request(refs, width=640, height=360), tmp_path / "sh010.png")
    assert still_info(out) == ("png", (640, 360))
    job = comfy.jobs["sh010-b1"]
    loaded = sorted((r["node"], tuple(r["size"]), r["format"]) for r in job.extra["references"])
    assert loaded == [("11", (512, 768), "png"), ("12", (900, 500), "jpeg")]
    workflow = job.body["prompt"]
    assert "13" not in workflow and "image2" not in workflow["15"]["inputs"]  # reference_3 not given
    assert workflow["14"]["inputs"]["image2"] == ["12", 0]
    assert workflow["11"]["inputs"]["image"].startswith("shotreel_")


def test_comfyui_refuses_too_many_references_and_a_file_that_is_not_an_image(comfy, tmp_path):
    client = connect("comfyui", comfy)
    refs = [_ref(tmp_path, f"a{n}") for n in range(4)]
    error = expect(BadRequest, client.validate, image_request(refs))
    assert "at most 3 input images" in str(error) and "sh010" in str(error)
    fake = tmp_path / "refs" / "mara" / "notes.png"
    fake.parent.mkdir(parents=True)
    fake.write_text("not a picture")
    error = expect(BadRequest, client.submit, image_request([fake]))
    assert "notes.png is not an image" in str(error) and "\n" not in str(error)
    assert comfy.creates() == 0 and not comfy.requests  # nothing was sent


def test_comfyui_image_workflow_without_an_image_output_is_refused_naming_it(comfy, tmp_path):
    workflow = json.loads(comfyui.DEFAULT_IMAGE_WORKFLOWS[0].read_text())
    workflow["10"] = {"class_type": "PreviewImage", "inputs": {"images": ["9", 0]}}
    path = tmp_path / "flux_still_api.json"
    path.write_text(json.dumps(workflow))
    client = connect("comfyui", comfy, image_workflow=str(path))
    error = expect(BadRequest, client.submit, image_request())
    text = str(error)
    assert str(path) in text and "SaveImage" in text and "\n" not in text
    assert comfy.creates() == 0


def test_comfyui_image_workflow_content_is_in_the_fingerprint(comfy, tmp_path):
    path = tmp_path / "still_api.json"
    path.write_text(comfyui.DEFAULT_IMAGE_WORKFLOWS[0].read_text())
    client = connect("comfyui", comfy, image_workflow=str(path))
    before = client.fingerprint("image_workflow")
    path.write_text(path.read_text().replace('"steps": 20', '"steps": 28'))
    assert client.fingerprint("image_workflow") != before
    assert client.fingerprint("workflow") != client.fingerprint("image_workflow")


def test_comfyui_user_workflow_with_an_image_to_edit(comfy, tmp_path):
    workflow = json.loads(comfyui.DEFAULT_IMAGE_WORKFLOWS[1].read_text())
    workflow["13"]["inputs"]["image"] = "{{image}}"  # the board to edit goes to the third LoadImage
    path = tmp_path / "kontext_edit_api.json"
    path.write_text(json.dumps(workflow))
    client = connect("comfyui", comfy, image_workflow=str(path))
    assert client.capabilities("image_workflow").max_reference_images == 3  # 2 references + the image
    start = board(tmp_path / "boards" / "sh010.png", 480, 270)
    _, out = run(client, image_request([_ref(tmp_path, "mara")], start=start, width=480, height=270),
                 tmp_path / "out.png")
    assert still_info(out) == ("png", (480, 270))
    loaded = {r["node"]: tuple(r["size"]) for r in comfy.jobs["sh010-b1"].extra["references"]}
    assert loaded == {"11": (640, 640), "13": (480, 270)}  # reference_2 pruned, the board in node 13
    run(client, image_request([_ref(tmp_path, "mara")], take="sh010-b2"), tmp_path / "no_edit.png")
    loaded = {r["node"] for r in comfy.jobs["sh010-b2"].extra["references"]}
    assert loaded == {"11"}  # no image to edit: its LoadImage pruned too


def test_comfyui_still_whose_answer_was_lost_is_found_by_its_client_id(fake_server, tmp_path):  # noqa: F811
    server = fake_server("comfyui", scenario="error_after_create")
    client = connect("comfyui", server)
    req = image_request(width=320, height=240, client_id="c0ffee-1")
    error = expect(AmbiguousSubmit, client.submit, req)
    assert error.answered
    handle = client.find_by_client_id("c0ffee-1")
    assert handle is not None and handle.data.get("kind") in ("image", None)
    status = wait(client, handle)
    out = client.fetch(handle, status, tmp_path / "found.png")
    assert still_info(out) == ("png", (320, 240)) and server.paid("c0ffee-1") == 1


def test_comfyui_failed_still_is_typed(fake_server, tmp_path):  # noqa: F811
    server = fake_server("comfyui")
    client = connect("comfyui", server)
    handle = client.submit(image_request(prompt="[scenario:failed] Mara", width=320, height=240))
    status = wait(client, handle)
    assert status.state is JobState.FAILED and type(status.failure) is GenerationError
    assert "CUDA out of memory" in str(status.failure)


def test_comfyui_video_model_for_a_still_is_refused(comfy, tmp_path):
    client = connect("comfyui", comfy)
    error = expect(BadRequest, client.validate, image_request(model="workflow"))
    assert "makes video, not stills" in str(error)


# -- Runway ---------------------------------------------------------------------------------------------


@pytest.fixture
def runway(fake_server):  # noqa: F811
    return fake_server("runway")


def test_runway_still_with_tagged_references_lands_at_the_ratio_size(runway, tmp_path):
    client = connect("runway", runway)
    assert client.image_models() == ("gen4_image", "gen4_image_turbo")
    refs = [_ref(tmp_path, "mara", width=600, height=900), _ref(tmp_path, "vesna", "wide", 1200, 675)]
    req = image_request(refs, provider="runway", prompt="@mara at the hatch of @vesna", width=1920,
                        height=1080)
    handle = client.submit(req)
    assert handle.data["ratio"] == "1920:1080" and handle.data["tags"] == ["mara", "vesna"]
    assert handle.data["ratio_note"] == "1920×1080 → 1920:1080 (exact)"
    status = wait(client, handle)
    out = client.fetch(handle, status, tmp_path / "boards" / "sh010_b1.png")
    assert still_info(out) == ("png", (1920, 1080))
    body = runway.jobs[handle.job_id].body
    assert body["model"] == "gen4_image" and body["promptText"] == "@mara at the hatch of @vesna"
    assert [(r["tag"], tuple(r["size"])) for r in runway.jobs[handle.job_id].extra["references"]] == [
        ("mara", (600, 900)), ("vesna", (1200, 675))]
    assert all("Authorization" not in seen.headers for seen in runway.file_requests)
    assert_clean(handle.data, status.raw)
    cost = client.cost_estimate(req)
    assert cost.amount == 0.08
    assert cost.explanation == ("1 still at $0.08 per image (gen4_image, 1920×1080 → 1920:1080 (exact), 1080p: "
                                "8 credits × $0.01) = $0.08")


def test_runway_maps_the_film_aspect_to_the_nearest_documented_ratio(runway, tmp_path):
    client = connect("runway", runway)
    req = image_request(provider="runway", width=2048, height=858)  # 2.39:1 scope
    handle = client.submit(req)
    assert handle.data["ratio"] == "1808:768"
    assert handle.data["ratio_note"] == "2048×858 (2.39:1) → 1808:768 (2.35:1, 1.4 % narrower)"
    out = client.fetch(handle, wait(client, handle), tmp_path / "scope.png")
    assert still_info(out) == ("png", (1808, 768))  # Runway's size, not the one asked
    small = client.cost_estimate(image_request(provider="runway", width=1280, height=720))
    assert small.amount == 0.05 and "720p: 5 credits × $0.01" in small.explanation
    turbo = client.cost_estimate(image_request([_ref(tmp_path, "mara")], provider="runway",
                                               model="gen4_image_turbo"))
    assert turbo.amount == 0.02 and "2 credits" in turbo.explanation
    far = expect(BadRequest, client.validate, image_request(provider="runway", width=4000, height=1000))
    assert "41 % off the nearest (1808:768)" in str(far)


def test_runway_reference_over_the_data_uri_limit_is_re_encoded_to_fit(runway, tmp_path):
    client = connect("runway", runway)
    big = _noise(tmp_path / "refs" / "mara" / "front.png", 1600, 1200)  # ~5.8 MB of PNG
    size = big.stat().st_size
    assert size > 3_300_000
    handle = client.submit(image_request([big], provider="runway"))
    (got,) = runway.jobs[handle.job_id].extra["references"]
    assert got["bytes"] <= 3_300_000 and got["format"] == "jpeg" and got["size"] == [1600, 1200]
    assert big.stat().st_size == size  # the user's file is left alone
    assert client.capabilities("gen4_image").max_reference_images == 3
    assert client.capabilities("gen4_image").max_image_px == 7999


def test_runway_refuses_what_it_would_refuse_before_sending(runway, tmp_path):
    client = connect("runway", runway)
    four = [_ref(tmp_path, name) for name in ("mara", "vesna", "ivo", "plant")]
    assert "at most 3 input images" in str(expect(BadRequest, client.submit, image_request(four, provider="runway")))
    turbo = expect(BadRequest, client.submit, image_request(provider="runway", model="gen4_image_turbo"))
    assert "needs at least one reference" in str(turbo)
    wide = _ref(tmp_path, "corridor", "pano", 1500, 500)
    error = expect(BadRequest, client.submit, image_request([wide], provider="runway"))
    assert "pano.png" in str(error) and "0.5–2" in str(error)
    bad_tag = expect(BadRequest, client.submit, image_request([_ref(tmp_path, "mara")], provider="runway",
                                                              reference_tags=["1st"]))
    assert "'1st'" in str(bad_tag)
    assert runway.creates() == 0 and not runway.requests


@pytest.mark.parametrize(
    ("scenario", "error", "stage"),
    [("moderation_submit", ModerationBlocked, "input"), ("invalid", BadRequest, None),
     ("error_after_create", AmbiguousSubmit, None)],
)
def test_runway_still_refused_at_create_is_typed(fake_server, tmp_path, scenario, error, stage):  # noqa: F811
    server = fake_server("runway")
    client = connect("runway", server)
    found = expect(error, client.submit, image_request(provider="runway", prompt=f"[scenario:{scenario}] Mara"))
    if stage:
        assert found.stage == stage
    assert server.creates() == (1 if scenario == "error_after_create" else 0)


@pytest.mark.parametrize(("scenario", "stage"), [("moderation_input", "input"), ("moderation_output", "output")])
def test_runway_still_blocked_by_moderation_fails_typed(runway, scenario, stage):
    client = connect("runway", runway)
    status = wait(client, client.submit(image_request(provider="runway", prompt=f"[scenario:{scenario}] Mara")))
    assert status.state is JobState.FAILED and type(status.failure) is ModerationBlocked
    assert status.failure.stage == stage


def test_runway_still_without_output_is_moderation_of_the_output(runway):
    client = connect("runway", runway)
    status = wait(client, client.submit(image_request(provider="runway", prompt="[scenario:no_media] Mara")))
    assert type(status.failure) is ModerationBlocked and "without an image" in str(status.failure)


# -- fal ------------------------------------------------------------------------------------------------


@pytest.fixture
def fal(fake_server):  # noqa: F811
    return fake_server("fal")


def test_fal_edit_model_takes_the_references_and_lands_at_its_own_size(fal, tmp_path):
    client = connect("fal", fal)
    assert client.default_image_model() == "fal-ai/nano-banana/edit"
    caps = client.capabilities("fal-ai/nano-banana/edit")
    assert (caps.max_reference_images, caps.max_image_bytes) == (3, 4_900_000)
    refs = [_ref(tmp_path, "mara", width=200, height=280), _ref(tmp_path, "vesna", "wide", 1280, 720, "jpeg")]
    req = image_request(refs, provider="fal", width=1920, height=1080)
    handle = client.submit(req)
    assert handle.data["endpoint"] == "fal-ai/nano-banana/edit" and handle.data["ratio"] == "16:9"
    status = wait(client, handle)
    out = client.fetch(handle, status, tmp_path / "sh010.png")
    assert still_info(out) == ("png", (1344, 768))  # Gemini's 16:9 size
    job = fal.jobs[handle.job_id]
    assert [tuple(r["size"]) for r in job.extra["references"]] == [(200, 280), (1280, 720)]
    assert [r["format"] for r in job.extra["references"]] == ["png", "jpeg"]
    assert fal.submissions[0].path == "/fal-ai/nano-banana/edit"
    assert_clean(handle.data, status.raw)
    cost = client.cost_estimate(req)
    assert cost.amount == 0.039
    assert cost.explanation == ("1 still at $0.039 per image (fal's price for fal-ai/nano-banana/edit (Gemini 2.5 "
                                "Flash Image)) = $0.039")


def test_fal_still_without_references_goes_to_the_text_to_image_endpoint(fal, tmp_path):
    client = connect("fal", fal)
    req = image_request(provider="fal", width=1080, height=1920)
    _, out = run(client, req, tmp_path / "portrait.png")
    assert still_info(out) == ("png", (768, 1344)) and fal.submissions[0].path == "/fal-ai/nano-banana"
    assert "fal-ai/nano-banana (" in client.cost_estimate(req).explanation
    kontext = image_request(provider="fal", model="fal-ai/flux-pro/kontext", take="sh010-b2")
    handle = client.submit(kontext)
    assert handle.data["endpoint"] == "fal-ai/flux-pro/kontext/text-to-image"
    assert "image_url" not in fal.jobs[handle.job_id].body


def test_fal_kontext_takes_one_reference_resized_to_twenty_megapixels(fal, tmp_path):
    client = connect("fal", fal)
    model = "fal-ai/flux-pro/kontext"
    two = [_ref(tmp_path, "mara"), _ref(tmp_path, "vesna")]
    error = expect(BadRequest, client.submit, image_request(two, provider="fal", model=model))
    assert "at most 1 input image " in str(error) and fal.creates() == 0
    huge = board(tmp_path / "refs" / "vesna" / "plate.png", 5600, 3800)  # 21.3 MP
    handle = client.submit(image_request([huge], provider="fal", model=model))
    (got,) = fal.jobs[handle.job_id].extra["references"]
    width, height = got["size"]
    assert width * height <= 20_000_000 and width < 5600 and abs(width / height - 5600 / 3800) < 0.002
    out = client.fetch(handle, wait(client, handle), tmp_path / "k.png")
    assert still_info(out) == ("png", (1344, 736))  # about a megapixel at 16:9, in multiples of 32


@pytest.mark.parametrize(
    ("scenario", "error", "stage"),
    [("moderation_input", ModerationBlocked, "input"), ("moderation_output", ModerationBlocked, "output"),
     ("no_media", ModerationBlocked, "output"), ("invalid", BadRequest, None)],
)
def test_fal_still_failures_are_typed(fal, scenario, error, stage):
    client = connect("fal", fal)
    status = wait(client, client.submit(image_request(provider="fal", prompt=f"[scenario:{scenario}] Mara")))
    assert status.state is JobState.FAILED and type(status.failure) is error
    if stage:
        assert status.failure.stage == stage


def test_fal_still_answered_5xx_after_create_is_ambiguous_and_not_resent(fake_server):  # noqa: F811
    server = fake_server("fal", scenario="error_after_create")
    client = connect("fal", server)
    expect(AmbiguousSubmit, client.submit, image_request(provider="fal"))
    assert server.creates() == 1


# -- Replicate ------------------------------------------------------------------------------------------


@pytest.fixture
def replicate(fake_server):  # noqa: F811
    return fake_server("replicate")


def test_replicate_references_go_as_data_urls_or_uploads_as_documented(replicate, tmp_path):
    client = connect("replicate", replicate)
    assert client.default_image_model() == "google/nano-banana"
    small = _ref(tmp_path, "mara", width=400, height=600)  # a few KB: a data URL
    large = _noise(tmp_path / "refs" / "vesna" / "wide.png", 480, 320)  # ~460 KB: the Files API
    req = image_request([small, large], provider="replicate", width=1920, height=1080)
    handle = client.submit(req)
    assert handle.data["ratio"] == "16:9" and handle.data["kind"] == "image"
    job = replicate.jobs[handle.job_id]
    assert [(r["via"], tuple(r["size"])) for r in job.extra["references"]] == [
        ("data", (400, 600)), ("file", (480, 320))]
    assert len(replicate.state["uploads"]) == 1
    status = wait(client, handle)
    out = client.fetch(handle, status, tmp_path / "sh010.png")
    assert still_info(out) == ("png", (1344, 768))
    client.submit(image_request([large], provider="replicate", take="sh020-b1", shot="sh020"))
    assert len(replicate.state["uploads"]) == 1  # the same content is uploaded once
    assert_clean(handle.data, status.raw)
    cost = client.cost_estimate(req)
    assert cost.amount == 0.039
    assert cost.explanation == ("1 still at $0.039 per image (google/nano-banana (Gemini 2.5 Flash Image), "
                                "Replicate's price per output image) = $0.039")


def test_replicate_kontext_takes_one_input_image(replicate, tmp_path):
    client = connect("replicate", replicate)
    model = "black-forest-labs/flux-kontext-pro"
    assert client.capabilities(model).max_reference_images == 1
    handle = client.submit(image_request([_ref(tmp_path, "mara")], provider="replicate", model=model,
                                         width=2048, height=858))
    given = replicate.jobs[handle.job_id].body["input"]
    assert given["input_image"].startswith("data:image/png;base64,") and given["safety_tolerance"] == 2
    assert given["aspect_ratio"] == "21:9" and handle.data["ratio_note"].endswith("(2.33:1, 2.2 % narrower)")
    assert client.cost_estimate(image_request(provider="replicate", model=model)).amount == 0.04
    two = [_ref(tmp_path, "mara"), _ref(tmp_path, "vesna")]
    assert "at most 1 input image " in str(expect(BadRequest, client.submit,
                                                  image_request(two, provider="replicate", model=model)))
    text = client.submit(image_request(provider="replicate", model=model, take="sh010-b2"))
    assert "input_image" not in replicate.jobs[text.job_id].body["input"]


@pytest.mark.parametrize(
    ("scenario", "error", "stage"),
    [("moderation_input", ModerationBlocked, "input"), ("no_media", ModerationBlocked, "output"),
     ("failed", GenerationError, None)],
)
def test_replicate_still_failures_are_typed(replicate, scenario, error, stage):
    client = connect("replicate", replicate)
    status = wait(client, client.submit(image_request(provider="replicate", prompt=f"[scenario:{scenario}] M")))
    assert status.state is JobState.FAILED and type(status.failure) is error
    if stage:
        assert status.failure.stage == stage


@pytest.mark.parametrize(
    ("scenario", "error"),
    [("moderation_submit", ModerationBlocked), ("invalid", BadRequest), ("error_after_create", AmbiguousSubmit)],
)
def test_replicate_still_refused_at_create_is_typed(replicate, scenario, error):
    client = connect("replicate", replicate)
    expect(error, client.submit, image_request(provider="replicate", prompt=f"[scenario:{scenario}] Mara"))
    assert replicate.creates() == (1 if scenario == "error_after_create" else 0)


def test_replicate_still_whose_answer_was_lost_is_found_among_recent_predictions(fake_server, tmp_path):  # noqa: F811
    server = fake_server("replicate", scenario="error_after_create")
    client = connect("replicate", server)
    req = image_request([_noise(tmp_path / "refs" / "mara" / "front.png", 480, 320)], provider="replicate")
    since = time.time() - 1
    expect(AmbiguousSubmit, client.submit, req)
    found = client.find_recent(req, since, time.time() + 1, set())
    assert found is not None and found.job_id == server.submissions[0].job_id


# -- every hosted provider: the scenarios takes are held to --------------------------------------------

HOSTED = ["runway", "fal", "replicate"]


@pytest.mark.parametrize("dialect", HOSTED)
def test_a_still_rate_limited_at_create_is_retried_later_and_paid_once(fake_server, dialect):  # noqa: F811
    server = fake_server(dialect, retry_after="3")
    client = connect(dialect, server)
    req = image_request(provider=dialect, prompt="[scenario:rate_limited] Mara at the hatch")
    error = expect(RetryLater, client.submit, req)
    assert error.retry_after == 3.0 and server.creates() == 0
    handle = client.submit(req)
    assert handle.data["kind"] == "image" and server.creates() == 1 and not server.duplicates()


@pytest.mark.parametrize("dialect", HOSTED)
def test_a_still_whose_connection_dropped_after_create_is_ambiguous(fake_server, dialect):  # noqa: F811
    server = fake_server(dialect)
    client = connect(dialect, server)
    error = expect(AmbiguousSubmit, client.submit, image_request(provider=dialect, prompt="[scenario:drop] Mara"))
    assert not error.answered and server.creates() == 1


@pytest.mark.parametrize("dialect", ["runway", "fal"])
def test_a_still_whose_first_url_expired_is_fetched_from_a_fresh_one(fake_server, dialect, tmp_path):  # noqa: F811
    server = fake_server(dialect)
    client = connect(dialect, server)
    handle = client.submit(image_request(provider=dialect, prompt="[scenario:expire_once] Mara"))
    out = client.fetch(handle, wait(client, handle), tmp_path / "still.png")
    assert still_info(out)[0] == "png" and len(server.file_requests) == 2


@pytest.mark.parametrize("dialect", HOSTED)
def test_a_still_whose_urls_expired_is_result_expired(fake_server, dialect, tmp_path):  # noqa: F811
    server = fake_server(dialect)
    client = connect(dialect, server)
    handle = client.submit(image_request(provider=dialect, prompt="[scenario:expired] Mara"))
    expect(ResultExpired, client.fetch, handle, wait(client, handle), tmp_path / "still.png")
    assert not (tmp_path / "still.png").exists()


@pytest.mark.parametrize("dialect", HOSTED)
def test_a_still_download_is_bounded_even_without_a_limit_given(fake_server, dialect, tmp_path):  # noqa: F811
    server = fake_server(dialect)
    client = connect(dialect, server)
    handle = client.submit(image_request(provider=dialect, prompt="[scenario:huge] Mara"))
    error = expect(ResultRefused, client.fetch, handle, wait(client, handle), tmp_path / "still.png")
    assert "2.0 GB" in str(error) and not (tmp_path / "still.png").exists()


@pytest.mark.parametrize("dialect", [*HOSTED, "comfyui"])
def test_every_provider_says_what_its_image_models_take(fake_server, dialect):  # noqa: F811
    client = connect(dialect, fake_server(dialect))
    assert client.image_models() and client.default_image_model() == client.image_models()[0]
    for model in client.image_models():
        caps = client.capabilities(model)
        assert caps.max_reference_images >= 1 and caps.max_image_px > 0 and caps.max_image_bytes > 0
        assert caps.durations_s == () and "png" in caps.image_formats


def test_a_still_without_a_key_names_the_variable(fake_server, monkeypatch):  # noqa: F811
    from shotreel.generation.providers import runway

    monkeypatch.delenv("RUNWAYML_API_SECRET", raising=False)
    server = fake_server("runway")
    client = runway.create(base_url=server.url)
    error = expect(AuthFailed, client.submit, image_request(provider="runway"))
    assert "RUNWAYML_API_SECRET" in str(error) and not server.requests


# -- references fitted to a provider's limits (shared) ---------------------------------------------------


def test_a_reference_over_the_longest_side_is_resized_keeping_its_aspect(tmp_path):
    from shotreel.generation.providers._common import ImageRules, fit_reference, read_reference

    rules = ImageRules(min_px=16, max_px=500, aspect=(0.2, 5.0), max_bytes=10_000_000)
    path = board(tmp_path / "refs" / "mara" / "front.png", 1200, 800)
    info = read_reference(path, "reference", rules, "test", "sh010")
    fitted = fit_reference(info, "reference", rules, "test", "sh010")
    assert (fitted.width, fitted.height) == (500, 333) and fitted.path != path
    with Image.open(fitted.path) as image:
        assert image.size == (500, 333)
    assert fit_reference(info, "reference", rules, "test", "sh010").path == fitted.path  # made once
    small = read_reference(board(tmp_path / "small.png", 400, 300), "reference", rules, "test", "sh010")
    assert fit_reference(small, "reference", rules, "test", "sh010") is small  # fits: sent as it is


def test_a_reference_in_a_format_the_provider_does_not_take_is_converted(runway, tmp_path):
    client = connect("runway", runway)
    tiff = board(tmp_path / "refs" / "mara" / "scan.tiff", 640, 480)
    handle = client.submit(image_request([tiff], provider="runway"))
    (got,) = runway.jobs[handle.job_id].extra["references"]
    assert got["format"] == "png" and got["size"] == [640, 480]


def test_comfyui_image_workflow_without_reference_slots_refuses_references_naming_the_fix(comfy, tmp_path):
    client = connect("comfyui", comfy, image_workflow=str(comfyui.DEFAULT_IMAGE_WORKFLOWS[0]))
    assert client.capabilities("image_workflow").max_reference_images == 0
    error = expect(BadRequest, client.submit, image_request([_ref(tmp_path, "mara")], shot="sh040"))
    text = str(error)
    assert text.startswith("shot sh040: comfyui: image_workflow takes no reference images but the request has 1")
    assert "{{reference_1}}" in text and "image_text.json" in text and comfy.creates() == 0
