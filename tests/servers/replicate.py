"""Replicate's API as a fake (reference §2.5), under ``/replicate``.

``POST /v1/models/{owner}/{name}/predictions`` (or ``/v1/predictions`` with ``version``) →
201 prediction ``{id, status: starting, urls: {get, cancel, stream, web}, …}``;
``GET /v1/predictions/{id}`` (starting → processing → succeeded | failed | canceled, ``output``,
``error``, ``metrics.predict_time``, ``data_removed``); ``GET /v1/predictions`` (list);
``POST /v1/predictions/{id}/cancel``. Inputs are checked per model (422 ``invalid_fields``); 402 when
out of credit; 429 ``Request was throttled``. Webhooks are signed the Standard Webhooks way
(``webhook-id``, ``webhook-timestamp``, ``webhook-signature: v1,<base64 HMAC-SHA256>``) with
``WEBHOOK_SECRET``; expired outputs answer 404 (Replicate deletes them after an hour).

Image models (``IMAGE_MODELS``): ``google/nano-banana`` (``image_input``: a list) and
``black-forest-labs/flux-kontext-pro`` (``input_image``: one), each checking ``aspect_ratio`` and
``output_format``; the output is the URL of a PNG at the model's size for the ratio. ``POST /v1/files``
(multipart ``content``) stores an upload and answers ``{id, name, content_type, size, checksums, urls:
{get}}``; ``GET /v1/files/{id}`` serves it (with the key). Each job records in ``job.extra["references"]``
``{via: "data"|"file", size, format, bytes}`` for every input image it received, and ``uploads`` lists
every upload.
"""

from __future__ import annotations

import base64
import email.parser
import email.policy
import hashlib
import hmac
import json
import time
import uuid

from . import media
from .core import FakeServer, Job, Reply, Request, bearer, body_hash, now_iso
from .fal import GEMINI_SIZES, still_size

NAME = "replicate"
PREFIX = "/replicate"
BASE_PATH = PREFIX
EXPIRED_STATUS = 404
KEY = "r8_Fk3b9XqT2mV7nW4pL6sD1hJ0gY5cA8eR3uI9o"
WEBHOOK_SECRET = "whsec_" + base64.b64encode(b"fake-replicate-webhook-secret-32").decode()
DEFAULTS = {"api_key": KEY, "webhook_secret": WEBHOOK_SECRET}
VERSIONS = {"kwaivgi/kling-v2.1": "f9c9b5d3e0a1", "google/veo-3.1-fast": "0b7d6e2c4a91"}

MODELS = {
    "kwaivgi/kling-v2.1": {
        "image": "start_image",
        "end": "end_image",
        "durations": (5, 10),
        "required": ("prompt", "start_image"),
    },
    "google/veo-3.1-fast": {
        "image": "image",
        "end": "last_frame",
        "durations": (4, 6, 8),
        "required": ("prompt",),
    },
}
IMAGE_MODELS = {
    "google/nano-banana": ("image_input", True, ("match_input_image", *GEMINI_SIZES)),
    "black-forest-labs/flux-kontext-pro": ("input_image", False, ("match_input_image", "1:1", "16:9", "9:16", "4:3",
                                                                   "3:4", "3:2", "2:3", "4:5", "5:4", "21:9",
                                                                   "9:21", "2:1", "1:2")),
}
VERSIONS.update({"google/nano-banana": "5bdc2c7c4a1e", "black-forest-labs/flux-kontext-pro": "0f1178f5a1f2"})
FAILURES = {
    "moderation_input": "The input or output was flagged as sensitive. Please try again with different "
    "inputs. (E005)",
    "moderation_output": "NSFW content detected in the output. Try running it again, or try a different "
    "prompt.",
    "failed": "Prediction failed: CUDA error: an illegal memory access was encountered",
}


