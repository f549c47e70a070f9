"""Luma Dream Machine's API (reference §2.2): ``POST /generations`` → ``GET /generations/{id}``.

``Authorization: Bearer $LUMAAI_API_KEY``. Boards go as ``keyframes.frame0`` / ``frame1`` of type
``image`` with a data URI as ``url`` (Luma documents HTTPS URLs; data URIs are unverified — host the
boards and pass URLs if Luma refuses them). Durations ``"5s"``/``"9s"``; ``aspect_ratio`` the nearest of
1:1, 16:9, 9:16, 4:3, 3:4, 21:9, 9:21; ``resolution`` option (720p default). States queued → queued,
dreaming → running, completed with ``assets.video`` → succeeded (without one → moderation of the
output), failed → failed (``failure_reason``; moderation when it names content). No seed, no negative
prompt, no client id. ``parse_webhook`` reads a ``callback_url`` delivery (unsigned: treat it as a hint
and re-poll). Luma bills from a credit balance (in US cents) and publishes no API price list: the prices
here are third-party estimates (≈ $0.08/s for ray-2 at 720p), scaled with the resolution by pixel count.

A create answered 5xx, a dropped connection or a timeout is ambiguous, never sent again automatically:
Luma documents no idempotency and no client id (reference §2.2, lumalabs/lumaai-api ``openapi.yaml``).
Luma lists recent generations (``GET /generations``, reference §2.2), so :meth:`LumaProvider.find_recent`
looks such a job up by its prompt and creation time.
"""

from __future__ import annotations

import json
from typing import Any

from ..base import (
    AmbiguousSubmit,
    BadRequest,
    GenerationError,
    GenerationRequest,
    JobHandle,
    JobState,
    JobStatus,
    ModerationBlocked,
    WebhookEvent,
)
from ._common import ClientProvider, ImageRules, ModelSpec, compact, data_uri, nearest_ratio, one_recent, usd
from ._http import CONTENT_WORDS

RATIOS = ("1:1", "16:9", "9:16", "4:3", "3:4", "21:9", "9:21")
RESOLUTIONS = ("540p", "720p", "1080p", "4k")
RESOLUTION_FACTOR = {"540p": 0.5, "720p": 1.0, "1080p": 2.25, "4k": 9.0}  # price ∝ pixels (estimate)
MODELS = {
    "ray-2": ModelSpec(
        "ray-2",
        durations=(5, 9),
        end_frame=True,
        seed=False,
        negative_prompt=False,
        max_prompt=5000,
        ratios=RATIOS,
        needs_image=False,
        price_per_s=0.08,
    ),
    "ray-flash-2": ModelSpec(
        "ray-flash-2",
        durations=(5, 9),
        end_frame=True,
        seed=False,
        negative_prompt=False,
        max_prompt=5000,
        ratios=RATIOS,
        needs_image=False,
        price_per_s=0.036,
    ),
    "ray-1-6": ModelSpec(
        "ray-1-6",
        durations=(5,),
        end_frame=True,
        seed=False,
        negative_prompt=False,
        max_prompt=5000,
        ratios=RATIOS,
        needs_image=False,
        price_per_s=0.09,
        fields={"fixed": True},
    ),
}


