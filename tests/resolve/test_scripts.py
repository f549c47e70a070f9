"""shotreel's Resolve scripts against the stand-in, run exactly as an editor runs them: `shotreel resolve …`
from a terminal (in this process and in a subprocess), and the Workspace ▸ Scripts launchers."""

from __future__ import annotations

import json
import runpy
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from shotreel.boards import draw_boards
from shotreel.cli import main
from shotreel.conform import conform
from shotreel.example import scaffold_example
from shotreel.model import Selection
from shotreel.project import load_project
from shotreel.sync import sync_selects
from shotreel.takes import load_selects

from tests._reel_support import add_take

TAKES = [("sh020", "t1", 140), ("sh020", "t2", 120), ("sh030", "t1", 96), ("sh030", "t2", 110), ("sh040", "t1", 80),
         ("sh050", "t1", 144)]


def take(standin: ModuleType, folder: Path, shot: str, name: str, frames: int, fps: int = 24) -> Path:
    path = add_take(folder, shot, name, fps=fps, frames=frames, created=float(name[1:]))
    standin.register_media(path, fps=fps, frames=frames, width=64, height=36, codec="h264")
    return path


@pytest.fixture
def film(standin: ModuleType, tmp_path: Path) -> Path:
    """The example film with boards drawn, six takes (sh040's shorter than its shot) and one trimmed select,
    and an empty project open in a Resolve Studio stand-in."""
    folder = tmp_path / "green-hours"
    scaffold_example(folder)
    draw_boards(load_project(folder))
    for shot, name, frames in TAKES:
        take(standin, folder, shot, name, frames)
    (folder / "selects.yaml").write_text("shots:\n  sh020: {take: t1, in: 12, out: 100}\n", encoding="utf-8")
    assert standin.resolve().GetProjectManager().CreateProject("film") is not None
    return folder


def timeline(standin: ModuleType):
    return standin.resolve().GetProjectManager().GetCurrentProject().GetCurrentTimeline()


def items(standin: ModuleType, track: int) -> list:
    return list(timeline(standin).GetItemListInTrack("video", track))


def path_of(item) -> str:
    return item.GetMediaPoolItem().GetClipProperty("File Path")


def test_import_builds_the_reel_at_exact_frames_with_every_take_in_the_selector(film: Path, standin, capsys) -> None:
    assert main(["resolve", "import", str(film)]) == 0
    out = capsys.readouterr().out
    assert "connected to DaVinci Resolve Studio 20.3" in out and "timeline 'Green Hours reel'" in out
    film_ = load_project(film)
    cut = conform(film_)
    tl = timeline(standin)
    project = standin.resolve().GetProjectManager().GetCurrentProject()
    assert (tl.GetName(), tl.GetStartFrame(), tl.GetStartTimecode()) == ("Green Hours reel", 86400, "01:00:00:00")
    assert project.GetSetting("timelineFrameRate") in ("24", 24.0)
    boards = items(standin, 1)
    assert [(b.GetStart(), b.GetEnd()) for b in boards] == [(86400 + c.record_in, 86400 + c.record_out) for c in cut.shots]
    takes = {b.GetMediaPoolItem().GetMetadata("Shot"): b for b in items(standin, 2)}
    assert sorted(takes) == ["sh020", "sh030", "sh040", "sh050"]
    sh020 = takes["sh020"]
    assert (sh020.GetLeftOffset(), sh020.GetDuration()) == (12, 88)  # the select's trims are the cut
    assert sh020.GetTakesCount() == 2 and sh020.GetSelectedTakeIndex() == 1
    assert Path(path_of(sh020)).name == "t1.mp4" and sh020.GetClipColor() == "Green"
    assert takes["sh040"].GetDuration() == 80 and takes["sh040"].GetClipColor() == "Yellow"  # runs short
    assert takes["sh030"].GetTakesCount() == 2 and Path(path_of(takes["sh030"])).name == "t2.mp4"  # the newest
    second = sh020.GetTakeByIndex(2)
    assert Path(second["mediaPoolItem"].GetClipProperty("File Path")).name == "t2.mp4"
    assert (second["startFrame"], second["endFrame"]) == (0, 88)  # inside t2's 120 frames
    markers = tl.GetMarkers()
    assert [m["name"] for _, m in sorted(markers.items())] == [b.title for b in film_.beats]
    assert "Red" not in {m["color"] for m in markers.values()}
    sh110 = next(b for b in boards if b.GetMediaPoolItem().GetMetadata("Shot") == "sh110")
    assert [m["color"] for m in sh110.GetMarkers().values()] == ["Red"]  # the check's warning, on its shot
    clip = sh020.GetMediaPoolItem()
    assert (clip.GetMetadata("Shot"), clip.GetMetadata("Scene"), clip.GetMetadata("Take")) == ("sh020", "sc02", "t1")
    root = project.GetMediaPool().GetRootFolder()
    [bin_] = [f for f in root.GetSubFolderList() if f.GetName() == "Green Hours"]
    assert sorted(f.GetName() for f in bin_.GetSubFolderList()) == ["sc01", "sc02", "sc03", "sc04", "sc05", "sc06"]


