"""The animatic: the reel as an H.264 movie, frame-exact, takes conformed to their shots, boards elsewhere."""

from __future__ import annotations

import subprocess
from fractions import Fraction
from pathlib import Path

import pytest
from PIL import Image
from shotreel.animatic import AnimaticError, render_animatic
from shotreel.cli import main
from shotreel.conform import conform
from shotreel.errors import ProjectError
from shotreel.media import ffmpeg_exe, probe
from shotreel.project import load_project

from ._media_support import add_take, frame_rgb, is_color, tiny_example


def _record_in(film, shot_id: str) -> int:
    return conform(film).by_shot()[shot_id].record_in


@pytest.mark.parametrize("fps", ["23.976", "25"])
def test_the_example_renders_exactly_its_runtime(tmp_path: Path, fps: str) -> None:
    film = tiny_example(tmp_path / "film", "320x180", fps)
    seen = []
    result = render_animatic(film, tmp_path / "film" / "edit" / "animatic.mp4",
                             progress=lambda done, total, message: seen.append((done, total)))
    info = probe(result.path)
    assert info.frames == film.runtime() == result.frames
    assert info.fps == film.fps
    assert (info.width, info.height, info.codec, info.has_audio) == (320, 180, "h264", True)
    assert all(s.source == "card" for s in result.shots)  # no boards drawn: cards stand in
    assert seen[-1] == (film.runtime(), film.runtime()) and len(seen) > 1
    assert not list((tmp_path / "film" / "boards").iterdir())  # cards are drawn for the render only


def test_takes_are_conformed_to_their_shots(tmp_path: Path) -> None:
    folder = tmp_path / "film"
    film = tiny_example(folder)
    Image.new("RGB", (160, 90), (255, 255, 255)).save(folder / "boards" / "sh040.png")
    add_take(folder, "sh030", "t1", 121, colors=("red",))  # 121 frames in a 96-frame shot: the first 96
    add_take(folder, "sh020", "t1", 50, colors=("blue",))  # 50 frames in a 120-frame shot: then the board
    Image.new("RGB", (160, 90), (0, 128, 0)).save(folder / "boards" / "sh020.png")
    film = load_project(folder)
    result = render_animatic(film, folder / "edit" / "a.mp4", burn_in=False)
    assert probe(result.path).frames == film.runtime()
    by_shot = {s.shot: s for s in result.shots}
    assert (by_shot["sh030"].source, by_shot["sh030"].trim_out, by_shot["sh030"].held) == ("take", 96, 0)
    assert by_shot["sh020"].held == 70
    assert by_shot["sh040"].source == "board"
    assert any("sh020" in n and "the board shows for the last 70" in n for n in result.notes)
    sh020, sh030, sh040 = (_record_in(film, s) for s in ("sh020", "sh030", "sh040"))
    assert is_color(frame_rgb(result.path, sh020), "blue")
    assert is_color(frame_rgb(result.path, sh020 + 49), "blue")  # the take's last frame
    assert is_color(frame_rgb(result.path, sh020 + 50), "green")  # then its board, as in the reel
    assert is_color(frame_rgb(result.path, sh030 - 1), "green")
    assert is_color(frame_rgb(result.path, sh030), "red")
    assert is_color(frame_rgb(result.path, sh040 - 1), "red")
    assert is_color(frame_rgb(result.path, sh040), "white")  # the board starts on its frame


def test_selects_pick_the_take_and_its_trims(tmp_path: Path) -> None:
    folder = tmp_path / "film"
    tiny_example(folder)
    add_take(folder, "sh030", "t1", 120, colors=("red", "green"), created=1.0)
    add_take(folder, "sh030", "t2", 96, colors=("blue",), created=2.0)
    film = load_project(folder)
    at = _record_in(film, "sh030")
    newest = render_animatic(film, folder / "edit" / "a.mp4", burn_in=False)
    assert is_color(frame_rgb(newest.path, at), "blue")  # no select: the newest take
    (folder / "selects.yaml").write_text("shots:\n  sh030: {take: t1, in: 60, out: 120}\n")
    film = load_project(folder)
    chosen = render_animatic(film, folder / "edit" / "a.mp4", burn_in=False)
    entry = next(s for s in chosen.shots if s.shot == "sh030")
    assert (entry.take, entry.trim_in, entry.trim_out, entry.frames, entry.held) == ("t1", 60, 120, 60, 0)
    assert is_color(frame_rgb(chosen.path, at), "green")  # trimmed: starts on the take's frame 60
    assert is_color(frame_rgb(chosen.path, at + 59), "green")
    assert probe(chosen.path).frames == film.runtime() - 36  # the select's 60 frames, not the planned 96


