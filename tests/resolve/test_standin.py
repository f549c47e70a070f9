"""The Resolve stand-in held to ``reference/resolve-api.md``: each test names the section it checks.

These are the contract the Resolve scripts are tested against, so they read as the reference's tables:
1-based indices, silent None/False, the frame-rate lock, absolute record frames, endFrame per build,
ghost items, two colour palettes, markers, the take selector, the OTIO shape Resolve imports, the free
edition's refusals, and one Resolve shared by a test and a subprocess through the state file.
"""

from __future__ import annotations

import json
import os
import runpy
import shutil
import subprocess
import sys
import wave
from pathlib import Path

import opentimelineio as otio
import pytest

SAMPLES = Path(__file__).resolve().parent / "data"


def _items(timeline, kind="video", index=1):
    return timeline.GetItemListInTrack(kind, index)


def _span(item):
    return (item.GetStart(), item.GetEnd(), item.GetDuration())


# -- §1 conventions ----------------------------------------------------------------------------------


def test_scriptapp_gives_resolve_and_every_object_is_an_opaque_pyremoteobject(studio):
    s = studio()
    assert type(s.resolve).__name__ == type(s.project).__name__ == type(s.pool).__name__ == "PyRemoteObject"
    assert s.project.GetName() == "film" and s.manager.GetCurrentProject().GetUniqueId() == s.project.GetUniqueId()
    assert s.project.GetMediaPool().GetRootFolder().GetName() == "Master"


def test_indices_are_one_based_and_zero_negative_or_past_the_count_give_none(studio, media):
    s = studio()
    timeline = s.timeline()
    clip = s.pool.ImportMedia([media("a.mov")])[0]
    item = s.pool.AppendToTimeline([clip])[0]
    assert s.project.GetTimelineByIndex(1).GetName() == "cut"
    for bad in (0, -1, 2, True, "1", 1.0):
        assert s.project.GetTimelineByIndex(bad) is None
    assert timeline.GetTrackName("video", 1) == "Video 1" and timeline.GetTrackName("audio", 1) == "Audio 1"
    assert timeline.GetTrackName("video", 0) is None and timeline.GetItemListInTrack("video", 2) is None
    assert timeline.SetTrackName("video", 0, "x") is False
    assert item.GetTakeByIndex(0) is None and item.SelectTakeByIndex(0) is False


def test_nothing_raises_bad_calls_return_none_or_false_and_say_why(studio, standin):
    s = studio()
    assert s.project.SetSetting("timelineFrameRate") is False  # missing argument
    assert s.project.GetTimelineByIndex(1, 2) is None  # one argument too many
    assert s.pool.AddSubFolder("Master", "bin") is None  # a string where a Folder is wanted
    assert s.pool.AppendToTimeline([]) is None or s.pool.AppendToTimeline([]) == []
    assert s.project.GetSetting("noSuchKey") is None
    assert s.project.GetTimelineByIndex(idx=1) is None  # the bridge passes positional arguments [UNV]
    reasons = [e["reason"] for e in standin.errors()]
    assert any("wrong arguments" in r for r in reasons) and any("bin of this project" in r for r in reasons)
    assert standin.last_error()


@pytest.mark.parametrize("mode", ["none", "fabricate", "raise"])
def test_hasattr_is_always_true_and_unknown_names_follow_the_knob(studio, mode):
    s = studio(unknown_attr=mode)
    timeline = s.timeline()
    assert "GetName" in dir(timeline) and "GetTimelineByName" not in dir(timeline)
    if mode == "raise":
        with pytest.raises(AttributeError):
            timeline.GetTimelineByName  # noqa: B018 - the attribute access is the test
        return
    assert hasattr(timeline, "GetTimelineByName") and hasattr(timeline, "anything at all")
    attr = timeline.GetTimelineByName
    if mode == "none":
        assert attr is None  # [MEAS 19.1.3.7]: getattr → None, so calling it raises TypeError in the script
    else:
        assert callable(attr) and attr("cut") is None  # [MEAS 21.0.0] the in-app bridge


@pytest.mark.parametrize("version, has_source_frames, has_set_name, has_is_studio", [
    ("18.6.6.7", False, False, False), ("19.0.0b1.20", False, False, False), ("19.1.3.7", True, False, False),
    ("20.2.0.10", True, True, False), ("21.1.0.14", True, True, True),
])
def test_calls_missing_from_a_build_behave_like_unknown_names(studio, media, version, has_source_frames,
                                                              has_set_name, has_is_studio):
    s = studio(version=version)
    s.timeline()
    clip = s.pool.ImportMedia([media("a.mov")])[0]
    item = s.pool.AppendToTimeline([clip])[0]
    assert ("GetSourceStartFrame" in dir(item)) is has_source_frames
    assert (item.GetSourceStartFrame is not None) is has_source_frames
    assert ("SetName" in dir(clip)) is has_set_name and ("IsStudio" in dir(s.resolve)) is has_is_studio
    assert (item.GetStart(True) == float(item.GetStart())) is has_source_frames  # subframe is 19.0 final+


def test_export_constants_live_on_resolve_and_a_string_gives_false(studio, tmp_path):
    s = studio()
    timeline = s.timeline()
    assert isinstance(s.resolve.EXPORT_OTIO, int) and s.resolve.EXPORT_OTIO != s.resolve.EXPORT_EDL
    assert "EXPORT_OTIO" in dir(s.resolve)
    assert timeline.Export(str(tmp_path / "a.otio"), "EXPORT_OTIO") is False and not (tmp_path / "a.otio").exists()
    assert timeline.Export(str(tmp_path / "b.otio"), s.resolve.EXPORT_OTIO) is True


def test_two_handles_of_one_object_are_compared_by_unique_id(studio):
    s = studio()
    timeline = s.timeline()
    again = s.project.GetCurrentTimeline()
    assert again is not timeline and again.GetUniqueId() == timeline.GetUniqueId()


# -- §2.1 Resolve, §6 running scripts ------------------------------------------------------------------


@pytest.mark.parametrize("edition, product", [("studio", "DaVinci Resolve Studio"), ("free", "DaVinci Resolve")])
def test_product_name_and_version_follow_the_configuration(standin, edition, product):
    resolve = standin.reset(version="19.1.3.7", edition=edition)
    assert resolve.GetProductName() == product
    assert resolve.GetVersion() == [19, 1, 3, 7, ""] and resolve.GetVersionString() == "19.1.3.7"


@pytest.mark.parametrize("knobs", [
    {"running": False}, {"scripting": "none"}, {"edition": "free", "version": "21.0.3.7"},
    {"edition": "free", "version": "21.1.0.17"}, {"edition": "free", "version": "18.6.6.7", "launch": "menu"},
])
def test_scriptapp_gives_none_when_resolve_is_unreachable(standin, dvr, knobs):
    standin.reset(**knobs)
    assert dvr.scriptapp("Resolve") is None


def test_scriptapp_of_another_host_needs_network_scripting(standin, dvr):
    standin.reset(scripting="local")
    assert dvr.scriptapp("Resolve", "192.168.1.20") is None and dvr.scriptapp("Resolve") is not None
    standin.reset(scripting="network")
    assert dvr.scriptapp("Resolve", "192.168.1.20") is not None


def test_menu_scripts_on_the_free_edition_get_a_live_resolve_until_21_1(standin, tmp_path):
    standin.reset(edition="free", version="21.0.3.7", launch="menu")
    script = tmp_path / "Utility" / "shotreel_import.py"
    script.parent.mkdir()
    script.write_text("NAME = resolve.GetProjectManager().GetCurrentProject().GetName()\n")
    assert runpy.run_path(str(script), init_globals=standin.menu_globals())["NAME"] == "Untitled Project"
    scope = standin.menu_globals()
    assert scope["resolve"].GetProductName() == "DaVinci Resolve"
    assert scope["app"].GetResolve().GetVersionString() == "21.0.3.7"
    assert scope["bmd"].scriptapp("Resolve") is None  # only the injected globals reach the free edition
    standin.reset(edition="free", version="21.1.0.17", launch="menu")
    with pytest.raises(RuntimeError, match="Python"):
        standin.menu_globals()


