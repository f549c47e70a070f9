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


def test_ticked_shots_get_takes_that_land_in_the_reel(scene, project, generation):
    assert bpy.ops.shotreel.load_reel() == {"FINISHED"}
    reel = bpy.data.scenes[f"{load_project(project).title} reel"]
    reel.shotreel.scope = "LIST"  # the artist ticks two shots in the list
    for item in reel.shotreel.shot_list:
        item.chosen = item.name in ("sh010", "sh020")
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
    with pytest.raises(RuntimeError, match=r"runway needs the network and Blender is offline.*not sent: sh010"):
        bpy.ops.shotreel.generate_takes()
    assert generation.running(scene) is None and not (project / ".shotreel" / "ledger.sqlite").exists()


def test_stopping_ends_the_run_cleanly(scene, project, generation):
    scene.shotreel.scope = "MISSING"  # every shot without a take, chosen on purpose
    assert bpy.ops.shotreel.generate_takes() == {"FINISHED"}
    assert bpy.ops.shotreel.stop_generation() == {"FINISHED"}
    generation.running(scene).thread.join(120)
    generation.tick()
    assert generation.running(scene) is None
    status = scene.shotreel.generation_status
    assert status.endswith("(stopped)") and "waiting" in status, status  # 12 renders take seconds; stopped first
    assert len(list((project / "takes").glob("*/t001.mp4"))) < 12


def strips_of(scene):
    editor = scene.sequence_editor
    return editor.strips if hasattr(editor, "strips") else editor.sequences


def test_a_selection_the_artist_did_not_make_sends_only_the_shot_under_the_playhead(scene, project, generation):
    assert bpy.ops.shotreel.load_reel() == {"FINISHED"}
    film = load_project(project)
    reel = bpy.data.scenes[f"{film.title} reel"]
    assert not any(strip.select for strip in strips_of(reel)), "Load Reel leaves nothing selected"
    for strip in strips_of(reel):  # select all, by accident
        strip.select = True
    reel.frame_set(film.shot("sh010").duration + 3)  # the playhead in sh020
    assert reel.shotreel.scope == "CURRENT"
    assert bpy.ops.shotreel.generate_takes(scene_name=reel.name) == {"FINISHED"}
    generation.running(reel).thread.join(120)
    generation.tick()
    assert sorted(p.parent.name for p in (project / "takes").glob("*/*.mp4")) == ["sh020"]


@pytest.fixture
def online():
    system = bpy.context.preferences.system
    before = system.use_online_access
    system.use_online_access = True
    yield
    system.use_online_access = before


@pytest.fixture
def prefs():
    prefs = bpy.context.preferences.addons[MODULE].preferences
    yield prefs
    prefs.runway_key = ""
    prefs.comfyui_address = "http://127.0.0.1:8188"


@pytest.fixture
def runway(monkeypatch):
    from tests.servers import start_server

    server = start_server("runway")
    monkeypatch.setenv("SHOTREEL_RUNWAY_BASE_URL", server.url)
    monkeypatch.delenv("RUNWAYML_API_SECRET", raising=False)
    yield server
    server.stop()


@pytest.fixture
def hd_project(scene, example_dir):
    draw_boards(load_project(example_dir))  # 1920x1080: boards Runway accepts
    scene.shotreel.project = str(example_dir)
    return example_dir


def test_a_paid_provider_sends_nothing_without_a_confirm_of_count_and_cost(scene, hd_project, generation, online,
                                                                           prefs, runway, tmp_path):
    assert bpy.app.online_access
    prefs.runway_key = runway.options["api_key"]  # from the preferences, not the environment
    scene.shotreel.provider = "runway"
    scene.shotreel.scope = "MISSING"  # every shot: twelve paid takes
    with pytest.raises(RuntimeError, match=r"not sent: runway: 12 takes to send, estimated \$\d+\.\d\d"):
        bpy.ops.shotreel.generate_takes("EXEC_DEFAULT")
    assert runway.requests == [] and not (hd_project / ".shotreel" / "ledger.sqlite").exists()
    assert generation.running(scene) is None
    # accepted (the dialog's OK; a script says so): one shot, sent with the key from the preferences
    scene.shotreel.scope = "CURRENT"
    assert bpy.ops.shotreel.generate_takes("EXEC_DEFAULT", confirmed=True) == {"FINISHED"}
    import time

    deadline = time.monotonic() + 30
    while not runway.submissions and time.monotonic() < deadline:
        time.sleep(0.05)
    bpy.ops.shotreel.stop_generation()  # the job stays in the ledger; its take comes with the next run
    generation.running(scene).thread.join(60)
    generation.tick()
    assert len(runway.submissions) == 1, "one take: the shot under the playhead"
    assert [job.name for job in scene.shotreel.jobs] == ["sh010/t001"]
    # the key is nowhere in the project, nor in the saved .blend
    bpy.ops.wm.save_as_mainfile(filepath=str(tmp_path / "film.blend"))
    key = runway.options["api_key"].encode()
    for path in [tmp_path / "film.blend", *hd_project.rglob("*")]:
        if path.is_file():
            assert key not in path.read_bytes(), path


