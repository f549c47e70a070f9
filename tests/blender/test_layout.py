"""The layout in real Blender: a camera and a bound marker per shot, at the film's exact rate, size and length."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from fractions import Fraction
from pathlib import Path

import bpy
import pytest
from shotreel.layout import layout_plan
from shotreel.project import load_project

from .conftest import set_yaml


def shot_cameras(scene) -> dict:
    return {obj["shotreel_shot"]: obj for obj in scene.objects if obj.type == "CAMERA" and "shotreel_shot" in obj}


def test_one_camera_and_one_bound_marker_per_shot_at_its_first_frame(scene, example_dir):
    assert bpy.ops.shotreel.build_layout(directory=str(example_dir)) == {"FINISHED"}
    film = load_project(example_dir)
    plan = layout_plan(film)
    assert (scene.render.fps, scene.render.fps_base) == (24, 1.0)
    assert (scene.render.resolution_x, scene.render.resolution_y) == (1920, 1080)
    assert (scene.frame_start, scene.frame_end) == (1, 1440)  # 60 s at 24 fps, end inclusive
    assert scene.view_settings.view_transform == "Standard"
    cameras = shot_cameras(scene)
    assert sorted(cameras) == sorted(s.id for s in film.shots())
    markers = sorted(scene.timeline_markers, key=lambda m: m.frame)
    assert [(m.name, m.frame, m.camera) for m in markers] == [(s.id, s.start, cameras[s.id]) for s in plan.shots]
    for shot in plan.shots:  # the view cuts like the reel: each shot's frames show its camera
        for frame in (shot.start, shot.end - 1):
            scene.frame_set(frame)
            assert scene.camera == cameras[shot.id], (shot.id, frame)
    lenses = {shot.id: (shot.camera.lens, cameras[shot.id].data.lens) for shot in film.shots()}
    assert lenses["sh010"] == ("50mm", 50.0) and lenses["sh030"] == ("85mm", 85.0)
    assert ("100mm macro", 100.0) in lenses.values()
    assert all(c.data.show_safe_areas and c.data.show_passepartout for c in cameras.values())


def test_23976_is_the_exact_rate(scene, example_dir):
    set_yaml(example_dir, "fps: 24\n", "fps: 23.976\n")
    assert bpy.ops.shotreel.build_layout(directory=str(example_dir)) == {"FINISHED"}
    from bl_ext.shotreel_dev.shotreel import compat

    assert (scene.render.fps, round(scene.render.fps_base, 6)) == (24, 1.001)
    assert compat.rate_of(scene) == Fraction(24000, 1001)


def test_building_again_keeps_what_the_artist_did_and_follows_the_shot_list(scene, example_dir):
    assert bpy.ops.shotreel.build_layout(directory=str(example_dir)) == {"FINISHED"}
    camera = shot_cameras(scene)["sh020"]
    camera.location = (1.0, 2.0, 3.0)  # the artist frames the shot
    set_yaml(example_dir, "lens: 35mm}", "lens: 28mm}")  # sh020's lens changes in the shot list
    set_yaml(example_dir, "      - id: sh120\n", "      - id: sh125\n")  # a shot renamed
    assert bpy.ops.shotreel.build_layout() == {"FINISHED"}  # the scene remembers its project
    cameras = shot_cameras(scene)
    assert cameras["sh020"] == camera and tuple(camera.location) == (1.0, 2.0, 3.0)
    assert camera.data.lens == 28.0
    assert "sh125" in cameras and "sh120" in cameras, "the old camera is left for the artist to delete"
    assert len(cameras) == 13 and len([o for o in scene.objects if o.type == "CAMERA"]) == 13
    assert scene.timeline_markers["sh125"].camera == cameras["sh125"]
    assert "sh120" not in scene.timeline_markers, "no marker cuts to the camera of a shot the film lost"
    assert sorted(m.name for m in scene.timeline_markers) == sorted(s.id for s in load_project(example_dir).shots())


def test_a_broken_project_is_one_line_and_changes_nothing(scene, example_dir):
    set_yaml(example_dir, "fps: 24\n", "fps: 23.5\n")
    with pytest.raises(RuntimeError, match=r"shotreel.yaml:5: fps 23.5 is not supported; use one of 23.976"):
        bpy.ops.shotreel.build_layout(directory=str(example_dir))  # Blender raises an operator's error report
    assert not shot_cameras(scene) and len(scene.timeline_markers) == 0


def test_the_manifest_passes_blenders_own_extension_validator(tmp_path):
    validator = Path(bpy.utils.system_resource("SCRIPTS")) / "addons_core" / "bl_pkg" / "cli" / "blender_ext.py"
    addon = Path(__file__).resolve().parents[2] / "blender_addon"
    done = subprocess.run([sys.executable, str(validator), "validate", str(addon)], capture_output=True, text=True,
                          check=False, cwd=tmp_path)
    assert done.returncode == 0 and "Success" in done.stdout, done.stdout + done.stderr
    built = subprocess.run([sys.executable, str(validator), "build", "--source-dir", str(addon), "--output-dir",
                            str(tmp_path)], capture_output=True, text=True, check=False, cwd=tmp_path)
    assert built.returncode == 0, built.stdout + built.stderr
    [package] = tmp_path.glob("shotreel-*.zip")
    names = zipfile.ZipFile(package).namelist()
    assert "blender_manifest.toml" in names and "layout/core.py" in names and "boards/ops.py" in names
    assert not [n for n in names if "__pycache__" in n]


def boards(scene) -> dict:
    return {obj["shotreel_board"]: obj for obj in scene.objects if "shotreel_board" in obj}


def frames(board) -> dict[int, int]:
    """A board's drawing frames: frame number → strokes."""
    layer = board.data.layers[0]
    return {f.frame_number: len((f.drawing if hasattr(f, "drawing") else f).strokes) for f in layer.frames}