def test_a_studio_only_call_on_free_raises_a_modal_that_fails_later_calls(standin):
    resolve = standin.reset(edition="free", version="21.0.3.7", launch="menu")
    project = resolve.GetProjectManager().GetCurrentProject()
    timeline = project.GetMediaPool().CreateEmptyTimeline("cut")
    assert timeline.DetectSceneCuts() is False
    assert project.GetName() is None and timeline.GetName() is None  # unrelated calls fail while it is up
    standin.dismiss_modal()
    assert timeline.GetName() == "cut"
    standin.reset(edition="studio")
    assert standin.resolve().GetProjectManager().GetCurrentProject().GetMediaPool().CreateEmptyTimeline(
        "cut").DetectSceneCuts() is True


def test_resolve_not_installed_fails_the_import(standin, monkeypatch):
    standin.reset(installed=False)
    monkeypatch.delitem(sys.modules, "DaVinciResolveScript", raising=False)
    with pytest.raises(ImportError):
        import DaVinciResolveScript  # noqa: F401


def test_pages_photo_only_from_21(standin):
    resolve = standin.reset(version="20.3.2.9")
    assert resolve.GetCurrentPage() == "media"
    assert resolve.OpenPage("edit") is True and resolve.GetCurrentPage() == "edit"
    assert resolve.OpenPage("photo") is False and resolve.OpenPage("Edit") is False
    assert standin.reset(version="21.0.2.4").OpenPage("photo") is True


def test_quit_leaves_nothing_to_talk_to(standin, dvr):
    resolve = dvr.scriptapp("Resolve")
    assert resolve.Quit() is None
    assert resolve.GetVersionString() is None and dvr.scriptapp("Resolve") is None


# -- §2.2 ProjectManager, §7.3 -----------------------------------------------------------------------


def test_create_project_opens_it_and_refuses_an_existing_name(standin):
    manager = standin.reset().GetProjectManager()
    assert manager.GetCurrentProject().GetName() == "Untitled Project"
    film = manager.CreateProject("film")
    assert film.GetName() == "film" and manager.GetCurrentProject().GetName() == "film"
    assert manager.CreateProject("film") is None
    assert manager.GetProjectListInCurrentFolder() == ["film"]


@pytest.mark.parametrize("version, blocked", [("20.3.2.9", False), ("21.0.4.5", True)])
def test_unsaved_changes_block_create_project_on_21_0_4(standin, version, blocked):
    manager = standin.reset(version=version).GetProjectManager()
    film = manager.CreateProject("film")
    film.GetMediaPool().CreateEmptyTimeline("cut")  # an unsaved change
    assert (manager.CreateProject("other") is None) is blocked
    if blocked:
        assert manager.SaveProject() is True and manager.CreateProject("other") is not None


def test_delete_project_is_refused_for_the_current_or_recent_project_until_closed(standin):
    manager = standin.reset().GetProjectManager()
    film = manager.CreateProject("film")
    assert manager.DeleteProject("film") is False
    manager.CreateProject("other")
    assert manager.DeleteProject("film") is False  # recently current
    assert manager.CloseProject(film) is True and manager.DeleteProject("film") is True
    assert manager.GetProjectListInCurrentFolder() == ["other"]


def test_save_project_on_untitled_is_false_in_the_gui_and_hangs_headless(standin):
    assert standin.reset().GetProjectManager().SaveProject() is False
    manager = standin.reset(headless=True).GetProjectManager()
    with pytest.raises(standin.StandinHang):
        manager.SaveProject()
    assert manager.SaveProject() is None  # returns None at once afterwards


def test_close_project_discards_unsaved_changes(standin):
    manager = standin.reset().GetProjectManager()
    film = manager.CreateProject("film")
    film.GetMediaPool().CreateEmptyTimeline("kept")
    assert manager.SaveProject() is True
    film.GetMediaPool().CreateEmptyTimeline("lost")
    assert manager.CloseProject(film) is True
    assert manager.GetCurrentProject().GetName() == "Untitled Project"
    film = manager.LoadProject("film")
    assert [film.GetTimelineByIndex(i).GetName() for i in range(1, film.GetTimelineCount() + 1)] == ["kept"]


def test_without_a_database_projects_cannot_be_created_or_loaded(standin):
    manager = standin.reset(database=False).GetProjectManager()
    assert manager.GetCurrentDatabase() is None
    assert manager.CreateProject("film") is None and manager.LoadProject("film") is None
    assert standin.reset().GetProjectManager().GetCurrentDatabase() == {"DbType": "Disk", "DbName": "Local Database"}


# -- §2.3 settings, §7.1 frames and timecode -----------------------------------------------------------


def test_settings_are_strings_and_the_frame_rate_locks_once_a_timeline_exists(studio):
    s = studio(fps="25")
    assert s.project.GetSetting("timelineFrameRate") == "25"
    assert s.project.SetSetting("timelineFrameRate", 24) is False  # a number, not a string
    assert s.project.SetSetting("timelineFrameRate", "29.97 DF") is True
    assert s.project.GetSetting("timelineDropFrameTimecode") == "1"
    assert s.project.SetSetting("timelinePlaybackFrameRate", "24") is False
    assert s.project.SetSetting("timelineResolutionWidth", "3840") is True
    assert isinstance(s.project.GetSetting(), dict) and s.project.GetSetting()["timelineResolutionWidth"] == "3840"
    s.pool.CreateEmptyTimeline("cut")
    assert s.project.SetSetting("timelineFrameRate", "24") is False
    assert s.project.SetSetting("timelineDropFrameTimecode", "0") is False
    assert s.project.GetSetting("timelineFrameRate") == "29.97"


def test_the_frame_rate_setting_reads_as_a_number_on_21_1(studio):
    assert studio(fps="23.976", version="21.1.0.14").project.GetSetting("timelineFrameRate") == 23.976
    assert studio(fps="23.976", version="21.0.4.5").project.GetSetting("timelineFrameRate") == "23.976"


@pytest.mark.parametrize("fps, start_frame, start_tc", [
    ("24", 86400, "01:00:00:00"), ("23.976", 86400, "01:00:00:00"), ("25", 90000, "01:00:00:00"),
    ("30", 108000, "01:00:00:00"), ("29.97", 108000, "01:00:00:00"), ("29.97 DF", 107892, "01:00:00;00"),
    ("59.94 DF", 215784, "01:00:00;00"),
])
def test_a_new_timeline_starts_at_01_00_00_00_in_absolute_frames(studio, fps, start_frame, start_tc):
    timeline = studio(fps=fps).timeline()
    assert timeline.GetStartFrame() == start_frame and timeline.GetStartTimecode() == start_tc
    assert timeline.GetEndFrame() == start_frame  # empty
    assert timeline.GetTrackCount("video") == 1 and timeline.GetTrackCount("audio") == 1
    assert timeline.GetTrackCount("subtitle") == 0


def test_set_start_timecode_moves_the_items_with_it(studio, media):
    s = studio()
    timeline = s.timeline()
    clip = s.pool.ImportMedia([media("a.mov", frames=48)])[0]
    item = s.pool.AppendToTimeline([{"mediaPoolItem": clip, "startFrame": 0, "endFrame": 24,
                                     "recordFrame": 86400 + 10}])[0]
    assert timeline.SetStartTimecode("00:59:59:00") is True and timeline.SetStartTimecode("bad") is False
    assert timeline.GetStartFrame() == 86376 and item.GetStart() == 86376 + 10


