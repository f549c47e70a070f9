"""Scratch voices: every dialogue line a real eSpeak NG clip at its record frame, a voice per character,
the parenthetical's delivery, rebuilt only when it changed, and placement warnings in `check`."""

from __future__ import annotations

import json
import textwrap
import wave
from pathlib import Path

import numpy as np
import pytest
from shotreel.checks import run_checks
from shotreel.errors import ProjectError
from shotreel.finishing.audio import read_wav
from shotreel.finishing.voices import scratch_voices
from shotreel.project import load_project, loads_film

FILM = """\
title: Two voices
fps: {fps}
assets:
  - {{id: mara, kind: character}}
  - {{id: oskar, kind: character}}
scenes:
  - id: sc1
    shots:
      - id: sh010
        beat: a
        duration: 6s
        dialogue:
          - {{character: MARA, line: Is anyone there?}}
          - {{character: OSKAR, line: Only me.}}
      - id: sh020
        beat: a
        duration: 4s
        dialogue:
          - {{character: MARA, parenthetical: (whispering), line: Then stay close., at: 1s}}
"""


def project(tmp_path: Path, text: str = FILM, fps: str = "24") -> Path:
    folder = tmp_path / "film"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "shotreel.yaml").write_text(text.format(fps=fps) if "{fps}" in text else text)
    return folder


def rms(path: Path) -> float:
    samples, _ = read_wav(path)
    return float(np.sqrt(np.mean(samples ** 2)))


def test_every_line_is_a_wav_at_its_record_frame(tmp_path):
    film = load_project(project(tmp_path))
    result = scratch_voices(film)
    assert [c.name for c in result.clips] == ["sh010 line 1", "sh010 line 2", "sh020 line 1"]
    for clip in result.clips:
        with wave.open(str(clip.path)) as w:
            assert (w.getframerate(), w.getnchannels(), w.getnframes()) == (48000, 1, clip.samples)
        assert clip.samples > 0.3 * 48000
        assert clip.start_sample == clip.record_in * 2000  # 48000 / 24 samples a frame, exactly
    first, second, third = result.clips
    assert first.record_in == 0
    assert second.record_in == first.frames  # one after the other
    assert third.record_in == 144 + 24  # sh020 starts at 6 s; `at: 1s`
    manifest = json.loads((film.root / "edit/voices/voices.json").read_text())
    assert manifest["clips"]["sh020-01.wav"]["record_in"] == 168


def test_characters_get_distinct_voices_and_assets_set_their_own(tmp_path):
    film = load_project(project(tmp_path))
    mara, oskar, _ = scratch_voices(film).clips
    assert mara.voice != oskar.voice
    custom = FILM.replace("{{id: oskar, kind: character}}",
                          "{{id: oskar, kind: character, voice: en-gb, pitch: 20, rate: 120}}")
    film = load_project(project(tmp_path / "b", custom))
    oskar = scratch_voices(film).clips[1]
    assert (oskar.voice.name, oskar.voice.pitch, oskar.voice.rate) == ("en-gb", 20, 120)


def test_whispering_is_softer_and_shouting_louder(tmp_path):
    text = FILM.replace("(whispering)", "(shouting)")
    loud = scratch_voices(load_project(project(tmp_path / "loud", text))).clips[2]
    soft = scratch_voices(load_project(project(tmp_path / "soft"))).clips[2]
    plain = scratch_voices(load_project(project(tmp_path / "plain", FILM.replace("(whispering)", "")))).clips[2]
    assert rms(soft.path) < rms(plain.path) < rms(loud.path)


def test_voices_are_rebuilt_only_when_the_line_or_voice_changed(tmp_path):
    folder = project(tmp_path)
    first = scratch_voices(load_project(folder))
    assert (first.built, first.kept) == (3, 0)
    stamp = first.clips[0].path.stat().st_mtime_ns
    again = scratch_voices(load_project(folder))
    assert (again.built, again.kept) == (0, 3)
    assert again.clips[0].path.stat().st_mtime_ns == stamp
    (folder / "shotreel.yaml").write_text(FILM.format(fps=24).replace("Only me.", "Only me and Mara."))
    changed = scratch_voices(load_project(folder))
    assert [c.built for c in changed.clips] == [False, True, False]
    # a timing change moves the clip in the manifest without speaking it again
    (folder / "shotreel.yaml").write_text(FILM.format(fps=24).replace("Only me.", "Only me and Mara.")
                                          .replace("duration: 6s", "duration: 7s"))
    moved = scratch_voices(load_project(folder))
    assert moved.built == 0 and moved.clips[2].record_in == 168 + 24


@pytest.mark.parametrize("fps,per_frame", [("23.976", 2002), ("25", 1920), ("30", 1600)])
def test_start_samples_are_exact_at_each_rate(tmp_path, fps, per_frame):
    film = load_project(project(tmp_path, fps=fps))
    for clip in scratch_voices(film).clips:
        assert clip.start_sample == clip.record_in * per_frame


def test_a_line_longer_than_its_shot_and_overlapping_lines_are_check_warnings(tmp_path):
    text = FILM.replace("duration: 4s", "duration: 1s").replace("at: 1s", "at: 0s")
    text = text.replace("- {{character: OSKAR, line: Only me.}}", "- {{character: OSKAR, line: Only me., at: 2f}}")
    folder = project(tmp_path, text)
    result = scratch_voices(load_project(folder))
    assert any(w.startswith("shot sh010: line 2 (OSKAR) overlaps line 1 by ") for w in result.warnings)
    assert any(w.startswith("shot sh020: line 1 (MARA) runs ") and "frames past the shot's end" in w
               for w in result.warnings)
    findings = {(f.code, f.shot): f for f in run_checks(load_project(folder)).warnings}
    overrun = findings[("dialogue-overrun", "sh020")]
    clip = result.clips[2]
    assert f"runs {clip.frames - 24} frames past" in overrun.message  # measured from the clip, not guessed
    assert ("dialogue-overlap", "sh010") in findings


def test_voice_fields_are_checked_when_the_project_loads():
    bad = FILM.format(fps=24).replace("{id: oskar, kind: character}", "{id: oskar, kind: character, pitch: 300}")
    with pytest.raises(ProjectError) as caught:
        loads_film(textwrap.dedent(bad))
    assert "asset oskar 'pitch' must be a number from 0 to 100" in str(caught.value)


def test_an_unknown_voice_names_the_character_and_shot(tmp_path):
    text = FILM.replace("{{id: oskar, kind: character}}", "{{id: oskar, kind: character, voice: xx-nope}}")
    film = load_project(project(tmp_path, text))
    with pytest.raises(Exception) as caught:
        scratch_voices(film)
    assert "shot sh010: OSKAR: eSpeak NG has no voice 'xx-nope'" in str(caught.value)
    assert not (film.root / "edit/voices/sh010-02.wav").exists()
