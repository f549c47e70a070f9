"""The AI-use disclosure: which media in the film a generative AI model made, which software made without
one, and in which shots.

Made from what the cut really shows (:mod:`shotreel.finishing.provenance`): video (takes), images (a board
shown in the cut whose sidecar names the provider that made it) and voices (the scratch dialogue in the
mix). Each is sorted by how it was made, in the words of IPTC's digital source type vocabulary
(http://cv.iptc.org/newscodes/digitalsourcetype/):

- ``trainedAlgorithmicMedia`` — made algorithmically with a model derived from sampled content: a take or
  a still from a generative model (Runway, Kling, Luma, fal, Replicate, a ComfyUI workflow …), or a hosted
  voice. Disclosed as **AI-generated**.
- ``algorithmicMedia`` — made purely by an algorithm not based on sampled training data: a take of the
  offline ``animatic`` provider (a board moved with the shot's camera by ffmpeg), its offline sketches,
  and eSpeak NG's scratch voices (rule-based formant synthesis). Disclosed as made by software **without
  an AI model**, never as AI-generated.

A film with no AI-generated media says so. The card shown after the title, the credits' line, the
exported file's ``title``, ``comment`` and ``description`` tags and the content credential's assertion
(:mod:`shotreel.finishing.credentials`) are all made from this one :class:`Disclosure`, so they agree.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from PIL import Image

from .. import drawing
from ..conform import conform
from ..model import Film
from .provenance import OFFLINE_PROVIDERS, Generation
from .titles import DIM, INK, Card, _canvas, _centred, _shot_list, accent, seconds

DISCLOSURE_SECONDS = 4
KIND_WORDS = {"video": "video", "image": "images", "voice": "voices"}
SOURCE_TYPES = "http://cv.iptc.org/newscodes/digitalsourcetype/"
TRAINED = SOURCE_TYPES + "trainedAlgorithmicMedia"
"""IPTC: created algorithmically using a model derived from sampled content (generative AI)."""
ALGORITHMIC = SOURCE_TYPES + "algorithmicMedia"
"""IPTC: created purely by an algorithm not based on any sampled training data."""
SCRATCH_VOICES = "eSpeak NG"
"""Who speaks the scratch voices: eSpeak NG's formant synthesis, rules and no trained model."""
_MADE_WORDS = {"video": "animatic video", "image": "images drawn by software", "voice": "synthetic voices"}


@dataclass
class Source:
    """One kind of made media in the cut, how it was made (``trained``: by a generative AI model), in which
    shots, and by what (``makers``: ``gen4_turbo (runway)``, ``eSpeak NG``)."""

    kind: str
    trained: bool
    shots: list[str] = field(default_factory=list)
    makers: list[str] = field(default_factory=list)

    @property
    def digital_source_type(self) -> str:
        """The IPTC digital source type: ``trainedAlgorithmicMedia`` or ``algorithmicMedia``."""
        return TRAINED if self.trained else ALGORITHMIC

    def label(self) -> str:
        """``AI-generated video`` / ``animatic video`` / ``synthetic voices (eSpeak NG)``."""
        if self.trained:
            return f"AI-generated {KIND_WORDS[self.kind]}"
        if self.kind == "voice" and self.makers:
            return f"{_MADE_WORDS[self.kind]} ({', '.join(self.makers)})"
        return _MADE_WORDS[self.kind]

    def to_dict(self) -> dict:
        return {"kind": self.kind, "ai_generated": self.trained, "digital_source_type": self.digital_source_type,
                "label": self.label(), "shots": list(self.shots), "makers": list(self.makers)}


