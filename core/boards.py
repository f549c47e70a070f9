"""Which boards each shot uses, drawing the missing ones, and the contact sheet of them all.

A shot without a ``start`` board gets a card (:mod:`shotreel.cards`) at ``boards/<shot>.png``, with
a ``shotreel:card`` PNG text chunk holding a digest of its pixels. A file there without that chunk,
or whose pixels no longer match it (someone painted over a card), is an artist's board: it is used
as the shot's board and never overwritten. shotreel's own cards are derived, and are rewritten when
what they show changes.

A card records where its picture is (the framing sketch a camera would see) in the same chunk, so
the offline animatic can move that and keep the words still (:func:`card_picture`).

The contact sheet shows every shot's board in story order with its id, duration, beat and record
timecode: one PNG (``edit/contact_sheet.png``) and printable A4 landscape pages
(``edit/contact_sheet.pdf``) whose words are real text in the embedded board font (searchable, sharp
in print; each shot's action is added under its board there) and whose boards are embedded images.
Every input image is read before anything is written. A shot's generated candidates
(``boards/candidates/<shot>/c001.png`` …, made and chosen by :mod:`shotreel.generated_boards`) are shown
beside its board, one row per shot, the chosen one marked; a board chosen from them carries a sidecar
(``boards/<shot>.json``) and, like an artist's board, is never drawn over.

Text the board font cannot draw (a script it lacks, such as Han) is never lost silently: it shows as
``?`` and each result lists a warning naming the shot, the field and the characters.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, PngImagePlugin, UnidentifiedImageError

from . import __version__, timing
from .canvas import Canvas, ImageCanvas, PdfDocument
from .cards import (
    INK,
    MUTED,
    PAPER,
    RULE,
    beat_colour,
    board_card,
    card_size,
    card_texts,
    draw_board_card,
)
from .drawing import RGB, as_rgb, cap_height, font_warning, line_height, printable
from .errors import BoardError, Problem
from .fsutil import atomic_output, atomic_write_bytes
from .limits import may_read_image
from .model import Film, Shot
from .progress import ProgressCallback, no_progress

__all__ = ["BoardsResult", "ContactSheetResult", "board_path", "card_picture", "card_size", "chosen_candidate",
           "contact_sheet", "draw_board_card", "draw_boards", "is_shotreel_card", "shot_board_image",
           "shot_candidates"]

BOARDS_DIR = "boards"
CANDIDATES_DIR = "boards/candidates"
"""Generated board candidates: ``boards/candidates/<shot>/c001.png`` (and ``c001-end.png`` for an end board)."""
END_SUFFIX = "-end"
_CANDIDATE = re.compile(r"^c\d{3,}$")
_STILL_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")
CONTACT_SHEET_PNG = "edit/contact_sheet.png"
CONTACT_SHEET_PDF = "edit/contact_sheet.pdf"
MARKER = "shotreel:card"
"""The PNG text chunk that marks a card drawn by shotreel (absent from an artist's board)."""

LETTERBOX: RGB = (28, 29, 32)
_SAFE_ID = re.compile(r"^[^/\\\x00-\x1f.][^/\\\x00-\x1f]*$")
_IMAGE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError)


@dataclass
class BoardsResult:
    """What :func:`draw_boards` did: paths are absolute.

    ``written``: cards drawn now; ``unchanged``: shotreel's cards already showing the shot as it is;
    ``kept``: artists' boards (listed in the project, or found at ``boards/<shot>.png``), untouched;
    ``chosen``: generated candidates chosen as ``boards/<shot>.png`` (:mod:`shotreel.generated_boards`), untouched;
    ``boards``: the board image each shot now uses, by shot id; ``warnings``: text on shotreel's
    cards that the board font cannot draw (shown as ``?``), one per shot and field.
    """

    written: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)
    chosen: list[Path] = field(default_factory=list)
    boards: dict[str, Path] = field(default_factory=dict)
    warnings: list[Problem] = field(default_factory=list)


