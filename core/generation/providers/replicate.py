"""Replicate's API (reference §2.5): ``POST /v1/models/{owner}/{name}/predictions`` → prediction → poll.

``Authorization: Bearer $REPLICATE_API_TOKEN``. Inputs per model (``start_image``/``end_image`` on
kwaivgi/kling-v2.1, ``image``/``last_frame`` on google/veo-3.1-fast), boards as data URLs. Status
starting → queued, processing → running, succeeded with an output URL → succeeded (none → moderation of
the output), failed → failed (``error``; moderation when it names flagged/NSFW/sensitive content, E005),
canceled/aborted → canceled. 429 ``Request was throttled`` → retry later (its Retry-After, else the
"Expected available in N seconds" of the message); 402 → out of credit; 422 ``invalid_fields`` → bad
request. Outputs are deleted after an hour (``data_removed``): fetch at once. Webhooks use Standard
Webhooks signing; :meth:`ReplicateProvider.parse_webhook` verifies ``webhook-signature`` when a secret
(``webhook_secret`` option, ``whsec_…``) is set and returns the ``webhook-id`` to deduplicate on.
Replicate prices each model per second of output (estimates here; kling-v2.1 standard or pro mode): a
prediction canceled while it runs is charged, one aborted before it starts is not.

A create answered 5xx, a dropped connection or a timeout is ambiguous, never sent again automatically:
Replicate documents no idempotency (reference §2.5, replicate.com docs "create-a-prediction"). Replicate
lists recent predictions (``GET /v1/predictions``, reference §2.5 and §7), so
:meth:`ReplicateProvider.find_recent` looks such a job up by its input and creation time.

Stills (requests of kind ``"image"``) are predictions of an image model that takes reference images:

- ``google/nano-banana`` (Gemini 2.5 Flash Image; https://replicate.com/google/nano-banana/api/schema):
  ``prompt``, ``image_input`` (a list of image URIs; at most 3 are sent, as Google advises —
  https://ai.google.dev/gemini-api/docs/image-generation#limitations), ``aspect_ratio`` (``1:1, 2:3, 3:2,
  3:4, 4:3, 4:5, 5:4, 9:16, 16:9, 21:9``, the nearest to the film's frame), ``output_format`` ``png``;
  each reference at most 4.9 MB (Gemini takes a request of at most 20 MB), larger ones re-encoded or resized.
  $0.039 per output image (https://replicate.com/google/nano-banana, "Pricing").
- ``black-forest-labs/flux-kontext-pro`` (https://replicate.com/black-forest-labs/flux-kontext-pro/api/schema):
  ``prompt``, ``input_image`` (one image URI, optional: without it the model makes the still from the
  prompt), ``aspect_ratio`` (``1:1, 16:9, 9:16, 4:3, 3:4, 3:2, 2:3, 4:5, 5:4, 21:9, 9:21, 2:1, 1:2``),
  ``seed``, ``output_format`` ``png``, ``safety_tolerance`` (0–6; at most 2 with an input image: shotreel
  sends 2). $0.04 per output image. Black Forest Labs takes at most 20 megapixels: larger references are
  resized with Pillow, keeping their aspect.

Input images go as Replicate documents (https://replicate.com/docs/topics/predictions/input-files): a data
URL when the file is at most 256 KB, else uploaded first with ``POST /v1/files`` (multipart ``content``)
and passed by the file's ``urls.get`` (an upload is not a prediction: nothing is paid, and each content is
uploaded once per client). The output is the still's URL; the model decides its exact size.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from pathlib import Path
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
    ResultExpired,
    RetryLater,
    WebhookEvent,
)
from ._common import (
    ClientProvider,
    ImageInfo,
    ImageRules,
    ModelSpec,
    compact,
    data_uri,
    image_sha256,
    one_recent,
)
from ._http import CONTENT_WORDS, Response, parse_retry_after

MODELS = {
    "kwaivgi/kling-v2.1": ModelSpec(
        "kwaivgi/kling-v2.1",
        durations=(5, 10),
        end_frame=True,
        seed=False,
        max_prompt=2500,
        price_per_s=0.05,
        fields={"image": "start_image", "end": "end_image", "mode": True, "pro_price": 0.09},
    ),
    "google/veo-3.1-fast": ModelSpec(
        "google/veo-3.1-fast",
        durations=(4, 6, 8),
        end_frame=True,
        seed=True,
        max_prompt=2500,
        price_per_s=0.10,
        needs_image=False,
        ratios=("16:9", "9:16"),
        fields={"image": "image", "end": "last_frame", "aspect": True},
    ),
}
# Gemini takes inline images in a request of at most 20 MB (https://ai.google.dev/gemini-api/docs/image-understanding):
# three references of 4.9 MB each fit with their base64 overhead; no documented side or aspect limit.
GEMINI_INPUTS = ImageRules(min_px=16, max_px=8000, aspect=(0.1, 10.0), max_bytes=4_900_000,
                           formats=("png", "jpeg", "webp"))
GEMINI_RATIOS = ("1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9")
KONTEXT_RATIOS = ("1:1", "16:9", "9:16", "4:3", "3:4", "3:2", "2:3", "4:5", "5:4", "21:9", "9:21", "2:1", "1:2")
MODELS["google/nano-banana"] = ModelSpec(
    "google/nano-banana", kind=IMAGE, max_prompt=5000, ratios=GEMINI_RATIOS, negative_prompt=False,
    needs_image=False, seed=False, max_refs=3, price_per_image=0.039, ref_rules=GEMINI_INPUTS,
    fields={"images": "image_input", "family": "Gemini 2.5 Flash Image"},
)
MODELS["black-forest-labs/flux-kontext-pro"] = ModelSpec(
    "black-forest-labs/flux-kontext-pro", kind=IMAGE, max_prompt=5000, ratios=KONTEXT_RATIOS,
    negative_prompt=False, needs_image=False, max_refs=1, price_per_image=0.04,
    ref_rules=ImageRules(min_px=64, max_px=10000, aspect=(0.25, 4.0), max_bytes=20 * 1024 * 1024,
                         formats=("png", "jpeg", "webp"), max_pixels=20_000_000),
    fields={"image": "input_image", "family": "FLUX.1 Kontext [pro]"},
)
DATA_URL_MAX = 256 * 1024  # Replicate: data URLs for files up to 256 KB, the Files API above
_EXPECTED = re.compile(r"available in (\d+(?:\.\d+)?) second", re.IGNORECASE)
_MODERATION = re.compile(r"\bE005\b|nsfw|flagged|sensitive", re.IGNORECASE)


class ReplicateProvider(ClientProvider):
    """Replicate predictions for official video models."""

    name = "replicate"
    lists_recent = True  # GET /v1/predictions (see the module doc)
    env_keys = ("REPLICATE_API_TOKEN",)
    default_base_url = "https://api.replicate.com"
    models = MODELS
    default_model_name = "kwaivgi/kling-v2.1"
    default_image_model_name = "google/nano-banana"
    image_rules = ImageRules(min_px=300, max_px=8000, aspect=(0.4, 2.5), max_bytes=10 * 1024 * 1024)
    default_poll_interval = 2.0
    typical_duration = 90.0  # s: a video prediction including cold boot (estimate; learnt per run)
    typical_image_duration = 12.0  # s: an official image model's prediction (estimate)
    default_concurrency = 4
    queues_overflow = True  # a prediction waits `starting` until the model has capacity
    extra_options = ("webhook_url", "webhook_secret", "mode")
    billing = ("Replicate bills each model per second of output; a prediction canceled while it runs is "
               "charged, one aborted before it starts is not")

    def __init__(self, **options: Any):
        super().__init__(**options)
        self._uploaded: dict[str, str] = {}  # sha256 of an input image -> its Files API URL
        mode = self.options.get("mode", "standard")
        if mode not in ("standard", "pro"):
            raise BadRequest(f"replicate: mode must be standard or pro, not {mode!r}")

    def body(self, request: GenerationRequest, spec: ModelSpec) -> dict[str, Any]:
        """The prediction body: ``{input, webhook?}``."""
        start, end = self.images(request)
        given: dict[str, Any] = {"prompt": request.prompt, "duration": int(self.clip_seconds(request, spec))}
        if start is not None:
            given[spec.fields["image"]] = data_uri(start)
        if end is not None:
            given[spec.fields["end"]] = data_uri(end)
        if request.negative_prompt:
            given["negative_prompt"] = request.negative_prompt
        if spec.seed and request.seed is not None:
            given["seed"] = request.seed
        if spec.fields.get("mode"):
            given["mode"] = "pro" if end is not None else str(self.options.get("mode", "standard"))
        if spec.fields.get("aspect"):
            given["aspect_ratio"] = "16:9" if request.width >= request.height else "9:16"
        body: dict[str, Any] = {"input": given}
        if self.options.get("webhook_url"):
            body["webhook"] = self.options["webhook_url"]
            body["webhook_events_filter"] = ["completed"]
        return body

    # -- stills -----------------------------------------------------------------------------------
    def image_rate(self, request: GenerationRequest, spec: ModelSpec) -> tuple[float, str]:
        return spec.price_per_image, f"{spec.name} ({spec.fields['family']}), Replicate's price per output image"

    def image_uri(self, info: ImageInfo, shot: str) -> str:
        """How an input image is sent: a data URL up to 256 KB, else the URL of its upload (``POST /v1/files``)."""
        if info.size <= DATA_URL_MAX:
            return data_uri(info)
        digest = image_sha256(info)
        found = self._uploaded.get(digest)
        if found:
            return found
        with open(info.path, "rb") as handle:
            response = self.http.request(
                "POST", f"{self.base_url}/v1/files", shot=shot, what="upload", classify=self._classify,
                files={"content": (f"{digest[:16]}.{'jpg' if info.format == 'jpeg' else info.format}", handle,
                                   info.mime)},
            )
        data = self.http.read_json(response, shot=shot, what="upload")
        url = (data.get("urls") or {}).get("get") if isinstance(data, dict) else None
        if not url:
            raise self.http.error(GenerationError, f"upload: no URL in the answer: {self.http.excerpt(response)}",
                                  shot)
        self._uploaded[digest] = str(url)
        return str(url)

    def image_body(self, request: GenerationRequest, spec: ModelSpec) -> tuple[dict[str, Any], str]:
        """The prediction body of a still and the note on its ratio."""
        ratio, note = self.image_ratio(request, spec)
        given: dict[str, Any] = {"prompt": request.prompt, "aspect_ratio": ratio, "output_format": "png"}
        uris = [self.image_uri(info, request.shot_id) for info in self.image_inputs(request, spec)]
        if uris and "images" in spec.fields:
            given[spec.fields["images"]] = uris
        elif uris:
            given[spec.fields["image"]] = uris[0]
            given["safety_tolerance"] = 2  # the most an input image allows
        if spec.seed and request.seed is not None:
            given["seed"] = request.seed
        body: dict[str, Any] = {"input": given}
        if self.options.get("webhook_url"):
            body["webhook"] = self.options["webhook_url"]
            body["webhook_events_filter"] = ["completed"]
        return body, note

    def rate(self, request: GenerationRequest, spec: ModelSpec) -> tuple[float, str]:
        if not spec.fields.get("mode"):
            return spec.price_per_s, f"{spec.name}, Replicate's price per second of output"
        if request.end_image is not None:
            return spec.fields["pro_price"], f"{spec.name}, pro mode: the end board needs it"
        mode = str(self.options.get("mode", "standard"))
        price = spec.fields["pro_price"] if mode == "pro" else spec.price_per_s
        return price, f"{spec.name}, {mode} mode"

    def submit(self, request: GenerationRequest) -> JobHandle:
        spec = self.prepare(request)
        shot = request.shot_id
        note = ""
        if request.is_image:
            body, note = self.image_body(request, spec)
        else:
            body = self.body(request, spec)
        response = self.http.request(
            "POST",
            f"{self.base_url}/v1/models/{spec.name}/predictions",
            json=body,
            shot=shot,
            what="submit",
            create=True,
            classify=self._classify,
        )
        data = self.http.read_json(response, shot=shot, what="submit", create=True)
        if not isinstance(data, dict) or not data.get("id"):
            raise self.http.error(
                AmbiguousSubmit,
                "submit: accepted, but no prediction id in the answer (the job may exist)",
                shot,
            )
        urls = data.get("urls") or {}
        if request.is_image:
            return self.image_handle(str(data["id"]), request, spec, get_url=urls.get("get"),
                                     cancel_url=urls.get("cancel"), ratio=body["input"]["aspect_ratio"],
                                     ratio_note=note)
        return JobHandle(
            str(data["id"]),
            {
                "shot": shot,
                "take": request.take_id,
                "model": spec.name,
                "get_url": urls.get("get"),
                "cancel_url": urls.get("cancel"),
            },
        )

    def find_recent(self, request: GenerationRequest, since: float, until: float,
                    known: set[str]) -> JobHandle | None:
        """The prediction ``request`` made between ``since`` and ``until`` among the most recent ones
        (``GET /v1/predictions``, each with its ``input``), if exactly one matches."""
        spec = self.prepare(request)
        if request.is_image:  # compared without the image URIs (an upload's URL differs per upload)
            ratio, _ = self.image_ratio(request, spec)
            wanted = {"prompt": request.prompt, "aspect_ratio": ratio, "output_format": "png"}
            if spec.seed and request.seed is not None:
                wanted["seed"] = request.seed
            count = len(self.input_paths(request))
        else:
            wanted, count = self.body(request, spec).get("input"), -1
        response = self.http.request("GET", f"{self.base_url}/v1/predictions", shot=request.shot_id,
                                     what="lookup", classify=self._classify)
        data = self.http.read_json(response, shot=request.shot_id, what="lookup")
        items = data.get("results") if isinstance(data, dict) else None
        candidates = [(str(p.get("id")), p.get("created_at")) for p in items or []
                      if isinstance(p, dict) and _same_input(p.get("input"), wanted, count, spec)]
        job_id = one_recent(candidates, since, until, known)
        return None if job_id is None else self.attach_handle(job_id, request)

    def _classify(
        self, response: Response, body: Any, text: str, what: str, shot: str | None
    ) -> GenerationError | None:
        detail = str(body.get("detail", "")) if isinstance(body, dict) else text
        if response.status_code == 429:
            wait = parse_retry_after(response.headers.get("Retry-After"))
            found = _EXPECTED.search(detail)
            if wait is None and found:
                wait = float(found.group(1))
            suffix = f" (retry after {wait:g} s)" if wait is not None else ""
            return self.http.error(
                RetryLater, f"{what}: HTTP 429 throttled{suffix}: {detail}", shot, retry_after=wait
            )
        if response.status_code == 422:
            if _MODERATION.search(detail):
                return self.http.error(
                    ModerationBlocked,
                    f"{what}: HTTP 422: blocked by moderation: {detail}",
                    shot,
                    stage="input",
                )
            return self.http.error(BadRequest, f"{what}: HTTP 422: {' '.join(detail.split())}", shot)
        return None

    def poll(self, handle: JobHandle) -> JobStatus:
        shot = handle.data.get("shot")
        self.require_key(shot)
        url = handle.data.get("get_url") or f"{self.base_url}/v1/predictions/{handle.job_id}"
        response = self.http.request("GET", url, shot=shot, what="poll", classify=self._classify)
        return self.status(self.http.read_json(response, shot=shot, what="poll"), shot, handle.data.get("kind"))

    def status(self, prediction: dict, shot: str | None, kind: str | None = None) -> JobStatus:
        """A prediction as a :class:`JobStatus` (its echoed boards shortened in ``raw``; ``kind`` ``"image"``:
        a still's prediction)."""
        prediction = compact(prediction)
        raw = str(prediction.get("status", ""))
        if raw == "starting":
            return JobStatus(JobState.QUEUED, None, raw, raw=prediction)
        if raw == "processing":
            return JobStatus(JobState.RUNNING, None, raw, raw=prediction)
        if raw in ("canceled", "aborted"):
            return JobStatus(JobState.CANCELED, None, raw, raw=prediction)
        if raw == "succeeded":
            output = prediction.get("output")
            urls = (
                [output]
                if isinstance(output, str)
                else [u for u in output or [] if isinstance(u, str)]
                if isinstance(output, list)
                else []
            )
            return self.finished(f"prediction {prediction.get('id')}", urls, shot, raw, prediction,
                                 media="an image" if kind == IMAGE else "a video")
        if raw == "failed":
            error = str(prediction.get("error") or "")
            text = f"prediction {prediction.get('id')} failed: {error}"
            if _MODERATION.search(error) or CONTENT_WORDS.search(error):
                stage = "output" if "output" in error.lower() and "input" not in error.lower() else "input"
                failure = self.http.error(
                    ModerationBlocked, f"{text} — change the board or prompt", shot, stage=stage
                )
            else:
                failure = self.http.error(GenerationError, text, shot)
            return JobStatus(JobState.FAILED, None, raw, failure=failure, raw=prediction)
        return JobStatus(JobState.RUNNING, None, raw, raw=prediction)

    def _secrets(self) -> list[str]:
        return [s for s in (self._api_key, self.options.get("webhook_secret")) if s]

    def fetch(self, handle: JobHandle, status: JobStatus, destination: Path, *,
              max_bytes: int | None = None) -> Path:
        if status.raw.get("data_removed"):
            raise self.http.error(
                ResultExpired,
                f"prediction {handle.job_id}: Replicate removed the output "
                f"(kept one hour); generate the take again",
                handle.data.get("shot"),
            )
        return super().fetch(handle, status, destination, max_bytes=max_bytes)

    def cancel(self, handle: JobHandle) -> None:
        """``POST /v1/predictions/{id}/cancel``."""
        shot = handle.data.get("shot")
        self.require_key(shot)
        url = handle.data.get("cancel_url") or f"{self.base_url}/v1/predictions/{handle.job_id}/cancel"
        self.http.request("POST", url, shot=shot, what="cancel", ok=(404,))

    def parse_webhook(self, headers: dict[str, str], body: bytes) -> WebhookEvent:
        """A webhook delivery; ``delivery`` is its ``webhook-id`` (the same on every retry).

        With a ``webhook_secret`` the Standard Webhooks signature is checked; a bad one is
        :class:`BadRequest` (the delivery is not from Replicate)."""
        lower = {k.lower(): v for k, v in headers.items()}
        secret = self.options.get("webhook_secret")
        if secret:
            key = base64.b64decode(str(secret).split("_", 1)[-1])
            signed = f"{lower.get('webhook-id')}.{lower.get('webhook-timestamp')}.".encode() + body
            expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
            given = [part.split(",", 1)[-1] for part in lower.get("webhook-signature", "").split()]
            if not any(hmac.compare_digest(expected, g) for g in given):
                raise self.http.error(
                    BadRequest, "webhook: the signature does not match (not from Replicate?)"
                )
        prediction = json.loads(body)
        return WebhookEvent(
            str(lower.get("webhook-id", "")), str(prediction.get("id")), self.status(prediction, None)
        )


def _same_input(given: Any, wanted: Any, images: int, spec: ModelSpec) -> bool:
    """Whether a listed prediction's ``input`` is the one asked for; for a still (``images`` ≥ 0) the image
    fields are compared by their count only."""
    if images < 0:
        return given == wanted
    if not isinstance(given, dict):
        return False
    field = spec.fields.get("images") or spec.fields.get("image")
    sent = given.get(field)
    count = len(sent) if isinstance(sent, list) else (1 if sent else 0)
    rest = {k: v for k, v in given.items() if k not in (field, "safety_tolerance")}
    return count == images and rest == wanted


def create(**options: Any) -> ReplicateProvider:
    """A Replicate client; options: base_url, api_key, model (owner/name), mode (standard/pro), webhook_url,
    webhook_secret, poll_interval, timeout, max_concurrency."""
    return ReplicateProvider(**options)
