"""fal.ai's queue (reference §2.4): ``POST queue.fal.run/{model}`` → ``request_id`` + status/response URLs.

``Authorization: Key $FAL_KEY`` (``Key``, not ``Bearer``). Subpaths are for submit only: status, result
and cancel always use the URLs the submit returned (kept in the handle). Status ``IN_QUEUE`` → queued,
``IN_PROGRESS`` → running, ``COMPLETED`` → the result is read at once: an output with a video →
succeeded, none → moderation of the output; a 422 ``detail[]`` with ``content_policy_violation`` →
moderation, other 422 → bad request; a 5xx with ``error_type`` → the job failed on fal's side (not
charged; generate again). Input field names differ per model (``image_url``/``tail_image_url`` on
Kling). Boards go as data URIs. fal deduplicates nothing: the webhook (``fal_webhook`` option) may arrive
more than once — :meth:`FalProvider.parse_webhook` returns the request id to upsert on. fal prices a clip
as a price for its first 5 s plus a price per further second (Kling 2.1 standard $0.28 per 5 s + $0.056/s;
reference §2.4); failures on fal's side (5xx) are not charged, a refused input (422) may be.

A create answered 5xx, a dropped connection or a timeout is ambiguous, never sent again automatically:
fal documents no idempotency key and no client id for a queue submit (reference §2.4, docs.fal.ai queue
and its OpenAPI ``queue.json``); "5xx failures are not charged" is about runners failing a job, not about
a submit whose answer was lost.

Stills (requests of kind ``"image"``) go through the same queue to an image-edit model that takes the
approved references, and to the same family's text-to-image endpoint when a still has none:

- ``fal-ai/nano-banana/edit`` (Google's Gemini 2.5 Flash Image; https://fal.ai/models/fal-ai/nano-banana/edit/api):
  ``prompt``, ``image_urls`` (a list; Google: the model "works best with up to 3 images as input",
  https://ai.google.dev/gemini-api/docs/image-generation#limitations, so at most 3 are sent),
  ``aspect_ratio`` (``21:9, 16:9, 3:2, 4:3, 5:4, 1:1, 4:5, 3:4, 2:3, 9:16``: the nearest to the film's
  frame), ``output_format`` ``png``, ``num_images`` 1; without references ``fal-ai/nano-banana``
  (https://fal.ai/models/fal-ai/nano-banana/api) with the same fields but ``image_urls``. $0.039 per image.
- ``fal-ai/flux-pro/kontext`` (FLUX.1 Kontext [pro]; https://fal.ai/models/fal-ai/flux-pro/kontext/api):
  ``prompt``, ``image_url`` (one image), ``aspect_ratio`` (``21:9, 16:9, 4:3, 3:2, 1:1, 2:3, 3:4, 9:16,
  9:21``), ``seed``, ``output_format`` ``png``, ``safety_tolerance``; without a reference
  ``fal-ai/flux-pro/kontext/text-to-image``. $0.04 per image. Black Forest Labs takes an input image of
  at most 20 megapixels and 20 MB (https://docs.bfl.ml/kontext/kontext_image_editing): larger references
  are resized with Pillow, keeping their aspect.

References go as data URIs, at most 4.9 MB each for nano-banana (Gemini takes a request of at most 20 MB,
https://ai.google.dev/gemini-api/docs/image-understanding) and 10 MB for Kontext; larger ones are
re-encoded or resized to fit. The result
is ``{images: [{url, width, height, content_type}], seed, has_nsfw_concepts}``; no image is moderation of
the output. The model, not the request, decides the still's exact size (about one megapixel at the ratio).
"""

from __future__ import annotations

import json
from typing import Any

from ..base import (
    IMAGE,
    VIDEO,
    AmbiguousSubmit,
    BadRequest,
    CostEstimate,
    GenerationError,
    GenerationRequest,
    JobHandle,
    JobState,
    JobStatus,
    ModerationBlocked,
    OutOfCredit,
    RetryLater,
    WebhookEvent,
)
from ._common import ClientProvider, ImageRules, ModelSpec, compact, data_uri, usd
from ._http import Response