def _image_invalid(model: str, given: dict) -> list[dict]:
    field, many, ratios = IMAGE_MODELS[model]
    fields = []
    if not given.get("prompt"):
        fields.append({"type": "required", "field": "input.prompt", "description": "prompt is required"})
    value = given.get(field)
    values = (value if isinstance(value, list) else [value]) if many else [value]
    if value is not None and (not values or not all(
            isinstance(v, str) and v.startswith(("https://", "http://", "data:")) for v in values)):
        fields.append({"type": "format", "field": f"input.{field}", "description": "Does not match format 'uri'"})
    if given.get("aspect_ratio", ratios[0]) not in ratios:
        fields.append({"type": "enum", "field": "input.aspect_ratio",
                       "description": f"input.aspect_ratio must be one of the following: {list(ratios)}"})
    if given.get("output_format", "png") not in ("jpg", "png"):
        fields.append({"type": "enum", "field": "input.output_format", "description": "must be jpg or png"})
    if model == "black-forest-labs/flux-kontext-pro" and value and given.get("safety_tolerance", 2) > 2:
        fields.append({"type": "invalid", "field": "input.safety_tolerance",
                       "description": "safety_tolerance is at most 2 with an input image"})
    return fields


def _received(server: FakeServer, model: str, given: dict) -> list[dict]:
    field = IMAGE_MODELS[model][0]
    value = given.get(field)
    found = []
    for uri in value if isinstance(value, list) else [value] if value else []:
        if uri.startswith("data:"):
            found.append({"via": "data", **media.image_info(base64.b64decode(uri.split(",", 1)[1]))})
        else:
            upload = server.state.get("files", {}).get(uri.rstrip("/").rsplit("/", 1)[-1])
            found.append({"via": "file", **media.image_info(upload["data"])} if upload else {"via": "unknown"})
    return found


def _upload(server: FakeServer, request: Request) -> Reply:
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {request.headers.get('Content-Type', '')}\r\n\r\n".encode() + request.body)
    part = next((p for p in message.iter_parts() if p.get_param("name", header="content-disposition") == "content"),
                None)
    if part is None or not part.get_filename():
        return Reply(400, {"title": "Bad request", "detail": "content is required", "status": 400})
    data = part.get_payload(decode=True)
    file_id = uuid.uuid4().hex[:24]
    record = {"id": file_id, "name": part.get_filename(), "content_type": part.get_content_type(),
              "size": len(data), "checksums": {"sha256": hashlib.sha256(data).hexdigest()},
              "created_at": now_iso(), "urls": {"get": f"{server.url}/v1/files/{file_id}"}}
    with server.lock:
        server.state.setdefault("files", {})[file_id] = {**record, "data": data}
        server.state.setdefault("uploads", []).append(record)
    return Reply(201, record)


def _invalid(model: str, given: dict) -> list[dict]:
    spec = MODELS[model]
    fields = []
    for name in spec["required"]:
        if not given.get(name):
            fields.append(
                {"type": "required", "field": f"input.{name}", "description": f"{name} is required"}
            )
    for name in (spec["image"], spec["end"]):
        value = given.get(name)
        if value is not None and not (isinstance(value, str) and value.startswith(("https://", "data:"))):
            fields.append(
                {"type": "format", "field": f"input.{name}", "description": "Does not match format 'uri'"}
            )
    if "duration" in given and given["duration"] not in spec["durations"]:
        fields.append(
            {
                "type": "enum",
                "field": "input.duration",
                "description": f"input.duration must be one of the following: {list(spec['durations'])}",
            }
        )
    if model == "kwaivgi/kling-v2.1":
        if given.get("mode", "standard") not in ("standard", "pro"):
            fields.append({"type": "enum", "field": "input.mode", "description": "must be standard or pro"})
        if given.get("end_image") and given.get("mode") != "pro":
            fields.append(
                {"type": "invalid", "field": "input.end_image", "description": "end_image needs mode pro"}
            )
    if given.get(spec["end"]) and not given.get(spec["image"]):
        fields.append(
            {"type": "invalid", "field": f"input.{spec['end']}", "description": "needs a first frame"}
        )
    return fields


