"""Hosted voices (ElevenLabs) through the generation engine, against a local server speaking ElevenLabs' protocol
(``tests/servers/elevenlabs.py``: real MP3s as long as the words, every paid create recorded, a history).

A line of a character with ``voice: elevenlabs:ID`` lands as ``voices/<shot>-<n>.mp3`` with its sidecar, through
the ledger; a lost answer is found in the account's history, never paid twice; the mix plays the hosted clip;
the disclosure and the content credential call those lines AI-generated, and only those.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest
from shotreel.cli import main
from shotreel.errors import ShotreelError
from shotreel.finishing.audio import read_sound, read_wav
from shotreel.finishing.credentials import (
    ALGORITHMIC,
    TRAINED,
    embed_credential,
    make_test_signing,
    read_credential,
)
from shotreel.finishing.disclosure import disclose
from shotreel.finishing.mix import mix_film
from shotreel.finishing.provenance import generation_used
from shotreel.finishing.voices import make_hosted_voices, scratch_voices
from shotreel.generation import ledger as L
from shotreel.generation.ledger import Ledger
from shotreel.media import ffmpeg_exe
from shotreel.project import load_project

from tests.servers import fake_server  # noqa: F401  (pytest fixture)

VOICE_ID = "JBFqnCBsd6RMkjVDRZzb"
FILM = """\
title: Two voices
fps: 24
resolution: 320x180
assets:
  - {{id: mara, kind: character, voice: "elevenlabs:{voice}"}}
  - {{id: oskar, kind: character}}
beats:
  - {{id: a, title: A}}
scenes:
  - id: sc1
    heading: INT. BAY - NIGHT
    shots:
      - id: sh010
        beat: a
        duration: 6s
        action: Mara listens.
        dialogue:
          - {{character: MARA, line: "{line}"{at}}}
          - {{character: OSKAR, line: Only me.}}
