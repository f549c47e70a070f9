"""Editorial media: takes as DNxHR or ProRes with PCM sound, every frame kept, for editors that cannot
decode H.264 (the free Resolve on Linux)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest
from shotreel.media import probe
from shotreel.project import load_project
from shotreel.transcode import TranscodeError, editorial_media

from ._media_support import add_take, make_clip, tiny_example


@pytest.mark.parametrize(("codec", "name"), [("dnxhr", "dnxhd"), ("prores", "prores")])
def test_takes_become_editorial_media_frame_for_frame(tmp_path: Path, codec: str, name: str) -> None:
    folder = tmp_path / "film"
    tiny_example(folder, fps="23.976")
    make_clip(folder / "takes" / "sh020" / "t1.mp4", 37, Fraction(24000, 1001), size="256x144")
    film = load_project(folder)
    seen = []
    result = editorial_media(film, codec, progress=lambda done, total, message: seen.append(done))
    target = folder / "edit" / "media" / "sh020" / "t1.mov"
    assert result.made == [target] and result.media == {str((folder / "takes/sh020/t1.mp4").resolve()): target}
    info = probe(target)
    assert (info.frames, info.fps, info.codec, info.has_audio) == (37, film.fps, name, True)
    assert seen[-1] == 1
    again = editorial_media(film, codec)  # up to date: nothing made twice
    assert again.made == [] and again.media == result.media


def test_an_unknown_codec_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "film"
    film = tiny_example(folder)
    with pytest.raises(TranscodeError, match="unknown editorial codec 'h265'; use one of dnxhr, prores"):
        editorial_media(film, "h265")


def test_a_picture_too_small_for_dnxhr_is_named(tmp_path: Path) -> None:
    folder = tmp_path / "film"
    tiny_example(folder)
    add_take(folder, "sh020", "t1", 12)  # 64x36
    with pytest.raises(TranscodeError, match=r"t1.mp4: 64x36 is below dnxhr's smallest picture \(256x120\); use prores"):
        editorial_media(load_project(folder), "dnxhr")
    assert not (folder / "edit" / "media" / "sh020" / "t1.mov").exists()
