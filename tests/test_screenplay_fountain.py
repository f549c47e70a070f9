"""Reading Fountain screenplays: every element a writer uses, with its line; encodings; bad input."""

from __future__ import annotations

from pathlib import Path

import pytest
from shotreel.screenplay.fountain import parse_fountain
from shotreel.screenplay.script import (
    Action,
    Heading,
    Lyric,
    Note,
    PageBreak,
    ScriptError,
    Section,
    Speech,
    Synopsis,
    Transition,
    read_script,
    strip_emphasis,
)

SCRIPTS = Path(__file__).parent / "scripts"


@pytest.fixture(scope="module")
def green():
    return read_script(SCRIPTS / "green_hours.fountain")


def kinds(script, kind):
    return [e for e in script.elements if isinstance(e, kind)]


def test_title_page_keeps_multi_line_values_and_ends_at_the_first_blank_line(green):
    assert green.title == "GREEN HOURS"
    assert green.title_page["author"] == "Ada Okafor"
    assert green.title_page["contact"] == "Ada Okafor\nada@example.org"
    assert green.title_page["draft date"] == "12 March 2026"
    assert green.encoding == "utf-8" and green.notices == []


def test_scene_headings_forced_and_numbered_with_their_lines(green):
    headings = kinds(green, Heading)
    assert [(h.text, h.number, h.line) for h in headings] == [
        ("EXT. THE VESNA - DEEP SPACE", "1", 22), ("INT. VESNA - CORRIDOR - NIGHT CYCLE", "2", 28),
        ("HYDROPONICS BAY", "3", 67), ("INT. VESNA - COMMAND DECK", "4", 111),
        ("INT. VESNA - HYDROPONICS BAY - LATER", "5", 127), ("EXT. THE VESNA - DEEP SPACE", "6", 133)]


def test_sections_and_synopses_survive_with_levels_and_lines(green):
    sections = kinds(green, Section)
    assert [(s.level, s.text) for s in sections][:4] == [(1, "ACT ONE"), (2, "The dying ship"), (3, "Alone"),
                                                         (3, "A sign of life")]
    synopses = kinds(green, Synopsis)
    assert synopses[0].text.startswith("The Vesna drifts dark") and synopses[0].line == 18


def test_notes_survive_standalone_inline_and_across_lines_with_their_lines(green):
    notes = {n.line: n.text for n in kinds(green, Note)}
    assert notes[26] == "sound: near silence; a slow mechanical heartbeat from the hull"
    assert notes[49] == "shot: CU on the gauge"
    assert notes[69] == "Ask the art department: one plant, not many."  # inline, inside an action paragraph
    assert notes[75] == "This is the first time we hear the hum. It should feel like breathing, not machinery."
    # an inline note sits right after the paragraph that holds it, and is cut from its text
    index = next(i for i, e in enumerate(green.elements) if isinstance(e, Note) and e.line == 69)
    assert isinstance(green.elements[index - 1], Action)
    assert green.elements[index - 1].text.endswith("rising and falling slowly.")


def test_boneyard_is_cut_without_splitting_the_dialogue_around_it(green):
    text = "\n".join(getattr(e, "text", "") for e in green.elements)
    assert "photo of her daughter" not in text
    speech = next(s for s in kinds(green, Speech) if s.extension == "(V.O.)")
    # the two-space line keeps the dialogue going
    assert speech.parts[0].text == "Day two hundred and twelve. Scrubbers at half."


def test_characters_extensions_forced_unicode_parentheticals_and_dual_dialogue(green):
    speeches = kinds(green, Speech)
    cues = [(s.character, s.extension, s.dual) for s in speeches]
    assert ("ÉLODIE", "(O.S.)", False) in cues
    assert ("McCLANE", "", False) in cues  # forced with @
    assert ("MARA", "(CONT'D)", False) in cues
    assert cues[-3:-1] == [("ÉLODIE", "", True), ("MARA", "", True)]  # ^ marks both sides
    whisper = next(s for s in speeches if s.parts[0].parenthetical == "(whispering)")
    assert whisper.parts[0].text == "That bay's been dead for months." and whisper.line == 55


def test_transitions_centred_text_lyrics_page_break_and_forced_action(green):
    assert [t.text for t in kinds(green, Transition)] == ["FADE IN:", "CUT TO:", "DISSOLVE TO:", "FADE OUT."]
    centred = [a for a in kinds(green, Action) if a.centered]
    assert [(a.text, a.line) for a in centred] == [("THE END", 139)]
    assert kinds(green, Lyric)[0].text == "Green hours, green hours,\nall the long night through."
    assert [p.line for p in kinds(green, PageBreak)] == [103]
    forced = next(a for a in kinds(green, Action) if a.line == 113)
    assert forced.text.startswith("CONSOLE LIGHTS FLICKER.\nAt the console")  # ! keeps it action, lines kept


