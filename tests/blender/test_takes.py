"""The reel in Blender's sequencer: boards below, every take of a shot above at its exact frames, the chosen one
playing; choosing another take there is recorded in selects.yaml."""

from __future__ import annotations

import json
import shutil

import bpy
import pytest
from shotreel.boards import draw_boards
from shotreel.layout import layout_plan
from shotreel.project import load_project
from shotreel.takes import load_selects

from tests.servers import media


def add_take(folder, shot: str, take: str, frames: int = 121, fps: int = 24, **provenance) -> None:
    """A real H.264 take (so Blender can open it) with its sidecar, as `shotreel generate` leaves it."""
    clip = folder / "takes" / shot / f"{take}.mp4"
    clip.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(media.clip(fps, frames, 64, 36), clip)
    sidecar = {"status": "done", "probe": {"fps": str(fps), "frames": frames}, "created": float(take[1:]),
               **provenance}
    clip.with_suffix(".json").write_text(json.dumps(sidecar), encoding="utf-8")


@pytest.fixture
def film_with_takes(scene, example_dir):
    draw_boards(load_project(example_dir))
    (example_dir / "boards" / "sh120.png").unlink()  # one shot without a board yet
    add_take(example_dir, "sh030", "t001", model="gen4_turbo", seed=4294967295, prompt="a leaf unfurls")
    add_take(example_dir, "sh030", "t002")
    add_take(example_dir, "sh050", "t001", frames=60)  # shorter than its 96-frame shot
    (example_dir / "selects.yaml").write_text("shots:\n  sh030: {take: t001, in: 10}\n", encoding="utf-8")
    scene.shotreel.project = str(example_dir)
    return example_dir


def tagged(scene) -> dict:
    strips = scene.sequence_editor.strips if hasattr(scene.sequence_editor, "strips") else scene.sequence_editor.sequences
    return {(s["shotreel"]["kind"], s["shotreel"]["shot"], s["shotreel"]["take"]): s for s in strips if "shotreel" in s}


def test_the_reel_lands_in_its_own_scene_frame_exact(film_with_takes):
    assert bpy.ops.shotreel.load_reel() == {"FINISHED"}
    film = load_project(film_with_takes)
    reel = bpy.data.scenes[f"{film.title} reel"]
    plan = {s.id: s for s in layout_plan(film).shots}
    strips = tagged(reel)
    assert (reel.frame_start, reel.frame_end, reel.render.fps) == (1, 1440, 24)
    for shot in plan.values():  # every board exactly its shot
        board = strips[("board", shot.id, "")]
        assert (board.channel, board.frame_final_start, board.frame_final_end) == (1, shot.start, shot.end)
    assert strips[("board", "sh120", "")].type == "COLOR", "a shot without a board keeps its length"
    assert strips[("board", "sh010", "")].type == "IMAGE"
    first, second = strips[("take", "sh030", "t001")], strips[("take", "sh030", "t002")]
    sh030 = plan["sh030"]
    assert (first.channel, first.frame_final_start, first.frame_final_end) == (2, sh030.start, sh030.end)
    assert first.frame_offset_start == 10 and not first.mute, "the select's take plays from its trim in"
    assert (second.channel, second.frame_final_start, second.mute) == (3, sh030.start, True)
    short = strips[("take", "sh050", "t001")]
    assert (short.frame_final_start, short.frame_final_end) == (plan["sh050"].start, plan["sh050"].start + 60)
    assert first["shotreel"]["seed"] == "4294967295" and first["shotreel"]["model"] == "gen4_turbo"
    editor = reel.sequence_editor
    assert [editor.channels[n].name for n in (1, 2, 3)] == ["Boards", "Takes", "Takes 2"]


def test_loading_again_replaces_only_what_shotreel_made(film_with_takes):
    assert bpy.ops.shotreel.load_reel() == {"FINISHED"}
    reel = bpy.data.scenes[f"{load_project(film_with_takes).title} reel"]
    editor = reel.sequence_editor
    strips = editor.strips if hasattr(editor, "strips") else editor.sequences
    music = strips.new_effect("temp music", "COLOR", 8, 1, **({"length": 100} if bpy.app.version >= (5, 0)
                                                                 else {"frame_end": 101}))
    add_take(film_with_takes, "sh030", "t003")
    assert bpy.ops.shotreel.load_reel() == {"FINISHED"}
    after = tagged(reel)
    assert len([k for k in after if k[0] == "board"]) == 12 and len([k for k in after if k[0] == "take"]) == 4
    assert ("take", "sh030", "t003") in after and music.name in strips