"""


def project(tmp_path: Path, line: str = "Is anyone there?", voice: str = VOICE_ID, at: str = "") -> Path:
    folder = tmp_path / "film"
    folder.mkdir(parents=True, exist_ok=True)
    text = FILM.format(line=line, voice=voice, at=f", at: {at}" if at else "")
    (folder / "shotreel.yaml").write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def eleven(fake_server, monkeypatch):  # noqa: F811  (the fixture imported above)
    server = fake_server("elevenlabs")
    monkeypatch.setenv("SHOTREEL_ELEVENLABS_BASE_URL", server.url)
    monkeypatch.setenv("ELEVENLABS_API_KEY", server.api_key)
    return server


def _rows(folder: Path) -> dict[str, tuple[str, str | None, str]]:
    with Ledger.open(folder) as ledger:
        return {r.key: (r.state, r.destination, r.kind) for r in ledger.jobs()}


def _everything(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())


def test_a_hosted_line_lands_with_its_sidecar_through_the_ledger_and_is_paid_once(tmp_path, eleven):
    folder = project(tmp_path)
    film = load_project(folder)
    [summary] = make_hosted_voices(film)
    assert summary.ok and [(o.key, o.path.name) for o in summary.done] == [("sh010/line01", "sh010-01.mp3")]
    clip = folder / "voices" / "sh010-01.mp3"
    sidecar = json.loads((folder / "voices" / "sh010-01.json").read_text())
    assert sidecar["kind"] == "voice" and sidecar["provider"] == "elevenlabs"
    assert (sidecar["model"], sidecar["voice_id"], sidecar["text"]) == ("eleven_multilingual_v2", VOICE_ID,
                                                                       "Is anyone there?")
    assert sidecar["character"] == "MARA" and sidecar["format"] == "mp3" and sidecar["file"] == "sh010-01.mp3"
    assert sidecar["cost"] == pytest.approx(16 * 0.10 / 1000)  # 16 characters at $0.10 per 1,000
    samples, rate = read_sound(clip, channels=1)
    assert rate == 44100 and len(samples) / 48000 == pytest.approx(16 / 15, abs=0.1)  # as long as the words
    assert _rows(folder) == {"sh010/line01": (L.DONE, "voices/sh010-01", "voice")}
    [job] = eleven.jobs.values()  # what ElevenLabs received: the words, the model, the voice, the format
    assert job.body == {"text": "Is anyone there?", "model_id": "eleven_multilingual_v2"}
    assert (job.extra["voice_id"], job.extra["output_format"]) == (VOICE_ID, "mp3_44100_128")
    assert eleven.creates() == 1 and not eleven.errors

    again = make_hosted_voices(load_project(folder))  # nothing changed: nothing paid
    assert again[0].ok and [o.message for o in again[0].done] == ["already there"] and eleven.creates() == 1

    project(tmp_path, line="Is anyone out there?")  # the words changed: spoken again, the old clip replaced
    changed = make_hosted_voices(load_project(folder))
    assert changed[0].ok and eleven.creates() == 2
    assert json.loads((folder / "voices" / "sh010-01.json").read_text())["text"] == "Is anyone out there?"
    assert _rows(folder)["sh010/line01~2"][0] == L.DONE


def test_a_dry_run_prices_each_line_per_character_and_sends_nothing(tmp_path, eleven, capsys):
    folder = project(tmp_path)
    assert main(["voices", str(folder), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "sh010/line01" in out and "16 characters at $0.10 per 1,000 (eleven_multilingual_v2" in out
    assert "estimated cost $0.0016; nothing was sent" in out
    assert eleven.creates() == 0 and not (folder / ".shotreel" / "ledger.sqlite").exists()


@pytest.mark.parametrize("lost", ["drop", "error_after_create"])
def test_a_lost_answer_is_found_in_the_history_and_not_paid_twice(tmp_path, eleven, lost):
    folder = project(tmp_path, line=f"[scenario:{lost}] Is anyone there?")
    [summary] = make_hosted_voices(load_project(folder))
    assert summary.ok, (summary.failed, summary.unknown)
    assert eleven.creates() == 1  # made once: the answer was lost, the line was not sent again
    [job] = eleven.jobs.values()
    history = [r.path for r in eleven.requests if r.path.startswith("/elevenlabs/v1/history")]
    assert history == ["/elevenlabs/v1/history", f"/elevenlabs/v1/history/{job.id}/audio"]
    landed = folder / "voices" / "sh010-01.mp3"
    assert landed.read_bytes() == job.extra["audio"]  # the audio it paid for, fetched from the history
    assert json.loads((folder / "voices" / "sh010-01.json").read_text())["job_id"] == job.id
    again = make_hosted_voices(load_project(folder))
    assert again[0].ok and eleven.creates() == 1


def test_a_429_is_retried_after_its_retry_after_and_paid_once(tmp_path, eleven):
    folder = project(tmp_path, line="[scenario:rate_limited] Is anyone there?")
    [summary] = make_hosted_voices(load_project(folder))
    assert summary.ok and eleven.creates() == 1
    creates = [r for r in eleven.requests if "/text-to-speech/" in r.path]
    assert [r.status for r in creates] == [429, 200]
    assert (folder / "voices" / "sh010-01.mp3").is_file()


def test_a_missing_key_is_one_line_naming_the_variable_and_records_nothing(tmp_path, eleven, monkeypatch, capsys):
    monkeypatch.delenv("ELEVENLABS_API_KEY")
    folder = project(tmp_path)
    with pytest.raises(ShotreelError) as raised:
        make_hosted_voices(load_project(folder))
    assert str(raised.value.message) == "elevenlabs: no API key: set ELEVENLABS_API_KEY in the environment"
    assert main(["voices", str(folder)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "ELEVENLABS_API_KEY" in err[0]
    assert eleven.creates() == 0 and not (folder / ".shotreel" / "ledger.sqlite").exists()
    assert main(["voices", str(folder), "--dry-run"]) == 1  # the dry run names it and says the run would fail
    assert "would fail: missing ELEVENLABS_API_KEY" in capsys.readouterr().out


def test_the_key_never_appears_in_files_messages_or_the_ledger(tmp_path, eleven, capsys):
    folder = project(tmp_path, line="[scenario:drop] Is anyone there?")
    assert main(["voices", str(folder)]) == 0
    project(tmp_path, line="[scenario:rate_limited] Only now.")
    assert main(["voices", str(folder)]) == 0
    messages = capsys.readouterr()
    key = eleven.api_key.encode()
    assert key not in _everything(folder)  # sidecars, clips, the ledger (its payloads and events)
    assert eleven.api_key not in messages.out + messages.err
    creates = [r for r in eleven.requests if "/text-to-speech/" in r.path]
    assert creates and all(r.headers.get("xi-api-key") == eleven.api_key for r in creates)  # sent only there


def test_the_mix_plays_the_hosted_clip_and_espeak_speaks_the_others(tmp_path, eleven):
    folder = project(tmp_path)
    film = load_project(folder)
    before = scratch_voices(film)  # not made yet: eSpeak NG stands in, and says so
    assert [c.maker for c in before.clips] == ["eSpeak NG", "eSpeak NG"]
    assert before.warnings == [(f"shot sh010: line 1 (MARA): its voice elevenlabs:{VOICE_ID} is not made yet "
                                "(`shotreel voices DIR` makes it); eSpeak NG speaks it meanwhile")]
    make_hosted_voices(film)
    mix = mix_film(load_project(folder), folder / "edit" / "mix.wav")
    first, second = mix.voices.clips
    assert (first.maker, first.trained, first.built) == ("eleven_multilingual_v2 (elevenlabs)", True, True)
    assert (second.maker, second.trained, second.built) == ("eSpeak NG", False, False)  # unchanged: kept
    hosted, _ = read_sound(folder / "voices" / "sh010-01.mp3", channels=1)
    assert first.samples == len(hosted)
    sound, _ = read_wav(mix.path)
    span = sound[first.start_sample:first.start_sample + first.samples, 0]

    def pitch(samples: np.ndarray) -> float:
        spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
        return float(np.argmax(spectrum) * 48000 / len(samples))

    assert pitch(span) == pytest.approx(pitch(hosted[:, 0]), abs=2.0)  # the line in the mix is the hosted tone
    assert float(np.sqrt(np.mean(span ** 2))) > 0.01

    again = scratch_voices(load_project(folder))  # nothing changed: neither line is made again
    assert [c.built for c in again.clips] == [False, False] and not again.warnings


def _movie(path: Path) -> Path:
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    "testsrc2=s=160x90:r=24:d=1", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt",
                    "yuv420p", str(path)], check=True)
    return path


def _credential(tmp_path: Path, film, voices, name: str):
    spoken = [(c.shot, c.maker, c.trained) for c in voices.clips]
    disclosure = disclose(film, generation_used(film), voices=spoken)
    signed = tmp_path / f"{name}.mp4"
    embed_credential(_movie(tmp_path / f"{name}-plain.mp4"), signed, film.title, generation_used(film), disclosure,
                     make_test_signing(), [(c.shot, c.path, c.maker, c.trained) for c in voices.clips])
    return disclosure, read_credential(signed)


def test_the_disclosure_and_credential_say_ai_generated_voices_only_for_the_lines_a_service_spoke(tmp_path, eleven):
    folder = project(tmp_path)
    film = load_project(folder)
    offline, credential = _credential(tmp_path, film, scratch_voices(film), "offline")
    assert offline.statement() == "This film contains no AI-generated video, images or voices."
    assert [i["digital_source_type"] for i in credential.ingredients] == [ALGORITHMIC, ALGORITHMIC]

    make_hosted_voices(film)
    film = load_project(folder)
    hosted, credential = _credential(tmp_path, film, scratch_voices(film), "hosted")
    assert hosted.statement() == "This film contains AI-generated voices."
    assert "eleven_multilingual_v2 (elevenlabs)" in hosted.text() and "synthetic voices (eSpeak NG)" in hosted.text()
    assert [(i["title"], i["digital_source_type"]) for i in credential.ingredients] == [
        ("voices/sh010-01.wav", TRAINED), ("voices/sh010-02.wav", ALGORITHMIC)]
    assert credential.disclosure["statement"] == ("This film contains AI-generated voices. Made by software without "
                                                  "an AI model: synthetic voices (eSpeak NG).")


def test_an_answer_the_history_cannot_tell_apart_waits_for_the_user_and_attach_fetches_it(tmp_path, eleven, capsys):
    from shotreel.finishing.voices import voice_jobs
    from shotreel.generation.registry import get_provider

    folder = project(tmp_path, line="[scenario:drop] Is anyone there?")
    film = load_project(folder)
    [job] = voice_jobs(film)["elevenlabs"]
    try:  # the same words in the same voice, spoken a moment before outside shotreel: two candidates
        get_provider("elevenlabs").submit(job.request)
    except ShotreelError:
        pass
    [summary] = make_hosted_voices(film)
    assert not summary.ok and [o.key for o in summary.unknown] == ["sh010/line01"]
    assert eleven.creates() == 2 and not (folder / "voices" / "sh010-01.mp3").exists()  # not sent again
    assert main(["jobs", str(folder)]) == 0
    assert "voice clip for voices/sh010-01" in capsys.readouterr().out
    mine = max(eleven.jobs.values(), key=lambda j: j.created)
    assert main(["jobs", str(folder), "--attach", "sh010/line01", mine.id]) == 0
    assert (folder / "voices" / "sh010-01.mp3").read_bytes() == mine.extra["audio"] and eleven.creates() == 2


def test_a_hosted_line_moved_in_time_is_moved_not_made_again(tmp_path, eleven):
    folder = project(tmp_path)
    make_hosted_voices(load_project(folder))
    first = scratch_voices(load_project(folder)).clips[0]
    project(tmp_path, at="2s")
    moved = scratch_voices(load_project(folder)).clips[0]
    assert not moved.built and moved.hash == first.hash and moved.record_in == first.record_in + 48
    assert make_hosted_voices(load_project(folder))[0].done[0].message == "already there" and eleven.creates() == 1


def test_out_of_credit_stops_the_run_in_one_line_and_keeps_the_line_for_later(tmp_path, eleven):
    folder = project(tmp_path, line="[scenario:quota] Is anyone there?")
    [summary] = make_hosted_voices(load_project(folder))
    assert not summary.ok and "out of credit" in summary.stopped and "\n" not in summary.stopped
    assert eleven.creates() == 0 and _rows(folder) == {"sh010/line01": (L.PENDING, "voices/sh010-01", "voice")}


def test_pcm_output_lands_as_a_wav_at_the_asked_rate(tmp_path, eleven):
    folder = project(tmp_path)
    [summary] = make_hosted_voices(load_project(folder), options={"output_format": "pcm_24000"})
    assert summary.ok and [o.path.name for o in summary.done] == ["sh010-01.wav"]
    sidecar = json.loads((folder / "voices" / "sh010-01.json").read_text())
    assert (sidecar["format"], sidecar["sample_rate"]) == ("wav", 24000)
    assert sidecar["seconds"] == pytest.approx(16 / 15, abs=0.01)


def test_the_exported_film_and_its_credential_say_which_voices_are_ai_generated(tmp_path, eleven, capsys):
    from shotreel.finishing.export import export_film

    folder = project(tmp_path)
    make_hosted_voices(load_project(folder))
    result = export_film(load_project(folder), signing=make_test_signing())
    assert result.disclosure.sentence() == ("This film contains AI-generated voices. Made by software without an AI "
                                            "model: synthetic voices (eSpeak NG).")
    assert main(["verify", str(result.path)]) == 0
    out = capsys.readouterr().out
    assert "voices/sh010-01.wav  eleven_multilingual_v2 (elevenlabs) (hosted), trainedAlgorithmicMedia" in out
    assert "voices/sh010-02.wav  eSpeak NG (offline), algorithmicMedia" in out
    assert "created as compositeWithTrainedAlgorithmicMedia" in out
