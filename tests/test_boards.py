"""Board cards and the contact sheet, as a film-maker and an editor see them.

Cards are drawn for every shot without a board, at the film's exact aspect and legible as a timeline
thumbnail; artists' boards are never overwritten and are what the contact sheet shows; bad boards
stop the command before anything is written.
"""

from __future__ import annotations

import re
from fractions import Fraction
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageDraw, ImageFont, ImageStat
from pypdf import PdfReader
from shotreel.boards import (
    MARKER,
    PAPER,
    board_path,
    card_picture,
    contact_sheet,
    draw_board_card,
    draw_boards,
    shot_board_image,
)
from shotreel.build import build
from shotreel.cli import main
from shotreel.drawing import BOLD_FONT, REGULAR_FONT, draw_text, font, printable, undrawable
from shotreel.errors import BoardError
from shotreel.model import Beat, DialogueLine, Film, Scene, Shot
from shotreel.project import load_project

MAGENTA = (255, 0, 255)


def edit_project(folder: Path, old: str, new: str) -> None:
    path = folder / "shotreel.yaml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def list_board(folder: Path, shot: str, board: str) -> None:
    """Give ``shot`` a ``boards:`` entry in the example's project file."""
    edit_project(folder, f"      - id: {shot}\n", f"      - id: {shot}\n        boards: [{board}]\n")


def written_files(folder: Path) -> list[Path]:
    return sorted(p for sub in ("boards", "edit") for p in (folder / sub).rglob("*") if p.is_file())


def pdf_pages(path: Path) -> int:
    return len(re.findall(rb"/Type\s*/Page\b", path.read_bytes()))


def magenta_pixels(image: Image.Image) -> int:
    r, g, b = (band.point(lambda v, t=t: 255 if (v > 200 if t else v < 60) else 0)
               for band, t in zip(image.convert("RGB").split(), (True, False, True)))
    return ImageStat.Stat(ImageChops.multiply(ImageChops.multiply(r, g), b)).sum[0] // 255


# -- cards -----------------------------------------------------------------------------------------

def test_every_shot_of_the_example_gets_a_card_at_the_films_aspect(example_dir):
    film = load_project(example_dir)
    result = draw_boards(film)
    shots = list(film.shots())
    assert len(result.written) == len(shots) == 12 and not result.kept
    for shot in shots:
        path = example_dir / board_path(film, shot)
        assert result.boards[shot.id] == path == shot_board_image(film, shot)
        with Image.open(path) as card:
            assert card.width * 1080 == card.height * 1920  # exactly 16:9
            assert card.width >= 1280
            assert MARKER in card.text


@pytest.mark.parametrize("resolution", [(2048, 858), (1080, 1920), (1998, 1080)])
def test_cards_keep_unusual_aspects_exactly(example_dir, resolution):
    edit_project(example_dir, "resolution: 1920x1080", f"resolution: {resolution[0]}x{resolution[1]}")
    film = load_project(example_dir)
    draw_boards(film)
    for shot in film.shots():
        with Image.open(film.path(board_path(film, shot))) as card:
            assert card.width * resolution[1] == card.height * resolution[0]
            assert max(card.size) >= 1280


def test_shot_id_is_large_and_high_contrast_in_a_thumbnail(example_film):
    """The editor reads the shot id in a 256-pixel timeline thumbnail: only the id differs between
    these two cards, so the changed pixels are the id's glyphs."""
    shot = example_film.shot("sh040")
    card = draw_board_card(example_film, shot)
    shot.id = "sh987"
    other = draw_board_card(example_film, shot)
    box = ImageChops.difference(card, other).getbbox()
    assert box is not None
    assert (box[3] - box[1]) / card.height >= 0.09  # digits at least 9% of the card's height

    thumb_size = (256, round(256 * card.height / card.width))
    thumb = card.resize(thumb_size, Image.Resampling.LANCZOS).convert("L")
    assert ImageStat.Stat(thumb).stddev[0] > 30  # not a blank card
    scale = 256 / card.width
    region = thumb.crop(tuple(round(v * scale) for v in box))
    low, high = region.getextrema()
    assert region.height >= 12 and high - low >= 150  # 12+ px tall digits, ink far from background


