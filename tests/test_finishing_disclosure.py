"""The AI-use disclosure: what it states, for which shots, on its card and in the file's tags."""

from __future__ import annotations

import json

from shotreel.finishing.disclosure import disclose, disclosure_card
from shotreel.finishing.provenance import generation_used
from shotreel.finishing.titles import credit_lines
from shotreel.project import load_project

from ._finishing_support import small_film


def test_the_disclosure_names_the_kinds_and_the_shots(tmp_path):
    film = load_project(small_film(tmp_path / "film"))
    disclosure = disclose(film, generation_used(film), voice_shots=["sh010"])
    assert disclosure.statement() == "This film contains AI-generated video and voices."
    assert disclosure.shot_lines() == ["AI-generated video: sh010, sh020", "AI-generated voices: sh010"]
    assert disclosure.credit_line() == ("This film contains AI-generated video and voices: video in sh010, "
                                        "sh020; voices in sh010.")
    assert disclosure.models == ["gen4_turbo (runway)", "kling-v2-1 (kling)"]


def test_a_generated_board_shown_in_the_cut_is_disclosed_as_an_image(tmp_path):
    folder = small_film(tmp_path / "film")
    from shotreel.boards import draw_boards
    film = load_project(folder)
    draw_boards(film)
    board = folder / "boards" / "sh030.png"
    assert board.is_file()
    board.with_suffix(".json").write_text(json.dumps({"provider": "fal", "model": "flux-dev"}))
    disclosure = disclose(film, generation_used(film), voice_shots=["sh010"])
    assert disclosure.statement() == "This film contains AI-generated video, images and voices."
    assert disclosure.shots["image"] == ["sh030"]


def test_a_film_without_generated_media_claims_none(tmp_path):
    film = load_project(small_film(tmp_path / "film", takes=False))
    disclosure = disclose(film, generation_used(film))
    assert not disclosure.any
    assert disclosure.statement() == "This film contains no AI-generated video, images or voices."


def test_the_files_tags_say_so(tmp_path):
    film = load_project(small_film(tmp_path / "film"))
    tags = disclose(film, generation_used(film)).metadata()
    assert tags["title"] == "Small Hours"
    assert tags["comment"] == "This film contains AI-generated video."
    assert tags["description"].splitlines() == [
        "This film contains AI-generated video.", "AI-generated video: sh010, sh020",
        "Made with: gen4_turbo (runway), kling-v2-1 (kling)."]


def test_the_card_and_the_credits_carry_it(tmp_path):
    film = load_project(small_film(tmp_path / "film"))
    generation = generation_used(film)
    disclosure = disclose(film, generation)
    card = disclosure_card(film, disclosure)
    assert card.image.size == (320, 180) and card.frames == 96
    assert len(card.image.getcolors(320 * 180)) > 2  # words were drawn
    lines = dict(credit_lines(film, generation, disclosure.credit_line()))
    assert lines["AI-use disclosure"] == ["This film contains AI-generated video: video in sh010, sh020."]
