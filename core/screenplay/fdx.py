"""Read Final Draft ``.fdx`` screenplays into a :class:`~shotreel.screenplay.script.Script`.

An FDX file is XML: ``<FinalDraft><Content>`` holds ``<Paragraph Type="…">`` elements whose
``<Text>`` runs make the paragraph's text. Read here: Scene Heading (with its ``Number`` and the
scene summary in ``<SceneProperties><Summary>``, read as a synopsis), Action and General, Character,
Parenthetical, Dialogue, Lyrics, Transition, Shot (read like a ``[[shot: …]]`` note), New Act (a
level-1 section), ``<DualDialogue>`` blocks and script notes (``<ScriptNote>`` inside a paragraph, or
in ``<ScriptNotes>`` anchored by their ``Range`` to the paragraph they start in); omitted scenes, the
title page's layout and unknown elements are skipped.

The XML is parsed with ``defusedxml``'s SAX parser (which refuses entity declarations, so a
hostile file cannot expand itself), using the SAX locator for the line of every paragraph.
"""

from __future__ import annotations

import xml.sax
from dataclasses import dataclass, field

from ..errors import Problem
from .script import (
    Action,
    DialoguePart,
    Element,
    Heading,
    Lyric,
    Note,
    Script,
    ScriptError,
    Section,
    Speech,
    Synopsis,
    Transition,
)

_SPEECH_TYPES = {"Character", "Parenthetical", "Dialogue", "Lyrics"}
_IGNORED_TYPES = {"Omitted", "End of Act", "Cast List", "New Page", "Page Break"}


@dataclass
class _Para:
    type: str
    line: int
    number: str = ""
    text: str = ""
    dual: int = 0  # the DualDialogue block it belongs to, 0 for none
    top: int = 0  # index of the Content paragraph it is in
    notes: list[Note] = field(default_factory=list)
    summary: str = ""


class _Handler(xml.sax.handler.ContentHandler):
    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.paras: list[_Para] = []
        self.title: list[str] = []
        self.notes: list[tuple[Note, int]] = []  # document-level notes and their Range start
        self.top_lengths: list[int] = []
        self.target: list[str] | None = None  # where the characters of a <Text> go
        self.note: tuple[list[str], int, int] | None = None  # (text, line, range start)
        self.summary: list[str] | None = None
        self.dual = 0
        self.root = ""

    def line(self) -> int:
        return self._locator.getLineNumber() if self._locator else 0

    def startElement(self, name: str, attrs) -> None:
        parent = self.stack[-1] if self.stack else ""
        if not self.stack:
            self.root = name
        self.stack.append(name)
        if name == "OmittedScene" and self.paras and self.stack.count("OmittedScene") == 1:
            self.paras[-1].type = "Omitted"  # the heading that stands for a cut scene
        if "OmittedScene" in self.stack:
            return
        if name == "ScriptNote":
            start = _range_start(attrs.get("Range", ""))
            self.note = ([], self.line(), start)
        elif name == "Summary":
            self.summary = []
        elif name == "DualDialogue":
            self.dual += 1
            if self.top_lengths:
                self.top_lengths[-1] += 2
        elif name == "Paragraph":
            if self.note is not None or self.summary is not None or "TitlePage" in self.stack:
                return
            if parent == "Content" or parent == "DualDialogue":
                para = _Para(attrs.get("Type", "Action"), self.line(), attrs.get("Number", "").strip(),
                             dual=self.dual if parent == "DualDialogue" else 0)
                if parent == "Content":
                    self.top_lengths.append(0)
                para.top = len(self.top_lengths) - 1
                self.paras.append(para)
        elif name == "Text":
            if self.note is not None:
                self.target = self.note[0]
            elif self.summary is not None:
                self.target = self.summary
            elif "TitlePage" in self.stack:
                self.target = self.title
            elif parent == "Paragraph" and self.paras and self.stack[-3:-2] in (["Content"], ["DualDialogue"]):
                self.target = _Sink(self.paras[-1], self.top_lengths, parent_top=len(self.stack) == 4)
            else:
                self.target = None

    def endElement(self, name: str) -> None:
        self.stack.pop()
        if "OmittedScene" in self.stack or name == "OmittedScene":
            return
        if name == "Text":
            self.target = None
        elif name == "Paragraph" and self.note is not None:
            self.note[0].append("\n")
        elif name == "Paragraph" and self.summary is not None:
            self.summary.append("\n")
        elif name == "Paragraph" and "TitlePage" in self.stack:
            self.title.append("\n")
        elif name == "Summary" and self.summary is not None:
            if self.paras:
                self.paras[-1].summary = " ".join("".join(self.summary).split())
            self.summary = None
        elif name == "ScriptNote" and self.note is not None:
            text, line, start = self.note
            note = Note(" ".join("".join(text).split()), line)
            self.note = None
            if not note.text:
                return
            if "Paragraph" in self.stack and self.paras:
                self.paras[-1].notes.append(note)
            else:
                self.notes.append((note, start))

    def characters(self, content: str) -> None:
        if self.target is not None:
            self.target.append(content)