@pytest.mark.parametrize("version", ["18.6.6.7", "19.1.3.7", "20.3.2.9", "21.1.0.14"])
def test_every_supported_version_gets_the_same_frames(film: Path, standin, version: str, capsys) -> None:
    standin.configure(version=version)
    assert main(["resolve", "import", str(film)]) == 0, capsys.readouterr()
    sh020 = next(i for i in items(standin, 2) if i.GetMediaPoolItem().GetMetadata("Shot") == "sh020")
    assert (sh020.GetStart(), sh020.GetLeftOffset(), sh020.GetDuration()) == (86400 + 144, 12, 88)
    assert len(items(standin, 1)) == 12


def test_an_existing_timeline_name_gets_a_new_version(film: Path, standin, capsys) -> None:
    assert main(["resolve", "import", str(film)]) == 0
    assert main(["resolve", "import", str(film)]) == 0
    assert "timeline 'Green Hours reel v2'" in capsys.readouterr().out
    project = standin.resolve().GetProjectManager().GetCurrentProject()
    assert project.GetTimelineCount() == 2
    bins = project.GetMediaPool().GetRootFolder().GetSubFolderList()
    assert [f.GetName() for f in bins].count("Green Hours") == 1  # the media is reused, not imported twice
    takes = next(f for f in bins[0].GetSubFolderList() if f.GetName() == "sc02").GetSubFolderList()
    in_sc02 = [t for t in TAKES if load_project(film).shot(t[0]).scene == "sc02"]
    assert sum(len(f.GetClipList()) for f in takes if f.GetName() == "Takes") == len(in_sc02)


def test_a_project_locked_to_another_rate_is_refused_and_nothing_is_made(film: Path, standin, capsys) -> None:
    project = standin.resolve().GetProjectManager().GetCurrentProject()
    assert project.SetSetting("timelineFrameRate", "25")
    assert project.GetMediaPool().CreateEmptyTimeline("their cut") is not None
    assert main(["resolve", "import", str(film)]) == 2
    err = capsys.readouterr().err
    assert "runs at 25 fps and the film at 24" in err and err.count("\n") == 1
    assert project.GetTimelineCount() == 1 and not project.GetMediaPool().GetRootFolder().GetSubFolderList()


def test_a_project_that_fails_check_is_refused_with_its_errors(film: Path, standin, capsys) -> None:
    text = (film / "shotreel.yaml").read_text()
    (film / "shotreel.yaml").write_text(text.replace("beat: sign", "beat: nowhere", 1))
    assert main(["resolve", "import", str(film)]) == 2
    assert "beat 'nowhere' does not exist" in capsys.readouterr().err
    assert standin.resolve().GetProjectManager().GetCurrentProject().GetTimelineCount() == 0


def test_a_failure_part_way_removes_everything_the_import_made(film: Path, standin, capsys) -> None:
    broken = film / "takes" / "sh050" / "t1.mp4"
    broken.write_bytes(b"not a movie")  # the decoder cannot read it: Resolve leaves it out of ImportMedia
    standin.current().config.media.pop(str(broken), None)
    assert main(["resolve", "import", str(film)]) == 2
    assert f"Resolve could not import {broken}" in capsys.readouterr().err
    project = standin.resolve().GetProjectManager().GetCurrentProject()
    assert project.GetTimelineCount() == 0
    assert not project.GetMediaPool().GetRootFolder().GetSubFolderList()  # no bins, no clips left behind


