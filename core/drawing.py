"""Pillow helpers for the pictures shotreel draws: the board font, wrapped and cut text, arrows, fitting.

Text is set in Noto Sans (Regular and Bold, SIL Open Font License) shipped inside the package in
``fonts/``, so nothing depends on the fonts a machine has installed, and the contact sheet's PDF
embeds the same two files. The font covers Latin with all its accents, Greek and Cyrillic; every
character it has is drawn as it is (``Zoë``, ``Café — ok``, ``Καλημέρα``, ``Привет``). Only the
characters it lacks are changed, by :func:`printable`: to the letter Unicode gives as their plain
form when the font has that (``Ａ`` → ``A``), else to ``?``, so no picture shows missing-glyph
boxes; :func:`undrawable` and :func:`font_warning` name what was lost by script (``Han: 猫``) so
callers warn instead of losing text silently. Sizes are in pixels; bold is the real bold face.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, ImageOps

RGB = tuple[int, int, int]
ELLIPSIS = "…"
FONT_DIR = Path(__file__).resolve().parent / "fonts"
REGULAR_FONT = FONT_DIR / "NotoSans-Regular.ttf"
BOLD_FONT = FONT_DIR / "NotoSans-Bold.ttf"
"""The board font's files (both faces cover the same characters)."""

# plain stand-ins for characters the font lacks, tried before Unicode's own decomposition
_FOLD = {"–": "-", "—": " - ", "‐": "-", "‑": "-", "−": "-", "×": "x", "•": "·", "„": "“", "‚": "'",
         "′": "'", "″": '"', "ß": "ss", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ø": "o", "Ø": "O",
         "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ð": "d", "þ": "th", "\t": " ", "\u00a0": " "}
# words that end a script's name in a character's Unicode name ("ARABIC LETTER ALEF" -> Arabic)
_NAME_ENDS = {"LETTER", "SYLLABLE", "CHARACTER", "DIGIT", "VOWEL", "SIGN", "CAPITAL", "SMALL", "NUMBER",
              "MARK", "PUNCTUATION", "IDEOGRAPH", "CONSONANT", "LIGATURE", "FRACTION", "SYMBOL"}


def font_file(bold: bool = False) -> Path:
    """The file of the board font's regular or bold face."""
    return BOLD_FONT if bold else REGULAR_FONT


@lru_cache(maxsize=256)
def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    """The board font at ``size`` pixels, regular or bold (cached)."""
    return ImageFont.truetype(str(font_file(bold)), max(6, int(size)))


@lru_cache(maxsize=1)
def _coverage() -> frozenset[int]:
    from fontTools.ttLib import TTFont  # read once, on the first text drawn

    with TTFont(REGULAR_FONT, lazy=True) as face:
        return frozenset(face.getBestCmap())


def can_draw(ch: str) -> bool:
    """Whether the board font has a glyph for the character ``ch`` (a line break counts as drawable)."""
    return ch == "\n" or ord(ch) in _coverage()


def _invisible(ch: str) -> bool:
    """Controls and format characters (zero-width joiners, variation selectors): nothing to see."""
    return unicodedata.category(ch) in ("Cc", "Cf")


def _fold(ch: str) -> str:
    """What a character the font lacks is drawn as."""
    folded = _FOLD.get(ch)
    if folded is not None and all(can_draw(c) for c in folded):
        return folded
    if _invisible(ch):
        return " " if unicodedata.category(ch) == "Cc" else ""
    base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
    return base if base and all(can_draw(c) for c in base) else "?"


def printable(text: str) -> str:
    """``text`` as drawn: composed (NFC), every character the board font has kept as it is, the
    others folded to a plain letter it has (``Ａ`` → ``A``) or to ``?`` (see :func:`undrawable`)."""
    text = unicodedata.normalize("NFC", text)
    if all(can_draw(ch) for ch in text):
        return text
    return "".join(ch if can_draw(ch) else _fold(ch) for ch in text)


def script_name(ch: str) -> str:
    """A short name for the script (or kind) of the character ``ch``, for messages: ``Han``,
    ``Arabic``, ``Devanagari``, ``symbols`` (emoji, dingbats)… Taken from its Unicode name, so
    approximate for a few scripts."""
    name = unicodedata.name(ch, "")
    if name.startswith("CJK") or "IDEOGRAPH" in name:
        return "Han"
    category = unicodedata.category(ch)
    if not name or not (category[0] in "LM" or category == "Nd"):
        return "symbols"
    words: list[str] = []
    for word in name.split():
        if word in _NAME_ENDS or len(words) == 2:
            break
        words.append(word)
    return " ".join(words).title() or "symbols"