def test_the_playhead_takes_absolute_timecode_and_never_goes_below_the_start(studio):
    timeline = studio().timeline()
    assert timeline.GetCurrentTimecode() == "01:00:00:00"
    assert timeline.SetCurrentTimecode("00:59:59:23") is False
    assert timeline.SetCurrentTimecode("01:00:02:00") is True and timeline.GetCurrentTimecode() == "01:00:02:00"


# -- §2.4–§2.8 media, pool and clips ------------------------------------------------------------------


def test_import_media_lands_in_the_current_bin_and_leaves_unreadable_files_out(studio, media, tmp_path):
    s = studio()
    root = s.pool.GetRootFolder()
    shots = s.pool.AddSubFolder(root, "sh010")
    assert s.pool.AddSubFolder(root, "sh010") is None
    assert [f.GetName() for f in root.GetSubFolderList()] == ["sh010"]
    (tmp_path / "junk.bin").write_bytes(b"not media")
    assert s.pool.ImportMedia([media("a.mov"), str(tmp_path / "missing.mov"), str(tmp_path / "junk.bin")]) != []
    assert [c.GetName() for c in root.GetClipList()] == ["a.mov"]
    assert s.pool.SetCurrentFolder(shots) is True and s.pool.GetCurrentFolder().GetName() == "sh010"
    s.pool.ImportMedia([media("b.mov")])
    assert [c.GetName() for c in shots.GetClipList()] == ["b.mov"]
    assert [c.GetName() for c in root.GetClipList()] == ["a.mov"]


def test_media_storage_adds_files_and_sub_clips_to_the_current_bin(studio, media, standin):
    s = studio()
    storage = s.resolve.GetMediaStorage()
    a, b = media("a.mov", frames=100), media("b.mov")
    assert storage.GetFileList(os.path.dirname(a)) == sorted([a, b]) and storage.RevealInStorage(a) is True
    assert [c.GetName() for c in storage.AddItemListToMediaPool(a, b)] == ["a.mov", "b.mov"]
    assert len(storage.AddItemListToMediaPool([a])) == 1
    sub = storage.AddItemListToMediaPool([{"media": a, "startFrame": 10, "endFrame": 19}])[0]
    assert (sub.GetClipProperty("Start"), sub.GetClipProperty("End"), sub.GetClipProperty("Frames")) == (
        "10", "19", "10")


def test_every_timeline_is_also_a_pool_clip_of_type_timeline(studio):
    s = studio()
    s.timeline("cut")
    clip = s.pool.GetRootFolder().GetClipList()[0]
    assert clip.GetName() == "cut" and clip.GetClipProperty("Type") == "Timeline"


def test_clip_properties_follow_the_media_and_keep_the_documented_invariants(studio, media):
    s = studio()
    clip = s.pool.ImportMedia([media("sh010_t1.mov", fps=24, frames=720, start_tc="01:00:00:00", audio=2,
                                     width=1920, height=1080, codec="H.264")])[0]
    props = clip.GetClipProperty()
    assert props["Clip Name"] == props["File Name"] == "sh010_t1.mov" and os.path.isabs(props["File Path"])
    assert (props["Start"], props["End"], props["Frames"]) == ("0", "719", "720")
    assert int(props["Frames"]) == int(props["End"]) - int(props["Start"]) + 1
    assert (props["Start TC"], props["Duration"], props["End TC"]) == ("01:00:00:00", "00:00:30:00", "01:00:30:00")
    assert props["FPS"] == 24.0 and props["Super Scale"] == 0 and props["Resolution"] == "1920x1080"
    assert props["Type"] == "Video + Audio" and props["Drop frame"] == "0"
    assert all(isinstance(v, str) for k, v in props.items() if k not in ("FPS", "Super Scale"))
    assert clip.GetClipProperty("No Such Key") is None


def test_only_writable_clip_properties_can_be_set_and_reel_name_is_dropped(studio, media):
    s = studio()
    clip = s.pool.ImportMedia([media("a.mov")])[0]
    assert clip.SetClipProperty("Clip Name", "sh010 take 1") is True and clip.GetName() == "sh010 take 1"
    assert clip.GetClipProperty("File Name") == "a.mov"
    assert clip.SetClipProperty("Comments", "good") is True and clip.GetClipProperty("Comments") == "good"
    assert clip.SetClipProperty("Date Added", "today") is False and clip.SetClipProperty("Frames", "12") is False
    assert clip.SetClipProperty("Comments", 5) is False
    assert clip.SetClipProperty("Reel Name", "R1") is True and clip.GetClipProperty("Reel Name") == ""
    assert clip.SetClipProperty("Start TC", "01:00:00:00") is True and clip.GetClipProperty("End TC") == \
        "01:00:02:00"


def test_a_wav_takes_the_projects_rate_at_import(studio, tmp_path):
    s = studio(fps="25")
    path = tmp_path / "tone.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(48000)
        out.writeframes(b"\0\0\0\0" * 48000 * 2)
    clip = s.pool.ImportMedia([str(path)])[0]
    assert clip.GetClipProperty("Type") == "Audio" and clip.GetClipProperty("FPS") == 25.0
    assert clip.GetClipProperty("Frames") == "50" and clip.GetClipProperty("Audio Ch") == "2"


def test_metadata_takes_strings_one_key_or_a_dict(studio, media):
    clip = studio().pool.ImportMedia([media("a.mov")])[0]
    assert clip.SetMetadata("shotreel", json.dumps({"shot": "sh010"})) is True
    assert clip.SetMetadata({"Scene": "1", "Shot": "sh010"}) is True and clip.SetMetadata("Take", 3) is False
    assert json.loads(clip.GetMetadata("shotreel")) == {"shot": "sh010"}
    assert clip.GetMetadata() == {"shotreel": '{"shot": "sh010"}', "Scene": "1", "Shot": "sh010"}


# -- §2.11 colours ------------------------------------------------------------------------------------


@pytest.mark.parametrize("color", ["Orange", "Apricot", "Yellow", "Lime", "Olive", "Green", "Teal", "Navy", "Blue",
                                   "Purple", "Violet", "Pink", "Tan", "Beige", "Brown", "Chocolate"])
def test_the_sixteen_clip_colours_on_pool_clips_and_timeline_items(studio, media, color):
    s = studio()
    s.timeline()
    clip = s.pool.ImportMedia([media("a.mov")])[0]
    item = s.pool.AppendToTimeline([clip])[0]
    assert clip.SetClipColor(color) is True and item.SetClipColor(color) is True
    assert clip.GetClipColor() == color and item.GetClipColor() == color


@pytest.mark.parametrize("color", ["Blue", "Cyan", "Green", "Yellow", "Red", "Pink", "Purple", "Fuchsia", "Rose",
                                   "Lavender", "Sky", "Mint", "Lemon", "Sand", "Cocoa", "Cream"])
def test_the_sixteen_marker_colours_and_only_five_are_clip_colours_too(studio, media, color):
    s = studio()
    timeline = s.timeline()
    clip = s.pool.ImportMedia([media("a.mov")])[0]
    assert timeline.AddMarker(0, color, "beat", "", 1) is True and clip.AddFlag(color) is True
    assert clip.SetClipColor(color) is (color in ("Blue", "Green", "Yellow", "Pink", "Purple"))


def test_colours_outside_the_palette_or_empty_are_refused_and_generators_forget_theirs(studio, media):
    s = studio()
    timeline = s.timeline()
    clip = s.pool.ImportMedia([media("a.mov")])[0]
    for bad in ("", "red", "Magenta", "Orange "):
        assert clip.SetClipColor(bad) is False and timeline.AddMarker(5, bad, "", "", 1) is False
    assert clip.GetClipColor() == "" and clip.SetClipColor("Teal") and clip.ClearClipColor() is True
    title = timeline.InsertTitleIntoTimeline("Text+")
    assert title.SetClipColor("Orange") is True and title.GetClipColor() == ""
    assert title.GetMediaPoolItem() is None


