"""The reel's Dialogue, Music and Effects tracks: real voice, music and sfx clips at their exact record
frames, read back from OTIO, FCP7 XML and AAF at every rate."""

from __future__ import annotations

import subprocess

import opentimelineio as otio
import pytest
from shotreel.finishing.voices import scratch_voices
from shotreel.interchange import write_reel
from shotreel.media import ffmpeg_exe
from shotreel.project import load_project
from shotreel.reel import build_reel

FILM = """\
title: Sound reel
fps: {fps}
music: {{file: music/bed.wav, start: 12f, level: -12}}
scenes:
  - id: sc1
    shots:
      - {{id: sh010, beat: a, duration: 3s, sfx: [{{file: sfx/click.wav, offset: 6f}}],
          dialogue: [{{character: MARA, line: Is anyone there?}}, {{character: OSKAR, line: Me., at: 2s}}]}}
      - {{id: sh020, beat: a, duration: 4s, dialogue: [{{character: MARA, line: Stay close., at: 1s}}]}}
"""


@pytest.mark.parametrize("fps", ["23.976", "24", "25", "29.97", "30"])
@pytest.mark.parametrize("suffix", [".otio", ".xml", ".aaf"])
def test_voices_music_and_effects_sit_on_their_record_frames(tmp_path, fps, suffix):
    folder = tmp_path / "film"
    (folder / "music").mkdir(parents=True)
    (folder / "sfx").mkdir()
    (folder / "shotreel.yaml").write_text(FILM.format(fps=fps))
    for path, source in (("music/bed.wav", "sine=f=110:d=20"), ("sfx/click.wav", "sine=f=900:d=0.5")):
        subprocess.run([ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", source, str(folder / path)], check=True)
    film = load_project(folder)
    voices = scratch_voices(film)
    write_reel(build_reel(film), tmp_path / f"reel{suffix}")
    read = otio.adapters.read_from_file(str(tmp_path / f"reel{suffix}"))
    audio = [t for t in read.tracks if t.kind == otio.schema.TrackKind.Audio]
    assert len(audio) == 3
    rate = float(film.fps)

    def placed(track):
        return [(round(c.range_in_parent().start_time.rescaled_to(rate).value),
                 c.media_reference.target_url.rsplit("/", 1)[-1]) for c in track.find_clips()]

    dialogue, music, effects = audio
    assert placed(dialogue) == [(c.record_in, c.path.name) for c in voices.clips]
    assert placed(music) == [(12, "bed.wav")]
    assert placed(effects) == [(6, "click.wav")]
    if suffix == ".otio":  # FCP7 XML and AAF keep the audio tracks in order but not their names
        assert [t.name for t in audio] == ["Dialogue", "Music", "Effects"]
