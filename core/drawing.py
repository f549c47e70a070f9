"""Pillow helpers for the pictures shotreel draws: fonts, wrapped and ellipsised text, arrows, fitting.

Text uses Pillow's built-in scalable font (Aileron, Pillow >= 10.1), so nothing depends on the
fonts a machine has installed. That font covers ASCII and a few typographic marks only:
:func:`printable` folds other text to what it can draw (accents dropped, dashes as hyphens, anything
else as ``?``) so no picture shows missing-glyph boxes. Sizes are in pixels; "bold" is the regular
face drawn with a thin stroke of its own colour.
"""

from __future__ import annotations

import math
import unicodedata
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont, ImageOps

RGB = tuple[int, int, int]
ELLIPSIS = "…"
_FOLD = {"–": "-", "—": " - ", "‐": "-", "‑": "-", "−": "-", "×": "x", "•": "·", "„": "“", "‚": "'",
         "′": "'", "″": '"', "ß": "ss", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ø": "o", "Ø": "O",
         "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ð": "d", "þ": "th", "\t": " ", "\u00a0": " "}


@lru_cache(maxsize=128)
def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """Pillow's built-in scalable font at ``size`` pixels (cached)."""
    return ImageFont.load_default(size=max(6, int(size)))


@lru_cache(maxsize=1)
def _missing_glyph() -> bytes:
    return _glyph("\ue000")


def _glyph(ch: str) -> bytes:
    image = Image.new("L", (48, 48))
    ImageDraw.Draw(image).text((4, 4), ch, font=font(32), fill=255)
    return image.tobytes()


@lru_cache(maxsize=4096)
def _drawable(ch: str) -> bool:
    return ch == " " or _glyph(ch) != _missing_glyph()


def printable(text: str) -> str:
    """``text`` with every character the built-in font cannot draw folded to one it can."""
    out = []
    for ch in text:
        if ch in _FOLD:
            out.append(_FOLD[ch])
        elif ch == "\n" or _drawable(ch):
            out.append(ch)
        else:
            base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
            out.append(base if base and all(_drawable(c) for c in base) else "?")
    return "".join(out)


def stroke(size: int, bold: bool) -> int:
    """The stroke width that makes text of ``size`` pixels read as bold (0 when not bold)."""
    return round(size / 30) if bold else 0  # below 15 px a stroke would blot the letters


def text_width(text: str, size: int, bold: bool = False) -> float:
    """How wide ``text`` is drawn at ``size`` pixels, in pixels."""
    return font(size).getlength(text) + 2 * stroke(size, bold)


def line_height(size: int) -> int:
    """The distance between baselines for text of ``size`` pixels."""
    return round(size * 1.24)


def cap_height(size: int) -> int:
    """The height of a capital letter at ``size`` pixels."""
    return -font(size).getbbox("H", anchor="ls")[1]


def ellipsise(text: str, size: int, width: float, bold: bool = False, force: bool = False) -> str:
    """``text`` cut to fit ``width`` pixels, ending in ``…`` when it had to be cut ("" if nothing fits).

    With ``force`` the result ends in ``…`` even when ``text`` fits (to mark text left out after it).
    """
    text = " ".join(text.split())
    if text.endswith(ELLIPSIS):
        text, force = text[:-1].rstrip(), True
    if not force and text_width(text, size, bold) <= width:
        return text
    low, high = 0, len(text)
    while low < high:  # the longest prefix that fits with an ellipsis after it
        mid = (low + high + 1) // 2
        if text_width(text[:mid].rstrip() + ELLIPSIS, size, bold) <= width:
            low = mid
        else:
            high = mid - 1
    if low == 0:
        return ELLIPSIS if text_width(ELLIPSIS, size, bold) <= width else ""
    return text[:low].rstrip(" ,;:-·") + ELLIPSIS


def wrap(text: str, size: int, width: float, bold: bool = False) -> list[str]:
    """``text`` broken into lines no wider than ``width`` pixels; words too long for a line are split."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line = ""
        for word in paragraph.split():
            candidate = f"{line} {word}" if line else word
            if text_width(candidate, size, bold) <= width:
                line = candidate
                continue
            if line:
                lines.append(line)
            while text_width(word, size, bold) > width and len(word) > 1:
                cut = max(1, next((i for i in range(len(word), 0, -1)
                                   if text_width(word[:i], size, bold) <= width), 1))
                lines.append(word[:cut])
                word = word[cut:]
            line = word
        lines.append(line)
    while lines and not lines[-1]:
        lines.pop()
    return lines


def clamp_lines(lines: list[str], max_lines: int, size: int, width: float, bold: bool = False) -> list[str]:
    """At most ``max_lines`` of ``lines``; when some are dropped the last kept line ends in ``…``."""
    if len(lines) <= max_lines:
        return lines
    if max_lines <= 0:
        return []
    kept = lines[:max_lines]
    kept[-1] = ellipsise(kept[-1], size, width, bold, force=True)
    return kept


def draw_text(draw: ImageDraw.ImageDraw, xy: tuple[float, float], text: str, size: int, fill: RGB,
              bold: bool = False, anchor: str = "ls") -> None:
    """Draw ``text`` at ``xy`` (by default ``xy`` is the left end of its baseline)."""
    draw.text(xy, text, font=font(size), fill=fill, anchor=anchor, stroke_width=stroke(size, bold),
              stroke_fill=fill)


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
