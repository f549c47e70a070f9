"""fal.ai's queue as a fake (reference §2.4), under ``/fal`` (stands for ``https://queue.fal.run``).

``POST /{owner}/{app}/{subpath…}`` with the model's input → ``{request_id, gateway_request_id,
status_url, response_url, cancel_url, queue_position}`` (status/result/cancel live under
``/{owner}/{app}/requests/{id}`` — no subpath); ``GET …/status`` → 202 ``IN_QUEUE`` (+ queue_position)
/ 202 ``IN_PROGRESS`` / 200 ``COMPLETED``; ``GET …/requests/{id}`` → the output ``{video: {url, …}}`` or
the error body (422 ``detail[]`` with ``type`` such as ``content_policy_violation``; 500 with
``error_type``); ``PUT …/cancel`` → 202 ``CANCELLATION_REQUESTED`` / 400 ``ALREADY_COMPLETED`` / 404.
Input is validated when the job runs (so bad input shows as COMPLETED + 422), like the real queue.
``?fal_webhook=`` receives ``{request_id, gateway_request_id, status: OK|ERROR, payload, error}``.
``Authorization: Key <key>`` required.

Image models (``IMAGE_MODELS``): ``fal-ai/nano-banana/edit`` (``image_urls``, 1–10), ``fal-ai/nano-banana``,
``fal-ai/flux-pro/kontext`` (``image_url``) and ``fal-ai/flux-pro/kontext/text-to-image``, each checking its
``aspect_ratio`` and ``output_format`` when it runs; the output is ``{images: [{url, width, height,
content_type, …}], seed, has_nsfw_concepts}`` with a still at the model's size for that ratio (Gemini's
documented table; about a megapixel in multiples of 32 for Kontext). Each job records in
``job.extra["references"]`` the ``{size, format, bytes}`` of every data-URI image it received.
"""

from __future__ import annotations

import base64
import math
import time
import uuid

from . import media
from .core import FakeServer, Job, Reply, Request, body_hash

NAME = "fal"
PREFIX = "/fal"
BASE_PATH = PREFIX
EXPIRED_STATUS = 403
KEY = "5f0c2a9e-1b7d-4c3e-9a8f-2d6b4e0c1a3f:9c8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a"
DEFAULTS = {"api_key": KEY}

# endpoint id → (tail image field or None, durations)
MODELS = {
    "fal-ai/kling-video/v2.1/standard/image-to-video": (None, ("5", "10")),
    "fal-ai/kling-video/v2.1/pro/image-to-video": ("tail_image_url", ("5", "10")),
    "fal-ai/kling-video/v2.5-turbo/pro/image-to-video": ("tail_image_url", ("5", "10")),
}

GEMINI_SIZES = {"1:1": (1024, 1024), "2:3": (832, 1248), "3:2": (1248, 832), "3:4": (864, 1184),
                "4:3": (1184, 864), "4:5": (896, 1152), "5:4": (1152, 896), "9:16": (768, 1344),
                "16:9": (1344, 768), "21:9": (1536, 672)}
KONTEXT_RATIOS = ("21:9", "16:9", "4:3", "3:2", "1:1", "2:3", "3:4", "9:16", "9:21")
# endpoint id → (image field, list or one, ratios, output formats)
IMAGE_MODELS = {
    "fal-ai/nano-banana/edit": ("image_urls", True, tuple(GEMINI_SIZES), ("jpeg", "png", "webp")),
    "fal-ai/nano-banana": (None, False, tuple(GEMINI_SIZES), ("jpeg", "png", "webp")),
    "fal-ai/flux-pro/kontext": ("image_url", False, KONTEXT_RATIOS, ("jpeg", "png")),
    "fal-ai/flux-pro/kontext/text-to-image": (None, False, KONTEXT_RATIOS, ("jpeg", "png")),
}


def still_size(model: str, ratio: str) -> tuple[int, int]:
    """The size the model makes a still of at ``ratio``."""
    if model.startswith("fal-ai/nano-banana"):
        return GEMINI_SIZES[ratio]
    w, h = (int(v) for v in ratio.split(":"))
    width = math.sqrt(1_000_000 * w / h)
    return round(width / 32) * 32, round(width * h / w / 32) * 32


def _image_errors(model: str, body: dict) -> list[dict]:
    field, many, ratios, formats = IMAGE_MODELS[model]
    errors = []
    if not isinstance(body.get("prompt"), str) or not body.get("prompt"):
        errors.append(_error(["body", "prompt"], "Field required", "missing"))
    if field:
        value = body.get(field)
        values = value if many and isinstance(value, list) else [value]
        if not values or len(values) > 10 or not all(
                isinstance(v, str) and v.startswith(("https://", "data:image/")) for v in values):
            errors.append(_error(["body", field], "Expected URLs or data URIs of images", "image_load_error"))
    for extra in ("image_urls", "image_url"):
        if extra in body and extra != field:
            errors.append(_error(["body", extra], "Extra inputs are not permitted", "extra_forbidden"))
    if body.get("aspect_ratio", ratios[0]) not in ratios:
        errors.append(_error(["body", "aspect_ratio"], f"Input should be {', '.join(ratios)}", "literal_error"))
    if body.get("output_format", "png") not in formats:
        errors.append(_error(["body", "output_format"], f"Input should be {', '.join(formats)}", "literal_error"))
    return errors