def test_using_another_take_records_it_and_switches_what_plays(film_with_takes):
    assert bpy.ops.shotreel.load_reel() == {"FINISHED"}
    film = load_project(film_with_takes)
    reel = bpy.data.scenes[f"{film.title} reel"]
    strips = tagged(reel)
    second = strips[("take", "sh030", "t002")]
    reel.sequence_editor.active_strip = second
    assert bpy.ops.shotreel.use_take(scene_name=reel.name) == {"FINISHED"}
    assert not second.mute and strips[("take", "sh030", "t001")].mute
    assert load_selects(load_project(film_with_takes))["sh030"].take == "t002"
    assert load_selects(load_project(film_with_takes))["sh030"].trim_in is None
    # the editor trims the head of the short take: the select keeps it, frame-exact
    short = strips[("take", "sh050", "t001")]
    short.frame_final_start += 6
    reel.sequence_editor.active_strip = short
    assert bpy.ops.shotreel.use_take(scene_name=reel.name) == {"FINISHED"}
    selection = load_selects(load_project(film_with_takes))["sh050"]
    # the take still runs to its end inside the shot: no out point (the reel would end it there anyway)
    assert (selection.take, selection.trim_in, selection.trim_out) == ("t001", 6, None)
    reel.sequence_editor.active_strip = strips[("board", "sh010", "")]
    with pytest.raises(RuntimeError, match="is not a take shotreel put"):
        bpy.ops.shotreel.use_take(scene_name=reel.name)


def test_the_edit_made_in_blender_goes_back_to_the_project_as_selects(film_with_takes):
    assert bpy.ops.shotreel.load_reel() == {"FINISHED"}
    film = load_project(film_with_takes)
    reel = bpy.data.scenes[f"{film.title} reel"]
    strips = tagged(reel)
    # the editor plays t002 of sh030 instead, trims 4 frames off its head, and mutes t001
    second = strips[("take", "sh030", "t002")]
    second.mute, strips[("take", "sh030", "t001")].mute = False, True
    shot = layout_plan(film).shots[2]
    second.frame_start = shot.start - 4  # slipped: 4 frames of the take cut from its head, same place
    second.frame_final_start, second.frame_final_end = shot.start, shot.end
    assert second.frame_offset_start == 4
    assert bpy.ops.shotreel.send_edit(scene_name=reel.name) == {"FINISHED"}
    written = film_with_takes / "edit" / "blender-edit.otio"
    assert written.is_file()
    selects = load_selects(load_project(film_with_takes))
    assert (selects["sh030"].take, selects["sh030"].trim_in) == ("t002", 4)
    assert "sh050" not in selects  # played as the reel had it: still follows its newest take
    # the cut it wrote is a plain OTIO cut any host reads: boards below, the chosen takes above
    import opentimelineio as otio

    cut = otio.adapters.read_from_file(str(written))
    assert [t.name for t in cut.tracks] == ["Video 1", "Video 2", "Video 3"]
    assert cut.global_start_time.to_timecode() == "01:00:00:00"
    assert len(list(cut.tracks[0].find_clips())) == 12


