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