def test_a_take_at_another_rate_plays_in_real_time(tmp_path: Path) -> None:
    folder = tmp_path / "film"
    tiny_example(folder)
    add_take(folder, "sh030", "t1", 60, fps=30, colors=("red", "green"))  # 2 s at 30 fps in a 4 s shot
    film = load_project(folder)
    result = render_animatic(film, folder / "edit" / "a.mp4", burn_in=False)
    entry = next(s for s in result.shots if s.shot == "sh030")
    assert entry.held == 96 - 48
    assert any("30 fps" in n and "real time" in n for n in result.notes)
    at = _record_in(film, "sh030")
    assert is_color(frame_rgb(result.path, at + 20), "red")
    assert is_color(frame_rgb(result.path, at + 30), "green")
    assert probe(result.path).frames == film.runtime()


def test_temp_audio_and_bad_audio(tmp_path: Path) -> None:
    folder = tmp_path / "film"
    film = tiny_example(folder)
    wav = tmp_path / "temp.wav"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", "sine=d=3", str(wav)], check=True)
    result = render_animatic(film, folder / "edit" / "a.mp4", audio=wav, burn_in=False)
    info = probe(result.path)
    assert info.has_audio and info.frames == film.runtime()
    out = subprocess.run([ffmpeg_exe(), "-hide_banner", "-i", str(result.path), "-map", "0:a", "-c", "copy",
                          "-f", "null", "-"], capture_output=True, text=True, check=True).stderr
    last = [line for line in out.splitlines() if "time=" in line][-1]
    assert "time=00:01:00.0" in last  # the sound is cut or padded to the film: 60 s
    bad = tmp_path / "image.png"
    Image.new("RGB", (8, 8)).save(bad)
    with pytest.raises(AnimaticError, match="image.png: has no audio stream"):
        render_animatic(film, folder / "edit" / "b.mp4", audio=bad)
    assert not (folder / "edit" / "b.mp4").exists()
    assert [p.name for p in (folder / "edit").iterdir()] == ["a.mp4"]  # nothing half-written


def test_cli_renders_to_edit_by_default_with_burn_in(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    folder = tmp_path / "film"
    tiny_example(folder, "320x180")
    assert main(["animatic", str(folder)]) == 0
    out = capsys.readouterr().out
    target = folder / "edit" / "animatic.mp4"
    assert f"animatic: {target}" in out and "1440 frames" in out
    plain = tmp_path / "plain.mp4"
    assert main(["animatic", str(folder), "-o", str(plain), "--no-burn-in"]) == 0
    # the burn-in is in the bottom corners; the rest of the picture is the same
    assert probe(plain).frames == probe(target).frames == 1440
    assert _bottom_left(target, 30) != _bottom_left(plain, 30)
    assert main(["animatic", str(folder), "--audio", str(tmp_path / "none.wav")]) == 2
    assert "none.wav: no such audio file" in capsys.readouterr().err


def _bottom_left(path: Path, index: int) -> bytes:
    return subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(path), "-vf",
                           f"select=eq(n\\,{index}),crop=80:20:0:160", "-frames:v", "1", "-f", "rawvideo",
                           "-pix_fmt", "gray", "-"], capture_output=True, check=True).stdout


def test_an_odd_resolution_is_refused_before_rendering(tmp_path: Path) -> None:
    folder = tmp_path / "film"
    with pytest.raises(ProjectError, match=r"shotreel.yaml:6: resolution 161x90 must be even"):
        tiny_example(folder, "161x90")  # the project file is refused where it says so
    film = tiny_example(tmp_path / "other")
    film.resolution = (161, 90)  # a film a host built in memory is still refused by the render itself
    with pytest.raises(AnimaticError, match="161x90 must be even"):
        render_animatic(film, tmp_path / "other" / "edit" / "a.mp4")
    assert not any((tmp_path / "other" / "edit").iterdir())
    assert film.fps == Fraction(24)
