"""A screenplay as plain data, whatever file it came from, and reading a script file from disk.

:func:`read_script` detects the encoding (UTF-8 with or without BOM, UTF-16 / UTF-32 by BOM or by
their zero bytes, else Windows-1252 / Latin-1 with a notice) and the format (Final Draft XML by
suffix or content, else Fountain) and returns a :class:`Script`: a flat list of elements in script
order, each remembering the line it was written on, so every later message can point at it.
Notes and synopses are elements like any other: they carry beats, shots and continuity.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import Problem, ShotreelError


class ScriptError(ShotreelError):
    """A screenplay that cannot be read or drafted; the message names the file and line."""

    @classmethod
    def from_problems(cls, problems: list[Problem]) -> ScriptError:
        """One error carrying every problem; its message is the first's."""
        first = problems[0]
        return cls(first.message, file=first.file, line=first.line, shot=first.shot, problems=problems)


@dataclass
class Section:
    """``#`` act, ``##`` sequence, ``###`` beat …: ``level`` is the number of ``#``."""

    text: str
    level: int
    line: int


@dataclass
class Synopsis:
    """``= …``: a summary of the section or scene it follows (not printed)."""

    text: str
    line: int


@dataclass
class Heading:
    """A scene heading (slugline); ``number`` is the script's scene number (``#12A#``), if any."""

    text: str
    line: int
    number: str = ""


@dataclass
class Action:
    """An action paragraph (line breaks kept); ``centered`` for ``>text<`` (title cards, THE END)."""

    text: str
    line: int
    centered: bool = False


@dataclass
class DialoguePart:
    """Spoken words and the parenthetical that directs them."""

    text: str
    parenthetical: str
    line: int


@dataclass
class Speech:
    """A character's block of dialogue; ``extension`` is ``(V.O.)`` etc.; ``dual`` when side by side."""

    character: str
    extension: str
    parts: list[DialoguePart]
    line: int
    dual: bool = False

    @property
    def cue(self) -> str:
        """The character cue as written: ``MARA (V.O.)``."""
        return f"{self.character} {self.extension}".strip()


@dataclass
class Transition:
    """``CUT TO:``, ``DISSOLVE TO:``, ``> FADE OUT.`` …"""

    text: str
    line: int


@dataclass
class Note:
    """``[[…]]`` (not printed): ``[[shot: …]]``, ``[[cont: …]]``, ``[[sound: …]]`` or free text."""

    text: str
    line: int


@dataclass
class Lyric:
    """Sung lines (``~``)."""

    text: str
    line: int


@dataclass
class PageBreak:
    """``===``."""

    line: int


Element = Section | Synopsis | Heading | Action | Speech | Transition | Note | Lyric | PageBreak


@dataclass
class Script:
    """A parsed screenplay: title page, elements in order, and what was noticed while reading."""

    source: str
    format: str
    elements: list[Element] = field(default_factory=list)
    title_page: dict[str, str] = field(default_factory=dict)
    encoding: str = "utf-8"
    notices: list[Problem] = field(default_factory=list)

    @property
    def title(self) -> str:
        """The title page's title on one line, emphasis removed, else ``""``."""
        return " ".join(strip_emphasis(self.title_page.get("title", "")).split())

    def headings(self) -> list[Heading]:
        """The scene headings, in order."""
        return [e for e in self.elements if isinstance(e, Heading)]


# -- text helpers ---------------------------------------------------------------------------------

_ESCAPED = re.compile(r"\\([*_\\\[\]/#=>~!@.^<])")
_EMPHASIS = (re.compile(r"\*\*\*(?=\S)(.+?)(?<=\S)\*\*\*"), re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*"),
             re.compile(r"\*(?=\S)(.+?)(?<=\S)\*"), re.compile(r"(?<![\w])_(?=\S)(.+?)(?<=\S)_(?![\w])"))


def strip_emphasis(text: str) -> str:
    """Fountain text without its emphasis marks (``*italic*``, ``**bold**``, ``_underline_``) and escapes."""
    if "\\" not in text and "*" not in text and "_" not in text:
        return text
    keep: list[str] = []

    def hide(match: re.Match[str]) -> str:
        keep.append(match.group(1))
        return f"\x00{len(keep) - 1}\x00"

    text = _ESCAPED.sub(hide, text)
    for pattern in _EMPHASIS:
        text = pattern.sub(r"\1", text)
    return re.sub(r"\x00(\d+)\x00", lambda m: keep[int(m.group(1))], text)