def test_the_environment_key_wins_over_the_preferences(monkeypatch, prefs):
    from shotreel.sequencer import provider_options

    monkeypatch.setenv("RUNWAYML_API_SECRET", "from-the-environment")
    assert provider_options("runway", {"RUNWAYML_API_SECRET": "from-prefs"}) == {}
    monkeypatch.delenv("RUNWAYML_API_SECRET")
    assert provider_options("runway", {"RUNWAYML_API_SECRET": "from-prefs"}) == {"api_key": "from-prefs"}
    assert provider_options("kling", {"KLING_ACCESS_KEY": "a", "KLING_SECRET_KEY": "b"}, environ={}) == \
        {"access_key": "a", "secret_key": "b"}
    assert bpy.types.AddonPreferences.bl_rna.properties  # the preferences are registered for the add-on
    assert prefs.bl_rna.properties["runway_key"].subtype == "PASSWORD"


def test_a_server_that_cannot_be_reached_is_a_line_in_the_panel_naming_the_shot(scene, hd_project, generation,
                                                                                 online, prefs, monkeypatch):
    import socket

    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    monkeypatch.setenv("SHOTREEL_RUNWAY_BASE_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("RUNWAYML_API_SECRET", "key_" + "0" * 128)
    scene.shotreel.provider = "runway"
    assert bpy.ops.shotreel.generate_takes("EXEC_DEFAULT", confirmed=True) == {"FINISHED"}
    generation.running(scene).thread.join(60)
    generation.tick()
    status = scene.shotreel.generation_status
    assert f"127.0.0.1:{port}" in status and "stopped" in status, status
    jobs = {job.name: job.text for job in scene.shotreel.jobs}
    assert list(jobs) == ["sh010/t001"] and "pending" in jobs["sh010/t001"], jobs


def test_a_job_the_provider_may_have_made_is_forgotten_or_resubmitted_with_the_panels_buttons(
        scene, hd_project, generation, online, prefs, monkeypatch):
    from shotreel.generation import ledger as L

    from tests.servers import start_server

    server = start_server("runway", scenario="drop")  # each create recorded, then the connection closed unanswered
    try:
        monkeypatch.setenv("SHOTREEL_RUNWAY_BASE_URL", server.url)
        monkeypatch.setenv("RUNWAYML_API_SECRET", server.api_key)
        scene.shotreel.provider = "runway"
        assert bpy.ops.shotreel.generate_takes("EXEC_DEFAULT", confirmed=True, shots="sh010,sh020") == {"FINISHED"}
        generation.running(scene).thread.join(60)
        generation.tick()
        jobs = {job.name: job for job in scene.shotreel.jobs}
        assert sorted(jobs) == ["sh010/t001", "sh020/t001"], "the panel lists both, with why"
        assert all("unknown" in job.text and job.actions == "forget resubmit" for job in jobs.values())
        assert server.creates() == 2
        # the artist checked the provider's dashboard: sh010 was never made, sh020 may be sent again
        assert bpy.ops.shotreel.job_action(job="sh010/t001", action="forget") == {"FINISHED"}
        assert bpy.ops.shotreel.job_action(job="sh020/t001", action="resubmit") == {"FINISHED"}
        jobs = {job.name: job for job in scene.shotreel.jobs}
        assert list(jobs) == ["sh020/t001"] and "pending" in jobs["sh020/t001"].text and not jobs["sh020/t001"].actions
        with L.Ledger.open(hd_project) as ledger:
            assert (ledger.get("sh010", "t001").state, ledger.get("sh020", "t001").state) == (L.CANCELED, L.PENDING)
        with pytest.raises(RuntimeError, match=r"job sh010/t001 is canceled; only unknown_submit jobs can be released"):
            bpy.ops.shotreel.job_action(job="sh010/t001", action="resubmit")  # a button that no longer applies
        # the provider answers again: the next run sends the resubmitted take and makes sh010 a new one
        server.default_scenario = None
        assert bpy.ops.shotreel.generate_takes("EXEC_DEFAULT", confirmed=True, shots="sh010,sh020") == {"FINISHED"}
        generation.running(scene).thread.join(120)
        generation.tick()
        assert sorted(p.relative_to(hd_project / "takes").as_posix() for p in (hd_project / "takes").glob("*/*.mp4")) \
            == ["sh010/t002.mp4", "sh020/t001.mp4"], "nothing lost, the forgotten take id never reused"
        assert server.creates() == 4 and [job.name for job in scene.shotreel.jobs] == []
    finally:
        server.stop()
