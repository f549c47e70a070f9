"""What a board card looks like: the placeholder board drawn for a shot that has none.

A card is drawn at the film's exact aspect and made to be read in a timeline thumbnail: the shot id
large on a band in the beat's colour, the duration and beat beside it, the scene heading, a framing
sketch (the frame, the subject at the shot's size, arrows for the camera move), the camera line, the
action and the dialogue. :func:`board_card` also says where the sketch's picture is (what a camera
would see, which the offline animatic moves while the words stay still), and :func:`card_texts` what
text a card shows (for warnings about characters the board font cannot draw). Which cards are
written where is :mod:`shotreel.boards`' business.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from math import gcd

from PIL import Image, ImageDraw

from . import palette, timing
from .drawing import (
    MAX_DRAWN_CHARS,
    RGB,
    arrow,
    cap_height,
    clamp_lines,
    draw_text,
    ellipsise,
    line_height,
    printable,
    text_width,
    wrap,
)
from .model import Film, Shot

CARD_LONG_SIDE = 1280
"""Cards are drawn with their long side at least this many pixels (at the film's exact aspect)."""

PAPER: RGB = (247, 245, 240)
INK: RGB = (20, 22, 26)
MUTED: RGB = (78, 82, 90)
RULE: RGB = (206, 201, 190)
FRAME_FILL: RGB = (226, 223, 215)
FIGURE: RGB = (146, 141, 131)
FOREGROUND: RGB = (96, 93, 87)
WHITE: RGB = (255, 255, 255)
NO_BEAT: RGB = (43, 45, 50)
BEAT_COLOURS: tuple[RGB, ...] = tuple(colour.rgb for colour in palette.BEAT_COLOURS)
"""Band colours by beat, in story order, the beat's marker colour in the reel and in Resolve
(:mod:`shotreel.palette`); all dark enough for white text (contrast above 6:1)."""


def card_size(resolution: tuple[int, int]) -> tuple[int, int]:
    """The pixel size of a card for a film of ``resolution``: exactly its aspect, long side >= 1280.

    Caveat: a ratio whose reduced terms exceed 4096 (e.g. 4097x2160) cannot be drawn exactly at a
    reasonable size; its card is scaled to a 1280-pixel long side with rounded dimensions.
    """
    width, height = resolution
    divisor = gcd(width, height)
    a, b = width // divisor, height // divisor
    if max(a, b) > 4096:
        scale = CARD_LONG_SIDE / max(width, height)
        return max(1, round(width * scale)), max(1, round(height * scale))
    k = max(1, math.ceil(CARD_LONG_SIDE / max(a, b)))
    return a * k, b * k


def beat_colour(film: Film, beat_id: str) -> RGB:
    """The colour of a beat (by its place in the story), used for card bands and sheet captions."""
    index = next((i for i, beat in enumerate(film.beats) if beat.id == beat_id), None)
    return NO_BEAT if index is None else BEAT_COLOURS[index % len(BEAT_COLOURS)]


# -- the card --------------------------------------------------------------------------------------

Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class Card:
    """A drawn card (:func:`board_card`)."""

    image: Image.Image
    """The card, RGB, at :func:`card_size`."""
    picture: Box
    """The framing sketch inside its outline, the part a camera would see: (left, top, right,
    bottom) in the image's pixels, right and bottom exclusive."""


def card_texts(film: Film, shot: Shot) -> list[tuple[str, str]]:
    """The text a card of ``shot`` shows, as (what, text) pairs: shot id, beat title, scene heading,
    camera, action, one pair per dialogue line."""
    beat, scene = film.beat(shot.beat), film.scene_of(shot)
    texts = [("shot id", shot.id), ("beat title", (beat.title or beat.id) if beat else shot.beat),
             ("scene heading", (scene.heading or scene.id) if scene else ""),
             ("camera", shot.camera.describe()), ("action", shot.action)]
    texts += [("dialogue", line.describe()) for line in shot.dialogue]
    return [(what, text) for what, text in texts if text and text.strip()]


def draw_board_card(film: Film, shot: Shot) -> Image.Image:
    """A placeholder board for ``shot`` at the film's aspect (see :func:`card_size`), as an RGB image
    (the image of :func:`board_card`)."""
    return board_card(film, shot).image


def board_card(film: Film, shot: Shot) -> Card:
    """A placeholder board for ``shot`` at the film's aspect (see :func:`card_size`), and where its
    picture is.

    Shows the shot id, duration and beat on a band in the beat's colour, the scene heading, a framing
    sketch, the camera line, the action and the dialogue. Long text is wrapped, shrunk down to a
    legible minimum and then cut with ``…``; nothing is drawn outside the card's margins. Characters
    the board font lacks are drawn as :func:`shotreel.drawing.printable` folds them.
    """
    width, height = card_size(film.resolution)
    u = min(height, width * 0.9) / 100  # the layout unit: 7.2 px on a 1280x720 card
    margin = round(4 * u)
    image = Image.new("RGB", (width, height), PAPER)
    draw = ImageDraw.Draw(image)
    colour = beat_colour(film, shot.beat)

    band = round(19 * u)
    draw.rectangle([0, 0, width, band], fill=colour)
    id_size, side_size = round(13 * u), round(7.6 * u)
    baseline = (band + cap_height(id_size)) // 2
    shot_id = ellipsise(printable(shot.id), id_size, width * 0.62, bold=True)
    draw_text(draw, (margin, baseline), shot_id, id_size, WHITE, bold=True)
    duration = timing.format_duration(shot.duration, film.fps)
    draw_text(draw, (width - margin, baseline), duration, side_size, WHITE, bold=True, anchor="rs")
    beat = film.beat(shot.beat)
    beat_title = printable((beat.title or beat.id) if beat else shot.beat)
    left = margin + text_width(shot_id, id_size, True) + 3.5 * u
    room = width - margin - text_width(duration, side_size, True) - 3.5 * u - left
    if beat_title and room > 8 * u:
        draw_text(draw, (left, baseline), ellipsise(beat_title, round(5.6 * u), room), round(5.6 * u), WHITE)

    heading_size = round(4.4 * u)
    scene = film.scene_of(shot)
    heading = printable((scene.heading or f"SCENE {scene.id}") if scene else "").upper()
    y = band + round(2.8 * u) + cap_height(heading_size)
    draw_text(draw, (margin, y), ellipsise(heading, heading_size, width - 2 * margin, True), heading_size,
              INK, bold=True)
    y += round(2.2 * u)
    draw.line([(margin, y), (width - margin, y)], fill=RULE, width=max(1, round(0.25 * u)))
    top = y + round(2.4 * u)

    camera_size = round(3.9 * u)
    camera_text = printable(shot.camera.describe())
    tab = round(6 * u) if shot.camera.size else 0
    camera_room = 2 * line_height(camera_size) + round(1.2 * u) if camera_text else 0
    body_height = height - margin - top
    aspect = width / height
    if aspect >= 1.25:  # frame on the left, words on the right
        box_w = (width - 2 * margin) * 0.48
        frame_w = min(box_w, (body_height - tab - camera_room) * aspect)
        frame = (margin, top + tab, margin + round(frame_w), top + tab + round(frame_w / aspect))
        text_box = (frame[2] + round(4 * u), top, width - margin, height - margin)
    else:  # frame above the words
        frame_h = min(body_height * 0.58, (width - 2 * margin) / aspect)
        frame_w = round(frame_h * aspect)
        x0 = (width - frame_w) // 2
        frame = (x0, top + tab, x0 + frame_w, top + tab + round(frame_h))
    picture = _draw_framing(image, frame, film, shot, u, colour)
    if tab:
        _draw_size_tab(draw, frame, printable(shot.camera.size).upper(), u)
    y = frame[3] + round(1.2 * u)
    if camera_text:  # under the frame: aligned with it beside the words, centred above them
        room = frame[2] - frame[0] if aspect >= 1.25 else width - 2 * margin
        x, anchor = (frame[0], "ls") if aspect >= 1.25 else (width / 2, "ms")
        for line in clamp_lines(wrap(camera_text, camera_size, room, max_lines=2), 2, camera_size, room):
            y += line_height(camera_size)
            draw_text(draw, (x, y - round(0.3 * camera_size)), line, camera_size, MUTED, anchor=anchor)
    if aspect < 1.25:
        text_box = (margin, y + round(2.5 * u), width - margin, height - margin)
    _draw_words(draw, text_box, _word_blocks(shot), u)
    return Card(image, picture)


def _draw_size_tab(draw: ImageDraw.ImageDraw, frame: tuple[int, int, int, int], label: str, u: float) -> None:
    size = round(4.2 * u)
    label = ellipsise(label, size, frame[2] - frame[0] - 2 * u, bold=True)
    tab_w = text_width(label, size, True) + 2.6 * u
    draw.rectangle([frame[0], frame[1] - round(6 * u), frame[0] + tab_w, frame[1]], fill=INK)
    draw_text(draw, (frame[0] + 1.3 * u, frame[1] - round(1.5 * u)), label, size, WHITE, bold=True)


@dataclass
class _Block:
    text: str
    size: float  # in layout units
    fill: RGB
    bold: bool = False
    indent: float = 0.0  # in layout units
    gap: float = 0.0  # space above, in layout units
    keep: int = 2  # lines kept when space is short, before any block gets more


def _word_blocks(shot: Shot) -> list[_Block]:
    cut = MAX_DRAWN_CHARS  # a card shows a few hundred characters; the rest is never looked at
    blocks = []
    if shot.action:
        blocks.append(_Block(printable(shot.action[:cut]), 4.4, INK))
    for line in shot.dialogue:
        who = printable(f"{line.character[:cut]} {line.parenthetical[:cut]}".strip()).upper()
        if who:
            blocks.append(_Block(who, 3.7, MUTED, bold=True, gap=2.2, keep=1))
        blocks.append(_Block(f"“{printable(line.text[:cut])}”", 4.2, INK, indent=2.5, gap=0.6 if who else 2.2))
    return blocks


_SCALES = (1.3, 1.15, 1.0, 0.9, 0.8, 0.72)


def _draw_words(draw: ImageDraw.ImageDraw, box: tuple[float, float, float, float], blocks: list[_Block],
                u: float) -> None:
    """Lay ``blocks`` out in ``box`` at the largest scale that fits. When even the smallest does not,
    every block keeps its first lines (so the dialogue still shows), the action gets what is left,
    and cut text ends in ``…``."""
    x0, y0, x1, y1 = box
    if not blocks or x1 - x0 < 6 * u:
        return
    for scale in _SCALES:  # no block needs more lines than the box holds: wrapping stops there
        laid = [(b, round(b.size * u * scale), wrap(b.text, round(b.size * u * scale), x1 - x0 - b.indent * u,
                                                    b.bold, max_lines=_lines_in(y1 - y0, b.size * u * scale)))
                for b in blocks]
        heights = [(b.gap * u * scale, line_height(size)) for b, size, _ in laid]
        if sum(gap + len(lines) * lh for (gap, lh), (_, _, lines) in zip(heights, laid)) <= y1 - y0:
            counts = [len(lines) for _, _, lines in laid]
            break
    else:
        counts = _allot([len(lines) for _, _, lines in laid], [b.keep for b in blocks], heights, y1 - y0)
    y = y0
    for (block, size, lines), count, (gap, lh) in zip(laid, counts, heights):
        if count <= 0:
            continue
        y += gap
        for line in clamp_lines(lines, count, size, x1 - x0 - block.indent * u, block.bold):
            y += lh
            x = x0 + block.indent * u
            draw_text(draw, (x, y - round(0.26 * size)), line, size, block.fill, block.bold)


def _lines_in(room: float, size: float) -> int:
    """How many lines of text ``size`` pixels tall fit in ``room`` pixels (at least one)."""
    return max(1, int(room // max(1, line_height(round(size)))) + 1)


def _allot(lengths: list[int], keep: list[int], heights: list[tuple[float, int]], room: float) -> list[int]:
    """How many lines of each block to show in ``room`` pixels: first ``keep`` of each, then the
    rest in order; when not even that fits, blocks in order until the room is full."""
    counts = [min(n, k) for n, k in zip(lengths, keep)]
    left = room - sum(gap + c * lh for c, (gap, lh) in zip(counts, heights) if c)
    if left < 0:  # not even the first lines of each: fill the room block by block, in order
        counts, left = [], room
        for n, (gap, lh) in zip(lengths, heights):
            fits = max(0, min(n, int((left - gap) // lh)))
            counts.append(fits)
            left = left - gap - fits * lh if fits else 0
        return counts
    for i, (n, (_, lh)) in enumerate(zip(lengths, heights)):
        extra = max(0, min(n - counts[i], int(left // lh)))
        counts[i] += extra
        left -= extra * lh
    return counts


# -- the framing sketch ----------------------------------------------------------------------------

# How many head heights of a standing person the frame height shows, by shot size (checked in order).
_SIZES: tuple[tuple[tuple[str, ...], float], ...] = (
    (("ECU", "XCU", "BCU", "EXTREME CLOSE", "EXTREME CU", "DETAIL", "MACRO"), 0.8),
    (("MCU", "MEDIUM CLOSE", "MEDIUM CU"), 2.5),
    (("CU", "CLOSE", "CLOSEUP", "INSERT"), 1.5),
    (("EWS", "ELS", "XWS", "XLS", "EXTREME WIDE", "EXTREME LONG", "ESTABLISHING", "VISTA"), 30.0),
    (("MWS", "MLS", "MFS", "MEDIUM WIDE", "MEDIUM LONG", "MEDIUM FULL", "COWBOY", "AMERICAN"), 5.5),
    (("WS", "LS", "FS", "WIDE", "LONG", "FULL"), 9.5),
    (("MS", "MEDIUM", "MID", "WAIST"), 3.7),
)


def _heads_visible(size: str) -> float:
    words = re.sub(r"[^A-Z]+", " ", size.upper()).strip()
    for names, heads in _SIZES:
        if any(re.search(rf"\b{name}\b", words) for name in names):
            return heads
    return 3.7


def _has_character(film: Film, shot: Shot) -> bool:
    return any((asset := film.asset(a)) is not None and asset.kind == "character" for a in shot.assets)


def _draw_framing(image: Image.Image, frame: Box, film: Film, shot: Shot, u: float, colour: RGB) -> Box:
    """The frame at the film's aspect: thirds, the subject at the shot's size, camera-move arrows.
    Returns the picture inside the frame's outline (right and bottom exclusive)."""
    x0, y0, x1, y1 = frame
    fw, fh = x1 - x0, y1 - y0
    layer = Image.new("RGB", (fw, fh), FRAME_FILL)
    draw = ImageDraw.Draw(layer)
    for i in (1, 2):
        draw.line([(fw * i / 3, 0), (fw * i / 3, fh)], fill=RULE, width=1)
        draw.line([(0, fh * i / 3), (fw, fh * i / 3)], fill=RULE, width=1)
    camera = f"{shot.camera.size} {shot.camera.angle}".lower()
    over_shoulder = bool(re.search(r"over[- ]the[- ]shoulder|\bots\b|\bo/s\b", camera))
    heads = _heads_visible(shot.camera.size)
    cx = fw * (0.62 if over_shoulder else 0.5)
    if _has_character(film, shot):
        _draw_figure(draw, cx, fw, fh, heads)
    else:
        _draw_subject(draw, cx, fw, fh, heads)
    if over_shoulder:
        draw.ellipse([-0.1 * fw, 0.18 * fh, 0.2 * fw, 0.72 * fh], fill=FOREGROUND)
        draw.ellipse([-0.35 * fw, 0.62 * fh, 0.32 * fw, 1.6 * fh], fill=FOREGROUND)
    image.paste(layer, (x0, y0))
    outer = ImageDraw.Draw(image)
    _draw_moves(outer, frame, shot.camera.movement.lower(), u, colour)
    line = max(2, round(0.35 * u))
    outer.rectangle([x0, y0, x1, y1], outline=INK, width=line)  # inclusive: x0 .. x1 are all drawn
    return x0 + line, y0 + line, x1 + 1 - line, y1 + 1 - line


def _draw_figure(draw: ImageDraw.ImageDraw, cx: float, fw: int, fh: int, heads: float) -> None:
    """A standing person seen at ``heads`` head-heights of frame; eyes on the upper third when close."""
    # In a tall frame the width sets the scale: shoulders, face or eyes must still fit across it.
    h = min(fh / heads, fw * (0.95 / 2.64 if heads > 2 else 1.2 if heads > 1 else 2.0))
    if heads >= 8:  # the whole person fits: stand them on the lower part of the frame
        top = min(fh / 3 - 0.45 * h, fh * 0.94 - 7.4 * h)
    elif heads > 1:  # eyes on the upper third, a little headroom
        top = max(fh / 3 - 0.45 * h, fh * 0.05) if heads > 2 else fh / 3 - 0.45 * h
    else:  # closer than a face: the eyes across the middle
        top = fh * 0.42 - 0.45 * h

    def box(left: float, upper: float, right: float, lower: float) -> list[float]:
        return [cx + left * h, top + upper * h, cx + right * h, top + lower * h]

    for side in (-1, 1):  # legs, arms
        draw.rectangle(box(min(side * 0.05, side * 0.6), 3.3, max(side * 0.05, side * 0.6), 7.4), fill=FIGURE)
        draw.polygon([(cx + side * 1.02 * h, top + 1.45 * h), (cx + side * 1.32 * h, top + 1.6 * h),
                      (cx + side * 1.3 * h, top + 4.0 * h), (cx + side * 1.0 * h, top + 4.0 * h)],
                     fill=FIGURE)
    draw.polygon([(cx - 0.36 * h, top + 1.12 * h), (cx + 0.36 * h, top + 1.12 * h),
                  (cx + 1.08 * h, top + 1.38 * h), (cx + 0.95 * h, top + 3.5 * h),
                  (cx - 0.95 * h, top + 3.5 * h), (cx - 1.08 * h, top + 1.38 * h)], fill=FIGURE)
    for side in (-1, 1):  # rounded shoulders
        draw.ellipse(box(side * 1.0 - 0.32, 1.3, side * 1.0 + 0.32, 1.94), fill=FIGURE)
    draw.rectangle(box(-0.17, 0.85, 0.17, 1.25), fill=FIGURE)
    draw.ellipse(box(-0.39, 0, 0.39, 1.0), fill=FIGURE)
    if h > fh * 0.1:
        for side in (-1, 1):
            draw.ellipse(box(side * 0.17 - 0.05, 0.42, side * 0.17 + 0.05, 0.5), fill=FOREGROUND)


def _draw_subject(draw: ImageDraw.ImageDraw, cx: float, fw: int, fh: int, heads: float) -> None:
    """A subject that is not a person: a block whose size in the frame says how close the shot is."""
    share = {0.8: 1.15, 1.5: 0.78, 2.5: 0.6, 3.7: 0.46, 5.5: 0.36, 9.5: 0.25, 30.0: 0.08}.get(heads, 0.46)
    side = min(fw, fh)
    half_h, half_w = side * share / 2, side * share * 0.7
    cy = fh * 0.5
    radius = max(2, round(min(half_w, half_h) * 0.18))
    draw.rounded_rectangle([cx - half_w, cy - half_h, cx + half_w, cy + half_h], radius=radius, fill=FIGURE)
    if share >= 0.2:
        inner_w, inner_h = half_w * 0.55, half_h * 0.55
        draw.rounded_rectangle([cx - inner_w, cy - inner_h, cx + inner_w, cy + inner_h],
                               radius=radius, outline=FOREGROUND, width=max(1, round(side / 150)))


def _draw_moves(draw: ImageDraw.ImageDraw, frame: tuple[int, int, int, int], movement: str, u: float,
                colour: RGB) -> None:
    """Arrows for the camera move: inward for push / dolly / zoom in, outward for pull out, a
    horizontal arrow for pans and trucks, a vertical one for tilts and cranes, an arc for orbits."""
    x0, y0, x1, y1 = frame
    fw, fh = x1 - x0, y1 - y0
    width = max(3, round(0.95 * u))
    cx, cy = x0 + fw / 2, y0 + fh / 2

    def along(corner: tuple[float, float], t: float) -> tuple[float, float]:
        return corner[0] + (cx - corner[0]) * t, corner[1] + (cy - corner[1]) * t

    corners = [(x0, y0), (x1, y0), (x0, y1), (x1, y1)]
    if re.search(r"\b(push|dolly in|zoom in|track in|move in|creep|push-in)", movement):
        for corner in corners:
            arrow(draw, [along(corner, 0.1), along(corner, 0.34)], width, colour)
    if re.search(r"\b(pull|dolly out|dolly back|zoom out|track out|track back|move out|back out|pull-out)",
                 movement):
        for corner in corners:
            arrow(draw, [along(corner, 0.34), along(corner, 0.1)], width, colour)
    if re.search(r"\b(pan|truck|crab|slide|track|dolly) (left|right)\b|\bpan\b|\bwhip\b", movement):
        left = re.search(r"\bleft\b", movement) is not None
        xs = (x0 + fw * 0.7, x0 + fw * 0.3) if left else (x0 + fw * 0.3, x0 + fw * 0.7)
        arrow(draw, [(xs[0], y0 + fh * 0.87), (xs[1], y0 + fh * 0.87)], width, colour)
    if re.search(r"\b(tilt|crane|boom|pedestal|jib|rise|rises|descend)", movement):
        down = re.search(r"\b(down|descend)", movement) is not None
        ys = (y0 + fh * 0.3, y0 + fh * 0.7) if down else (y0 + fh * 0.7, y0 + fh * 0.3)
        arrow(draw, [(x0 + fw * 0.9, ys[0]), (x0 + fw * 0.9, ys[1])], width, colour)
    if re.search(r"\b(orbit|arc|circle|360)", movement):
        rx, ry = fw * 0.36, fh * 0.36
        points = [(cx + rx * math.cos(math.radians(a)), cy + ry * math.sin(math.radians(a)))
                  for a in range(150, 31, -6)]
        arrow(draw, points, width, colour)
    if re.search(r"\b(handheld|hand-held|shaky)", movement):
        points = [(x0 + fw * (0.3 + 0.05 * i), y0 + fh * (0.87 + (0.025 if i % 2 else -0.025)))
                  for i in range(9)]
        draw.line(points, fill=colour, width=width, joint="curve")
