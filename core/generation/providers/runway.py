"""Runway's API (reference §2.1): ``POST /v1/image_to_video`` → task id → ``GET /v1/tasks/{id}``.

Headers ``Authorization: Bearer $RUNWAYML_API_SECRET`` and ``X-Runway-Version: 2024-11-06``. Boards are
sent as data URIs (≤ 5 MB encoded); an end board goes as ``promptImage[position=last]`` on models that
take one (veo3.1*). States PENDING/THROTTLED → queued, RUNNING → running, SUCCEEDED → succeeded only
if ``output`` holds a URL (else moderation of the output), FAILED → the ``failureCode`` mapped to a typed
failure (``SAFETY.INPUT.*`` / ``SAFETY.OUTPUT.*`` → moderation, ``INTERNAL*`` → retry later,
``ASSET.INVALID`` → bad request), CANCELLED/CANCELED → canceled. Runway has no negative prompt and no
client job id: a create that may have arrived is :class:`AmbiguousSubmit` and is never resent.
Runway bills API credits ($0.01 each) per second of the clip it makes: gen4_turbo 5 credits/s, gen4.5 12,
veo3.1 20–40, veo3.1_fast 10–15, veo3 40 (the upper figure is used where there is a range); estimates,
re-check before relying on them.

A create answered 5xx, a dropped connection or a timeout is ambiguous (:class:`AmbiguousSubmit`), never
sent again automatically: Runway documents no idempotency key and no way to find a task by a client id
(reference §1 and §7, from runwayml/sdk-python, which sends none), and its 502/503/504 are documented only
as "overload → backoff" (reference §2.1), not as "nothing was created". Only a 429 (quota, rate) means
the task was not made and is retried.

Stills (requests of kind ``"image"``): ``POST /v1/text_to_image`` (Runway API reference, "Start
generations ▸ Generate an image", https://docs.dev.runwayml.com/api/#tag/Start-generations/paths/~1v1~1text_to_image/post;
runwayml/sdk-python ``types/text_to_image_create_params.py``) with ``model`` (``gen4_image``, or
``gen4_image_turbo``, which needs at least one reference), ``promptText`` (≤ 1000 UTF-16 units),
``ratio`` — one of the documented output resolutions ``1024:1024, 1080:1080, 1168:880, 1360:768,
1440:1080, 1080:1440, 1808:768, 1920:1080, 1080:1920, 2112:912, 1280:720, 720:1280, 720:720, 960:720,
720:960, 1680:720``: the one nearest the film's frame (the difference is reported in the handle's
``ratio_note`` and in the cost, and Runway makes the still at that size) — ``seed``,
``contentModeration`` and ``referenceImages``: up to three ``{uri, tag}``, the uri a data URI (≤ 5 MB
encoded, so ≤ 3.3 MB of image: larger references are resized or re-encoded with Pillow to fit; JPEG, PNG
or WebP, ≤ 7999 px a side, aspect 0.5–2.0 — https://docs.dev.runwayml.com/assets/inputs/), the tag 3–16
letters, digits or underscores starting with a letter, which the prompt may name as ``@tag``: the asset's
name (``refs/mara/front.png`` → ``@mara``, see :func:`~._common.reference_tags`) unless the request gives
``extra["reference_tags"]``. The task is then polled like a take (``GET /v1/tasks/{id}``; ``output`` holds
the image URL). Price (API credits, $0.01 each; Runway "Pricing" https://docs.dev.runwayml.com/guides/pricing/):
gen4_image 5 credits at 720p, 8 at 1080p; gen4_image_turbo 2 credits, per image.
"""

from __future__ import annotations

import re
from typing import Any

from ..base import (
    IMAGE,
    AmbiguousSubmit,
    BadRequest,
    GenerationError,
    GenerationRequest,
    JobHandle,
    JobState,
    JobStatus,
    ModerationBlocked,
    OutOfCredit,
    RetryLater,
)
from ._common import ClientProvider, ImageRules, ModelSpec, data_uri, nearest_ratio, reference_tags
from ._http import Response

API_VERSION = "2024-11-06"
GEN4_RATIOS = ("1280:720", "720:1280", "1104:832", "832:1104", "960:960", "1584:672")
VEO_RATIOS = ("1280:720", "720:1280", "1920:1080", "1080:1920")
TEXT_MODELS = {"gen4.5", "veo3.1", "veo3.1_fast", "veo3"}  # may run without a start image (text_to_video)