def test_update_adds_new_takes_and_keeps_the_editors_choice_and_trims(film: Path, standin, capsys) -> None:
    assert main(["resolve", "import", str(film)]) == 0
    sh030 = next(i for i in items(standin, 2) if i.GetMediaPoolItem().GetMetadata("Shot") == "sh030")
    assert sh030.SelectTakeByIndex(2)  # the editor prefers t1 (take 2 in the selector)
    take(standin, film, "sh030", "t3", 100)
    take(standin, film, "sh010", "t1", 200)  # a shot that had only its board
    capsys.readouterr()
    assert main(["resolve", "update", str(film)]) == 0
    out = capsys.readouterr().out
    assert "shot sh030: 1 new take(s) in the take selector (t3)" in out
    assert "shot sh010: its first take placed over its board" in out
    sh030 = next(i for i in items(standin, 2) if i.GetMediaPoolItem().GetMetadata("Shot") == "sh030")
    assert sh030.GetTakesCount() == 3 and sh030.GetSelectedTakeIndex() == 2  # the editor's choice kept
    assert Path(path_of(sh030)).name == "t1.mp4" and sh030.GetClipColor() == "Orange"
    assert [m["name"] for m in sh030.GetMarkers().values()] == ["new takes"]
    sh010 = next(i for i in items(standin, 2) if i.GetMediaPoolItem().GetMetadata("Shot") == "sh010")
    assert (sh010.GetStart(), sh010.GetEnd()) == (86400, 86400 + 144)
    assert main(["resolve", "update", str(film)]) == 0
    assert "no new takes" in capsys.readouterr().out


def test_replace_changes_one_shots_item_only(film: Path, standin, capsys) -> None:
    assert main(["resolve", "import", str(film)]) == 0
    before = {i.GetMediaPoolItem().GetMetadata("Shot"): path_of(i) for i in items(standin, 2)}
    assert main(["resolve", "replace", str(film), "sh030", "t1"]) == 0
    after = {i.GetMediaPoolItem().GetMetadata("Shot"): path_of(i) for i in items(standin, 2)}
    assert Path(after["sh030"]).name == "t1.mp4"
    assert {k: v for k, v in after.items() if k != "sh030"} == {k: v for k, v in before.items() if k != "sh030"}
    assert main(["resolve", "replace", str(film), "sh030", "t9"]) == 2
    assert "shot sh030: no take 't9' (its takes: t1, t2)" in capsys.readouterr().err


def test_send_writes_the_editors_choices_as_sync_would_from_resolves_own_export(film: Path, standin, capsys,
                                                                                 tmp_path: Path) -> None:
    assert main(["resolve", "import", str(film)]) == 0
    capsys.readouterr()
    assert main(["resolve", "send", str(film)]) == 0  # nothing changed in Resolve: nothing to send
    assert "nothing to send" in capsys.readouterr().out
    sh030 = next(i for i in items(standin, 2) if i.GetMediaPoolItem().GetMetadata("Shot") == "sh030")
    assert sh030.SelectTakeByIndex(2)  # t1 instead of the newest
    original = (film / "selects.yaml").read_text()
    exported = tmp_path / "from-resolve.otio"
    resolve = standin.resolve()
    assert timeline(standin).Export(str(exported), resolve.EXPORT_OTIO, resolve.EXPORT_NONE)
    expected = sync_selects(load_project(film), exported, dry_run=True).selects
    assert main(["resolve", "send", str(film)]) == 0
    assert "select sh030: newest take -> take t1" in capsys.readouterr().out
    assert load_selects(load_project(film)) == expected
    assert expected["sh030"] == Selection("sh030", "t1") and (film / "selects.yaml").read_text() != original
    assert (film / "edit" / "resolve-edit.otio").is_file()


def test_conform_relinks_media_after_the_project_moved(film: Path, standin, tmp_path: Path, capsys) -> None:
    assert main(["resolve", "import", str(film)]) == 0
    moved = tmp_path / "moved"
    film.rename(moved)
    for shot, name, frames in TAKES:
        standin.register_media(moved / "takes" / shot / f"{name}.mp4", fps=24, frames=frames, width=64, height=36,
                               codec="h264")
    capsys.readouterr()
    assert main(["resolve", "conform", str(moved)]) == 0
    out = capsys.readouterr().out
    assert "relinked" in out and "still missing" not in out
    assert all(Path(path_of(i)).is_file() and str(moved) in path_of(i) for i in items(standin, 2))
    (moved / "takes" / "sh050" / "t1.mp4").unlink()
    standin.resolve().GetProjectManager().GetCurrentProject()  # still the same project
    assert main(["resolve", "conform", str(moved)]) == 1
    assert "shot sh050: still missing t1.mp4" in capsys.readouterr().out