def received(body: dict) -> list[dict]:
    """What the data-URI images of a request decode to: ``{size, format, bytes}`` each."""
    values = body.get("image_urls") or ([body["image_url"]] if body.get("image_url") else [])
    return [media.image_info(base64.b64decode(v.split(",", 1)[1])) for v in values
            if isinstance(v, str) and v.startswith("data:")]


def _error(loc: list, msg: str, kind: str) -> dict:
    return {"loc": loc, "msg": msg, "type": kind, "url": f"https://docs.fal.ai/errors/#{kind}"}


def _input_errors(model: str, body: dict) -> list[dict]:
    tail, durations = MODELS[model]
    errors = []
    if not isinstance(body.get("prompt"), str) or not body.get("prompt"):
        errors.append(_error(["body", "prompt"], "Field required", "missing"))
    image = body.get("image_url")
    if not isinstance(image, str) or not image.startswith(("https://", "data:image/")):
        errors.append(_error(["body", "image_url"], "Expected a URL or data URI", "image_load_error"))
    if "tail_image_url" in body and tail is None:
        errors.append(_error(["body", "tail_image_url"], "Extra inputs are not permitted", "extra_forbidden"))
    if str(body.get("duration", "5")) not in durations:
        errors.append(
            _error(["body", "duration"], f"Input should be {' or '.join(durations)}", "literal_error")
        )
    return errors


def _app_and_rest(path: str) -> tuple[str, list[str]]:
    parts = path.strip("/").split("/")
    return "/".join(parts[:2]), parts[2:]


def handle(server: FakeServer, request: Request) -> Reply:
    """Answer one request under ``/fal``."""
    if request.headers.get("Authorization") != f"Key {server.api_key}":
        return Reply(401, {"detail": "No user found for Key ID and Secret"})
    app, rest = _app_and_rest(request.path)
    if request.method == "POST":
        model = request.path.strip("/")
        if model not in MODELS and model not in IMAGE_MODELS:
            return Reply(404, {"detail": f"Application '{model}' not found"})
        return _create(server, request, model, app)
    if not rest or rest[0] != "requests" or len(rest) < 2:
        return Reply(404, {"detail": "Not Found"})
    job = server.job(rest[1])
    if job is None or job.extra.get("app") != app:
        return Reply(404, {"detail": "Request not found"})
    tail = rest[2:]
    if request.method == "GET" and tail == ["status"]:
        return _status(server, job, request.query.get("logs") == "1")
    if request.method == "GET" and not tail:
        return _result(server, job)
    if request.method == "PUT" and tail == ["cancel"]:
        if job.phase() in ("done", "canceled"):
            return Reply(400, {"status": "ALREADY_COMPLETED"})
        job.canceled_at = time.monotonic()
        return Reply(202, {"status": "CANCELLATION_REQUESTED"})
    return Reply(405, {"detail": "Method Not Allowed"})


def _create(server: FakeServer, request: Request, model: str, app: str) -> Reply:
    body = request.json()
    if not isinstance(body, dict):
        return Reply(422, {"detail": [_error(["body"], "Input should be a valid dictionary", "dict_type")]})
    prompt = str(body.get("prompt", ""))
    scenario = server.scenario(request, prompt)
    key = body_hash(request.body)
    played = server.gate(scenario, key)
    if played == "rate_limited":
        return Reply(429, {"detail": "Too many requests"}, {"Retry-After": server.retry_after})
    if played == "quota":
        return Reply(429, {"detail": "Too many requests"})
    if played == "server_error":
        return Reply(
            503,
            {"detail": "No runner could be allocated", "error_type": "runner_scheduling_failure"},
            {"X-Fal-Error-Type": "runner_scheduling_failure"},
        )
    if played == "no_credit":
        return Reply(
            403,
            {
                "detail": "User is locked. Reason: Exhausted balance. Top up your balance at "
                "fal.ai/dashboard/billing."
            },
        )
    if played == "moderation_submit":
        return Reply(
            422,
            {
                "detail": [
                    _error(
                        ["body", "prompt"],
                        "The prompt was flagged by the content checker",
                        "content_policy_violation",
                    )
                ]
            },
        )
    job = server.new_job(
        request,
        key=key,
        take=None,
        scenario=scenario,
        body=body,
        prompt=prompt,
        webhook=request.query.get("fal_webhook"),
        app=app,
        model=model,
        gateway=str(uuid.uuid4()),
    )
    if model in IMAGE_MODELS:
        ratio = body.get("aspect_ratio") if body.get("aspect_ratio") in IMAGE_MODELS[model][2] else "1:1"
        fmt = body.get("output_format") if body.get("output_format") in ("jpeg", "png", "webp") else "png"
        job.extra["image"] = (*still_size(model, ratio), fmt)
        job.extra["references"] = received(body)
    base = f"{server.url}/{app}/requests/{job.id}"
    if job.webhook:
        server.when_done(job, lambda: _webhook(server, job))
    return Reply(
        200,
        {
            "request_id": job.id,
            "gateway_request_id": job.extra["gateway"],
            "response_url": base,
            "status_url": base + "/status",
            "cancel_url": base + "/cancel",
            "queue_position": _queue_position(server, job),
        },
        job=job,
    )


