"""Loading a project: every problem names shotreel.yaml, its line and the shot; nothing is guessed."""

from fractions import Fraction
from pathlib import Path

import pytest
from shotreel.errors import ProjectError
from shotreel.example import example_text
from shotreel.project import dump_film, load_project, loads_film, write_new_project

MINIMAL = """\
title: Minimal
fps: 24
beats:
  - id: b1
scenes:
  - id: sc1
    shots:
      - id: sh010
        beat: b1
        duration: 4s
"""


def problems(text: str) -> list[str]:
    with pytest.raises(ProjectError) as caught:
        loads_film(text)
    return [str(p) for p in caught.value.problems]


def test_the_example_loads_exactly(example_film):
    shots = list(example_film.shots())
    assert len(shots) == 12
    assert example_film.fps == Fraction(24)
    assert example_film.start_frame == 86400
    assert example_film.runtime() == 60 * 24 == example_film.target_runtime
    assert shots[3].dialogue[0].character == "MARA"
    assert shots[0].camera.size == "EWS"
    assert example_film.root == example_film.root.resolve()


def test_unknown_key_names_line_shot_and_suggestion():
    text = MINIMAL.replace("        duration: 4s\n", "        duration: 4s\n        camra: {size: CU}\n")
    assert problems(text) == ["shotreel.yaml:11: shot sh010: unknown key 'camra' in a shot; did you mean 'camera'?"]


def test_unknown_top_level_key_without_close_match_lists_keys():
    (only,) = problems(MINIMAL + "director: me\n")
    assert only.startswith("shotreel.yaml:11: unknown key 'director' in the film; the film takes title, fps")


def test_every_problem_is_reported_not_only_the_first():
    text = MINIMAL.replace("fps: 24", "fps: 12").replace("duration: 4s", "duration: 4x")
    found = problems(text)
    assert found[0].startswith("shotreel.yaml:2: fps 12 is not supported; use one of 23.976, 24")
    assert found[1] == "shotreel.yaml:10: shot sh010: duration '4x' is not readable (use 4s, 2.5s, 96f or 00:00:04:00)"


def test_malformed_yaml_names_the_line():
    (only,) = problems("title: x\nfps: 24\nscenes:\n  - id: a\n   shots: [\n")
    assert only.startswith(("shotreel.yaml:5: malformed YAML", "shotreel.yaml:4: malformed YAML"))


def test_duplicate_keys_are_errors_not_silent_overrides():
    assert problems(MINIMAL + "title: Again\n") == ["shotreel.yaml:11: key 'title' is given twice"]


@pytest.mark.parametrize("replace, expected", [
    (("beats:\n  - id: b1", "beats: b1"), "shotreel.yaml:3: beats must be a list, not the text 'b1'"),
    (("        beat: b1", "        beat: [b1]"), "shotreel.yaml:9: shot sh010: shot 'beat' must be text, not a list"),
    (("duration: 4s", "duration: 4"), "shotreel.yaml:10: shot sh010: duration 4 has no unit"),
    (("title: Minimal", "title: Minimal\nresolution: wide"), "shotreel.yaml:2: resolution 'wide' is not WIDTHxHEIGHT"),
])
def test_wrong_types_are_named(replace, expected):
    found = problems(MINIMAL.replace(*replace))
    assert found[0].startswith(expected), found


def test_timecodes_are_never_read_as_base_60_numbers():
    film = loads_film(MINIMAL.replace("fps: 24", "fps: 25\nstart_timecode: 10:00:00:00"))
    assert film.start_timecode == "10:00:00:00"
    assert film.start_frame == 900000


def test_ntsc_project_is_exact():
    film = loads_film(MINIMAL.replace("fps: 24", "fps: 29.97\nstart_timecode: '01:00:00;00'"))
    assert film.fps == Fraction(30000, 1001)
    assert film.start_frame == 107892


def test_a_folder_that_is_not_a_project(tmp_path: Path):
    with pytest.raises(ProjectError, match="is not a shotreel project .no shotreel.yaml.; start one with"):
        load_project(tmp_path)
    with pytest.raises(ProjectError, match="no such project folder"):
        load_project(tmp_path / "missing")


def test_binary_file_is_reported_not_crashed(tmp_path: Path):
    (tmp_path / "shotreel.yaml").write_bytes(b"\xff\xfe\x00garbage\x00")
    with pytest.raises(ProjectError, match="shotreel.yaml"):
        load_project(tmp_path)


def test_written_project_round_trips(tmp_path: Path):
    film = loads_film(example_text())
    text = dump_film(film, header="made by a test")
    assert text.startswith("# made by a test\n")
    again = loads_film(text)
    assert [(s.id, s.duration, s.beat, s.camera, s.dialogue) for s in again.shots()] == \
        [(s.id, s.duration, s.beat, s.camera, s.dialogue) for s in film.shots()]
    assert again.story == film.story


def test_new_project_never_overwrites(tmp_path: Path):
    write_new_project(tmp_path, MINIMAL)
    before = (tmp_path / "shotreel.yaml").read_bytes()
    with pytest.raises(ProjectError, match="never overwrites"):
        write_new_project(tmp_path, MINIMAL.replace("Minimal", "Other"))
    assert (tmp_path / "shotreel.yaml").read_bytes() == before


def test_invalid_project_is_never_written(tmp_path: Path):
    with pytest.raises(ProjectError):
        write_new_project(tmp_path / "p", MINIMAL.replace("4s", "4x"))
    folder = tmp_path / "p"
    assert not folder.exists() or list(folder.iterdir()) == []


def test_loading_the_same_text_again_gives_a_film_of_its_own(example_dir) -> None:
    """The parse is remembered between loads of an unchanged file: changing one film never shows in the next."""
    first = load_project(example_dir)
    shot = first.shot("sh040")
    shot.action = "changed"
    shot.dialogue.clear()
    shot.assets.append("nobody")
    shot.camera.lens = "1mm"
    first.asset("mara").references.append("refs/x.png")
    first.scenes[0].shots.clear()
    again = load_project(example_dir)
    assert again.shot("sh040").action.startswith("Mara turns") and again.shot("sh040").dialogue
    assert "nobody" not in again.shot("sh040").assets and again.shot("sh040").camera.lens != "1mm"
    assert again.asset("mara").references == [] and again.scenes[0].shots
    text = (example_dir / "shotreel.yaml").read_text(encoding="utf-8")
    (example_dir / "shotreel.yaml").write_text(text.replace("Mara turns", "Mara spins", 1), encoding="utf-8")
    assert load_project(example_dir).shot("sh040").action.startswith("Mara spins")