def undrawable(text: str) -> dict[str, str]:
    """The visible characters of ``text`` the board font lacks, each once, grouped by script in order
    of appearance: ``{"Han": "猫狗"}``. Empty when everything is drawn as written."""
    groups: dict[str, str] = {}
    for ch in unicodedata.normalize("NFC", text):
        if can_draw(ch) or _invisible(ch) or ch.isspace():
            continue
        script = script_name(ch)
        if ch not in groups.get(script, ""):
            groups[script] = groups.get(script, "") + ch
    return groups


def font_warning(what: str, text: str) -> str | None:
    """A warning when ``text`` has characters the board font lacks, else ``None``:
    ``action uses characters the board font cannot draw (Han: 猫狗); they show as ?``."""
    groups = undrawable(text)
    if not groups:
        return None
    shown = "; ".join(f"{script}: {chars[:4]}{ELLIPSIS if len(chars) > 4 else ''}"
                      for script, chars in groups.items())
    folded = "".join(_fold(ch) for ch in "".join(groups.values()))
    as_what = "?" if "?" in folded else "the nearest letters it has"
    return f"{what} uses characters the board font cannot draw ({shown}); they show as {as_what}"


def text_width(text: str, size: int, bold: bool = False) -> float:
    """How wide ``text`` is drawn at ``size`` pixels, in pixels."""
    return font(size, bold).getlength(text)


def line_height(size: int) -> int:
    """The distance between baselines for text of ``size`` pixels."""
    return round(size * 1.24)


def cap_height(size: int) -> int:
    """The height of a capital letter at ``size`` pixels."""
    return -font(size).getbbox("H", anchor="ls")[1]


MAX_DRAWN_CHARS = 100_000
"""Text longer than this is cut before it is measured (no card shows a thousandth of it; Pillow refuses
strings of a million characters)."""


def _overflowing_prefix(text: str, width: float, measure: Callable[[str], float]) -> str:
    """The shortest of ``text[:64]``, ``text[:128]``, ``text[:256]`` … that is wider than ``width``, else
    all of ``text``: no longer prefix can fit, so nothing after it needs measuring. Costs a few
    measures of at most twice what fits, whatever the length of ``text``."""
    n = 64
    while n < len(text):
        if measure(text[:n]) > width:
            return text[:n]
        n *= 2
    return text


def _fits(text: str, width: float, measure: Callable[[str], float]) -> bool:
    head = _overflowing_prefix(text, width, measure)
    return len(head) == len(text) and measure(text) <= width


def _longest_fitting(text: str, width: float, measure: Callable[[str], float], suffix: str = "") -> int:
    """The length of the longest prefix of ``text`` that fits ``width`` with ``suffix`` after it (0 when
    none does), by binary search over a prefix found by :func:`_overflowing_prefix`."""
    low, high = 0, len(_overflowing_prefix(text, width, measure))
    while low < high:
        mid = (low + high + 1) // 2
        if measure(text[:mid].rstrip() + suffix if suffix else text[:mid]) <= width:
            low = mid
        else:
            high = mid - 1
    return low


def ellipsise(text: str, size: int, width: float, bold: bool = False, force: bool = False,
              measure: Callable[[str], float] | None = None) -> str:
    """``text`` cut to fit ``width`` pixels, ending in ``…`` when it had to be cut ("" if nothing fits).

    With ``force`` the result ends in ``…`` even when ``text`` fits (to mark text left out after it).
    ``measure(text)`` gives a width in the units of ``width`` (another renderer's, e.g. a PDF's);
    by default the board font at ``size`` pixels. Bounded whatever the length of ``text``: the cut is
    found by measuring prefixes of at most twice what fits.
    """
    measure = measure or (lambda s: text_width(s, size, bold))
    if len(text) > MAX_DRAWN_CHARS:
        text, force = text[:MAX_DRAWN_CHARS], True
    text = " ".join(text.split())
    if text.endswith(ELLIPSIS):
        text, force = text[:-1].rstrip(), True
    if not force and _fits(text, width, measure):
        return text
    low = _longest_fitting(text, width, measure, ELLIPSIS)  # the longest prefix that fits with … after it
    if low == 0:
        return ELLIPSIS if measure(ELLIPSIS) <= width else ""
    return text[:low].rstrip(" ,;:-·") + ELLIPSIS