def _queue_position(server: FakeServer, job: Job) -> int:
    now = time.monotonic()
    return sum(1 for j in server.jobs.values() if j.phase(now) == "queued" and j.created < job.created)


def _status(server: FakeServer, job: Job, logs: bool) -> Reply:
    base = f"{server.url}/{job.extra['app']}/requests/{job.id}"
    phase = job.phase()
    if phase == "queued":
        return Reply(
            202, {"status": "IN_QUEUE", "queue_position": _queue_position(server, job), "response_url": base}
        )
    if phase == "running":
        return Reply(
            202,
            {
                "status": "IN_PROGRESS",
                "logs": [{"message": "Generating"}] if logs else None,
                "response_url": base,
            },
        )
    return Reply(
        200,
        {
            "status": "COMPLETED",
            "logs": [] if logs else None,
            "response_url": base,
            "metrics": {"inference_time": round(job.end - job.start, 3)},
        },
    )


def _outcome(server: FakeServer, job: Job) -> tuple[int, dict, dict]:
    """(HTTP status, body, headers) of the job's result."""
    if job.phase() == "canceled":
        return 400, {"detail": "Request was cancelled", "error_type": "client_cancelled"}, {}
    image = job.extra["model"] in IMAGE_MODELS
    errors = _image_errors(job.extra["model"], job.body) if image else _input_errors(job.extra["model"], job.body)
    if "invalid" in job.scenario and not errors:
        errors = [_error(["body", "image_url"], "Image is too small", "image_too_small")]
    if errors:
        return 422, {"detail": errors}, {"X-Fal-Retryable": "false"}
    if job.outcome in ("moderation_input", "moderation_output"):
        loc = ["body", "prompt"] if job.outcome == "moderation_input" else ["body"]
        msg = (
            "The content could not be processed because it contained material flagged by a content checker."
            if job.outcome == "moderation_input"
            else "The generated video was flagged by the content checker."
        )
        return 422, {"detail": [_error(loc, msg, "content_policy_violation")]}, {"X-Fal-Retryable": "false"}
    if job.outcome == "failed":
        return (
            500,
            {
                "detail": "The runner encountered an internal server error",
                "error_type": "runner_server_error",
            },
            {"X-Fal-Error-Type": "runner_server_error"},
        )
    if job.outcome == "no_media":
        if image:
            return 200, {"images": [], "has_nsfw_concepts": [True], "seed": 42}, {}
        return 200, {"video": None, "has_nsfw_concepts": [True]}, {}
    if image:
        width, height, fmt = job.extra["image"]
        return 200, {
            "images": [{"url": server.file_url(job, f".{'jpg' if fmt == 'jpeg' else fmt}"),
                        "content_type": media.IMAGE_TYPES[fmt], "file_name": f"output.{fmt}",
                        "file_size": len(server.result(job)), "width": width, "height": height}],
            "seed": 42, "has_nsfw_concepts": [False], "prompt": job.body.get("prompt"),
        }, {}
    return (
        200,
        {
            "video": {
                "url": server.file_url(job),
                "content_type": "video/mp4",
                "file_name": "output.mp4",
                "file_size": len(server.result(job)),
            },
            "seed": 42,
        },
        {},
    )


def _result(server: FakeServer, job: Job) -> Reply:
    if job.phase() in ("queued", "running"):
        return Reply(400, {"detail": "Request is still in progress"})
    status, body, headers = _outcome(server, job)
    return Reply(status, body, headers)


def _webhook(server: FakeServer, job: Job) -> None:
    status, body, _ = _outcome(server, job)
    ok = status == 200
    payload = {
        "request_id": job.id,
        "gateway_request_id": job.extra["gateway"],
        "status": "OK" if ok else "ERROR",
        "payload": body if ok else None,
        "error": None if ok else f"Request failed with status {status}",
        "payload_error": None,
    }
    if not ok:
        payload["payload"] = body
    server.deliver(job.webhook, payload)
    if "dup_webhook" in job.scenario:
        server.deliver(job.webhook, payload)
