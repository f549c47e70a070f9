"""Read Fountain 1.1 screenplays into a :class:`~shotreel.screenplay.script.Script`, keeping line numbers.

shotreel has its own reader rather than a PyPI one: of the maintained parsers, screenplain strips
notes and boneyard before parsing and keeps no line numbers; fountain-py keeps lines and standalone
notes but drops notes inside a paragraph, loses the dual-dialogue ``^`` and reads non-ASCII names
(``ÉLODIE``) as action; fountain-parser keeps no line numbers and reads notes as action. shotreel
needs every note with its place (notes draft shots and continuity) and a line for every error.

Reading happens in two passes over the lines:

1. Boneyard ``/* … */`` and notes ``[[ … ]]`` are cut out (both may span lines; a note ends at a
   blank line, as the spec says), each note kept with its line. A line that held only a note or
   boneyard disappears rather than turning into a blank line, so it does not split a paragraph.
2. The remaining lines are read paragraph by paragraph: title page, page breaks, sections,
   synopses, scene headings (``INT``/``EXT``/``EST``/``INT./EXT``/``I/E`` or a forced ``.``, with
   ``#12A#`` scene numbers), centred text, transitions (``… TO:`` or forced ``>``), lyrics, forced
   action (``!``), characters (all caps, or forced ``@``, extensions, dual ``^``) with their
   parentheticals and dialogue, and action. Emphasis marks and escapes are removed from the text.

Beyond the spec, ``FADE IN:``, ``FADE OUT.``, ``FADE TO BLACK.`` and ``CUT TO BLACK.`` alone on a
line are read as transitions, as every screenwriter means them.
"""

from __future__ import annotations

import re

from ..errors import Problem
from .script import (
    Action,
    DialoguePart,
    Element,
    Heading,
    Lyric,
    Note,
    PageBreak,
    Script,
    ScriptError,
    Section,
    Speech,
    Synopsis,
    Transition,
    strip_emphasis,
)

TITLE_KEYS = ("title", "credit", "author", "authors", "source", "draft date", "date", "contact", "copyright",
              "notes", "revision", "format", "font", "episode", "series")
_TITLE_LINE = re.compile(r"^([A-Za-z][A-Za-z ]*?)\s*:\s*(.*)$")
_HEADING = re.compile(r"^(?:INT\.?/EXT|EXT\.?/INT|INT|EXT|EST|I/E|E/I)(?:\.|\s)", re.IGNORECASE)
_SCENE_NUMBER = re.compile(r"\s*#([A-Za-z0-9.\-]+)#\s*$")
_PAGE_BREAK = re.compile(r"^={3,}$")
_FREE_TRANSITIONS = {"FADE IN:", "FADE IN.", "FADE OUT.", "FADE OUT", "FADE TO BLACK.", "CUT TO BLACK.",
                     "FADE TO BLACK", "CUT TO BLACK"}


