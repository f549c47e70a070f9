"""The offline provider: a take from the board still with the shot's camera move, frame-exact, via ffmpeg."""

from __future__ import annotations

import itertools
import subprocess
import time
from fractions import Fraction
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageDraw, ImageStat
from shotreel.boards import card_picture, draw_boards
from shotreel.generation.base import BadRequest, GenerationRequest, JobState
from shotreel.generation.providers.animatic import MOVEMENTS, create, normalize_movement, picture_on_output
from shotreel.generation.registry import get_provider
from shotreel.media import ffmpeg_exe, probe
from shotreel.project import load_project


def _board(path: Path, size: tuple[int, int] = (320, 180)) -> Path:
    image = Image.new("RGB", size, (30, 40, 50))
    draw = ImageDraw.Draw(image)
    draw.ellipse([size[0] * 0.3, size[1] * 0.2, size[0] * 0.7, size[1] * 0.8], fill=(200, 170, 120))
    image.save(path)
    return path


def _request(board: Path | None, movement: str, frames: int = 25, fps: Fraction = Fraction(24000, 1001),
             size: tuple[int, int] = (128, 72), take: str = "t1") -> GenerationRequest:
    return GenerationRequest(take_id=take, shot_id="sh020", provider="animatic", model="ken-burns", prompt="",
                             duration_frames=frames, fps=fps, width=size[0], height=size[1],
                             start_image=board, movement=movement)


def test_every_camera_move_renders_exact_frames_at_the_exact_rate(tmp_path: Path) -> None:
    provider = get_provider("animatic", work_dir=tmp_path / "work")
    assert provider.name == "animatic" and provider.needs_network is False
    board = _board(tmp_path / "board.png")
    handles = {m: provider.submit(_request(board, m, take=m.replace(" ", "-"))) for m in MOVEMENTS}
    for movement, handle in handles.items():  # all rendering at once, in the background
        status = provider.wait(handle, timeout=60)
        assert status.state is JobState.SUCCEEDED, status.failure
        out = provider.fetch(handle, status, tmp_path / "takes" / f"{movement}.mp4")
        info = probe(out)
        assert (info.frames, info.fps, info.width, info.height) == (25, Fraction(24000, 1001), 128, 72)
        assert info.codec == "h264"
    assert list((tmp_path / "work").iterdir()) == []  # nothing left behind once fetched
    assert provider.estimate_cost(_request(board, "static")) == 0.0


def test_an_unknown_move_renders_static_with_a_note(tmp_path: Path) -> None:
    provider = create(work_dir=tmp_path / "work")
    handle = provider.submit(_request(_board(tmp_path / "b.png"), "whip pan", frames=7))
    status = provider.wait(handle, timeout=60)
    assert status.state is JobState.SUCCEEDED
    assert any("whip pan" in note and "static" in note for note in status.raw["notes"])
    assert probe(provider.fetch(handle, status, tmp_path / "t.mp4")).frames == 7
    assert normalize_movement("Slow push in") == ("push in", None)
    assert normalize_movement("dolly out") == ("pull out", None)


def _positions(clip: Path, width: int, height: int, row: int) -> list[float]:
    """The x of the dark vertical line in one row, per frame, to sub-pixel precision."""
    raw = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(clip), "-vf",
                          f"crop={width}:2:0:{row},format=gray", "-f", "rawvideo", "-"],
                         capture_output=True, check=True).stdout
    positions = []
    for f in range(len(raw) // (2 * width)):
        weights = [255 - v for v in raw[f * 2 * width:f * 2 * width + width]]
        positions.append(sum(i * w for i, w in enumerate(weights)) / sum(weights))
    return positions


@pytest.mark.parametrize("movement", ["push in", "pan right"])
def test_moves_are_smooth_no_jitter(tmp_path: Path, movement: str) -> None:
    width, height = 640, 360
    image = Image.new("RGB", (width, height), "white")
    ImageDraw.Draw(image).rectangle([500, 0, 501, height], fill="black")
    board = tmp_path / "line.png"
    image.save(board)
    provider = create()
    out = provider.render(_request(board, movement, frames=48, fps=Fraction(24), size=(width, height)),
                          tmp_path / "take.mp4")
    xs = _positions(out, width, height, 100)
    assert len(xs) == 48
    steps = [b - a for a, b in itertools.pairwise(xs)]
    direction = 1 if movement == "push in" else -1  # the line moves outwards / to the left
    assert all(step * direction >= -0.05 for step in steps), steps  # never a step back
    assert abs(xs[-1] - xs[0]) > 20
    # consecutive steps differ by at most about one half-pixel quantum (eased motion, no wobble)
    assert max(abs(b - a) for a, b in itertools.pairwise(steps)) < 1.3


def test_bad_requests_name_the_shot_and_the_fix(tmp_path: Path) -> None:
    provider = create(work_dir=tmp_path / "work")
    with pytest.raises(BadRequest, match=r"shot sh020: .*start board.*shotreel boards"):
        provider.submit(_request(None, "static"))
    with pytest.raises(BadRequest, match=r"missing.png: shot sh020: start board not found"):
        provider.validate(_request(tmp_path / "missing.png", "static"))
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"not an image")
    with pytest.raises(BadRequest, match="junk.png: shot sh020: start board is not a readable image"):
        provider.validate(_request(junk, "static"))
    with pytest.raises(BadRequest, match="must be even"):
        provider.validate(_request(_board(tmp_path / "b.png"), "static", size=(127, 72)))
    with pytest.raises(BadRequest, match="no option workflow"):
        create(workflow="x.json")
    assert not (tmp_path / "work").exists() or not any((tmp_path / "work").iterdir())