def wrap(text: str, size: int, width: float, bold: bool = False,
         measure: Callable[[str], float] | None = None, max_lines: int | None = None) -> list[str]:
    """``text`` broken into lines no wider than ``width`` pixels; words too long for a line are split.
    ``measure`` as for :func:`ellipsise`.

    With ``max_lines``, stops after ``max_lines + 1`` lines (one more than asked, so the caller knows
    text was left out): the time is then bounded by what can be shown, not by the length of ``text``.
    """
    measure = measure or (lambda s: text_width(s, size, bold))
    limit = None if max_lines is None else max(0, max_lines) + 1
    if len(text) > MAX_DRAWN_CHARS:
        text = text[:MAX_DRAWN_CHARS]
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        if limit is not None and len(lines) >= limit:
            break
        line = ""
        for word in paragraph.split():
            if limit is not None and len(lines) >= limit:
                break
            candidate = f"{line} {word}" if line else word
            if _fits(candidate, width, measure):
                line = candidate
                continue
            if line:
                lines.append(line)
            while len(word) > 1 and not _fits(word, width, measure):
                if limit is not None and len(lines) >= limit:
                    break
                cut = max(1, _longest_fitting(word, width, measure))
                lines.append(word[:cut])
                word = word[cut:]
            line = word
        lines.append(line)
    while lines and not lines[-1]:
        lines.pop()
    return lines if limit is None else lines[:limit]


def clamp_lines(lines: list[str], max_lines: int, size: int, width: float, bold: bool = False,
                measure: Callable[[str], float] | None = None) -> list[str]:
    """At most ``max_lines`` of ``lines``; when some are dropped the last kept line ends in ``…``."""
    if len(lines) <= max_lines:
        return lines
    if max_lines <= 0:
        return []
    kept = lines[:max_lines]
    kept[-1] = ellipsise(kept[-1], size, width, bold, force=True, measure=measure)
    return kept


def draw_text(draw: ImageDraw.ImageDraw, xy: tuple[float, float], text: str, size: int, fill: RGB,
              bold: bool = False, anchor: str = "ls") -> None:
    """Draw ``text`` at ``xy`` (by default ``xy`` is the left end of its baseline)."""
    draw.text(xy, text, font=font(size, bold), fill=fill, anchor=anchor)


def arrow(draw: ImageDraw.ImageDraw, points: list[tuple[float, float]], width: int, fill: RGB,
          head: float | None = None) -> None:
    """A polyline through ``points`` with a solid arrowhead at its last point."""
    head = head or width * 3.2
    (x0, y0), (x1, y1) = points[-2], points[-1]
    angle = math.atan2(y1 - y0, x1 - x0)
    base = (x1 - head * 0.8 * math.cos(angle), y1 - head * 0.8 * math.sin(angle))
    draw.line([*points[:-1], base], fill=fill, width=width, joint="curve")
    spread = math.radians(28)
    draw.polygon([(x1, y1),
                  (x1 - head * math.cos(angle - spread), y1 - head * math.sin(angle - spread)),
                  (x1 - head * math.cos(angle + spread), y1 - head * math.sin(angle + spread))], fill=fill)


def as_rgb(image: Image.Image, background: RGB = (255, 255, 255)) -> Image.Image:
    """``image`` turned upright (EXIF) and as RGB; transparency is laid over ``background``."""
    image = ImageOps.exif_transpose(image) or image
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        image = image.convert("I").point(lambda v: v * (1 / 256)).convert("L")
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, background)
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return image.convert("RGB")


def letterbox(image: Image.Image, size: tuple[int, int], background: RGB) -> Image.Image:
    """``image`` scaled to fit inside ``size`` (aspect kept) and centred on a ``background`` canvas."""
    canvas = Image.new("RGB", size, background)
    scale = min(size[0] / image.width, size[1] / image.height)
    fitted = image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))),
                          Image.Resampling.LANCZOS)
    canvas.paste(fitted, ((size[0] - fitted.width) // 2, (size[1] - fitted.height) // 2))
    return canvas