# -- §2.12 markers -------------------------------------------------------------------------------------


def test_markers_keep_custom_data_and_refuse_an_occupied_frame(studio, media):
    s = studio()
    timeline = s.timeline()
    assert timeline.AddMarker(96, "Green", "sign", "beat 2", 1, "beat:sign") is True
    assert timeline.AddMarker(96, "Red", "again", "", 1) is False
    assert timeline.AddMarker(10**6, "Blue", "far", "", 1) is True  # echoed unvalidated, past the end
    assert timeline.AddMarker(3, "Blue", "", "", 0) is False  # no zero-length marker
    markers = timeline.GetMarkers()
    assert markers[96.0] == {"color": "Green", "duration": 1.0, "note": "beat 2", "name": "sign",
                             "customData": "beat:sign"}
    assert all(isinstance(k, float) for k in markers)
    assert list(timeline.GetMarkerByCustomData("beat:sign")) == [96.0]
    assert timeline.UpdateMarkerCustomData(96, "x") is True and timeline.GetMarkerCustomData(96) == "x"
    assert timeline.DeleteMarkerByCustomData("x") is True and timeline.DeleteMarkerAtFrame(96) is False
    assert timeline.DeleteMarkersByColor("Blue") is True and timeline.GetMarkers() == {}
    clip = s.pool.ImportMedia([media("a.mov")])[0]
    assert clip.AddMarker(0, "Cyan", "first frame", "", 1) is True and list(clip.GetMarkers()) == [0.0]


def test_marker_keys_are_ints_when_configured_as_the_pyi_types_them(studio):
    timeline = studio(marker_keys="int").timeline()
    timeline.AddMarker(12, "Blue", "", "", 2)
    assert timeline.GetMarkers() == {12: {"color": "Blue", "duration": 2, "note": "", "name": "",
                                          "customData": ""}}


# -- §2.9 / §2.10 / §7.2 appending and item geometry --------------------------------------------------


def test_appended_clips_follow_each_other_from_the_timeline_start(studio, media):
    s = studio()
    timeline = s.timeline()
    a, b = s.pool.ImportMedia([media("a.mov", frames=48), media("b.mov", frames=24)])
    items = s.pool.AppendToTimeline([a, b])
    assert [_span(i) for i in items] == [(86400, 86448, 48), (86448, 86472, 24)]
    more = s.pool.AppendToTimeline(a)
    assert _span(more[0]) == (86472, 86520, 48) and timeline.GetEndFrame() == 86520
    assert items[0].GetMediaPoolItem().GetUniqueId() == a.GetUniqueId() and items[0].GetName() == "a.mov"


@pytest.mark.parametrize("version, inclusive", [("18.6.6.7", False), ("19.1.3.7", True), ("20.3.2.9", False),
                                                ("21.0.4.5", False)])
def test_clipinfo_end_frame_is_inclusive_on_19_1_only(studio, media, version, inclusive):
    s = studio(version=version)
    s.timeline()
    clip = s.pool.ImportMedia([media("a.mov", frames=100)])[0]
    item = s.pool.AppendToTimeline([{"mediaPoolItem": clip, "startFrame": 6, "endFrame": 54}])[0]
    assert item.GetDuration() == (49 if inclusive else 48) and item.GetLeftOffset() == 6
    whole = s.pool.AppendToTimeline([{"mediaPoolItem": clip, "startFrame": 0, "endFrame": 100}])
    assert whole == [] if inclusive else whole[0].GetDuration() == 100  # "frames" instead of frames-1


def test_record_frames_are_absolute_and_zero_based_ones_land_before_the_start(studio, media):
    s = studio()
    timeline = s.timeline()
    clip = s.pool.ImportMedia([media("a.mov", frames=100)])[0]
    placed = s.pool.AppendToTimeline([{"mediaPoolItem": clip, "startFrame": 0, "endFrame": 24,
                                       "recordFrame": 86400 + 48}])[0]
    assert _span(placed) == (86448, 86472, 24)
    early = s.pool.AppendToTimeline([{"mediaPoolItem": clip, "startFrame": 0, "endFrame": 24, "recordFrame": 0}])[0]
    assert _span(early) == (0, 24, 24)  # reads back fine, lies before 01:00:00:00
    assert [i.GetStart() for i in _items(timeline)] == [0, 86448]


def test_an_overlapping_clipinfo_is_dropped_and_comes_back_as_a_ghost(studio, media, standin):
    s = studio()
    timeline = s.timeline()
    clip = s.pool.ImportMedia([media("a.mov", frames=100)])[0]
    first = {"mediaPoolItem": clip, "startFrame": 0, "endFrame": 48, "recordFrame": 86400}
    clash = {"mediaPoolItem": clip, "startFrame": 50, "endFrame": 74, "recordFrame": 86424}
    result = s.pool.AppendToTimeline([first, clash])
    assert len(result) == 2 and len(_items(timeline)) == 1  # the earlier item wins
    ghost = result[1]
    assert ghost.GetUniqueId() == "" and ghost.GetStart() is None and ghost.GetMediaPoolItem() is None
    assert ghost.GetName() is None and "GetStart" in dir(ghost)
    assert "occupied" in standin.last_error()
    s = studio(overlap="drop")
    s.timeline()
    clip = s.pool.ImportMedia([media("a.mov", frames=100)])[0]
    first["mediaPoolItem"] = clash["mediaPoolItem"] = clip
    assert len(s.pool.AppendToTimeline([first, clash])) == 1


def test_items_of_an_errored_append_vanish_at_save(studio, media):
    s = studio()
    timeline = s.timeline()
    clip = s.pool.ImportMedia([media("a.mov", frames=100)])[0]
    s.pool.AppendToTimeline([{"mediaPoolItem": clip, "startFrame": 0, "endFrame": 24}])
    chunk = [{"mediaPoolItem": clip, "startFrame": 0, "endFrame": 24},
             {"mediaPoolItem": clip, "startFrame": 0, "endFrame": 24, "recordFrame": 86400}]  # the 2nd overlaps
    assert len(s.pool.AppendToTimeline(chunk)) == 2 and len(_items(timeline)) == 2  # live reads show it
    assert s.manager.SaveProject() is True
    assert len(_items(timeline)) == 1  # re-read after saving: the errored chunk is gone


def test_a_source_range_at_another_rate_is_floored_to_timeline_frames(studio, media):
    s = studio(fps="24")
    s.timeline()
    clip = s.pool.ImportMedia([media("pal.mov", fps=25, frames=250)])[0]
    item = s.pool.AppendToTimeline([{"mediaPoolItem": clip, "startFrame": 0, "endFrame": 101}])[0]
    assert item.GetDuration() == 96  # 101 frames at 25 → 96.96 → 96: a planned slot lands short
    assert item.GetSourceStartFrame() == 0 and item.GetSourceEndFrame() == 100  # inclusive when rates differ
    same = s.pool.ImportMedia([media("film.mov", fps=24, frames=250)])[0]
    item = s.pool.AppendToTimeline([{"mediaPoolItem": same, "startFrame": 10, "endFrame": 58}])[0]
    assert (item.GetSourceStartFrame(), item.GetSourceEndFrame()) == (10, 58)  # exclusive at the same rate
    assert (item.GetLeftOffset(), item.GetRightOffset()) == (10, 250 - 58)


def test_append_goes_to_the_current_timeline_only(studio, media):
    s = studio(create_makes_current=False)
    first = s.pool.CreateEmptyTimeline("first")
    second = s.pool.CreateEmptyTimeline("second")
    assert s.project.GetCurrentTimeline().GetName() == "first"  # the only one, so current
    s.pool.AppendToTimeline(s.pool.ImportMedia([media("a.mov")]))
    assert len(_items(first)) == 1 and _items(second) == []


