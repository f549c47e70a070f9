"""`shotreel build`: the main job on the example film, end to end, with real Pillow, real OTIO
adapters and real ffmpeg (the example is rendered at 320x180 to keep the test quick), ending in the
finished film (edit/film.mp4) read back from the file."""

import subprocess

import numpy as np
import opentimelineio as otio
import pytest
from shotreel.build import build
from shotreel.cli import main
from shotreel.finishing.audio import read_wav
from shotreel.finishing.export import measure_loudness, shift_captions
from shotreel.media import ffmpeg_exe, probe
from shotreel.project import load_project

from ._finishing_support import small_film

AUDIBLE = 0.01
"""-40 dBFS: a sample louder than this is heard."""


def _sound(path) -> np.ndarray:
    """The file's sound, decoded: mono float samples at 48 kHz."""
    run = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(path), "-map", "0:a:0", "-f", "s16le", "-ac", "1",
                          "-ar", "48000", "-"], capture_output=True, check=True)
    return np.frombuffer(run.stdout, dtype="<i2") / 32768.0


def _sound_samples(path) -> int:
    return len(_sound(path))


@pytest.fixture
def small_example(example_dir):
    path = example_dir / "shotreel.yaml"
    path.write_text(path.read_text().replace("resolution: 1920x1080", "resolution: 320x180"))
    return example_dir


def test_build_writes_boards_takes_reels_and_animatic(small_example, capsys):
    assert main(["build", str(small_example)]) == 0
    out = capsys.readouterr().out
    film = load_project(small_example)
    shots = list(film.shots())
    edit = small_example / "edit"
    assert sorted(p.name for p in edit.iterdir()) == ["animatic.mp4", "captions.srt", "captions.vtt",
                                                      "contact_sheet.pdf", "contact_sheet.png", "film.mp4",
                                                      "film.srt", "film.vtt", "mix.wav",
                                                      "reel.edl", "reel.otio", "reel.xml", "voices"]
    assert sorted(p.name for p in (edit / "voices").iterdir()) == ["sh040-01.wav", "sh090-01.wav", "voices.json"]
    assert sorted(p.stem for p in (small_example / "boards").iterdir()) == [s.id for s in shots]
    for shot in shots:  # one offline take per shot, exactly the shot's length
        take = small_example / "takes" / shot.id / "t001.mp4"
        assert probe(take).frames == shot.duration, shot.id
    timeline = otio.adapters.read_from_file(str(edit / "reel.otio"))
    boards, takes = timeline.video_tracks()
    assert [c.name for c in boards] == [s.id for s in shots]
    assert [round(c.duration().value) for c in boards] == [s.duration for s in shots]
    assert [c.active_media_reference_key for c in takes] == ["t001"] * len(shots)
    assert timeline.global_start_time.value == 86400
    edl = otio.adapters.read_from_file(str(edit / "reel.edl"), rate=24)
    assert [round(c.duration().value) for c in edl.video_tracks()[0]] == [s.duration for s in shots]
    movie = probe(edit / "animatic.mp4")
    assert (movie.frames, movie.width, movie.height) == (film.runtime(), 320, 180)
    # the animatic carries the mix: exactly the film's length in samples at 48 kHz
    assert _sound_samples(edit / "animatic.mp4") == film.runtime() * 2000
    # the finished film: title 4 s + disclosure 4 s + the reel + credits 8 s, with the mix as its sound
    final = probe(edit / "film.mp4")
    assert (final.frames, final.width, final.height, final.has_audio) == (96 + 96 + film.runtime() + 192, 320, 180,
                                                                          True)
    assert abs(_sound_samples(edit / "film.mp4") - final.frames * 2000) <= 1024  # AAC: within a frame of sound
    assert abs(measure_loudness(edit / "film.mp4") - -14.0) <= 1.0
    assert f"wrote {edit / 'film.mp4'} ({final.frames} frames = title 96 + disclosure 96 + reel 1440 + credits 192; " \
           in out
    assert "captions: film.srt, film.vtt)" in out and "credential: none: no certificate given" in out
    # offline animatic takes and eSpeak NG voices: the film claims no AI-generated media
    assert ("disclosure: This film contains no AI-generated video, images or voices. Made by software without an "
            "AI model: animatic video and synthetic voices (eSpeak NG).") in out
    # the captions beside the film are the cut's, moved by the 8 s of cards before it
    assert (edit / "film.srt").read_text() == shift_captions((edit / "captions.srt").read_text(), 8000)
    assert "sound: 2 voices (2 spoken), mix.wav: 1440 frames, " in out
    assert "takes: 12 generated offline (animatic provider)" in out
    assert "done: 12 shots, 1m 00.0s at 24 fps, starting 01:00:00:00" in out
    # a second build pays for nothing and redraws nothing: every shot already has its take
    made = (edit / "film.mp4").stat().st_mtime_ns
    assert main(["build", str(small_example), "--no-animatic", "--no-export"]) == 0
    again = capsys.readouterr().out
    assert "takes:" not in again and "boards: 0 drawn, 12 up to date" in again
    assert "film.mp4" not in again and (edit / "film.mp4").stat().st_mtime_ns == made
    assert sorted(p.name for p in (small_example / "takes" / "sh010").iterdir()) == ["t001.json", "t001.mp4"]