def parse_fountain(text: str, source: str = "script.fountain") -> Script:
    """Parse Fountain text. Raises :class:`ScriptError` (every problem, each with its line).

    Problems: a boneyard ``/*`` or a note ``[[`` that is never closed.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    script = Script(source=source, format="fountain")
    problems: list[Problem] = []
    body_start = _title_page(lines, script)
    kept, notes = _cut_notes_and_boneyard(lines, body_start, source, problems)
    if problems:
        raise ScriptError.from_problems(problems)
    elements = _Reader(kept).read()
    script.elements = _merge_notes(elements, notes)
    return script


# -- pass 0: the title page -----------------------------------------------------------------------

def _title_page(lines: list[str], script: Script) -> int:
    """Read the title page into ``script.title_page``; returns the index of the first body line."""
    first = _TITLE_LINE.match(lines[0]) if lines else None
    if not first or first.group(1).strip().lower() not in TITLE_KEYS:
        return 0
    key = ""
    index = 0
    for index, line in enumerate(lines):
        if not line.strip():
            return index
        match = _TITLE_LINE.match(line)
        if match and not line[:1].isspace():
            key = match.group(1).strip().lower()
            script.title_page[key] = match.group(2).strip()
        elif key and line.startswith(("   ", "\t")):
            joined = script.title_page[key]
            script.title_page[key] = f"{joined}\n{line.strip()}" if joined else line.strip()
        else:
            return index
    return index + 1


# -- pass 1: boneyard and notes -------------------------------------------------------------------

def _cut_notes_and_boneyard(lines: list[str], start: int, source: str, problems: list[Problem]
                            ) -> tuple[list[tuple[int, str]], list[Note]]:
    kept: list[tuple[int, str]] = []
    notes: list[Note] = []
    bone_line = 0  # line where an open boneyard began
    note_line = 0  # line where an open note began
    note_text: list[str] = []
    for index in range(start, len(lines)):
        number, line = index + 1, lines[index]
        if note_line and not line.strip() and line != "  ":
            problems.append(Problem("this note [[ is not closed with ]] before the blank line after it",
                                    source, note_line))
            note_line, note_text = 0, []
        if "/*" not in line and "[[" not in line and not bone_line and not note_line:
            kept.append((number, line))  # the common case, fast
            continue
        out: list[str] = []
        i = 0
        inside_from_start = bool(bone_line or note_line)
        while i <= len(line):
            if bone_line:
                end = line.find("*/", i)
                if end < 0:
                    break
                bone_line, i = 0, end + 2
            elif note_line:
                end = line.find("]]", i)
                if end < 0:
                    note_text.append(line[i:])
                    break
                note_text.append(line[i:end])
                notes.append(Note(" ".join(" ".join(note_text).split()), note_line))
                note_line, note_text, i = 0, [], end + 2
            else:
                bone, note = line.find("/*", i), line.find("[[", i)
                if bone < 0 and note < 0:
                    out.append(line[i:])
                    break
                if note < 0 or 0 <= bone < note:
                    out.append(line[i:bone])
                    bone_line, i = number, bone + 2
                else:
                    out.append(line[i:note])
                    note_line, i = number, note + 2
        rest = "".join(out).rstrip()
        if rest.strip():
            kept.append((number, rest))
        elif not line.strip() and not inside_from_start:
            kept.append((number, ""))
        # a line holding only a note or boneyard vanishes, so it does not split a paragraph
    if bone_line:
        problems.append(Problem("this boneyard /* is never closed with */", source, bone_line))
    if note_line:
        problems.append(Problem("this note [[ is never closed with ]]", source, note_line))
    return kept, notes


def _merge_notes(elements: list[Element], notes: list[Note]) -> list[Element]:
    """Put each note after the last element that starts at or before its line (inside it or after it)."""
    if not notes:
        return elements
    keyed = [((e.line, 0), e) for e in elements] + [((n.line, 1), n) for n in notes]
    keyed.sort(key=lambda pair: pair[0])
    return [element for _, element in keyed]


# -- pass 2: paragraphs ---------------------------------------------------------------------------

class _Reader:
    """Reads the kept ``(line number, text)`` pairs into elements."""

    def __init__(self, lines: list[tuple[int, str]]):
        self.lines = lines
        self.elements: list[Element] = []

    def blank(self, i: int) -> bool:
        return i < 0 or i >= len(self.lines) or not self.lines[i][1].strip()

    def read(self) -> list[Element]:
        i = 0
        n = len(self.lines)
        while i < n:
            number, line = self.lines[i]
            text = line.strip()
            if not text:
                i += 1
                continue
            before, after = self.blank(i - 1), self.blank(i + 1)
            i = self.element(i, number, line, text, before, after)
        return self.elements

    def element(self, i: int, number: int, line: str, text: str, before: bool, after: bool) -> int:
        add = self.elements.append
        if _PAGE_BREAK.match(text):
            add(PageBreak(number))
        elif text.startswith("#"):
            level = len(text) - len(text.lstrip("#"))
            add(Section(strip_emphasis(text[level:].strip()), level, number))
        elif text.startswith("=") and not text.startswith("=="):
            add(Synopsis(strip_emphasis(text[1:].strip()), number))
        elif before and (text.startswith(".") and not text.startswith("..") and len(text) > 1
                         or _HEADING.match(text)):
            heading = text[1:].strip() if text.startswith(".") else text
            scene_number = ""
            if match := _SCENE_NUMBER.search(heading):
                scene_number, heading = match.group(1), heading[:match.start()].rstrip()
            add(Heading(strip_emphasis(heading), number, scene_number))
        elif text.startswith(">") and text.endswith("<") and len(text) > 1:
            return self.action(i, centered=True)
        elif text.startswith(">"):
            add(Transition(strip_emphasis(text[1:].strip()), number))
        elif before and after and text.upper() == text and (text.endswith("TO:") or text in _FREE_TRANSITIONS):
            add(Transition(text, number))
        elif text.startswith("~"):
            return self.lyrics(i)
        elif text.startswith("!"):
            return self.action(i)
        elif before and not after and (text.startswith("@") or _is_cue(text)):
            return self.speech(i)
        else:
            return self.action(i)
        return i + 1

    def paragraph(self, i: int) -> int:
        """Index just past the paragraph that starts at ``i`` (a blank line ends it)."""
        j = i
        while j < len(self.lines) and self.lines[j][1].strip():
            j += 1
        return j

    def action(self, i: int, centered: bool = False) -> int:
        end = self.paragraph(i)
        rows = []
        for k in range(i, end):
            text = self.lines[k][1].rstrip()
            if k == i and text.lstrip().startswith("!"):
                text = text.lstrip()[1:]
            if centered or (text.strip().startswith(">") and text.strip().endswith("<")):
                text = text.strip()
                if text.startswith(">") and text.endswith("<"):
                    text = text[1:-1].strip()
            rows.append(strip_emphasis(text))
        self.elements.append(Action("\n".join(rows).strip("\n"), self.lines[i][0], centered))
        return end

    def lyrics(self, i: int) -> int:
        end = i
        rows = []
        while end < len(self.lines) and self.lines[end][1].strip().startswith("~"):
            rows.append(strip_emphasis(self.lines[end][1].strip()[1:].strip()))
            end += 1
        self.elements.append(Lyric("\n".join(rows), self.lines[i][0]))
        return end

    def speech(self, i: int) -> int:
        number, cue = self.lines[i][0], self.lines[i][1].strip()
        dual = cue.endswith("^")
        if dual:
            cue = cue[:-1].rstrip()
        if cue.startswith("@"):
            cue = cue[1:].strip()
        name, paren, extension = cue.partition("(")
        speech = Speech(strip_emphasis(name.strip()), f"({extension.strip()}" if paren else "", [], number, dual)
        parenthetical = ""
        words: list[str] = []
        first_line = 0
        j = i + 1
        while j < len(self.lines) and (self.lines[j][1].strip() or self.lines[j][1] == "  "):
            row_number, row = self.lines[j]
            text = row.strip()
            if text.startswith("(") and text.endswith(")"):
                if words:
                    speech.parts.append(DialoguePart(strip_emphasis(" ".join(words)), parenthetical, first_line))
                    words = []
                elif parenthetical:
                    text = f"{parenthetical} {text}"
                parenthetical = text
            elif text:
                if not words:
                    first_line = row_number
                words.append(text[1:].strip() if text.startswith("~") else text)
            j += 1
        if words:
            speech.parts.append(DialoguePart(strip_emphasis(" ".join(words)), parenthetical, first_line))
        elif parenthetical and speech.parts:
            last = speech.parts[-1]
            last.parenthetical = f"{last.parenthetical} {parenthetical}".strip()
        if dual:
            previous = next((e for e in reversed(self.elements) if isinstance(e, Speech)), None)
            if previous is not None and self.elements[-1] is previous:
                previous.dual = True
        self.elements.append(speech)
        return j


def _is_cue(text: str) -> bool:
    """A character cue: the name (before any extension) is all caps and has a letter."""
    name = text.rstrip("^").split("(")[0].strip()
    if not name or name.endswith(":") or not any(ch.isalpha() for ch in name):
        return False
    return name == name.upper() and text.split("(")[0] == text.split("(")[0].upper()