def test_float_frames_need_19_0_final(studio, media):
    for version, accepted in (("18.6.6.7", False), ("19.1.3.7", True)):
        s = studio(version=version)
        s.timeline()
        clip = s.pool.ImportMedia([media("a.mov", frames=100)])[0]
        placed = s.pool.AppendToTimeline([{"mediaPoolItem": clip, "startFrame": 0.0, "endFrame": 24.0}])
        assert bool(placed) is accepted


def test_media_type_and_track_index_choose_what_goes_where(studio, media):
    s = studio()
    timeline = s.timeline()
    clip = s.pool.ImportMedia([media("a.mov", frames=48, audio=2)])[0]
    video, audio = s.pool.AppendToTimeline([clip])
    assert video.GetTrackTypeAndIndex() == ["video", 1] and audio.GetTrackTypeAndIndex() == ["audio", 1]
    assert [i.GetUniqueId() for i in video.GetLinkedItems()] == [audio.GetUniqueId()]
    assert s.pool.AppendToTimeline([{"mediaPoolItem": clip, "mediaType": 1, "trackIndex": 2}]) == []  # no V2
    assert timeline.AddTrack("video") is True and timeline.GetTrackName("video", 2) == "Video 2"
    only = s.pool.AppendToTimeline([{"mediaPoolItem": clip, "mediaType": 1, "trackIndex": 2}])
    assert len(only) == 1 and only[0].GetTrackTypeAndIndex() == ["video", 2] and only[0].GetStart() == 86400
    assert s.pool.AppendToTimeline([{"mediaPoolItem": clip, "mediaType": 3}]) == []


def test_a_locked_track_takes_no_clip(studio, media):
    s = studio()
    timeline = s.timeline()
    clip = s.pool.ImportMedia([media("a.mov")])[0]
    assert timeline.SetTrackLock("video", 1, True) is True and timeline.GetIsTrackLocked("video", 1) is True
    assert s.pool.AppendToTimeline([clip]) == []


def test_create_timeline_from_clips_needs_the_current_bin_and_deduplicates(studio, media):
    s = studio()
    root = s.pool.GetRootFolder()
    clip = s.pool.ImportMedia([media("a.mov")])[0]
    other = s.pool.AddSubFolder(root, "other")
    s.pool.SetCurrentFolder(other)
    assert s.pool.CreateTimelineFromClips("cut", [clip]) is None  # the clip is not in the current bin
    s.pool.SetCurrentFolder(root)
    timeline = s.pool.CreateTimelineFromClips("cut", [clip, clip, clip])
    assert len(_items(timeline)) == 1 and s.pool.CreateTimelineFromClips("cut", [clip]) is None


def test_timeline_delete_clips_needs_the_edit_page_and_leaves_linked_audio(studio, media):
    s = studio()
    timeline = s.timeline()
    video, audio = s.pool.AppendToTimeline(s.pool.ImportMedia([media("a.mov", audio=2)]))
    assert timeline.DeleteClips([video]) is False  # the Media page is open
    assert s.resolve.OpenPage("edit") and timeline.DeleteClips([video]) is True
    assert _items(timeline) == [] and [i.GetUniqueId() for i in _items(timeline, "audio")] == [audio.GetUniqueId()]


def test_item_properties_are_typed_and_ranged(studio, media):
    s = studio()
    s.timeline()
    item = s.pool.AppendToTimeline(s.pool.ImportMedia([media("a.mov")]))[0]
    assert item.GetProperty("ZoomX") == 1.0 and item.GetProperty("Opacity") == 100.0
    assert item.SetProperty("ZoomX", 1.5) is True and item.GetProperty("ZoomX") == 1.5
    assert item.SetProperty("ZoomX", 101.0) is False and item.SetProperty("FlipX", 1) is False
    assert item.SetProperty("Pan", 3000.0) is True and item.SetProperty("NoSuchKey", 1) is False


# -- §2.13 the take selector -----------------------------------------------------------------------------


def test_the_take_selector_working_sequence(studio, media):
    s = studio(version="21.0.4.5")
    s.timeline()
    t1, t2 = s.pool.ImportMedia([media("sh010_t1.mov", frames=60), media("sh010_t2.mov", frames=80)])
    item = s.pool.AppendToTimeline([{"mediaPoolItem": t1, "startFrame": 6, "endFrame": 54}])[0]
    assert item.GetTakesCount() == 0 and item.GetSelectedTakeIndex() == 0
    assert item.AddTake(t2, 0, 48) is True
    assert item.GetTakesCount() == 2 and item.GetSelectedTakeIndex() == 1
    first = item.GetTakeByIndex(1)
    assert (first["startFrame"], first["endFrame"], first["mediaPoolItem"].GetName()) == (6, 54, "sh010_t1.mov")
    assert item.GetTakeByIndex(2)["mediaPoolItem"].GetName() == "sh010_t2.mov" and item.GetTakeByIndex(3) is None
    assert item.SelectTakeByIndex(2) is True
    assert item.GetMediaPoolItem().GetName() == "sh010_t2.mov" and item.GetSelectedTakeIndex() == 2
    assert (item.GetLeftOffset(), item.GetDuration(), item.GetStart()) == (0, 48, 86400)
    assert item.FinalizeTake() is True and item.GetTakesCount() == 0
    assert item.GetMediaPoolItem().GetName() == "sh010_t2.mov" and item.FinalizeTake() is False


def test_add_take_without_extents_fails_on_19_1_only(studio, media):
    for version, works in (("19.1.3.7", False), ("20.3.2.9", True)):
        s = studio(version=version)
        s.timeline()
        t1, t2 = s.pool.ImportMedia([media("t1.mov"), media("t2.mov")])
        item = s.pool.AppendToTimeline([t1])[0]
        assert item.AddTake(t2) is works and item.GetTakesCount() == (2 if works else 0)
        assert item.AddTake(t2, 0, 48) is True
    s = studio(version="19.1.3.7", addtake_failure_leaves_selector=True)
    s.timeline()
    t1, t2 = s.pool.ImportMedia([media("t1.mov"), media("t2.mov")])
    item = s.pool.AppendToTimeline([t1])[0]
    assert item.AddTake(t2) is False and item.GetTakesCount() == 1  # "sometimes still leaving a 1-take selector"


def test_take_extents_and_deletion(studio, media):
    s = studio()
    s.timeline()
    t1, t2, t3 = s.pool.ImportMedia([media("t1.mov"), media("t2.mov"), media("t3.mov")])
    item = s.pool.AppendToTimeline([t1])[0]
    assert item.AddTake(t2, 0, 49) is False and item.AddTake(t2, 10, 10) is False  # outside / empty
    assert item.AddTake(t2, 0.0, 48.0) is True and item.AddTake(t3, 0, 48) is True  # AYON passes floats
    assert item.SelectTakeByIndex(3) is True and item.DeleteTakeByIndex(2) is True
    assert item.GetSelectedTakeIndex() == 2 and item.GetMediaPoolItem().GetName() == "t3.mov"
    assert item.DeleteTakeByIndex(2) is True and item.GetMediaPoolItem().GetName() == "t1.mov"
    assert item.DeleteTakeByIndex(1) is False and item.SelectTakeByIndex(2) is False


def test_only_items_with_a_pool_clip_take_takes(studio, media):
    s = studio()
    timeline = s.timeline()
    clip = s.pool.ImportMedia([media("a.mov")])[0]
    title = timeline.InsertTitleIntoTimeline("Text+")
    assert title.AddTake(clip, 0, 48) is False and title.GetTakesCount() == 0


# -- §3 ImportTimelineFromFile and the OTIO shape ------------------------------------------------------


