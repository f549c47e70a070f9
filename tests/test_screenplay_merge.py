"""Re-importing a revised script: new scenes and shots added, cut ones reported, changed text updated,
and everything a person wrote (comments, camera, prompts, boards, durations, takes) kept in place."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from PIL import Image
from shotreel.checks import run_checks
from shotreel.cli import main
from shotreel.project import load_project
from shotreel.screenplay.yamlpatch import New, YamlText
from shotreel.takes import find_takes, load_selects

SCRIPTS = Path(__file__).parent / "scripts"
ORIGINAL = (SCRIPTS / "green_hours.fountain").read_text(encoding="utf-8")


def replace(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def hand_edit(folder: Path) -> None:
    """What a person does after the first import: comments, camera, prompt, board, a duration, a take."""
    file = folder / "shotreel.yaml"
    text = file.read_text(encoding="utf-8")
    text = replace(text, "title: GREEN HOURS\n", "title: GREEN HOURS\n# director: keep the plant green, nothing else\n")
    text = replace(text, "        camera:\n          size: CU on the gauge\n",
                   "        camera: {size: MCU, angle: low, lens: 85mm}  # the gauge, from below\n"
                   "        prompt: amber light, frost on the glass\n")
    text = replace(text, "      - id: sc01_sh010\n        beat: alone\n",
                   "      - id: sc01_sh010\n        beat: alone\n        boards: [boards/sc01_sh010.png]\n")
    text = replace(text, "      - id: sc04_sh010\n        beat: nobody_s_coming\n        duration: 163f\n",
                   "      - id: sc04_sh010\n        beat: nobody_s_coming\n        duration: 5s\n")
    text = replace(text, "      - id: sc06_sh020\n", "      - id: sc06_sh015  # mine: an insert the script does not have\n"
                   "        beat: becoming\n        duration: 2s\n        action: The plant's shadow crosses the hull.\n"
                   "      - id: sc06_sh020\n")
    file.write_text(text, encoding="utf-8")
    Image.new("RGB", (64, 36), "navy").save(folder / "boards" / "sc01_sh010.png")
    (folder / "takes" / "sc03_sh020").mkdir(parents=True)
    (folder / "takes" / "sc03_sh020" / "t001.mp4").write_bytes(b"not decoded here")
    (folder / "selects.yaml").write_text("shots:\n  sc03_sh020: t001\n", encoding="utf-8")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "film"
    script = tmp_path / "script.fountain"
    script.write_text(ORIGINAL, encoding="utf-8")
    assert main(["import-script", str(script), str(folder)]) == 0
    hand_edit(folder)
    return folder


def reimport(project: Path, script_text: str, *options: str) -> int:
    script = project.parent / "script.fountain"
    script.write_text(script_text, encoding="utf-8")
    return main(["import-script", str(script), str(project), *options])


def assert_hand_edits_kept(project: Path) -> None:
    text = (project / "shotreel.yaml").read_text(encoding="utf-8")
    assert "# director: keep the plant green, nothing else\n" in text
    assert "        camera: {size: MCU, angle: low, lens: 85mm}  # the gauge, from below\n" in text
    film = load_project(project)
    assert film.shot("sc02_sh020").prompt == "amber light, frost on the glass"
    assert film.shot("sc01_sh010").boards[0].path == "boards/sc01_sh010.png"
    assert film.shot("sc04_sh010").duration_text == "5s"
    assert [t.id for t in find_takes(film)["sc03_sh020"]] == ["t001"]
    assert load_selects(film)["sc03_sh020"].take == "t001"
    assert film.shot("sc03_sh020").action.startswith("A leaf unfurls")
    assert [s.id for s in film.scene_of(film.shot("sc06_sh010")).shots] == ["sc06_sh010", "sc06_sh015", "sc06_sh020"]
    assert run_checks(film).errors == []


def test_the_same_script_again_changes_nothing(project, capsys):
    before = (project / "shotreel.yaml").read_bytes()
    assert reimport(project, ORIGINAL, "--write") == 0
    assert "no changes" in capsys.readouterr().out
    assert (project / "shotreel.yaml").read_bytes() == before


def test_without_write_the_merge_is_only_printed(project, capsys):
    before = (project / "shotreel.yaml").read_bytes()
    revised = replace(ORIGINAL, "Nobody's coming.\n\nThe gauge", "No one is coming. Not ever.\n\nThe gauge")
    assert reimport(project, revised) == 0
    out = capsys.readouterr().out
    assert "~ shot sc04_sh010 dialogue: MARA (CONT'D), No one is coming. Not ever." in out
    assert "nothing written: run again with --write" in out
    assert reimport(project, revised, "--dry-run", "--diff") == 0
    out = capsys.readouterr().out
    assert "-            line: Nobody's coming.\n+            line: No one is coming. Not ever.\n" in out
    assert (project / "shotreel.yaml").read_bytes() == before
    assert not (project / "shotreel.yaml.bak").exists()


def test_dialogue_rewritten_updates_the_line_and_keeps_the_hand_edited_duration(project, capsys):
    before = (project / "shotreel.yaml").read_text(encoding="utf-8")
    revised = replace(ORIGINAL, "Nobody's coming.\n\nThe gauge", "No one is coming. Not ever.\n\nThe gauge")
    assert reimport(project, revised, "--write") == 0
    out = capsys.readouterr().out
    assert "= shot sc04_sh010 duration: kept your edit (the script now has '202f')" in out
    assert (project / "shotreel.yaml.bak").read_text(encoding="utf-8") == before
    after = (project / "shotreel.yaml").read_text(encoding="utf-8")
    # one line changed, every other byte as it was
    assert after == before.replace("line: Nobody's coming.", "line: No one is coming. Not ever.")
    assert_hand_edits_kept(project)


def test_scene_inserted_gets_an_id_between_its_neighbours_and_lands_in_order(project, capsys):
    revised = replace(ORIGINAL, "CUT TO:\n", "CUT TO:\n\nINT. VESNA - AIRLOCK - NIGHT CYCLE\n\n"
                                             "Mara checks the airlock seals one by one.\n\n")
    assert reimport(project, revised, "--write") == 0
    out = capsys.readouterr().out
    assert "+ scene sc02a INT. VESNA - AIRLOCK - NIGHT CYCLE (1 shot)" in out
    assert "+ location vesna_airlock" in out
    film = load_project(project)
    assert [s.id for s in film.scenes] == ["sc01", "sc02", "sc02a", "sc03", "sc04", "sc05", "sc06"]
    assert film.shot("sc02a_sh010").assets == ["mara", "vesna_airlock"]
    assert film.shot("sc02a_sh010").beat == "a_sign_of_life"
    record = json.loads((project / ".shotreel" / "script-import.json").read_text(encoding="utf-8"))
    assert "sc02a_sh010" in record["shots"]
    assert_hand_edits_kept(project)


def test_shot_inserted_inside_a_scene_takes_a_free_number_between_its_neighbours(project, capsys):
    revised = replace(ORIGINAL, "[[shot: CU on the gauge]]", "Her hand hovers over the alarm.\n\n[[shot: CU on the gauge]]")
    assert reimport(project, revised, "--write") == 0
    assert "+ shot sc02_sh015: Her hand hovers over the alarm." in capsys.readouterr().out
    film = load_project(project)
    assert [s.id for s in film.scenes[1].shots] == ["sc02_sh010", "sc02_sh015", "sc02_sh020", "sc02_sh030"]
    assert_hand_edits_kept(project)


def test_scene_cut_is_reported_and_kept(project, capsys):
    start = ORIGINAL.index("INT. VESNA - HYDROPONICS BAY - LATER #5#")
    revised = ORIGINAL[:start] + ORIGINAL[ORIGINAL.index("EXT. THE VESNA - DEEP SPACE #6#"):]
    assert reimport(project, revised, "--write") == 0
    out = capsys.readouterr().out
    assert "- scene sc05 INT. VESNA - HYDROPONICS BAY - LATER: not in the script any more" in out
    film = load_project(project)
    assert film.shot("sc05_sh010") is not None
    assert_hand_edits_kept(project)
    assert reimport(project, revised) == 0
    assert "- scene sc05 is still not in the script (kept)" in capsys.readouterr().out


def test_scenes_reordered_follow_the_script_with_their_shots_and_edits(project, capsys):
    three = ORIGINAL[ORIGINAL.index(".HYDROPONICS BAY #3#"):ORIGINAL.index("===")]
    four = ORIGINAL[ORIGINAL.index("INT. VESNA - COMMAND DECK #4#"):ORIGINAL.index("> DISSOLVE TO:")]
    revised = ORIGINAL.replace(three, "@@3@@").replace(four, three).replace("@@3@@", four)
    assert reimport(project, revised, "--write") == 0
    assert "^ scenes reordered to follow the script" in capsys.readouterr().out
    film = load_project(project)
    assert [s.id for s in film.scenes] == ["sc01", "sc02", "sc04", "sc03", "sc05", "sc06"]
    assert_hand_edits_kept(project)


def test_a_hand_made_order_wins_over_the_scripts(project, capsys):
    file = project / "shotreel.yaml"
    data = YamlText(file.read_text(encoding="utf-8"))
    data.arrange(data.root, "scenes", [0, 1, 2, 3, 5, 4])  # the person moves sc06 before sc05
    file.write_text(data.render(), encoding="utf-8")
    revised = replace(ORIGINAL, "Nobody's coming.\n", "Nobody is coming.\n")
    assert reimport(project, revised, "--write") == 0
    assert "kept the order you gave them" in capsys.readouterr().out
    assert [s.id for s in load_project(project).scenes] == ["sc01", "sc02", "sc03", "sc04", "sc06", "sc05"]


def test_changed_action_updates_the_text_but_never_the_camera_a_person_wrote(project, capsys):
    revised = replace(ORIGINAL, "Beside it a scrubber fan coughs, slows and _stops_.",
                      "Beside it the last scrubber fan coughs and dies.")
    revised = replace(revised, "[[shot: CU on the gauge]]", "[[shot: ECU on the gauge needle]]")
    assert reimport(project, revised, "--write") == 0
    out = capsys.readouterr().out
    assert "~ shot sc02_sh020 action: The gauge drops to 18%. Beside it the last scrubber" in out
    assert "= shot sc02_sh020 camera: kept your edit (the script now has 'ECU on the gauge needle')" in out
    shot = load_project(project).shot("sc02_sh020")
    assert shot.camera.size == "MCU" and shot.camera.lens == "85mm"
    assert_hand_edits_kept(project)


def test_all_revisions_at_once_keep_every_hand_edit(project, capsys):
    revised = replace(ORIGINAL, "CUT TO:\n", "CUT TO:\n\nINT. VESNA - AIRLOCK - NIGHT CYCLE\n\nMara seals it.\n\n")
    start = revised.index("INT. VESNA - HYDROPONICS BAY - LATER #5#")
    revised = revised[:start] + revised[revised.index("EXT. THE VESNA - DEEP SPACE #6#"):]
    revised = replace(revised, "MARA\nÉlodie?", "MARA\nÉlodie? Is that you?")
    revised = replace(revised, "@McCLANE\nNobody's here, Mara.\n\n", "")
    assert reimport(project, revised, "--write") == 0
    film = load_project(project)
    shot = film.shot("sc03_sh030")
    assert [d.text for d in shot.dialogue][1] == "Élodie? Is that you?"
    assert "mcclane" not in shot.assets  # the script dropped him from the shot
    assert_hand_edits_kept(project)


LEAF = "[[shot: ECU on the leaf]]\n\nA leaf unfurls; beads of water drift off it into the air. The wall gauge here reads 31%.\n\n"


def test_a_shot_moved_to_another_scene_keeps_its_id_takes_and_edits(project, capsys):
    # the writer moves the leaf (sc03_sh020, which has a take, a select and a hand-made camera) into scene 5
    glove = "Green veins climb her wrist; she breathes in fully for the first time.\n\n"
    revised = replace(replace(ORIGINAL, LEAF, ""), glove, glove + LEAF)
    file = project / "shotreel.yaml"
    file.write_text(replace(file.read_text(encoding="utf-8"), "        action: A leaf unfurls",
                            "        prompt: macro lens, droplets catch the light\n        action: A leaf unfurls"),
                    encoding="utf-8")
    assert reimport(project, revised, "--write") == 0
    out = capsys.readouterr().out
    assert "> shot sc03_sh020 moved from scene sc03 to scene sc05 (its takes, select and your edits go with it)" in out
    assert "sc03_sh020: not in the script any more" not in out and "+ shot" not in out
    film = load_project(project)
    assert [s.id for s in film.scene_of(film.shot("sc03_sh020")).shots] == ["sc05_sh010", "sc03_sh020"]
    assert "sc03_sh020" not in [s.id for s in film.scenes[2].shots]
    moved = film.shot("sc03_sh020")
    assert moved.prompt == "macro lens, droplets catch the light"  # the person's edit went with it
    assert moved.beat == "becoming"  # the script put it under another beat: not edited by hand, so it follows
    assert_hand_edits_kept(project)  # takes and select of sc03_sh020 still attached
    record = json.loads((project / ".shotreel" / "script-import.json").read_text(encoding="utf-8"))
    assert record["shots"]["sc03_sh020"]["scene"] == "sc05"
    assert reimport(project, revised, "--write") == 0
    assert "no changes" in capsys.readouterr().out, "the move is remembered: nothing to do the second time"


def test_a_scene_split_in_two_moves_its_shots_into_the_new_scene(project, capsys):
    split = "INT. VESNA - HYDROPONICS BAY - CANOPY\n\n"
    revised = replace(ORIGINAL, LEAF, split + LEAF)
    assert reimport(project, revised, "--write") == 0
    out = capsys.readouterr().out
    film = load_project(project)
    new_scene = film.scene_of(film.shot("sc03_sh020"))
    assert new_scene.id != "sc03" and new_scene.heading == "INT. VESNA - HYDROPONICS BAY - CANOPY"
    assert f"> shot sc03_sh020 moved from scene sc03 to scene {new_scene.id}" in out
    assert [s.id for s in film.scenes[2].shots] == ["sc03_sh010"]
    assert_hand_edits_kept(project)


def test_a_shot_whose_text_is_only_somewhat_alike_elsewhere_is_not_moved(project, capsys):
    revised = replace(ORIGINAL, LEAF, "")
    revised = replace(revised, "The gauge reads 9%.", "A leaf drifts past the console. The gauge reads 9%.")
    assert reimport(project, revised, "--write") == 0
    out = capsys.readouterr().out
    assert "moved" not in out and "- shot sc03_sh020: not in the script any more (kept)" in out


def test_a_project_not_made_by_import_script_only_gets_empty_fields_filled(tmp_path, capsys):
    folder = tmp_path / "film"
    script = tmp_path / "s.fountain"
    script.write_text(ORIGINAL, encoding="utf-8")
    assert main(["import-script", str(script), str(folder)]) == 0
    (folder / ".shotreel" / "script-import.json").unlink()
    text = (folder / "shotreel.yaml").read_text(encoding="utf-8")
    text = replace(text, "        duration: 152f\n", "        duration: 6s\n")
    (folder / "shotreel.yaml").write_text(text, encoding="utf-8")
    revised = replace(ORIGINAL, "a single window glows amber.", "a single window glows amber, then dims.")
    assert main(["import-script", str(script), str(folder), "--write"]) == 0
    capsys.readouterr()
    script.write_text(revised, encoding="utf-8")
    assert main(["import-script", str(script), str(folder), "--write"]) == 0
    shot = load_project(folder).shot("sc01_sh010")
    assert shot.duration_text == "6s"  # the person's value stays
    assert shot.action.endswith("then dims.")  # unchanged since the record came back, so it follows the script


# -- the text editor underneath ---------------------------------------------------------------------

DOC = """# top comment
title: X   # trailing
scenes:
  # about the first scene
  - id: a
    shots:
      - {id: a1, camera: {size: CU}}
      - id: a2
        action: a long line that
          folds over two lines
        assets: [p, q]

  - id: b
    heading: 'B: quoted'