def draw(board, frame: int, points=((-0.3, -0.15), (0.3, -0.15), (0.3, 0.15), (-0.3, 0.15))) -> None:
    """A filled stroke on ``board`` at ``frame``, as the artist would draw one (a new drawing frame if needed)."""
    layer = board.data.layers[0]
    found = next((f for f in layer.frames if f.frame_number == frame), None) or layer.frames.new(frame)
    drawing = found.drawing
    drawing.add_strokes([len(points)])
    stroke = drawing.strokes[len(drawing.strokes) - 1]
    for point, (x, y) in zip(stroke.points, points, strict=True):
        point.position, point.radius, point.opacity = (x, y, 0.0), 0.02, 1.0
    stroke.cyclic, stroke.fill_opacity = True, 1.0


def keyed_frames(obj) -> list[float]:
    from bl_ext.shotreel_dev.shotreel import compat

    return sorted({point.co[0] for curve in compat.fcurves(obj) for point in curve.keyframe_points})


def test_a_lens_set_by_hand_survives_building_again_even_when_the_shot_list_changes_it(scene, example_dir):
    assert bpy.ops.shotreel.build_layout(directory=str(example_dir)) == {"FINISHED"}
    cameras = shot_cameras(scene)
    cameras["sh030"].data.lens = 40.0  # the artist frames sh030 wider than the shot list's 85mm
    assert bpy.ops.shotreel.build_layout() == {"FINISHED"}
    assert cameras["sh030"].data.lens == 40.0, "a rerun with nothing changed keeps the artist's lens"
    set_yaml(example_dir, "lens: 85mm}", "lens: 100mm}")  # the shot list changes sh030's lens too: theirs wins
    set_yaml(example_dir, "lens: 35mm}", "lens: 28mm}")  # and sh020's, which nobody touched: it follows
    assert bpy.ops.shotreel.build_layout() == {"FINISHED"}
    assert cameras["sh030"].data.lens == 40.0 and cameras["sh020"].data.lens == 28.0
    assert bpy.ops.shotreel.build_layout() == {"FINISHED"}
    assert cameras["sh030"].data.lens == 40.0, "still theirs the time after"
    cameras["sh030"].data.lens = 100.0  # the artist comes round to the shot list's lens: it follows it again
    assert bpy.ops.shotreel.build_layout() == {"FINISHED"}
    set_yaml(example_dir, "lens: 100mm}", "lens: 90mm}")
    assert bpy.ops.shotreel.build_layout() == {"FINISHED"}
    assert cameras["sh030"].data.lens == 90.0