def _resolve_otio(path: Path, clips: list[tuple[str, int, int, int]], rate: float = 24, start: float | None = 86400,
                  name: str = "reel") -> Path:
    """A Resolve-shaped OTIO (§3.2): ``clips`` of (media path, media start TC frame, source in, frames)."""
    timeline = otio.schema.Timeline(name=name)
    if start is not None:
        timeline.global_start_time = otio.opentime.RationalTime(start, rate)
    timeline.metadata["Resolve_OTIO"] = {"Resolve OTIO Meta Version": "1.0"}
    track = otio.schema.Track(name="Video 1", metadata={"Resolve_OTIO": {"Locked": False}})
    for media_path, media_start, source_in, frames in clips:
        available = otio.opentime.TimeRange(otio.opentime.RationalTime(media_start, rate),
                                            otio.opentime.RationalTime(200, rate))
        ref = otio.schema.ExternalReference(target_url=media_path, available_range=available)
        clip = otio.schema.Clip(name=os.path.basename(media_path), source_range=otio.opentime.TimeRange(
            otio.opentime.RationalTime(media_start + source_in, rate), otio.opentime.RationalTime(frames, rate)))
        clip.set_media_references({"DEFAULT_MEDIA": ref}, "DEFAULT_MEDIA")
        clip.metadata["Resolve_OTIO"] = {}
        track.append(clip)
    timeline.tracks.append(track)
    otio.adapters.write_to_file(timeline, str(path))
    return path


def _timeline_names(project):
    return [project.GetTimelineByIndex(i).GetName() for i in range(1, project.GetTimelineCount() + 1)]


def test_a_resolve_shaped_otio_imports_frame_exact_into_the_current_bin(studio, media, tmp_path):
    s = studio()
    a, b = media("sh010_t1.mov", frames=200), media("sh020_t1.mov", frames=200, start_tc="01:00:00:00")
    path = _resolve_otio(tmp_path / "reel.otio", [(a, 0, 10, 48), (b, 86400, 0, 24)])
    timeline = s.pool.ImportTimelineFromFile(str(path), {"timelineName": "reel v1"})
    assert timeline.GetName() == "reel v1" and timeline.GetStartTimecode() == "01:00:00:00"
    first, second = _items(timeline)
    assert (_span(first), first.GetLeftOffset(), first.GetName()) == ((86400, 86448, 48), 10, "sh010_t1.mov")
    assert (_span(second), second.GetLeftOffset()) == ((86448, 86472, 24), 0)
    assert first.GetMediaPoolItem().GetClipProperty("File Path") == a
    assert sorted(c.GetName() for c in s.pool.GetRootFolder().GetClipList()) == [
        "reel v1", "sh010_t1.mov", "sh020_t1.mov"]
    assert s.project.GetCurrentTimeline() is None or s.project.GetCurrentTimeline().GetName() == "reel v1"
    assert s.pool.ImportTimelineFromFile(str(path), {"timelineName": "reel v1"}) is None  # a repeat fails


def _mutate(path: Path, change) -> Path:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))
    return path


def _first_clip(data):
    return data["tracks"]["children"][0]["children"][0]


@pytest.mark.parametrize("case", ["file_url", "relative_path", "missing_file", "two_references",
                                  "no_available_range", "name_is_not_the_basename", "unknown_schema",
                                  "zero_based_range_on_stamped_media", "range_past_the_media", "a_bare_clip",
                                  "rate_differs_from_the_project", "generator_reference"])
def test_otio_that_is_not_resolve_shaped_gives_none(studio, media, tmp_path, standin, case):
    s = studio()
    stamped = case == "zero_based_range_on_stamped_media"
    a = media("sh010_t1.mov", frames=100, start_tc="01:00:00:00" if stamped else "00:00:00:00")
    path = _resolve_otio(tmp_path / "reel.otio", [(a, 0, 0, 48)], rate=25 if case.startswith("rate") else 24)

    def change(data):
        clip = _first_clip(data)
        ref = clip["media_references"]["DEFAULT_MEDIA"]
        if case == "file_url":
            ref["target_url"] = "file://" + a
        elif case == "relative_path":
            ref["target_url"] = os.path.relpath(a, tmp_path)
        elif case == "missing_file":
            ref["target_url"] = a.replace("sh010_t1", "sh999")
            clip["name"] = "sh999.mov"
        elif case == "two_references":
            clip["media_references"]["take2"] = dict(ref)
        elif case == "no_available_range":
            ref["available_range"] = None
        elif case == "name_is_not_the_basename":
            clip["name"] = "sh010"
        elif case == "unknown_schema":
            clip["effects"].append({"OTIO_SCHEMA": "ShotreelTake.1", "name": "x"})
        elif case == "range_past_the_media":
            clip["source_range"]["duration"]["value"] = 101.0
        elif case == "a_bare_clip":
            data.clear()
            data.update(clip)
        elif case == "generator_reference":
            clip["media_references"]["DEFAULT_MEDIA"] = {"OTIO_SCHEMA": "GeneratorReference.1", "name": "",
                                                         "generator_kind": "shotreel.pending", "parameters": {},
                                                         "metadata": {}, "available_range": ref["available_range"]}

    _mutate(path, change)
    assert s.pool.ImportTimelineFromFile(str(path), {}) is None
    assert s.project.GetTimelineCount() == 0 and s.pool.GetRootFolder().GetClipList() == []
    assert standin.errors()[-1]["call"] == "MediaPool.ImportTimelineFromFile"


def test_otio_ranges_follow_the_media_timecode(studio, media, tmp_path):
    s = studio()
    stamped = media("camera.mov", frames=100, start_tc="01:00:00:00")
    path = _resolve_otio(tmp_path / "reel.otio", [(stamped, 86400, 20, 48)])
    item = _items(s.pool.ImportTimelineFromFile(str(path), {}))[0]
    assert item.GetLeftOffset() == 20 and item.GetSourceStartTime() == pytest.approx((86400 + 20) / 24)


def test_a_null_global_start_time_places_the_cut_at_01_00_00_00(studio, media, tmp_path):
    s = studio(fps="25")
    path = _resolve_otio(tmp_path / "reel.otio", [(media("a.mov", fps=25, frames=100), 0, 0, 50)], rate=25,
                         start=None)
    timeline = s.pool.ImportTimelineFromFile(str(path), {})
    assert timeline.GetStartFrame() == 90000 and _span(_items(timeline)[0]) == (90000, 90050, 50)


def test_import_source_clips_false_builds_every_item_offline(studio, media, tmp_path):
    s = studio()
    a = media("a.mov", frames=100)
    clip = s.pool.ImportMedia([a])[0]
    path = _resolve_otio(tmp_path / "reel.otio", [(a, 0, 0, 48)])
    root = s.pool.GetRootFolder()
    timeline = s.pool.ImportTimelineFromFile(str(path), {"importSourceClips": False, "sourceClipsFolders": [root]})
    item = _items(timeline)[0]
    assert _span(item) == (86400, 86448, 48) and item.GetMediaPoolItem() is None  # OTIO never links from the pool
    assert clip.GetClipProperty("Usage") == "0"
    assert s.pool.ImportTimelineFromFile(str(path), {"timelineName": "x", "sourceClipsFolders": ["Master"]}) is None


def test_otio_import_needs_18_6_and_moved_media_is_not_relinked(studio, media, tmp_path):
    s = studio(version="18.5.1.6")
    a = media("a.mov", frames=100)
    path = _resolve_otio(tmp_path / "reel.otio", [(a, 0, 0, 48)])
    assert s.pool.ImportTimelineFromFile(str(path), {}) is None
    s = studio()
    a = media("a.mov", frames=100)
    moved = tmp_path / "moved"
    moved.mkdir()
    shutil.move(a, moved / "a.mov")
    assert s.pool.ImportTimelineFromFile(str(path), {"sourceClipsPath": str(moved)}) is None