class LumaProvider(ClientProvider):
    """Luma Dream Machine (ray-2, ray-flash-2, ray-1-6)."""

    name = "luma"
    lists_recent = True  # GET /generations (see the module doc)
    env_keys = ("LUMAAI_API_KEY",)
    default_base_url = "https://api.lumalabs.ai/dream-machine/v1"
    models = MODELS
    default_model_name = "ray-2"
    # Luma documents no image limits; these are conservative guesses [unv].
    image_rules = ImageRules(min_px=256, max_px=8000, aspect=(0.4, 2.5), max_bytes=10 * 1024 * 1024)
    default_poll_interval = 5.0
    typical_duration = 60.0  # s: a ray-2 clip usually takes about a minute (estimate; learnt per run)
    default_concurrency = 4
    extra_options = ("resolution", "callback_url", "loop")
    billing = ("Luma bills each generation from a credit balance (in US cents) and publishes no API price "
               "list: the prices here are third-party estimates at 720p, scaled by pixel count")

    def __init__(self, **options: Any):
        super().__init__(**options)
        self.resolution = str(self.options.get("resolution", "720p"))
        if self.resolution not in RESOLUTIONS:
            raise BadRequest(
                f"luma: resolution must be one of {', '.join(RESOLUTIONS)}, not {self.resolution!r}"
            )

    def rate(self, request: GenerationRequest, spec: ModelSpec) -> tuple[float, str]:
        factor = RESOLUTION_FACTOR[self.resolution]
        why = f"{spec.name}: ≈ {usd(spec.price_per_s)}/s at 720p, a third-party figure"
        if spec.fields.get("fixed"):
            return spec.price_per_s, f"{why}; {spec.name} has one length and resolution"
        if factor != 1.0:
            why += f"; × {factor:g} for {self.resolution} by pixel count, a guess"
        return round(spec.price_per_s * factor, 6), why

    def body(self, request: GenerationRequest, spec: ModelSpec) -> dict[str, Any]:
        """The JSON body of the create."""
        start, end = self.images(request)
        body: dict[str, Any] = {
            "prompt": request.prompt,
            "model": spec.name,
            "aspect_ratio": nearest_ratio(request.width, request.height, spec.ratios),
            "loop": bool(self.options.get("loop", False)),
        }
        if not spec.fields.get("fixed"):
            body["resolution"] = self.resolution
            body["duration"] = f"{int(self.clip_seconds(request, spec))}s"
        keyframes = {}
        if start is not None:
            keyframes["frame0"] = {"type": "image", "url": data_uri(start)}
        if end is not None:
            keyframes["frame1"] = {"type": "image", "url": data_uri(end)}
        if keyframes:
            body["keyframes"] = keyframes
        if self.options.get("callback_url"):
            body["callback_url"] = self.options["callback_url"]
        return body

    def submit(self, request: GenerationRequest) -> JobHandle:
        spec = self.prepare(request)
        shot = request.shot_id
        response = self.http.request(
            "POST",
            f"{self.base_url}/generations",
            json=self.body(request, spec),
            shot=shot,
            what="submit",
            create=True,
        )
        data = self.http.read_json(response, shot=shot, what="submit", create=True)
        if not isinstance(data, dict) or not data.get("id"):
            raise self.http.error(
                AmbiguousSubmit,
                "submit: accepted, but no generation id in the answer (the job may exist)",
                shot,
            )
        return JobHandle(str(data["id"]), {"shot": shot, "take": request.take_id, "model": spec.name})

    def find_recent(self, request: GenerationRequest, since: float, until: float,
                    known: set[str]) -> JobHandle | None:
        """The generation ``request`` made between ``since`` and ``until`` among the 100 most recent
        (``GET /generations``, which echoes each one's ``request``), if exactly one matches."""
        spec = self.prepare(request)
        body = self.body(request, spec)
        response = self.http.request("GET", f"{self.base_url}/generations", params={"limit": 100},
                                     shot=request.shot_id, what="lookup")
        data = self.http.read_json(response, shot=request.shot_id, what="lookup")
        items = data.get("generations") if isinstance(data, dict) else None
        candidates = [(str(g.get("id")), g.get("created_at")) for g in items or []
                      if isinstance(g, dict) and g.get("request") == body]
        job_id = one_recent(candidates, since, until, known)
        return None if job_id is None else self.attach_handle(job_id, request)

    def poll(self, handle: JobHandle) -> JobStatus:
        shot = handle.data.get("shot")
        self.require_key(shot)
        response = self.http.request(
            "GET", f"{self.base_url}/generations/{handle.job_id}", shot=shot, what="poll"
        )
        return self.status(self.http.read_json(response, shot=shot, what="poll"), shot)

    def status(self, generation: dict, shot: str | None) -> JobStatus:
        """A generation object as a :class:`JobStatus` (its echoed boards shortened in ``raw``)."""
        generation = compact(generation)
        raw = str(generation.get("state", ""))
        if raw == "queued":
            return JobStatus(JobState.QUEUED, None, raw, raw=generation)
        if raw == "dreaming":
            return JobStatus(JobState.RUNNING, None, raw, raw=generation)
        if raw == "completed":
            video = (generation.get("assets") or {}).get("video")
            return self.finished(f"generation {generation.get('id')}", [video] if video else [], shot, raw,
                                 generation)
        if raw == "failed":
            reason = str(generation.get("failure_reason") or "")
            text = f"generation {generation.get('id')} failed: {reason}"
            if "cancel" in reason.lower():
                return JobStatus(JobState.CANCELED, None, raw, raw=generation)
            if CONTENT_WORDS.search(reason):
                stage = "output" if "generated" in reason.lower() or "output" in reason.lower() else "input"
                failure = self.http.error(
                    ModerationBlocked, f"{text} — change the board or prompt", shot, stage=stage
                )
            else:
                failure = self.http.error(GenerationError, text, shot)
            return JobStatus(JobState.FAILED, None, raw, failure=failure, raw=generation)
        return JobStatus(JobState.RUNNING, None, raw, raw=generation)

    def cancel(self, handle: JobHandle) -> None:
        """``DELETE /generations/{id}``."""
        shot = handle.data.get("shot")
        self.require_key(shot)
        self.http.request(
            "DELETE", f"{self.base_url}/generations/{handle.job_id}", shot=shot, what="cancel", ok=(404,)
        )

    def parse_webhook(self, headers: dict[str, str], body: bytes | dict) -> WebhookEvent:
        """A callback delivery as (generation id, status). Unsigned: a hint to poll, deliveries may repeat."""
        generation = json.loads(body) if isinstance(body, (bytes, str)) else body
        job_id = str(generation.get("id"))
        return WebhookEvent(f"{job_id}:{generation.get('state')}", job_id, self.status(generation, None))


def create(**options: Any) -> LumaProvider:
    """A Luma client; options: base_url, api_key, model, resolution, callback_url, loop, poll_interval,
    timeout, max_concurrency."""
    return LumaProvider(**options)
