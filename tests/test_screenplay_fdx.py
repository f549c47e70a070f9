"""Reading Final Draft .fdx screenplays: paragraphs, scene numbers, dual dialogue, script notes; bad XML."""

from __future__ import annotations

from pathlib import Path

import pytest
from shotreel.screenplay.script import (
    Action,
    Heading,
    Note,
    ScriptError,
    Section,
    Speech,
    Synopsis,
    Transition,
    read_script,
)

SCRIPTS = Path(__file__).parent / "scripts"


@pytest.fixture(scope="module")
def keeper():
    return read_script(SCRIPTS / "lighthouse.fdx")


def of(script, kind):
    return [e for e in script.elements if isinstance(e, kind)]


def test_title_page_and_scene_headings_with_numbers_and_lines(keeper):
    assert keeper.format == "fdx" and keeper.title == "THE LAST KEEPER"
    assert [(h.text, h.number, h.line) for h in of(keeper, Heading)] == [
        ("EXT. LIGHTHOUSE - NIGHT", "1", 11), ("INT. LIGHTHOUSE - LAMP ROOM - NIGHT", "2", 26),
        ("INT. LIGHTHOUSE - STAIRS - CONTINUOUS", "3", 71), ("EXT. LIGHTHOUSE - GALLERY - NIGHT", "4", 94)]


def test_text_runs_join_and_the_omitted_scene_is_not_read(keeper):
    actions = [a.text for a in of(keeper, Action)]
    assert actions[0] == "Waves break white against the rock. High above, the lamp turns, slower than it should."
    assert not any("must not be drafted" in a for a in actions)


def test_characters_parentheticals_dialogue_and_dual_dialogue(keeper):
    speeches = of(keeper, Speech)
    assert (speeches[0].character, speeches[0].parts[0].parenthetical, speeches[0].parts[0].text) == \
        ("JONAH", "(to the lamp)", "One more night, old girl.")
    assert [(s.cue, s.dual) for s in speeches[1:3]] == [("JONAH", True), ("RADIO (V.O.)", True)]


def test_script_notes_inline_and_anchored_by_range_scene_summaries_acts_and_transitions(keeper):
    notes = [n.text for n in of(keeper, Note)]
    assert "shot: CLOSE ON THE GEARS" in notes  # a Shot paragraph
    assert "The broken tooth stays on the floor until scene 3." in notes
    assert "Keep act one under a minute." in notes  # <ScriptNotes> Range 0,7 → the first paragraph
    assert of(keeper, Synopsis)[0].text == "The keeper's last night on the rock."
    assert [s.text for s in of(keeper, Section)] == ["ACT ONE"]
    assert [t.text for t in of(keeper, Transition)] == ["FADE IN:", "CUT TO:", "FADE OUT."]
    inline = next(i for i, e in enumerate(keeper.elements) if isinstance(e, Note) and "broken tooth" in e.text)
    assert keeper.elements[inline - 1].text.startswith("A tooth snaps off")


def test_malformed_xml_names_the_line(tmp_path):
    path = tmp_path / "broken.fdx"
    path.write_text('<?xml version="1.0"?>\n<FinalDraft>\n<Content>\n<Paragraph Type="Action">\n'
                    '<Text>Rain.</Text>\n</Content>\n</FinalDraft>\n')
    with pytest.raises(ScriptError) as caught:
        read_script(path)
    assert caught.value.line == 6 and "not readable as Final Draft XML" in str(caught.value)


def test_entity_expansion_is_refused(tmp_path):
    path = tmp_path / "bomb.fdx"
    path.write_text('<?xml version="1.0"?>\n<!DOCTYPE FinalDraft [<!ENTITY a "aaaaaaaaaa">'
                    '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>\n<FinalDraft><Content><Paragraph Type="Action">'
                    '<Text>&b;</Text></Paragraph></Content></FinalDraft>\n')
    with pytest.raises(ScriptError, match="refused"):
        read_script(path)


def test_other_xml_is_not_a_final_draft_file(tmp_path):
    path = tmp_path / "other.fdx"
    path.write_text('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"></svg>\n')
    with pytest.raises(ScriptError, match="not a Final Draft file"):
        read_script(path)
