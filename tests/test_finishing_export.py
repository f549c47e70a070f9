"""shotreel export: the finished film as a user gets it, read back from the file."""

from __future__ import annotations

import re
import subprocess
from dataclasses import replace
from fractions import Fraction

import pytest
from shotreel.cli import main
from shotreel.errors import ShotreelError
from shotreel.finishing.credentials import make_test_signing, read_credential
from shotreel.finishing.export import ExportError, export_film, measure_loudness, shift_captions
from shotreel.finishing.mix import mix_film
from shotreel.media import ffmpeg_exe, probe
from shotreel.project import load_project

from ._finishing_support import make_take, small_film


def _info(path) -> str:
    run = subprocess.run([ffmpeg_exe(), "-hide_banner", "-i", str(path)], check=False, capture_output=True,
                         text=True)
    return run.stderr


def _audio_samples(path) -> int:
    run = subprocess.run([ffmpeg_exe(), "-hide_banner", "-i", str(path), "-map", "0:a:0", "-f", "s16le",
                          "-ac", "1", "-ar", "48000", "-"], capture_output=True, check=True)
    return len(run.stdout) // 2


def test_web_export_has_titles_disclosure_the_cut_and_credits_with_tags_and_credential(tmp_path, capsys):
    folder = small_film(tmp_path / "film", fps="23.976")
    assert main(["export", str(folder), "--test-cert"]) == 0
    out = capsys.readouterr().out
    film_file = folder / "edit" / "film.mp4"
    info = probe(film_file)
    film = load_project(folder)
    assert film.fps == Fraction(24000, 1001) and info.fps == Fraction(24000, 1001)
    assert (info.width, info.height) == (320, 180)
    reel = film.runtime()
    assert info.frames == 48 + 96 + reel + 48  # title 2 s + disclosure 4 s + the reel + credits 2 s
    assert f"= title 48 + disclosure 96 + reel {reel} (the reel's own length) + credits 48" in out
    text = _info(film_file)
    assert "h264" in text and "aac" in text
    assert re.search(r"title\s+: Small Hours", text)
    assert re.search(r"comment\s+: This film contains AI-generated video", text)
    assert "AI-generated video: sh010, sh020" in text  # the description tag
    assert "credential: signed by" in out and "TEST certificate" in out
    credential = read_credential(film_file)
    assert credential.test and [i["title"] for i in credential.ingredients] == ["sh010/t001.mp4", "sh020/t001.mp4",
                                                                               "voices/sh010-01.wav"]
    assert credential.state == "Valid"
    samples = _audio_samples(film_file)
    expected = round(Fraction(info.frames) / film.fps * 48000)
    assert abs(samples - expected) <= 1024  # AAC's priming: within a frame of audio
    assert not [p for p in (folder / "edit").iterdir() if p.name.startswith(".")]  # no scratch left


def test_review_burns_in_and_master_is_prores_with_pcm_and_the_start_timecode(tmp_path):
    folder = small_film(tmp_path / "film")
    film = load_project(folder)
    review = export_film(film, "review")
    assert review.path.name == "film-review.mp4" and probe(review.path).frames == review.frames
    master = export_film(film, "master")
    assert master.path.name == "film-master.mov" and master.credential.startswith("none")
    text = _info(master.path)
    assert "prores" in text and "(HQ)" in text and "pcm_s24le" in text and "yuv422p10" in text
    assert re.search(r"timecode\s+: 01:00:00:00", text)
    assert probe(master.path).frames == master.frames


def test_captions_are_shifted_by_the_cards_before_the_cut():
    srt = "1\n00:00:01,500 --> 00:00:02,000\nHello?\n"
    assert shift_captions(srt, 6000) == "1\n00:00:07,500 --> 00:00:08,000\nHello?\n"
    assert shift_captions("00:59:59.900 --> 01:00:00.100", 200) == "01:00:00.100 --> 01:00:00.300"


def test_a_certificate_that_does_not_match_its_key_stops_before_anything_is_written(tmp_path, capsys):
    folder = small_film(tmp_path / "film")
    first, second = make_test_signing(), make_test_signing()
    (tmp_path / "cert.pem").write_bytes(first.chain)
    (tmp_path / "key.pem").write_bytes(second.key)
    code = main(["export", str(folder), "--sign-cert", str(tmp_path / "cert.pem"),
                 "--sign-key", str(tmp_path / "key.pem")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1
    assert err[0].startswith(f"shotreel: error: {tmp_path / 'cert.pem'}: the certificate does not match the key")
    assert not (folder / "edit").exists()


def test_a_failed_export_leaves_nothing(tmp_path):
    folder = small_film(tmp_path / "film")
    take = folder / "takes" / "sh020" / "t001.mp4"
    take.write_bytes(take.read_bytes()[:2000])  # cut short: ffmpeg cannot decode it
    (folder / "takes" / "sh020" / "t001.json").write_text('{"provider": "kling", "model": "k", '
                                                          '"probe": {"fps": 24, "frames": 24}}')
    with pytest.raises(ShotreelError):
        export_film(load_project(folder), "web", signing=make_test_signing())
    edit = folder / "edit"
    assert not (edit / "film.mp4").exists()
    assert not list(edit.glob(".shotreel-export*"))  # no scratch left either


def test_a_take_naming_no_model_is_warned_about_by_shot(tmp_path, capsys):
    folder = small_film(tmp_path / "film", credits=False)
    make_take(folder, "sh030", "t001", {"provider": "fal"})
    assert main(["export", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "takes/sh030/t001.json: warning: shot sh030: take t001's provenance names no model" in out
    assert "credential: none: no certificate given" in out


def test_the_loudness_measured_in_the_encode_is_the_files_and_a_given_mix_is_used(tmp_path):
    folder = small_film(tmp_path / "film")
    film = load_project(folder)
    result = export_film(film, "web")
    # measured in the encode's own run; the same as the file decoded after the fact (AAC moves it a little).
    # A 0.5 s line in a 3 s film: the cards' silence around it moves BS.1770's gating blocks, so the film
    # measures about 1 LU under its mix; the example film's minute measures at its mix.
    assert result.loudness is not None and abs(measure_loudness(result.path) - result.loudness) <= 0.2
    mix = mix_film(film, folder / "edit" / "mix.wav", loudness=-23.0)
    quiet = export_film(film, "web", mix=mix)
    assert quiet.mixed and abs((result.loudness - quiet.loudness) - 9.0) <= 0.5  # the mix given, at -23
    assert abs(measure_loudness(quiet.path) - quiet.loudness) <= 0.2
    short = replace(mix, samples=mix.samples - 2000)
    with pytest.raises(ExportError) as caught:
        export_film(film, "web", mix=short)
    assert str(caught.value).startswith(f"{mix.path}: the mix runs") and "\n" not in str(caught.value)


def test_a_caption_too_long_is_a_warning_of_the_export_naming_the_shot(tmp_path, capsys):
    folder = small_film(tmp_path / "film")
    project = folder / "shotreel.yaml"
    project.write_text(project.read_text().replace("line: Hello?", "line: " + "Hello is anyone there at all " * 4))
    assert main(["export", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "  shot sh010: line 1: the caption needs " in out
    assert (folder / "edit" / "film.srt").is_file()