@dataclass
class ContactSheetResult:
    """The contact sheet written by :func:`contact_sheet`: the PNG, the PDF and its page count, the shots and
    generated candidates on it, and warnings for text on it the board font cannot draw (shown as ``?``)."""

    png: Path
    pdf: Path
    pages: int
    shots: int
    warnings: list[Problem] = field(default_factory=list)
    candidates: int = 0  # generated candidates shown beside their shots' boards


# -- where boards are ------------------------------------------------------------------------------

def board_path(film: Film, shot: Shot) -> str:
    """Where shotreel writes the card of ``shot``: ``boards/<shot id>.png``, relative to the project."""
    return f"{BOARDS_DIR}/{shot.id}.png"


def shot_board_image(film: Film, shot: Shot) -> Path | None:
    """The board image ``shot`` uses: its first ``start`` board when listed and present, else
    ``boards/<shot>.png`` when it exists (a card or an artist's board), else ``None``. A board outside the
    project is used only when it is an image (:func:`shotreel.limits.may_read_image`)."""
    start = shot.board("start")
    if start is not None and (listed := film.path(start.path)).is_file() and may_read_image(listed, film.root):
        return listed
    generated = film.path(board_path(film, shot))
    return generated if generated.is_file() else None


def shot_candidates(film: Film, shot: Shot) -> list[tuple[str, Path]]:
    """The generated candidates of ``shot`` on disk (``boards/candidates/<shot>/c001.png`` …), as (name, the
    start still) in name order; end stills (``c001-end``) are not listed apart."""
    folder = film.path(f"{CANDIDATES_DIR}/{shot.id}")
    found: dict[str, Path] = {}
    if _SAFE_ID.match(shot.id) and folder.is_dir():
        for path in folder.iterdir():
            if path.suffix.lower() in _STILL_SUFFIXES and _CANDIDATE.match(path.stem) and path.is_file():
                found.setdefault(path.stem, path)
    return sorted(found.items(), key=lambda item: (len(item[0]), item[0]))


def chosen_candidate(path: Path, *, or_before: bool = False) -> str | None:
    """The candidate the board at ``path`` was chosen from (``c002``), when its sidecar says so and its bytes
    are still the ones chosen; else ``None``. With ``or_before``, bytes that are those the choice replaced
    count too (a choice interrupted between its sidecar and its still)."""
    try:
        data = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    chosen = data.get("chosen") if isinstance(data, dict) else None
    if not isinstance(chosen, dict) or not isinstance(chosen.get("candidate"), str):
        return None
    from .generation.base import file_sha256

    try:
        digest = file_sha256(path)
    except OSError:
        return None
    accepted = (data.get("sha256"), data.get("previous_sha256")) if or_before else (data.get("sha256"),)
    return chosen["candidate"] if digest in accepted else None


# -- drawing every missing board -------------------------------------------------------------------

def _problem(message: str, film: Film, shot: Shot, file: str | None = None) -> Problem:
    return Problem(message, file or film.source, None if file else shot.line, shot.id)


def _read_error(exc: BaseException) -> str:
    if isinstance(exc, UnidentifiedImageError):
        return "not a readable image file"
    if isinstance(exc, Image.DecompressionBombError):
        return "image too large to read safely"
    reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return f"damaged image ({reason})"


def _open_image(path: Path) -> Image.Image:
    """``path`` decoded fully (so a truncated or corrupt file fails here, not later)."""
    with Image.open(path) as image:
        image.load()
        loaded = image.copy()
        loaded.info = dict(image.info)
        text = getattr(image, "text", None)
    if text:
        loaded.info.update({k: v for k, v in text.items() if k not in loaded.info})
    return loaded


def _pixel_digest(image: Image.Image) -> str:
    rgb = image if image.mode == "RGB" else image.convert("RGB")
    return hashlib.sha256(f"{rgb.width}x{rgb.height}:".encode() + rgb.tobytes()).hexdigest()[:32]


