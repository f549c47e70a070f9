"""Kling AI's API (reference §2.3): ``POST /v1/videos/image2video`` → ``task_id`` → ``GET …/{task_id}``.

Auth is a JWT signed here (HS256, stdlib ``hmac``) from ``KLING_ACCESS_KEY`` + ``KLING_SECRET_KEY``:
``iss`` = access key, ``exp`` = now + 30 min, ``nbf`` = now − 5 s, renewed a minute before expiry and
once more when Kling answers code 1004 (expired; the refused request never started a job, so repeating it
is safe). Boards go as raw base64 (no ``data:`` prefix) in ``image`` / ``image_tail``; the request's
client id (a UUID recorded in the ledger before the submit) is sent as ``external_task_id`` so
:meth:`KlingProvider.find_by_client_id` can find a job whose create answer was lost. The envelope's
``code`` decides failures: 1000–1004 auth, 1100–1102 account/credit, 12xx invalid, 1301 content,
1302/1303 rate/concurrency, 1304 IP whitelist, 5000–5002 server. States submitted → queued, processing →
running, succeed (with a video) → succeeded, failed → failed (``task_status_msg``). Kling has no cancel
endpoint. Kling bills prepaid resource packages per clip (5 or 10 s; 3–15 s on kling-v3): the dollar
prices here are fal's for the same models (reference §2.4), an estimate of what the package spends.

A create answered 5xx, a dropped connection or a timeout may have made the task; it is looked up by its
``external_task_id`` (reference §2.3, Kling API image2video reference: "query by external id"): found, it
is followed; when Kling answered (a 5xx) and has no task with that id, nothing was made and the create is
retried; a timeout or dropped connection with nothing found stays ``unknown_submit``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import threading
import time
import uuid
from typing import Any

from ..base import (
    AmbiguousSubmit,
    AuthFailed,
    BadRequest,
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
from ._common import ClientProvider, ImageRules, ModelSpec, raw_base64
from ._http import CONTENT_WORDS, Response, parse_retry_after

TOKEN_LIFETIME = 1800  # seconds
RENEW_MARGIN = 60

_STD, _PRO, _MASTER = 0.056, 0.098, 0.28  # USD per second (estimates)
MODELS = {
    name: ModelSpec(
        name,
        durations=durations,
        end_frame=end,
        seed=False,
        max_prompt=2500,
        price_per_s=price,
        fields={"pro_price": pro, "end_needs_pro": end},
    )
    for name, durations, end, price, pro in (
        ("kling-v1", (5, 10), True, _STD, _PRO),
        ("kling-v1-5", (5, 10), True, _STD, _PRO),
        ("kling-v1-6", (5, 10), True, _STD, _PRO),
        ("kling-v2-master", (5, 10), False, _MASTER, _MASTER),
        ("kling-v2-1", (5, 10), True, _STD, _PRO),
        ("kling-v2-1-master", (5, 10), False, _MASTER, _MASTER),
        ("kling-v2-5-turbo", (5, 10), True, 0.07, 0.07),
        ("kling-v2-6", (5, 10), True, 0.07, 0.07),
        ("kling-v3", tuple(range(3, 16)), True, 0.157, 0.235),
    )
}


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def make_jwt(
    access_key: str, secret_key: str, now: float | None = None, lifetime: int = TOKEN_LIFETIME
) -> str:
    """An HS256 JWT as Kling wants it: ``iss`` = access key, ``exp`` = now + lifetime, ``nbf`` = now − 5."""
    now = int(time.time() if now is None else now)
    head = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = _b64url(
        json.dumps({"iss": access_key, "exp": now + lifetime, "nbf": now - 5}, separators=(",", ":")).encode()
    )
    signature = hmac.new(secret_key.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{_b64url(signature)}"


class KlingProvider(ClientProvider):
    """Kling image-to-video (kling-v1 … kling-v3), std or pro mode."""

    name = "kling"
    finds_by_client_id = True  # client id lookup (see the module doc)
    env_keys = ("KLING_ACCESS_KEY", "KLING_SECRET_KEY")
    default_base_url = "https://api-singapore.klingai.com"
    models = MODELS
    default_model_name = "kling-v2-1"
    image_rules = ImageRules(
        min_px=300, max_px=8000, aspect=(0.4, 2.5), max_bytes=10 * 1024 * 1024, formats=("png", "jpeg")
    )
    default_poll_interval = 10.0
    typical_duration = 75.0  # s: 30–120 s in std mode (reference §2.3; learnt per run)
    default_concurrency = 3
    extra_options = ("access_key", "secret_key", "mode", "cfg_scale", "callback_url", "token_lifetime")
    billing = ("Kling bills prepaid resource packages per clip of 5 or 10 s (3–15 s on kling-v3); the dollar "
               "prices are fal's for the same models, an estimate of what the package spends")

    def __init__(self, **options: Any):
        access = options.pop("access_key", None)
        secret = options.pop("secret_key", None)
        self._access = access if access is not None else os.environ.get("KLING_ACCESS_KEY")
        self._secret = secret if secret is not None else os.environ.get("KLING_SECRET_KEY")
        self._token: tuple[str, float] | None = None
        self._token_lock = threading.Lock()
        super().__init__(**options)
        mode = self.options.get("mode", "std")
        if mode not in ("std", "pro"):
            raise BadRequest(f"kling: mode must be std or pro, not {mode!r}")
        cfg_scale = self.options.get("cfg_scale")
        if cfg_scale is not None and not (isinstance(cfg_scale, (int, float)) and 0 <= cfg_scale <= 1):
            raise BadRequest(f"kling: cfg_scale must be a number from 0 to 1, not {cfg_scale!r}")
        self.lifetime = int(self.options.get("token_lifetime", TOKEN_LIFETIME))

    # -- auth -----------------------------------------------------------------------------------
    def _key_from_env(self) -> str | None:
        return "jwt" if self._access and self._secret else None

    def _secrets(self) -> list[str]:
        found = [s for s in (self._access, self._secret) if s]
        if self._token:
            found.append(self._token[0])
        return found

    def missing_keys(self) -> list[str]:
        """``KLING_ACCESS_KEY`` and/or ``KLING_SECRET_KEY``: whichever is not set (both are needed)."""
        return [
            name
            for name, value in (("KLING_ACCESS_KEY", self._access), ("KLING_SECRET_KEY", self._secret))
            if not value
        ]

    def token(self, renew: bool = False) -> str:
        """The current JWT, signed anew when missing, near expiry, or ``renew``."""
        with self._token_lock:
            now = time.time()
            if renew or self._token is None or self._token[1] - RENEW_MARGIN <= now:
                self._token = (
                    make_jwt(self._access or "", self._secret or "", now, self.lifetime),
                    now + self.lifetime,
                )
            return self._token[0]

    def _auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token()}"}

    def call(
        self,
        method: str,
        path: str,
        *,
        shot: str | None,
        what: str,
        create: bool = False,
        ok: tuple[int, ...] = (),
        **kwargs: Any,
    ) -> Response:
        """One API request; an expired token (1004) is renewed and the request sent once more."""
        url = self.base_url + path
        try:
            return self.http.request(
                method, url, shot=shot, what=what, create=create, classify=self._classify, ok=ok, **kwargs
            )
        except AuthFailed as exc:
            if getattr(exc, "kling_code", None) != 1004:
                raise
        self.token(renew=True)  # refused as expired: no job was started, resending is safe
        return self.http.request(
            method, url, shot=shot, what=what, create=create, classify=self._classify, ok=ok, **kwargs
        )

    # -- errors ---------------------------------------------------------------------------------
    def _classify(
        self, response: Response, body: Any, text: str, what: str, shot: str | None
    ) -> GenerationError | None:
        if not isinstance(body, dict) or not isinstance(body.get("code"), int):
            return None
        return self.code_error(
            body["code"],
            str(body.get("message", "")),
            what,
            shot,
            parse_retry_after(response.headers.get("Retry-After")),
        )

    def code_error(
        self, code: int, message: str, what: str, shot: str | None, retry_after: float | None = None
    ) -> GenerationError | None:
        """The typed error for an envelope ``code`` (None for 0)."""
        where = f"{what}: code {code}: {message}"
        if code == 0:
            return None
        if 1000 <= code <= 1004:
            hint = (
                "renew the token"
                if code == 1004
                else "check KLING_ACCESS_KEY / KLING_SECRET_KEY and the clock"
            )
            error = self.http.error(AuthFailed, f"{where} ({hint})", shot)
            error.kling_code = code  # type: ignore[attr-defined]
            return error
        if 1100 <= code <= 1199:
            return self.http.error(OutOfCredit, f"{where} (top up the account or resource pack)", shot)
        if code == 1301:
            return self.http.error(
                ModerationBlocked, f"{where}: change the board or prompt", shot, stage="input"
            )
        if code in (1302, 1303):
            return self.http.error(RetryLater, f"{where}", shot, retry_after=retry_after)
        if code == 1304:
            return self.http.error(AuthFailed, f"{where} (add this machine's IP to the whitelist)", shot)
        if 1200 <= code <= 1299:
            return self.http.error(BadRequest, f"{where}", shot)
        if 5000 <= code <= 5999:
            return self.http.error(RetryLater, f"{where}", shot, retry_after=retry_after)
        return None

    # -- requests -------------------------------------------------------------------------------
    def mode(self, request: GenerationRequest, spec: ModelSpec) -> str:
        """``pro`` when an end frame needs it, else the configured mode."""
        if request.end_image is not None and spec.fields.get("end_needs_pro"):
            return "pro"
        return str(self.options.get("mode", "std"))

    def rate(self, request: GenerationRequest, spec: ModelSpec) -> tuple[float, str]:
        mode = self.mode(request, spec)
        price = spec.fields["pro_price"] if mode == "pro" else spec.price_per_s
        if mode == "pro" and request.end_image is not None and spec.fields.get("end_needs_pro"):
            how = "pro mode: the end board needs it"
        else:
            how = f"{mode} mode"
        return price, f"{spec.name}, {how}; fal's price for it"

    def body(self, request: GenerationRequest, spec: ModelSpec) -> dict[str, Any]:
        """The JSON body of the create."""
        start, end = self.images(request)
        body: dict[str, Any] = {
            "model_name": spec.name,
            "image": raw_base64(start),
            "prompt": request.prompt,
            "mode": self.mode(request, spec),
            "duration": str(int(self.clip_seconds(request, spec))),
            "external_task_id": request.client_id or str(uuid.uuid4()),
        }
        if end is not None:
            body["image_tail"] = raw_base64(end)
        if request.negative_prompt:
            body["negative_prompt"] = request.negative_prompt
        for option in ("cfg_scale", "callback_url"):
            if option in self.options:
                body[option] = self.options[option]
        return body

    def validate_more(self, request: GenerationRequest, spec: ModelSpec) -> None:
        if len(request.negative_prompt) > 2500:
            raise BadRequest(
                f"kling: the negative prompt has {len(request.negative_prompt)} characters; "
                f"Kling takes at most 2500",
                shot=request.shot_id,
            )

    def submit(self, request: GenerationRequest) -> JobHandle:
        spec = self.prepare(request)
        body = self.body(request, spec)
        shot = request.shot_id
        response = self.call(
            "POST", "/v1/videos/image2video", json=body, shot=shot, what="submit", create=True
        )
        data = self.envelope(response, shot, "submit", create=True)
        task_id = data.get("task_id") if isinstance(data, dict) else None
        if not task_id:
            raise self.http.error(
                AmbiguousSubmit, "submit: accepted, but no task_id in the answer (the job may exist)", shot
            )
        return self.handle(data, shot, request.take_id, body["external_task_id"])

    def envelope(self, response: Response, shot: str | None, what: str, create: bool = False) -> Any:
        """The ``data`` of a Kling envelope; a non-zero ``code`` on HTTP 200 is still a failure."""
        envelope = self.http.read_json(response, shot=shot, what=what, create=create)
        if not isinstance(envelope, dict):
            raise self.http.error(RetryLater, f"{what}: unexpected answer", shot)
        error = self.code_error(int(envelope.get("code") or 0), str(envelope.get("message", "")), what, shot)
        if error is not None:
            raise error
        return envelope.get("data")

    def handle(self, data: dict, shot: str | None, take: str | None, client_id: str) -> JobHandle:
        """The handle of the task in ``data`` (created with ``external_task_id`` = ``client_id``)."""
        return JobHandle(str(data["task_id"]), {"shot": shot, "take": take, "external_task_id": client_id})

    def poll(self, handle: JobHandle) -> JobStatus:
        shot = handle.data.get("shot")
        self.require_key(shot)
        response = self.call("GET", f"/v1/videos/image2video/{handle.job_id}", shot=shot, what="poll")
        return self.status(self.envelope(response, shot, "poll") or {}, shot)

    def status(self, task: dict, shot: str | None) -> JobStatus:
        """Task data as a :class:`JobStatus`."""
        raw = str(task.get("task_status", ""))
        if raw == "submitted":
            return JobStatus(JobState.QUEUED, None, raw, raw=task)
        if raw == "processing":
            return JobStatus(JobState.RUNNING, None, raw, raw=task)
        if raw == "succeed":
            videos = (task.get("task_result") or {}).get("videos") or []
            urls = [v["url"] for v in videos if isinstance(v, dict) and v.get("url")]
            return self.finished(f"task {task.get('task_id')}", urls, shot, raw, task)
        if raw == "failed":
            message = str(task.get("task_status_msg") or "")
            text = f"task {task.get('task_id')} failed: {message}"
            if CONTENT_WORDS.search(message) or "security polic" in message.lower():
                stage = "input" if "input" in message.lower() else "output"
                failure = self.http.error(
                    ModerationBlocked, f"{text} — change the board or prompt", shot, stage=stage
                )
            else:
                failure = self.http.error(GenerationError, text, shot)
            return JobStatus(JobState.FAILED, None, raw, failure=failure, raw=task)
        return JobStatus(JobState.RUNNING, None, raw, raw=task)

    def parse_webhook(self, headers: dict[str, str], body: bytes | dict) -> WebhookEvent:
        """A ``callback_url`` delivery (the task data): deliveries may repeat and arrive out of order."""
        data = json.loads(body) if isinstance(body, (bytes, str)) else body
        data = data.get("data", data) if isinstance(data.get("data"), dict) else data
        task_id = str(data.get("task_id"))
        return WebhookEvent(f"{task_id}:{data.get('task_status')}", task_id, self.status(data, None))

    def find_by_client_id(self, client_id: str) -> JobHandle | None:
        """The job created with ``external_task_id`` = ``client_id``, or None when Kling has none."""
        self.require_key()
        response = self.call(
            "GET",
            "/v1/videos/image2video",
            params={"external_task_id": client_id},
            shot=None,
            what="lookup",
            ok=(404,),
        )
        if response.status_code == 404:
            return None
        try:
            data = self.envelope(response, None, "lookup")
        except BadRequest:
            return None  # 12xx: no such task
        if isinstance(data, list):
            data = next(
                (d for d in data if (d.get("task_info") or {}).get("external_task_id") == client_id), None
            )
        if not isinstance(data, dict) or not data.get("task_id"):
            return None
        return self.handle(data, None, None, client_id)


def create(**options: Any) -> KlingProvider:
    """A Kling client; options: base_url, access_key, secret_key, model, mode (std/pro), cfg_scale,
    callback_url, poll_interval, timeout, max_concurrency, token_lifetime."""
    return KlingProvider(**options)
