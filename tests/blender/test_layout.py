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