def _card_marker(image: Image.Image) -> dict | None:
    """What a shotreel card records about itself, if ``image`` is one and is unedited; else ``None``."""
    raw = image.info.get(MARKER)
    if not raw:
        return None
    try:
        marker = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(marker, dict) or marker.get("pixels") != _pixel_digest(image):
        return None
    return marker


def is_shotreel_card(path: Path) -> bool:
    """Whether the image at ``path`` is a card shotreel drew that nobody has painted over since."""
    try:
        return _card_marker(_open_image(path)) is not None
    except _IMAGE_ERRORS:
        return False


def card_picture(path: Path) -> tuple[int, int, int, int] | None:
    """Where the picture is on the card at ``path`` (the framing sketch a camera would see): (left,
    top, right, bottom) in the card's pixels, right and bottom exclusive.

    ``None`` for anything but an unedited shotreel card that recorded it (an artist's board, a
    render, a card painted over, a card drawn before cards recorded their picture).
    """
    try:
        with Image.open(path) as image:
            size = image.size
        marker = _card_marker(_open_image(path))
    except _IMAGE_ERRORS:
        return None
    box = marker.get("picture") if marker else None
    if (not isinstance(box, list) or len(box) != 4 or not all(isinstance(v, int) for v in box)
            or not 0 <= box[0] < box[2] <= size[0] or not 0 <= box[1] < box[3] <= size[1]):
        return None
    return box[0], box[1], box[2], box[3]


def _font_warnings(film: Film, shot: Shot, texts: list[tuple[str, str]], seen: set) -> list[Problem]:
    """A warning per text of ``shot`` the board font cannot draw all of. A text shared by shots (a beat
    title, a scene heading) is reported once, at the first shot showing it (``seen`` remembers)."""
    problems = []
    for what, text in texts:
        key = (what, text) if what in ("beat title", "scene heading") else (what, text, shot.id)
        if key in seen:
            continue
        seen.add(key)
        if message := font_warning(what, text):
            problems.append(_problem(message, film, shot))
    return problems


def _checked_shots(film: Film, read: bool) -> Iterator[tuple[Shot, Problem | None]]:
    """Each shot with its first problem (``None`` when its id and listed boards are usable)."""
    for shot in film.shots():
        yield shot, _shot_problem(film, shot, read)


def _shot_problem(film: Film, shot: Shot, read: bool) -> Problem | None:
    if not _SAFE_ID.match(shot.id):
        return _problem(f"shot id {shot.id!r} cannot be used as a board file name", film, shot)
    for board in shot.boards:
        path = film.path(board.path)
        if not path.is_file():
            return _problem(f"board file {board.path!r} is missing", film, shot)
        if read:
            try:
                _open_image(path)
            except _IMAGE_ERRORS as exc:
                return _problem(_read_error(exc), film, shot, board.path)
    return None


def _raise(problems: list[Problem]) -> None:
    if problems:
        first = problems[0]
        raise BoardError(first.message, file=first.file, line=first.line, shot=first.shot, problems=problems)


def _require_root(film: Film) -> Path:
    if film.root is None:
        raise BoardError("the film has no project folder to draw boards into")
    return film.root


