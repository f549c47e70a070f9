"""The provider interface: requests, job handles, states, results and typed failures.

Every provider module (``shotreel.generation.providers.<name>``) exposes a class implementing
:class:`Provider`. The scheduler only ever sees these types, so adding a provider is one module.
Failures are typed so the scheduler can act on them without knowing the provider:

- :class:`RetryLater` — throttled, 429 with Retry-After, 5xx, a network error *before* the provider
  could have accepted the job; try again after ``retry_after`` seconds.
- :class:`AmbiguousSubmit` — a submit that may have reached the provider (connection dropped after
  sending): never resubmit blindly; reconcile (``find_by_client_id``) or ask the user.
- :class:`ModerationBlocked` — refused for content, at submit, as a failed state, or as a "success"
  with no media: all three are the same outcome; never retried unchanged.
- :class:`BadRequest` — the provider will never accept this request; fix the input.
- :class:`OutOfCredit` — quota or credit exhausted; stop submitting to this provider.
- :class:`AuthFailed` — missing, wrong or expired key (the key itself never appears in a message).
- :class:`ResultExpired` — the result URL is gone.
"""

from __future__ import annotations

import enum
import hashlib
import json
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

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


class AmbiguousSubmit(GenerationError):
    """The submit may have reached the provider; resubmitting could pay twice."""


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


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes, as hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class GenerationRequest:
    """One take to generate: everything a provider needs, provider-neutral.

    Images are absolute paths; their content hashes are part of :meth:`request_hash`, so a
    redrawn board makes a new request. ``duration_frames`` is at ``fps``; providers round to what
    they offer (reported back through the probe of the result, never silently).
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

    @property
    def duration_s(self) -> float:
        return float(Fraction(self.duration_frames) / self.fps)

    @property
    def aspect(self) -> Fraction:
        return Fraction(self.width, self.height)

    def request_hash(self) -> str:
        """A stable hash of what would be paid for (not of the take id)."""
        def image(p: Path | None) -> str | None:
            return file_sha256(p) if p is not None and p.is_file() else (str(p) if p else None)

        payload = {
            "provider": self.provider, "model": self.model, "prompt": self.prompt,
            "negative_prompt": self.negative_prompt, "duration_frames": self.duration_frames,
            "fps": str(self.fps), "size": [self.width, self.height], "seed": self.seed,
            "movement": self.movement, "start": image(self.start_image), "end": image(self.end_image),
            "refs": [image(p) for p in self.reference_images], "extra": self.extra,
        }
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


class Provider:
    """The interface every provider implements.

    ``name`` is the module's name; ``max_concurrency`` the number of jobs the scheduler may keep in
    flight. Methods raise the typed :class:`GenerationError` subclasses above and never put the API
    key in a message.
    """

    name: str = ""
    needs_network: bool = True

    def capabilities(self, model: str) -> Capabilities:
        return Capabilities()

    @property
    def max_concurrency(self) -> int:
        return self.capabilities("").max_concurrency

    def default_model(self) -> str:
        raise NotImplementedError

    def validate(self, request: GenerationRequest) -> None:
        """Raise :class:`BadRequest` (naming the shot and the fix) if the provider would reject it."""

    def estimate_cost(self, request: GenerationRequest) -> float:
        """The expected price in US dollars (0 for local providers)."""
        return 0.0

    def submit(self, request: GenerationRequest) -> JobHandle:
        raise NotImplementedError

    def poll(self, handle: JobHandle) -> JobStatus:
        raise NotImplementedError

    def fetch(self, handle: JobHandle, status: JobStatus, destination: Path) -> Path:
        """Download the result of a succeeded job to ``destination`` (atomically) and return it."""
        raise NotImplementedError

    def cancel(self, handle: JobHandle) -> None:
        """Ask the provider to stop the job (best effort)."""

    def find_by_client_id(self, take_id: str) -> JobHandle | None:
        """Find a job submitted with ``take_id`` as the client id, where the provider allows it."""
        return None