@pytest.mark.parametrize("resolution", [(1920, 1080), (1080, 1920)])
def test_long_text_is_wrapped_and_cut_inside_the_card(example_film, resolution):
    example_film.resolution = resolution
    shot = example_film.shot("sh040")
    shot.id = "sh040_an_identifier_far_too_long_for_any_band_at_all"
    shot.action = "She drifts down the corridor past every sealed hatch, counting. " * 60
    shot.dialogue = [DialogueLine("Unbrokenwordthatgoesonandonandonandonandonandonandonandon " * 4,
                                  "MARA ILVES, FLIGHT ENGINEER OF THE VESNA", "(barely audible)")] * 5
    shot.camera.movement = "pan left, tilt down, handheld"
    card = draw_board_card(example_film, shot)
    w, h = card.size
    strip = max(4, round(min(w, h) * 0.02))
    bottom = card.crop((0, h - strip, w, h))
    right = card.crop((w - strip, round(h * 0.3), w, h))
    assert bottom.getcolors() == [(bottom.width * bottom.height, PAPER)]  # nothing drawn in the margins
    assert right.getcolors() == [(right.width * right.height, PAPER)]


WORLD = "Zoë orders at the Café — ok. Καλημέρα! Привет."


def test_the_board_font_is_shipped_and_draws_text_as_written():
    """Noto Sans (regular and a real bold) ships inside the package with its licence; text is drawn
    with it, pixel for pixel, whatever fonts the machine has."""
    assert REGULAR_FONT.is_file() and BOLD_FONT.is_file()
    assert "SIL OPEN FONT LICENSE" in (REGULAR_FONT.parent / "OFL.txt").read_text()
    assert font(40).getname() == ("Noto Sans", "Regular")
    assert font(40, bold=True).getname() == ("Noto Sans", "Bold")
    for bold in (False, True):
        ours, direct = (Image.new("RGB", (900, 80), PAPER) for _ in range(2))
        draw_text(ImageDraw.Draw(ours), (10, 60), "Zoë, Café — ok, Καλημέρα, Привет", 40, (0, 0, 0), bold)
        face = ImageFont.truetype(str(BOLD_FONT if bold else REGULAR_FONT), 40)
        ImageDraw.Draw(direct).text((10, 60), "Zoë, Café — ok, Καλημέρα, Привет", font=face, fill=(0, 0, 0),
                                    anchor="ls")
        assert ours.tobytes() == direct.tobytes()


def test_only_what_the_board_font_lacks_is_folded():
    written = "Café – naïve “Straße” Zoë Καλημέρα Привет"
    assert printable(written) == written
    assert printable("Cafe\u0301") == "Café"  # composed, so accents sit on their letters
    assert printable("猫が寝ている ＡＢ") == "?????? AB"  # no glyph: a fullwidth letter has a plain form
    assert undrawable("Zoë 猫が ＡＢ 🙂") == {"Han": "猫", "Hiragana": "が", "Fullwidth Latin": "ＡＢ",
                                            "symbols": "🙂"}
    assert undrawable(WORLD) == {}


@pytest.mark.parametrize("text, lossy", [("Zoë", "Zoe"), ("Café — ok", "Cafe - ok"),
                                         ("Καλημέρα", "????????"), ("Привет", "??????"),
                                         ("Привет", "Привит")])
def test_cards_draw_accents_greek_and_cyrillic(example_film, text, lossy):
    """Each of these is drawn as its own letters: the card differs from the one of its plain-Latin
    folding or of question marks (the old built-in font drew Zoë as Zoe and Привет as ??????)."""
    shot = example_film.shot("sh040")
    shot.dialogue = []

    def card(action: str) -> Image.Image:
        shot.action = action
        return draw_board_card(example_film, shot)

    box = ImageChops.difference(card(text), card(lossy)).getbbox()
    assert box is not None and box[0] > card(text).width / 2  # in the words, right of the frame


