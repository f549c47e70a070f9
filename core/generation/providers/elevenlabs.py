"""ElevenLabs text to speech: a dialogue line spoken by a hosted voice, as a job of kind ``"voice"``.

The API as documented (ElevenLabs API reference, https://elevenlabs.io/docs/api-reference/text-to-speech/convert,
…/history/list, …/history/get-audio; the OpenAPI document elevenlabs/elevenlabs-docs ``fern/apis/api/openapi.json``):

- ``POST /v1/text-to-speech/{voice_id}?output_format=mp3_44100_128`` with the header ``xi-api-key: $KEY`` and
  the JSON body ``{"text", "model_id", "voice_settings": {"stability", "similarity_boost", "style",
  "use_speaker_boost", "speed"}, "seed"}`` (every field but ``text`` optional). The answer **is the audio**
  (``audio/mpeg`` for ``mp3_*``, ``audio/wav`` for ``wav_*``, headerless 16-bit PCM for ``pcm_*``, kept here
  as a WAV), synchronous, with the header ``request-id`` and ``history-item-id`` (the generation's id in the
  account's history; the reference pages searched name ``request-id`` but not this one, so when it is absent
  the request id names the job and a lost answer is still found through the history list). ``seed`` is an
  integer 0–4294967295 (best-effort determinism). The history is kept unless the (enterprise-only)
  ``enable_logging=false`` is sent, which shotreel never does. Errors are JSON
  ``{"detail": {"status", "message"}}``: 401 ``invalid_api_key`` / ``quota_exceeded``, 422 a malformed body,
  429 ``too_many_concurrent_requests`` / ``system_busy``.
- ``GET /v1/history?page_size=100&voice_id=…&model_id=…&date_after_unix=…`` lists recent generations,
  newest first: ``{"history": [{"history_item_id", "voice_id", "model_id", "text", "date_unix",
  "character_count_change_from", "character_count_change_to", "content_type", "state"}], "has_more",
  "last_history_item_id"}``.
- ``GET /v1/history/{history_item_id}/audio`` returns that generation's audio again (not billed again).

So ``submit`` *is* the whole job: the audio it answers is kept in a staging file (its path in the handle),
``poll`` reports success at once and ``fetch`` moves it to where the engine asked. A create whose answer was
lost (a dropped connection, a timeout, a 5xx) may have been made and billed: it is
:class:`~shotreel.generation.base.AmbiguousSubmit`, never sent again automatically; the engine looks it up
with :meth:`ElevenLabsProvider.find_recent` (the one generation of the same text, voice and model in the
window of the submit, by the history) and ``fetch`` then reads its audio from the history. A job attached by
hand (``shotreel jobs --attach SHOT/TAKE HISTORY_ITEM_ID``) is fetched the same way.

**Price.** ElevenLabs bills text to speech per character of text: the API price list
(https://elevenlabs.io/pricing/api) gives $0.10 per 1,000 characters for Multilingual v2 / v3 and $0.05 for
Flash / Turbo v2.5 (their credit table: 1 credit a character, and 0.5 for Flash and Turbo). A subscription's
included credits make the real figure lower; a Voice Library voice with a multiplier makes it higher. These
are estimates; the account's usage page is what counts.

The key comes from ``ELEVENLABS_API_KEY`` only, is sent as ``xi-api-key`` and is masked in every message
and stored payload. ``SHOTREEL_ELEVENLABS_BASE_URL`` points the client at a local test server.
"""

from __future__ import annotations

import hashlib
import io
import tempfile
import wave
from pathlib import Path
from typing import Any

from ...fsutil import atomic_write_bytes
from ..base import (
    VOICE,
    AmbiguousSubmit,
    BadRequest,
    Capabilities,
    CostEstimate,
    GenerationError,
    GenerationRequest,
    JobHandle,
    JobState,
    JobStatus,
    OutOfCredit,
    ResultExpired,
    ResultRefused,
    RetryLater,
)
from ._common import ClientProvider, ModelSpec, usd