def test_build_refuses_a_project_with_errors_and_writes_nothing(example_dir, capsys):
    path = example_dir / "shotreel.yaml"
    path.write_text(path.read_text().replace("beat: fear\n        duration: 4s", "beat: feer\n        duration: 4s"))
    assert main(["build", str(example_dir)]) == 2
    err = capsys.readouterr().err
    assert "shot sh070: beat 'feer' does not exist; did you mean 'fear'?" in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert list((example_dir / "edit").iterdir()) == [] and list((example_dir / "boards").iterdir()) == []


def test_build_exports_the_film_with_the_mix_it_made_once(tmp_path):
    folder = small_film(tmp_path / "film")
    messages: dict[str, list[str]] = {}

    def stage(name):
        return lambda done, total, message: messages.setdefault(name, []).append(message)

    result = build(folder, stage, generate=False, animatic=False)
    film = result.film
    assert result.export is not None and result.export.path == folder / "edit" / "film.mp4"
    assert probe(result.export.path).frames == 48 + 96 + film.runtime() + 48  # title 2 s, disclosure, credits 2 s
    assert any(m.startswith("mix") or m == "voices" for m in messages["sound"])  # mixed in the sound stage …
    assert "encoding" in messages["export"] and not [m for m in messages["export"] if m.startswith("mix")]
    assert result.export.mixed and result.export.loudness is not None  # … and the export used that mix
    # every dialogue clip starts on its frame in the film, after the cards (read back from the file)
    sound = _sound(result.export.path)
    for clip in result.mix.voices.clips:
        voice, _ = read_wav(clip.path)
        expected = (result.export.lead_frames * 2000 + clip.start_sample  # 24 fps: 2000 samples a frame
                    + int(np.argmax(np.abs(voice[:, 0]) > AUDIBLE)))
        onset = expected - 2000 + int(np.argmax(np.abs(sound[expected - 2000:]) > AUDIBLE))
        assert abs(onset - expected) <= 100, (clip.name, onset, expected)  # AAC smears onsets by a few samples
    assert [p.name for p in result.export.captions] == ["film.srt", "film.vtt"]
    assert {folder / "edit" / "film.mp4", folder / "edit" / "film.srt"} <= set(result.written)


def test_build_without_sound_exports_a_silent_film(tmp_path):
    folder = small_film(tmp_path / "film")
    result = build(folder, generate=False, animatic=False, sound=False)
    assert result.mix is None and not result.export.mixed and result.export.loudness is None
    assert result.export.captions == [] and not (folder / "edit" / "mix.wav").exists()
    assert _sound_samples(result.export.path) > 0  # silence of the film's length, still a sound track
