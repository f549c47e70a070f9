"""The provider interface: requests, job handles, states, results and typed failures.

Every provider module (``shotreel.generation.providers.<name>``) exposes a class implementing
:class:`Provider`. The scheduler only ever sees these types, so adding a provider is one module.
Failures are typed so the scheduler can act on them without knowing the provider:

- :class:`RetryLater` — throttled, 429 with Retry-After, 5xx, a network error *before* the provider
  could have accepted the job; try again after ``retry_after`` seconds.
- :class:`Unreachable` — a :class:`RetryLater` for a server that cannot be reached at all: the run
  stops at once and says what to fix rather than retrying in silence.
- :class:`AmbiguousSubmit` — a submit that may have reached the provider (connection dropped after
  sending): never resubmit blindly; reconcile (``find_by_client_id``) or ask the user.
- :class:`ModerationBlocked` — refused for content, at submit, as a failed state, or as a "success"
  with no media: all three are the same outcome; never retried unchanged.
- :class:`BadRequest` — the provider will never accept this request; fix the input.
- :class:`OutOfCredit` — quota or credit exhausted; stop submitting to this provider.
- :class:`AuthFailed` — missing, wrong or expired key (the key itself never appears in a message).
- :class:`ResultExpired` — the result URL is gone.
- :class:`ResultRefused` — the result was not downloaded: larger than the take can be, or at an address
  shotreel does not fetch from (link-local, private) for a hosted provider.
- :class:`DiskFull` — the disk filled up while a result was stored; the job is kept for the next run.

:class:`WebhookEvent` is what a provider's ``parse_webhook`` returns for one delivery;
:class:`CostEstimate` what its ``cost_estimate`` returns for one request: the price and why.
"""

from __future__ import annotations

import enum
import hashlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, NamedTuple

from ..errors import ShotreelError


class GenerationError(ShotreelError):
    """A generation job could not be submitted, followed or fetched."""

    retryable = False


class RetryLater(GenerationError):
    """Try again later: throttled, rate limited, a server error or a network error before acceptance."""

    retryable = True

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: Any):
        super().__init__(message, **kw)
        self.retry_after = retry_after


class Unreachable(RetryLater):
    """The provider's server could not be reached at all (connection refused, no such host, no route): nothing
    was sent. The message names what cannot be reached and how to fix it."""


class AmbiguousSubmit(GenerationError):
    """The submit may have reached the provider; resubmitting could pay twice.

    ``answered``: the provider did answer (a 5xx after the request was sent), so it is done with the
    request: a provider that can look jobs up by client id (:attr:`Provider.finds_by_client_id`) then says
    for certain whether the job exists. Otherwise (a dropped connection, a timeout) it may still be
    creating it.
    """

    def __init__(self, message: str, *, answered: bool = False, **kw: Any):
        super().__init__(message, **kw)
        self.answered = answered


class ModerationBlocked(GenerationError):
    """The provider refused the content; ``stage`` is ``input`` or ``output``."""

    def __init__(self, message: str, *, stage: str = "input", **kw: Any):
        super().__init__(message, **kw)
        self.stage = stage


class BadRequest(GenerationError):
    """The provider will never accept this request as it is."""


class OutOfCredit(GenerationError):
    """The account's credit or quota is exhausted."""


class AuthFailed(GenerationError):
    """The API key is missing, wrong or expired."""


class ResultExpired(GenerationError):
    """The result's URL has expired or vanished."""


class ResultRefused(GenerationError):
    """The result was not downloaded, and downloading it again would not help: it is larger than the take
    can be (by its ``Content-Length`` or as it streamed), or its URL (or a redirect) leads to a link-local,
    private or loopback address other than the provider's own. The message says which, in one line."""


class DiskFull(GenerationError):
    """The disk filled up while a result was being downloaded; nothing was written, the job is kept."""