CONTENT_TYPES = {"content_policy_violation", "nsfw_content_detected"}


BASE_S = 5.0  # fal's Kling prices are per clip of 5 s, plus a price per second beyond


def _kling(endpoint: str, tail: bool, base_price: float, price: float) -> ModelSpec:
    """A Kling endpoint on fal: ``base_price`` for the first 5 s, ``price`` per second after (USD)."""
    return ModelSpec(
        endpoint,
        durations=(5, 10),
        end_frame=tail,
        seed=False,
        max_prompt=2500,
        price_per_s=price,
        fields={"image": "image_url", "end": "tail_image_url" if tail else None, "duration": "string",
                "base_price": base_price},
    )


MODELS = {
    "fal-ai/kling-video/v2.1/standard/image-to-video": _kling(
        "fal-ai/kling-video/v2.1/standard/image-to-video", False, 0.28, 0.056
    ),
    "fal-ai/kling-video/v2.1/pro/image-to-video": _kling(
        "fal-ai/kling-video/v2.1/pro/image-to-video", True, 0.49, 0.098
    ),
    "fal-ai/kling-video/v2.5-turbo/pro/image-to-video": _kling(  # $0.35 per 5 s; per second after: assumed
        "fal-ai/kling-video/v2.5-turbo/pro/image-to-video", True, 0.35, 0.07
    ),
}

# Gemini takes inline images in a request of at most 20 MB (https://ai.google.dev/gemini-api/docs/image-understanding):
# three references of 4.9 MB each fit with their base64 overhead; no documented side or aspect limit.
GEMINI_INPUTS = ImageRules(min_px=16, max_px=8000, aspect=(0.1, 10.0), max_bytes=4_900_000,
                           formats=("png", "jpeg", "webp"))
GEMINI_RATIOS = ("21:9", "16:9", "3:2", "4:3", "5:4", "1:1", "4:5", "3:4", "2:3", "9:16")
KONTEXT_RATIOS = ("21:9", "16:9", "4:3", "3:2", "1:1", "2:3", "3:4", "9:16", "9:21")
MODELS["fal-ai/nano-banana/edit"] = ModelSpec(
    "fal-ai/nano-banana/edit", kind=IMAGE, max_prompt=5000, ratios=GEMINI_RATIOS, negative_prompt=False,
    needs_image=False, max_refs=3, price_per_image=0.039, seed=False, ref_rules=GEMINI_INPUTS,
    fields={"images": "image_urls", "text_endpoint": "fal-ai/nano-banana", "family": "Gemini 2.5 Flash Image"},
)
MODELS["fal-ai/flux-pro/kontext"] = ModelSpec(
    "fal-ai/flux-pro/kontext", kind=IMAGE, max_prompt=5000, ratios=KONTEXT_RATIOS, negative_prompt=False,
    needs_image=False, max_refs=1, price_per_image=0.04,
    ref_rules=ImageRules(min_px=64, max_px=10000, aspect=(0.25, 4.0), max_bytes=10 * 1024 * 1024,
                         formats=("png", "jpeg", "webp"), max_pixels=20_000_000),
    fields={"image": "image_url", "text_endpoint": "fal-ai/flux-pro/kontext/text-to-image",
            "family": "FLUX.1 Kontext [pro]"},
)


