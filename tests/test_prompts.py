"""Prompts: built from the shot, its assets and the style guide, deterministic, cut at word boundaries."""

from __future__ import annotations

from fractions import Fraction

import pytest
from PIL import Image
from shotreel.prompts import (
    PromptError,
    build_prompt,
    build_request,
    derived_seed,
    render_prompt,
    truncate_words,
)

from ._generation import draw_plain_boards


@pytest.fixture
def film(example_film):
    draw_plain_boards(example_film)
    return example_film


def test_the_prompt_carries_action_camera_assets_style_and_mood(film):
    prompt = build_prompt(film, film.shot("sh020"))
    assert prompt.startswith("Mara floats down the corridor and taps a flickering oxygen gauge. It reads 19%.")
    assert "Camera: medium shot, eye level, camera push in, 35mm lens." in prompt
    assert "Continuity: Helmet off, hair tied back" in prompt
    assert "Character: Mara Ilves, forty" in prompt and "Location: Interior of the research ship Vesna" in prompt
    assert "Style: Quiet hard science fiction." in prompt
    assert prompt.endswith("Mood: Fans labouring, her breath loud in the quiet.")
    assert prompt.index("Camera:") < prompt.index("Character:") < prompt.index("Style:") < prompt.index("Mood:")


def test_the_shots_prompt_additions_follow_the_action(film):
    prompt = build_prompt(film, film.shot("sh010"))
    assert "a single window glows amber. Tiny amber window, no engine glow." not in prompt
    assert "window glows amber. tiny amber window, no engine glow. Camera: extreme wide shot" in prompt


def test_a_long_prompt_is_cut_at_a_word_boundary(film):
    full = build_prompt(film, film.shot("sh110"))
    cut = build_prompt(film, film.shot("sh110"), max_chars=200)
    assert len(full) > 200 >= len(cut) and full.startswith(cut)
    assert full[len(cut)] in " ,." and not cut.endswith(" ")
    assert truncate_words("one two three", 9) == "one two" and truncate_words("one two", 0) == "one two"
    assert truncate_words("unbreakable", 4) == ""


def test_the_request_takes_boards_timing_and_size_from_the_film(film):
    shot = film.shot("sh040")
    request = build_request(film, shot, "runway", "gen4_turbo", "t003")
    assert request.start_image == (film.root / "boards" / "sh040.png").resolve()
    assert request.end_image is None and request.reference_images == ()
    assert (request.duration_frames, request.fps, request.width, request.height) == (120, Fraction(24), 1920, 1080)
    assert request.movement == "pull out" and request.seed == derived_seed("sh040", "t003")
    assert request.take_id == "t003" and request.shot_id == "sh040" and request.provider == "runway"
    assert build_request(film, shot, "runway", "gen4_turbo", "t003") == request, "deterministic"
    assert build_request(film, shot, "runway", "gen4_turbo", "t004").seed != request.seed
    assert build_request(film, shot, "runway", "gen4_turbo", "t003", seed=42).seed == 42


def test_end_boards_and_reference_images_are_used(film):
    shot = film.shot("sh020")
    end = film.root / "boards" / "sh020_end.png"
    Image.new("RGB", (64, 36)).save(end)
    ref = film.root / "refs" / "mara_front.png"
    Image.new("RGB", (64, 64)).save(ref)
    from shotreel.model import Board
    shot.boards = [Board("boards/sh020.png"), Board("boards/sh020_end.png", "end")]
    film.asset("mara").references = ["refs/mara_front.png"]
    request = build_request(film, shot, "luma", "ray-2", "t001")
    assert request.end_image == end.resolve() and request.reference_images == (ref.resolve(),)
    film.asset("mara").references = ["refs/missing.png"]
    with pytest.raises(PromptError, match="reference image refs/missing.png of asset mara"):
        build_request(film, shot, "luma", "ray-2", "t001")


def test_a_missing_board_names_the_shot_and_the_fix(film):
    (film.root / "boards" / "sh030.png").unlink()
    with pytest.raises(PromptError) as caught:
        build_request(film, film.shot("sh030"), "runway", "gen4_turbo", "t001")
    message = str(caught.value)
    assert "shot sh030" in message and "boards/sh030.png" in message and "shotreel boards DIR" in message


def test_render_prompt_shows_the_request(film):
    text = render_prompt(film, film.shot("sh060"), "kling", "kling-v2-1")
    assert "shot sh060  take t001  provider kling  model kling-v2-1" in text
    assert "start board  boards/sh060.png" in text and "end board    -" in text
    assert "4s (96 frames at 24 fps)" in text and "movement push in" in text
    assert "prompt       A leaf unfurls" in text


def test_approved_views_feed_the_request_after_the_typed_references(film):
    from shotreel.approvals import approve
    root = film.root
    (root / "refs" / "mara").mkdir(parents=True)
    Image.new("RGB", (64, 64)).save(root / "refs" / "typed.png")
    Image.new("RGB", (64, 64), (200, 10, 10)).save(root / "refs" / "mara" / "front.png")
    film.asset("mara").references = ["refs/typed.png"]
    approve(film, "mara", ["refs/mara/front.png"])
    request = build_request(film, film.shot("sh020"), "runway", "gen4_turbo", "t001")
    assert request.reference_images == ((root / "refs" / "typed.png").resolve(),
                                        (root / "refs" / "mara" / "front.png").resolve())


def test_an_approved_view_that_is_gone_names_the_asset_and_the_file(film):
    from shotreel.approvals import approve
    view = film.root / "refs" / "mara" / "front.png"
    view.parent.mkdir(parents=True)
    Image.new("RGB", (64, 64)).save(view)
    approve(film, "mara", ["refs/mara/front.png"])
    view.unlink()
    with pytest.raises(PromptError) as caught:
        build_request(film, film.shot("sh020"), "runway", "gen4_turbo", "t001")
    message = str(caught.value)
    assert "\n" not in message and message.startswith("approvals.yaml: shot sh020: ")
    assert "approved view refs/mara/front.png of asset mara is gone" in message and "--revoke front" in message


def test_a_reference_that_is_not_an_image_is_refused_by_name(film):
    (film.root / "refs" / "notes.png").write_text("not a picture")
    film.asset("mara").references = ["refs/notes.png"]
    with pytest.raises(PromptError, match="reference image refs/notes.png of asset mara is not an image"):
        build_request(film, film.shot("sh020"), "runway", "gen4_turbo", "t001")