MODELS = {
    "gen4_turbo": ModelSpec(
        "gen4_turbo",
        durations=(5, 10),
        max_prompt=1000,
        ratios=GEN4_RATIOS,
        negative_prompt=False,
        price_per_s=0.05,
        fields={"credits": "5"},
    ),
    "gen4.5": ModelSpec(
        "gen4.5",
        min_s=2,
        max_s=10,
        max_prompt=1000,
        ratios=GEN4_RATIOS,
        negative_prompt=False,
        needs_image=False,
        price_per_s=0.12,
        fields={"credits": "12"},
    ),
    "veo3.1": ModelSpec(
        "veo3.1",
        durations=(4, 6, 8),
        end_frame=True,
        seed=False,
        max_prompt=1000,
        ratios=VEO_RATIOS,
        negative_prompt=False,
        needs_image=False,
        price_per_s=0.40,
        fields={"credits": "20–40"},
    ),
    "veo3.1_fast": ModelSpec(
        "veo3.1_fast",
        durations=(4, 6, 8),
        end_frame=True,
        seed=False,
        max_prompt=1000,
        ratios=VEO_RATIOS,
        negative_prompt=False,
        needs_image=False,
        price_per_s=0.15,
        fields={"credits": "10–15"},
    ),
    "veo3": ModelSpec(
        "veo3",
        durations=(8,),
        seed=False,
        max_prompt=1000,
        ratios=VEO_RATIOS,
        negative_prompt=False,
        needs_image=False,
        price_per_s=0.40,
        fields={"credits": "40"},
    ),
}

IMAGE_RATIOS = ("1024:1024", "1080:1080", "1168:880", "1360:768", "1440:1080", "1080:1440", "1808:768",
                "1920:1080", "1080:1920", "2112:912", "1280:720", "720:1280", "720:720", "960:720", "720:960",
                "1680:720")
MODELS["gen4_image"] = ModelSpec(
    "gen4_image", kind=IMAGE, max_prompt=1000, ratios=IMAGE_RATIOS, negative_prompt=False, needs_image=False,
    max_refs=3, price_per_image=0.08, fields={"credits_720p": 5, "credits_1080p": 8},
)
MODELS["gen4_image_turbo"] = ModelSpec(
    "gen4_image_turbo", kind=IMAGE, max_prompt=1000, ratios=IMAGE_RATIOS, negative_prompt=False,
    needs_image=False, max_refs=3, needs_refs=True, price_per_image=0.02,
    fields={"credits_720p": 2, "credits_1080p": 2},
)

THRESHOLDS = ("auto", "low")  # contentModeration.publicFigureThreshold
QUEUED = {"PENDING", "THROTTLED"}
CANCELED = {"CANCELLED", "CANCELED"}


