"""The AI-use disclosure: which kinds of generated media the film contains, and in which shots.

Made from what the cut really shows (:mod:`shotreel.finishing.provenance`): generated video (takes),
generated images (a board shown in the cut whose sidecar names the provider that made it) and synthetic
voices (the scratch dialogue in the mix). It becomes a card shown after the title, a line of the credits,
the exported file's ``title``, ``comment`` and ``description`` tags, and an assertion of the content
credential (:mod:`shotreel.finishing.credentials`). A kind the film does not contain is not claimed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from PIL import Image

from .. import drawing
from ..conform import conform
from ..model import Film
from .provenance import Generation
from .titles import DIM, INK, Card, _canvas, _centred, _shot_list, accent, seconds

DISCLOSURE_SECONDS = 4
KIND_WORDS = {"video": "video", "image": "images", "voice": "voices"}


@dataclass
class Disclosure:
    """What the film discloses: the shots per kind of AI-generated media, and the models behind them."""

    title: str
    shots: dict[str, list[str]] = field(default_factory=dict)
    models: list[str] = field(default_factory=list)

    @property
    def kinds(self) -> list[str]:
        return [kind for kind in KIND_WORDS if self.shots.get(kind)]

    @property
    def any(self) -> bool:
        return bool(self.kinds)

    def statement(self) -> str:
        """The one sentence: ``This film contains AI-generated video, images and voices.``"""
        words = [KIND_WORDS[k] for k in self.kinds]
        if not words:
            return "This film contains no AI-generated video, images or voices."
        listed = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
        return f"This film contains AI-generated {listed}."

    def shot_lines(self, most: int = 12) -> list[str]:
        """One line per kind: ``AI-generated video: sh010, sh020``."""
        return [f"AI-generated {KIND_WORDS[k]}: {_shot_list(self.shots[k], most)}" for k in self.kinds]

    def credit_line(self) -> str:
        """The credits' line: the statement with the shots of each kind."""
        if not self.any:
            return self.statement()
        parts = [f"{KIND_WORDS[k]} in {_shot_list(self.shots[k])}" for k in self.kinds]
        return f"{self.statement()[:-1]}: {'; '.join(parts)}."

    def text(self) -> str:
        """The whole disclosure as plain text (the file's ``description``)."""
        lines = [self.statement(), *self.shot_lines(most=10_000)]
        if self.models:
            lines.append("Made with: " + ", ".join(self.models) + ".")
        return "\n".join(lines)

    def metadata(self) -> dict[str, str]:
        """The exported file's tags: ``title``, ``comment`` (the statement) and ``description`` (all of it)."""
        return {"title": self.title, "comment": self.statement(), "description": self.text()}


def _generated_board(film: Film, path) -> bool:
    """``True`` when the board at ``path`` has a sidecar naming the provider that generated it."""
    sidecar = path.with_suffix(".json")
    try:
        data = json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and bool(data.get("provider"))


def disclose(film: Film, generation: Generation, voice_shots: list[str] | None = None) -> Disclosure:
    """The disclosure for the cut: video from the takes it uses, images from generated boards it shows,
    voices from ``voice_shots`` (the shots whose scratch voices are in the mix)."""
    shots: dict[str, list[str]] = {"video": generation.shots("video"), "image": generation.shots("image")}
    try:
        from ..boards import shot_board_image
    except ImportError:  # pragma: no cover - boards is part of the package
        shot_board_image = None
    if film.root is not None and shot_board_image is not None:
        for cut in conform(film, probe=False).shots:
            if cut.take is not None and cut.covered >= cut.length:
                continue
            board = shot_board_image(film, cut.shot)
            if board is not None and _generated_board(film, board) and cut.shot.id not in shots["image"]:
                shots["image"].append(cut.shot.id)
    shots["voice"] = list(voice_shots or [])
    models = [f"{model} ({provider})" for provider, model, _ in generation.models()]
    return Disclosure(film.title, {k: v for k, v in shots.items() if v}, models)


def draw_disclosure_card(film: Film, disclosure: Disclosure) -> Image.Image:
    """The disclosure card: a heading in the accent colour, the statement, the shots of each kind."""
    image, draw = _canvas(film)
    width, height = film.resolution
    size = max(10, height // 20)
    small = max(8, size * 3 // 4)
    body = drawing.wrap(drawing.printable(disclosure.statement()), size, width * 0.8)
    details = [w for line in disclosure.shot_lines() for w in drawing.wrap(drawing.printable(line), small,
                                                                           width * 0.8)]
    details = drawing.clamp_lines(details, max(1, int(height * 0.45 // drawing.line_height(small))), small,
                                  width * 0.8)
    needed = (drawing.line_height(small) * (1 + len(details)) + drawing.line_height(size) * len(body)
              + size)
    y = (height - needed) / 2 + small
    _centred(draw, width, y, "AI-USE DISCLOSURE", small, accent(film), bold=True)
    y += drawing.line_height(small) + size * 0.5
    for line in body:
        _centred(draw, width, y, line, size, INK, bold=True)
        y += drawing.line_height(size)
    y += size * 0.5
    for line in details:
        _centred(draw, width, y, line, small, DIM)
        y += drawing.line_height(small)
    return image


def disclosure_card(film: Film, disclosure: Disclosure) -> Card:
    """The disclosure card, shown for 4 s after the title card."""
    return Card("disclosure", draw_disclosure_card(film, disclosure), seconds(film, DISCLOSURE_SECONDS))