def handle(server: FakeServer, request: Request) -> Reply:
    """Answer one request under ``/replicate``."""
    if bearer(request) != server.api_key:
        return Reply(
            401,
            {
                "title": "Unauthenticated",
                "detail": "You did not pass a valid authentication token",
                "status": 401,
            },
        )
    parts = request.path.strip("/").split("/")
    if request.method == "POST" and parts == ["v1", "files"]:
        return _upload(server, request)
    if request.method == "GET" and parts[:2] == ["v1", "files"] and len(parts) == 3:
        found = server.state.get("files", {}).get(parts[2])
        if found is None:
            return Reply(404, {"title": "Not found", "detail": "Not found.", "status": 404})
        return Reply(200, raw=found["data"], content_type=found["content_type"])
    if (
        request.method == "POST"
        and len(parts) == 5
        and parts[:2] == ["v1", "models"]
        and parts[4] == "predictions"
    ):
        return _create(server, request, f"{parts[2]}/{parts[3]}")
    if request.method == "POST" and parts == ["v1", "predictions"]:
        body = request.json() or {}
        version = str(body.get("version", ""))
        model = next((m for m, v in VERSIONS.items() if version in (v, f"{m}:{v}")), None)
        if model is None:
            return Reply(
                422,
                {"title": "Invalid version", "detail": "The specified version does not exist", "status": 422},
            )
        return _create(server, request, model)
    if parts[:2] == ["v1", "predictions"] and len(parts) == 2 and request.method == "GET":
        jobs = sorted(server.jobs.values(), key=lambda j: j.created, reverse=True)
        return Reply(
            200, {"previous": None, "next": None, "results": [prediction(server, j) for j in jobs[:100]]}
        )
    if parts[:2] == ["v1", "predictions"] and len(parts) >= 3:
        job = server.job(parts[2])
        if job is None:
            return Reply(404, {"title": "Not found", "detail": "Not found.", "status": 404})
        if request.method == "GET" and len(parts) == 3:
            return Reply(200, prediction(server, job))
        if request.method == "POST" and parts[3:] == ["cancel"]:
            if job.phase() not in ("done", "canceled"):
                job.canceled_at = time.monotonic()
            return Reply(200, prediction(server, job))
    return Reply(404, {"title": "Not found", "detail": "Not found.", "status": 404})


def _create(server: FakeServer, request: Request, model: str) -> Reply:
    if model not in MODELS and model not in IMAGE_MODELS:
        return Reply(404, {"title": "Not found", "detail": f"Model {model} not found", "status": 404})
    body = request.json()
    if not isinstance(body, dict) or not isinstance(body.get("input"), dict):
        return Reply(422, {"title": "Input validation failed", "detail": "input is required", "status": 422})
    given = body["input"]
    prompt = str(given.get("prompt", ""))
    scenario = server.scenario(request, prompt)
    key = body_hash(request.body)
    played = server.gate(scenario, key)
    if played == "rate_limited":
        return Reply(
            429,
            {
                "detail": f"Request was throttled. Expected available in {server.retry_after} second.",
                "status": 429,
            },
            {"Retry-After": server.retry_after},
        )
    if played == "quota":
        return Reply(
            429,
            {
                "detail": "Request was throttled. Your rate limit is lower while you have less than "
                "$5.0 in credit.",
                "status": 429,
            },
        )
    if played == "server_error":
        return Reply(
            (500, 502, 503)[(server.attempts[key] - 1) % 3],
            {"detail": "Internal server error", "status": 500},
        )
    if played == "no_credit":
        return Reply(
            402,
            {
                "title": "Insufficient credit",
                "detail": "You have insufficient credit to run this "
                "model. Go to https://replicate.com/account/billing#billing to purchase credit.",
                "status": 402,
            },
        )
    if played == "moderation_submit":
        return Reply(
            422,
            {
                "title": "Input validation failed",
                "detail": "The input was flagged as sensitive by the safety checker (E005).",
                "status": 422,
            },
        )
    fields = _image_invalid(model, given) if model in IMAGE_MODELS else _invalid(model, given)
    if played == "invalid" and not fields:
        fields = [{"type": "format", "field": "input.start_image", "description": "Could not load the image"}]
    if fields:
        detail = "\n".join(f"- {f['field']}: {f['description']}" for f in fields)
        return Reply(
            422,
            {"title": "Input validation failed", "detail": detail, "status": 422, "invalid_fields": fields},
        )
    job = server.new_job(
        request,
        key=key,
        take=None,
        scenario=scenario,
        body=body,
        prompt=prompt,
        webhook=body.get("webhook"),
        model=model,
        created_iso=now_iso(),
    )
    if model in IMAGE_MODELS:
        ratio = given.get("aspect_ratio", "1:1")
        ratio = "1:1" if ratio == "match_input_image" else ratio
        job.extra["image"] = (*still_size("fal-ai/nano-banana" if model == "google/nano-banana" else model, ratio),
                              "png")
        job.extra["references"] = _received(server, model, given)
    if job.webhook and "completed" in (body.get("webhook_events_filter") or ["completed"]):
        server.when_done(job, lambda: _webhook(server, job))
    return Reply(201, prediction(server, job), job=job)


