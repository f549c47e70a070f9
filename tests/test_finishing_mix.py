"""The mix: exactly the cut's length, dialogue on its sample, music ducked under speech, effects at their
level, measured loudness at the target with a true peak at most -1 dBTP; bad sound files named in one line."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
from shotreel.finishing.audio import SoundError, measure, read_wav
from shotreel.finishing.mix import mix_film
from shotreel.media import ffmpeg_exe
from shotreel.project import load_project

FILM = """\
title: Mix
fps: {fps}
assets: [{{id: mara, kind: character}}]
{music}
scenes:
  - id: sc1
    shots:
      - id: sh010
        beat: a
        duration: 3s
        sfx: [{{file: sfx/click.wav, offset: 12f, level: -6}}]
      - id: sh020
        beat: a
        duration: 5s
        dialogue:
          - {{character: MARA, line: Is anyone there at all?}}
"""
MUSIC = "music: {file: music/bed.wav, start: 0s, fade_in: 12f, fade_out: 1s, level: -12}"


def tone(path: Path, source: str, *args: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i", source, *args, str(path)], check=True)
    return path


def project(tmp_path: Path, fps: str = "24", music: str = MUSIC) -> Path:
    folder = tmp_path / "film"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "shotreel.yaml").write_text(FILM.format(fps=fps, music=music))
    tone(folder / "music/bed.wav", "sine=f=220:d=20", "-ac", "2", "-ar", "44100")  # an odd rate: resampled
    tone(folder / "sfx/click.wav", "sine=f=1000:d=0.1", "-ar", "48000")
    return folder


@pytest.mark.parametrize("fps,samples", [("23.976", 192 * 2002), ("24", 192 * 2000), ("25", 200 * 1920),
                                         ("29.97", 240 * 1601 + 240 * 3 // 5), ("30", 240 * 1600)])
def test_the_mix_is_exactly_as_long_as_the_cut(tmp_path, fps, samples):
    folder = project(tmp_path, fps, music="")
    film = load_project(folder)
    result = mix_film(film, folder / "edit/mix.wav")
    mix, rate = read_wav(result.path)
    assert rate == 48000 and mix.shape == (samples, 2) and result.samples == samples


def test_loudness_is_measured_at_the_target_with_true_peak_under_minus_one(tmp_path):
    folder = project(tmp_path)
    film = load_project(folder)
    for target in (-14.0, -23.0):
        result = mix_film(film, folder / f"edit/mix{target:g}.wav", loudness=target)
        again = measure(result.path)  # measured from the file, after the fact
        assert abs(again.integrated - target) <= 1.0
        assert again.true_peak <= -1.0 and result.true_peak == again.true_peak
    assert any("bed.wav is at 44100 Hz: resampled to 48000 Hz" in w for w in result.warnings)


def level_at(samples: np.ndarray, hz: float, span: slice) -> float:
    """The amplitude of the ``hz`` sine in ``samples[span]`` (a projection onto it)."""
    part = samples[span, 0]
    t = np.arange(len(part)) / 48000
    return float(np.hypot(part @ np.sin(2 * np.pi * hz * t), part @ np.cos(2 * np.pi * hz * t)) * 2 / len(part))


def test_dialogue_starts_on_its_record_sample(tmp_path):
    folder = project(tmp_path, music="")
    (folder / "shotreel.yaml").write_text(FILM.format(fps=24, music="").replace("sfx: [", "sfx_: [")
                                          .replace("sfx_: [{file: sfx/click.wav, offset: 12f, level: -6}]", ""))
    result = mix_film(load_project(folder), folder / "edit/mix.wav")
    clip = result.voices.clips[0]
    assert clip.start_sample == 72 * 2000
    mix, _ = read_wav(result.path)
    voice, _ = read_wav(clip.path)
    first = int(np.argmax(np.abs(voice[:, 0]) > 0))
    assert np.abs(mix[:clip.start_sample + first]).max() == 0.0
    assert mix[clip.start_sample + first, 0] != 0.0


def test_the_music_ducks_under_speech(tmp_path):
    folder = project(tmp_path)
    tone(folder / "music/bed.wav", "sine=f=55:d=20", "-ac", "2")  # a low hum, below the voice
    result = mix_film(load_project(folder), folder / "edit/mix.wav")
    mix, _ = read_wav(result.path)
    clip = result.voices.clips[0]
    before = slice(clip.start_sample - 48000, clip.start_sample - 4800)
    during = slice(clip.start_sample + 9600, clip.start_sample + clip.samples - 9600)
    ducked_by = 20 * np.log10(level_at(mix, 55, during) / level_at(mix, 55, before))
    assert ducked_by < -6


def test_effects_play_at_their_shot_offset_and_level(tmp_path):
    folder = project(tmp_path, music="")
    result = mix_film(load_project(folder), folder / "edit/mix.wav")
    mix, _ = read_wav(result.path)
    start = 12 * 2000
    assert np.abs(mix[:start + 1]).max() == 0.0  # silence until the click (a sine: 0 on its first sample)
    assert np.abs(mix[start + 1, 0]) > 0.0 and np.abs(mix[start:start + 200]).max() > 0.01


@pytest.mark.parametrize("make,expected", [
    (lambda f: (f / "music/bed.wav").unlink(), "music music/bed.wav: no such sound file"),
    (lambda f: (f / "music/bed.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk" * 10),
     "music music/bed.wav: cannot be read as sound"),
    (lambda f: (f / "sfx/click.wav").write_bytes(b"\xff\xfb\x90\x00" + b"\x00" * 20 + b"garbage" * 50),
     "shot sh010: sfx sfx/click.wav: cannot be read as sound"),
])
def test_a_bad_sound_file_is_one_line_naming_it_and_nothing_is_written(tmp_path, make, expected):
    folder = project(tmp_path)
    make(folder)
    with pytest.raises(SoundError) as caught:
        mix_film(load_project(folder), folder / "edit/mix.wav")
    assert expected in str(caught.value) and "\n" not in str(caught.value)
    assert not (folder / "edit/mix.wav").exists()


def test_an_mp3_with_a_broken_header_is_refused(tmp_path):
    folder = project(tmp_path, music="music: {file: music/bed.mp3}")
    mp3 = tone(folder / "music/bed.mp3", "sine=f=220:d=3")
    data = bytearray(mp3.read_bytes())
    start = data.find(b"\xff\xfb") if data.find(b"\xff\xfb") >= 0 else data.find(b"\xff\xf3")
    data[start + 1:start + 4] = b"\x00\x00\x00"  # the first frame header's sync and bitrate gone
    mp3.write_bytes(bytes(data[:start + 400]))
    with pytest.raises(SoundError) as caught:
        mix_film(load_project(folder), folder / "edit/mix.wav")
    assert "music music/bed.mp3: is damaged" in str(caught.value)
    assert not (folder / "edit/mix.wav").exists()