"""


def test_yaml_edits_touch_only_what_they_change():
    doc = YamlText(DOC)
    scene_a = doc.node("scenes", 0)
    doc.set(doc.node("scenes", 0, "shots", 1), "assets", ["p", "r"])
    doc.set(doc.node("scenes", 0, "shots", 1), "sound", "rain", after=["action"])
    doc.set(doc.node("scenes", 0, "shots", 0, "camera"), "size", "ECU")
    doc.delete(doc.node("scenes", 1), "heading")
    doc.arrange(doc.root, "scenes", [1, New({"id": "c", "heading": "C"}), 0])
    assert scene_a is doc.node("scenes", 0)
    text = doc.render()
    assert yaml.safe_load(text) == {"title": "X", "scenes": [
        {"id": "b"}, {"id": "c", "heading": "C"},
        {"id": "a", "shots": [{"id": "a1", "camera": {"size": "ECU"}},
                              {"id": "a2", "action": "a long line that folds over two lines",
                               "sound": "rain", "assets": ["p", "r"]}]}]}
    assert text.startswith("# top comment\ntitle: X   # trailing\nscenes:\n  - id: b\n\n  - id: c\n")
    assert "  # about the first scene\n  - id: a\n" in text  # the comment moves with its scene
    assert "        action: a long line that\n          folds over two lines\n        sound: rain\n" in text
    assert "      - {id: a1, camera: {size: ECU}}\n" in text and "        assets: [p, r]\n" in text