class JobState(str, enum.Enum):
    """A job's state, normalised across providers (reference §4)."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"

    @property
    def finished(self) -> bool:
        return self in (JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELED)


VIDEO = "video"
IMAGE = "image"
VOICE = "voice"  # a dialogue line spoken by a hosted voice (:mod:`shotreel.generation.voices`)
"""The kinds of job (:attr:`GenerationRequest.kind`)."""

RACY_SECONDS = 0.1
"""A file changed less than this before it was hashed may change again with the same timestamps."""
_DIGESTS: dict[str, tuple[tuple[int, ...], str]] = {}
_DIGESTS_MAX = 4096


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes, as hex.

    Remembered per file while its identity, size and change times stay the same (one ``stat`` instead of
    a read when the same board is hashed for every take), the way git's index trusts a file's stat: a
    file hashed within ``RACY_SECONDS`` of its last change is hashed again next time, since a rewrite
    within the file system's timestamp granularity could keep every field.
    """
    stat = os.stat(path)
    signature = (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)
    key = os.fspath(path)
    known = _DIGESTS.get(key)
    if known is not None and known[0] == signature:
        return known[1]
    hashed_at = time.time_ns()
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    hexdigest = digest.hexdigest()
    if hashed_at - max(stat.st_mtime_ns, stat.st_ctime_ns) > RACY_SECONDS * 1e9:
        if len(_DIGESTS) >= _DIGESTS_MAX:
            _DIGESTS.clear()
        _DIGESTS[key] = (signature, hexdigest)
    return hexdigest


def remember_sha256(path: Path, digest: str) -> None:
    """Remember ``digest`` as the SHA-256 of ``path``, a file the caller has just written with exactly the
    bytes it hashed while writing (so :func:`file_sha256` need not read it back). Forgotten as soon as the
    file's stat changes; meant for shotreel's own files (a download in its staging folder)."""
    stat = os.stat(path)
    if len(_DIGESTS) >= _DIGESTS_MAX:
        _DIGESTS.clear()
    signature = (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)
    _DIGESTS[os.fspath(path)] = (signature, digest)


@dataclass(frozen=True)
class GenerationRequest:
    """One take to generate: everything a provider needs, provider-neutral.

    Images are absolute paths; their content hashes are part of :meth:`request_hash`, so a
    redrawn board makes a new request. ``duration_frames`` is at ``fps``; providers round to what
    they offer (reported back through the probe of the result, never silently).

    ``kind`` is what the job makes: ``"video"`` (a take) or ``"image"`` (a still: an asset's reference view or a
    generated board). For an image ``duration_frames`` is 0 and ``fps`` is the film's rate (unused);
    ``reference_images`` are the approved references to keep the cast consistent, ``start_image`` an image to
    edit where the model edits one. A provider's :meth:`Provider.image_models` says whether it makes images.
    ``kind`` enters :meth:`request_hash` only when it is not ``"video"``, so every take's hash is unchanged.

    ``client_id`` is the job's unique client id (the scheduler records a UUID in the ledger before the
    submit); providers that take one send it (ComfyUI ``prompt_id``, Kling ``external_task_id``) so a job
    whose answer was lost can be found again (:meth:`Provider.find_by_client_id`). It is not part of
    :meth:`request_hash`: it names the job, not what is paid for.
    """

    take_id: str
    shot_id: str
    provider: str
    model: str
    prompt: str
    duration_frames: int
    fps: Fraction
    width: int
    height: int
    negative_prompt: str = ""
    start_image: Path | None = None
    end_image: Path | None = None
    reference_images: tuple[Path, ...] = ()
    seed: int | None = None
    movement: str = ""
    extra: dict = field(default_factory=dict)
    client_id: str = ""
    kind: str = "video"

    @property
    def is_image(self) -> bool:
        return self.kind == IMAGE

    @property
    def duration_s(self) -> float:
        return float(Fraction(self.duration_frames) / self.fps)

    @property
    def aspect(self) -> Fraction:
        return Fraction(self.width, self.height)

    def request_hash(self, *, with_seed: bool = True, without_extra: tuple[str, ...] = (),
                     digest: Callable[[Path], str] = file_sha256) -> str:
        """A stable hash of what would be paid for (not of the take id nor the client id).

        ``with_seed=False`` and ``without_extra`` leave the seed and those ``extra`` keys out (the ledger's
        content hash: what a provider judges). ``digest`` hashes an image (:func:`file_sha256`; a caller
        hashing many requests at once may pass a memo of it).
        """
        def image(p: Path | None) -> str | None:
            if p is None:
                return None
            try:
                return digest(p)
            except OSError:  # missing (or a folder): the path stands for it
                return str(p)

        extra = {k: v for k, v in self.extra.items() if k not in without_extra} if without_extra else self.extra
        payload = {
            "provider": self.provider, "model": self.model, "prompt": self.prompt,
            "negative_prompt": self.negative_prompt, "duration_frames": self.duration_frames,
            "fps": str(self.fps), "size": [self.width, self.height], "seed": self.seed if with_seed else None,
            "movement": self.movement, "start": image(self.start_image), "end": image(self.end_image),
            "refs": [image(p) for p in self.reference_images], "extra": extra,
        }
        if self.kind != VIDEO:
            payload["kind"] = self.kind
        return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


