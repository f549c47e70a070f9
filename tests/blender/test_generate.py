"""Generating takes from Blender: the core's engine on a worker thread, progress in the scene, the takes landing
in the reel when the run ends; Blender data touched only on the main thread (headless, timers never fire: the
tests call the timer's function, as Blender would)."""

from __future__ import annotations

import bpy
import pytest
from shotreel.boards import draw_boards
from shotreel.project import load_project

from .conftest import MODULE, set_yaml


@pytest.fixture
def generation():
    import importlib

    core = importlib.import_module(f"{MODULE}.generate.core")
    yield core
    core.stop_all()
    assert not bpy.app.timers.is_registered(core.tick), "no timer left behind (Blender 4.5 hangs at exit)"


@pytest.fixture
def project(scene, example_dir):
    set_yaml(example_dir, "resolution: 1920x1080", "resolution: 320x180")
    draw_boards(load_project(example_dir))
    scene.shotreel.project = str(example_dir)
    return example_dir


def test_selected_shots_get_takes_that_land_in_the_reel(scene, project, generation):
    assert bpy.ops.shotreel.load_reel() == {"FINISHED"}
    reel = bpy.data.scenes[f"{load_project(project).title} reel"]
    for strip in reel.sequence_editor.strips if hasattr(reel.sequence_editor, "strips") else \
            reel.sequence_editor.sequences:
        strip.select = strip.name in ("sh010", "sh020")
    # the scene by name, not context.temp_override: Blender 4.5 can crash when an operator runs inside an
    # override while another thread runs Python (reproduced with a plain select_all), and a run is one
    assert reel.shotreel.provider == "animatic"  # the offline provider comes first
    assert bpy.ops.shotreel.generate_takes(scene_name=reel.name) == {"FINISHED"}
    run = generation.running(reel)
    assert run is not None and bpy.app.timers.is_registered(generation.tick)
    run.thread.join(120)
    assert generation.tick() is None  # the run ended: reported, landed, timer gone
    assert reel.shotreel.generation_status.startswith("2 done, 0 failed")
    assert reel.shotreel.generation_progress == 1.0
    assert sorted(p.parent.name for p in (project / "takes").glob("*/t001.mp4")) == ["sh010", "sh020"]
    landed = {s["shotreel"]["shot"]: s for s in (reel.sequence_editor.strips if hasattr(reel.sequence_editor, "strips")
                                                 else reel.sequence_editor.sequences)
              if "shotreel" in s and s["shotreel"]["kind"] == "take"}
    assert sorted(landed) == ["sh010", "sh020"] and landed["sh010"]["shotreel"]["provider"] == "animatic"
    assert landed["sh010"].frame_final_duration == load_project(project).shot("sh010").duration


def test_a_hosted_provider_while_blender_is_offline_is_refused_before_anything_is_sent(scene, project,
                                                                                          generation, monkeypatch):
    monkeypatch.setenv("RUNWAYML_API_SECRET", "key_" + "0" * 128)
    scene.shotreel.provider = "runway"
    assert not bpy.app.online_access
    with pytest.raises(RuntimeError, match="runway needs the network and Blender is offline"):
        bpy.ops.shotreel.generate_takes()
    assert generation.running(scene) is None and not (project / ".shotreel" / "ledger.sqlite").exists()


def test_stopping_ends_the_run_cleanly(scene, project, generation):
    assert bpy.ops.shotreel.generate_takes() == {"FINISHED"}
    assert bpy.ops.shotreel.stop_generation() == {"FINISHED"}
    generation.running(scene).thread.join(120)
    generation.tick()
    assert generation.running(scene) is None
    status = scene.shotreel.generation_status
    assert status.endswith("(stopped)") and "waiting" in status, status  # 12 renders take seconds; stopped first
    assert len(list((project / "takes").glob("*/t001.mp4"))) < 12
