"""`shotreel build`: the main job on the example film, end to end, with real Pillow, real OTIO
adapters and real ffmpeg (the example is rendered at 320x180 to keep the test quick)."""

import subprocess

import opentimelineio as otio
import pytest
from shotreel.cli import main
from shotreel.media import ffmpeg_exe, probe
from shotreel.project import load_project


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
                                                      "contact_sheet.pdf", "contact_sheet.png", "mix.wav",
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
    sound = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(edit / "animatic.mp4"), "-map", "0:a:0",
                            "-f", "s16le", "-ac", "1", "-ar", "48000", "-"], capture_output=True, check=True).stdout
    assert len(sound) // 2 == film.runtime() * 2000
    assert "sound: 2 voices (2 spoken), mix.wav: 1440 frames, " in out
    assert "takes: 12 generated offline (animatic provider)" in out
    assert "done: 12 shots, 1m 00.0s at 24 fps, starting 01:00:00:00" in out
    # a second build pays for nothing and redraws nothing: every shot already has its take
    assert main(["build", str(small_example), "--no-animatic"]) == 0
    again = capsys.readouterr().out
    assert "takes:" not in again and "boards: 0 drawn, 12 up to date" in again
    assert sorted(p.name for p in (small_example / "takes" / "sh010").iterdir()) == ["t001.json", "t001.mp4"]


def test_build_refuses_a_project_with_errors_and_writes_nothing(example_dir, capsys):
    path = example_dir / "shotreel.yaml"
    path.write_text(path.read_text().replace("beat: fear\n        duration: 4s", "beat: feer\n        duration: 4s"))
    assert main(["build", str(example_dir)]) == 2
    err = capsys.readouterr().err
    assert "shot sh070: beat 'feer' does not exist; did you mean 'fear'?" in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert list((example_dir / "edit").iterdir()) == [] and list((example_dir / "boards").iterdir()) == []
