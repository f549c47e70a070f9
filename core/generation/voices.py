"""Hosted voices through the generation engine: a dialogue line spoken by a TTS service is a job like a take.

:func:`generate_voices` runs :class:`VoiceJob` s (a request of kind ``"voice"``: the line's words as its
``prompt``, the service's voice in ``extra["voice_id"]``, and where its clip lands) through the same ledger,
driver, progress, cost estimate, dry run and typed failures as stills
(:func:`shotreel.generation.images.generate_files`): each job is recorded with its client id and destination
before it is sent, a create whose answer was lost is looked up among the account's recent generations and
never sent again automatically, and a line is paid once. ``shotreel jobs`` lists them as ``SHOT/LINE``
(``sh040/line01``) and releases them with ``--attach/--forget/--resubmit/--release`` like takes.

A clip lands as ``<destination>.<mp3|wav|ogg|flac>`` (the suffix from its real format, read by its first
bytes, and the whole file decoded with ffmpeg by :func:`shotreel.finishing.audio.read_sound`: a clip cut short
or damaged is refused) with ``<destination>.json`` beside it: ``"kind": "voice"``, provider, model, the words,
the voice id and settings, the seed (when one was sent), the job id, the cost, the format, its length in
seconds and sample rate, and the caller's ``provenance``. As for a still, the sidecar is written first and names
the clip's SHA-256, so a clip on disk whose bytes match its sidecar is done after any crash; a file at the
destination without a shotreel sidecar is never overwritten.

:mod:`shotreel.finishing.voices` makes these jobs for the characters whose voice is hosted
(``voice: elevenlabs:VOICE_ID``) and uses the landed clips in the mix.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from pathlib import Path

from ..model import Film
from ..progress import ProgressCallback
from . import images as _images
from . import scheduler as S
from .base import VOICE, BadRequest, GenerationError, Provider
from .ledger import JobRecord

CLIP_SUFFIXES = (".mp3", ".wav", ".ogg", ".flac")
"""The suffixes a voice clip may have at its destination."""
STAGED_SUFFIX = ".voice"  # a downloaded clip in .shotreel/staging, before its format is known
SECONDS_A_CHARACTER = 0.12  # generous: speech runs about 15 characters a second
AUDIO_BYTES_PER_S = 200_000  # more than any TTS output format makes (WAV at 44.1 kHz mono: 88,200)
AUDIO_HEADROOM = 8 * 1024 * 1024


class VoiceJob(_images.FileJob):
    """One line to speak: ``request`` (kind ``"voice"``; ``shot_id`` the shot, ``take_id`` the line's name —
    ``"line01"`` —, ``prompt`` the words, ``extra["voice_id"]`` the service's voice and optionally
    ``extra["voice_settings"]``), ``destination`` (project-relative, without suffix: ``"voices/sh040-01"``) and
    ``provenance`` (extra fields for the sidecar: the character, the line's number …)."""


def voice_byte_limit(request: dict) -> int:
    """The most bytes a line's clip may download: 2 s plus 0.12 s a character of its words at 200 kB/s
    (more than any output format), plus 8 MiB."""
    words = str(request.get("prompt") or "")
    return int(AUDIO_HEADROOM + (2.0 + SECONDS_A_CHARACTER * len(words)) * AUDIO_BYTES_PER_S)


def audio_format(path: Path) -> str | None:
    """The container of an audio file by its first bytes: ``mp3``, ``wav``, ``ogg``, ``flac``, else None."""
    with open(path, "rb") as handle:
        head = handle.read(12)
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "wav"
    if head[:3] == b"ID3" or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "mp3"
    if head[:4] == b"OggS":
        return "ogg"
    if head[:4] == b"fLaC":
        return "flac"
    return None


def probe_voice(path: Path) -> dict:
    """The real format, length and rate of a voice clip (``{"format": "mp3", "suffix": ".mp3", "seconds",
    "samples" (at 48 kHz), "sample_rate"}``), decoded whole with ffmpeg; :class:`GenerationError` when it is not
    an MP3, WAV, Ogg or FLAC file, or cannot be read to its end."""
    from ..finishing.audio import SAMPLE_RATE, SoundError, read_sound

    try:
        found = audio_format(path)
    except OSError as exc:
        raise GenerationError(f"the downloaded voice clip cannot be read ({exc.strerror or exc})") from None
    if found is None:
        raise GenerationError("the downloaded voice clip is not an MP3, WAV, Ogg or FLAC file")
    try:
        samples, rate = read_sound(path, channels=1)
    except SoundError as exc:
        raise GenerationError(f"the downloaded voice clip {exc.message}") from None
    return {"format": found, "suffix": f".{found}", "samples": len(samples),
            "seconds": round(len(samples) / SAMPLE_RATE, 3), "sample_rate": rate}


def voice_sidecar(root: Path, record: JobRecord, target: Path, probe: dict, cost: float | None, sha256: str,
                  seed: int | None) -> dict:
    """A voice clip's provenance: the words, the voice, who spoke them and what came back."""
    req = record.request
    extra = req.get("extra") or {}
    now = time.time()
    landing = record.landing or {}
    data = dict(landing.get("provenance") or {})
    data.update({
        "kind": VOICE, "shot": record.shot, "take": record.take, "status": "done", "created": now,
        "destination": landing.get("destination"), "provider": record.provider, "model": record.model,
        "text": req.get("prompt", ""), "voice_id": extra.get("voice_id"),
        "voice_settings": extra.get("voice_settings") or {}, "seed": seed,
        "job_id": record.job_id, "request_hash": record.request_hash, "cost": cost,
        "estimated_cost": record.estimated_cost, "submitted": record.submitted, "finished": now,
        "file": target.name, "sha256": sha256, "format": probe["format"], "seconds": probe["seconds"],
        "sample_rate": probe["sample_rate"], "notes": [],
    })
    return data


def voice_models(provider: Provider) -> tuple[str, ...]:
    """The models ``provider`` speaks lines with (its ``voice_models()``); empty when it speaks none."""
    models = getattr(provider, "voice_models", None)
    return tuple(models()) if callable(models) else ()


def default_voice_model(provider: Provider) -> str:
    """The model a line is spoken with when none is named; :class:`BadRequest` when the provider speaks none."""
    if not voice_models(provider):
        raise BadRequest(f"{provider.name} does not speak dialogue lines: choose a provider that does "
                         "(elevenlabs)")
    chosen = getattr(provider, "default_voice_model", None)
    return str(chosen()) if callable(chosen) else voice_models(provider)[0]


CLIP = _images.Landing(VOICE, "voice clip", CLIP_SUFFIXES, STAGED_SUFFIX, probe_voice, voice_byte_limit,
                       voice_sidecar, voice_models, default_voice_model)
"""How a voice line's clip lands (:class:`shotreel.generation.images.Landing`)."""


def landed_clip(root: Path, destination: str) -> tuple[Path, dict] | None:
    """The clip shotreel landed at ``destination`` and its sidecar, when the file's bytes are the ones the
    sidecar names; else None."""
    return _images.landed_still(root, destination, VOICE)


def generate_voices(film: Film, jobs: Iterable[VoiceJob], provider: str | Provider, *, model: str | None = None,
                    concurrency: int | None = None, dry_run: bool = False, progress: ProgressCallback | None = None,
                    stop: threading.Event | None = None, options: dict | None = None) -> S.GenerationSummary:
    """Speak the lines of ``jobs`` with ``provider`` (a name created with ``options``, or a
    :class:`~shotreel.generation.base.Provider`) and ``model`` (default: its first voice model); see the module
    doc. Returns a :class:`~shotreel.generation.scheduler.GenerationSummary` whose ``done`` holds each clip
    landed (or already there), ``skipped`` the jobs not sent and why.

    ``concurrency``, ``progress``, ``stop`` and ``dry_run`` mean what they mean for
    :func:`~shotreel.generation.scheduler.generate`: a dry run prices every line (per character, with the reason)
    and names the missing key; it sends and records nothing. A real run without the provider's key stops with
    one line naming the environment variable, before the ledger is opened. A provider that speaks no lines, a
    destination outside the project or with a suffix, two lines landing at one place: one line, before
    anything is recorded.
    """
    return _images.generate_files(film, jobs, provider, VOICE, VoiceJob, model=model, concurrency=concurrency,
                                  dry_run=dry_run, progress=progress, stop=stop, options=options)
