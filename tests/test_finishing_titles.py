"""Title card and end credits: from titles:/credits: in shotreel.yaml, at the film's size, crediting the
models the cut really uses (from the takes' provenance)."""

from __future__ import annotations

from fractions import Fraction

import pytest
from PIL import ImageChops
from shotreel.errors import ProjectError
from shotreel.finishing.provenance import generation_used
from shotreel.finishing.titles import (
    accent,
    credit_lines,
    credits_card,
    draw_title_card,
    title_card,
)
from shotreel.project import load_project, loads_film
from shotreel.takes import select_take

from ._finishing_support import make_take, small_film


def test_titles_and_credits_are_read_from_the_project_file(tmp_path):
    film = load_project(small_film(tmp_path / "film", takes=False))
    assert film.titles.subtitle == "a film by Zoë Lind"
    assert film.titles.duration == 48
    assert [(r.role, r.names) for r in film.credits.roles] == [
        ("Written and directed by", ["Zoë Lind"]), ("Music", ["Jo Park"])]
    assert film.credits.thanks == "The crew of the Vesna"


def test_a_film_without_titles_gets_a_title_card_of_its_own_title(tmp_path):
    film = load_project(small_film(tmp_path / "film", credits=False, takes=False))
    assert film.titles is None and film.credits is None
    card = title_card(film)
    assert card.image.size == (320, 180) and card.frames == 4 * 24
    assert ImageChops.difference(card.image, draw_title_card(film)).getbbox() is None  # drawn the same way


def test_the_title_card_is_drawn_at_the_films_size_in_its_accent_colour(tmp_path):
    film = load_project(small_film(tmp_path / "film", takes=False))
    image = title_card(film).image
    assert image.size == film.resolution
    assert accent(film) == (255, 176, 46)  # "amber" is the style's first colour word
    colours = {colour for _, colour in image.getcolors(320 * 180)}
    assert accent(film) in colours  # the rule under the title
    assert any(sum(c) > 600 for c in colours)  # the title in light ink


def test_the_credits_list_the_models_the_cut_uses_from_their_provenance(tmp_path):
    folder = small_film(tmp_path / "film")
    film = load_project(folder)
    make_take(folder, "sh020", "t002", {"provider": "luma", "model": "ray-2"})
    select_take(film, "sh020", "t001")  # the Luma take exists but is not in the cut
    generation = generation_used(film)
    lines = dict(credit_lines(film, generation, "Contains AI-generated video (sh010, sh020)."))
    assert lines["Generated with"] == ["gen4_turbo (runway) — sh010", "kling-v2-1 (kling) — sh020"]
    assert lines["Written and directed by"] == ["Zoë Lind"]
    assert "AI-use disclosure" in lines
    assert not any("ray-2" in name for names in lines.values() for name in names)
    card = credits_card(film, generation)
    assert card.image.size == (320, 180) and card.frames == 48


def test_a_take_whose_provenance_names_no_model_is_credited_with_a_warning(tmp_path):
    folder = small_film(tmp_path / "film", credits=False)
    make_take(folder, "sh030", "t001", {"provider": "fal"})
    generation = generation_used(load_project(folder))
    assert ("fal", "unnamed model", ["sh030"]) in generation.models()
    assert generation.warnings == [
        ("takes/sh030/t001.json: warning: shot sh030: take t001's provenance names no model; "
         "credited as 'unnamed model'")]


@pytest.mark.parametrize("section, message", [
    ("credits: [Ana, Jo]", "shotreel.yaml:3: credits must be a mapping of roles, thanks, duration, not a list"),
    ("credits:\n  roles:\n    - {role: Music}", "shotreel.yaml:5: a credit needs a 'role' and its 'names'"),
    ("titles:\n  duration: 4x", "shotreel.yaml:4: titles duration:"),
    ("credits:\n  rolls: []", "shotreel.yaml:4: unknown key 'rolls' in credits; did you mean 'roles'?"),
])
def test_an_unreadable_credits_or_titles_section_is_one_line_naming_the_line(section, message):
    with pytest.raises(ProjectError) as error:
        loads_film(f"title: T\nfps: 24\n{section}\n")
    assert str(error.value).startswith(message)
    assert "\n" not in str(error.value)


def test_a_card_length_is_whole_frames_at_an_exact_rate():
    film = loads_film("title: T\nfps: 23.976\ntitles: {duration: 2s}\n")
    assert film.fps == Fraction(24000, 1001) and film.titles.duration == 48