def draw_boards(film: Film, progress: ProgressCallback | None = None, force: bool = False) -> BoardsResult:
    """Draw a card for every shot without a ``start`` board, at ``boards/<shot>.png``.

    Boards listed in the project are kept; a ``boards/<shot>.png`` an artist made (no ``shotreel:card``
    marker, or edited since shotreel drew it) is kept and used, never overwritten. shotreel's own
    cards are rewritten when what they show has changed, or always with ``force``. Everything is
    checked first: a listed board that is missing or unreadable, or an unreadable
    ``boards/<shot>.png``, raises :class:`BoardError` (naming the file and shot) before any file is
    written. ``progress(done, total, shot id)`` is called once per shot.
    """
    progress = progress or no_progress
    _require_root(film)
    problems: list[Problem] = []
    # (shot, state): "listed" (uses a listed board), "artist" (kept), the digest and picture of
    # shotreel's existing card, or None (no file yet)
    plan: list[tuple[Shot, str | None]] = []
    for shot, problem in _checked_shots(film, read=True):
        if problem:
            problems.append(problem)
            continue
        if shot.board("start") is not None:
            plan.append((shot, "listed"))
            continue
        target = film.path(board_path(film, shot))
        state = None
        if target.exists():
            try:
                marker = _card_marker(_open_image(target))
                state = json.dumps([marker.get("pixels"), marker.get("picture")]) if marker else "artist"
            except _IMAGE_ERRORS as exc:
                problems.append(_problem(_read_error(exc), film, shot, board_path(film, shot)))
                continue
        plan.append((shot, state))
    _raise(problems)

    result = BoardsResult()
    seen: set = set()
    for done, (shot, state) in enumerate(plan, 1):
        progress(done - 1, len(plan), shot.id)
        result.kept.extend(film.path(b.path) for b in shot.boards)
        target = film.path(board_path(film, shot))
        if state == "listed":
            result.boards[shot.id] = film.path(shot.board("start").path)  # type: ignore[union-attr]
            continue
        result.boards[shot.id] = target
        if state == "artist":
            (result.chosen if chosen_candidate(target) is not None else result.kept).append(target)
            continue
        result.warnings += _font_warnings(film, shot, card_texts(film, shot), seen)
        card = board_card(film, shot)
        digest = _pixel_digest(card.image)
        if state == json.dumps([digest, list(card.picture)]) and not force:
            result.unchanged.append(target)
            continue
        info = PngImagePlugin.PngInfo()
        marker = {"shot": shot.id, "pixels": digest, "picture": list(card.picture),
                  "by": f"shotreel {__version__}"}
        info.add_text(MARKER, json.dumps(marker))
        with atomic_output(target) as tmp:
            card.image.save(tmp, format="PNG", pnginfo=info, optimize=False, compress_level=6)
        result.written.append(target)
    progress(len(plan), len(plan), "boards done")
    return result


# -- the contact sheet -----------------------------------------------------------------------------

_PAGE = (1754, 1240)  # A4 landscape at 150 dpi, in pixels (the PDF's unit)
_DPI = 150.0


@dataclass
class _Cell:
    shot: Shot
    thumb: Image.Image
    record_in: str
    candidate: str = ""  # a generated candidate shown beside the shot's board: its name
    chosen: bool = False  # that candidate is the shot's board now
    blank: bool = False  # an empty place, so the next shot starts a row (when candidates are shown)


@dataclass
class _Grid:
    cols: int
    rows: int
    cell_w: int
    image_h: int
    gap: int
    caption: int  # caption height in pixels
    id_size: int
    beat_size: int
    action_size: int = 0
    action_lines: int = 0  # lines of the shot's action under its caption (the PDF's)


def _grid(cols: int, cell_w: int, aspect: float, count: int, gap: int, action_lines: int = 0) -> _Grid:
    image_h = round(cell_w / aspect)
    scale = math.sqrt(cell_w * image_h)  # the same captions for wide and tall boards of equal area
    id_size = max(18, round(scale * 0.077))
    beat_size = max(14, round(scale * 0.06))
    action_size = max(14, round(scale * 0.055))
    caption = (round(0.35 * id_size) + line_height(id_size) + line_height(beat_size)
               + action_lines * line_height(action_size) + round(0.4 * id_size))
    rows = math.ceil(count / cols)
    return _Grid(cols, rows, cell_w, image_h, gap, caption, id_size, beat_size, action_size, action_lines)


