"""Kling AI's API as a fake (reference §2.3), under ``/kling``.

Auth: ``Authorization: Bearer <JWT>`` signed HS256 with the secret key, ``iss`` = access key, checked
for signature, ``nbf`` and ``exp`` (401 with codes 1000–1004); with the option ``token_ttl`` a token
issued longer ago than that is answered 401/1004 (expired), to exercise renewal.
``POST /v1/videos/image2video`` (``image`` raw base64 — a ``data:`` prefix is refused — ≥ 300 px,
aspect 1:2.5–2.5:1; ``duration`` "5"/"10"; ``image_tail`` only in ``pro`` mode on models that have it)
→ ``{code: 0, data: {task_id, task_status: submitted, task_info: {external_task_id}}}``;
``GET /v1/videos/image2video/{task_id}``; ``GET /v1/videos/image2video?external_task_id=…`` (one task);
``GET /v1/videos/image2video?pageNum=&pageSize=`` (list). States submitted → processing →
succeed | failed (``task_status_msg``). Duplicate ``external_task_id`` values are accepted (the worst
case: the fake never deduplicates). ``callback_url`` receives the task data at completion.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import io
import json
import time

from PIL import Image, UnidentifiedImageError

from .core import FakeServer, Job, Reply, Request, bearer, body_hash

NAME = "kling"
PREFIX = "/kling"
BASE_PATH = PREFIX
EXPIRED_STATUS = 403
ACCESS_KEY = "ak-7c1e9f4b2d6a8c0e"
SECRET_KEY = "sk-2b8d4f6a1c3e5a7b9d0f2e4c6a8b1d3f"
DEFAULTS = {"access_key": ACCESS_KEY, "secret_key": SECRET_KEY, "token_ttl": None}
ENDPOINT = "/v1/videos/image2video"

# model: (end frame allowed in pro mode, durations)
MODELS = {
    "kling-v1": (True, ("5", "10")),
    "kling-v1-5": (True, ("5", "10")),
    "kling-v1-6": (True, ("5", "10")),
    "kling-v2-master": (False, ("5", "10")),
    "kling-v2-1": (True, ("5", "10")),
    "kling-v2-1-master": (False, ("5", "10")),
    "kling-v2-5-turbo": (True, ("5", "10")),
    "kling-v2-6": (True, ("5", "10")),
    "kling-v3": (True, tuple(str(s) for s in range(3, 16))),
}
FAILURES = {
    "moderation_input": "The input image triggered the content security policy (risk control)",
    "moderation_output": "Failure to pass the risk control system",
    "failed": "Internal error in generation, please try again",
}


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def check_token(server: FakeServer, token: str | None) -> tuple[int, str] | None:
    """None if the JWT is valid now, else (code, message)."""
    if not token:
        return 1001, "Authorization is empty"
    try:
        head, payload, signature = token.split(".")
        claims = json.loads(_b64url_decode(payload))
        header = json.loads(_b64url_decode(head))
    except (ValueError, binascii.Error):
        return 1002, "Authorization is invalid"
    expected = hmac.new(server.secret_key.encode(), f"{head}.{payload}".encode(), hashlib.sha256).digest()
    if header.get("alg") != "HS256" or not hmac.compare_digest(expected, _b64url_decode(signature)):
        return 1002, "Authorization is invalid"
    if claims.get("iss") != server.access_key:
        return 1000, "Authentication failed"
    now = time.time()
    if claims.get("nbf", 0) > now + 1:
        return 1003, "Authorization is not yet valid"
    if claims.get("exp", 0) <= now:
        return 1004, "Authorization has expired"
    ttl = server.token_ttl
    if ttl is not None and now - (claims.get("nbf", now) + 5) > ttl:
        return 1004, "Authorization has expired"
    return None


def envelope(data: object, code: int = 0, message: str = "SUCCEED") -> dict:
    return {"code": code, "message": message, "request_id": f"req-{time.time_ns()}", "data": data}


def handle(server: FakeServer, request: Request) -> Reply:
    """Answer one request under ``/kling``."""
    problem = check_token(server, bearer(request))
    if problem:
        return Reply(401, envelope(None, *problem))
    if not request.path.startswith(ENDPOINT):
        return Reply(404, envelope(None, 1203, "Requested resource does not exist"))
    rest = request.path[len(ENDPOINT) :].strip("/")
    if request.method == "POST" and rest == "":
        return _create(server, request)
    if request.method == "GET" and rest == "" and "external_task_id" in request.query:
        wanted = request.query["external_task_id"]
        found = [j for j in server.jobs.values() if j.take == wanted]
        if not found:
            return Reply(404, envelope(None, 1203, "Requested resource does not exist"))
        return Reply(200, envelope(task(server, max(found, key=lambda j: j.created))))
    if request.method == "GET" and rest == "":
        page, size = int(request.query.get("pageNum", 1)), int(request.query.get("pageSize", 30))
        jobs = sorted(server.jobs.values(), key=lambda j: j.created, reverse=True)
        return Reply(200, envelope([task(server, j) for j in jobs[(page - 1) * size : page * size]]))
    job = server.job(rest)
    if request.method == "GET" and job is not None:
        return Reply(200, envelope(task(server, job)))
    return Reply(404, envelope(None, 1203, "Requested resource does not exist"))


def _image_problem(value: object, name: str) -> str | None:
    if not isinstance(value, str) or not value:
        return f"{name} is required"
    if value.startswith(("http://", "https://")):
        return None
    if value.startswith("data:"):
        return f"{name}: Base64 must not carry a data: prefix"
    try:
        raw = base64.b64decode(value, validate=True)
        with Image.open(io.BytesIO(raw)) as image:
            w, h = image.size
            fmt = image.format
    except (binascii.Error, ValueError, UnidentifiedImageError):
        return f"{name}: invalid image data"
    if fmt not in ("PNG", "JPEG"):
        return f"{name}: only JPG/PNG are supported"
    if len(raw) > 10 * 1024 * 1024:
        return f"{name}: image exceeds 10MB"
    if min(w, h) < 300:
        return f"{name}: image width and height must be at least 300px"
    if not 0.4 <= w / h <= 2.5:
        return f"{name}: aspect ratio must be between 1:2.5 and 2.5:1"
    return None


def _problems(body: dict) -> list[str]:
    problems = []
    model = MODELS.get(body.get("model_name", "kling-v1"))
    if model is None:
        return [f"model_name: unsupported value {body.get('model_name')!r}"]
    for name in ("image", "image_tail"):
        if name == "image" or name in body:
            problem = _image_problem(body.get(name), name)
            if problem:
                problems.append(problem)
    if "image_tail" in body and (body.get("mode") != "pro" or not model[0]):
        problems.append("image_tail is not supported for this model and mode")
    if body.get("mode", "std") not in ("std", "pro"):
        problems.append("mode must be std or pro")
    if str(body.get("duration", "5")) not in model[1] or not isinstance(body.get("duration", "5"), str):
        problems.append(f"duration must be one of {list(model[1])} (string)")
    for name in ("prompt", "negative_prompt"):
        if len(str(body.get(name, ""))) > 2500:
            problems.append(f"{name} cannot exceed 2500 characters")
    return problems


def _create(server: FakeServer, request: Request) -> Reply:
    body = request.json()
    if not isinstance(body, dict):
        return Reply(400, envelope(None, 1200, "Invalid request body"))
    prompt = str(body.get("prompt", ""))
    scenario = server.scenario(request, prompt)
    take = body.get("external_task_id")
    key = take or body_hash(request.body)
    played = server.gate(scenario, key)
    if played == "rate_limited":
        return Reply(
            429,
            envelope(None, 1302, "The API request rate limit has been exceeded"),
            {"Retry-After": server.retry_after},
        )
    if played == "quota":
        return Reply(429, envelope(None, 1303, "Concurrent tasks exceed the resource package limit"))
    if played == "server_error":
        status, code = ((500, 5000), (503, 5001), (504, 5002))[(server.attempts[key] - 1) % 3]
        return Reply(status, envelope(None, code, "Server internal error"))
    if played == "no_credit":
        return Reply(429, envelope(None, 1102, "Resource pack has been used up or has expired"))
    if played == "moderation_submit":
        return Reply(400, envelope(None, 1301, "Trigger the content security policy of the platform"))
    problems = _problems(body)
    if played == "invalid" and not problems:
        problems = ["cfg_scale is out of range"]
    if problems:
        return Reply(400, envelope(None, 1201, "; ".join(problems)))
    job = server.new_job(
        request,
        key=key,
        take=take,
        scenario=scenario,
        body=body,
        prompt=prompt,
        webhook=body.get("callback_url"),
    )
    job.extra["created_ms"] = int(time.time() * 1000)
    if job.webhook:
        server.when_done(job, lambda: _callback(server, job))
    data = {
        "task_id": job.id,
        "task_status": "submitted",
        "task_info": {"external_task_id": take},
        "created_at": job.extra["created_ms"],
        "updated_at": job.extra["created_ms"],
    }
    return Reply(200, envelope(data), job=job)


def task(server: FakeServer, job: Job, phase: str | None = None) -> dict:
    """The task data of ``job`` now."""
    phase = phase or job.phase()
    data: dict = {
        "task_id": job.id,
        "task_info": {"external_task_id": job.take},
        "created_at": job.extra.get("created_ms"),
        "updated_at": int(time.time() * 1000),
        "task_status_msg": "",
    }
    if phase == "queued":
        data["task_status"] = "submitted"
    elif phase == "running":
        data["task_status"] = "processing"
    elif phase == "canceled" or job.outcome in FAILURES:
        data.update(task_status="failed", task_status_msg=FAILURES.get(job.outcome, "Task cancelled"))
    else:
        duration = str(job.body.get("duration", "5"))
        videos = (
            []
            if job.outcome == "no_media"
            else [{"id": f"v-{job.id}", "url": server.file_url(job), "duration": duration}]
        )
        data.update(task_status="succeed", task_result={"videos": videos})
    return data


def _callback(server: FakeServer, job: Job) -> None:
    server.deliver(job.webhook, task(server, job))
    if "dup_webhook" in job.scenario:
        server.deliver(job.webhook, task(server, job))
        server.deliver(job.webhook, task(server, job, phase="running"))