class RunwayProvider(ClientProvider):
    """Runway image-to-video (gen4_turbo, gen4.5, veo3.1, veo3.1_fast, veo3)."""

    name = "runway"
    env_keys = ("RUNWAYML_API_SECRET",)
    default_base_url = "https://api.dev.runwayml.com"
    models = MODELS
    default_model_name = "gen4_turbo"
    default_image_model_name = "gen4_image"
    # ≤ 5 MB as a data URI ≈ 3.3 MB of image; JPEG/PNG/WebP; ≤ 7999 px per side; aspect 0.5–2.0.
    image_rules = ImageRules(min_px=1, max_px=7999, aspect=(0.5, 2.0), max_bytes=3_300_000)
    default_poll_interval = 6.0
    typical_duration = 45.0  # s: gen4_turbo usually finishes in 30–60 s (estimate; learnt per run)
    typical_image_duration = 20.0  # s: a gen4_image still (estimate)
    default_concurrency = 2
    queues_overflow = True  # over the tier's limit a task waits THROTTLED (reference §2.1)
    extra_options = ("public_figure_threshold",)
    billing = ("Runway bills API credits ($0.01 each) per second of the clip it makes; failed generations are "
               "refunded, blocked inputs (SAFETY.INPUT) are not")

    def __init__(self, **options: Any):
        super().__init__(**options)
        threshold = self.options.get("public_figure_threshold")
        if threshold is not None and threshold not in THRESHOLDS:
            raise BadRequest(f"runway: public_figure_threshold must be auto or low, not {threshold!r}")

    def rate(self, request: GenerationRequest, spec: ModelSpec) -> tuple[float, str]:
        credits = spec.fields["credits"]
        upper = " — the upper figure" if "–" in credits else ""
        return spec.price_per_s, f"{spec.name}: {credits} credits/s × $0.01{upper}"

    def _auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._api_key}", "X-Runway-Version": API_VERSION}

    # -- stills -----------------------------------------------------------------------------------
    @staticmethod
    def tier(ratio: str) -> str:
        """``720p`` or ``1080p``: the price tier of an output resolution (its short side)."""
        return "720p" if min(int(v) for v in ratio.split(":")) <= 720 else "1080p"

    def image_rate(self, request: GenerationRequest, spec: ModelSpec) -> tuple[float, str]:
        ratio, note = self.image_ratio(request, spec)
        tier = self.tier(ratio)
        credits = spec.fields[f"credits_{tier}"]
        return credits * 0.01, f"{spec.name}, {note}, {tier}: {credits} credits × $0.01"

    def validate_more(self, request: GenerationRequest, spec: ModelSpec) -> None:
        if request.is_image:
            given = request.extra.get("reference_tags")
            for tag in given or []:
                if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{2,15}", str(tag)):
                    raise BadRequest(f"runway: reference tag {tag!r}: Runway takes 3–16 letters, digits or "
                                     "underscores starting with a letter", shot=request.shot_id)

    def image_body(self, request: GenerationRequest, spec: ModelSpec) -> tuple[dict[str, Any], str]:
        """The ``/v1/text_to_image`` body for a still and the note on its ratio."""
        ratio, note = self.image_ratio(request, spec)
        body: dict[str, Any] = {"model": spec.name, "promptText": request.prompt, "ratio": ratio}
        inputs = self.image_inputs(request, spec)
        if inputs:
            tags = reference_tags(self.input_paths(request), request.extra.get("reference_tags"))
            body["referenceImages"] = [{"uri": data_uri(info), "tag": tag} for info, tag in zip(inputs, tags,
                                                                                               strict=True)]
        if request.seed is not None:
            body["seed"] = request.seed
        threshold = self.options.get("public_figure_threshold")
        if threshold:
            body["contentModeration"] = {"publicFigureThreshold": threshold}
        return body, note

    def submit_image(self, request: GenerationRequest, spec: ModelSpec) -> JobHandle:
        body, note = self.image_body(request, spec)
        task_id = self.create("/v1/text_to_image", body, request.shot_id)
        return self.image_handle(task_id, request, spec, ratio=body["ratio"], ratio_note=note,
                                 tags=[r["tag"] for r in body.get("referenceImages", [])])

    def body(self, request: GenerationRequest, spec: ModelSpec) -> tuple[str, dict[str, Any]]:
        """The endpoint path and JSON body for ``request``."""
        start, end = self.images(request)
        body: dict[str, Any] = {
            "model": spec.name,
            "promptText": request.prompt,
            "ratio": nearest_ratio(request.width, request.height, spec.ratios),
            "duration": int(self.clip_seconds(request, spec)),
        }
        if request.seed is not None and spec.seed:
            body["seed"] = request.seed
        threshold = self.options.get("public_figure_threshold")
        if threshold:
            body["contentModeration"] = {"publicFigureThreshold": threshold}
        if start is None:
            return "/v1/text_to_video", body
        if end is not None:
            body["promptImage"] = [
                {"uri": data_uri(start), "position": "first"},
                {"uri": data_uri(end), "position": "last"},
            ]
        else:
            body["promptImage"] = data_uri(start)
        return "/v1/image_to_video", body

    def submit(self, request: GenerationRequest) -> JobHandle:
        spec = self.prepare(request)
        if request.is_image:
            return self.submit_image(request, spec)
        path, body = self.body(request, spec)
        task_id = self.create(path, body, request.shot_id)
        return JobHandle(
            str(task_id),
            {
                "shot": request.shot_id,
                "take": request.take_id,
                "model": spec.name,
                "duration_s": body["duration"],
                "ratio": body["ratio"],
            },
        )

    def create(self, path: str, body: dict[str, Any], shot: str) -> str:
        """``POST`` a create and return the task id (never sent twice: see the module doc)."""
        response = self.http.request(
            "POST",
            self.base_url + path,
            json=body,
            shot=shot,
            what="submit",
            create=True,
            classify=self._classify,
        )
        data = self.http.read_json(response, shot=shot, what="submit", create=True)
        task_id = data.get("id") if isinstance(data, dict) else None
        if not task_id:
            raise self.http.error(
                AmbiguousSubmit,
                f"submit: accepted, but no task id in the answer (the job may exist): "
                f"{self.http.excerpt(response)}",
                shot,
            )
        return str(task_id)

    def poll(self, handle: JobHandle) -> JobStatus:
        shot = handle.data.get("shot")
        self.require_key(shot)
        response = self.http.request(
            "GET",
            f"{self.base_url}/v1/tasks/{handle.job_id}",
            shot=shot,
            what="poll",
            classify=self._classify,
        )
        task = self.http.read_json(response, shot=shot, what="poll")
        return self.status(task, shot, handle.data.get("kind"))

    def status(self, task: dict, shot: str | None, kind: str | None = None) -> JobStatus:
        """A task object as a :class:`JobStatus` (``kind`` ``"image"``: a still's task)."""
        raw = str(task.get("status", ""))
        progress = task.get("progress")
        if raw in QUEUED:
            return JobStatus(JobState.QUEUED, progress, raw, raw=task)
        if raw == "RUNNING":
            return JobStatus(JobState.RUNNING, progress, raw, raw=task)
        if raw in CANCELED:
            return JobStatus(JobState.CANCELED, progress, raw, raw=task)
        if raw == "SUCCEEDED":
            urls = [u for u in (task.get("output") or []) if isinstance(u, str) and u]
            return self.finished(f"task {task.get('id')}", urls, shot, raw, task, progress,
                                 media="an image" if kind == IMAGE else "a video")
        if raw == "FAILED":
            return JobStatus(JobState.FAILED, progress, raw, failure=self.failure(task, shot), raw=task)
        return JobStatus(JobState.RUNNING, progress, raw, raw=task)

    def failure(self, task: dict, shot: str | None) -> GenerationError:
        """The typed failure for a FAILED task, from its ``failureCode``."""
        code = str(task.get("failureCode") or "")
        text = f"task {task.get('id')} failed ({code or 'no code'}): {task.get('failure') or ''}".strip()
        if code.startswith("SAFETY.INPUT"):
            return self.http.error(
                ModerationBlocked,
                f"{text} — blocked input; change the board or prompt "
                f"(not refunded, do not resubmit unchanged)",
                shot,
                stage="input",
            )
        if code.startswith("SAFETY.OUTPUT"):
            return self.http.error(
                ModerationBlocked, f"{text} — blocked output; change the prompt or seed", shot, stage="output"
            )
        if code.startswith("INTERNAL"):
            return self.http.error(RetryLater, f"{text} — Runway's own failure; generate again", shot)
        if code.startswith("ASSET"):
            return self.http.error(BadRequest, f"{text} — fix the board image", shot)
        return self.http.error(GenerationError, text, shot)

    def _classify(
        self, response: Response, body: Any, text: str, what: str, shot: str | None
    ) -> GenerationError | None:
        message = str(body.get("error", "")) if isinstance(body, dict) else text
        if response.status_code == 400 and "credit" in message.lower():
            return self.http.error(OutOfCredit, f"{what}: HTTP 400: out of credits: {message}", shot)
        if response.status_code == 429 and "Retry-After" not in response.headers:
            # Runway's 429 is the rolling 24 h task quota: stop submitting until it frees up.
            return self.http.error(
                OutOfCredit, f"{what}: HTTP 429: the daily task quota is used up: {message}", shot
            )
        return None

    def cancel(self, handle: JobHandle) -> None:
        """Cancel a running task (or delete a finished one): ``DELETE /v1/tasks/{id}``."""
        shot = handle.data.get("shot")
        self.require_key(shot)
        self.http.request(
            "DELETE", f"{self.base_url}/v1/tasks/{handle.job_id}", shot=shot, what="cancel", ok=(404,)
        )


def create(**options: Any) -> RunwayProvider:
    """A Runway client; options: base_url, api_key, model, poll_interval, timeout, max_concurrency,
    public_figure_threshold (``auto``/``low``)."""
    return RunwayProvider(**options)