# -- reading files --------------------------------------------------------------------------------

_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"), (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF (export the script as Fountain or Final Draft .fdx)"),
    (b"PK\x03\x04", "a zip archive (e.g. .docx or .highland; export the script as Fountain or .fdx)"),
    (b"\x1aE\xdf\xa3", "a video file"), (b"RIFF", "a RIFF media file"), (b"\x00\x00\x00", "a binary file"),
)
_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe\x00\x00", "utf-32-le"), (b"\x00\x00\xfe\xff", "utf-32-be"),
         (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))


def decode_script(data: bytes, source: str) -> tuple[str, str, list[Problem]]:
    """The text of a script file, the encoding it was read with, and notices about it.

    UTF-8 (BOM or not), UTF-16 / UTF-32 (BOM, or UTF-16 recognised by its zero bytes); anything else
    that is not UTF-8 is read as Windows-1252 (a superset of Latin-1) with a notice naming the first
    line that is not UTF-8. Raises :class:`ScriptError` for images, PDFs, archives and other binaries.
    """
    notices: list[Problem] = []
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _decode(data[len(bom):], encoding.replace("-sig", ""), source), encoding, notices
    for magic, what in _SIGNATURES:
        if data.startswith(magic):
            raise ScriptError(f"this is {what}, not a screenplay", file=source, line=1)
    head = data[:4096]
    if b"\x00" in head:
        even, odd = head[0::2].count(0), head[1::2].count(0)
        if odd > len(head) // 4 and even == 0:
            return _decode(data, "utf-16-le", source), "utf-16-le", notices
        if even > len(head) // 4 and odd == 0:
            return _decode(data, "utf-16-be", source), "utf-16-be", notices
        raise ScriptError("this is a binary file, not a screenplay", file=source, line=_line_at(data, head.index(0)))
    try:
        text = data.decode("utf-8")
        encoding = "utf-8"
    except UnicodeDecodeError as exc:
        line = _line_at(data, exc.start)
        try:
            text, encoding = data.decode("cp1252"), "cp1252"
        except UnicodeDecodeError:
            text, encoding = data.decode("latin-1"), "latin-1"
        notices.append(Problem(f"not UTF-8 (first at this line): read as {'Windows-1252' if encoding == 'cp1252' else 'Latin-1'}"
                               "; save the script as UTF-8 to be sure of its accents", source, line))
    controls = sum(1 for ch in text[:4096] if ord(ch) < 32 and ch not in "\t\n\r\f")
    if controls > 8:
        raise ScriptError("this is a binary file, not a screenplay", file=source, line=1)
    return text, encoding, notices


def _decode(data: bytes, encoding: str, source: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        width = 4 if "32" in encoding else 2 if "16" in encoding else 1
        line = data[:exc.start].decode(encoding, errors="replace").count("\n") + 1 if width > 1 else \
            _line_at(data, exc.start)
        raise ScriptError(f"not valid {encoding.upper()} text at this line (byte {exc.start})",
                          file=source, line=line) from None


def _line_at(data: bytes, index: int) -> int:
    return data.count(b"\n", 0, index) + 1


def is_fdx(path: Path, text: str) -> bool:
    """Whether a script is Final Draft XML: by its suffix, or by its first tag."""
    if path.suffix.lower() == ".fdx":
        return True
    start = text.lstrip()[:400]
    return start.startswith("<?xml") and "<FinalDraft" in text[:2000] or start.startswith("<FinalDraft")


def read_script(path: str | Path) -> Script:
    """Read a Fountain (``.fountain``, ``.txt`` …) or Final Draft (``.fdx``) screenplay.

    Raises :class:`ScriptError` naming the file and line for anything that is not a readable script.
    """
    from .fdx import parse_fdx
    from .fountain import parse_fountain

    file = Path(path)
    source = str(path)
    try:
        data = file.read_bytes()
    except FileNotFoundError:
        raise ScriptError(f"no such script: {file}") from None
    except IsADirectoryError:
        raise ScriptError(f"{file} is a folder, not a script") from None
    except OSError as exc:
        raise ScriptError(f"cannot be read: {exc.strerror}", file=source) from None
    if not data.strip():
        raise ScriptError("the script is empty", file=source)
    text, encoding, notices = decode_script(data, source)
    if is_fdx(file, text):
        script = parse_fdx(text, source)
    else:
        script = parse_fountain(text, source)
    script.encoding = encoding
    script.notices[:0] = notices
    return script
