"""Board renders in real Blender: one still per shot camera, at the film's size, into boards/, and never over a
board someone drew."""

from __future__ import annotations

import json

import bpy
import pytest
from PIL import Image
from shotreel.board_renders import RECORD
from shotreel.boards import draw_boards
from shotreel.project import load_project

from .conftest import set_yaml


@pytest.fixture
def laid_out(scene, example_dir):
    """The example at 320×180, laid out, with a red cube in front of sh010's camera only."""
    set_yaml(example_dir, "resolution: 1920x1080", "resolution: 320x180")
    assert bpy.ops.shotreel.build_layout(directory=str(example_dir)) == {"FINISHED"}
    bpy.ops.mesh.primitive_cube_add(size=2.0, location=(0.0, -5.0, 1.6))
    bpy.context.object.color = (1.0, 0.0, 0.0, 1.0)
    scene.display.shading.color_type = "OBJECT"
    return example_dir


def centre(path) -> tuple[int, int, int]:
    with Image.open(path) as image:
        return image.convert("RGB").getpixel((image.width // 2, image.height // 2))


def test_each_shot_gets_the_still_of_its_own_camera_at_the_film_size(laid_out, scene):
    scene.render.engine = "CYCLES"  # the artist's engine: boards use Workbench and leave it as it was
    scene.frame_set(700)
    editor = scene.sequence_editor_create()  # an edit in the same scene must not become the board
    strips = editor.strips if hasattr(editor, "strips") else editor.sequences
    strips.new_effect("grey", "COLOR", 1, frame_start=1, **({"length": 1440} if bpy.app.version >= (5, 0)
                                                              else {"frame_end": 1441}))
    assert bpy.ops.shotreel.render_boards() == {"FINISHED"}
    film = load_project(laid_out)
    boards = {shot.id: laid_out / "boards" / f"{shot.id}.png" for shot in film.shots()}
    for path in boards.values():
        with Image.open(path) as image:
            assert image.size == (320, 180) and image.format == "PNG"
    red = centre(boards["sh010"])
    assert red[0] > 150 and red[1] < 80 and red[2] < 80, red  # sh010 looks at the cube
    assert centre(boards["sh020"])[0] < 150, "sh020's camera stands elsewhere"
    assert (scene.render.engine, scene.frame_current, scene.render.use_sequencer) == ("CYCLES", 700, True)
    assert not list((laid_out / "boards").glob(".*")), "no render left half-way"
    record = json.loads((laid_out / RECORD).read_text())["renders"]
    assert sorted(record) == sorted(boards)


def test_a_board_drawn_by_hand_is_never_rendered_over(laid_out, scene):
    drawn = laid_out / "boards" / "sh020.png"
    drawn.parent.mkdir(exist_ok=True)
    Image.new("RGB", (320, 180), (10, 200, 10)).save(drawn)
    assert bpy.ops.shotreel.render_boards() == {"FINISHED"}
    assert centre(drawn) == (10, 200, 10)
    # a render painted over since is the artist's now; an untouched render is rendered again
    with Image.open(laid_out / "boards" / "sh030.png") as image:
        painted = image.convert("RGB")
    painted.putpixel((0, 0), (255, 255, 0))
    painted.save(laid_out / "boards" / "sh030.png")
    before = (laid_out / "boards" / "sh040.png").stat().st_mtime_ns
    assert bpy.ops.shotreel.render_boards() == {"FINISHED"}
    with Image.open(laid_out / "boards" / "sh030.png") as image:
        assert image.convert("RGB").getpixel((0, 0)) == (255, 255, 0)
    assert (laid_out / "boards" / "sh040.png").stat().st_mtime_ns != before


def test_shotreel_boards_keeps_the_renders_and_cards_give_way_to_them(laid_out, scene):
    film = load_project(laid_out)
    draw_boards(film)  # cards first, as `shotreel new` + `shotreel boards` leave them
    assert bpy.ops.shotreel.render_boards() == {"FINISHED"}  # the layout replaces the cards
    assert centre(laid_out / "boards" / "sh010.png")[0] > 150
    result = draw_boards(load_project(laid_out))  # and `shotreel boards` keeps the renders
    assert sorted(p.name for p in result.kept) == sorted(f"{s.id}.png" for s in film.shots())
    assert not result.written


def test_the_board_render_benchmark_runs_small(capsys):
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_blender_boards.py"
    spec = importlib.util.spec_from_file_location("bench_blender_boards", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    assert bench.main(["--size", "64x36", "--runs", "1", "--max-ratio", "100"]) == 0
    out = capsys.readouterr().out
    assert "shotreel render_boards" in out and "(12 boards in boards/)" in out and "ratio:" in out