def test_cancel_stops_the_render_and_leaves_nothing(tmp_path: Path) -> None:
    provider = create(work_dir=tmp_path / "work")
    handle = provider.submit(_request(_board(tmp_path / "b.png"), "push in", frames=2400, size=(640, 360)))
    time.sleep(0.2)
    assert provider.poll(handle).state is JobState.RUNNING
    provider.cancel(handle)
    assert list((tmp_path / "work").iterdir()) == []


def test_a_restarted_process_follows_renders_it_did_not_start(tmp_path: Path) -> None:
    board = _board(tmp_path / "b.png")
    first = create(work_dir=tmp_path / "work")
    slow = first.submit(_request(board, "push in", frames=600, size=(640, 360), take="slow"))
    quick = first.submit(_request(board, "static", frames=5, take="quick"))
    first._jobs[quick.job_id].process.wait(30)  # finished, but never polled by the process that started it
    second = create(work_dir=tmp_path / "work")  # e.g. `shotreel generate` run again after a crash
    status = second.poll(quick)
    assert status.state is JobState.SUCCEEDED
    assert probe(second.fetch(quick, status, tmp_path / "quick.mp4")).frames == 5
    assert second.poll(slow).state is JobState.RUNNING  # the first process's ffmpeg is still at work
    first.cancel(slow)
    assert second.poll(slow).state is JobState.FAILED


def _frames(clip: Path, width: int, height: int) -> list[Image.Image]:
    """Every frame of ``clip``, as grey images."""
    raw = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(clip), "-f", "rawvideo", "-pix_fmt", "gray",
                          "-"], capture_output=True, check=True).stdout
    size = width * height
    return [Image.frombytes("L", (width, height), raw[i:i + size]) for i in range(0, len(raw), size)]


def _change(first: Image.Image, last: Image.Image, box: tuple[int, int, int, int] | None,
            outside: bool = False) -> tuple[float, int]:
    """Mean and largest difference between two frames inside ``box`` (or everywhere but ``box``)."""
    mask = Image.new("L", first.size, 255 if outside else 0)
    if box:
        mask.paste(0 if outside else 255, box)
    diff = ImageChops.difference(first, last)
    return ImageStat.Stat(diff, mask).mean[0], ImageChops.multiply(diff, mask).getextrema()[1]


@pytest.mark.parametrize("movement", ["push in", "pan right"])
def test_on_a_card_only_the_picture_moves_and_the_words_stay_still(example_dir: Path, movement: str) -> None:
    """The card's framing sketch is what a camera would see: it moves; the shot id, the action and the
    frame's outline stay where they are, so a push in crops nothing a reader needs."""
    film = load_project(example_dir)
    draw_boards(film)
    card = example_dir / "boards" / "sh020.png"
    width, height = 640, 360
    out = create().render(_request(card, movement, frames=24, fps=Fraction(24), size=(width, height)),
                          tmp := example_dir / "take.mp4")
    assert probe(tmp).frames == 24
    frames = _frames(out, width, height)
    with Image.open(card) as image:
        picture = picture_on_output(card_picture(card), image.size, (width, height))
    assert picture is not None and picture[2] < width / 2  # the sketch, left of the words
    moved, _ = _change(frames[0], frames[-1], picture)
    still_mean, still_max = _change(frames[0], frames[-1], picture, outside=True)
    assert moved > 3  # the picture moved
    assert still_mean < 0.5 and still_max <= 16  # the rest is the same, up to the encoder's noise


def test_a_board_that_is_not_a_card_moves_whole(example_dir: Path) -> None:
    """An artist's board or a render (here a card saved again without shotreel's marker) moves as one
    picture, edges and all."""
    film = load_project(example_dir)
    draw_boards(film)
    board = example_dir / "boards" / "sh020_art.png"
    with Image.open(example_dir / "boards" / "sh020.png") as card:
        card.convert("RGB").save(board)  # no marker: an artist's board to shotreel
    assert card_picture(board) is None
    width, height = 640, 360
    out = create().render(_request(board, "push in", frames=24, fps=Fraction(24), size=(width, height)),
                          example_dir / "take.mp4")
    frames = _frames(out, width, height)
    words = (width * 0.55, height * 0.3, width, height * 0.6)
    band = (0, 0, width, height * 0.15)
    for region in (words, band):
        mean, largest = _change(frames[0], frames[-1], tuple(round(v) for v in region))
        assert mean > 3 and largest > 100
