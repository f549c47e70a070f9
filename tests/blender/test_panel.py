"""What the sequencer's Shotreel panel tells the artist when something is wrong: a project that fails
``shotreel check`` or does not load, a board file that vanished; one line a problem naming the shot (or the
file and line), and nothing the artist made lost."""

from __future__ import annotations

import bpy
import pytest
from shotreel.boards import draw_boards
from shotreel.project import load_project

from .conftest import set_yaml
from .test_takes import add_take, tagged


def problems(scene) -> list[str]:
    return [line.text for line in scene.shotreel.problems]


def reel_of(folder):
    return bpy.data.scenes[f"{load_project(folder).title} reel"]


def test_a_project_that_fails_check_opens_with_its_errors_and_a_fixed_one_without(scene, example_dir):
    scene.shotreel.project = str(example_dir)
    set_yaml(example_dir, "- id: sh020\n        beat: alone", "- id: sh020\n        beat: lonely")
    assert bpy.ops.shotreel.load_reel() == {"FINISHED"}, "the reel still opens: the check is advice, not a wall"
    reel = reel_of(example_dir)
    lines = [line for line in problems(reel) if "error:" in line]
    assert len(lines) == 1, problems(reel)
    line = (example_dir / "shotreel.yaml").read_text(encoding="utf-8").splitlines().index("      - id: sh020") + 1
    assert lines[0] == f"{example_dir / 'shotreel.yaml'}:{line}: error: shot sh020: beat 'lonely' does not exist; " \
        "did you mean 'alone'?", lines[0]
    assert len([k for k in tagged(reel) if k[0] == "board"]) == 12
    # fixed in the shot list: loading again shows the check as it is now, not the last one's lines
    set_yaml(example_dir, "beat: lonely", "beat: alone")
    assert bpy.ops.shotreel.load_reel() == {"FINISHED"}
    assert not [line for line in problems(reel) if "error:" in line], problems(reel)
    # broken again the same way: the line comes back
    set_yaml(example_dir, "- id: sh020\n        beat: alone", "- id: sh020\n        beat: lonely")
    assert bpy.ops.shotreel.load_reel() == {"FINISHED"}
    assert [line for line in problems(reel) if "error:" in line] == lines


def test_a_project_that_does_not_load_lists_every_problem_in_the_panel_and_keeps_the_reel(scene, example_dir):
    scene.shotreel.project = str(example_dir)
    assert bpy.ops.shotreel.load_reel() == {"FINISHED"}
    reel = reel_of(example_dir)
    before = {key: (s.frame_final_start, s.frame_final_end) for key, s in tagged(reel).items()}
    set_yaml(example_dir, "duration: 6s", "duration: six seconds")
    set_yaml(example_dir, "duration: 4s", "duration: -4s")
    with pytest.raises(RuntimeError, match=r"shotreel.yaml:\d+"):
        bpy.ops.shotreel.load_reel()  # Blender raises an operator's error report
    here = bpy.context.scene
    lines = problems(here)
    assert len(lines) == 2, lines
    assert any(":70:" in line and "sh010" in line for line in lines), lines
    assert any("sh030" in line for line in lines), lines
    assert {key: (s.frame_final_start, s.frame_final_end) for key, s in tagged(reel).items()} == before, \
        "a project that does not load changes nothing in the reel"


def test_a_board_file_that_vanished_is_a_line_naming_the_shot_and_the_cut_keeps_its_place(scene, example_dir):
    draw_boards(load_project(example_dir))
    add_take(example_dir, "sh020", "t001")
    scene.shotreel.project = str(example_dir)
    assert bpy.ops.shotreel.load_reel() == {"FINISHED"}
    reel = reel_of(example_dir)
    board = tagged(reel)[("board", "sh020", "")]
    assert board.type == "IMAGE"
    frames = (board.frame_final_start, board.frame_final_end)
    (example_dir / "boards" / "sh020.png").unlink()
    assert bpy.ops.shotreel.load_reel() == {"FINISHED"}
    assert "shot sh020: its board file is gone; a grey placeholder shows" in problems(reel)
    strips = tagged(reel)
    placeholder = strips[("board", "sh020", "")]
    assert (placeholder.type, placeholder.frame_final_start, placeholder.frame_final_end) == ("COLOR", *frames)
    assert strips[("take", "sh020", "t001")].frame_final_start == frames[0], "its take is still there"
    assert len([k for k in strips if k[0] == "board"]) == 12


def test_a_board_the_shot_list_names_that_is_not_on_disk_is_a_line_naming_the_shot(scene, example_dir):
    draw_boards(load_project(example_dir))
    set_yaml(example_dir, "- id: sh030\n        beat: sign",
             "- id: sh030\n        boards: boards/sh030-hand-drawn.png\n        beat: sign")
    scene.shotreel.project = str(example_dir)
    assert bpy.ops.shotreel.load_reel() == {"FINISHED"}
    reel = reel_of(example_dir)
    lines = [line for line in problems(reel) if "sh030" in line]
    assert any("error: shot sh030: board file 'boards/sh030-hand-drawn.png' is missing" in line for line in lines)
    assert "shot sh030: board boards/sh030-hand-drawn.png is not there (a grey placeholder shows)" in lines
    # the shot shows the board shotreel drew for it meanwhile
    assert tagged(reel)[("board", "sh030", "")].type == "IMAGE"
    # drawn now: loading again shows it and the lines are gone (the check looks again when a file changed)
    from PIL import Image

    Image.new("RGB", (1920, 1080), (200, 40, 40)).save(example_dir / "boards" / "sh030-hand-drawn.png")
    assert bpy.ops.shotreel.load_reel() == {"FINISHED"}
    assert not [line for line in problems(reel) if "sh030" in line], problems(reel)
    board = tagged(reel)[("board", "sh030", "")]
    assert board.elements[0].filename == "sh030-hand-drawn.png"


def test_a_take_that_will_not_decode_is_a_line_naming_the_shot_and_the_rest_of_the_reel_loads(scene, example_dir):
    add_take(example_dir, "sh030", "t001")
    add_take(example_dir, "sh040", "t001")
    (example_dir / "takes" / "sh040" / "t001.mp4").write_bytes(b"\0" * 4096)  # a download cut short
    scene.shotreel.project = str(example_dir)
    assert bpy.ops.shotreel.load_reel() == {"FINISHED"}
    reel = reel_of(example_dir)
    lines = [line for line in problems(reel) if "sh040" in line]
    assert lines == [("shot sh040: take t001 (t001.mp4) cannot be opened: Blender finds no video in it; left out "
                      "of the reel")], lines
    strips = tagged(reel)
    assert ("take", "sh040", "t001") not in strips and ("take", "sh030", "t001") in strips
    assert len([k for k in strips if k[0] == "board"]) == 12, "its shot keeps its board, the cut its length"
    assert (example_dir / "takes" / "sh040" / "t001.mp4").stat().st_size == 4096, "the file is left as it was"