def _draw_cell(canvas: Canvas, film: Film, cell: _Cell, x: int, y: int, grid: _Grid) -> None:
    if cell.blank:
        return
    w, h = grid.cell_w, grid.image_h
    canvas.image(cell.thumb, (x, y, x + w, y + h), LETTERBOX)
    canvas.rect((x, y, x + w, y + h), outline=RULE, width=1)
    bar = max(3, round(w / 110))
    canvas.rect((x, y + h, x + w, y + h + bar + 1), fill=beat_colour(film, cell.shot.beat))
    line1 = y + h + bar + line_height(grid.id_size) + round(0.05 * grid.id_size)
    duration = timing.format_duration(cell.shot.duration, film.fps)
    duration_w = canvas.text_width(duration, grid.id_size, True)
    shot_id = canvas.fit(printable(cell.shot.id), grid.id_size, w - duration_w - 12, True)
    canvas.text((x, line1), shot_id, grid.id_size, INK, bold=True)
    canvas.text((x + w, line1), duration, grid.id_size, INK, bold=True, anchor="rs")
    line2 = line1 + line_height(grid.beat_size)
    if cell.candidate:
        canvas.text((x, line2), canvas.fit(f"candidate {cell.candidate}", grid.beat_size, w * 0.6), grid.beat_size,
                    INK if cell.chosen else MUTED, bold=cell.chosen)
        if cell.chosen:
            canvas.text((x + w, line2), "chosen", grid.beat_size, INK, bold=True, anchor="rs")
        return
    tc_w = canvas.text_width(cell.record_in, grid.beat_size)
    beat = film.beat(cell.shot.beat)
    title = printable((beat.title or beat.id) if beat else cell.shot.beat)
    canvas.text((x, line2), canvas.fit(title, grid.beat_size, w - tc_w - 12), grid.beat_size, MUTED)
    canvas.text((x + w, line2), cell.record_in, grid.beat_size, MUTED, anchor="rs")
    y = line2
    for line in canvas.lines(printable(cell.shot.action), grid.action_size, w, grid.action_lines):
        y += line_height(grid.action_size)
        canvas.text((x, y), line, grid.action_size, INK)


def _shot_count(cells: list[_Cell]) -> int:
    return sum(1 for cell in cells if not cell.candidate and not cell.blank)


def _rows_per_shot(cells: list[_Cell], columns: int) -> list[_Cell]:
    """``cells`` with blank places after each shot's last candidate, so every shot starts a row of ``columns``."""
    laid: list[_Cell] = []
    for index, cell in enumerate(cells):
        laid.append(cell)
        last = index + 1 == len(cells) or not cells[index + 1].candidate
        while last and len(laid) % columns:
            laid.append(_Cell(cell.shot, cell.thumb, cell.record_in, blank=True))
    return laid


def _header_height(title_size: int) -> int:
    small = max(12, round(title_size * 0.45))
    return cap_height(title_size) + line_height(small) + sum(round(small * k) for k in (0.5, 0.9, 1.4))


def _header(canvas: Canvas, film: Film, count: int, x: int, y: int, width: int, title_size: int,
            right: str = "") -> int:
    """The title and the film's figures; returns the y below them (``y`` + :func:`_header_height`)."""
    y += cap_height(title_size)
    canvas.text((x, y), canvas.fit(printable(film.title), title_size, width * 0.7, True), title_size, INK,
                bold=True)
    small = max(12, round(title_size * 0.45))
    if right:
        canvas.text((x + width, y), right, small, MUTED, anchor="rs")
    y += line_height(small) + round(small * 0.5)
    runtime = timing.format_runtime(film.runtime(), film.fps)
    figures = (f"{timing.fps_label(film.fps)} fps  ·  runtime {runtime}"
               f"  ·  {count} shot{'s' if count != 1 else ''}  ·  {film.resolution[0]}x{film.resolution[1]}"
               f"  ·  starts {film.start_timecode}")
    canvas.text((x, y), canvas.fit(figures, small, width), small, MUTED)
    y += round(small * 0.9)
    canvas.line([(x, y), (x + width, y)], RULE, 2)
    return y + round(small * 1.4)


