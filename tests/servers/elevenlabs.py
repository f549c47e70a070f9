"""ElevenLabs' text-to-speech API as a fake, under ``/elevenlabs`` (the client's base URL; paths as documented).

``POST /v1/text-to-speech/{voice_id}?output_format=mp3_44100_128`` with ``xi-api-key`` and the JSON body
``{text, model_id, voice_settings, seed}`` answers **the audio itself** — a real MP3 (``mp3_*``, ffmpeg's
LAME), WAV (``wav_*``) or raw 16-bit PCM (``pcm_*``) of a tone as long as the words would take to say (15
characters a second, at least half a second), pitched from the voice id and the job, so no two generations
are the same bytes — with the headers ``history-item-id`` and ``request-id``. Every accepted create is paid
(``submissions``) and becomes a history item: ``GET /v1/history`` (``page_size``, ``voice_id``, ``model_id``,
``date_after_unix``, ``date_before_unix``, ``start_after_history_item_id``; newest first),
``GET /v1/history/{id}`` and ``GET /v1/history/{id}/audio`` (the same audio again, not paid).

Errors as ElevenLabs answers them, ``{"detail": {"status", "message"}}``: 401 ``invalid_api_key``, 401
``quota_exceeded`` (scenarios ``quota``/``no_credit``), 429 ``too_many_concurrent_requests`` with
``Retry-After`` (``rate_limited``), 500/503 (``server_error``), 400 ``voice_not_found`` for a voice the account
does not have (server option ``voices``; default: any), 400 content refusal (``moderation_submit``), 422 a
malformed body (``invalid``). The shared create scenarios ``drop``, ``hang`` and ``error_after_create`` make
the line (paid, in the history) and lose the answer. Scenario tokens ride in the text (``[scenario:drop]``)
or the ``X-Fake-Scenario`` header. Each job records ``voice_id``, ``output_format``, ``seconds`` and the body.
"""

from __future__ import annotations

import hashlib
import io
import re
import subprocess
import time
import uuid
import wave

import imageio_ffmpeg

from .core import FakeServer, Job, Reply, Request

NAME = "elevenlabs"
PREFIX = "/elevenlabs"
BASE_PATH = PREFIX
EXPIRED_STATUS = 404
KEY = "sk_5e1b0c7a9d3f42e68b0a1c2d3e4f5a6b7c8d9e0f1a2b3c4d"
DEFAULTS = {"api_key": KEY, "voices": None}
MODELS = {"eleven_multilingual_v2": 10_000, "eleven_v3": 3_000, "eleven_flash_v2_5": 40_000,
          "eleven_turbo_v2_5": 40_000}
FORMATS = re.compile(r"^(mp3_(22050|44100)_(32|64|96|128|192)|pcm_(16000|22050|24000|44100)|wav_44100)$")
CHARACTERS_A_SECOND = 15
_VOICE_PATH = re.compile(r"^/v1/text-to-speech/([^/]+)$")
_HISTORY_PATH = re.compile(r"^/v1/history/([^/]+)(/audio)?$")


def _error(status: int, kind: str, message: str, headers: dict | None = None) -> Reply:
    return Reply(status, {"detail": {"status": kind, "message": message}}, headers or {})


def handle(server: FakeServer, request: Request) -> Reply:
    """Answer one request under ``/elevenlabs``."""
    if request.headers.get("xi-api-key") != server.api_key:
        return _error(401, "invalid_api_key", "Invalid API key")
    path = request.path
    found = _VOICE_PATH.match(path)
    if found and request.method == "POST":
        return _speak(server, request, found.group(1))
    if path == "/v1/history" and request.method == "GET":
        return _history(server, request)
    found = _HISTORY_PATH.match(path)
    if found and request.method == "GET":
        item = server.state.setdefault("history", {}).get(found.group(1))
        if item is None:
            return _error(404, "history_item_not_found", f"History item {found.group(1)} not found")
        if found.group(2):
            job = server.jobs[item["history_item_id"]]
            return Reply(200, raw=job.extra["audio"], content_type=item["content_type"])
        return Reply(200, item)
    return Reply(404, {"detail": "Not Found"})


