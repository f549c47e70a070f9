"""Drafting a project from a screenplay: beats, scenes, shots, dialogue, assets, durations; `import-script`."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import opentimelineio as otio
import pytest
from shotreel.checks import run_checks
from shotreel.cli import main
from shotreel.project import load_project
from shotreel.screenplay.draft import draft_film
from shotreel.screenplay.fountain import parse_fountain
from shotreel.screenplay.script import ScriptError, read_script

SCRIPTS = Path(__file__).parent / "scripts"


def draft(name: str, **options):
    return draft_film(read_script(SCRIPTS / name), **options).film


def test_beats_come_from_the_deepest_sections_and_synopses_become_their_summaries():
    film = draft("green_hours.fountain")
    assert [(b.id, b.title) for b in film.beats] == [
        ("alone", "Alone"), ("a_sign_of_life", "A sign of life"), ("the_garden", "The garden"),
        ("the_price", "The price"), ("nobody_s_coming", "Nobody's coming"), ("becoming", "Becoming")]
    assert film.beat("alone").summary == "The Vesna drifts dark; Mara keeps routines on a ship running out of air."
    # a section inside a scene changes the beat from the next shot on
    assert [s.beat for s in film.scenes[2].shots] == ["the_garden", "the_garden", "the_price", "the_price"]


def test_beat_level_chooses_acts_and_an_absent_level_is_refused():
    film = draft("green_hours.fountain", beat_level=1)
    assert [b.title for b in film.beats] == ["ACT ONE", "ACT TWO"]
    assert {s.beat for s in film.scenes[0].shots} == {"act_one"}
    with pytest.raises(ScriptError, match="no level-4 sections"):
        draft("green_hours.fountain", beat_level=4)


def test_without_sections_each_scene_is_a_beat_with_its_synopsis():
    film = draft("the_last_call.fountain")
    assert [b.id for b in film.beats] == [s.id for s in film.scenes] == ["sc01", "sc02", "sc03", "sc04", "sc05"]
    assert film.beats[0].title == "EST. HARBOUR TOWN - DAWN"
    assert film.beats[0].summary == "Inès waits for a call that was promised twenty years ago."


def test_scenes_keep_headings_take_script_numbers_and_get_one_location_asset_per_place():
    film = draft("green_hours.fountain")
    assert [(s.id, s.location) for s in film.scenes] == [
        ("sc01", "the_vesna_deep_space"), ("sc02", "vesna_corridor"), ("sc03", "hydroponics_bay"),
        ("sc04", "vesna_command_deck"), ("sc05", "vesna_hydroponics_bay"), ("sc06", "the_vesna_deep_space")]
    assert film.scenes[1].heading == "INT. VESNA - CORRIDOR - NIGHT CYCLE"
    assert [a.id for a in film.assets if a.kind == "location"] == [
        "the_vesna_deep_space", "vesna_corridor", "hydroponics_bay", "vesna_command_deck", "vesna_hydroponics_bay"]
    numbered = parse_fountain("INT. A - DAY #12A#\n\nOne.\n\nINT. B - DAY\n\nTwo.\n\nINT. C - DAY #13#\n\nThree.\n")
    assert [s.id for s in draft_film(numbered).film.scenes] == ["sc12a", "sc12b", "sc13"]


def test_each_action_paragraph_or_shot_note_drafts_a_shot_with_its_dialogue_and_notes():
    film = draft("green_hours.fountain")
    corridor = film.scenes[1].shots
    assert [s.id for s in corridor] == ["sc02_sh010", "sc02_sh020", "sc02_sh030"]
    first = corridor[0]
    assert first.action == "Mara floats down the corridor and taps a flickering oxygen gauge. It reads 19%."
    spoken = "Day two hundred and twelve. Scrubbers at half."
    assert [(d.character, d.text) for d in first.dialogue] == [("MARA (V.O.)", spoken)]
    assert first.continuity == "helmet off, hair tied back; patched left shoulder faces camera"
    assert corridor[1].camera.size == "CU on the gauge"  # [[shot: …]] then its action paragraph: one shot
    assert corridor[1].action.startswith("The gauge drops to 18%")
    assert corridor[2].dialogue[0].parenthetical == "(whispering)"
    assert film.scenes[0].shots[0].sound == "near silence; a slow mechanical heartbeat from the hull"
    assert film.scenes[2].shots[0].continuity == "Ask the art department: one plant, not many."
    assert film.scenes[2].shots[3].sound == "Sung: Green hours, green hours, / all the long night through."
    assert film.scenes[5].shots[-1].action == "Title card: THE END"


def test_speaking_characters_become_assets_and_shots_list_who_is_in_them():
    film = draft("green_hours.fountain")
    characters = [a for a in film.assets if a.kind == "character"]
    assert [a.id for a in characters] == ["mara", "elodie", "mcclane"]
    assert characters[0].description == "Mara floats down the corridor and taps a flickering oxygen gauge."
    assert film.shot("sc03_sh030").assets == ["elodie", "mara", "mcclane", "hydroponics_bay"]
    assert film.shot("sc05_sh010").assets == ["mara", "vesna_hydroponics_bay"]  # named in the action


SMALL = """INT. ROOM - DAY

