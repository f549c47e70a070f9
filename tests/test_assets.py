"""``shotreel assets``: each asset's reference sheet, views made through the engine, approvals by view name
feeding every board and take of the shots the asset is in."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image
from shotreel.approvals import load_approvals
from shotreel.assets import (
    AssetError,
    approve_views,
    asset_views,
    make_assets,
    revoke_views,
    view_prompt,
    view_size,
    views_for,
)
from shotreel.checks import run_checks as check_film
from shotreel.cli import main
from shotreel.project import load_project
from shotreel.prompts import build_request

from tests.servers import fake_server  # noqa: F401  (pytest fixture)

from ._generation import draw_plain_boards


def _view(root: Path, asset: str, name: str, size=(200, 300), colour=(120, 90, 60)) -> Path:
    path = root / "refs" / asset / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, colour).save(path)
    return path


def _text(root: Path) -> str:
    return (root / "shotreel.yaml").read_text(encoding="utf-8")


def test_without_a_provider_the_sheet_lays_out_the_references_there_are(example_dir, capsys):
    _view(example_dir, "mara", "front")
    _view(example_dir, "mara", "sketch", (300, 300))  # a file the user put there is shown too
    before = _text(example_dir)
    assert main(["assets", str(example_dir)]) == 0
    out = capsys.readouterr().out
    assert "mara (character): 2 references, none approved; not made yet: three-quarter, profile, back" in out
    for asset in ("mara", "vesna_interior", "plant"):
        sheet = example_dir / "refs" / asset / "sheet.png"
        with Image.open(sheet) as image:
            assert image.format == "PNG" and image.width >= 900
    assert not (example_dir / ".shotreel" / "ledger.sqlite").exists(), "nothing generated, nothing recorded"
    assert sorted(p.name for p in (example_dir / "refs" / "mara").iterdir()) == ["front.png", "sheet.png", "sketch.png"]
    assert _text(example_dir) == before


def test_views_per_kind_with_their_shapes_and_prompts(example_film):
    mara, interior, plant = (example_film.asset(a) for a in ("mara", "vesna_interior", "plant"))
    assert [v.name for v in views_for(mara)] == ["front", "three-quarter", "profile", "back", "neutral", "smile",
                                                 "fear"]
    assert [v.name for v in views_for(interior)] == ["wide", "reverse"]
    assert [v.name for v in views_for(plant)] == ["front", "side", "three-quarter", "top"]
    assert view_size(example_film, views_for(mara)[0]) == (682, 1024)  # full length, 2:3 portrait
    assert view_size(example_film, views_for(mara)[4]) == (1024, 1024)
    assert view_size(example_film, views_for(interior)[0]) == (1024, 576)  # the film's 16:9
    prompt = view_prompt(example_film, mara, views_for(mara)[2])
    assert prompt.startswith("Character reference sheet of mara: Mara Ilves, forty, Estonian")
    assert "in profile facing left" in prompt and "Plain neutral grey background" in prompt
    assert prompt.endswith("Era: a worn 2080s research vessel, no holograms.")
    assert "neutral grey background" not in view_prompt(example_film, interior, views_for(interior)[0])


def test_approving_views_records_them_feeds_the_take_requests_and_quiets_check(example_dir, capsys):
    film = load_project(example_dir)
    draw_plain_boards(film)
    assert any(f.code == "no-references" and "'mara'" in f.message for f in check_film(film).findings)
    front = _view(example_dir, "mara", "front")
    profile = _view(example_dir, "mara", "profile", colour=(10, 200, 10))
    before = _text(example_dir)
    assert main(["assets", str(example_dir), "mara", "--approve", "front", "profile"]) == 0
    assert "mara: approved front, profile (2 approved views)" in capsys.readouterr().out
    assert _text(example_dir) == before, "shotreel.yaml is never rewritten"
    film = load_project(example_dir)
    assert load_approvals(film) == {"mara": ["refs/mara/front.png", "refs/mara/profile.png"]}
    request = build_request(film, film.shot("sh020"), "runway", "gen4_turbo", "t001")
    assert request.reference_images == (front.resolve(), profile.resolve())
    assert not any(f.code == "no-references" and "'mara'" in f.message for f in check_film(film).findings)
    capsys.readouterr()
    assert main(["generate", str(example_dir), "--shots", "sh020", "--dry-run"]) == 0
    assert "  references   refs/mara/front.png, refs/mara/profile.png\n" in capsys.readouterr().out
    states = {s.name: s for s in asset_views(film, film.asset("mara"))}
    assert states["front"].approved and states["profile"].approved and not states["back"].exists

    assert main(["assets", str(example_dir), "mara", "--revoke", "front"]) == 0
    film = load_project(example_dir)
    assert build_request(film, film.shot("sh020"), "runway", "gen4_turbo", "t001").reference_images == (
        profile.resolve(),)
    assert front.is_file(), "withdrawing an approval keeps the file"


def test_approving_a_view_that_does_not_exist_names_the_asset_and_the_views_there_are(example_dir, capsys):
    _view(example_dir, "mara", "front")
    _view(example_dir, "mara", "back")
    assert main(["assets", str(example_dir), "mara", "--approve", "front", "side"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "asset mara: no view 'side' in refs/mara/ (views there: back, front)" in err
    assert not (example_dir / "approvals.yaml").exists(), "nothing approved when one view is wrong"
    assert main(["assets", str(example_dir), "nobody", "--approve", "front"]) == 2
    assert "no asset 'nobody' in the project (assets: mara, vesna_interior, plant)" in capsys.readouterr().err
    assert main(["assets", str(example_dir), "ghost"]) == 2
    assert "no asset 'ghost'" in capsys.readouterr().err


def test_a_view_that_is_not_an_image_is_refused_by_name(example_dir, capsys):
    bad = example_dir / "refs" / "mara" / "front.png"
    bad.parent.mkdir(parents=True)
    bad.write_text("a note, not a picture")
    film = load_project(example_dir)
    with pytest.raises(AssetError, match="asset mara: view refs/mara/front.png is not an image"):
        approve_views(film, "mara", ["front"])
    assert main(["assets", str(example_dir), "mara"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.endswith("asset mara: reference refs/mara/front.png is not an image (PNG, JPEG, TIFF, EXR, DPX, "
                        "WebP, BMP or GIF)") and len(err.splitlines()) == 1
    assert not (example_dir / "refs" / "mara" / "sheet.png").exists()


def test_revoking_a_view_whose_file_is_gone_works_by_name(example_film):
    front = _view(example_film.root, "mara", "front")
    approve_views(example_film, "mara", ["front"])
    front.unlink()
    assert revoke_views(example_film, "mara", ["front"]) == []
    with pytest.raises(AssetError, match="asset mara: no view 'front'"):
        approve_views(example_film, "mara", ["front"])


def test_json_lists_each_reference_with_its_approval(example_dir, capsys):
    _view(example_dir, "plant", "front", (400, 400))
    approve_views(load_project(example_dir), "plant", ["front"])
    assert main(["assets", str(example_dir), "plant", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    (plant,) = data["assets"]
    views = {v["name"]: v for v in plant["views"]}
    assert views["front"] == {"name": "front", "path": "refs/plant/front.png", "exists": True, "approved": True,
                              "typed": False}
    assert views["side"]["exists"] is False and plant["sheet"].endswith("refs/plant/sheet.png")


def test_typed_references_lead_the_sheet_as_approved(example_dir):
    _view(example_dir, "mara", "front")
    typed = example_dir / "refs" / "mara_photo.jpg"
    Image.new("RGB", (300, 400), (200, 180, 160)).save(typed)
    film = load_project(example_dir)
    film.asset("mara").references = ["refs/mara_photo.jpg"]
    result = make_assets(film, ["mara"])
    (sheet,) = result.sheets
    assert [(v.name, v.typed, v.approved, v.exists) for v in sheet.views[:2]] == [
        ("mara_photo.jpg", True, True, True), ("front", False, False, True)]
    assert sheet.sheet == example_dir / "refs" / "mara" / "sheet.png" and sheet.sheet.is_file()


# -- views made through the engine -------------------------------------------------------------------------

def test_the_animatic_makes_every_missing_view_at_its_size_with_a_sidecar_and_never_again(example_dir, capsys):
    _view(example_dir, "mara", "front", (682, 1024))  # already there: kept, not made again
    kept = (example_dir / "refs" / "mara" / "front.png").read_bytes()
    assert main(["assets", str(example_dir), "mara", "plant", "--provider", "animatic"]) == 0
    out = capsys.readouterr().out
    assert "views: 10 made, 0 failed · $0.00 spent" in out
    assert "done     asset:mara/profile  refs/mara/profile.png" in out
    film = load_project(example_dir)
    sizes = {"three-quarter": (682, 1024), "profile": (682, 1024), "back": (682, 1024), "neutral": (1024, 1024),
             "smile": (1024, 1024), "fear": (1024, 1024)}
    for name, size in sizes.items():
        with Image.open(example_dir / "refs" / "mara" / f"{name}.png") as image:
            assert image.size == size, name
        sidecar = json.loads((example_dir / "refs" / "mara" / f"{name}.json").read_text())
        assert sidecar["provider"] == "animatic" and sidecar["kind"] == "image" and sidecar["view"] == name
        assert sidecar["asset"] == "mara" and "asset:mara:description" in sidecar["inputs"]
        assert sidecar["prompt"] == view_prompt(film, film.asset("mara"),
                                                next(v for v in views_for(film.asset("mara")) if v.name == name))
    for name in ("front", "side", "three-quarter", "top"):
        with Image.open(example_dir / "refs" / "plant" / f"{name}.png") as image:
            assert image.size == (1024, 1024)
    assert (example_dir / "refs" / "mara" / "front.png").read_bytes() == kept
    assert not (example_dir / "refs" / "mara" / "front.json").exists()
    assert (example_dir / "refs" / "mara" / "sheet.png").is_file() and (example_dir / "refs/plant/sheet.png").is_file()
    assert not (example_dir / "refs" / "vesna_interior").exists(), "only the assets named"

    assert main(["assets", str(example_dir), "mara", "plant", "--provider", "animatic"]) == 0
    assert "views: 0 made" in capsys.readouterr().out


def test_approved_views_are_the_references_of_the_views_made_after_them(example_dir):
    _view(example_dir, "plant", "front", (1024, 1024), (30, 160, 60))
    approve_views(load_project(example_dir), "plant", ["front"])
    result = make_assets(load_project(example_dir), ["plant"], "animatic")
    assert sorted(o.take for o in result.generation.done) == ["side", "three-quarter", "top"]
    for job in result.jobs:
        assert job.request.reference_images == ((example_dir / "refs" / "plant" / "front.png").absolute(),)
    side = json.loads((example_dir / "refs" / "plant" / "side.json").read_text())
    assert [r["path"] for r in side["reference_images"]] == ["refs/plant/front.png"]
    (sheet,) = result.sheets
    assert [v.name for v in sheet.approved] == ["front"]


def test_dry_run_prices_the_views_and_writes_nothing(example_dir, capsys):
    assert main(["assets", str(example_dir), "vesna_interior", "--provider", "animatic", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "asset:vesna_interior/wide  refs/vesna_interior/wide  1024x576  references -" in out
    assert "dry run: 2 views with animatic/sketch, estimated cost $0.00; nothing was sent" in out
    assert not (example_dir / "refs" / "vesna_interior").exists()
    assert not (example_dir / ".shotreel" / "ledger.sqlite").exists()


def test_a_provider_without_stills_or_without_reference_images_is_refused_first(example_dir, capsys,
                                                                               fake_server, monkeypatch):  # noqa: F811
    from shotreel.generation.providers import comfyui
    server = fake_server("comfyui")
    monkeypatch.setenv("SHOTREEL_COMFYUI_BASE_URL", server.url)
    _view(example_dir, "mara", "front")
    approve_views(load_project(example_dir), "mara", ["front"])
    assert main(["assets", str(example_dir), "mara", "--provider", "comfyui",
                 "--workflow", str(comfyui.DEFAULT_IMAGE_WORKFLOWS[0])]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "comfyui image_workflow takes no reference images, and asset mara has 1 approved reference image" in err
    assert server.submissions == [] and not (example_dir / "refs" / "mara" / "profile.png").exists()
    assert main(["assets", str(example_dir), "mara", "--provider", "luma"]) == 2
    assert "luma does not make still images" in capsys.readouterr().err


def test_comfyui_makes_the_views_with_the_approved_reference(example_dir, capsys, fake_server, monkeypatch):  # noqa: F811
    server = fake_server("comfyui")
    monkeypatch.setenv("SHOTREEL_COMFYUI_BASE_URL", server.url)
    _view(example_dir, "vesna_interior", "wide", (1024, 576), (20, 30, 90))
    approve_views(load_project(example_dir), "vesna_interior", ["wide"])
    assert main(["assets", str(example_dir), "vesna_interior", "--provider", "comfyui"]) == 0
    assert "views: 1 made" in capsys.readouterr().out
    assert len(server.submissions) == 1
    (job,) = server.jobs.values()
    assert len(job.extra["references"]) == 1
    reverse = next(p for p in (example_dir / "refs" / "vesna_interior").glob("reverse.*") if p.suffix != ".json")
    with Image.open(reverse) as image:
        assert image.size == (1024, 576)
    assert json.loads(reverse.with_suffix(".json").read_text())["provider"] == "comfyui"


def test_views_approved_together_stay_current_and_a_changed_description_remakes_them(example_dir, capsys):
    assert main(["assets", str(example_dir), "plant", "--provider", "animatic"]) == 0
    assert main(["assets", str(example_dir), "plant", "--approve", "front", "side"]) == 0
    capsys.readouterr()
    assert main(["stale", str(example_dir)]) == 0, "views of one batch approved together are not stale"
    assert "nothing stale" in capsys.readouterr().out

    text = _text(example_dir)
    assert "A single climbing plant" in text
    (example_dir / "shotreel.yaml").write_text(text.replace("A single climbing plant", "A withered climbing plant"),
                                               encoding="utf-8")
    assert main(["stale", str(example_dir)]) == 1
    assert "refs/plant/top.png" in capsys.readouterr().out
    before = (example_dir / "refs" / "plant" / "top.png").read_bytes()

    assert main(["assets", str(example_dir), "plant", "--provider", "animatic", "--stale"]) == 0
    out = capsys.readouterr().out
    assert "views: 4 made" in out
    assert "withdrawn refs/plant/front.png" in out and "withdrawn refs/plant/side.png" in out
    assert (example_dir / "refs" / "plant" / "top.png").read_bytes() != before
    assert load_approvals(load_project(example_dir)).get("plant", []) == []
    assert main(["stale", str(example_dir)]) == 0
    capsys.readouterr()


def test_stale_views_need_a_provider(example_dir, capsys):
    assert main(["assets", str(example_dir), "plant", "--stale"]) == 2
    assert "--stale makes views again, so it needs --provider P" in capsys.readouterr().err
