"""Where a contact sheet is drawn: a Pillow image or a PDF page, through the same few calls.

The sheet's layout is worked out once, in pixels, and drawn by either surface: :class:`ImageCanvas`
paints pixels (the PNG sheet), :class:`PdfCanvas` writes a page of a :class:`PdfDocument` (fpdf2),
where text is real text in the embedded board font (searchable, sharp when printed), rules and bars
are vectors and boards are embedded as images. A PDF pixel is ``72 / dpi`` points, so a layout made
for a 150 dpi page prints at the size it was planned for.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from PIL import Image, ImageDraw

from .drawing import (
    BOLD_FONT,
    REGULAR_FONT,
    RGB,
    clamp_lines,
    draw_text,
    ellipsise,
    letterbox,
    text_width,
    wrap,
)

if TYPE_CHECKING:
    from fpdf import FPDF

Box = tuple[float, float, float, float]
"""(left, top, right, bottom) in pixels; right and bottom are exclusive (the box is right-left wide)."""


class Canvas(Protocol):
    """A surface the contact sheet is drawn on; coordinates in pixels, ``size`` is the text's em in pixels."""

    def text(self, xy: tuple[float, float], text: str, size: int, fill: RGB, bold: bool = False,
             anchor: str = "ls") -> None:
        """Draw ``text`` with its baseline at ``xy[1]``; ``xy[0]`` is its left end (``anchor`` ``ls``),
        its right end (``rs``) or its middle (``ms``)."""

    def fit(self, text: str, size: int, width: float, bold: bool = False) -> str:
        """``text`` cut with ``…`` to fit ``width`` pixels, measured as this surface draws it."""

    def text_width(self, text: str, size: int, bold: bool = False) -> float:
        """How wide this surface draws ``text``, in pixels."""

    def lines(self, text: str, size: int, width: float, most: int) -> list[str]:
        """``text`` wrapped to ``width`` pixels, at most ``most`` lines (the last cut with ``…``)."""

    def rect(self, box: Box, fill: RGB | None = None, outline: RGB | None = None, width: float = 1) -> None:
        """A rectangle filling ``box``; its outline (``width`` pixels) is drawn inside the box."""

    def line(self, points: Sequence[tuple[float, float]], fill: RGB, width: float) -> None:
        """A line through ``points``."""

    def image(self, image: Image.Image, box: Box, background: RGB) -> None:
        """``image`` scaled to fit ``box`` (aspect kept), centred on ``background``."""


class ImageCanvas:
    """A :class:`Canvas` that paints on a Pillow RGB image."""

    def __init__(self, image: Image.Image):
        self.target = image
        self.draw = ImageDraw.Draw(image)

    def text(self, xy: tuple[float, float], text: str, size: int, fill: RGB, bold: bool = False,
             anchor: str = "ls") -> None:
        draw_text(self.draw, xy, text, size, fill, bold, anchor)

    def fit(self, text: str, size: int, width: float, bold: bool = False) -> str:
        return ellipsise(text, size, width, bold)

    def text_width(self, text: str, size: int, bold: bool = False) -> float:
        return text_width(text, size, bold)

    def lines(self, text: str, size: int, width: float, most: int) -> list[str]:
        return clamp_lines(wrap(text, size, width, max_lines=most), most, size, width)

    def rect(self, box: Box, fill: RGB | None = None, outline: RGB | None = None, width: float = 1) -> None:
        x0, y0, x1, y1 = box
        self.draw.rectangle([x0, y0, x1 - 1, y1 - 1], fill=fill, outline=outline, width=round(width))

    def line(self, points: Sequence[tuple[float, float]], fill: RGB, width: float) -> None:
        self.draw.line(list(points), fill=fill, width=round(width))

    def image(self, image: Image.Image, box: Box, background: RGB) -> None:
        x0, y0, x1, y1 = (round(v) for v in box)
        self.target.paste(letterbox(image, (x1 - x0, y1 - y0), background), (x0, y0))


FAMILY = "board"


