"""``shotreel stale``: takes made offline with the animatic provider, then one input changed at a time — exactly
the boards and takes made from it are named, with the input and how; the reel marks them; check counts them;
``generate --stale`` regenerates exactly those shots."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import opentimelineio as otio
import pytest
from PIL import Image
from shotreel.approvals import approve, revoke
from shotreel.checks import check_project
from shotreel.cli import main
from shotreel.project import load_project
from shotreel.stale import asset_inputs, shot_inputs, stale_report, take_inputs

from tests._generation import draw_plain_boards

PROJECT = """\
title: Stale test
fps: 24
resolution: 320x180
style: Grainy 35mm, amber practicals.
beats:
  - id: b1
assets:
  - id: mara
    kind: character
    description: Mara, forty, grey-streaked hair.
    references: [refs/mara/front.png]
  - id: ship
    kind: location
    description: A narrow steel corridor.
scenes:
  - id: sc01
    heading: INT. SHIP - NIGHT
    shots:
      - id: sh010
        beat: b1
        duration: 1s
        action: Mara floats down the corridor.
        camera: {size: MS, movement: push in}
        assets: [mara]
      - id: sh020
        beat: b1
        duration: 1s
        action: Mara taps the gauge.
        camera: {size: CU, movement: static}
        assets: [mara, ship]
      - id: sh030
        beat: b1
        duration: 1s
        action: The fan slows and stops.
        camera: {size: WS, movement: pull out}
        assets: [ship]
"""


def _image(path: Path, colour: tuple[int, int, int]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (64, 64), colour).save(path)


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    """A project whose three shots each have one take made by the offline animatic provider, with mara's typed
    reference and ship's approved generated view."""
    root = tmp_path_factory.mktemp("stale") / "film"
    root.mkdir()
    (root / "shotreel.yaml").write_text(PROJECT, encoding="utf-8")
    _image(root / "refs/mara/front.png", (200, 40, 40))
    _image(root / "refs/ship/wide.png", (40, 40, 200))
    film = load_project(root)
    approve(film, "ship", ["refs/ship/wide.png"])
    draw_plain_boards(film, (320, 180))
    assert main(["generate", str(root)]) == 0
    return root


@pytest.fixture
def project(generated: Path, tmp_path: Path) -> Path:
    """A fresh copy of the generated project for one test to change."""
    copy = tmp_path / "film"
    shutil.copytree(generated, copy, symlinks=True)
    return copy


def _edit(root: Path, old: str, new: str) -> None:
    path = root / "shotreel.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def _stale(root: Path, capsys) -> tuple[int, list[str]]:
    capsys.readouterr()
    code = main(["stale", str(root)])
    lines = [line for line in capsys.readouterr().out.splitlines() if line.strip()]
    return code, lines


def test_every_take_records_its_inputs_and_an_unchanged_project_has_nothing_stale(project, capsys):
    sidecar = json.loads((project / "takes/sh020/t001.json").read_text())
    film = load_project(project)
    assert sidecar["inputs"] == shot_inputs(film, "sh020")
    assert set(sidecar["inputs"]) >= {"shot:action", "shot:camera", "style", "asset:mara:description",
                                      "asset:mara:reference:refs/mara/front.png", "asset:ship:description",
                                      "asset:ship:reference:refs/ship/wide.png"}
    code, lines = _stale(project, capsys)
    assert code == 0
    assert lines == ["nothing stale (checked 3 takes, 0 generated boards, 0 generated views)"]
    assert main(["stale", str(project)]) == 0  # a second run, from the remembered digests, agrees


def test_a_changed_reference_names_exactly_the_takes_of_the_shots_that_use_it(project, capsys):
    _image(project / "refs/mara/front.png", (10, 200, 10))
    code, lines = _stale(project, capsys)
    assert code == 1
    assert lines[:2] == ["sh010 take t001: asset mara: reference refs/mara/front.png changed",
                         "sh020 take t001: asset mara: reference refs/mara/front.png changed"]
    assert lines[2].startswith("stale: 2 takes in 2 shots; 2 shots without a current take")


def test_an_approved_view_changed_or_withdrawn(project, capsys):
    _image(project / "refs/ship/wide.png", (0, 0, 0))
    _, lines = _stale(project, capsys)
    assert lines[:2] == ["sh020 take t001: asset ship: reference refs/ship/wide.png changed",
                         "sh030 take t001: asset ship: reference refs/ship/wide.png changed"]
    revoke(load_project(project), "ship", ["refs/ship/wide.png"])
    _, lines = _stale(project, capsys)
    assert lines[:2] == ["sh020 take t001: asset ship: reference refs/ship/wide.png removed",
                         "sh030 take t001: asset ship: reference refs/ship/wide.png removed"]


