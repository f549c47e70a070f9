"""Runway's API as a fake (reference §2.1), under ``/runway``.

``POST /v1/image_to_video`` and ``/v1/text_to_video`` (body checked per model: ratio, duration,
promptImage positions, promptText ≤ 1000, seed range) → ``{"id"}``; ``GET /v1/tasks/{id}`` →
``{id, createdAt, status, progress, output, failure, failureCode}``; ``DELETE /v1/tasks/{id}`` → 204.
Every API request needs ``Authorization: Bearer <key>`` (401 otherwise) and
``X-Runway-Version: 2024-11-06`` (400 otherwise).

``POST /v1/text_to_image`` (``gen4_image``, ``gen4_image_turbo``: model, ``ratio`` among the documented
output resolutions, ``promptText`` 1–1000, ``referenceImages`` ≤ 3 — at least one for the turbo model —
each ``{uri: data URI ≤ 5 MB or https URL, tag: 3–16 of [A-Za-z0-9_] starting with a letter, unique}``)
→ ``{"id"}``; the task's output is a PNG at the ratio's size (Runway decides it, not the request). Each
job records in ``job.extra["references"]`` the ``{tag, size, format, bytes}`` of every data-URI
reference it received.
"""

from __future__ import annotations

import base64
import re
import time

from . import media
from .core import FakeServer, Job, Reply, Request, bearer, body_hash, now_iso

NAME = "runway"
PREFIX = "/runway"
BASE_PATH = PREFIX
EXPIRED_STATUS = 403
KEY = "key_" + "5eb1c0ffee" * 12 + "0123456789abcdef"[:8]
DEFAULTS = {"api_key": KEY}
VERSION = "2024-11-06"

GEN4 = ["1280:720", "720:1280", "1104:832", "832:1104", "960:960", "1584:672"]
VEO = ["1280:720", "720:1280", "1920:1080", "1080:1920"]
MODELS = {
    "gen4_turbo": {"ratios": GEN4, "durations": [5, 10], "last": False, "text": False},
    "gen4.5": {"ratios": GEN4, "durations": list(range(2, 11)), "last": False, "text": True},
    "veo3.1": {"ratios": VEO, "durations": [4, 6, 8], "last": True, "text": True},
    "veo3.1_fast": {"ratios": VEO, "durations": [4, 6, 8], "last": True, "text": True},
    "veo3": {"ratios": VEO, "durations": [8], "last": False, "text": True},
}
IMAGE_RATIOS = ["1024:1024", "1080:1080", "1168:880", "1360:768", "1440:1080", "1080:1440", "1808:768",
                "1920:1080", "1080:1920", "2112:912", "1280:720", "720:1280", "720:720", "960:720", "720:960",
                "1680:720"]
IMAGE_MODELS = {"gen4_image": 0, "gen4_image_turbo": 1}  # model → fewest reference images
TAG = re.compile(r"[A-Za-z][A-Za-z0-9_]{2,15}")
FAILURES = {
    "moderation_input": ("SAFETY.INPUT.TEXT", "The prompt did not pass content moderation."),
    "moderation_output": ("SAFETY.OUTPUT.VIDEO", "The generated video did not pass content moderation."),
    "failed": ("INTERNAL.BAD_OUTPUT.CODE01", "An internal error occurred."),
}


