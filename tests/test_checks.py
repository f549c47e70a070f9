"""`shotreel check`: errors that stop a build, warnings that make a first film better."""

import json
from pathlib import Path

import pytest
from shotreel.checks import check_project, run_checks
from shotreel.cli import main
from shotreel.project import loads_film

BASE = """\
title: Checks
fps: 24
target_runtime: 40s
story: {premise: p, character: c, want: w, obstacle: o, escalation: e, turn: t, payoff: p}
beats:
  - {id: b1, title: One}
  - {id: b2, title: Two}
assets:
  - {id: hero, kind: character, description: a hero, references: [refs/hero.png]}
scenes:
  - id: sc1
    shots:
SHOTS"""


def film_with(shots: list[str], base: str = BASE, root: Path | None = None):
    body = "".join(f"      - {s}\n" for s in shots)
    return loads_film(base.replace("SHOTS", body), root=root)


def codes(report, level=None):
    return [f.code for f in report.findings if level is None or f.level == level]


def plain_shots(n: int, seconds: int = 5, beat_cycle=("b1", "b2")) -> list[str]:
    return [f"{{id: sh{i:03d}, beat: {beat_cycle[i % len(beat_cycle)]}, duration: {seconds}s, action: a door opens}}"
            for i in range(n)]


def test_the_example_passes_without_errors(example_dir):
    report = check_project(example_dir)
    assert report.errors == []
    assert report.shots == 12


def test_a_clean_film_has_no_findings():
    report = run_checks(film_with(plain_shots(8)))
    assert report.findings == [], [str(f) for f in report.findings]


def test_duplicate_ids_are_errors_naming_both_lines():
    shots = plain_shots(8)
    shots[5] = shots[5].replace("sh005", "sh001")
    report = run_checks(film_with(shots))
    (dup,) = report.errors
    assert dup.code == "duplicate-id" and dup.shot == "sh001" and dup.line == 18
    assert "first at line 14" in dup.message


def test_unknown_beat_and_asset_suggest_the_right_one():
    shots = plain_shots(8)
    shots[0] = "{id: sh000, beat: b11, duration: 5s, action: x, assets: [heroo]}"
    report = run_checks(film_with(shots))
    messages = [str(f) for f in report.errors]
    assert "shotreel.yaml:13: error: shot sh000: beat 'b11' does not exist; did you mean 'b1'?" in messages
    assert "shotreel.yaml:13: error: shot sh000: asset 'heroo' does not exist; did you mean 'hero'?" in messages


def test_missing_board_and_reference_are_errors(tmp_path: Path):
    shots = plain_shots(8)
    shots[2] = "{id: sh002, beat: b1, duration: 5s, action: x, boards: [boards/sh002.png]}"
    report = run_checks(film_with(shots, root=tmp_path))
    assert sorted(codes(report, "error")) == ["missing-board", "missing-reference"]
    (tmp_path / "boards").mkdir()
    (tmp_path / "boards" / "sh002.png").write_bytes(b"x")
    (tmp_path / "refs").mkdir()
    (tmp_path / "refs" / "hero.png").write_bytes(b"x")
    assert run_checks(film_with(shots, root=tmp_path)).errors == []


def test_ids_that_cannot_name_folders_are_errors():
    shots = plain_shots(8)
    shots[0] = "{id: 'sh 0/1', beat: b1, duration: 5s, action: x}"
    assert codes(run_checks(film_with(shots)), "error") == ["bad-id"]


def test_runtime_against_target_and_bounds():
    report = run_checks(film_with(plain_shots(8, seconds=2)))  # 16 s against 40 s
    assert {"runtime", "runtime-bounds"} <= set(codes(report, "warning"))
    assert "16.0s against a target of 40.0s" in next(f.message for f in report.findings if f.code == "runtime")


def test_beats_without_shots_and_incomplete_story():
    base = BASE.replace("want: w, ", "").replace("turn: t, ", "")
    report = run_checks(film_with(plain_shots(8, beat_cycle=("b1",)), base=base))
    assert "empty-beat" in codes(report)
    story = next(f for f in report.findings if f.code == "story-incomplete")
    assert "no want, no turn" in story.message


def test_shot_count_for_a_first_film():
    assert "shot-count" in codes(run_checks(film_with(plain_shots(5, seconds=8))))
    assert "shot-count" in codes(run_checks(film_with(plain_shots(21, seconds=2))))
    assert "shot-count" not in codes(run_checks(film_with(plain_shots(8))))


@pytest.mark.parametrize("action, code", [
    ("a crowd cheers in the square", "crowd"),
    ("she picks up the key with trembling fingers", "hands"),
    ("he changes into the uniform", "costume"),
])
def test_what_video_models_do_badly(action, code):
    shots = plain_shots(8)
    shots[1] = f"{{id: sh001, beat: b2, duration: 5s, action: {action}}}"
    report = run_checks(film_with(shots))
    assert [f.shot for f in report.findings if f.code == code] == ["sh001"]


def test_dialogue_heavy_shots():
    shots = plain_shots(8)
    shots[0] = ("{id: sh000, beat: b1, duration: 2s, action: x, dialogue: "
                "['ANA: I told you we should never have come back here tonight']}")
    shots[1] = "{id: sh001, beat: b2, duration: 5s, action: x, dialogue: ['ANA: Hi.', 'BO: Hi.']}"
    shots[2] = "{id: sh002, beat: b1, duration: 5s, action: x, dialogue: ['ANA: Go.']}"
    report = run_checks(film_with(shots))
    assert [f.shot for f in report.findings if f.code == "dialogue-heavy"] == ["sh000", "sh001"]


def test_asset_without_references_is_a_warning():
    base = BASE.replace(", references: [refs/hero.png]", "")
    shots = plain_shots(8)
    shots[0] = "{id: sh000, beat: b1, duration: 5s, action: x, assets: [hero]}"
    (warning,) = run_checks(film_with(shots, base=base)).warnings
    assert warning.code == "no-references" and "appears in 1 shot but has no reference images" in warning.message


def test_check_command_report_and_exit_codes(example_dir, capsys):
    assert main(["check", str(example_dir)]) == 0
    out = capsys.readouterr().out
    assert out.strip().endswith("ok: 12 shots, 1m 00.0s (target 1m 00.0s), 0 errors, 5 warnings")
    assert "warning: shot sh110:" in out


def test_check_json_for_tools(example_dir, capsys):
    assert main(["check", str(example_dir), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is True and data["shots"] == 12 and data["runtime_frames"] == 1440 and data["fps"] == "24"
    assert {w["code"] for w in data["warnings"]} == {"no-references", "hands", "costume"}


def test_check_fails_on_errors_and_load_problems(example_dir, capsys):
    text = (example_dir / "shotreel.yaml").read_text()
    (example_dir / "shotreel.yaml").write_text(text.replace("beat: reveal\n        duration: 6s",
                                                            "beat: revael\n        duration: 6x"))
    line = (example_dir / "shotreel.yaml").read_text().splitlines().index("        duration: 6x") + 1
    assert main(["check", str(example_dir)]) == 1
    out = capsys.readouterr().out
    assert f"shotreel.yaml:{line}: error: shot sh050: duration '6x' is not readable" in out
    assert out.strip().endswith("failed: 1 error, 0 warnings")
    assert out.strip().startswith(str(example_dir / "shotreel.yaml"))
    assert "Traceback" not in out
