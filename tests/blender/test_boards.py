"""Board renders in real Blender: one still per shot camera, at the film's size, into boards/, and never over a
board someone drew."""

from __future__ import annotations

import json

import bpy
import pytest
from PIL import Image
from shotreel.board_renders import RECORD
from shotreel.boards import draw_boards
from shotreel.layout import layout_plan
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


def test_every_shot_has_a_grease_pencil_board_in_front_of_its_camera_on_its_frames_ready_to_draw(laid_out, scene):
    from .test_layout import boards, frames

    cameras = {obj["shotreel_shot"]: obj for obj in scene.objects if "shotreel_shot" in obj}
    film = load_project(laid_out)
    plan = {shot.id: shot for shot in layout_plan(film).shots}
    sheets = boards(scene)
    assert sorted(sheets) == sorted(plan)
    for shot_id, board in sheets.items():
        camera = cameras[shot_id]
        assert board.type == ("GREASEPENCIL" if bpy.app.version >= (4, 3) else "GPENCIL")
        assert board.parent == camera and tuple(board.location)[:2] == (0.0, 0.0)
        assert abs(-board.location.z - camera.data.lens / 36.0) < 1e-6  # where the frame is one unit wide
        assert frames(board) == {plan[shot_id].start: 0, plan[shot_id].end: 0}  # empty, and only on its frames
        assert board.data.layers.active.name == "Board" and board.data.materials[0].name == "Shotreel ink"
    scene.frame_set(plan["sh020"].start + 10)
    assert bpy.ops.shotreel.draw_board() == {"FINISHED"}
    assert bpy.context.object == sheets["sh020"] and bpy.context.object.mode in ("PAINT_GREASE_PENCIL",
                                                                                 "PAINT_GPENCIL")
    assert scene.camera == cameras["sh020"]
    bpy.ops.object.mode_set(mode="OBJECT")


def test_a_drawn_board_is_rendered_as_the_shots_board_and_fills_its_frame(laid_out, scene):
    from .test_layout import boards, draw

    board = boards(scene)["sh020"]
    green = bpy.data.materials.new("green")
    bpy.data.materials.create_gpencil_data(green)
    green.grease_pencil.color = green.grease_pencil.fill_color = (0.0, 1.0, 0.0, 1.0)
    green.grease_pencil.show_fill = True
    board.data.materials.append(green)
    draw(board, 145, ((-0.5, -0.2), (0.5, -0.2), (0.5, 0.2), (-0.5, 0.2)))  # the frame's whole width
    drawing = next(f for f in board.data.layers[0].frames if f.frame_number == 145).drawing
    drawing.strokes[0].material_index = 1
    assert bpy.ops.shotreel.render_boards() == {"FINISHED"}
    with Image.open(laid_out / "boards" / "sh020.png") as image:
        rgb = image.convert("RGB")
        for x in (2, 160, 317):  # edge to edge
            r, g, b = rgb.getpixel((x, 90))
            assert g > 200 and r < 60 and b < 60, (x, (r, g, b))
        assert rgb.getpixel((160, 10))[1] < 100, "above the drawing the view shows through"
    for other in ("sh010", "sh030"):  # its drawing is sh020's alone
        assert centre(laid_out / "boards" / f"{other}.png")[1] < 100
