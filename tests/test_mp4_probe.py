"""Probing MP4 / QuickTime clips in-process: the box-index reader agrees with ffmpeg field by field,
and hands every file it cannot be sure of (truncated, fragmented, trimmed, not MP4) back to ffmpeg."""

from __future__ import annotations

import dataclasses
import shutil
import struct
import subprocess
from fractions import Fraction
from pathlib import Path

import pytest
from PIL import Image
from shotreel import media
from shotreel.media import MediaError, Probe, ffmpeg_exe, ffmpeg_rate, probe
from shotreel.mp4 import read_video

from .servers.media import clip as provider_clip

NTSC_FILM, NTSC_VIDEO = Fraction(24000, 1001), Fraction(30000, 1001)


def _make(path: Path, fps: Fraction | int, frames: int, *, size: str = "64x36", codec: str = "libx264",
          audio: bool = False, extra: tuple[str, ...] = ()) -> Path:
    """A clip of ``frames`` frames of ffmpeg's moving test pattern; H.264 with B-frames by default."""
    rate = ffmpeg_rate(Fraction(fps))
    cmd = [ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc=size={size}:rate={rate}"]
    if audio:
        seconds = float(frames / Fraction(fps))
        cmd += ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={seconds:.3f}"]
    cmd += ["-frames:v", str(frames), "-c:v", codec]
    if codec == "libx264":
        cmd += ["-preset", "veryfast", "-pix_fmt", "yuv420p"]  # veryfast keeps B-frames (ultrafast has none)
    if audio:
        cmd += ["-c:a", "aac"]
    subprocess.run(cmd + list(extra) + [str(path)], check=True)
    return path


def _outcome(call, path: Path) -> Probe | str:
    """What a prober gives for ``path``: its probe, or the message of the MediaError it raises."""
    try:
        return call(path)
    except MediaError as exc:
        return f"MediaError: {exc}"


def _assert_agrees(path: Path) -> Probe:
    """The in-process reader answered, and every field equals what the ffmpeg path reports."""
    fast = media._probe_mp4(path)
    assert fast is not None, f"{path.name}: the reader fell back to ffmpeg"
    slow = media._probe_ffmpeg(path)
    for field in dataclasses.fields(Probe):
        assert getattr(fast, field.name) == getattr(slow, field.name), (path.name, field.name)
    assert probe(path) == slow
    return fast


def _assert_falls_back(path: Path) -> None:
    """The reader declines, and probe() gives exactly what ffmpeg gives (a probe or the same error)."""
    assert read_video(path) is None
    assert _outcome(probe, path) == _outcome(media._probe_ffmpeg, path)


def _elst(path: Path) -> tuple[int, int]:
    """(segment duration, media time) of the first edit of the first ``elst`` (version 0) in the file."""
    data = path.read_bytes()
    at = data.index(b"elst") + 4
    assert data[at] == 0
    return struct.unpack_from(">Ii", data, at + 8)


@pytest.mark.parametrize(("fps", "frames"), [(24, 121), (25, 241), (30, 121), (NTSC_FILM, 241),
                                             (NTSC_VIDEO, 121)])
def test_h264_with_b_frames_and_an_edit_list_is_read_in_process(tmp_path: Path, fps, frames: int) -> None:
    clip = _make(tmp_path / "take.mp4", fps, frames)
    data = clip.read_bytes()
    assert b"ctts" in data and _elst(clip)[1] > 0  # B-frame delay: the muxer's one edit starts later
    info = _assert_agrees(clip)
    assert (info.fps, info.frames, info.width, info.height, info.codec) == (Fraction(fps), frames, 64, 36,
                                                                           "h264")
    assert info.duration == pytest.approx(float(frames / Fraction(fps)))


@pytest.mark.parametrize(("name", "fps", "frames", "codec", "audio"),
                         [("sound.mp4", NTSC_FILM, 121, "libx264", True),
                          ("mpeg4.mp4", 25, 121, "mpeg4", True),
                          ("mpeg4.mov", NTSC_VIDEO, 241, "mpeg4", False),
                          ("h264.mov", 24, 121, "libx264", True)])
def test_other_codecs_containers_and_sound_agree(tmp_path: Path, name: str, fps, frames: int, codec: str,
                                                 audio: bool) -> None:
    info = _assert_agrees(_make(tmp_path / name, fps, frames, codec=codec, audio=audio))
    assert (info.fps, info.frames, info.has_audio) == (Fraction(fps), frames, audio)
    assert info.codec == ("h264" if codec == "libx264" else "mpeg4")


@pytest.mark.parametrize(("fps", "frames", "width", "height"),
                         [(24, 121, 1280, 720), (NTSC_FILM, 241, 1104, 832)])
def test_provider_sized_takes_agree(tmp_path: Path, fps, frames: int, width: int, height: int) -> None:
    clip = shutil.copy(provider_clip(fps, frames, width, height), tmp_path / "take.m4v")
    info = _assert_agrees(Path(clip))
    assert (info.fps, info.frames, info.width, info.height) == (Fraction(fps), frames, width, height)


def test_a_free_box_after_the_movie_is_still_read(tmp_path: Path) -> None:
    clip = _make(tmp_path / "take.mp4", 24, 121)
    with clip.open("ab") as out:
        out.write(struct.pack(">I4s", 24, b"free") + bytes(16))
    assert _assert_agrees(clip).frames == 121


def test_truncated_clips_go_to_ffmpeg(tmp_path: Path) -> None:
    whole = _make(tmp_path / "whole.mp4", 24, 121, extra=("-movflags", "+faststart"))
    data = whole.read_bytes()
    cut_media = tmp_path / "cut_media.mp4"  # index first, media data cut short
    cut_media.write_bytes(data[:len(data) // 2])
    _assert_falls_back(cut_media)
    late = _make(tmp_path / "late.mp4", 24, 121)
    cut_index = tmp_path / "cut_index.mp4"  # index last, cut inside it
    cut_index.write_bytes(late.read_bytes()[:-200])
    _assert_falls_back(cut_index)


def test_files_that_are_not_mp4_give_what_ffmpeg_gives(tmp_path: Path) -> None:
    picture = tmp_path / "still.mp4"  # a PNG named .mp4: ffmpeg reads it as a one-frame png video
    Image.new("RGB", (64, 36), "red").save(picture, format="PNG")
    _assert_falls_back(picture)
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"this is not a movie" * 10)
    _assert_falls_back(junk)
    with pytest.raises(MediaError, match="junk.mp4: is not a readable video"):
        probe(junk)
    with pytest.raises(MediaError, match="gone.mp4: no such media file"):
        probe(tmp_path / "gone.mp4")


def test_sound_only_mp4_has_no_video_stream(tmp_path: Path) -> None:
    tone = tmp_path / "tone.mp4"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", "sine=d=0.3", "-c:a", "aac", str(tone)],
                   check=True)
    _assert_falls_back(tone)
    with pytest.raises(MediaError, match="tone.mp4: has no video stream"):
        probe(tone)


@pytest.mark.parametrize(("name", "codec"), [("take.webm", "libvpx"), ("take.mkv", "libx264")])
def test_webm_and_mkv_go_to_ffmpeg(tmp_path: Path, name: str, codec: str) -> None:
    clip = _make(tmp_path / name, NTSC_VIDEO, 45, codec=codec)
    _assert_falls_back(clip)
    assert (probe(clip).fps, probe(clip).frames) == (NTSC_VIDEO, 45)


def test_an_edit_that_skips_frames_goes_to_ffmpeg(tmp_path: Path) -> None:
    clip = _make(tmp_path / "trimmed.mp4", NTSC_FILM, 121)
    data = bytearray(clip.read_bytes())
    at = data.index(b"elst") + 4
    duration, media_time = _elst(clip)
    struct.pack_into(">Ii", data, at + 8, duration - 10 * 1001, media_time + 10 * 1001)  # hide 10 frames
    clip.write_bytes(bytes(data))
    _assert_falls_back(clip)


def test_fragmented_and_variable_rate_clips_go_to_ffmpeg(tmp_path: Path) -> None:
    fragmented = _make(tmp_path / "frag.mp4", 24, 49, extra=("-movflags", "+frag_keyframe+empty_moov"))
    _assert_falls_back(fragmented)
    assert probe(fragmented).frames == 49
    variable = _make(tmp_path / "gap.mp4", 24, 49, extra=("-vf", "select=not(eq(n\\,5))",
                                                          "-fps_mode", "passthrough"))
    data = variable.read_bytes()
    stts = data.index(b"stts") + 4
    assert struct.unpack_from(">I", data, stts + 4)[0] > 1  # more than one sample duration
    _assert_falls_back(variable)
