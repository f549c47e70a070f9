"""The AI-use disclosure: what it states, for which shots, on its card, in the credits, in the file's tags and
in its content credential — all the same, and driven by how each take, board and voice was really made."""

from __future__ import annotations

import json
import re
import subprocess

from shotreel.cli import main
from shotreel.finishing.credentials import (
    ALGORITHMIC,
    COMPOSITE,
    COMPOSITE_PLAIN,
    COMPOSITE_SYNTHETIC,
    TRAINED,
    make_test_signing,
    read_credential,
)
from shotreel.finishing.disclosure import disclose, disclosure_card
from shotreel.finishing.export import export_film
from shotreel.finishing.provenance import generation_used
from shotreel.finishing.titles import credit_lines
from shotreel.media import ffmpeg_exe
from shotreel.project import load_project

from ._finishing_support import make_take, small_film

ESPEAK = "Made by software without an AI model: synthetic voices (eSpeak NG)."


def _tags(path) -> dict[str, str]:
    """The file's format tags as ffmpeg reads them back (``ffmetadata``: one ``key=value`` a line)."""
    run = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(path), "-f", "ffmetadata", "-"], capture_output=True,
                         text=True, check=True)
    tags: dict[str, str] = {}
    key = None
    for line in re.split(r"(?<!\\)\n", run.stdout):
        if "=" in line and not line.startswith(";"):
            key, value = line.split("=", 1)
            tags[key] = value.replace("\\\n", "\n")
    return tags


def test_the_disclosure_names_the_kinds_and_the_shots(tmp_path):
    film = load_project(small_film(tmp_path / "film"))
    disclosure = disclose(film, generation_used(film), voice_shots=["sh010"])
    # the takes came from generative models; the scratch voices from eSpeak NG, which is not one
    assert disclosure.statement() == "This film contains AI-generated video."
    assert disclosure.sentence() == f"This film contains AI-generated video. {ESPEAK}"
    assert disclosure.shot_lines() == ["AI-generated video: sh010, sh020",
                                       "synthetic voices (eSpeak NG), no AI model: sh010"]
    assert disclosure.credit_line() == ("This film contains AI-generated video: video in sh010, sh020. Made by "
                                        "software without an AI model: synthetic voices (eSpeak NG) in sh010.")
    assert disclosure.models == ["gen4_turbo (runway)", "kling-v2-1 (kling)"]
    assert [(s.kind, s.digital_source_type) for s in disclosure.sources] == [("video", TRAINED), ("voice", ALGORITHMIC)]


def test_voices_from_a_trained_model_are_ai_generated(tmp_path):
    film = load_project(small_film(tmp_path / "film"))
    disclosure = disclose(film, generation_used(film), voice_shots=["sh010"], voices_by="eleven_v3 (elevenlabs)",
                          voices_trained=True)
    assert disclosure.statement() == "This film contains AI-generated video and voices."
    assert disclosure.made_without_ai() == ""


def test_a_generated_board_shown_in_the_cut_is_disclosed_as_an_image_and_a_sketch_is_not(tmp_path):
    folder = small_film(tmp_path / "film")
    from shotreel.boards import draw_boards
    film = load_project(folder)
    draw_boards(film)
    board = folder / "boards" / "sh030.png"
    assert board.is_file()
    board.with_suffix(".json").write_text(json.dumps({"provider": "fal", "model": "flux-dev"}))
    disclosure = disclose(film, generation_used(film))
    assert disclosure.statement() == "This film contains AI-generated video and images."
    assert disclosure.shots["image"] == ["sh030"] and "flux-dev (fal)" in disclosure.models
    board.with_suffix(".json").write_text(json.dumps({"provider": "animatic", "model": "sketch"}))
    disclosure = disclose(film, generation_used(film))
    assert disclosure.statement() == "This film contains AI-generated video."
    assert disclosure.made_without_ai() == "Made by software without an AI model: images drawn by software."


def test_a_film_without_generated_media_claims_none(tmp_path):
    film = load_project(small_film(tmp_path / "film", takes=False))
    disclosure = disclose(film, generation_used(film))
    assert not disclosure.any and disclosure.sources == []
    assert disclosure.sentence() == "This film contains no AI-generated video, images or voices."


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