def _listed(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


@dataclass
class Disclosure:
    """What the film discloses: each kind of made media with how it was made, its shots and its makers."""

    title: str
    sources: list[Source] = field(default_factory=list)

    @property
    def ai(self) -> list[Source]:
        """The sources a generative AI model made, in the order video, images, voices."""
        return sorted((s for s in self.sources if s.trained), key=lambda s: list(KIND_WORDS).index(s.kind))

    @property
    def without_ai(self) -> list[Source]:
        """The sources software made without an AI model (the animatic, eSpeak NG)."""
        return sorted((s for s in self.sources if not s.trained), key=lambda s: list(KIND_WORDS).index(s.kind))

    @property
    def shots(self) -> dict[str, list[str]]:
        """The shots of each kind of AI-generated media (``{"video": ["sh010"]}``); nothing made without AI."""
        return {s.kind: list(s.shots) for s in self.ai}

    @property
    def models(self) -> list[str]:
        """The generative models behind the AI-generated media (``gen4_turbo (runway)``)."""
        return list(dict.fromkeys(m for s in self.ai for m in s.makers))

    @property
    def kinds(self) -> list[str]:
        return [s.kind for s in self.ai]

    @property
    def any(self) -> bool:
        """``True`` when the film contains AI-generated media."""
        return bool(self.ai)

    def statement(self) -> str:
        """The first sentence: ``This film contains AI-generated video and images.``, or that it has none."""
        if not self.any:
            return "This film contains no AI-generated video, images or voices."
        return f"This film contains AI-generated {_listed([KIND_WORDS[k] for k in self.kinds])}."

    def made_without_ai(self) -> str:
        """The second sentence, for what software made without an AI model (empty when nothing was)."""
        made = [s.label() for s in self.without_ai]
        return f"Made by software without an AI model: {_listed(made)}." if made else ""

    def sentence(self) -> str:
        """The whole disclosure in one or two sentences (the file's ``comment`` tag)."""
        return " ".join(part for part in (self.statement(), self.made_without_ai()) if part)

    def shot_lines(self, most: int = 12) -> list[str]:
        """One line per source: ``AI-generated video: sh010, sh020``, ``animatic video, no AI model: sh030``."""
        lines = [f"{s.label()}: {_shot_list(s.shots, most)}" for s in self.ai]
        return lines + [f"{s.label()}, no AI model: {_shot_list(s.shots, most)}" for s in self.without_ai]

    def credit_line(self) -> str:
        """The credits' line: the statement with the shots of each kind, then what was made without AI."""
        if self.any:
            parts = [f"{KIND_WORDS[s.kind]} in {_shot_list(s.shots)}" for s in self.ai]
            line = f"{self.statement()[:-1]}: {'; '.join(parts)}."
        else:
            line = self.statement()
        made = [f"{s.label()} in {_shot_list(s.shots)}" for s in self.without_ai]
        return line + (f" Made by software without an AI model: {'; '.join(made)}." if made else "")

    def text(self) -> str:
        """The whole disclosure as plain text (the file's ``description``)."""
        lines = [self.sentence(), *self.shot_lines(most=10_000)]
        if self.models:
            lines.append("Made with: " + ", ".join(self.models) + ".")
        offline = list(dict.fromkeys(m for s in self.without_ai for m in s.makers))
        if offline:
            lines.append("Made without an AI model by: " + ", ".join(offline) + ".")
        return "\n".join(lines)

    def metadata(self) -> dict[str, str]:
        """The exported file's tags: ``title``, ``comment`` (the sentences) and ``description`` (all of it)."""
        return {"title": self.title, "comment": self.sentence(), "description": self.text()}

    def to_dict(self) -> dict:
        """The disclosure as the content credential's ``shotreel.disclosure`` assertion."""
        return {"statement": self.sentence(), "ai_generated": self.any, "shots": self.shots, "models": self.models,
                "sources": [s.to_dict() for s in self.ai + self.without_ai]}


def _board_maker(path) -> tuple[str, str] | None:
    """``(provider, model)`` when the board at ``path`` has a sidecar naming the provider that generated it."""
    sidecar = path.with_suffix(".json")
    try:
        data = json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not data.get("provider"):
        return None
    return str(data["provider"]), str(data.get("model") or "unnamed model")


def _add(sources: dict[tuple[str, bool], Source], kind: str, trained: bool, shot: str, maker: str) -> None:
    source = sources.setdefault((kind, trained), Source(kind, trained))
    if shot not in source.shots:
        source.shots.append(shot)
    if maker not in source.makers:
        source.makers.append(maker)


def disclose(film: Film, generation: Generation, voice_shots: list[str] | None = None,
             voices_by: str = SCRATCH_VOICES, voices_trained: bool = False,
             voices: list[tuple[str, str, bool]] | None = None) -> Disclosure:
    """The disclosure for the cut: video (and stills) from the takes it uses, images from generated boards it
    shows, voices from ``voice_shots`` (the shots whose voices are in the mix, spoken by ``voices_by``: the
    scratch voices by eSpeak NG, no trained model, unless ``voices_trained``) and from ``voices``, one
    ``(shot, maker, trained)`` per clip in the mix (a hosted voice's clips are ``trained``: AI-generated; the
    lines eSpeak NG speaks are not). Each source is AI-generated only when a trained model made it
    (:attr:`~shotreel.finishing.provenance.UsedTake.trained`)."""
    sources: dict[tuple[str, bool], Source] = {}
    for used in generation.takes:
        _add(sources, used.kind, used.trained, used.shot, f"{used.model} ({used.provider})")
    try:
        from ..boards import shot_board_image
    except ImportError:  # pragma: no cover - boards is part of the package
        shot_board_image = None
    if film.root is not None and shot_board_image is not None:
        for cut in conform(film, probe=False).shots:
            if cut.take is not None and cut.covered >= cut.length:
                continue
            board = shot_board_image(film, cut.shot)
            maker = _board_maker(board) if board is not None else None
            if maker is not None:
                provider, model = maker
                _add(sources, "image", provider not in OFFLINE_PROVIDERS, cut.shot.id, f"{model} ({provider})")
    for shot in voice_shots or []:
        _add(sources, "voice", voices_trained, shot, voices_by)
    for shot, maker, trained in voices or []:
        _add(sources, "voice", trained, shot, maker)
    return Disclosure(film.title, list(sources.values()))


def draw_disclosure_card(film: Film, disclosure: Disclosure) -> Image.Image:
    """The disclosure card: a heading in the accent colour, the statement, what software made without an AI
    model, the shots of each."""
    image, draw = _canvas(film)
    width, height = film.resolution
    size = max(10, height // 20)
    small = max(8, size * 3 // 4)
    body = drawing.wrap(drawing.printable(disclosure.statement()), size, width * 0.8, True)
    also = drawing.wrap(drawing.printable(disclosure.made_without_ai()), small, width * 0.8) \
        if disclosure.made_without_ai() else []
    details = [w for line in disclosure.shot_lines() for w in drawing.wrap(drawing.printable(line), small,
                                                                           width * 0.8)]
    room = max(1, int(height * 0.45 // drawing.line_height(small)) - len(also))
    details = drawing.clamp_lines(details, room, small, width * 0.8)
    needed = (drawing.line_height(small) * (1 + len(also) + len(details)) + drawing.line_height(size) * len(body)
              + size * 1.5)
    y = (height - needed) / 2 + small
    _centred(draw, width, y, "AI-USE DISCLOSURE", small, accent(film), bold=True)
    y += drawing.line_height(small) + size * 0.5
    for line in body:
        _centred(draw, width, y, line, size, INK, bold=True)
        y += drawing.line_height(size)
    y += size * 0.5
    for line in also:
        _centred(draw, width, y, line, small, INK)
        y += drawing.line_height(small)
    y += size * 0.5 if also else 0
    for line in details:
        _centred(draw, width, y, line, small, DIM)
        y += drawing.line_height(small)
    return image


def disclosure_card(film: Film, disclosure: Disclosure) -> Card:
    """The disclosure card, shown for 4 s after the title card."""
    return Card("disclosure", draw_disclosure_card(film, disclosure), seconds(film, DISCLOSURE_SECONDS))
