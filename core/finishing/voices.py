"""Scratch voices: every dialogue line spoken by eSpeak NG, offline, placed at its record frame.

A character's voice is set on its asset (``voice:`` an eSpeak NG voice such as ``en-us`` or
``en-gb+f3``, ``pitch:`` 0–100, ``rate:`` words a minute); a character without one gets a distinct
default (:data:`DEFAULT_VOICES`, in the order the film's character assets are listed, then speakers
as they first speak). The parenthetical changes the delivery where it can: ``(whispering)`` is softer
and breathy, ``(shouting)`` louder and higher, ``(quietly)`` softer, ``(quickly)``/``(slowly)`` the rate.

Placement (:func:`place_lines`): a line starts at its shot's start, or at its ``at:`` (frames into the
shot) when given; further lines follow one after the other. A line that runs past its shot's end, or
that starts before the previous one ends, is a warning naming the shot and the frames.

:func:`scratch_voices` writes ``edit/voices/<shot>-<n>.wav`` (48 kHz mono 16-bit) and a manifest,
``edit/voices/voices.json``, recording each clip's hash (its words, voice and engine), record frame
and length; a clip is spoken again only when its hash changed, and the manifest is rewritten when its
timing changed.

**Hosted voices.** A character whose ``voice:`` names a TTS service and one of its voices,
``voice: elevenlabs:VOICE_ID``, is spoken by that service instead — never by default, and never by this
module: :func:`make_hosted_voices` (``shotreel voices DIR``) sends each such line as a job of kind ``"voice"``
through the generation engine (:func:`shotreel.generation.voices.generate_voices`: the ledger, priced by a
dry run, paid once), and its clip lands in ``voices/<shot>-<n>.<mp3|wav>`` with a sidecar (paid media live
with the project, not in the derived ``edit/``). :func:`scratch_voices` then uses the landed clip (decoded
to 48 kHz) for that line; a line whose clip is not made yet, or was made from other words or another voice,
is spoken by eSpeak NG meanwhile, with a warning saying so. A clip records who spoke it (``maker``) and
whether a trained model did (``trained``: the disclosure says *AI-generated voices* for those lines, and the
content credential marks them ``trainedAlgorithmicMedia``). The clip's hash includes the hosted clip's
SHA-256, so a line is rebuilt when its words, its voice or its hosted clip change, and only moved when its
timing does.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np

from ..conform import Conform, conform
from ..fsutil import atomic_write_text
from ..model import DialogueLine, Film, Shot
from ..progress import ProgressCallback, no_progress
from . import espeak
from .audio import SAMPLE_RATE, SoundError, frame_sample, read_sound, resample, samples_frames, write_wav

VOICES_DIR = "edit/voices"
HOSTED_DIR = "voices"
"""Where hosted voice clips land (``voices/<shot>-<n>.<mp3|wav>``, each with its sidecar)."""
MANIFEST = "voices.json"
SCRATCH_MAKER = "eSpeak NG"
_HOSTED = re.compile(r"^([a-z][a-z0-9_]*):([A-Za-z0-9_-]+)$")
WORDS_A_SECOND = Fraction(5, 2)
"""The speaking rate used to estimate a line's length before its voice is made."""


@dataclass(frozen=True)
class Voice:
    """How a line is spoken: eSpeak NG voice name, pitch (0–100), rate (words a minute), volume (0–200)."""

    name: str
    pitch: int
    rate: int
    volume: int = 100


DEFAULT_VOICES: tuple[Voice, ...] = (
    Voice("en-us+f3", 62, 160), Voice("en-gb-x-rp+m3", 38, 150), Voice("en-us+m7", 30, 165),
    Voice("en+f4", 72, 170), Voice("en-gb-scotland+m1", 45, 155), Voice("en-029+f2", 55, 175),
)
"""Distinct voices handed to characters without one of their own, in order."""

NARRATOR = Voice("en-us+m3", 45, 160)
"""The voice of a line without a character."""

