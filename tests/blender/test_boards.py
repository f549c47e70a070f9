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


def boards_core():
    import importlib

    return importlib.import_module("bl_ext.shotreel_dev.shotreel.boards.core")


def written(folder) -> list[str]:
    return sorted(p.stem for p in (folder / "boards").glob("*.png"))


def test_render_boards_renders_the_current_shot_or_the_selected_shots_only(laid_out, scene):
    scene.frame_set(300)  # inside sh030
    assert bpy.ops.shotreel.render_boards(which="CURRENT") == {"FINISHED"}
    assert written(laid_out) == ["sh030"]
    cameras = {obj["shotreel_shot"]: obj for obj in scene.objects if "shotreel_shot" in obj}
    board = next(obj for obj in scene.objects if obj.get("shotreel_board") == "sh070")
    for obj in scene.objects:
        obj.select_set(obj in (cameras["sh010"], board))  # a camera, and a shot's board
    assert bpy.ops.shotreel.render_boards(which="SELECTED") == {"FINISHED"}
    assert written(laid_out) == ["sh010", "sh030", "sh070"]
    for obj in scene.objects:
        obj.select_set(False)
    with pytest.raises(RuntimeError, match="select a shot's camera or board"):
        bpy.ops.shotreel.render_boards(which="SELECTED")
    assert written(laid_out) == ["sh010", "sh030", "sh070"]


def test_every_board_is_stamped_with_its_shot_and_lens_and_burned_in_on_request(laid_out, scene):
    shots = {"sh020", "sh030"}
    assert bpy.ops.shotreel.render_boards(which="ALL") == {"FINISHED"}
    with Image.open(laid_out / "boards" / "sh030.png") as image:
        assert image.text["Note"] == "sh030 85mm" and float(image.text["Lens"]) == 85.0
        clean = image.convert("RGB")
    scene.shotreel_boards.burn_in = True
    film = load_project(laid_out)
    boards_core().render_boards(scene, film, layout_plan(film), shots, burn_in=True)
    with Image.open(laid_out / "boards" / "sh030.png") as image:
        stamped = image.convert("RGB")
    corner = [(x, y) for x in range(80) for y in range(16)]  # the note, top left
    assert max(sum(stamped.getpixel(p)) for p in corner) > 600, "the shot and lens are drawn on the board"
    assert max(sum(clean.getpixel(p)) for p in corner) < 100, "and only there when asked"
    assert stamped.getpixel((160, 90)) == clean.getpixel((160, 90))
    assert not scene.render.use_stamp and scene.render.use_stamp_date, "the scene's own stamp is put back"


def test_a_batch_renders_one_board_per_step_with_its_progress_and_cancels_cleanly(laid_out, scene):
    scene.render.engine = "CYCLES"
    scene.frame_set(700)
    film = load_project(laid_out)
    batch = boards_core().BoardBatch(scene, film, layout_plan(film))
    assert (batch.total, batch.progress, batch.status()) == (12, 0.0, "Rendering boards 1/12: sh010 (Esc to cancel)")
    assert batch.step() is True
    assert written(laid_out) == ["sh010"] and batch.progress == 1 / 12  # one board per event: Blender stays live
    assert batch.status() == "Rendering boards 2/12: sh020 (Esc to cancel)"
    assert batch.step() is True and batch.step() is True
    assert written(laid_out) == ["sh010", "sh020", "sh030"]
    batch.cancel()
    assert batch.finished and batch.status() == "Render Boards cancelled: 3 of 12 rendered"
    assert batch.step() is False and written(laid_out) == ["sh010", "sh020", "sh030"]
    assert (scene.render.engine, scene.frame_current) == ("CYCLES", 700), "the scene is the artist's again"
    assert not list((laid_out / "boards").glob(".*")), "no render left half-way"
    rest = boards_core().BoardBatch(scene, load_project(laid_out), layout_plan(film))
    while rest.step():
        pass
    assert rest.done == 12 and len(written(laid_out)) == 12 and rest.status() == "12 boards rendered"
