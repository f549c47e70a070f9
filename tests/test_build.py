"""`shotreel build`: the main job on the example film, end to end, with real Pillow and real OTIO adapters."""

import opentimelineio as otio

from shotreel.cli import main
from shotreel.project import load_project


def test_build_writes_boards_contact_sheet_and_three_reels(example_dir, capsys):
    assert main(["build", str(example_dir)]) == 0
    out = capsys.readouterr().out
    film = load_project(example_dir)
    edit = example_dir / "edit"
    assert sorted(p.name for p in edit.iterdir()) == ["contact_sheet.pdf", "contact_sheet.png", "reel.edl",
                                                      "reel.otio", "reel.xml"]
    assert sorted(p.stem for p in (example_dir / "boards").iterdir()) == [s.id for s in film.shots()]
    timeline = otio.adapters.read_from_file(str(edit / "reel.otio"))
    boards = timeline.video_tracks()[0]
    assert [c.name for c in boards] == [s.id for s in film.shots()]
    assert [round(c.duration().value) for c in boards] == [s.duration for s in film.shots()]
    assert timeline.global_start_time.value == 86400
    edl = otio.adapters.read_from_file(str(edit / "reel.edl"), rate=24)
    assert [round(c.duration().value) for c in edl.video_tracks()[0]] == [s.duration for s in film.shots()]
    assert "done: 12 shots, 1m 00.0s at 24 fps, starting 01:00:00:00" in out


def test_build_refuses_a_project_with_errors_and_writes_nothing(example_dir, capsys):
    path = example_dir / "shotreel.yaml"
    path.write_text(path.read_text().replace("beat: fear\n        duration: 4s", "beat: feer\n        duration: 4s"))
    assert main(["build", str(example_dir)]) == 2
    err = capsys.readouterr().err
    assert "shot sh070: beat 'feer' does not exist; did you mean 'fear'?" in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert list((example_dir / "edit").iterdir()) == [] and list((example_dir / "boards").iterdir()) == []