def _render(scene, path) -> tuple[int, int, int]:
    """Render the scene's current frame (the sequencer's picture) and return its centre pixel."""
    from PIL import Image

    scene.render.filepath = str(path)
    scene.render.image_settings.file_format = "PNG"
    bpy.ops.render.render(write_still=True, scene=scene.name)
    with Image.open(path) as image:
        return image.convert("RGB").getpixel((image.width // 2, image.height // 2))


@pytest.fixture
def small_film(scene, example_dir):
    from PIL import Image

    from .conftest import set_yaml

    set_yaml(example_dir, "resolution: 1920x1080", "resolution: 64x36")
    (example_dir / "boards").mkdir(exist_ok=True)
    Image.new("RGB", (64, 36), (64, 64, 64)).save(example_dir / "boards" / "sh010.png")
    scene.shotreel.project = str(example_dir)
    return example_dir


def test_the_reel_shows_a_board_pixel_as_it_is_and_has_the_beats_as_markers(small_film, tmp_path):
    from shotreel.reel import build_reel
    from shotreel.sequencer import reel_markers

    assert bpy.ops.shotreel.load_reel() == {"FINISHED"}
    film = load_project(small_film)
    reel = bpy.data.scenes[f"{film.title} reel"]
    assert reel.view_settings.view_transform == "Standard"
    reel.frame_set(1)
    assert _render(reel, tmp_path / "frame.png") == (64, 64, 64), "AgX renders a board's 64 as 59"
    beats = reel_markers(build_reel(film), film.fps)
    assert len(beats) == len(film.beats) > 1
    assert sorted((m.name, m.frame) for m in reel.timeline_markers) == sorted((b.name, b.frame) for b in beats)
    assert beats[0].frame == 1 and beats[0].name == (film.beats[0].title or film.beats[0].id)
    mine = reel.timeline_markers.new("call the composer", frame=50)
    assert bpy.ops.shotreel.load_reel() == {"FINISHED"}  # loading again replaces its markers, keeps the artist's
    assert len(reel.timeline_markers) == len(beats) + 1 and mine.name in [m.name for m in reel.timeline_markers]


def test_load_reel_leaves_nothing_selected(film_with_takes):
    assert bpy.ops.shotreel.load_reel() == {"FINISHED"}
    reel = bpy.data.scenes[f"{load_project(film_with_takes).title} reel"]
    assert tagged(reel) and not any(s.select for s in tagged(reel).values())


def test_the_layout_cameras_play_live_in_the_edit_as_scene_strips(small_film, tmp_path):
    layout_scene = bpy.context.scene
    assert bpy.ops.shotreel.build_layout() == {"FINISHED"}
    add_take(small_film, "sh030", "t001")
    assert bpy.ops.shotreel.load_reel() == {"FINISHED"}
    film = load_project(small_film)
    reel = bpy.data.scenes[f"{film.title} reel"]
    strips = tagged(reel)
    cameras = {obj["shotreel_shot"]: obj for obj in layout_scene.objects if "shotreel_shot" in obj}
    for shot in layout_plan(film).shots:
        live = strips[("layout", shot.id, "")]
        assert (live.type, live.channel, live.scene, live.scene_camera) == ("SCENE", 2, layout_scene,
                                                                          cameras[shot.id])
        assert (live.frame_final_start, live.frame_final_end) == (shot.start, shot.end)
        assert live.frame_final_start == strips[("board", shot.id, "")].frame_final_start
    assert strips[("take", "sh030", "t001")].channel == 3, "takes stay movie strips, above the layout"
    editor = reel.sequence_editor
    assert [editor.channels[n].name for n in (1, 2, 3)] == ["Boards", "Layout", "Takes"]
    # something in front of sh010's camera; moving the camera in the layout changes the edit at once
    layout_scene.render.engine = "BLENDER_WORKBENCH"
    mesh = bpy.data.meshes.new("wall")
    mesh.from_pydata([(-3, 0, -2), (3, 0, -2), (3, 0, 5), (-3, 0, 5)], [], [(0, 1, 2, 3)])
    wall = bpy.data.objects.new("wall", mesh)
    layout_scene.collection.objects.link(wall)
    reel.frame_set(1)
    seen = _render(reel, tmp_path / "before.png")
    assert seen != (64, 64, 64), "the layout shows over the board"
    cameras["sh010"].location.x += 100
    moved = _render(reel, tmp_path / "after.png")
    assert moved != seen, (seen, moved)


def test_a_take_replaced_on_disk_shows_as_it_is_now_on_the_next_load(film_with_takes):
    assert bpy.ops.shotreel.load_reel() == {"FINISHED"}
    reel = bpy.data.scenes[f"{load_project(film_with_takes).title} reel"]
    start = tagged(reel)[("take", "sh050", "t001")].frame_final_start
    assert tagged(reel)[("take", "sh050", "t001")].frame_final_end == start + 60
    add_take(film_with_takes, "sh050", "t001", frames=30, model="gen4_turbo")  # made again, in place
    assert bpy.ops.shotreel.load_reel() == {"FINISHED"}
    again = tagged(reel)[("take", "sh050", "t001")]
    assert (again.frame_final_start, again.frame_final_end) == (start, start + 30)
    assert again["shotreel"]["model"] == "gen4_turbo"


def test_a_take_whose_sidecar_has_no_length_plays_where_the_reel_places_it(film_with_takes):
    from shotreel.layout import reel_strips
    from shotreel.reel import build_reel

    add_take(film_with_takes, "sh070", "t001", frames=100, fps=25)
    sidecar = film_with_takes / "takes" / "sh070" / "t001.json"
    sidecar.write_text(json.dumps({"status": "done", "probe": {"fps": "25"}}), encoding="utf-8")  # no frames
    (film_with_takes / "selects.yaml").write_text("shots:\n  sh070: {take: t001, in: 50}\n", encoding="utf-8")
    assert bpy.ops.shotreel.load_reel() == {"FINISHED"}
    film = load_project(film_with_takes)
    planned = next(s for s in reel_strips(build_reel(film), film.fps) if s.kind == "take" and s.shot == "sh070")
    strip = tagged(bpy.data.scenes[f"{film.title} reel"])[("take", "sh070", "t001")]
    assert planned.offset == 50 and strip.frame_offset_start == 50, "from its trim in, in its own frames"
    assert (strip.channel, strip.frame_final_start) == (planned.channel, planned.start)
    assert strip.frame_final_end == min(planned.start + planned.duration, strip.frame_final_start + 100 - 50)