def test_text_the_board_font_lacks_is_a_warning_naming_shot_and_script(example_dir, capsys):
    edit_project(example_dir, "action: Mara turns.", "action: Mara turns. 猫が寝ている。")
    edit_project(example_dir, "title: A sign of life", "title: Ζωή — Жизнь")  # drawn: no warning
    film = load_project(example_dir)
    warnings = draw_boards(film).warnings
    assert [(w.shot, w.file, w.line) for w in warnings] == [("sh040", film.source, film.shot("sh040").line)]
    assert warnings[0].message == ("action uses characters the board font cannot draw "
                                   "(Han: 猫寝。; Hiragana: がている); they show as ?")
    assert [w.message for w in contact_sheet(film).warnings] == [warnings[0].message]

    assert main(["boards", str(example_dir)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line for line in out if "warning" in line] == [
        f"{film.source}:{film.shot('sh040').line}: warning: shot sh040: {warnings[0].message}"]


def test_build_notes_text_the_board_font_lacks(example_dir):
    edit_project(example_dir, "action: Mara turns.", "action: Mara turns. 猫")
    notes = build(example_dir, generate=False, animatic=False).notes
    film = load_project(example_dir)
    where = f"{film.source}:{film.shot('sh040').line}"
    assert [n for n in notes if "board font" in n] == [
        f"{where}: shot sh040: action uses characters the board font cannot draw (Han: 猫); they show as ?"]


# -- artists' boards -------------------------------------------------------------------------------

def test_an_artists_board_is_never_overwritten_and_is_on_the_contact_sheet(example_dir):
    artist = example_dir / "boards" / "sh040.png"
    Image.new("RGB", (800, 800), MAGENTA).save(artist)  # square: letterboxed into a 16:9 cell
    before = artist.read_bytes()
    film = load_project(example_dir)
    result = draw_boards(film)
    assert artist.read_bytes() == before
    assert result.kept == [artist] and result.boards["sh040"] == artist
    assert len(result.written) == 11
    draw_boards(film, force=True)
    assert artist.read_bytes() == before

    sheet = contact_sheet(film)
    with Image.open(sheet.png) as png:
        assert magenta_pixels(png) > 10_000
    artist.unlink()
    draw_boards(film)
    with Image.open(contact_sheet(film).png) as png:
        assert magenta_pixels(png) == 0


def test_a_card_records_where_its_picture_is(example_dir):
    """The framing sketch's picture (inside its outline) is recorded in the card, for the animatic;
    nothing else answers: an artist's board, a painted-over card."""
    film = load_project(example_dir)
    draw_boards(film)
    path = example_dir / "boards" / "sh020.png"
    box = card_picture(path)
    with Image.open(path) as card:
        assert box is not None and 0 < box[0] < box[2] < card.width / 2 and 0 < box[1] < box[3] < card.height
        inside = card.convert("RGB").crop(box)
        outline = card.convert("RGB").crop((box[0] - 2, box[1], box[0], box[3]))
    assert PAPER not in [c for _, c in inside.getcolors(1 << 16)]  # all picture, no paper
    assert outline.getextrema() == ((20, 20), (22, 22), (26, 26))  # the frame's ink outline, not moved
    Image.new("RGB", (1280, 720), MAGENTA).save(path)
    assert card_picture(path) is None and card_picture(example_dir / "missing.png") is None


def test_a_card_painted_over_by_an_artist_becomes_their_board(example_dir):
    film = load_project(example_dir)
    draw_boards(film)
    path = example_dir / "boards" / "sh030.png"
    with Image.open(path) as card:
        painted = card.copy()
        info = card.info  # the marker is still there, but the pixels are no longer shotreel's
    painted.paste(MAGENTA, (100, 300, 500, 600))
    from PIL import PngImagePlugin
    meta = PngImagePlugin.PngInfo()
    meta.add_text(MARKER, info[MARKER])
    painted.save(path, pnginfo=meta)
    before = path.read_bytes()
    result = draw_boards(film, force=True)
    assert path.read_bytes() == before and path in result.kept


def test_cards_are_redrawn_when_the_shot_changes_and_left_alone_otherwise(example_dir):
    film = load_project(example_dir)
    draw_boards(film)
    sh020, sh030 = (example_dir / "boards" / f"{s}.png" for s in ("sh020", "sh030"))
    old020, old030 = sh020.read_bytes(), sh030.read_bytes()
    edit_project(example_dir, "taps a flickering oxygen gauge", "slams a dead oxygen gauge")
    result = draw_boards(load_project(example_dir))
    assert result.written == [sh020] and len(result.unchanged) == 11
    assert sh020.read_bytes() != old020 and sh030.read_bytes() == old030


def test_a_shot_listing_an_existing_board_keeps_it(example_dir):
    (example_dir / "refs" / "sh020_start.jpg").parent.mkdir(exist_ok=True)
    Image.new("RGB", (1024, 576), MAGENTA).save(example_dir / "refs" / "sh020_start.jpg")
    list_board(example_dir, "sh020", "refs/sh020_start.jpg")
    film = load_project(example_dir)
    result = draw_boards(film)
    assert not (example_dir / "boards" / "sh020.png").exists()
    assert result.boards["sh020"] == example_dir / "refs" / "sh020_start.jpg" in result.kept
    assert shot_board_image(film, film.shot("sh020")) == example_dir / "refs" / "sh020_start.jpg"


# -- bad boards ------------------------------------------------------------------------------------

def test_a_missing_listed_board_names_shot_and_file_and_writes_nothing(example_dir):
    list_board(example_dir, "sh050", "boards/hatch_open.png")
    film = load_project(example_dir)
    with pytest.raises(BoardError) as caught:
        draw_boards(film)
    message = str(caught.value)
    assert "sh050" in message and "boards/hatch_open.png" in message and "shotreel.yaml" in message
    with pytest.raises(BoardError):
        contact_sheet(film)
    assert written_files(example_dir) == []


@pytest.mark.parametrize("content", [b"this is not an image", None], ids=["not-an-image", "truncated-png"])
def test_an_unreadable_board_image_is_an_error(example_dir, tmp_path, content):
    if content is None:  # a real PNG cut short, as an interrupted copy leaves it
        Image.effect_noise((640, 360), 60).save(tmp_path / "full.png")
        content = (tmp_path / "full.png").read_bytes()[:3000]
    (example_dir / "boards" / "sh060_art.png").write_bytes(content)
    list_board(example_dir, "sh060", "boards/sh060_art.png")
    with pytest.raises(BoardError) as caught:
        draw_boards(load_project(example_dir))
    assert "sh060" in str(caught.value) and "boards/sh060_art.png" in str(caught.value)
    assert written_files(example_dir) == [example_dir / "boards" / "sh060_art.png"]


def test_an_unreadable_file_where_a_card_would_go_is_kept_and_reported(example_dir):
    broken = example_dir / "boards" / "sh070.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    with pytest.raises(BoardError) as caught:
        draw_boards(load_project(example_dir))
    assert "sh070" in str(caught.value) and "boards/sh070.png" in str(caught.value)
    assert written_files(example_dir) == [broken] and broken.read_bytes().endswith(b"garbage")


def test_a_shot_id_that_is_not_a_file_name_is_refused(tmp_path):
    film = Film("Escape", Fraction(24), beats=[Beat("b")], root=tmp_path,
                scenes=[Scene("s", shots=[Shot(id="../../outside", beat="b", duration=24, scene="s")])])
    with pytest.raises(BoardError, match="outside"):
        draw_boards(film)
    assert list(tmp_path.rglob("*")) == []


# -- the contact sheet -----------------------------------------------------------------------------

def test_contact_sheet_png_and_a4_pdf_of_the_example(example_dir):
    film = load_project(example_dir)
    draw_boards(film)
    sheet = contact_sheet(film)
    assert sheet.png == example_dir / "edit" / "contact_sheet.png"
    assert sheet.shots == 12 and sheet.pages == 1 == pdf_pages(sheet.pdf)
    with Image.open(sheet.png) as png:
        png.verify()
    box = re.search(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)", sheet.pdf.read_bytes())
    assert box and abs(float(box[1]) - 842) < 2 and abs(float(box[2]) - 595) < 2  # A4 landscape, points


def test_contact_sheet_pdf_runs_to_as_many_pages_as_the_boards_need(tmp_path):
    shots = [Shot(id=f"sh{i:03d}", beat="b", duration=30 + i, action=f"Beat {i}.", scene="s")
             for i in range(30)]
    film = Film("Long Film", Fraction(25), resolution=(1920, 1080), beats=[Beat("b", "Only beat")],
                scenes=[Scene("s", "INT. HALL - DAY", shots=shots)], root=tmp_path)
    progress: list[tuple[int, int]] = []
    sheet = contact_sheet(film, lambda done, total, message: progress.append((done, total)))
    assert sheet.pages == pdf_pages(sheet.pdf) == 2  # fifteen 16:9 boards to an A4 page
    pages = PdfReader(sheet.pdf).pages
    for number, page in enumerate(pages):  # each page: its boards as images, their ids as text, in order
        shown = [f"sh{i:03d}" for i in range(15 * number, min(30, 15 * (number + 1)))]
        text = page.extract_text()
        assert len(page.images) == len(shown) and f"Page {number + 1} of 2" in text
        assert [t for t in re.findall(r"sh\d{3}", text) if t in shown] == shown
    assert progress[-1][0] == progress[-1][1]
    assert not (tmp_path / "boards").exists()  # cards for the sheet are drawn in memory only


def test_contact_sheet_pdf_is_real_searchable_text_in_the_board_font(example_dir):
    """Ids, durations, beats, timecodes and each shot's action are text in the PDF (found by search,
    sharp in print, accents and all), set in the embedded board font; the boards are images."""
    edit_project(example_dir, "action: Mara turns.", f"action: {WORLD}")
    edit_project(example_dir, "title: Alone", "title: Seule à bord")
    film = load_project(example_dir)
    draw_boards(film)
    sheet = contact_sheet(film)
    reader = PdfReader(sheet.pdf)
    assert sheet.pages == len(reader.pages) == 1
    page = reader.pages[0]
    text = " ".join(page.extract_text().split())
    for shot in film.shots():
        assert shot.id in text
    for word in ("Green Hours", "contact sheet", "Page 1 of 1", "5s", "01:00:15:00", "Seule à bord",
                 "Zoë", "Café", "Καλημέρα!", "Привет.", "At the corridor's end"):
        assert word in text, word
    assert len(page.images) == 12
    fonts = {str(f.get_object()["/BaseFont"]) for f in page["/Resources"]["/Font"].values()}
    assert {name.split("+")[-1] for name in fonts} == {"NotoSans", "NotoSansBold"}
    assert sheet.pdf.stat().st_size < 2_000_000


def test_contact_sheet_pdf_keeps_painted_boards_small_and_cards_lossless(example_dir):
    """A painted or photographic board goes into the PDF as JPEG; a flat card stays lossless."""
    grad = Image.linear_gradient("L").resize((1920, 1080))
    bands = [Image.blend(grad, Image.effect_noise((1920, 1080), 30 + 10 * k), 0.4) for k in range(3)]
    Image.merge("RGB", bands).save(example_dir / "boards" / "sh010.png")
    film = load_project(example_dir)
    draw_boards(film)
    page = PdfReader(contact_sheet(film).pdf).pages[0]
    assert [Path(image.name).suffix for image in page.images] == [".jpg"] + [".png"] * 11  # in story order


# -- the command -----------------------------------------------------------------------------------

def test_boards_command_draws_cards_and_the_contact_sheet(example_dir, capsys):
    assert main(["boards", str(example_dir)]) == 0
    out = capsys.readouterr().out
    assert "12 drawn" in out and "contact_sheet.png" in out and "contact_sheet.pdf" in out
    assert len(list((example_dir / "boards").glob("*.png"))) == 12
    assert main(["boards", str(example_dir)]) == 0
    assert "0 drawn, 12 up to date" in capsys.readouterr().out


def test_boards_command_bad_board_is_one_line_and_exit_2(example_dir, capsys):
    list_board(example_dir, "sh090", "boards/console.png")
    assert main(["boards", str(example_dir)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("shotreel: error:")
    assert "sh090" in err[0] and "boards/console.png" in err[0]
    assert written_files(example_dir) == []


def test_boards_command_on_a_folder_that_is_not_a_project(tmp_path, capsys):
    assert main(["boards", str(tmp_path)]) == 2
    assert "not a shotreel project" in capsys.readouterr().err


def test_card_bands_are_the_beats_marker_colours_and_never_the_warning_red(example_film):
    from shotreel import palette
    from shotreel.cards import beat_colour
    from shotreel.reel import BEAT_COLORS

    bands = [beat_colour(example_film, b.id) for b in example_film.beats]
    assert bands == [palette.beat_colour_at(i).rgb for i in range(len(bands))]
    assert [c for c, _ in BEAT_COLORS[:len(bands)]] == [palette.beat_colour_at(i).otio for i in range(len(bands))]
    assert palette.WARNING_COLOUR.rgb not in bands
