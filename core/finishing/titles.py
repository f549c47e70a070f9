"""The title card and the end credits, drawn in the film's style at its resolution.

From ``titles:`` and ``credits:`` in ``shotreel.yaml`` (:class:`~shotreel.model.Titles`,
:class:`~shotreel.model.Credits`); without them the title card shows the film's title and the credits
show only what shotreel knows. The credits always end with the generation models and providers the cut
really uses (:mod:`shotreel.finishing.provenance`, read from the takes' sidecars; the offline animatic
apart from the generative models) and the AI-use disclosure's line. Cards are Pillow images in the board font (Latin, Greek, Cyrillic as written; other
scripts as ``?``), on a dark ground with an accent colour taken from the film's ``style`` (its first
colour word: amber, green, blue …). Lengths are whole frames at the film's rate.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from PIL import Image, ImageDraw

from .. import drawing
from ..model import Film
from .provenance import Generation

TITLE_SECONDS = 4
CREDITS_SECONDS = 8
BACKGROUND = (12, 12, 14)
INK = (236, 232, 224)
DIM = (150, 146, 140)
ACCENTS = {
    "amber": (255, 176, 46), "gold": (222, 184, 84), "orange": (240, 140, 50), "red": (214, 72, 60),
    "crimson": (190, 40, 60), "pink": (236, 130, 170), "purple": (160, 110, 210), "violet": (150, 110, 230),
    "blue": (96, 150, 230), "cyan": (80, 200, 220), "teal": (60, 170, 160), "green": (110, 200, 120),
    "yellow": (236, 210, 80), "silver": (190, 196, 204), "white": (240, 240, 240),
}
_WORD = re.compile(r"[a-z]+")


@dataclass
class Card:
    """A still shown for ``frames`` frames: the title, the disclosure or the credits."""

    name: str
    image: Image.Image
    frames: int


def accent(film: Film) -> drawing.RGB:
    """The film's accent colour: the first colour word in its ``style`` (a warm grey without one)."""
    for word in _WORD.findall(film.style.lower()):
        if word in ACCENTS:
            return ACCENTS[word]
    return (200, 180, 150)


def seconds(film: Film, value: int) -> int:
    """``value`` seconds as whole frames at the film's rate."""
    return round(value * film.fps)


def title_frames(film: Film) -> int:
    return film.titles.duration if film.titles and film.titles.duration else seconds(film, TITLE_SECONDS)


def credits_frames(film: Film) -> int:
    return film.credits.duration if film.credits and film.credits.duration else seconds(film, CREDITS_SECONDS)


def _canvas(film: Film) -> tuple[Image.Image, ImageDraw.ImageDraw]:
    image = Image.new("RGB", film.resolution, BACKGROUND)
    return image, ImageDraw.Draw(image)


def _centred(draw: ImageDraw.ImageDraw, width: int, y: float, text: str, size: int, fill: drawing.RGB,
             bold: bool = False) -> None:
    text = drawing.ellipsise(drawing.printable(text), size, width * 0.9, bold)
    drawing.draw_text(draw, (width / 2, y), text, size, fill, bold, anchor="ms")


def draw_title_card(film: Film) -> Image.Image:
    """The title card: the title (``titles.title``, else the film's), a rule in the accent colour, the
    subtitle; centred at the film's resolution."""
    image, draw = _canvas(film)
    width, height = film.resolution
    titles = film.titles
    title = (titles.title if titles and titles.title else film.title) or "Untitled"
    size = max(12, height // 9)
    lines = drawing.clamp_lines(drawing.wrap(drawing.printable(title), size, width * 0.85, True), 3, size,
                                width * 0.85, True)
    lead = drawing.line_height(size)
    y = height / 2 - (len(lines) - 1) * lead / 2
    for line in lines:
        _centred(draw, width, y, line, size, INK, bold=True)
        y += lead
    rule_y = y - lead + size * 0.55
    draw.line([(width * 0.42, rule_y), (width * 0.58, rule_y)], fill=accent(film), width=max(2, height // 270))
    if titles and titles.subtitle:
        _centred(draw, width, rule_y + size * 0.9, titles.subtitle, max(10, size * 2 // 5), DIM)
    return image


def credit_lines(film: Film, generation: Generation, disclosure_line: str = "") -> list[tuple[str, list[str]]]:
    """The credits as ``(role, names)`` in order: the people from ``credits:``, then *Generated with* (each
    generative model and provider the cut uses, with its shots), *Made without an AI model* (the offline
    animatic's takes), then the disclosure, then thanks."""
    lines: list[tuple[str, list[str]]] = []
    if film.credits:
        lines += [(r.role, list(r.names)) for r in film.credits.roles]
    for role, trained in (("Generated with", True), ("Made without an AI model", False)):
        models = generation.models(trained=trained)
        if models:
            lines.append((role, [f"{model} ({provider}) — {_shot_list(shots)}" for provider, model, shots in models]))
    if disclosure_line:
        lines.append(("AI-use disclosure", [disclosure_line]))
    if film.credits and film.credits.thanks:
        lines.append(("Thanks", [film.credits.thanks]))
    return lines


def _shot_list(shots: list[str], most: int = 6) -> str:
    if len(shots) <= most:
        return ", ".join(shots)
    return ", ".join(shots[:most]) + f" and {len(shots) - most} more"


def draw_credits(film: Film, generation: Generation, disclosure_line: str = "") -> Image.Image:
    """The end credits as one card: each role in the accent colour above its names, sized down until
    everything fits the frame (:func:`credit_lines`)."""
    image, draw = _canvas(film)
    width, height = film.resolution
    lines = credit_lines(film, generation, disclosure_line)
    colour = accent(film)
    size = max(8, height // 22)
    while True:
        role_size = max(6, size * 3 // 4)
        wrapped = [(drawing.printable(role), [w for name in names for w in
                    drawing.wrap(drawing.printable(name), size, width * 0.8)]) for role, names in lines]
        needed = sum(drawing.line_height(role_size) + len(names) * drawing.line_height(size) + size
                     for _, names in wrapped)
        if needed <= height * 0.88 or size <= 8:
            break
        size = max(8, int(size * 0.9))
    y = (height - needed) / 2 + role_size
    for role, names in wrapped:
        _centred(draw, width, y, role.upper(), role_size, colour, bold=True)
        y += drawing.line_height(role_size)
        for name in names:
            if y > height:
                break
            _centred(draw, width, y + size * 0.2, name, size, INK)
            y += drawing.line_height(size)
        y += size
    return image


def title_card(film: Film) -> Card:
    """The title card and its length (``titles.duration``, else 4 s)."""
    return Card("title", draw_title_card(film), title_frames(film))


def credits_card(film: Film, generation: Generation, disclosure_line: str = "") -> Card:
    """The credits card and its length (``credits.duration``, else 8 s)."""
    return Card("credits", draw_credits(film, generation, disclosure_line), credits_frames(film))