OUTPUT_FORMATS = ("mp3_22050_32", "mp3_44100_32", "mp3_44100_64", "mp3_44100_96", "mp3_44100_128",
                  "mp3_44100_192", "pcm_16000", "pcm_22050", "pcm_24000", "pcm_44100", "wav_44100")
DEFAULT_OUTPUT_FORMAT = "mp3_44100_128"  # available on every plan (192 kb/s needs Creator, 44.1 kHz PCM Pro)
SETTINGS = {"stability": (0.0, 1.0), "similarity_boost": (0.0, 1.0), "style": (0.0, 1.0), "speed": (0.7, 1.2)}
MODELS = {
    # price_per_s holds USD per 1,000 characters here; max_prompt the characters one request may carry
    "eleven_multilingual_v2": ModelSpec("eleven_multilingual_v2", kind=VOICE, max_prompt=10_000, price_per_s=0.10,
                                        fields={"credits": 1.0, "family": "Multilingual v2"}),
    "eleven_v3": ModelSpec("eleven_v3", kind=VOICE, max_prompt=3_000, price_per_s=0.10,
                           fields={"credits": 1.0, "family": "Eleven v3"}),
    "eleven_flash_v2_5": ModelSpec("eleven_flash_v2_5", kind=VOICE, max_prompt=40_000, price_per_s=0.05,
                                   fields={"credits": 0.5, "family": "Flash v2.5"}),
    "eleven_turbo_v2_5": ModelSpec("eleven_turbo_v2_5", kind=VOICE, max_prompt=40_000, price_per_s=0.05,
                                   fields={"credits": 0.5, "family": "Turbo v2.5"}),
}
STAGING = "shotreel-elevenlabs"
"""The folder (in the system's temporary folder) where an answer's audio waits until the engine fetches it."""
SECONDS_A_CHARACTER = 0.12  # generous: speech runs about 15 characters a second
AUDIO_BYTES_PER_S = 200_000  # more than any output format makes (WAV at 44.1 kHz is 88,200)


def audio_byte_limit(text: str) -> int:
    """The most bytes the audio of ``text`` may be: 2 s plus 0.12 s a character at 200 kB/s, plus 8 MiB."""
    return int(8 * 1024 * 1024 + (2.0 + SECONDS_A_CHARACTER * len(text)) * AUDIO_BYTES_PER_S)