def test_emphasis_is_removed_and_escapes_kept(green):
    actions = {a.line: a.text for a in kinds(green, Action)}
    assert actions[30].endswith("It reads 19%.")
    assert actions[51].endswith("slows and stops.")
    assert "toward the *green* glow" in actions[119]
    assert strip_emphasis("***very*** **bold** _under_ a_b \\_kept\\_") == "very bold under a_b _kept_"


def test_a_script_with_windows_line_endings_reads_the_same():
    text = (SCRIPTS / "the_last_call.fountain").read_text(encoding="utf-8")
    unix = parse_fountain(text)
    windows = parse_fountain(text.replace("\n", "\r\n"))
    assert [(type(e), getattr(e, "text", ""), e.line) for e in unix.elements] == \
        [(type(e), getattr(e, "text", ""), e.line) for e in windows.elements]


# -- encodings -------------------------------------------------------------------------------------

@pytest.mark.parametrize("encoding, bom, name", [
    ("utf-8", b"\xef\xbb\xbf", "utf-8-sig"), ("utf-16-le", b"\xff\xfe", "utf-16-le"),
    ("utf-16-be", b"\xfe\xff", "utf-16-be"), ("utf-16-le", b"", "utf-16-le")])
def test_utf8_bom_and_utf16_scripts_are_detected_and_read(tmp_path, encoding, bom, name):
    text = (SCRIPTS / "the_last_call.fountain").read_text(encoding="utf-8")
    path = tmp_path / "call.fountain"
    path.write_bytes(bom + text.encode(encoding))
    script = read_script(path)
    assert script.encoding == name
    assert script.title == "The Last Call"
    assert any(isinstance(e, Speech) and e.character == "INÈS" for e in script.elements)
    assert kinds(script, Heading)[1].text == "I/E. INÈS'S CAR - MOVING - DAWN"


def test_latin1_script_is_read_as_windows_1252_with_a_notice_naming_the_line(tmp_path):
    text = "Title: Café\n\nINT. CAFÉ - DAY\n\nRené pours a café crème — “black”.\n"
    path = tmp_path / "cafe.fountain"
    path.write_bytes(text.encode("cp1252"))
    script = read_script(path)
    assert script.encoding == "cp1252"
    assert kinds(script, Heading)[0].text == "INT. CAFÉ - DAY"
    assert kinds(script, Action)[0].text == "René pours a café crème — “black”."
    assert script.notices[0].line == 1 and "not UTF-8" in script.notices[0].message


# -- bad input -------------------------------------------------------------------------------------

def test_an_unclosed_boneyard_names_the_line_it_opens_on(tmp_path):
    path = tmp_path / "bad.fountain"
    path.write_text("INT. ROOM - DAY\n\nHe waits.\n\n/* an old idea\n\nINT. HALL - DAY\n\nShe runs.\n")
    with pytest.raises(ScriptError) as caught:
        read_script(path)
    assert str(caught.value) == f"{path}:5: this boneyard /* is never closed with */"


def test_an_unclosed_note_ends_at_the_blank_line_and_names_its_line(tmp_path):
    path = tmp_path / "bad.fountain"
    path.write_text("INT. ROOM - DAY\n\nHe waits. [[fix this\nlater\n\nShe runs.\n\nEXT. YARD - DAY\n\nRain. [[oops\n")
    with pytest.raises(ScriptError) as caught:
        read_script(path)
    assert [p.line for p in caught.value.problems] == [3, 10]
    assert "note [[ is not closed" in caught.value.problems[0].message


@pytest.mark.parametrize("data, what", [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(40), "a PNG image"),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "a PDF"),
    (b"PK\x03\x04\x14\x00\x06\x00" + bytes(30), "a zip archive"),
    (bytes(range(256)) * 4, "a binary file")])
def test_files_that_are_not_text_are_refused_with_what_they_are(tmp_path, data, what):
    path = tmp_path / "script.fountain"
    path.write_bytes(data)
    with pytest.raises(ScriptError) as caught:
        read_script(path)
    assert what in str(caught.value) and str(caught.value).startswith(f"{path}:")


def test_missing_and_empty_scripts(tmp_path):
    with pytest.raises(ScriptError, match="no such script"):
        read_script(tmp_path / "nope.fountain")
    (tmp_path / "empty.fountain").write_text("\n\n")
    with pytest.raises(ScriptError, match="empty"):
        read_script(tmp_path / "empty.fountain")