def test_the_free_edition_gets_files_to_import_by_hand(film: Path, standin, capsys) -> None:
    standin.configure(edition="free", version="21.1.0.14")
    assert main(["resolve", "import", str(film)]) == 1
    out = capsys.readouterr().out
    assert "DaVinci Resolve did not answer" in out and "free edition" in out
    for name in ("reel-resolve.otio", "reel-resolve.xml"):
        assert f"wrote {film / 'edit' / name}" in out and (film / "edit" / name).is_file()
    # and that OTIO is one Resolve's importer takes (the shape of reference §3.2)
    standin.configure(edition="studio")
    project = standin.resolve().GetProjectManager().GetCurrentProject()
    imported = project.GetMediaPool().ImportTimelineFromFile(str(film / "edit" / "reel-resolve.otio"),
                                                             {"timelineName": "by hand", "importSourceClips": True})
    assert imported is not None, standin.last_error()


def test_resolve_not_running_is_one_line(film: Path, standin, capsys) -> None:
    standin.configure(running=False)
    assert main(["resolve", "send", str(film)]) == 1
    out = capsys.readouterr().out
    assert out.startswith("shotreel: DaVinci Resolve did not answer: it is not running") and out.count("\n") == 1


def test_the_terminal_command_in_a_subprocess_and_a_menu_launcher(film: Path, standin, tmp_path: Path) -> None:
    standin.reset(state_file=tmp_path / "resolve.json")
    for shot, name, frames in TAKES:
        standin.register_media(film / "takes" / shot / f"{name}.mp4", fps=24, frames=frames, width=64, height=36,
                               codec="h264")
    assert standin.resolve().GetProjectManager().CreateProject("film") is not None
    run = subprocess.run([sys.executable, "-m", "shotreel.cli", "resolve", "import", str(film)], env=standin.env(),
                         capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    standin.reload()
    assert len(items(standin, 1)) == 12 and len(items(standin, 2)) == 4
    # the editor picks another take, then runs Workspace ▸ Scripts ▸ shotreel ▸ Send Choices
    sh030 = next(i for i in items(standin, 2) if i.GetMediaPoolItem().GetMetadata("Shot") == "sh030")
    assert sh030.SelectTakeByIndex(2)
    from shotreel_resolve.install import install

    launcher = next(p for p in install(folder=tmp_path / "Scripts") if p.name == "Send Choices.py")
    standin.configure(launch="menu")
    runpy.run_path(str(launcher), init_globals=standin.menu_globals())
    assert load_selects(load_project(film))["sh030"] == Selection("sh030", "t1")


def test_free_21_0_runs_the_menu_scripts(film: Path, standin, capsys) -> None:
    from shotreel_resolve.menu import run

    standin.configure(edition="free", version="21.0.3.7", launch="menu")
    assert run("import", standin.menu_globals()["resolve"], project=str(film)) == 0
    assert "timeline 'Green Hours reel'" in capsys.readouterr().out


def test_the_import_benchmark_runs_on_a_small_reel(standin, capsys) -> None:
    """The 500-shot figure is measured by ``python benchmarks/bench_resolve.py``; here it only has to run."""
    import importlib.util

    bench_file = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_resolve.py"
    spec = importlib.util.spec_from_file_location("bench_resolve", bench_file)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    code = bench.main(["--shots", "40", "--takes", "3", "--runs", "1"])
    out = capsys.readouterr().out
    assert code in (0, 1) and "API calls:" in out and "run 1:" in out


def test_editorial_media_on_import_and_conform_and_choices_still_name_the_take(standin, tmp_path: Path,
                                                                                capsys) -> None:
    from tests._media_support import add_take as real_take
    from tests._media_support import tiny_example

    folder = tmp_path / "film"
    tiny_example(folder)
    draw_boards(load_project(folder))
    real_take(folder, "sh020", "t1", 130, created=1.0)
    real_take(folder, "sh020", "t2", 125, created=2.0)
    assert standin.resolve().GetProjectManager().CreateProject("film") is not None
    assert main(["resolve", "import", str(folder), "--media", "prores"]) == 0
    assert "prores: 2 take(s) transcoded" in capsys.readouterr().out
    [item] = items(standin, 2)
    assert path_of(item) == str(folder / "edit" / "media" / "sh020" / "t2.mov")
    assert item.SelectTakeByIndex(2)  # t1, as ProRes
    assert main(["resolve", "send", str(folder)]) == 0
    assert load_selects(load_project(folder)) == {"sh020": Selection("sh020", "t1")}
    # a timeline imported with the camera files gets its clips swapped for the transcodes by conform
    assert main(["resolve", "import", str(folder)]) == 0
    [item] = items(standin, 2)
    assert path_of(item).endswith("takes/sh020/t1.mp4")
    assert main(["resolve", "conform", str(folder), "--media", "prores"]) == 0
    assert "2 take(s) now play their editorial transcode" in capsys.readouterr().out
    assert path_of(items(standin, 2)[0]) == str(folder / "edit" / "media" / "sh020" / "t1.mov")


def test_a_timeline_edited_past_recognition_is_reported_shot_by_shot(film: Path, standin, media, capsys) -> None:
    assert main(["resolve", "import", str(film)]) == 0
    project = standin.resolve().GetProjectManager().GetCurrentProject()
    pool = project.GetMediaPool()
    tl = timeline(standin)
    takes = {i.GetMediaPoolItem().GetMetadata("Shot"): i for i in items(standin, 2)}
    assert standin.resolve().OpenPage("edit")
    assert tl.DeleteClips([takes["sh050"]])  # the editor deleted one shot's take
    stock = pool.ImportMedia([media("explosion.mov", frames=48)])[0]  # and dropped in a stock clip
    end = tl.GetEndFrame()
    assert pool.AppendToTimeline([{"mediaPoolItem": stock, "startFrame": 0, "endFrame": 24, "recordFrame": end,
                                   "trackIndex": 2, "mediaType": 1}])
    (film / "takes" / "sh030" / "t2.mp4").unlink()  # a take deleted since the import
    capsys.readouterr()
    assert main(["resolve", "send", str(film)]) == 0
    out = capsys.readouterr().out
    assert f"unmatched: explosion.mov ({media('explosion.mov', frames=48)})" in out
    assert "shot sh030: it plays t2.mp4, which is no longer in takes/sh030/; its select is kept" in out
    assert "sh020: in the cut more than once" not in out  # never taken for another shot's t2.mp4
    assert load_selects(load_project(film))["sh020"] == Selection("sh020", "t1", 12, 100)  # untouched
    assert main(["resolve", "update", str(film)]) == 0
    out = capsys.readouterr().out
    assert "V2 item 'explosion.mov'" in out and "is not a shotreel shot; left alone" in out


def test_a_stale_take_carries_a_red_marker_on_its_take_item_only(film: Path, standin, capsys) -> None:
    from shotreel.stale import take_inputs

    film_ = load_project(film)
    for shot in ("sh030", "sh050"):  # both record what they were made from; then sh030's action changes
        take(standin, film, shot, "t3", 96)
        sidecar = film / "takes" / shot / "t3.json"
        data = json.loads(sidecar.read_text())
        sidecar.write_text(json.dumps({**data, "inputs": take_inputs(film_, shot)}))
    text = (film / "shotreel.yaml").read_text(encoding="utf-8")
    action = "action: The gauge drops to 18%."
    assert text.count(action) == 1 and film_.shot("sh030").action.startswith(action[len("action: "):])
    (film / "shotreel.yaml").write_text(text.replace(action, "action: Suddenly the gauge drops to 18%."),
                                        encoding="utf-8")
    assert load_project(film).shot("sh030").action.startswith("Suddenly")
    assert main(["resolve", "import", str(film)]) == 0
    capsys.readouterr()
    takes = {b.GetMediaPoolItem().GetMetadata("Shot"): b for b in items(standin, 2)}
    marked = {shot: item.GetMarkers() for shot, item in takes.items() if item.GetMarkers()}
    assert list(marked) == ["sh030"]
    ((frame, marker),) = marked["sh030"].items()
    assert frame == takes["sh030"].GetLeftOffset() and marker["color"] == "Red"
    assert marker["name"] == "stale: t3" and "action changed" in marker["note"]
    assert json.loads(marker["customData"])["reasons"] == marker["note"].split("\n")
    assert not any(b.GetMarkers() for b in items(standin, 1) if b.GetMediaPoolItem().GetMetadata("Shot") == "sh030")
