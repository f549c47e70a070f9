"""The colours that mean something in shotreel, one table for every picture and every host.

A beat has one colour everywhere: the band of its board cards, its caption on the contact sheet, its
marker in the reel (OTIO's colour name) and in DaVinci Resolve (Resolve's marker colour). Beat
colours are the six that OTIO's and Resolve's palettes share exactly (Blue, Green, Yellow, Purple, Cyan,
Pink); Red is kept for check warnings alone, so a beat marker never reads as a warning.
"""

from __future__ import annotations

from typing import NamedTuple

import opentimelineio as otio

RGB = tuple[int, int, int]


class BeatColour(NamedTuple):
    """One beat colour: its ``name``, OTIO marker colour, Resolve marker colour and the card band's RGB
    (a dark shade of the same hue, with white text on it above 6:1 contrast)."""

    name: str
    otio: str
    resolve: str
    rgb: RGB


BEAT_COLOURS: tuple[BeatColour, ...] = (
    BeatColour("blue", otio.schema.MarkerColor.BLUE, "Blue", (29, 70, 150)),
    BeatColour("green", otio.schema.MarkerColor.GREEN, "Green", (32, 104, 60)),
    BeatColour("yellow", otio.schema.MarkerColor.YELLOW, "Yellow", (112, 86, 0)),
    BeatColour("purple", otio.schema.MarkerColor.PURPLE, "Purple", (84, 44, 150)),
    BeatColour("cyan", otio.schema.MarkerColor.CYAN, "Cyan", (0, 92, 112)),
    BeatColour("pink", otio.schema.MarkerColor.PINK, "Pink", (150, 30, 100)),
)
"""Beat colours in beat order (the n-th beat of the story takes the n-th, round again after six)."""

WARNING_COLOUR = BeatColour("red", otio.schema.MarkerColor.RED, "Red", (155, 34, 38))
"""Check warnings, and nothing else."""


def beat_colour_at(index: int) -> BeatColour:
    """The colour of the beat at ``index`` in story order."""
    return BEAT_COLOURS[index % len(BEAT_COLOURS)]