def _sheet_png(film: Film, cells: list[_Cell], aspect: float, columns: int | None = None) -> Image.Image:
    count = max(1, len(cells))
    cell_w = max(160, round(math.sqrt(90_000 * aspect)))
    gap, margin = 28, 48
    best = None
    choices = [columns] if columns else range(1, min(count, 10) + 1)
    for cols in choices:  # the column count whose sheet is closest to 16:10 (or the one asked)
        grid = _grid(cols, cell_w, aspect, count, gap)
        w = 2 * margin + cols * cell_w + (cols - 1) * gap
        h = 2 * margin + 130 + grid.rows * (grid.image_h + grid.caption + gap)
        score = abs(math.log((w / h) / 1.6))
        if best is None or score < best[0]:
            best = (score, grid, w, h)
    _, grid, width, _ = best  # type: ignore[misc]
    top = margin + _header_height(44)
    height = top + grid.rows * (grid.image_h + grid.caption + gap) - gap + margin
    sheet = Image.new("RGB", (width, height), PAPER)
    canvas = ImageCanvas(sheet)
    _header(canvas, film, _shot_count(cells), margin, margin, width - 2 * margin, 44)
    for index, cell in enumerate(cells):
        row, col = divmod(index, grid.cols)
        _draw_cell(canvas, film, cell, margin + col * (cell_w + gap),
                   top + row * (grid.image_h + grid.caption + gap), grid)
    return sheet