def prediction(server: FakeServer, job: Job, phase: str | None = None) -> dict:
    """The prediction object of ``job`` now."""
    phase = phase or job.phase()
    base = f"{server.url}/v1/predictions/{job.id}"
    model = job.extra["model"]
    out = {
        "id": job.id,
        "model": model,
        "version": VERSIONS[model],
        "input": job.body["input"],
        "logs": "",
        "output": None,
        "data_removed": False,
        "error": None,
        "status": "starting",
        "created_at": job.extra["created_iso"],
        "urls": {
            "get": base,
            "cancel": base + "/cancel",
            "stream": f"{server.root}/stream/{job.id}",
            "web": f"https://replicate.com/p/{job.id}",
        },
    }
    if phase == "running":
        out["status"] = "processing"
        out["logs"] = f"{int(job.progress() * 100)}%"
    elif phase == "canceled":
        out["status"] = "canceled"
    elif phase == "done":
        out["metrics"] = {"predict_time": round(job.end - job.start, 3)}
        out["completed_at"] = now_iso()
        if job.outcome in FAILURES:
            out.update(status="failed", error=FAILURES[job.outcome])
        else:
            out["status"] = "succeeded"
            out["output"] = None if job.outcome == "no_media" else server.file_url(
                job, ".png" if job.extra.get("image") else ".mp4")
            out["data_removed"] = "expired" in job.scenario
    return out


def sign(secret: str, webhook_id: str, timestamp: str, body: bytes) -> str:
    """The Standard Webhooks ``webhook-signature`` value for a delivery."""
    key = base64.b64decode(secret.split("_", 1)[1])
    digest = hmac.new(key, f"{webhook_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def _send(server: FakeServer, job: Job, body: dict, webhook_id: str) -> None:
    timestamp = str(int(time.time()))
    data = json.dumps(body).encode()
    headers = {
        "webhook-id": webhook_id,
        "webhook-timestamp": timestamp,
        "webhook-signature": sign(server.webhook_secret, webhook_id, timestamp, data),
    }
    server.deliver(job.webhook, body, headers, raw=data)


def _webhook(server: FakeServer, job: Job) -> None:
    final_id = f"msg_{uuid.uuid4().hex}"
    _send(server, job, prediction(server, job), final_id)
    if "dup_webhook" in job.scenario:
        _send(server, job, prediction(server, job), final_id)  # a retry: same webhook-id
        _send(server, job, prediction(server, job, phase="running"), f"msg_{uuid.uuid4().hex}")  # stale