def _issues(body: dict, text_only: bool) -> list[dict]:
    issues = []
    model = MODELS.get(body.get("model"))
    if model is None:
        return [{"path": ["model"], "message": f"Invalid enum value. Expected {' | '.join(MODELS)}"}]
    if text_only and not model["text"]:
        issues.append({"path": ["model"], "message": "This model does not support text_to_video"})
    prompt_image = body.get("promptImage")
    if not text_only:
        images = (
            prompt_image if isinstance(prompt_image, list) else [{"uri": prompt_image, "position": "first"}]
        )
        for n, image in enumerate(images):
            uri = image.get("uri") if isinstance(image, dict) else None
            if not isinstance(uri, str) or not uri.startswith(("data:image/", "https://")):
                issues.append({"path": ["promptImage", n], "message": "Expected an HTTPS URL or data URI"})
            elif uri.startswith("data:") and len(uri) > 5 * 1024 * 1024:
                issues.append({"path": ["promptImage", n], "message": "Data URI exceeds 5 MB"})
            position = image.get("position") if isinstance(image, dict) else None
            if position == "last" and not model["last"]:
                issues.append(
                    {"path": ["promptImage", n, "position"], "message": "Invalid literal, expected first"}
                )
        if isinstance(prompt_image, list) and [i.get("position") for i in prompt_image] == ["last"]:
            issues.append({"path": ["promptImage"], "message": "A last frame needs a first frame"})
    elif prompt_image is not None:
        issues.append({"path": ["promptImage"], "message": "Unrecognized key"})
    if body.get("ratio") not in model["ratios"]:
        issues.append(
            {"path": ["ratio"], "message": f"Invalid enum value. Expected {' | '.join(model['ratios'])}"}
        )
    if body.get("duration") not in model["durations"]:
        issues.append({"path": ["duration"], "message": f"Expected one of {model['durations']}"})
    text = body.get("promptText", "")
    if not isinstance(text, str) or len(text.encode("utf-16-le")) // 2 > 1000 or (text_only and not text):
        issues.append({"path": ["promptText"], "message": "String must contain 1 to 1000 characters"})
    seed = body.get("seed")
    if seed is not None and not (isinstance(seed, int) and 0 <= seed <= 4294967295):
        issues.append({"path": ["seed"], "message": "Number must be between 0 and 4294967295"})
    return issues


def _image_issues(body: dict) -> list[dict]:
    issues = []
    model = body.get("model")
    if model not in IMAGE_MODELS:
        return [{"path": ["model"], "message": f"Invalid enum value. Expected {' | '.join(IMAGE_MODELS)}"}]
    if body.get("ratio") not in IMAGE_RATIOS:
        issues.append({"path": ["ratio"], "message": f"Invalid enum value. Expected {' | '.join(IMAGE_RATIOS)}"})
    text = body.get("promptText", "")
    if not isinstance(text, str) or not text or len(text.encode("utf-16-le")) // 2 > 1000:
        issues.append({"path": ["promptText"], "message": "String must contain 1 to 1000 characters"})
    references = body.get("referenceImages", [])
    if not isinstance(references, list) or len(references) > 3 or len(references) < IMAGE_MODELS[model]:
        issues.append({"path": ["referenceImages"], "message": f"Array must contain {IMAGE_MODELS[model]} to 3 "
                       "element(s)"})
        references = []
    tags = []
    for n, reference in enumerate(references):
        uri = reference.get("uri") if isinstance(reference, dict) else None
        if not isinstance(uri, str) or not uri.startswith(("data:image/", "https://")):
            issues.append({"path": ["referenceImages", n, "uri"], "message": "Expected an HTTPS URL or data URI"})
        elif uri.startswith("data:") and len(uri) > 5 * 1024 * 1024:
            issues.append({"path": ["referenceImages", n, "uri"], "message": "Data URI exceeds 5 MB"})
        tag = reference.get("tag") if isinstance(reference, dict) else None
        if tag is not None and (not isinstance(tag, str) or not TAG.fullmatch(tag) or tag in tags):
            issues.append({"path": ["referenceImages", n, "tag"], "message": "Invalid tag"})
        tags.append(tag)
    seed = body.get("seed")
    if seed is not None and not (isinstance(seed, int) and 0 <= seed <= 4294967295):
        issues.append({"path": ["seed"], "message": "Number must be between 0 and 4294967295"})
    return issues