def test_description_style_action_and_assets_each_name_their_shots(project, capsys):
    _edit(project, "description: Mara, forty, grey-streaked hair.", "description: Mara, forty, shaved head.")
    _, lines = _stale(project, capsys)
    assert lines[:2] == ["sh010 take t001: asset mara: description changed",
                         "sh020 take t001: asset mara: description changed"]
    _edit(project, "description: Mara, forty, shaved head.", "description: Mara, forty, grey-streaked hair.")
    _edit(project, "action: The fan slows and stops.", "action: The fan coughs, slows and stops.")
    _, lines = _stale(project, capsys)
    assert lines[:1] == ["sh030 take t001: action changed"] and lines[1].startswith("stale: 1 take in 1 shot")
    _edit(project, "style: Grainy 35mm, amber practicals.", "style: Clean digital, cold light.")
    _edit(project, "assets: [ship]", "assets: [ship, mara]")
    _, lines = _stale(project, capsys)
    assert lines[:3] == ["sh010 take t001: style changed", "sh020 take t001: style changed",
                         "sh030 take t001: action changed; style changed; asset mara added to the shot"]


def test_json_for_tools(project, capsys):
    _image(project / "refs/mara/front.png", (10, 200, 10))
    capsys.readouterr()
    assert main(["stale", str(project), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["shots"] == ["sh010", "sh020"] and data["regenerate"] == ["sh010", "sh020"]
    assert data["counts"] == {"take": 2, "board": 0, "view": 0} and data["checked"]["take"] == 3
    first = data["stale"][0]
    assert first == {
        "kind": "take", "path": "takes/sh010/t001.mp4", "shot": "sh010", "take": "t001", "inputs_recorded": True,
        "superseded_by": None, "reasons": ["asset mara: reference refs/mara/front.png changed"],
        "changes": [{"input": "asset:mara:reference:refs/mara/front.png", "how": "changed",
                     "reason": "asset mara: reference refs/mara/front.png changed"}]}


def test_generate_stale_prices_then_makes_exactly_the_stale_shots(project, capsys):
    _edit(project, "description: A narrow steel corridor.", "description: A wide flooded corridor.")
    capsys.readouterr()
    assert main(["generate", str(project), "--stale", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "stale sh020 take t001: asset ship: description changed" in out
    costs = [line.split()[0] for line in out.splitlines() if line.startswith("  sh") and "/t0" in line]
    assert costs == ["sh020/t002", "sh030/t002"]
    assert "dry run: 2 takes" in out
    assert not (project / "takes/sh020/t002.mp4").exists()
    assert main(["generate", str(project), "--stale"]) == 0
    assert sorted(p.name for p in (project / "takes").glob("*/t002.mp4")) == ["t002.mp4", "t002.mp4"]
    assert not (project / "takes/sh010/t002.mp4").exists()
    code, lines = _stale(project, capsys)
    assert code == 0  # the old takes stay listed, each shot has a current one
    assert lines[0] == ("sh020 take t001: asset ship: description changed (take t002 is made from the current "
                        "inputs)")
    capsys.readouterr()
    assert main(["generate", str(project), "--stale", "--dry-run"]) == 0
    assert "nothing stale" in capsys.readouterr().out


def test_the_reel_marks_the_stale_take_only(project, capsys):
    _edit(project, "action: Mara taps the gauge.", "action: Mara smashes the gauge.")
    out = project / "edit" / "reel.otio"
    assert main(["reel", str(project), "-o", str(out)]) == 0
    timeline = otio.adapters.read_from_file(str(out))
    takes = next(t for t in timeline.tracks if t.name == "Takes")
    clips = {c.name: c for c in takes.find_clips()}
    assert set(clips) == {"sh010", "sh020", "sh030"}
    stale = clips["sh020"]
    assert list(stale.metadata["shotreel"]["stale"]) == ["action changed"]
    assert [(m.name, m.color, m.comment) for m in stale.markers] == [("stale: t001", "RED", "action changed")]
    assert stale.markers[0].marked_range.start_time == stale.source_range.start_time
    for name in ("sh010", "sh030"):
        assert "stale" not in clips[name].metadata["shotreel"] and not list(clips[name].markers)
    edl = project / "edit" / "reel.edl"
    assert main(["reel", str(project), "-o", str(edl)]) == 0
    assert "RED     STALE: T001" in edl.read_text()


def test_check_counts_the_stale_takes(project):
    assert check_project(project).stale == {"take": 0, "board": 0, "view": 0}
    _image(project / "refs/mara/front.png", (10, 200, 10))
    report = check_project(project)
    assert report.stale == {"take": 2, "board": 0, "view": 0}
    found = [f for f in report.warnings if f.code == "stale"]
    assert len(found) == 1 and found[0].message.startswith("2 takes made from inputs that changed since")


def test_an_older_take_compares_its_prompt_and_boards_and_says_the_rest_was_not_recorded(project, capsys):
    for shot in ("sh010", "sh020"):
        path = project / f"takes/{shot}/t001.json"
        data = json.loads(path.read_text())
        del data["inputs"]
        path.write_text(json.dumps(data))
    _image(project / "refs/mara/front.png", (10, 200, 10))  # not recorded by the older takes: not seen
    report = stale_report(load_project(project))
    assert report.stale == [] and [i.shot for i in report.unrecorded] == ["sh010", "sh020"]
    _edit(project, "action: Mara taps the gauge.", "action: Mara smashes the gauge.")
    Image.new("RGB", (320, 180), (1, 2, 3)).save(project / "boards/sh010.png")
    code, lines = _stale(project, capsys)
    assert code == 1
    assert lines[:2] == [
        "sh010 take t001: start board boards/sh010.png changed (an older take: its other inputs were not recorded)",
        "sh020 take t001: prompt changed (an older take: its other inputs were not recorded)"]
    # the reel and check leave older takes to `shotreel stale`: how a prompt is worded may change with shotreel
    assert check_project(project).stale["take"] == 0


def test_generated_boards_and_views_compare_their_sidecars_inputs(project, capsys):
    film = load_project(project)
    # what the image engine lands: the still and its sidecar recording the inputs it was made from
    (project / "boards/sh030.json").write_text(json.dumps({"inputs": shot_inputs(film, "sh030")}))
    _image(project / "refs/ship/reverse.png", (5, 5, 5))
    (project / "refs/ship/reverse.json").write_text(
        json.dumps({"provenance": {"inputs": asset_inputs(film, "ship", "refs/ship/reverse.png")}}))
    code, lines = _stale(project, capsys)
    assert code == 0 and lines[-1] == "nothing stale (checked 3 takes, 1 generated board, 1 generated view)"
    _image(project / "refs/ship/wide.png", (0, 0, 0))
    code, lines = _stale(project, capsys)
    assert code == 1
    assert lines[:4] == ["sh020 take t001: asset ship: reference refs/ship/wide.png changed",
                         "sh030 board boards/sh030.png: asset ship: reference refs/ship/wide.png changed",
                         "sh030 take t001: asset ship: reference refs/ship/wide.png changed",
                         "asset ship view refs/ship/reverse.png: asset ship: reference refs/ship/wide.png changed"]


def test_an_unreadable_sidecar_is_one_line_naming_it(project, capsys):
    (project / "takes/sh020/t001.json").write_text("{not json")
    capsys.readouterr()
    assert main(["stale", str(project)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "takes/sh020/t001.json" in err[0] and "take sidecar cannot be read" in err[0]


def test_a_reference_redrawn_while_its_job_ran_leaves_the_take_stale(project):
    # the take's request (the ledger's summary) hashed the reference when the job was planned
    film = load_project(project)
    sent = json.loads((project / "takes/sh010/t001.json").read_text())["reference_images"]
    assert [e["path"] for e in sent] == ["refs/mara/front.png"]
    request = {"reference_images": [{"path": str(project / e["path"]), "sha256": e["sha256"]} for e in sent]}
    _image(project / "refs/mara/front.png", (10, 200, 10))  # redrawn before the take landed
    recorded = take_inputs(film, "sh010", request)
    assert recorded["asset:mara:reference:refs/mara/front.png"] == sent[0]["sha256"]
    assert recorded != shot_inputs(film, "sh010")


def test_a_redrawn_or_moved_start_board_makes_its_take_stale(project, capsys):
    Image.new("RGB", (320, 180), (250, 250, 250)).save(project / "boards/sh030.png")
    _, lines = _stale(project, capsys)
    assert lines[0] == "sh030 take t001: start board boards/sh030.png changed"
    Image.new("RGB", (320, 180), (5, 5, 5)).save(project / "boards/sh010_new.png")
    _edit(project, "        assets: [mara]\n", "        assets: [mara]\n        boards: [boards/sh010_new.png]\n")
    _, lines = _stale(project, capsys)
    assert lines[0] == "sh010 take t001: start board is now boards/sh010_new.png (was boards/sh010.png)"