class ElevenLabsProvider(ClientProvider):
    """ElevenLabs text to speech (Multilingual v2, v3, Flash and Turbo v2.5)."""

    name = "elevenlabs"
    env_keys = ("ELEVENLABS_API_KEY",)
    default_base_url = "https://api.elevenlabs.io"
    models = MODELS
    default_model_name = "eleven_multilingual_v2"
    default_poll_interval = 0.05  # the answer is the result: the one poll finds it done
    typical_duration = 0.0
    default_concurrency = 2  # the free plan's concurrent requests (Starter 3, Creator 5, Pro 10)
    extra_options = ("output_format",)
    lists_recent = True  # GET /v1/history (see the module doc)
    billing = ("ElevenLabs bills text to speech per character of text (API price list: $0.10 per 1,000 for "
               "Multilingual v2 / v3, $0.05 for Flash and Turbo v2.5); a plan's included credits make it less")

    def __init__(self, **options: Any):
        super().__init__(**options)
        self.output_format = str(self.options.get("output_format", DEFAULT_OUTPUT_FORMAT))
        if self.output_format not in OUTPUT_FORMATS:
            raise BadRequest(f"elevenlabs: output_format must be one of {', '.join(OUTPUT_FORMATS)}, not "
                             f"{self.output_format!r}")
        self.staging = Path(tempfile.gettempdir()) / STAGING

    # -- keys and models ------------------------------------------------------------------------
    def _auth_headers(self) -> dict[str, str]:
        return {"xi-api-key": str(self._api_key)}

    def voice_models(self) -> tuple[str, ...]:
        """The models that speak lines (requests of kind ``"voice"``), the default first."""
        return (self.default_model_name, *(n for n in self.models if n != self.default_model_name))

    def default_voice_model(self) -> str:
        return self.model

    def image_models(self) -> tuple[str, ...]:
        return ()

    def capabilities(self, model: str) -> Capabilities:
        spec = self.spec(model)
        return Capabilities(supports_seed=True, durations_s=(), max_duration_s=0.0, max_prompt_chars=spec.max_prompt,
                            max_concurrency=self.concurrency)

    # -- validation and price -------------------------------------------------------------------
    def voice_spec(self, request: GenerationRequest) -> ModelSpec:
        """The model row of a line, refusing a request that is not a voice job."""
        if request.kind != VOICE:
            raise BadRequest(f"elevenlabs speaks dialogue lines only, not {request.kind}s: choose a provider "
                             "that makes them", shot=request.shot_id)
        return self.spec(request.model or self.model, request.shot_id)

    def validate(self, request: GenerationRequest) -> None:
        """Refuse a line ElevenLabs would refuse: no words, too many characters, no voice id, settings out of
        range (each one line naming the shot and the fix)."""
        spec = self.voice_spec(request)
        shot, where = request.shot_id, f"elevenlabs: line {request.take_id}"
        if not request.prompt.strip():
            raise BadRequest(f"{where} has no words to speak", shot=shot)
        if len(request.prompt) > spec.max_prompt:
            raise BadRequest(f"{where} has {len(request.prompt)} characters; {spec.name} speaks at most "
                             f"{spec.max_prompt} in one request: split the line", shot=shot)
        voice_id = str(request.extra.get("voice_id") or "")
        if not voice_id or "/" in voice_id or not voice_id.isprintable():
            raise BadRequest(f"{where}: no ElevenLabs voice id (set the character's voice to "
                             "elevenlabs:VOICE_ID)", shot=shot)
        for name, value in (request.extra.get("voice_settings") or {}).items():
            if name in SETTINGS:
                low, high = SETTINGS[name]
                if not isinstance(value, (int, float)) or not low <= float(value) <= high:
                    raise BadRequest(f"{where}: voice setting {name} must be between {low:g} and {high:g}, not "
                                     f"{value!r}", shot=shot)
            elif name != "use_speaker_boost":
                raise BadRequest(f"{where}: unknown voice setting {name!r} (known: {', '.join(SETTINGS)}, "
                                 "use_speaker_boost)", shot=shot)
        if request.seed is not None and not 0 <= request.seed <= 4294967295:
            raise BadRequest(f"{where}: seed {request.seed} is outside 0–4294967295", shot=shot)

    def cost_estimate(self, request: GenerationRequest) -> CostEstimate:
        """Characters × the model's published price per 1,000 characters (see the module doc)."""
        spec = self.voice_spec(request)
        count = len(request.prompt)
        amount = round(count * spec.price_per_s / 1000, 6)
        credits = spec.fields.get("credits", 1.0)
        why = (f"{count} characters at {usd(spec.price_per_s)} per 1,000 ({spec.name}: {credits:g} credit"
               f"{'' if credits == 1 else 's'} a character, API price) = {usd(amount)}")
        return CostEstimate(amount, why)

    def estimate_cost(self, request: GenerationRequest) -> float:
        return self.cost_estimate(request).amount

    # -- the request ----------------------------------------------------------------------------
    def body(self, request: GenerationRequest, spec: ModelSpec) -> dict[str, Any]:
        """The JSON body of the create."""
        body: dict[str, Any] = {"text": request.prompt, "model_id": spec.name}
        settings = request.extra.get("voice_settings") or {}
        if settings:
            body["voice_settings"] = dict(settings)
        if request.seed is not None:
            body["seed"] = int(request.seed)
        return body

    def _classify(self, response: Any, body: Any, text: str, what: str, shot: str | None) -> GenerationError | None:
        detail = body.get("detail") if isinstance(body, dict) else None
        status = str(detail.get("status") or "") if isinstance(detail, dict) else ""
        if status == "quota_exceeded":
            return self.http.error(OutOfCredit, f"{what}: out of credit: {text}", shot)
        if response.status_code == 429 or status in ("too_many_concurrent_requests", "system_busy"):
            from ._http import parse_retry_after
            wait = parse_retry_after(response.headers.get("Retry-After"))
            return self.http.error(RetryLater, f"{what}: HTTP {response.status_code} busy ({status or 'rate limited'})"
                                   f": {text}", shot, retry_after=wait)
        if status == "voice_not_found" or (response.status_code == 404 and what == "submit"):
            return self.http.error(BadRequest, f"{what}: no such voice: {text} (check the character's "
                                   "elevenlabs: voice id)", shot)
        return None

    def submit(self, request: GenerationRequest) -> JobHandle:
        """Speak the line: the answer is the audio, kept in the staging folder (see the module doc)."""
        self.require_key(request.shot_id)
        self.validate(request)
        spec = self.voice_spec(request)
        shot = request.shot_id
        voice_id = str(request.extra["voice_id"])
        response = self.http.request("POST", f"{self.base_url}/v1/text-to-speech/{voice_id}",
                                     params={"output_format": self.output_format}, json=self.body(request, spec),
                                     headers={"Accept": "audio/*"}, shot=shot, what="submit", create=True,
                                     classify=self._classify)
        kind = str(response.headers.get("Content-Type") or "")
        item = str(response.headers.get("history-item-id") or "")
        if not response.content or not kind.startswith("audio/"):
            raise self.http.error(AmbiguousSubmit, f"submit: answered HTTP {response.status_code} without audio "
                                  f"({kind or 'no Content-Type'}); the line may have been spoken and billed", shot,
                                  answered=True)
        if len(response.content) > audio_byte_limit(request.prompt):
            raise self.http.error(ResultRefused, f"submit: the answer holds {len(response.content)} bytes, more than "
                                  f"the {audio_byte_limit(request.prompt)} this line's audio can be; not kept", shot)
        audio = response.content
        if self.output_format.startswith("pcm_"):  # headerless 16-bit mono PCM: kept as the WAV it is
            audio = pcm_as_wav(audio, int(self.output_format.split("_")[1]))
        job_id = item or f"request-{response.headers.get('request-id') or hashlib.sha256(response.content).hexdigest()[:16]}"
        self.staging.mkdir(parents=True, exist_ok=True)
        staged = self.staging / f"{hashlib.sha256(job_id.encode()).hexdigest()[:24]}.audio"
        atomic_write_bytes(staged, audio)
        data = {"shot": shot, "take": request.take_id, "model": spec.name, "kind": VOICE, "voice_id": voice_id,
                "staged": str(staged), "content_type": kind, "history": bool(item)}
        if request.seed is not None:
            data["seed"] = int(request.seed)
        return JobHandle(job_id, data)

    def poll(self, handle: JobHandle) -> JobStatus:
        """Done: the create's answer was the audio (or the history holds it)."""
        url = [] if not handle.data.get("history", True) else [self._audio_url(handle.job_id)]
        return JobStatus(JobState.SUCCEEDED, 1.0, "done", result_urls=url, raw={"history_item_id": handle.job_id})

    def _audio_url(self, item: str) -> str:
        return f"{self.base_url}/v1/history/{item}/audio"

    def fetch(self, handle: JobHandle, status: JobStatus, destination: Path, *,
              max_bytes: int | None = None) -> Path:
        """The line's audio at ``destination`` (atomically): the staged answer when it is still there, else the
        generation's audio from the history (``GET /v1/history/{id}/audio``, not billed again)."""
        shot = handle.data.get("shot")
        destination = Path(destination)
        staged = Path(str(handle.data.get("staged") or ""))
        if handle.data.get("staged") and staged.is_file():
            atomic_write_bytes(destination, staged.read_bytes())
            staged.unlink(missing_ok=True)
            return destination
        if not handle.data.get("history", True):
            raise self.http.error(ResultExpired, f"job {handle.job_id}: the answer's audio is gone and the answer "
                                  "named no history item to fetch it from", shot)
        self.require_key(shot)
        response = self.http.request("GET", self._audio_url(handle.job_id), shot=shot, what="download", ok=(404,),
                                     headers={"Accept": "audio/*"})
        if response.status_code == 404:
            raise self.http.error(ResultExpired, f"download: history item {handle.job_id} is not in the account's "
                                  "history (deleted?)", shot)
        if not response.content:
            raise self.http.error(RetryLater, "download: the history answered no audio", shot)
        if max_bytes is not None and len(response.content) > max_bytes:
            raise self.http.error(ResultRefused, f"download refused: {len(response.content)} bytes, more than the "
                                  f"{max_bytes} the line can be", shot)
        audio = response.content
        if self.output_format.startswith("pcm_") or str(response.headers.get("Content-Type")).startswith("audio/pcm"):
            audio = pcm_as_wav(audio, int(self.output_format.split("_")[1]) if "_" in self.output_format else 44100)
        atomic_write_bytes(destination, audio)
        return destination

    def find_recent(self, request: GenerationRequest, since: float, until: float,
                    known: set[str]) -> JobHandle | None:
        """The one generation of this line's text, voice and model made between ``since`` and ``until`` and
        not ``known``, from the account's history; None when there is none or more than one."""
        self.require_key(request.shot_id)
        spec = self.voice_spec(request)
        voice_id = str(request.extra.get("voice_id") or "")
        params = {"page_size": 100, "voice_id": voice_id, "model_id": spec.name,
                  "date_after_unix": max(0, int(since))}
        response = self.http.request("GET", f"{self.base_url}/v1/history", params=params, shot=request.shot_id,
                                     what="lookup")
        data = self.http.read_json(response, shot=request.shot_id, what="lookup")
        items = data.get("history") if isinstance(data, dict) else None
        found = [str(item.get("history_item_id")) for item in items or [] if isinstance(item, dict)
                 and item.get("text") == request.prompt and item.get("voice_id") == voice_id
                 and item.get("model_id") in (None, spec.name)
                 and isinstance(item.get("date_unix"), (int, float)) and since - 1 <= item["date_unix"] <= until + 1
                 and str(item.get("history_item_id")) not in known]
        if len(found) != 1:
            return None
        return self.attach_handle(found[0], request)

    def attach_handle(self, job_id: str, request: GenerationRequest) -> JobHandle:
        """A generation in the account's history (found by :meth:`find_recent`, or by the user): its audio is
        fetched from the history."""
        return JobHandle(job_id, {"shot": request.shot_id, "take": request.take_id, "model": request.model,
                                  "kind": VOICE, "voice_id": str(request.extra.get("voice_id") or ""),
                                  "history": True})


def pcm_as_wav(pcm: bytes, rate: int) -> bytes:
    """Headerless 16-bit little-endian mono PCM at ``rate`` as a WAV file's bytes."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm[: len(pcm) // 2 * 2])
    return buffer.getvalue()


def staged_files() -> list[Path]:
    """The answers waiting in the staging folder (for tests and cleaning up)."""
    folder = Path(tempfile.gettempdir()) / STAGING
    return sorted(folder.glob("*.audio")) if folder.is_dir() else []


def create(**options: Any) -> ElevenLabsProvider:
    """An ElevenLabs client; options: base_url, api_key, model, output_format, poll_interval, timeout,
    max_concurrency."""
    return ElevenLabsProvider(**options)