He waits by the door.

MARA
(quietly)
Are you coming with me?

DISSOLVE TO:

INT. HALL - DAY

One two three four five six seven eight nine ten eleven twelve.

ANA
A B C D E

BO ^
A B C D E F G H I J
"""


@pytest.mark.parametrize("fps, first, second", [
    (Fraction(24), 132, 192), (Fraction(24000, 1001), 132, 192), (Fraction(25), 138, 200)])
def test_durations_follow_the_documented_rule_in_whole_frames(fps, first, second):
    film = draft_film(parse_fountain(SMALL), fps=fps).film
    # 5 words of action → 2 s minimum; 5 words spoken → 2 s + 0.5 s parenthetical; dissolve + 1 s: 5.5 s
    # 12 words of action → 4 s; dual dialogue overlaps: the longer side, 10 words → 4 s: 8 s
    assert [s.duration for s in film.shots()] == [first, second]
    assert film.shots().__next__().continuity == "Transition out: DISSOLVE TO:"


def test_a_scene_without_action_is_refused_naming_its_line_and_nothing_is_written(tmp_path, capsys):
    script = tmp_path / "bad.fountain"
    script.write_text("INT. ROOM - DAY\n\nShe waits.\n\nINT. HALL - NIGHT\n\nMARA\nHello?\n\n"
                      "EXT. YARD - DAY\n\nRain.\n")
    assert main(["import-script", str(script), str(tmp_path / "film")]) == 2
    err = capsys.readouterr().err
    assert f"{script}:5: scene 'INT. HALL - NIGHT' has no action" in err
    assert not (tmp_path / "film").exists()


def test_a_scene_number_used_twice_is_refused():
    with pytest.raises(ScriptError, match="scene number 3 is used twice"):
        draft_film(parse_fountain("INT. A - DAY #3#\n\nOne.\n\nINT. B - DAY #3#\n\nTwo.\n"))


@pytest.mark.parametrize("content, message", [
    ("shot,duration,action\nsh010,4s,Mara floats\nsh020,5s,The gauge drops\n", "comma-separated values"),
    ("Dear Sam,\n\nThanks for the notes on the cut. See you Monday.\n", "no scene headings found")])
def test_text_that_is_not_a_screenplay_is_refused(tmp_path, capsys, content, message):
    script = tmp_path / "shots.csv"
    script.write_text(content)
    assert main(["import-script", str(script), str(tmp_path / "film")]) == 2
    err = capsys.readouterr().err
    assert message in err and f"{script}:1:" in err
    assert not (tmp_path / "film").exists()


@pytest.mark.parametrize("name", ["green_hours.fountain", "the_last_call.fountain", "lighthouse.fdx"])
def test_import_script_writes_a_project_that_passes_check_and_builds_a_reel(tmp_path, capsys, name):
    folder = tmp_path / "film"
    assert main(["import-script", str(SCRIPTS / name), str(folder), "--target", "90s"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"drafted {folder}: ") and "(target 1m 30.0s:" in out
    film = load_project(folder)
    assert run_checks(film).errors == []
    assert all(s.duration_text == f"{s.duration}f" for s in film.shots())
    record = json.loads((folder / ".shotreel" / "script-import.json").read_text(encoding="utf-8"))
    assert set(record["shots"]) == {s.id for s in film.shots()}
    assert all((folder / sub).is_dir() for sub in ("refs", "boards", "takes", "edit"))
    assert main(["check", str(folder)]) == 0
    assert main(["reel", str(folder)]) == 0
    timeline = otio.adapters.read_from_file(str(folder / "edit" / "reel.otio"))
    assert round(timeline.tracks[0].duration().value) == film.runtime()


def test_fps_and_title_options_and_dry_run_writes_nothing(tmp_path, capsys):
    folder = tmp_path / "film"
    assert main(["import-script", str(SCRIPTS / "the_last_call.fountain"), str(folder), "--dry-run"]) == 0
    assert "would draft" in capsys.readouterr().out and not folder.exists()
    assert main(["import-script", str(SCRIPTS / "the_last_call.fountain"), str(folder), "--fps", "25",
                 "--title", "Last Call"]) == 0
    film = load_project(folder)
    assert film.fps == 25 and film.title == "Last Call"
    assert film.shot("sc01_sh010").duration == 150  # 12 words of action → 4 s + FADE IN: 1 s, at 25 fps


def test_dialogue_before_a_scenes_first_action_belongs_to_its_first_shot():
    film = draft_film(parse_fountain("INT. CAR - NIGHT\n\nANA (V.O.)\nWe're late.\n\n[[cont: rain on the glass]]\n\n"
                                     "Ana drives.\n")).film
    shot = film.scenes[0].shots[0]
    assert (shot.action, shot.dialogue[0].text, shot.continuity) == ("Ana drives.", "We're late.", "rain on the glass")
