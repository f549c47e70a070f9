"""OTIO in: a cut from an editor (OTIO, FCP7 XML, EDL) imported into the reel's sequencer places boards and
takes exactly where Load Reel puts the same reel, the chosen take playing with its trims, the beats as markers."""

from __future__ import annotations

import bpy
import pytest
from shotreel.boards import draw_boards
from shotreel.checks import run_checks
from shotreel.interchange import write_reel
from shotreel.project import load_project
from shotreel.reel import build_reel

from .test_takes import add_take, tagged


@pytest.fixture
def film(scene, example_dir):
    draw_boards(load_project(example_dir))
    add_take(example_dir, "sh030", "t001")
    add_take(example_dir, "sh030", "t002")
    add_take(example_dir, "sh050", "t001", frames=60)  # runs short: the board shows after it
    add_take(example_dir, "sh070", "t001")
    (example_dir / "selects.yaml").write_text(
        "shots:\n  sh030: {take: t002, in: 10}\n  sh070: {take: t001, in: 4, out: 52}\n", encoding="utf-8")
    scene.shotreel.project = str(example_dir)
    return example_dir


def strips(reel) -> list[tuple]:
    return sorted((k[0], k[1], k[2], s.channel, s.frame_final_start, s.frame_final_end, s.frame_offset_start,
                   s.mute) for k, s in tagged(reel).items())


@pytest.mark.parametrize("suffix", [".otio", ".xml", ".edl"])
def test_importing_shotreel_reels_output_matches_load_reel_frame_for_frame(film, suffix, tmp_path):
    assert bpy.ops.shotreel.load_reel() == {"FINISHED"}
    loaded = load_project(film)
    reel = bpy.data.scenes[f"{loaded.title} reel"]
    expected = strips(reel)
    beats = sorted((m.name, m.frame) for m in reel.timeline_markers)
    cut = tmp_path / f"reel{suffix}"  # as `shotreel reel DIR -o reel.xml` writes it
    write_reel(build_reel(loaded, findings=run_checks(loaded).findings), cut)
    for strip in list(tagged(reel).values()):  # the reel scene as someone left it: emptied
        (reel.sequence_editor.strips if hasattr(reel.sequence_editor, "strips") else
         reel.sequence_editor.sequences).remove(strip)
    assert bpy.ops.shotreel.import_cut(filepath=str(cut), scene_name=reel.name) == {"FINISHED"}
    assert strips(reel) == expected
    chosen = tagged(reel)[("take", "sh030", "t002")]
    assert not chosen.mute and chosen.frame_offset_start == 10, "the chosen take plays from its trim in"
    trimmed = tagged(reel)[("take", "sh070", "t001")]
    assert trimmed.frame_final_duration == 48, "the select's trims are the shot's length"
    markers = sorted((m.name, m.frame) for m in reel.timeline_markers)
    if suffix == ".edl":  # EDL locators carry a name only (no beat title in a comment) but sit on the beat
        assert sorted(f for _, f in markers) == sorted(f for _, f in beats)
    else:
        assert markers == beats
    assert load_project(film).root and (film / "selects.yaml").read_text(encoding="utf-8").count("take:") == 2


def test_a_cut_that_is_not_a_cut_is_one_line(film, tmp_path):
    bad = tmp_path / "broken.otio"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(RuntimeError, match="broken.otio.*not valid JSON"):
        bpy.ops.shotreel.import_cut(filepath=str(bad))