class FalProvider(ClientProvider):
    """fal.ai queue client for image-to-video models."""

    name = "fal"
    env_keys = ("FAL_KEY",)
    default_base_url = "https://queue.fal.run"
    models = MODELS
    default_model_name = "fal-ai/kling-video/v2.1/standard/image-to-video"
    default_image_model_name = "fal-ai/nano-banana/edit"
    image_rules = ImageRules(
        min_px=300,
        max_px=8000,
        aspect=(0.4, 2.5),
        max_bytes=10 * 1024 * 1024,
        formats=("png", "jpeg", "webp"),
    )
    default_poll_interval = 2.0
    typical_duration = 60.0  # s: most video models on fal finish in about a minute (estimate)
    typical_image_duration = 10.0  # s: a nano-banana or Kontext still (estimate)
    default_concurrency = 2  # fal starts accounts at 2 concurrent; more wait IN_QUEUE
    queues_overflow = True
    extra_options = ("webhook_url", "media_expiration_s", "cfg_scale")
    billing = ("fal bills per clip: a price for the first 5 s plus a price per further second; failures on "
               "fal's side (5xx) are not charged, a refused input (422) may be")

    def __init__(self, **options: Any):
        super().__init__(**options)
        expiration = self.options.get("media_expiration_s")
        if expiration is not None and (isinstance(expiration, bool) or not isinstance(expiration, int)
                                       or expiration <= 0):
            raise BadRequest(f"fal: media_expiration_s must be a whole number of seconds above 0, "
                             f"not {expiration!r}")

    def image_rate(self, request: GenerationRequest, spec: ModelSpec) -> tuple[float, str]:
        endpoint = self.image_endpoint(request, spec)
        return spec.price_per_image, f"fal's price for {endpoint} ({spec.fields['family']})"

    def image_endpoint(self, request: GenerationRequest, spec: ModelSpec) -> str:
        """The endpoint a still goes to: the edit model with input images, its text-to-image twin without."""
        return spec.name if self.input_paths(request) else spec.fields["text_endpoint"]

    def image_body(self, request: GenerationRequest, spec: ModelSpec) -> tuple[dict[str, Any], str]:
        """The input JSON of a still and the note on its ratio."""
        ratio, note = self.image_ratio(request, spec)
        body: dict[str, Any] = {"prompt": request.prompt, "aspect_ratio": ratio, "num_images": 1,
                                "output_format": "png"}
        inputs = self.image_inputs(request, spec)
        if inputs and "images" in spec.fields:
            body[spec.fields["images"]] = [data_uri(info) for info in inputs]
        elif inputs:
            body[spec.fields["image"]] = data_uri(inputs[0])
        if spec.seed and request.seed is not None:
            body["seed"] = request.seed
        return body, note

    def cost_estimate(self, request: GenerationRequest) -> CostEstimate:
        """The first 5 s at the clip price, each further second at the per-second price; a still at its price
        per image."""
        if request.is_image:
            return super().cost_estimate(request)
        spec = self.spec(request.model or self.model, request.shot_id)
        seconds, length = self.billed_length(request, spec)
        base = spec.fields["base_price"]
        beyond = max(0.0, seconds - BASE_S)
        amount = round(base + beyond * spec.price_per_s, 4)
        price = f"{usd(base)} per {BASE_S:g} s"
        if beyond:
            price += f" + {beyond:g} s × {usd(spec.price_per_s)}/s"
        model = spec.name.removeprefix("fal-ai/").removesuffix("/image-to-video")
        return CostEstimate(amount, f"{length} at {price} (fal's price for {model}) = {usd(round(amount, 2))}")

    def _auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Key {self._api_key}"}

    def _secrets(self) -> list[str]:
        key = self._api_key or ""
        return [key, *key.split(":")] if key else []

    def body(self, request: GenerationRequest, spec: ModelSpec) -> dict[str, Any]:
        """The model's input JSON."""
        start, end = self.images(request)
        seconds = int(self.clip_seconds(request, spec))
        body: dict[str, Any] = {
            "prompt": request.prompt,
            spec.fields["image"]: data_uri(start),
            "duration": str(seconds) if spec.fields.get("duration") == "string" else seconds,
        }
        if end is not None:
            body[spec.fields["end"]] = data_uri(end)
        if request.negative_prompt:
            body["negative_prompt"] = request.negative_prompt
        if "cfg_scale" in self.options:
            body["cfg_scale"] = self.options["cfg_scale"]
        return body

    def submit(self, request: GenerationRequest) -> JobHandle:
        spec = self.prepare(request)
        shot = request.shot_id
        note = ""
        if request.is_image:
            endpoint = self.image_endpoint(request, spec)
            body, note = self.image_body(request, spec)
        else:
            endpoint, body = spec.name, self.body(request, spec)
        params = {"fal_webhook": self.options["webhook_url"]} if self.options.get("webhook_url") else None
        headers = {}
        if "media_expiration_s" in self.options:
            headers["X-Fal-Object-Lifecycle-Preference"] = json.dumps(
                {"expiration_duration_seconds": self.options["media_expiration_s"]}
            )
        response = self.http.request(
            "POST",
            f"{self.base_url}/{endpoint}",
            json=body,
            params=params,
            headers=headers,
            shot=shot,
            what="submit",
            create=True,
            classify=self._classify,
        )
        data = self.http.read_json(response, shot=shot, what="submit", create=True)
        if not isinstance(data, dict) or not data.get("request_id"):
            raise self.http.error(
                AmbiguousSubmit, "submit: accepted, but no request_id in the answer (the job may exist)", shot
            )
        urls = {
            "status_url": data.get("status_url"),
            "response_url": data.get("response_url"),
            "cancel_url": data.get("cancel_url"),
            "gateway_request_id": data.get("gateway_request_id"),
        }
        if request.is_image:
            return self.image_handle(str(data["request_id"]), request, spec, endpoint=endpoint,
                                     ratio=body["aspect_ratio"], ratio_note=note, **urls)
        return JobHandle(
            str(data["request_id"]),
            {"shot": shot, "take": request.take_id, "model": spec.name, **urls},
        )

    def _classify(
        self, response: Response, body: Any, text: str, what: str, shot: str | None
    ) -> GenerationError | None:
        status = response.status_code
        if status == 403 and "balance" in text.lower():
            return self.http.error(OutOfCredit, f"{what}: HTTP 403: {text} (top up the fal balance)", shot)
        if status == 422 and isinstance(body, dict) and isinstance(body.get("detail"), list):
            return self.detail_error(body["detail"], what, shot)
        return None

    def detail_error(
        self, detail: list, what: str, shot: str | None, stage: str = "input"
    ) -> GenerationError:
        """The typed error for a fal ``detail[]`` list (422 model errors)."""
        kinds = {str(d.get("type")) for d in detail if isinstance(d, dict)}
        text = "; ".join(
            f"{'.'.join(str(p) for p in d.get('loc', []))}: {d.get('msg')} ({d.get('type')})"
            for d in detail
            if isinstance(d, dict)
        )
        if kinds & CONTENT_TYPES:
            return self.http.error(
                ModerationBlocked, f"{what}: blocked by moderation: {text}", shot, stage=stage
            )
        return self.http.error(BadRequest, f"{what}: the input was refused: {text}", shot)

    def poll(self, handle: JobHandle) -> JobStatus:
        shot = handle.data.get("shot")
        self.require_key(shot)
        url = (
            handle.data.get("status_url")
            or f"{self.base_url}/{self._app(handle)}/requests/{handle.job_id}/status"
        )
        response = self.http.request("GET", url, shot=shot, what="poll")
        data = self.http.read_json(response, shot=shot, what="poll")
        raw = str(data.get("status", "")) if isinstance(data, dict) else ""
        if raw == "IN_QUEUE":
            return JobStatus(JobState.QUEUED, None, raw, raw=data)
        if raw == "IN_PROGRESS":
            return JobStatus(JobState.RUNNING, None, raw, raw=data)
        if raw == "COMPLETED":
            return self.result(handle, data)
        return JobStatus(JobState.RUNNING, None, raw, raw=data)

    def _app(self, handle: JobHandle) -> str:
        return "/".join(str(handle.data.get("model", self.model)).split("/")[:2])

    def result(self, handle: JobHandle, status: dict) -> JobStatus:
        """Read the result of a COMPLETED request: success with a video, or the job's failure."""
        shot = handle.data.get("shot")
        url = (
            handle.data.get("response_url") or f"{self.base_url}/{self._app(handle)}/requests/{handle.job_id}"
        )
        response = self.http.request("GET", url, shot=shot, what="result", ok=(400, 422, 500, 502, 503, 504))
        body: Any = None
        try:
            body = response.json()
        except ValueError:
            body = None
        raw = "COMPLETED"
        if response.status_code == 200 and isinstance(body, dict):
            return self.output(handle.job_id, body, shot, status, handle.data.get("kind"))
        if response.status_code == 422 and isinstance(body, dict) and isinstance(body.get("detail"), list):
            stage = (
                "input"
                if any(
                    "prompt" in map(str, d.get("loc", [])) or "image" in str(d.get("loc", []))
                    for d in body["detail"]
                    if isinstance(d, dict)
                )
                else "output"
            )
            failure = self.detail_error(body["detail"], f"request {handle.job_id}", shot, stage=stage)
            return JobStatus(
                JobState.FAILED, None, raw, failure=failure, raw={"status": status, "result": body}
            )
        kind = response.headers.get("X-Fal-Error-Type") or (
            body.get("error_type") if isinstance(body, dict) else None
        )
        if kind:
            cls = RetryLater if response.status_code >= 500 else GenerationError
            failure = self.http.error(
                cls,
                f"request {handle.job_id} failed on fal ({kind}, HTTP "
                f"{response.status_code}); generate again",
                shot,
            )
            state = JobState.CANCELED if kind == "client_cancelled" else JobState.FAILED
            return JobStatus(
                state,
                None,
                raw,
                failure=failure if state is JobState.FAILED else None,
                raw={"status": status, "result": body},
            )
        raise self.http.status_error(response, "result", shot)  # a failure to read, not of the job: retry

    def output(self, request_id: str, body: dict, shot: str | None, status: dict | None = None,
               kind: str | None = None) -> JobStatus:
        """A model output as a :class:`JobStatus` (no video, or no image for a still = filtered output)."""
        kind = kind or (IMAGE if "images" in body and "video" not in body else VIDEO)
        if kind == IMAGE:
            images = [i.get("url") for i in body.get("images") or [] if isinstance(i, dict) and i.get("url")]
            return self.finished(f"request {request_id}", images[:1], shot, "COMPLETED",
                                 {"status": status, "result": compact(body)}, media="an image")
        video = body.get("video")
        url = video.get("url") if isinstance(video, dict) else video if isinstance(video, str) else None
        return self.finished(f"request {request_id}", [url] if url else [], shot, "COMPLETED",
                             {"status": status, "result": body})

    def cancel(self, handle: JobHandle) -> None:
        """``PUT …/requests/{id}/cancel`` (already completed or unknown requests are left alone)."""
        shot = handle.data.get("shot")
        self.require_key(shot)
        url = (
            handle.data.get("cancel_url")
            or f"{self.base_url}/{self._app(handle)}/requests/{handle.job_id}/cancel"
        )
        self.http.request("PUT", url, shot=shot, what="cancel", ok=(400, 404))

    def parse_webhook(self, headers: dict[str, str], body: bytes | dict) -> WebhookEvent:
        """A webhook delivery; fal may deliver it more than once: upsert on the request id (its ``delivery``)."""
        data = json.loads(body) if isinstance(body, (bytes, str)) else body
        request_id = str(data.get("request_id"))
        payload = data.get("payload")
        if data.get("status") == "OK" and isinstance(payload, dict):
            return WebhookEvent(request_id, request_id, self.output(request_id, payload, None))
        if isinstance(payload, dict) and isinstance(payload.get("detail"), list):
            failure = self.detail_error(payload["detail"], f"request {request_id}", None)
        else:
            failure = self.http.error(
                GenerationError, f"request {request_id} failed: {data.get('error')}", None
            )
        status = JobStatus(JobState.FAILED, None, str(data.get("status")), failure=failure, raw=data)
        return WebhookEvent(request_id, request_id, status)


def create(**options: Any) -> FalProvider:
    """A fal.ai client; options: base_url (default https://queue.fal.run), api_key, model (an endpoint id),
    webhook_url, media_expiration_s, cfg_scale, poll_interval, timeout, max_concurrency."""
    return FalProvider(**options)