def _sheet_pdf(film: Film, cells: list[_Cell], aspect: float, columns: int | None = None) -> tuple[bytes, int]:
    """A4 landscape pages of the boards with real text (the board font embedded); the PDF and its
    page count."""
    margin, gap, footer = 84, 30, 50
    avail_w = _PAGE[0] - 2 * margin
    avail_h = _PAGE[1] - 2 * margin - _header_height(40) - footer
    count = max(1, len(cells))
    for cols in [columns] if columns else range(1, 9):  # the largest cells that still put 9 shots on a page
        cell_w = (avail_w - (cols - 1) * gap) // cols
        grid = _grid(cols, cell_w, aspect, count, gap, action_lines=2)
        while columns and grid.image_h + grid.caption > avail_h and cell_w > 120:  # tall frames: smaller cells
            cell_w = round(cell_w * 0.9)
            grid = _grid(cols, cell_w, aspect, count, gap, action_lines=2)
        rows = max(1, (avail_h + gap) // (grid.image_h + grid.caption + gap))
        if columns or (cols * rows >= min(9, count) and grid.image_h + grid.caption <= avail_h):
            break
    per_page = cols * rows
    total = math.ceil(count / per_page)
    document = PdfDocument(_PAGE, _DPI, title=f"{printable(film.title)} – contact sheet",
                           producer=f"shotreel {__version__}")
    for page_no in range(total):
        canvas = document.page()
        top = _header(canvas, film, _shot_count(cells), margin, margin, avail_w, 40, right="contact sheet")
        used_w = cols * cell_w + (cols - 1) * gap
        left = margin + (avail_w - used_w) // 2
        for index, cell in enumerate(cells[page_no * per_page:(page_no + 1) * per_page]):
            row, col = divmod(index, cols)
            y = top + row * (grid.image_h + grid.caption + gap)
            _draw_cell(canvas, film, cell, left + col * (cell_w + gap), y, grid)
        bottom = _PAGE[1] - margin + 10
        canvas.text((_PAGE[0] - margin, bottom), f"Page {page_no + 1} of {total}", 20, MUTED, anchor="rs")
        canvas.text((margin, bottom), canvas.fit(printable(film.title), 20, avail_w * 0.6), 20, MUTED)
    return document.output(), total


def contact_sheet(film: Film, progress: ProgressCallback | None = None) -> ContactSheetResult:
    """Write every shot's board in story order, with its id, duration, beat and record timecode, to
    ``edit/contact_sheet.png`` and to A4 landscape pages in ``edit/contact_sheet.pdf`` (real text in
    the embedded board font, each shot's action under its board, boards as images).

    A shot without any board image yet is shown as its card, drawn in memory (nothing is written to
    ``boards/``). A shot's generated candidates (``boards/candidates/<shot>/``) follow its board side by side,
    each labelled with its name, the one chosen as the board marked so. Boards of any size or aspect are
    letterboxed into cells at the film's aspect. Every
    board is read before anything is written; a missing listed board or an unreadable image raises
    :class:`BoardError`. Text the board font cannot draw is listed in the result's ``warnings``.
    ``progress(done, total, shot id)`` is called as boards are read.
    """
    progress = progress or no_progress
    root = _require_root(film)
    _raise([p for _, p in _checked_shots(film, read=False) if p])
    shots = list(film.shots())
    aspect = film.resolution[0] / film.resolution[1]
    thumb_box = (640, max(1, round(640 / aspect))) if aspect >= 1 else (max(1, round(640 * aspect)), 640)
    cells: list[_Cell] = []
    problems: list[Problem] = []
    seen: set = set()
    title_warning = font_warning("film title", film.title)
    warnings = [Problem(title_warning, film.source)] if title_warning else []
    frame = film.start_frame
    for done, shot in enumerate(shots):
        progress(done, len(shots) + 1, shot.id)
        path = shot_board_image(film, shot)
        # the caption shows the id, the beat and (in the PDF) the action; a card drawn here shows its texts
        texts = [(what, text) for what, text in card_texts(film, shot)
                 if path is None or what in ("shot id", "beat title", "action")]
        warnings += _font_warnings(film, shot, texts, seen)
        try:
            image = as_rgb(_open_image(path), PAPER) if path else draw_board_card(film, shot)
        except _IMAGE_ERRORS as exc:
            shown = path.relative_to(root).as_posix() if path and path.is_relative_to(root) else str(path)
            problems.append(_problem(_read_error(exc), film, shot, shown))
            continue
        image.thumbnail(thumb_box, Image.Resampling.BICUBIC)
        record_in = timing.format_timecode(frame, film.fps)
        cells.append(_Cell(shot, image, record_in))
        frame += shot.duration
        chosen = chosen_candidate(path) if path is not None else None
        for name, still in shot_candidates(film, shot):  # generated candidates side by side after the board
            try:
                thumb = as_rgb(_open_image(still), PAPER)
            except _IMAGE_ERRORS as exc:
                problems.append(_problem(_read_error(exc), film, shot, still.relative_to(root).as_posix()))
                continue
            thumb.thumbnail(thumb_box, Image.Resampling.BICUBIC)
            cells.append(_Cell(shot, thumb, record_in, candidate=name, chosen=name == chosen))
    _raise(problems)
    progress(len(shots), len(shots) + 1, "writing contact sheet")
    png, pdf = film.path(CONTACT_SHEET_PNG), film.path(CONTACT_SHEET_PDF)
    columns = None
    if any(cell.candidate for cell in cells):  # one row per shot: its board, then its candidates side by side
        columns = min(8, 1 + max(sum(1 for c in cells if c.shot is shot and c.candidate) for shot in shots))
        cells = _rows_per_shot(cells, columns)
    sheet = _sheet_png(film, cells, aspect, columns)
    document, pages = _sheet_pdf(film, cells, aspect, columns)
    with atomic_output(png) as tmp:
        sheet.save(tmp, format="PNG")
    atomic_write_bytes(pdf, document)
    progress(len(shots) + 1, len(shots) + 1, "contact sheet written")
    return ContactSheetResult(png=png, pdf=pdf, pages=pages, shots=_shot_count(cells), warnings=warnings,
                              candidates=sum(1 for cell in cells if cell.candidate))