@dataclass
class JobHandle:
    """What a provider returned for a submitted job: its id and any URLs needed to follow it."""

    job_id: str
    data: dict = field(default_factory=dict)


@dataclass
class JobStatus:
    """A job's state as last polled. ``result_urls`` are set on success; ``failure`` on failure."""

    state: JobState
    progress: float | None = None
    raw_status: str = ""
    result_urls: list[str] = field(default_factory=list)
    failure: GenerationError | None = None
    cost: float | None = None
    raw: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Capabilities:
    """What a provider's model accepts, checked before any money is spent."""

    supports_end_frame: bool = False
    supports_seed: bool = True
    durations_s: tuple[float, ...] = ()  # empty: any duration up to max_duration_s
    max_duration_s: float = 10.0
    max_prompt_chars: int = 2000
    aspect_range: tuple[float, float] = (0.4, 2.5)
    min_image_px: int = 300
    max_image_bytes: int = 16 * 1024 * 1024
    image_formats: tuple[str, ...] = ("png", "jpeg", "webp")
    max_concurrency: int = 4
    max_reference_images: int = 0  # reference images one request may carry (0: the model takes none)
    max_image_px: int = 0  # longest side an input image may have (0: no limit); larger ones are resized


@dataclass(frozen=True)
class CostEstimate:
    """What one take is expected to cost, in US dollars, and why.

    ``explanation`` is one line a person can check against the provider's price list: the length the
    provider bills for the shot (a 6 s shot may be billed as a 10 s clip), the rate and the model, e.g.
    ``5 s shot → billed as 5 s at $0.05/s (gen4_turbo: 5 credits/s × $0.01) = $0.25``. Both come from the
    same computation, so the text never disagrees with the amount. Prices are estimates from published
    figures; the provider's own bill is what counts.
    """

    amount: float
    explanation: str