class PdfDocument:
    """A PDF of pages ``size`` pixels big at ``dpi`` (A4 landscape at 150 dpi is 1754 x 1240), with
    the board font's two faces embedded (subset to the characters used)."""

    def __init__(self, size: tuple[float, float], dpi: float = 150.0, title: str = "", producer: str = ""):
        from fpdf import FPDF  # imported when a PDF is made: it takes longer than the rest of shotreel

        self.dpi = dpi
        self.pdf: FPDF = FPDF(unit=72 / dpi, format=(size[0], size[1]))
        self.pdf.set_auto_page_break(False)
        self.pdf.set_margin(0)
        self.pdf.add_font(FAMILY, "", REGULAR_FONT)
        self.pdf.add_font(FAMILY, "B", BOLD_FONT)
        if title:
            self.pdf.set_title(title)
        if producer:
            self.pdf.set_producer(producer)
            self.pdf.set_creator(producer)

    def page(self) -> PdfCanvas:
        """A new page to draw on."""
        self.pdf.add_page()
        return PdfCanvas(self)

    def pages(self) -> int:
        return self.pdf.page_no()

    def output(self) -> bytes:
        """The finished PDF file."""
        return bytes(self.pdf.output())


class PdfCanvas:
    """A :class:`Canvas` writing the current page of a :class:`PdfDocument`."""

    def __init__(self, document: PdfDocument):
        self.pdf = document.pdf
        self.points = 72 / document.dpi  # per pixel

    def _font(self, size: int, bold: bool) -> None:
        self.pdf.set_font(FAMILY, "B" if bold else "", size * self.points)

    def text(self, xy: tuple[float, float], text: str, size: int, fill: RGB, bold: bool = False,
             anchor: str = "ls") -> None:
        if not text:
            return
        self._font(size, bold)
        self.pdf.set_text_color(*fill)
        x, y = xy
        if anchor[0] == "r":
            x -= self.pdf.get_string_width(text)
        elif anchor[0] == "m":
            x -= self.pdf.get_string_width(text) / 2
        self.pdf.text(x, y, text)

    def fit(self, text: str, size: int, width: float, bold: bool = False) -> str:
        self._font(size, bold)
        return ellipsise(text, size, width, bold, measure=self.pdf.get_string_width)

    def text_width(self, text: str, size: int, bold: bool = False) -> float:
        self._font(size, bold)
        return self.pdf.get_string_width(text)

    def lines(self, text: str, size: int, width: float, most: int) -> list[str]:
        self._font(size, False)
        measure = self.pdf.get_string_width
        return clamp_lines(wrap(text, size, width, measure=measure, max_lines=most), most, size, width,
                           measure=measure)

    def rect(self, box: Box, fill: RGB | None = None, outline: RGB | None = None, width: float = 1) -> None:
        x0, y0, x1, y1 = box
        if fill is not None:
            self.pdf.set_fill_color(*fill)
            self.pdf.rect(x0, y0, x1 - x0, y1 - y0, style="F")
        if outline is not None:
            self.pdf.set_draw_color(*outline)
            self.pdf.set_line_width(width)
            half = width / 2  # a PDF stroke straddles its path: move it inside the box
            self.pdf.rect(x0 + half, y0 + half, x1 - x0 - width, y1 - y0 - width, style="D")

    def line(self, points: Sequence[tuple[float, float]], fill: RGB, width: float) -> None:
        self.pdf.set_draw_color(*fill)
        self.pdf.set_line_width(width)
        self.pdf.polyline(list(points))

    def image(self, image: Image.Image, box: Box, background: RGB) -> None:
        x0, y0, x1, y1 = box
        self.rect(box, fill=background)
        scale = min((x1 - x0) / image.width, (y1 - y0) / image.height)
        w, h = image.width * scale, image.height * scale
        source: Image.Image | io.BytesIO = image
        if image.getcolors(4096) is None:  # a painting or a photograph: JPEG (lossless flat cards stay so)
            source = io.BytesIO()
            image.convert("RGB").save(source, format="JPEG", quality=90)
        self.pdf.image(source, x=x0 + (x1 - x0 - w) / 2, y=y0 + (y1 - y0 - h) / 2, w=w, h=h)