_DELIVERY: tuple[tuple[tuple[str, ...], dict], ...] = (
    (("whisper",), {"volume": 45, "variant": "whisper", "rate": -10}),
    (("shout", "yell", "scream"), {"volume": 190, "pitch": 15, "rate": 10}),
    (("angr", "furious"), {"volume": 160, "pitch": 5}),
    (("quiet", "soft", "murmur", "under her breath", "under his breath"), {"volume": 60}),
    (("fast", "quick", "hurried"), {"rate": 35}),
    (("slow", "halting", "hesitant"), {"rate": -35}),
)
"""Parenthetical words and what they change: volume, pitch and rate (relative), an eSpeak variant."""


@dataclass
class VoiceClip:
    """One line's scratch voice: the file, where it starts (``record_in``, frames from the film's start,
    and ``start_sample`` at 48 kHz), how long it runs (``samples``, and ``frames`` rounded up) and how
    it was spoken. ``built`` is true when this run spoke it (false: the clip on disk was still right)."""

    shot: str
    index: int
    character: str
    text: str
    path: Path
    record_in: int
    start_sample: int
    samples: int
    frames: int
    voice: Voice
    hash: str
    built: bool = False
    maker: str = SCRATCH_MAKER
    trained: bool = False

    @property
    def name(self) -> str:
        return f"{self.shot} line {self.index}"


@dataclass
class VoicesResult:
    """What :func:`scratch_voices` made: every clip in film order, how many were spoken and kept, the
    placement warnings (one line each, ``shot ID: …``) and the manifest's path."""

    clips: list[VoiceClip] = field(default_factory=list)
    built: int = 0
    kept: int = 0
    warnings: list[str] = field(default_factory=list)
    manifest: Path | None = None


@dataclass(frozen=True)
class PlacedLine:
    """A line placed in the cut: ``start`` and ``frames`` (film frames, from the film's start)."""

    shot: str
    index: int
    line: DialogueLine
    start: int
    frames: int


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def voices_for(film: Film) -> dict[str, Voice]:
    """Each speaking character's voice, keyed by the character's normalised name (``mara``)."""
    voices: dict[str, Voice] = {}
    defaults = iter(DEFAULT_VOICES * (1 + len(film.assets)))
    characters = {_key(a.id): a for a in film.assets if a.kind == "character"}
    speakers = list(characters) + [_key(d.character) for s in film.shots() for d in s.dialogue if d.character]
    used = 0
    for speaker in dict.fromkeys(speakers):
        asset = characters.get(speaker)
        if asset is not None and asset.voice:
            base = DEFAULT_VOICES[used % len(DEFAULT_VOICES)]
            voices[speaker] = Voice(asset.voice, asset.pitch if asset.pitch is not None else base.pitch,
                                    asset.rate if asset.rate is not None else base.rate)
            continue
        base = next(defaults) if used < 10_000 else DEFAULT_VOICES[0]
        used += 1
        if asset is not None and (asset.pitch is not None or asset.rate is not None):
            base = Voice(base.name, asset.pitch if asset.pitch is not None else base.pitch,
                         asset.rate if asset.rate is not None else base.rate)
        voices[speaker] = base
    return voices


def hosted_voice(voice: Voice | str) -> tuple[str, str] | None:
    """``(service, voice id)`` for a hosted voice (``elevenlabs:JBFqnCBsd6RMkjVDRZzb``), else None (an eSpeak
    NG voice name never holds a colon)."""
    found = _HOSTED.match(voice.name if isinstance(voice, Voice) else str(voice))
    return (found.group(1), found.group(2)) if found else None


def delivery(voice: Voice, parenthetical: str) -> Voice:
    """``voice`` as the parenthetical asks (``(whispering)`` softer and breathy, ``(shouting)`` louder); a
    hosted voice is the service's own delivery, unchanged."""
    if hosted_voice(voice):
        return voice
    text = parenthetical.lower()
    name, pitch, rate, volume = voice.name, voice.pitch, voice.rate, voice.volume
    for words, change in _DELIVERY:
        if any(w in text for w in words):
            volume = change.get("volume", volume)
            pitch = min(100, max(0, pitch + change.get("pitch", 0)))
            rate = min(450, max(80, rate + change.get("rate", 0)))
            if "variant" in change:
                female = name.partition("+")[2].startswith("f")
                name = f"{name.partition('+')[0]}+{change['variant']}{'f' * female}"
    return Voice(name, pitch, rate, volume)