class Provider:
    """The interface every provider implements.

    ``name`` is the module's name; ``max_concurrency`` the number of jobs the provider runs at once for
    the account; ``queues_overflow`` whether it keeps jobs beyond that waiting in its own queue (Runway
    ``THROTTLED``, fal ``IN_QUEUE``, ComfyUI's queue) rather than refusing them — then the scheduler keeps
    a few more jobs there, so the next one starts the moment a slot comes free; ``poll_interval`` and
    ``typical_duration`` guide when the scheduler polls. Methods raise the typed :class:`GenerationError`
    subclasses above and never put the API key in a message.
    """

    name: str = ""
    needs_network: bool = True
    queues_overflow: bool = False
    poll_interval: float | None = None  # seconds between polls of one job (the scheduler's default if None)
    typical_duration: float | None = None  # seconds a job usually runs: where to poll first, before learning
    billing: str = ""  # how the provider bills, in one sentence (printed once above a dry run's costs)
    finds_by_client_id: bool = False  # :meth:`find_by_client_id` says for certain whether a job exists
    lists_recent: bool = False  # :meth:`find_recent` can look a job up among the account's recent ones

    def capabilities(self, model: str) -> Capabilities:
        return Capabilities()

    @property
    def max_concurrency(self) -> int:
        return self.capabilities("").max_concurrency

    def default_model(self) -> str:
        raise NotImplementedError

    def image_models(self) -> tuple[str, ...]:
        """The models this provider makes still images with (requests of kind ``"image"``); empty: none."""
        return ()

    def default_image_model(self) -> str:
        """The image model used when none is named; :class:`BadRequest` when the provider makes no images."""
        models = self.image_models()
        if not models:
            raise BadRequest(f"{self.name} does not make still images: choose a provider that does "
                             "(comfyui, runway, fal, replicate)")
        return models[0]

    def validate(self, request: GenerationRequest) -> None:
        """Raise :class:`BadRequest` (naming the shot and the fix) if the provider would reject it."""

    def missing_keys(self) -> list[str]:
        """The names of the environment variables holding this provider's keys that are not set (never the
        values); empty when the provider needs no key or has every key it needs."""
        return []

    def require_key(self, shot: str | None = None) -> None:
        """Raise :class:`AuthFailed` naming every missing key's environment variable (see :meth:`missing_keys`)."""
        missing = self.missing_keys()
        if missing:
            raise AuthFailed(f"{self.name}: no API key: set {' and '.join(missing)} in the environment", shot=shot)

    def estimate_cost(self, request: GenerationRequest) -> float:
        """The expected price in US dollars (0 for local providers); :meth:`cost_estimate` says why."""
        return 0.0

    def cost_estimate(self, request: GenerationRequest) -> CostEstimate:
        """The expected price of ``request`` and the reason for it (see :class:`CostEstimate`).

        This default wraps :meth:`estimate_cost` for providers that only define that; the hosted providers
        compute both here and derive :meth:`estimate_cost` from it.
        """
        amount = self.estimate_cost(request)
        if not amount:
            where = "on this machine" if not self.needs_network else "on your own server"
            return CostEstimate(0.0, f"runs {where}: nothing is billed = $0.00")
        return CostEstimate(amount, f"{self.name}'s own estimate = ${amount:.2f}")

    def submit(self, request: GenerationRequest) -> JobHandle:
        raise NotImplementedError

    def poll(self, handle: JobHandle) -> JobStatus:
        raise NotImplementedError

    def fetch(self, handle: JobHandle, status: JobStatus, destination: Path, *,
              max_bytes: int | None = None) -> Path:
        """Download the result of a succeeded job to ``destination`` (atomically) and return it; a result
        larger than ``max_bytes`` (what the take can be, :func:`take_byte_limit`) is
        :class:`ResultRefused`."""
        raise NotImplementedError

    def cancel(self, handle: JobHandle) -> None:
        """Ask the provider to stop the job (best effort)."""

    def find_by_client_id(self, client_id: str) -> JobHandle | None:
        """Find a job submitted with ``client_id`` (:attr:`GenerationRequest.client_id`), where the
        provider allows it; None when the provider has no such job or cannot look one up."""
        return None

    def find_recent(self, request: GenerationRequest, since: float, until: float,
                    known: set[str]) -> JobHandle | None:
        """Find, among the account's recent jobs, the one ``request`` made between ``since`` and ``until``
        (Unix times) whose id is not in ``known`` (jobs the ledger already follows), where the provider lists
        recent jobs (:attr:`lists_recent`); None when there is not exactly one such job."""
        return None

    def mask(self, value: Any) -> Any:
        """``value`` (a raw payload to be stored) with every key of this provider masked (``***``)."""
        return value

    def fingerprint(self, model: str) -> str:
        """A hash of every setting of this provider that shapes what a request asks for besides the request
        itself (a ComfyUI workflow's content, provider options); part of the request's content hash, so a
        request refused under one workflow or option is not "unchanged" under another. Empty: none."""
        return ""

    def attach_handle(self, job_id: str, request: GenerationRequest) -> JobHandle:
        """The handle to follow job ``job_id``, which the user found on the provider's dashboard."""
        return JobHandle(job_id, {"shot": request.shot_id, "take": request.take_id, "model": request.model})


MAX_TAKE_BYTES_PER_S = 12_500_000
"""Bytes per second a take may hold at 1920×1080 or less (100 Mbit/s: more than any provider delivers;
scaled up by the frame area above that)."""
TAKE_BYTES_HEADROOM = 8 * 1024 * 1024  # container, audio, a poster frame
DEFAULT_MAX_TAKE_BYTES = 1 << 30  # a download whose take length is not known: 1 GiB


def take_byte_limit(seconds: float, width: int = 0, height: int = 0) -> int:
    """The most bytes a take of ``seconds`` at ``width``×``height`` may download: its length × 1.5 + 2 s
    (a provider rounds a shot up to the clip lengths it makes) at ``MAX_TAKE_BYTES_PER_S`` per second of a
    1080p frame (more for larger frames), plus 8 MiB. A 5 s 720p take: 127 MB; a 10 s one: 221 MB."""
    area = max(1.0, (max(0, width) * max(0, height)) / (1920 * 1080))
    span = max(0.0, float(seconds)) * 1.5 + 2.0
    return int(TAKE_BYTES_HEADROOM + span * MAX_TAKE_BYTES_PER_S * area)


class WebhookEvent(NamedTuple):
    """One webhook delivery, parsed: ``delivery`` is the key to deduplicate on (deliveries repeat and arrive
    out of order — treat them as hints and trust the next poll), ``job_id`` the provider's job id."""

    delivery: str
    job_id: str
    status: JobStatus
