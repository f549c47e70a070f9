"""Probing clips with the wheel's ffmpeg: exact frames and rates, sizes, sound, errors naming the file."""

from __future__ import annotations

import json
import subprocess
from fractions import Fraction
from pathlib import Path

import pytest
from shotreel.media import MediaError, ffmpeg_exe, probe, probe_from_dict, probe_to_dict
from shotreel.project import load_project
from shotreel.takes import find_takes

from ._media_support import add_take, make_clip, tiny_example


def test_probe_reads_exact_frames_and_the_ntsc_rate(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "a.mp4", 37, Fraction(24000, 1001), size="96x54")
    info = probe(clip)
    assert info.frames == 37
    assert info.fps == Fraction(24000, 1001)
    assert (info.width, info.height, info.codec, info.has_audio) == (96, 54, "h264", False)
    assert info.duration == pytest.approx(37 * 1001 / 24000)


def test_probe_snaps_millisecond_timestamps_to_the_film_rate_and_sees_sound(tmp_path: Path) -> None:
    # webm keeps time in milliseconds: 29.97 comes out as 29.967 and must snap to 30000/1001
    clip = make_clip(tmp_path / "b.webm", 45, Fraction(30000, 1001), audio=True, codec="libvpx")
    info = probe(clip)
    assert info.fps == Fraction(30000, 1001)
    assert info.frames == 45
    assert info.has_audio and info.codec == "vp8"


@pytest.mark.parametrize(("fps", "frames", "suffix", "codec"),
                         [(25, 51, ".mov", "mpeg4"), (16, 33, ".mp4", "libx264"),
                          (30, 121, ".mkv", "libx264")])
def test_probe_other_rates_and_containers(tmp_path: Path, fps: int, frames: int, suffix: str,
                                          codec: str) -> None:
    info = probe(make_clip(tmp_path / f"c{suffix}", frames, fps, codec=codec))
    assert (info.fps, info.frames) == (Fraction(fps), frames)


def test_sidecar_round_trip_keeps_the_rate_exact(tmp_path: Path) -> None:
    info = probe(make_clip(tmp_path / "a.mp4", 24, Fraction(24000, 1001)))
    data = json.loads(json.dumps(probe_to_dict(info)))
    assert data["fps"] == "24000/1001" and data["frames"] == 24
    assert probe_from_dict(data) == info
    assert probe_from_dict({"fps": 23.976, "frames": 5}).fps == Fraction(24000, 1001)


def test_find_takes_reads_the_probe_from_the_sidecar(tmp_path: Path) -> None:
    folder = tmp_path / "film"
    tiny_example(folder, fps="23.976")
    add_take(folder, "sh030", "t1", 121, Fraction(24000, 1001))
    take = find_takes(load_project(folder))["sh030"][0]
    assert (take.frames, take.fps) == (121, Fraction(24000, 1001))


def test_probe_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(MediaError, match="missing.mp4: no such media file"):
        probe(tmp_path / "missing.mp4")
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"this is not a movie" * 10)
    with pytest.raises(MediaError, match="junk.mp4: is not a readable video"):
        probe(junk)
    wav = tmp_path / "tone.wav"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", "sine=d=0.2", str(wav)], check=True)
    with pytest.raises(MediaError, match="tone.wav: has no video stream"):
        probe(wav)
