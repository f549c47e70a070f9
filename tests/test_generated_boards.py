"""Generated boards: candidates per shot through the real engine (the offline animatic's sketch, and the local
ComfyUI server), the contact sheet showing them side by side, choosing one as the shot's board — and an
artist's board, drawn or rendered, never replaced."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from PIL import Image
from shotreel.approvals import approve
from shotreel.board_renders import adopt_render, render_targets
from shotreel.boards import draw_boards, is_shotreel_card
from shotreel.cli import main
from shotreel.errors import BoardError
from shotreel.generated_boards import candidates, choose_candidate, generate_boards
from shotreel.generation.ledger import Ledger
from shotreel.generation.providers import comfyui
from shotreel.project import load_project
from shotreel.prompts import build_board_prompt

from tests.servers import fake_server  # noqa: F401  (pytest fixture)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _edit(root: Path, old: str, new: str) -> None:
    path = root / "shotreel.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _approve_view(root: Path, asset: str, view: str, colour=(200, 40, 40)) -> Path:
    path = root / "refs" / asset / f"{view}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (320, 480), colour).save(path)
    approve(load_project(root), asset, [f"refs/{asset}/{view}.png"])
    return path


def _jobs(root: Path) -> list:
    reader = Ledger.open_readonly(root)
    if reader is None:
        return []
    with reader:
        return list(reader.jobs())


def test_candidates_at_the_films_size_with_sidecars_then_choosing_one_replaces_only_the_card(example_dir, capsys):
    assert main(["boards", str(example_dir)]) == 0  # shotreel's own cards first
    card = example_dir / "boards" / "sh020.png"
    assert is_shotreel_card(card)
    front = _approve_view(example_dir, "mara", "front")
    assert main(["boards", str(example_dir), "--generate", "--candidates", "2", "--provider", "animatic",
                 "--shots", "sh020,sh030"]) == 0
    out = capsys.readouterr().out
    assert "stills: 4 made, 0 failed · $0.00 spent" in out and "look at the contact sheet" in out
    folder = example_dir / "boards" / "candidates" / "sh020"
    assert sorted(p.name for p in folder.iterdir()) == ["c001.json", "c001.png", "c002.json", "c002.png"]
    for name in ("c001", "c002"):
        with Image.open(folder / f"{name}.png") as still:
            assert still.size == (1920, 1080), "a board at the film's size"
        sidecar = json.loads((folder / f"{name}.json").read_text())
        assert sidecar["provider"] == "animatic" and sidecar["model"] == "sketch" and sidecar["kind"] == "image"
        assert sidecar["candidate"] == name and sidecar["shot"] == "sh020"
        assert "asset:mara:reference:refs/mara/front.png" in sidecar["inputs"]
        assert [r["path"] for r in sidecar["reference_images"]] == ["refs/mara/front.png"]
    assert json.loads((folder / "c001.json").read_text())["prompt"] == build_board_prompt(
        load_project(example_dir), load_project(example_dir).shot("sh020"))
    assert "contact sheet: " in out and "4 candidates" in out

    film = load_project(example_dir)
    assert [c.name for c in candidates(film, film.shot("sh020"))] == ["c001", "c002"]
    chosen = choose_candidate(film, "sh020", "c002")
    assert chosen.written == [card] and _sha(card) == _sha(folder / "c002.png")
    record = json.loads((example_dir / "boards" / "sh020.json").read_text())
    assert record["chosen"]["candidate"] == "c002" and record["sha256"] == _sha(card)
    assert record["provider"] == "animatic" and record["path"] == "boards/sh020.png"
    assert [c.chosen for c in candidates(film, film.shot("sh020"))] == [False, True]
    # a chosen board may be chosen again, and `shotreel boards` keeps it rather than drawing a card over it
    assert main(["boards", str(example_dir), "--choose", "sh020", "c001"]) == 0
    assert _sha(card) == _sha(folder / "c001.png")
    result = draw_boards(load_project(example_dir))
    assert result.chosen == [card] and card not in result.written and _sha(card) == _sha(folder / "c001.png")
    assert front.is_file()


def test_generate_again_makes_only_the_missing_candidates_and_pays_nothing_twice(example_dir, capsys):
    film = load_project(example_dir)
    first = generate_boards(film, "animatic", shots=["sh060"], candidates=1)
    assert [o.key for o in first.generation.done] == ["sh060/c001"]
    again = generate_boards(load_project(example_dir), "animatic", shots=["sh060"], candidates=1)
    assert again.jobs == [] and again.generation.done == []
    more = generate_boards(load_project(example_dir), "animatic", shots=["sh060"], candidates=3)
    assert sorted(o.take for o in more.generation.done) == ["c002", "c003"]
    assert sorted(r.take for r in _jobs(example_dir) if r.shot == "sh060") == ["c001", "c002", "c003"]


def test_an_end_board_gets_an_end_still_and_choosing_writes_both(example_dir):
    _edit(example_dir, "        assets: [mara, vesna_interior]\n      - id: sh030",
          "        assets: [mara, vesna_interior]\n        boards: [{path: boards/sh020_end.png, role: end}]\n"
          "      - id: sh030")
    film = load_project(example_dir)
    made = generate_boards(film, "animatic", shots=["sh020"], candidates=1)
    assert sorted(o.take for o in made.generation.done) == ["c001", "c001-end"]
    end_sidecar = json.loads((example_dir / "boards/candidates/sh020/c001-end.json").read_text())
    start_sidecar = json.loads((example_dir / "boards/candidates/sh020/c001.json").read_text())
    assert "last frame, after the camera move (push in)" in end_sidecar["prompt"]
    assert "first frame, before the camera move (push in)" in start_sidecar["prompt"]
    assert end_sidecar["seed"] == start_sidecar["seed"], "the end still keeps the start's seed"
    chosen = choose_candidate(load_project(example_dir), "sh020", "c001")
    assert chosen.written == [example_dir / "boards/sh020.png", example_dir / "boards/sh020_end.png"]
    assert _sha(example_dir / "boards/sh020_end.png") == _sha(example_dir / "boards/candidates/sh020/c001-end.png")
    assert json.loads((example_dir / "boards/sh020_end.json").read_text())["chosen"]["candidate"] == "c001"


def test_an_artists_board_drawn_or_rendered_is_never_replaced(example_dir, capsys):
    artist = example_dir / "boards" / "sh030.png"
    artist.parent.mkdir(exist_ok=True)
    Image.new("RGB", (1920, 1080), (10, 20, 30)).save(artist)
    drawn = _sha(artist)
    film = load_project(example_dir)
    # Blender renders sh040's board, recorded in .shotreel/board-renders.json
    target = next(t for t in render_targets(film) if t.shot == "sh040")
    rendered = example_dir / "boards" / "sh040.render.png"
    Image.new("RGB", (1920, 1080), (60, 60, 60)).save(rendered)
    adopt_render(film, target, rendered)
    render_sha = _sha(example_dir / "boards" / "sh040.png")

    made = generate_boards(load_project(example_dir), "animatic", candidates=1)  # every shot by default
    skipped = dict(made.skipped)
    assert set(skipped) == {"sh030", "sh040"} and "drawn or painted by an artist" in skipped["sh030"]
    assert "rendered in Blender" in skipped["sh040"]
    assert len(made.generation.done) == 10

    assert main(["boards", str(example_dir), "--generate", "--shots", "sh030,sh040", "--provider", "animatic"]) == 0
    capsys.readouterr()
    for shot in ("sh030", "sh040"):
        assert main(["boards", str(example_dir), "--choose", shot, "c001"]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and f"shot {shot}: boards/{shot}.png" in err
        assert "never replaces it" in err
    assert _sha(artist) == drawn and _sha(example_dir / "boards" / "sh040.png") == render_sha
    assert not (example_dir / "boards" / "sh030.json").exists()


def test_choosing_a_candidate_that_does_not_exist_names_the_ones_there_are(example_dir, capsys):
    generate_boards(load_project(example_dir), "animatic", shots=["sh010"], candidates=2)
    assert main(["boards", str(example_dir), "--choose", "sh010", "c007"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.endswith("shot sh010: no candidate 'c007' in boards/candidates/sh010/ (candidates: c001, c002)")
    assert main(["boards", str(example_dir), "--choose", "sh999", "c001"]) == 2
    assert "no shot 'sh999'" in capsys.readouterr().err
    with pytest.raises(BoardError, match="none yet"):
        choose_candidate(load_project(example_dir), "sh020", "c001")
    assert not (example_dir / "boards" / "sh010.png").exists()


def test_the_contact_sheet_shows_candidates_beside_their_board(example_dir):
    generate_boards(load_project(example_dir), "animatic", shots=["sh050"], candidates=3)
    from shotreel.boards import contact_sheet
    sheet = contact_sheet(load_project(example_dir))
    assert sheet.shots == 12 and sheet.candidates == 3
    with Image.open(sheet.png) as image:  # one row per shot: its board and three candidates, 12 rows
        assert image.height > 2 * image.width
    from pypdf import PdfReader
    text = "".join(page.extract_text() for page in PdfReader(sheet.pdf).pages)
    assert text.count("candidate c00") == 3 and "12 shots" in text


def test_dry_run_prices_and_sends_nothing(example_dir, capsys):
    _approve_view(example_dir, "mara", "front")
    assert main(["boards", str(example_dir), "--generate", "--dry-run", "--shots", "sh020", "--candidates", "2",
                 "--provider", "animatic"]) == 0
    out = capsys.readouterr().out
    assert "sh020/c001  boards/candidates/sh020/c001  1920x1080  references refs/mara/front.png" in out
    assert "dry run: 2 stills with animatic/sketch, estimated cost $0.00; nothing was sent" in out
    assert not (example_dir / "boards" / "candidates").exists()
    assert not (example_dir / ".shotreel" / "ledger.sqlite").exists()


@pytest.fixture
def comfy(fake_server, monkeypatch):  # noqa: F811
    server = fake_server("comfyui")
    monkeypatch.setenv("SHOTREEL_COMFYUI_BASE_URL", server.url)
    return server


def test_comfyui_makes_the_candidates_with_the_approved_references(example_dir, comfy, capsys):
    _approve_view(example_dir, "mara", "front")
    _approve_view(example_dir, "vesna_interior", "wide", (20, 40, 200))
    assert main(["boards", str(example_dir), "--generate", "--dry-run", "--shots", "sh020",
                 "--provider", "comfyui"]) == 0
    assert comfy.submissions == [], "a dry run sends nothing"
    assert main(["boards", str(example_dir), "--generate", "--shots", "sh020", "--provider", "comfyui"]) == 0
    assert "stills: 1 made" in capsys.readouterr().out
    assert len(comfy.submissions) == 1
    (job,) = comfy.jobs.values()
    loaded = job.extra["references"]
    assert len(loaded) == 2, "both assets' approved views reach the workflow"
    still = next((example_dir / "boards" / "candidates" / "sh020").glob("c001.*"))
    sidecar = json.loads(still.with_suffix(".json").read_text())
    assert sidecar["provider"] == "comfyui" and [r["path"] for r in sidecar["reference_images"]] == [
        "refs/mara/front.png", "refs/vesna_interior/wide.png"]
    assert main(["boards", str(example_dir), "--generate", "--shots", "sh020", "--provider", "comfyui"]) == 0
    assert len(comfy.submissions) == 1, "never paid twice"


def test_a_provider_that_takes_no_reference_images_is_refused_before_anything_is_sent(example_dir, comfy, capsys):
    _approve_view(example_dir, "mara", "front")
    text_only = str(comfyui.DEFAULT_IMAGE_WORKFLOWS[0])
    assert main(["boards", str(example_dir), "--generate", "--shots", "sh020", "--provider", "comfyui",
                 "--workflow", text_only]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "shot sh020: comfyui image_workflow takes no reference images" in err
    assert "the shot's assets have 1 approved reference image" in err
    assert comfy.submissions == [] and not (example_dir / "boards" / "candidates").exists()
    assert _jobs(example_dir) == []
    # a shot without approved references is fine with it
    assert main(["boards", str(example_dir), "--generate", "--shots", "sh030", "--provider", "comfyui",
                 "--workflow", text_only]) == 0
    assert len(comfy.submissions) == 1


def test_runway_is_priced_first_takes_one_reference_of_each_asset_and_is_paid_once(example_dir, fake_server,  # noqa: F811
                                                                                    monkeypatch, capsys):
    server = fake_server("runway")
    monkeypatch.setenv("SHOTREEL_RUNWAY_BASE_URL", server.url)
    monkeypatch.setenv("RUNWAYML_API_SECRET", server.api_key)
    _approve_view(example_dir, "mara", "front")
    _approve_view(example_dir, "mara", "profile", (200, 200, 40))
    _approve_view(example_dir, "vesna_interior", "wide", (20, 40, 200))
    _approve_view(example_dir, "plant", "front", (20, 200, 40))
    command = ["boards", str(example_dir), "--generate", "--shots", "sh050", "--candidates", "2",
               "--provider", "runway", "--poll-interval", "0.05"]
    assert main([*command, "--dry-run"]) == 0
    out = capsys.readouterr().out
    three = "references refs/mara/front.png, refs/vesna_interior/wide.png, refs/plant/front.png"
    assert f"sh050/c001  boards/candidates/sh050/c001  1920x1080  {three}" in out, "one of each asset, three in all"
    assert "dry run: 2 stills with runway/gen4_image, estimated cost $0.16; nothing was sent" in out
    assert server.submissions == [] and not (example_dir / "boards" / "candidates").exists()

    assert main(command) == 0
    out = capsys.readouterr().out
    assert "stills: 2 made, 0 failed · $0.16 spent" in out
    assert len(server.submissions) == 2
    for job in server.jobs.values():
        assert len(job.extra["references"]) == 3
    assert main(command) == 0
    assert len(server.submissions) == 2, "nothing is paid twice"
    assert server.api_key not in (example_dir / "boards/candidates/sh050/c001.json").read_text()