def test_an_animatic_film_with_scratch_voices_claims_no_ai_in_its_card_credits_tags_and_credential(tmp_path,
                                                                                                 capsys):
    folder = small_film(tmp_path / "film", takes=False)
    for shot in ("sh010", "sh020", "sh030"):  # every take from the offline animatic provider
        make_take(folder, shot, "t001", {"provider": "animatic", "model": "ken-burns", "seed": 1})
    film = load_project(folder)
    result = export_film(film, "web", signing=make_test_signing())
    disclosure = result.disclosure
    expected = ("This film contains no AI-generated video, images or voices. Made by software without an AI "
                "model: animatic video and synthetic voices (eSpeak NG).")
    assert not disclosure.any and disclosure.sentence() == expected  # the card's words
    lines = dict(credit_lines(film, generation_used(film), disclosure.credit_line()))
    assert "Generated with" not in lines
    assert lines["Made without an AI model"] == ["ken-burns (animatic) — sh010, sh020, sh030"]
    assert lines["AI-use disclosure"] == [("This film contains no AI-generated video, images or voices. Made by "
                                           "software without an AI model: animatic video in sh010, sh020, sh030; "
                                           "synthetic voices (eSpeak NG) in sh010.")]
    tags = _tags(result.path)  # read back from the exported file
    assert tags["comment"] == expected
    assert "AI-generated video:" not in tags["description"] and "Made with:" not in tags["description"]
    assert "animatic video, no AI model: sh010, sh020, sh030" in tags["description"]
    credential = read_credential(result.path)  # and from its content credential
    assert credential.created == COMPOSITE_SYNTHETIC
    assert credential.disclosure["statement"] == expected and credential.disclosure["ai_generated"] is False
    assert credential.disclosure["shots"] == {} and credential.disclosure["models"] == []
    assert {(i["title"], i["digital_source_type"]) for i in credential.ingredients} == {
        ("sh010/t001.mp4", ALGORITHMIC), ("sh020/t001.mp4", ALGORITHMIC), ("sh030/t001.mp4", ALGORITHMIC),
        ("voices/sh010-01.wav", ALGORITHMIC)}
    assert TRAINED not in json.dumps(credential.disclosure)
    assert main(["verify", str(result.path)]) == 0
    out = capsys.readouterr().out
    assert "created as compositeSynthetic (no AI-generated media)" in out
    assert "synthetic voices (eSpeak NG): sh010 (algorithmicMedia)" in out and "AI-generated" not in \
        out.replace("no AI-generated", "")


def test_generated_takes_are_disclosed_alike_in_tags_credential_and_credits(tmp_path):
    folder = small_film(tmp_path / "film")
    film = load_project(folder)
    result = export_film(film, "web", signing=make_test_signing())
    sentence = f"This film contains AI-generated video. {ESPEAK}"
    assert result.disclosure.sentence() == sentence
    assert _tags(result.path)["comment"] == sentence
    credential = read_credential(result.path)
    assert credential.created == COMPOSITE and credential.disclosure["statement"] == sentence
    assert credential.disclosure["shots"] == {"video": ["sh010", "sh020"]}
    assert [(i["title"], i["digital_source_type"]) for i in credential.ingredients] == [
        ("sh010/t001.mp4", TRAINED), ("sh020/t001.mp4", TRAINED), ("voices/sh010-01.wav", ALGORITHMIC)]
    lines = dict(credit_lines(film, generation_used(film), result.disclosure.credit_line()))
    assert lines["Generated with"] == ["gen4_turbo (runway) — sh010", "kling-v2-1 (kling) — sh020"]
    assert lines["AI-use disclosure"][0].startswith("This film contains AI-generated video: video in sh010, sh020.")


def test_a_film_of_boards_alone_is_a_plain_composite(tmp_path):
    folder = small_film(tmp_path / "film", takes=False)
    (folder / "shotreel.yaml").write_text((folder / "shotreel.yaml").read_text().replace(
        "dialogue: [{character: MARA, line: Hello?}]", "dialogue: []"))
    result = export_film(load_project(folder), "web", signing=make_test_signing())
    assert _tags(result.path)["comment"] == "This film contains no AI-generated video, images or voices."
    credential = read_credential(result.path)
    assert credential.created == COMPOSITE_PLAIN and credential.ingredients == []