def _speak(server: FakeServer, request: Request, voice_id: str) -> Reply:
    body = request.json()
    if not isinstance(body, dict):
        return Reply(400, {"detail": {"status": "invalid_json", "message": "The body is not JSON"}})
    text = body.get("text")
    scenario = server.scenario(request, str(text or ""))
    key = hashlib.sha256(request.path.encode() + b"\n" + (request.body or b"")).hexdigest()
    played = server.gate(scenario, key)
    if played == "rate_limited":
        return _error(429, "too_many_concurrent_requests", "Too many concurrent requests for your plan",
                      {"Retry-After": server.retry_after})
    if played in ("quota", "no_credit"):
        return _error(401, "quota_exceeded", "This request exceeds your quota of 10000. You have 12 credits "
                      "remaining, while 48 credits are required for this request.")
    if played == "server_error":
        return Reply((500, 503)[(server.attempts[key] - 1) % 2], {"detail": "Internal Server Error"})
    if played == "moderation_submit":
        return _error(400, "content_against_policy", "The text was flagged as violating our terms of use")
    problems = []
    if not isinstance(text, str) or not text.strip():
        problems.append({"loc": ["body", "text"], "msg": "field required", "type": "value_error.missing"})
    model = body.get("model_id", "eleven_multilingual_v2")
    if model not in MODELS:
        return _error(400, "model_not_found", f"A model with model ID {model} does not exist")
    if isinstance(text, str) and len(text) > MODELS[model]:
        return _error(400, "max_character_limit_exceeded", f"text is {len(text)} characters; {model} takes "
                      f"at most {MODELS[model]}")
    output = request.query.get("output_format", "mp3_44100_128")
    if not FORMATS.match(output):
        problems.append({"loc": ["query", "output_format"], "msg": "invalid output format", "type": "value_error"})
    settings = body.get("voice_settings") or {}
    for name, (low, high) in {"stability": (0, 1), "similarity_boost": (0, 1), "style": (0, 1),
                              "speed": (0.7, 1.2)}.items():
        value = settings.get(name)
        if value is not None and not (isinstance(value, (int, float)) and low <= value <= high):
            problems.append({"loc": ["body", "voice_settings", name], "msg": f"must be in [{low}, {high}]",
                             "type": "value_error"})
    if played == "invalid" and not problems:
        problems.append({"loc": ["body", "text"], "msg": "invalid", "type": "value_error"})
    if problems:
        return Reply(422, {"detail": problems})
    voices = server.voices
    if voices is not None and voice_id not in voices:
        return _error(400, "voice_not_found", f"A voice with voice_id {voice_id} was not found")
    job = server.new_job(request, key=key, take=None, scenario=scenario, body=body, prompt=text,
                         job_id=uuid.uuid4().hex[:20], voice_id=voice_id, output_format=output)
    seconds = max(0.5, len(text) / CHARACTERS_A_SECOND)
    audio, kind = synthesize(seconds, output, f"{voice_id}/{job.id}")
    job.extra.update(audio=audio, seconds=seconds, content_type=kind)
    item = {"history_item_id": job.id, "request_id": uuid.uuid4().hex, "voice_id": voice_id,
            "voice_name": f"Voice {voice_id[:6]}", "model_id": model, "text": text, "date_unix": int(time.time()),
            "character_count_change_from": 10_000, "character_count_change_to": 10_000 - len(text),
            "content_type": kind, "state": "created", "settings": settings, "source": "TTS"}
    with server.lock:
        server.state.setdefault("history", {})[job.id] = item
        server.state.setdefault("order", []).append(job.id)
    return Reply(200, raw=audio, content_type=kind, job=job,
                 headers={"history-item-id": job.id, "request-id": item["request_id"],
                          "x-character-count": str(len(text))})


def _history(server: FakeServer, request: Request) -> Reply:
    q = request.query
    with server.lock:
        items = [server.state["history"][i] for i in reversed(server.state.get("order", []))]
    if q.get("voice_id"):
        items = [i for i in items if i["voice_id"] == q["voice_id"]]
    if q.get("model_id"):
        items = [i for i in items if i["model_id"] == q["model_id"]]
    if q.get("date_after_unix"):
        items = [i for i in items if i["date_unix"] >= int(q["date_after_unix"])]
    if q.get("date_before_unix"):
        items = [i for i in items if i["date_unix"] < int(q["date_before_unix"])]
    if q.get("start_after_history_item_id"):
        ids = [i["history_item_id"] for i in items]
        after = q["start_after_history_item_id"]
        items = items[ids.index(after) + 1:] if after in ids else []
    size = min(1000, int(q.get("page_size", 100)))
    page = items[:size]
    return Reply(200, {"history": page, "has_more": len(items) > size,
                       "last_history_item_id": page[-1]["history_item_id"] if page else None})


def synthesize(seconds: float, output: str, label: str) -> tuple[bytes, str]:
    """``seconds`` of a tone (pitched from ``label``) in ``output`` format, and its content type."""
    pitch = 150 + int(hashlib.sha256(label.encode()).hexdigest()[:4], 16) % 200
    rate = int(output.split("_")[1])
    if output.startswith("mp3_"):
        bitrate = output.split("_")[2]
        run = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i",
                              f"sine=frequency={pitch}:sample_rate={rate}:duration={seconds:.3f}", "-ac", "1",
                              "-c:a", "libmp3lame", "-b:a", f"{bitrate}k", "-f", "mp3", "-"],
                             check=True, capture_output=True)
        return run.stdout, "audio/mpeg"
    import math
    count = int(seconds * rate)
    pcm = b"".join(int(8000 * math.sin(2 * math.pi * pitch * n / rate)).to_bytes(2, "little", signed=True)
                   for n in range(count))
    if output.startswith("pcm_"):
        return pcm, "audio/pcm"
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm)
    return buffer.getvalue(), "audio/wav"


def job_audio(job: Job) -> bytes:
    """The audio a job answered (for assertions)."""
    return job.extra["audio"]