def test_otio_markers_come_in_on_the_timeline_and_inside_their_clip_only(studio, media, tmp_path, standin):
    s = studio()
    a = media("a.mov", frames=100)
    path = _resolve_otio(tmp_path / "reel.otio", [(a, 0, 10, 48)])

    def change(data):
        def marker(frame, name, color):
            return {"OTIO_SCHEMA": "Marker.2", "name": name, "color": color, "metadata": {
                "Resolve_OTIO": {"Keywords": [], "Note": name + " note"}}, "marked_range": {
                "OTIO_SCHEMA": "TimeRange.1", "start_time": {"OTIO_SCHEMA": "RationalTime.1", "rate": 24.0,
                                                             "value": frame},
                "duration": {"OTIO_SCHEMA": "RationalTime.1", "rate": 24.0, "value": 1.0}}}
        data["tracks"]["markers"] = [marker(24, "beat", "GREEN")]
        _first_clip(data)["markers"] = [marker(20, "inside", "RED"), marker(80, "outside", "RED")]

    _mutate(path, change)
    timeline = s.pool.ImportTimelineFromFile(str(path), {})
    assert timeline.GetMarkers() == {24.0: {"color": "Green", "duration": 1.0, "note": "beat note", "name": "beat",
                                            "customData": ""}}
    assert [m["name"] for m in _items(timeline)[0].GetMarkers().values()] == ["inside"]
    assert any("outside the clip" in e["reason"] for e in standin.errors())


