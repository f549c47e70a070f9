"""Luma Dream Machine's API as a fake (reference §2.2), base ``/luma/dream-machine/v1``.

``POST /generations`` (also ``/generations/video``) → 201 generation ``{id, state: queued, …}``;
``GET /generations/{id}`` (states queued → dreaming → completed | failed, ``failure_reason``,
``assets.video``); ``GET /generations`` (list); ``DELETE /generations/{id}`` → 204. ``callback_url``
receives the whole generation at completion (twice plus a stale one under ``dup_webhook``), unsigned.
``Authorization: Bearer <key>`` required.
"""

from __future__ import annotations

import time

from .core import FakeServer, Job, Reply, Request, bearer, body_hash, now_iso

NAME = "luma"
PREFIX = "/luma"
BASE_PATH = PREFIX + "/dream-machine/v1"
EXPIRED_STATUS = 403
KEY = "luma-3f0e6a9d2c4b8e1f7a5d0c9b2e4f6a8d"
DEFAULTS = {"api_key": KEY}
API = "/dream-machine/v1"

MODELS = {"ray-2", "ray-flash-2", "ray-1-6"}
RESOLUTIONS = {"540p", "720p", "1080p", "4k"}
DURATIONS = {"5s", "9s"}
RATIOS = {"1:1", "16:9", "9:16", "4:3", "3:4", "21:9", "9:21"}
FAILURES = {
    "moderation_input": "400: prompt not allowed because advanced moderation failed",
    "moderation_output": "Generated video failed content moderation",
    "failed": "Job failed due to an internal error",
}


def _problems(body: dict) -> list[str]:
    problems = []
    if body.get("model") not in MODELS:
        problems.append(f"model: must be one of {sorted(MODELS)}")
    if not isinstance(body.get("prompt"), str) or not body.get("prompt"):
        problems.append("prompt: field required")
    if body.get("model") != "ray-1-6":
        if body.get("resolution") not in RESOLUTIONS:
            problems.append(f"resolution: must be one of {sorted(RESOLUTIONS)}")
        if body.get("duration") not in DURATIONS:
            problems.append(f"duration: must be one of {sorted(DURATIONS)}")
    if body.get("aspect_ratio") not in RATIOS:
        problems.append(f"aspect_ratio: must be one of {sorted(RATIOS)}")
    keyframes = body.get("keyframes") or {}
    if set(keyframes) - {"frame0", "frame1"}:
        problems.append("keyframes: only frame0 and frame1")
    for name, frame in keyframes.items():
        ok = isinstance(frame, dict) and (
            (
                frame.get("type") == "image"
                and isinstance(frame.get("url"), str)
                and frame["url"].startswith(("https://", "data:image/"))
            )
            or (frame.get("type") == "generation" and isinstance(frame.get("id"), str))
        )
        if not ok:
            problems.append(f"keyframes.{name}: expected {{type: image, url}} or {{type: generation, id}}")
    return problems


def handle(server: FakeServer, request: Request) -> Reply:
    """Answer one request under ``/luma``."""
    if bearer(request) != server.api_key:
        return Reply(401, {"detail": "Invalid API key"})
    path = request.path
    if not path.startswith(API + "/generations"):
        return Reply(404, {"detail": "Not Found"})
    rest = path[len(API + "/generations") :].strip("/")
    if request.method == "POST" and rest in ("", "video"):
        return _create(server, request)
    if request.method == "GET" and rest == "":
        limit, offset = int(request.query.get("limit", 10)), int(request.query.get("offset", 0))
        jobs = sorted(server.jobs.values(), key=lambda j: j.created, reverse=True)
        page = [generation(server, j) for j in jobs[offset : offset + limit]]
        return Reply(200, {"generations": page, "has_more": offset + limit < len(jobs), "count": len(jobs)})
    job = server.job(rest)
    if job is None:
        return Reply(404, {"detail": "Generation not found"})
    if request.method == "GET":
        return Reply(200, generation(server, job))
    if request.method == "DELETE":
        job.canceled_at = job.canceled_at or time.monotonic()
        return Reply(204)
    return Reply(405, {"detail": "Method Not Allowed"})


def _create(server: FakeServer, request: Request) -> Reply:
    body = request.json()
    if not isinstance(body, dict):
        return Reply(400, {"detail": "Invalid JSON"})
    prompt = str(body.get("prompt", ""))
    scenario = server.scenario(request, prompt)
    key = body_hash(request.body)
    played = server.gate(scenario, key)
    if played == "rate_limited":
        return Reply(429, {"detail": "Too many requests"}, {"Retry-After": server.retry_after})
    if played == "quota":
        return Reply(429, {"detail": "Monthly generation limit reached"})
    if played == "server_error":
        return Reply((500, 503)[(server.attempts[key] - 1) % 2], {"detail": "Internal Server Error"})
    if played == "no_credit":
        return Reply(400, {"detail": "Insufficient credits"})
    if played == "moderation_submit":
        return Reply(400, {"detail": "400: prompt not allowed because advanced moderation failed"})
    problems = _problems(body)
    if played == "invalid" and not problems:
        problems = ["keyframes.frame0.url: could not download the image"]
    if problems:
        return Reply(400, {"detail": "; ".join(problems)})
    job = server.new_job(
        request,
        key=key,
        take=None,
        scenario=scenario,
        body=body,
        prompt=prompt,
        webhook=body.get("callback_url"),
    )
    job.extra["created_iso"] = now_iso()
    if job.webhook:
        _schedule_callbacks(server, job)
    return Reply(201, generation(server, job), job=job)


def generation(server: FakeServer, job: Job, phase: str | None = None) -> dict:
    """The generation object for ``job`` (at ``phase``, default now)."""
    phase = phase or job.phase()
    state, failure, assets = "queued", None, None
    if phase == "running":
        state = "dreaming"
    elif phase == "canceled":
        state, failure = "failed", "Generation was cancelled"
    elif phase == "done":
        if job.outcome in FAILURES:
            state, failure = "failed", FAILURES[job.outcome]
        elif job.outcome == "no_media":
            state, assets = "completed", {"video": None, "image": None}
        else:
            state, assets = "completed", {"video": server.file_url(job), "image": None}
    return {
        "id": job.id,
        "generation_type": "video",
        "state": state,
        "failure_reason": failure,
        "created_at": job.extra.get("created_iso"),
        "assets": assets,
        "model": job.body.get("model"),
        "version": "ray-2.0",
        "request": job.body,
    }


def _schedule_callbacks(server: FakeServer, job: Job) -> None:
    url = job.webhook

    def final() -> None:
        server.deliver(url, generation(server, job))
        if "dup_webhook" in job.scenario:
            server.deliver(url, generation(server, job))
            server.deliver(url, generation(server, job, phase="running"))  # stale, out of order

    server.when_done(job, final)