class _Sink(list):
    """Collects a body paragraph's text and counts it toward its Content paragraph's length."""

    def __init__(self, para: _Para, lengths: list[int], parent_top: bool):
        super().__init__()
        self.para, self.lengths, self.parent_top = para, lengths, parent_top

    def append(self, content: str) -> None:  # type: ignore[override]
        self.para.text += content
        if self.parent_top and self.lengths:
            self.lengths[-1] += len(content)


def _range_start(value: str) -> int:
    try:
        return int(value.split(",")[0])
    except ValueError:
        return -1


def parse_fdx(text: str, source: str = "script.fdx") -> Script:
    """Parse Final Draft XML. Raises :class:`ScriptError` naming the line for malformed or unsafe XML."""
    import defusedxml.sax
    from defusedxml import DefusedXmlException

    handler = _Handler()
    try:
        defusedxml.sax.parseString(text.encode("utf-8"), handler)
    except xml.sax.SAXParseException as exc:
        raise ScriptError(f"not readable as Final Draft XML: {exc.getMessage()}", file=source,
                          line=exc.getLineNumber()) from None
    except DefusedXmlException as exc:
        raise ScriptError(f"refused: the XML declares entities or a DTD ({type(exc).__name__}), which a "
                          "Final Draft file never needs", file=source) from None
    if handler.root != "FinalDraft":
        raise ScriptError(f"not a Final Draft file (its root element is <{handler.root}>, not <FinalDraft>)",
                          file=source, line=1)
    script = Script(source=source, format="fdx")
    title = [row.strip() for row in "".join(handler.title).split("\n") if row.strip()]
    if title:
        script.title_page["title"] = title[0]
    _anchor_notes(handler)
    script.elements, unknown = _elements(handler.paras)
    for kind, line in unknown:
        script.notices.append(Problem(f"paragraph type '{kind}' is not drafted", source, line))
    return script


def _anchor_notes(handler: _Handler) -> None:
    """Attach each document-level note to the paragraph its Range starts in (else the last one)."""
    if not handler.notes or not handler.paras:
        return
    starts = []
    offset = 0
    for length in handler.top_lengths:
        starts.append(offset)
        offset += length + 1
    last_of_top: dict[int, _Para] = {}
    for para in handler.paras:
        last_of_top[para.top] = para
    for note, start in handler.notes:
        top = len(starts) - 1
        if start >= 0:
            top = max((i for i, s in enumerate(starts) if s <= start), default=0)
        para = last_of_top.get(top) or handler.paras[-1]
        para.notes.append(note)


def _elements(paras: list[_Para]) -> tuple[list[Element], list[tuple[str, int]]]:
    elements: list[Element] = []
    unknown: list[tuple[str, int]] = []
    speech: Speech | None = None
    parenthetical = ""
    for para in paras:
        text = para.text.strip()
        kind = para.type
        if kind not in _SPEECH_TYPES or kind == "Character":
            if speech is not None and parenthetical and speech.parts:
                speech.parts[-1].parenthetical = f"{speech.parts[-1].parenthetical} {parenthetical}".strip()
            speech, parenthetical = None, ""
        if not text and kind != "Character":
            elements.extend(para.notes)
            continue
        if kind == "Scene Heading":
            elements.append(Heading(" ".join(text.split()), para.line, para.number))
            if para.summary:
                elements.append(Synopsis(para.summary, para.line))
        elif kind in ("Action", "General"):
            elements.append(Action(text, para.line))
        elif kind == "Shot":
            elements.append(Note(f"shot: {' '.join(text.split())}", para.line))
        elif kind == "Transition":
            elements.append(Transition(" ".join(text.split()), para.line))
        elif kind == "New Act":
            elements.append(Section(" ".join(text.split()), 1, para.line))
        elif kind == "Character":
            name, paren, extension = " ".join(text.split()).partition("(")
            speech = Speech(name.strip(), f"({extension.strip()}" if paren else "", [], para.line, bool(para.dual))
            elements.append(speech)
        elif kind == "Parenthetical":
            if speech is None:
                elements.append(Action(text, para.line))
            else:
                parenthetical = f"{parenthetical} {text}".strip()
        elif kind in ("Dialogue", "Lyrics"):
            if speech is None:
                elements.append(Lyric(text, para.line) if kind == "Lyrics" else Action(text, para.line))
            else:
                speech.parts.append(DialoguePart(" ".join(text.split()), parenthetical, para.line))
                parenthetical = ""
        elif kind not in _IGNORED_TYPES:
            unknown.append((kind, para.line))
        elements.extend(para.notes)
    return [e for e in elements if not isinstance(e, Speech) or e.parts], unknown