def test_retiming_a_shot_moves_the_later_shots_keys_markers_and_drawings_with_them(scene, example_dir):
    assert bpy.ops.shotreel.build_layout(directory=str(example_dir)) == {"FINISHED"}
    cameras, sheets = shot_cameras(scene), boards(scene)
    sh010, sh040 = cameras["sh010"], cameras["sh040"]
    assert scene.timeline_markers["sh040"].frame == 361
    for frame, y in ((361, -10.0), (400, -8.0)):  # the artist animates sh040's push in, and sh010 too
        sh040.location.y = y
        sh040.keyframe_insert("location", frame=frame)
    sh040.data.keyframe_insert("lens", frame=380)
    sh010.keyframe_insert("location", frame=20)
    draw(sheets["sh040"], 361)
    draw(sheets["sh040"], 370)  # a second drawing in the shot
    assert frames(sheets["sh040"]) == {361: 1, 370: 1, 481: 0}  # shows on the shot's frames only
    set_yaml(example_dir, "duration: 5s\n", "duration: 6s\n")  # sh020 gets a second longer: everything after moves
    assert bpy.ops.shotreel.build_layout() == {"FINISHED"}
    assert scene.timeline_markers["sh040"].frame == 385 and scene.timeline_markers["sh030"].frame == 289
    assert keyed_frames(sh040) == [385.0, 424.0] and keyed_frames(sh040.data) == [404.0]
    assert keyed_frames(sh010) == [20.0], "a shot that did not move keeps its keys"
    assert frames(sheets["sh040"]) == {385: 1, 394: 1, 505: 0}
    assert frames(sheets["sh020"]) == {145: 0, 289: 0}, "sh020's board now ends where sh020 does"
    scene.frame_set(384)
    assert scene.camera == cameras["sh030"]
    scene.frame_set(385)
    assert scene.camera == sh040 and sh040.location.y == -10.0  # its animation starts with it
    assert bpy.ops.shotreel.build_layout() == {"FINISHED"}  # and again: nothing moves twice
    assert keyed_frames(sh040) == [385.0, 424.0] and frames(sheets["sh040"]) == {385: 1, 394: 1, 505: 0}


def test_a_new_shots_camera_stands_apart_from_every_camera_there(scene, example_dir):
    assert bpy.ops.shotreel.build_layout(directory=str(example_dir)) == {"FINISHED"}
    set_yaml(example_dir, "      - id: sh020\n", "      - id: sh015\n        beat: alone\n        duration: 2s\n"
             "        action: A new insert.\n      - id: sh020\n")
    assert bpy.ops.shotreel.build_layout() == {"FINISHED"}
    cameras = shot_cameras(scene)
    new = cameras.pop("sh015")
    nearest = min((new.location - camera.location).length for camera in cameras.values())
    assert nearest >= 3.0, nearest
    assert scene.timeline_markers["sh015"].camera == new and scene.timeline_markers["sh015"].frame == 145
    assert scene.timeline_markers["sh020"].frame == 193


def test_the_sidebar_follows_the_current_frame_with_the_shot_as_a_board_artist_reads_it(scene, example_dir):
    from bl_ext.shotreel_dev.shotreel.layout import core, ui

    assert bpy.ops.shotreel.build_layout(directory=str(example_dir)) == {"FINISHED"}
    assert ui.redraw_sidebar in bpy.app.handlers.frame_change_post  # a new frame redraws the sidebar
    scene.frame_set(372)  # inside sh040 (frames 361-480)
    lines = core.sidebar_lines(scene, 34)
    text = [line.text for line in lines]
    assert text[:2] == ["Shot: sh040", "frame 12 of 120"]
    assert "Beat: sign" in text and "Duration: 5s · 120 frames" in text
    assert all(len(t) <= 34 for t in text), "wrapped to the sidebar"
    words = " ".join(text)
    for said in ("01:00:15:00 – 01:00:20:00", "Mara turns. At the corridor's end", "MARA (whispering): That bay's",
                 "MCU · over the shoulder · pull out · 50mm", "Same light as sh020"):
        assert said in words, said
    scene.frame_set(144)  # sh010's last frame
    assert [line.text for line in core.sidebar_lines(scene, 34)][:2] == ["Shot: sh010", "frame 144 of 144"]
    set_yaml(example_dir, "      - id: sh040\n        beat: sign\n", "      - id: sh040\n        beat: reveal\n")
    assert bpy.ops.shotreel.build_layout() == {"FINISHED"}
    scene.frame_set(400)
    assert "Beat: reveal" in [line.text for line in core.sidebar_lines(scene, 34)]
    scene.frame_set(0)
    assert core.sidebar_lines(scene, 34) == [], "before the film: no shot"


def test_the_build_layout_benchmark_runs_small(capsys):
    import importlib.util

    path = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_blender_layout.py"
    spec = importlib.util.spec_from_file_location("bench_blender_layout", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    assert bench.main(["--shots", "20", "--runs", "1", "--limit", "30"]) == 0
    out = capsys.readouterr().out
    assert "Build Layout, 20 shots" in out and "first build :" in out and "built again :" in out