def line_voice(film: Film, line: DialogueLine, voices: Mapping[str, Voice] | None = None) -> Voice:
    """The voice that speaks ``line`` (its character's, with its parenthetical's delivery)."""
    voices = voices_for(film) if voices is None else voices
    base = voices.get(_key(line.character), NARRATOR) if line.character else NARRATOR
    return delivery(base, line.parenthetical)


def line_hash(line: DialogueLine, voice: Voice, source: str = "") -> str:
    """The hash of what a clip is made from: the words, the voice and the engine (``source``: the SHA-256 of
    the hosted clip it is made from)."""
    fields = {"text": line.text, "voice": asdict(voice), "engine": espeak.ENGINE, "rate": SAMPLE_RATE}
    if source:
        fields["source"] = source
    data = json.dumps(fields, sort_keys=True)
    return hashlib.sha256(data.encode()).hexdigest()[:16]


def estimate_frames(line: DialogueLine, fps: Fraction) -> int:
    """A line's length before its voice is made: its words at :data:`WORDS_A_SECOND`, at least a second."""
    words = max(1, len(line.text.split()))
    return max(int(fps), -(-int(words * fps.numerator) // int(WORDS_A_SECOND * fps.denominator)))


def place_lines(shot: Shot, record_in: int, length: int, frames: list[int]) -> tuple[list[PlacedLine], list[str]]:
    """Where each line of ``shot`` plays, given the shot's ``record_in`` and cut ``length`` and each line's
    length in ``frames``; and the warnings (``line 2 (MARA) runs 12 frames past the shot's end``, ``line 2
    overlaps line 1 by 6 frames``)."""
    placed: list[PlacedLine] = []
    warnings: list[str] = []
    cursor = 0
    previous_end = 0
    for index, (line, count) in enumerate(zip(shot.dialogue, frames), start=1):
        who = f" ({line.character})" if line.character else ""
        start = line.at if line.at is not None else cursor
        if line.at is not None and index > 1 and start < previous_end:
            warnings.append(f"line {index}{who} overlaps line {index - 1} by {previous_end - start} frames")
        end = start + count
        if end > length:
            warnings.append(f"line {index}{who} runs {end - length} frames past the shot's end "
                            f"({count} frames from frame {start} of {length})")
        placed.append(PlacedLine(shot.id, index, line, record_in + start, count))
        cursor = previous_end = max(previous_end, end)
    return placed, warnings


def _manifest_path(film: Film) -> Path:
    return film.path(VOICES_DIR) / MANIFEST


def read_manifest(film: Film) -> dict[str, dict]:
    """The voices manifest (clip file name → hash, record frame, samples …); empty when there is none."""
    try:
        data = json.loads(_manifest_path(film).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    clips = data.get("clips") if isinstance(data, dict) else None
    return clips if isinstance(clips, dict) else {}


def line_frames(film: Film, cut: Conform | None = None) -> dict[tuple[str, int], int]:
    """Each line's length in frames, keyed (shot id, line number): the clip's own length where the
    manifest holds a clip made from the same words and voice, else an estimate."""
    manifest = read_manifest(film)
    voices = voices_for(film)
    lengths = {}
    for shot in film.shots():
        for index, line in enumerate(shot.dialogue, start=1):
            entry = manifest.get(_clip_name(shot.id, index))
            voice, source, _ = _spoken_by(film, shot.id, index, line, line_voice(film, line, voices))
            if entry and entry.get("hash") == line_hash(line, voice, source):
                lengths[(shot.id, index)] = samples_frames(int(entry.get("samples", 0)), film.fps)
            else:
                lengths[(shot.id, index)] = estimate_frames(line, film.fps)
    return lengths


def placement_warnings(film: Film, cut: Conform | None = None) -> list[tuple[str, str]]:
    """Every placement warning as (shot id, message), from :func:`line_frames` (no voice is made)."""
    cut = cut or conform(film)
    lengths = line_frames(film)
    found = []
    for shot_cut in cut.shots:
        shot = shot_cut.shot
        if not shot.dialogue:
            continue
        frames = [lengths[(shot.id, i)] for i in range(1, len(shot.dialogue) + 1)]
        found += [(shot.id, w) for w in place_lines(shot, shot_cut.record_in, shot_cut.length, frames)[1]]
    return found


def _clip_name(shot_id: str, index: int) -> str:
    return f"{shot_id}-{index:02d}.wav"


def hosted_destination(shot_id: str, index: int) -> str:
    """Where line ``index`` of shot ``shot_id`` lands when a hosted voice speaks it (without suffix)."""
    return f"{HOSTED_DIR}/{shot_id}-{index:02d}"


def _hosted_clip(film: Film, shot_id: str, index: int, line: DialogueLine, voice: Voice) -> tuple[Path, dict] | None:
    """The hosted clip landed for this line, when it was made from its words and voice; else None."""
    hosted = hosted_voice(voice)
    if hosted is None or film.root is None:
        return None
    from ..generation.voices import landed_clip

    found = landed_clip(Path(film.root), hosted_destination(shot_id, index))
    if found is None:
        return None
    sidecar = found[1]
    if sidecar.get("text") != line.text or sidecar.get("provider") != hosted[0] or sidecar.get("voice_id") != hosted[1]:
        return None
    return found


def _spoken_by(film: Film, shot_id: str, index: int, line: DialogueLine,
               voice: Voice) -> tuple[Voice, str, tuple[Path, dict] | None]:
    """Who speaks a line now: ``(voice, source, hosted clip)``: a hosted voice with its landed clip (``source``
    its SHA-256), or, for a hosted voice whose clip is not made yet, eSpeak NG's stand-in at the character's
    pitch and rate; an eSpeak NG voice as it is."""
    if hosted_voice(voice) is None:
        return voice, "", None
    found = _hosted_clip(film, shot_id, index, line, voice)
    if found is not None:
        return voice, str(found[1].get("sha256") or ""), found
    return delivery(Voice(NARRATOR.name, voice.pitch, voice.rate, voice.volume), line.parenthetical), "", None


def voice_jobs(film: Film) -> dict[str, list]:
    """The lines hosted voices speak, as :class:`~shotreel.generation.voices.VoiceJob` s grouped by service
    (``{"elevenlabs": [...]}``): each line's words, the voice id, and where its clip lands
    (:func:`hosted_destination`); its sidecar's provenance names the line and the character."""
    from ..generation.base import VOICE, GenerationRequest
    from ..generation.voices import VoiceJob

    voices = voices_for(film)
    jobs: dict[str, list] = {}
    for shot in film.shots():
        for index, line in enumerate(shot.dialogue, start=1):
            hosted = hosted_voice(line_voice(film, line, voices))
            if hosted is None:
                continue
            service, voice_id = hosted
            request = GenerationRequest(take_id=f"line{index:02d}", shot_id=shot.id, provider=service, model="",
                                        prompt=line.text, duration_frames=0, fps=film.fps, width=0, height=0,
                                        extra={"voice_id": voice_id}, kind=VOICE)
            provenance = {"line": index, "character": line.character, "parenthetical": line.parenthetical}
            jobs.setdefault(service, []).append(VoiceJob(request, hosted_destination(shot.id, index), provenance))
    return jobs


def make_hosted_voices(film: Film, *, dry_run: bool = False, model: str | None = None,
                       concurrency: int | None = None, progress: ProgressCallback | None = None,
                       stop: threading.Event | None = None, options: dict | None = None) -> list:
    """Speak every line of a character with a hosted voice through the generation engine, one run per service
    (:func:`shotreel.generation.voices.generate_voices`), and return each run's
    :class:`~shotreel.generation.scheduler.GenerationSummary`; none when no character has one. A line whose
    clip is already there, made from the same request, is not paid again. ``dry_run`` prices them (per
    character, with the reason) and sends nothing. :func:`scratch_voices` then uses the landed clips."""
    from ..generation.voices import generate_voices

    return [generate_voices(film, jobs, service, model=model, concurrency=concurrency, dry_run=dry_run,
                            progress=progress, stop=stop, options=options)
            for service, jobs in voice_jobs(film).items()]


def _speak(line: DialogueLine, voice: Voice) -> np.ndarray:
    pcm, rate = espeak.speak(line.text, voice.name, voice.pitch, voice.rate, voice.volume)
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0
    return resample(samples, rate)


def scratch_voices(film: Film, progress: ProgressCallback | None = None) -> VoicesResult:
    """A scratch voice clip for every dialogue line of ``film`` under ``edit/voices/`` (see the module
    doc), each placed at its record frame in the cut (:func:`shotreel.conform.conform`).

    Clips whose words and voice are unchanged are kept; clips of lines that are gone are left on disk
    but dropped from the manifest. Raises :class:`shotreel.finishing.espeak.VoiceError` when eSpeak NG
    cannot speak (a voice it does not have names the character)."""
    progress = progress or no_progress
    folder = film.path(VOICES_DIR)
    manifest = read_manifest(film)
    voices = voices_for(film)
    cut = conform(film)
    total = sum(len(c.shot.dialogue) for c in cut.shots)
    result = VoicesResult(manifest=_manifest_path(film))
    entries: dict[str, dict] = {}
    done = 0
    for shot_cut in cut.shots:
        shot = shot_cut.shot
        if not shot.dialogue:
            continue
        spoken = []
        for index, line in enumerate(shot.dialogue, start=1):
            asked = line_voice(film, line, voices)
            voice, source, hosted = _spoken_by(film, shot.id, index, line, asked)
            maker, trained = SCRATCH_MAKER, False
            if hosted is not None:
                maker, trained = f"{hosted[1].get('model') or 'unnamed model'} ({hosted[1].get('provider')})", True
            elif hosted_voice(asked) is not None:
                who = f" ({line.character})" if line.character else ""
                result.warnings.append(f"shot {shot.id}: line {index}{who}: its voice {asked.name} is not made yet "
                                       "(`shotreel voices DIR` makes it); eSpeak NG speaks it meanwhile")
            digest = line_hash(line, voice, source)
            name = _clip_name(shot.id, index)
            path = folder / name
            entry = manifest.get(name) or {}
            if entry.get("hash") == digest and path.is_file():
                samples, built = int(entry["samples"]), False
            elif hosted is not None:
                progress(done, total, f"placing {shot.id} line {index} ({maker})")
                try:
                    audio = read_sound(hosted[0], channels=1)[0][:, 0]
                except SoundError as exc:
                    raise SoundError(f"line {index}: hosted voice clip {exc.message}", file=str(hosted[0]),
                                     shot=shot.id) from None
                write_wav(path, audio)
                samples, built = len(audio), True
            else:
                progress(done, total, f"speaking {shot.id} line {index}")
                try:
                    audio = _speak(line, voice)
                except espeak.VoiceError as exc:
                    who = f"{line.character}: " if line.character else ""
                    raise espeak.VoiceError(f"{who}{exc.message}", file=film.source, line=shot.line,
                                            shot=shot.id) from None
                write_wav(path, audio)
                samples, built = len(audio), True
            spoken.append((index, line, voice, digest, path, samples, built, maker, trained))
            done += 1
        frames = [samples_frames(s[5], film.fps) for s in spoken]
        placed, warnings = place_lines(shot, shot_cut.record_in, shot_cut.length, frames)
        result.warnings += [f"shot {shot.id}: {w}" for w in warnings]
        for (index, line, voice, digest, path, samples, built, maker, trained), where in zip(spoken, placed):
            clip = VoiceClip(shot.id, index, line.character, line.text, path, where.start,
                             frame_sample(where.start, film.fps), samples, where.frames, voice, digest, built,
                             maker, trained)
            result.clips.append(clip)
            result.built += built
            result.kept += not built
            entries[path.name] = {"hash": digest, "shot": shot.id, "line": index, "record_in": where.start,
                                  "samples": samples, "frames": where.frames, "voice": asdict(voice),
                                  "text": line.text, "character": line.character, "maker": maker,
                                  "trained": trained}
    progress(total, total, f"{result.built} voices spoken, {result.kept} kept")
    if entries != manifest or not _manifest_path(film).is_file():
        folder.mkdir(parents=True, exist_ok=True)
        atomic_write_text(_manifest_path(film), json.dumps(
            {"engine": espeak.ENGINE, "sample_rate": SAMPLE_RATE, "fps": f"{film.fps.numerator}/"
             f"{film.fps.denominator}", "clips": entries}, indent=1, sort_keys=True) + "\n")
    return result