def received(references: list) -> list[dict]:
    """What the data-URI references decode to: ``{tag, size, format, bytes}`` each."""
    found = []
    for reference in references:
        uri = reference.get("uri", "")
        if uri.startswith("data:"):
            found.append({"tag": reference.get("tag"),
                          **media.image_info(base64.b64decode(uri.split(",", 1)[1]))})
    return found


def handle(server: FakeServer, request: Request) -> Reply:
    """Answer one request under ``/runway``."""
    if bearer(request) != server.api_key:
        return Reply(401, {"error": "Invalid API key. Ensure you are using a valid key."})
    if request.headers.get("X-Runway-Version") != VERSION:
        return Reply(400, {"error": "The X-Runway-Version header is missing or invalid; use 2024-11-06."})
    parts = request.path.strip("/").split("/")
    if request.method == "POST" and request.path in ("/v1/image_to_video", "/v1/text_to_video"):
        return _create(server, request, request.path == "/v1/text_to_video")
    if request.method == "POST" and request.path == "/v1/text_to_image":
        return _create(server, request, False, image=True)
    if len(parts) == 3 and parts[:2] == ["v1", "tasks"]:
        job = server.job(parts[2])
        if job is None:
            return Reply(404, {"error": "Task not found."})
        if request.method == "GET":
            return Reply(200, task(server, job))
        if request.method == "DELETE":
            job.canceled_at = job.canceled_at or time.monotonic()
            return Reply(204)
    return Reply(404, {"error": "Not found."})


def _create(server: FakeServer, request: Request, text_only: bool, image: bool = False) -> Reply:
    body = request.json()
    if not isinstance(body, dict):
        return Reply(400, {"error": "Invalid JSON body."})
    prompt = str(body.get("promptText", ""))
    scenario = server.scenario(request, prompt)
    key = body_hash(request.body)
    played = server.gate(scenario, key)
    if played == "rate_limited":
        return Reply(
            429,
            {"error": "You have exceeded the rate limit for this endpoint."},
            {"Retry-After": server.retry_after},
        )
    if played == "quota":
        return Reply(429, {"error": "You have reached your daily task limit for this model."})
    if played == "server_error":
        status = (503, 502, 500)[(server.attempts[key] - 1) % 3]
        return Reply(status, {"error": "The service is temporarily overloaded."})
    if played == "no_credit":
        return Reply(400, {"error": "You do not have enough credits to run this task."})
    if played == "moderation_submit":
        return Reply(400, {"error": "Your text prompt did not pass our content moderation."})
    issues = _image_issues(body) if image else _issues(body, text_only)
    if played == "invalid" and not issues:
        issues = [{"path": ["promptImage"], "message": "The image could not be decoded."}]
    if issues:
        return Reply(400, {"error": "Validation of body failed", "issues": issues})
    job = server.new_job(request, key=key, take=None, scenario=scenario, body=body, prompt=prompt)
    job.extra["created_iso"] = now_iso()
    if image:
        width, height = (int(v) for v in body["ratio"].split(":"))
        job.extra["image"] = (width, height, "png")
        job.extra["references"] = received(body.get("referenceImages", []))
    return Reply(200, {"id": job.id}, job=job)


def task(server: FakeServer, job: Job) -> dict:
    """The task object for ``job`` now."""
    phase = job.phase()
    out = {"id": job.id, "createdAt": job.extra.get("created_iso")}
    if phase == "queued":
        out["status"] = "THROTTLED" if job.throttled else "PENDING"
    elif phase == "running":
        out.update(status="RUNNING", progress=job.progress())
    elif phase == "canceled":
        out["status"] = "CANCELLED"
    elif job.outcome in FAILURES:
        code, text = FAILURES[job.outcome]
        out.update(status="FAILED", failure=text, failureCode=code)
    elif job.outcome == "no_media":
        out.update(status="SUCCEEDED", output=[])
    else:
        out.update(status="SUCCEEDED", output=[server.file_url(job, ".png" if job.extra.get("image") else ".mp4")])
    return out