def test_resolves_own_otio_export_imports_once_its_media_is_on_disk(studio, tmp_path, standin):
    s = studio()
    data = json.loads((SAMPLES / "resolve_export_effects.otio").read_text())
    from PIL import Image

    def localise(node):
        if isinstance(node, dict):
            if node.get("OTIO_SCHEMA") == "ExternalReference.1":
                local = tmp_path / "media" / os.path.basename(node["target_url"])
                local.parent.mkdir(exist_ok=True)
                if local.suffix == ".wav":
                    with wave.open(str(local), "wb") as out:
                        out.setnchannels(1)
                        out.setsampwidth(1)
                        out.setframerate(8000)
                        out.writeframes(b"\x80" * 8000 * (int(node["available_range"]["duration"]["value"]) // 24 + 2))
                else:
                    Image.new("RGB", (64, 36)).save(local)
                node["target_url"] = str(local)
            for value in node.values():
                localise(value)
        elif isinstance(node, list):
            for value in node:
                localise(value)

    localise(data)
    path = tmp_path / "effects.otio"
    path.write_text(json.dumps(data))
    timeline = s.pool.ImportTimelineFromFile(str(path), {"timelineName": "picchu"})
    assert timeline is not None, standin.errors()
    assert timeline.GetStartFrame() == 86400
    assert timeline.GetTrackCount("video") == 8 and timeline.GetTrackCount("audio") == 11
    offline = [i for k in ("video", "audio") for n in range(1, timeline.GetTrackCount(k) + 1)
               for i in _items(timeline, k, n) if i.GetMediaPoolItem() is not None
               and i.GetMediaPoolItem().GetClipProperty("Online Status") == "Offline"]
    assert offline  # MissingReference clips come in offline
    fade = next(i for i in _items(timeline) if i.GetName() == "Cross Fade 0 dB")  # a transition is an item
    assert _span(fade) == (86400 + 414, 86400 + 474, 60) and fade.GetMediaPoolItem() is None
    assert fade.GetProperty() == {}


def test_timeline_export_writes_resolves_otio_shape_which_imports_again(studio, media, tmp_path):
    s = studio()
    timeline = s.timeline()
    a = media("a.mov", frames=100)
    s.pool.AppendToTimeline([{"mediaPoolItem": s.pool.ImportMedia([a])[0], "startFrame": 10, "endFrame": 58}])
    timeline.AddMarker(5, "Green", "beat", "", 1)
    out = tmp_path / "cut.otio"
    assert timeline.Export(str(out), s.resolve.EXPORT_OTIO) is True
    data = json.loads(out.read_text())
    clip = _first_clip(data)
    assert data["metadata"]["Resolve_OTIO"] == {"Resolve OTIO Meta Version": "1.0"}
    assert clip["media_references"]["DEFAULT_MEDIA"]["target_url"] == a and clip["name"] == "a.mov"
    assert "color" not in clip
    again = s.pool.ImportTimelineFromFile(str(out), {"timelineName": "again"})
    assert [_span(i) for i in _items(again)] == [_span(i) for i in _items(timeline)]
    assert again.GetMarkers()[5.0]["name"] == "beat"


def test_fcpxml_1_10_export_writes_a_directory(studio, media, tmp_path):
    s = studio()
    timeline = s.timeline()
    s.pool.AppendToTimeline(s.pool.ImportMedia([media("a.mov")]))
    assert timeline.Export(str(tmp_path / "cut.fcpxml"), s.resolve.EXPORT_FCPXML_1_10) is True
    assert (tmp_path / "cut.fcpxml" / "Info.fcpxml").is_file()
    assert timeline.Export(str(tmp_path / "cut.edl"), s.resolve.EXPORT_EDL) is False  # EDL needs a subtype
    assert timeline.Export(str(tmp_path / "cut.edl"), s.resolve.EXPORT_EDL, s.resolve.EXPORT_NONE) is True


def test_fcp7_xml_relinks_moved_media_from_source_clips_path(studio, media, tmp_path, standin):
    s = studio()
    timeline = s.timeline()
    a = media("a.mov", frames=100)
    s.pool.AppendToTimeline([{"mediaPoolItem": s.pool.ImportMedia([a])[0], "startFrame": 0, "endFrame": 48}])
    xml = tmp_path / "cut.xml"
    assert timeline.Export(str(xml), s.resolve.EXPORT_FCP_7_XML) is True
    moved = tmp_path / "moved" / "a.mov"
    moved.parent.mkdir()
    shutil.move(a, moved)
    s = studio()
    standin.register_media(moved, fps=24, frames=100)
    imported = s.pool.ImportTimelineFromFile(str(xml), {"timelineName": "xml", "sourceClipsPath": str(moved.parent)})
    item = _items(imported)[0]
    assert _span(item) == (86400, 86448, 48)
    assert item.GetMediaPoolItem().GetClipProperty("File Path") == str(moved)


# -- §2.5 deleting, §2.6 bins, §2.9 tracks and settings ----------------------------------------------------


def test_deleting_timelines_and_clips(studio, media, standin):
    s = studio()
    first, second = s.timeline("one"), s.timeline("two")
    clip = s.pool.ImportMedia([media("a.mov")])[0]
    item = s.pool.AppendToTimeline([clip])[0]
    assert s.pool.DeleteTimelines([first]) is True and s.project.GetTimelineCount() == 1
    assert [c.GetName() for c in s.pool.GetRootFolder().GetClipList()] == ["two", "a.mov"]
    assert s.pool.DeleteClips([clip]) is True and clip.GetName() is None  # the handle is dead
    assert _items(second)[0].GetUniqueId() == item.GetUniqueId() and item.GetMediaPoolItem() is None  # offline
    assert s.pool.DeleteTimelines(["two"]) is False


def test_bins_list_the_deprecated_dict_forms_and_move(studio, media):
    s = studio()
    root = s.pool.GetRootFolder()
    bin_ = s.pool.AddSubFolder(root, "takes")
    clip = s.pool.ImportMedia([media("a.mov")])[0]
    assert list(root.GetClips()) == [1] and root.GetSubFolders()[1].GetName() == "takes"
    assert s.pool.MoveClips([clip], bin_) is True and [c.GetName() for c in bin_.GetClipList()] == ["a.mov"]
    assert root.GetClipList() == [] and s.pool.DeleteFolders([root]) is False
    assert s.pool.DeleteFolders([bin_]) is True and root.GetSubFolderList() == []


def test_tracks_can_be_added_named_enabled_and_deleted(studio):
    for version, dict_form in (("18.6.6.7", False), ("20.3.2.9", True)):
        timeline = studio(version=version).timeline()
        assert timeline.AddTrack("audio", "5.1") is True and timeline.AddTrack("audio", "quad") is False
        assert timeline.AddTrack("subtitle") is True and timeline.GetTrackCount("subtitle") == 1
        assert (timeline.AddTrack("video", {"index": 1}) is True) is dict_form
    assert timeline.GetTrackSubType("audio", 2) == "5.1" and timeline.SetTrackName("video", 1, "Takes") is True
    assert timeline.GetTrackName("video", 1) == "Takes" and timeline.SetTrackEnable("video", 1, False) is True
    assert timeline.GetIsTrackEnabled("video", 1) is False
    assert timeline.DeleteTrack("video", 2) is True and timeline.DeleteTrack("video", 1) is False  # keeps one


def test_timeline_settings_follow_the_project(studio):
    s = studio(fps="25")
    timeline = s.timeline()
    assert timeline.GetSetting("timelineFrameRate") == "25" and timeline.GetSetting("useCustomSettings") == "0"
    assert timeline.SetSetting("timelineResolutionWidth", "3840") is False  # custom settings are off
    assert timeline.SetSetting("useCustomSettings", "1") and timeline.SetSetting("timelineResolutionWidth", "3840")
    assert timeline.GetSetting("timelineResolutionWidth") == "3840"
    assert s.project.GetSetting("timelineResolutionWidth") == "1920"


def test_duplicate_timeline_copies_items_with_new_ids(studio, media):
    s = studio()
    timeline = s.timeline()
    item = s.pool.AppendToTimeline(s.pool.ImportMedia([media("a.mov")]))[0]
    twin = timeline.DuplicateTimeline()
    assert twin.GetName() == "cut copy" and timeline.DuplicateTimeline("cut copy") is None
    copy = _items(twin)[0]
    assert _span(copy) == _span(item) and copy.GetUniqueId() != item.GetUniqueId()


def test_proxies_and_flags(studio, media):
    s = studio()
    clip = s.pool.ImportMedia([media("a.mov")])[0]
    assert clip.UnlinkProxyMedia() is False and clip.LinkProxyMedia("/no/proxy.mov") is False
    assert clip.LinkProxyMedia(media("a_proxy.mov")) is True
    assert clip.GetClipProperty("Proxy Media Path").endswith("a_proxy.mov")
    assert clip.AddFlag("Red") is True and clip.AddFlag("Orange") is False and clip.GetFlagList() == ["Red"]
    assert clip.ClearFlags("All") is True and clip.GetFlagList() == []


# -- §4 relink and replace ------------------------------------------------------------------------------


def test_relink_clips_takes_a_folder_and_matches_by_file_name(studio, media, tmp_path):
    s = studio()
    clip = s.pool.ImportMedia([media("a.mov")])[0]
    assert s.pool.UnlinkClips([clip]) is True and clip.GetClipProperty("Online Status") == "Offline"
    new = media("a.mov", folder="conform/deep")
    assert s.pool.RelinkClips([clip], new) is False  # a file, not a folder
    assert s.pool.RelinkClips([clip], str(tmp_path / "conform")) is True
    assert clip.GetClipProperty("File Path") == new and clip.GetClipProperty("Online Status") == "Online"


def test_replace_clip_changes_every_use_in_every_timeline(studio, media):
    s = studio()
    clip = s.pool.ImportMedia([media("t1.mov", frames=100)])[0]
    first = s.timeline("one")
    s.pool.AppendToTimeline([clip])
    second = s.timeline("two")
    s.pool.AppendToTimeline([clip])
    assert clip.ReplaceClip(media("t2.mov", frames=120)) is True
    for timeline in (first, second):
        assert _items(timeline)[0].GetMediaPoolItem().GetClipProperty("File Name") == "t2.mov"
    assert clip.ReplaceClip("/no/such/file.mov") is False


# -- the state file: one Resolve for a test and a subprocess ------------------------------------------------


def test_a_subprocess_talks_to_the_same_resolve_through_the_state_file(standin_env, standin, media, tmp_path):
    env = standin_env(version="19.1.3.7")
    a = media("a.mov", frames=48)
    script = tmp_path / "script.py"
    script.write_text(
        "import sys, DaVinciResolveScript as dvr\n"
        "resolve = dvr.scriptapp('Resolve')\n"
        "project = resolve.GetProjectManager().CreateProject('film')\n"
        "pool = project.GetMediaPool()\n"
        "pool.CreateEmptyTimeline('cut')\n"
        "pool.AppendToTimeline(pool.ImportMedia([sys.argv[1]]))\n"
        "print(resolve.GetVersionString())\n")
    run = subprocess.run([sys.executable, str(script), a], env=standin.env(), capture_output=True, text=True,
                         check=True)
    assert run.stdout.strip() == "19.1.3.7" and env["RESOLVE_STANDIN_STATE"].endswith("resolve-state.json")
    project = standin.resolve().GetProjectManager().GetCurrentProject()  # every call reads what changed
    assert project.GetName() == "film" and _span(_items(project.GetCurrentTimeline())[0]) == (86400, 86448, 48)
    assert project.GetMediaPool().CreateEmptyTimeline("mine") is not None  # written back for the next process
    code = ("import DaVinciResolveScript as d; "
            "print(d.scriptapp('Resolve').GetProjectManager().GetCurrentProject().GetTimelineCount())")
    listed = subprocess.run([sys.executable, "-c", code], env=standin.env(), capture_output=True, text=True,
                            check=True)
    assert listed.stdout.strip() == "2"
    denied = subprocess.run([sys.executable, "-c", "import DaVinciResolveScript as d; print(d.scriptapp('Resolve'))"],
                            env=standin.env(running=False), capture_output=True, text=True, check=True)
    assert denied.stdout.strip() == "None"


def test_a_subprocess_without_a_state_file_reads_its_knobs_from_the_environment(standin):
    env = {k: v for k, v in os.environ.items() if not k.startswith("RESOLVE_STANDIN_")}
    env.update(PYTHONPATH=str(standin.FOLDER), RESOLVE_STANDIN_VERSION="18.6.6.7", RESOLVE_STANDIN_EDITION="studio")
    code = "import DaVinciResolveScript as d; print(d.scriptapp('Resolve').GetVersionString())"
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "18.6.6.7"


# -- the decoder ----------------------------------------------------------------------------------------


def test_the_decoder_reads_real_files(studio, tmp_path):
    import imageio_ffmpeg
    from PIL import Image

    s = studio()
    movie = tmp_path / "stamped.mov"
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i",
                    "testsrc=size=320x180:rate=25", "-frames:v", "30", "-timecode", "01:00:00:00",
                    "-pix_fmt", "yuv420p", str(movie)], check=True)
    still = tmp_path / "board.png"
    Image.new("RGB", (640, 360)).save(still)
    clips = s.pool.ImportMedia([str(movie), str(still)])
    props = [c.GetClipProperty() for c in clips]
    assert (props[0]["FPS"], props[0]["Frames"], props[0]["Start TC"], props[0]["Resolution"]) == (
        25.0, "30", "01:00:00:00", "320x180")
    assert (props[1]["Type"], props[1]["Resolution"], props[1]["FPS"]) == ("Still", "640x360", 24.0)
    for n in range(1001, 1013):
        Image.new("RGB", (64, 36)).save(tmp_path / f"sh010.{n:04d}.png")
    pattern = str(tmp_path / "sh010.%04d.png")
    sequence = s.pool.ImportMedia([{"FilePath": pattern, "StartIndex": 1001, "EndIndex": 1012}])[0]
    assert (sequence.GetClipProperty("Frames"), sequence.GetClipProperty("Type")) == ("12", "Video")
    assert s.pool.ImportMedia([{"FilePath": pattern, "StartIndex": 1001, "EndIndex": 1013}]) == []
