"""Drawing a card is bounded whatever its text: a megabyte of dialogue or one endless word is cut with an
ellipsis after what fits, found by measuring a few prefixes, never by trying every word."""

from __future__ import annotations

import time
from fractions import Fraction

import pytest
from shotreel.cards import board_card
from shotreel.drawing import ELLIPSIS, ellipsise, text_width, wrap
from shotreel.model import Beat, DialogueLine, Film, Scene, Shot

MEGABYTE_OF_WORDS = "That bay's been dead for months. " * 32_000  # 1 MB, 192,000 words
ENDLESS_WORD = "x" * 1_000_000


def film_with(action: str = "Mara turns.", line: str = "") -> tuple[Film, Shot]:
    shot = Shot(id="sh010", beat="b", duration=96, action=action, scene="sc",
                dialogue=[DialogueLine(line, "MARA")] if line else [])
    return Film(title="t", fps=Fraction(24), beats=[Beat("b", "B")], scenes=[Scene("sc", shots=[shot])]), shot


@pytest.mark.parametrize("action, line", [
    ("Mara turns.", MEGABYTE_OF_WORDS),
    (MEGABYTE_OF_WORDS, ""),
    (ENDLESS_WORD, ENDLESS_WORD),
    (MEGABYTE_OF_WORDS * 10, MEGABYTE_OF_WORDS * 10),  # 10 MB: more than Pillow measures at all
], ids=["megabyte-dialogue", "megabyte-action", "endless-word", "ten-megabytes"])
def test_a_card_of_any_text_is_drawn_in_bounded_time(action, line):
    film, shot = film_with(action, line)
    started = time.perf_counter()
    card = board_card(film, shot)
    assert time.perf_counter() - started < 3  # 142 s for a megabyte before; about 0.5 s now
    assert card.image.size == (1280, 720)


class Counting:
    """A measure (as a PDF's) that counts its calls and the characters it was given."""

    def __init__(self):
        self.calls = 0
        self.longest = 0

    def __call__(self, text: str) -> float:
        self.calls += 1
        self.longest = max(self.longest, len(text))
        return text_width(text, 24)


def test_the_ellipsis_is_found_by_measuring_a_few_prefixes():
    measure = Counting()
    cut = ellipsise(MEGABYTE_OF_WORDS, 24, 400, measure=measure)
    assert cut.endswith(ELLIPSIS) and text_width(cut, 24) <= 400
    assert cut.startswith("That bay's been dead for months.")
    assert measure.calls < 40 and measure.longest < 512


def test_wrapping_stops_after_the_lines_asked_for():
    measure = Counting()
    lines = wrap(MEGABYTE_OF_WORDS, 24, 400, measure=measure, max_lines=3)
    assert len(lines) == 4  # one more than asked: the caller knows text was left out
    assert all(text_width(line, 24) <= 400 for line in lines)
    assert measure.calls < 200 and measure.longest < 512
    word = wrap(ENDLESS_WORD, 24, 400, measure=Counting(), max_lines=2)
    assert len(word) == 3 and "".join(word) == "x" * sum(map(len, word))


def test_wrapping_without_a_limit_keeps_every_word():
    text = "Mara floats down the corridor and taps a flickering oxygen gauge. " * 5 + "y" * 300
    lines = wrap(text, 24, 400)
    assert " ".join(lines).replace("y ", "y").split() == text.split()
    assert all(text_width(line, 24) <= 400 for line in lines)
