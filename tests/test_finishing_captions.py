"""Captions: SRT and WebVTT on the dialogue's timings, read back; the caption rules as warnings."""

from __future__ import annotations

from pathlib import Path

import pysubs2
from shotreel.finishing.captions import write_captions
from shotreel.project import load_project

FILM = """\
title: Captions
fps: 25
scenes:
  - id: sc1
    shots:
      - id: sh010
        beat: a
        duration: 4s
        dialogue:
          - {character: MARA, line: Is anyone there?}
      - id: sh020
        beat: a
        duration: 6s
        dialogue:
          - {character: MARA, line: "%s"}
          - {character: OSKAR, line: No.}
"""
LONG = ("Every light on this deck has been out for two hundred and twelve days, and I have counted "
        "every single one of them alone")


def project(tmp_path: Path, long: str = "Then stay close to me.") -> Path:
    folder = tmp_path / "film"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "shotreel.yaml").write_text(FILM % long)
    return folder


def test_srt_and_vtt_follow_the_voices(tmp_path):
    film = load_project(project(tmp_path))
    result = write_captions(film, film.root / "edit")
    srt, vtt = pysubs2.load(str(result.srt)), pysubs2.load(str(result.vtt))
    assert [e.plaintext for e in srt] == ["Is anyone there?", "Then stay close to me.", "No."]
    assert [e.start for e in vtt] == [e.start for e in srt]
    assert srt[0].start == 0 and srt[1].start == 4000  # sh020 starts at 4 s, at 25 fps: 100 frames
    assert result.vtt.read_text().startswith("WEBVTT")
    assert result.captions[2].start == result.captions[1].start + result.captions[1].frames


def test_the_caption_rules_are_warnings_naming_the_shot(tmp_path):
    film = load_project(project(tmp_path, LONG))
    warnings = write_captions(film, film.root / "edit").warnings
    assert any(w.startswith("shot sh020: line 1: the caption needs 3 lines of 42 characters") for w in warnings)
    assert any(w.startswith("shot sh020: line 2: the caption is on screen") for w in warnings)  # "No." < 1 s
    assert any("shot sh020: line 2: the caption follows the one before after 0 frames" in w for w in warnings)
    assert not any(w.startswith("shot sh010") for w in warnings)
