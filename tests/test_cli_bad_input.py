"""Bad input, for every command that reads a project: one line naming the file (and line or shot), a
non-zero exit, no traceback, and nothing written."""

from pathlib import Path

import pytest
from shotreel.cli import main

PROJECT_COMMANDS = [["boards"], ["reel"], ["build"], ["check"]]


def run(capsys, argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


@pytest.mark.parametrize("command", PROJECT_COMMANDS, ids=lambda c: c[0])
def test_a_folder_that_is_not_a_project(tmp_path, capsys, command):
    code, out, err = run(capsys, [*command, tmp_path])
    assert code != 0
    text = (out + err).strip()
    assert f"{tmp_path} is not a shotreel project (no shotreel.yaml); start one with `shotreel new {tmp_path}`" in text
    assert "Traceback" not in text
    assert files_under(tmp_path) == []


@pytest.mark.parametrize("command", PROJECT_COMMANDS, ids=lambda c: c[0])
@pytest.mark.parametrize("breakage, message", [
    (("        duration: 6s\n", "        duration: [6s\n"), "malformed YAML"),
    (("        camera: {size: CU, angle: eye level, movement: static, lens: 85mm}\n",
      "        camera: {size: CU, angel: eye level, movement: static, lens: 85mm}\n"),
     "unknown key 'angel' in camera; did you mean 'angle'?"),
    (("fps: 24\n", "fps: 12\n"), "fps 12 is not supported"),
    (("        duration: 6s\n", "        duration: six\n"), "duration 'six' is not readable"),
    (("      - id: sh030\n", "      - id: sh030\n        continuity: [a, b]\n"),
     "shot sh030: shot 'continuity' must be text, not a list"),
], ids=["malformed", "unknown-key", "fps", "duration", "wrong-type"])
def test_broken_project_files(example_dir, capsys, command, breakage, message):
    path = example_dir / "shotreel.yaml"
    text = path.read_text()
    old, new = breakage
    assert old in text
    path.write_text(text.replace(old, new, 1))
    before = files_under(example_dir)
    code, out, err = run(capsys, [*command, example_dir])
    assert code != 0
    lines = [line for line in (out + err).splitlines() if message in line]
    assert lines, out + err
    assert lines[0].startswith(f"{path}:") or lines[0].startswith(f"shotreel: error: {path}:")
    assert "Traceback" not in out + err
    assert files_under(example_dir) == before


def test_an_unreadable_board_image_is_named(example_dir, capsys):
    (example_dir / "boards" / "sh030_art.png").write_bytes(b"not a png at all")
    path = example_dir / "shotreel.yaml"
    path.write_text(path.read_text().replace("      - id: sh030\n",
                                             "      - id: sh030\n        boards: [boards/sh030_art.png]\n"))
    code, _, err = run(capsys, ["build", example_dir])
    assert code == 2
    assert "sh030" in err and "boards/sh030_art.png" in err and err.count("\n") == 1
    assert not (example_dir / "edit" / "reel.otio").exists()


def test_a_cut_that_is_not_a_cut(tmp_path, capsys):
    cut = tmp_path / "cut.edl"
    cut.write_text("this is a shopping list\nmilk\n")
    code, _, err = run(capsys, ["import-cut", cut, tmp_path / "film"])
    assert code == 2 and str(cut) in err and err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "film").exists()


def test_an_unknown_reel_format_names_the_supported_ones(example_dir, capsys):
    code, _, err = run(capsys, ["reel", example_dir, "-o", example_dir / "edit" / "reel.mov"])
    assert code == 2 and ".otio" in err and ".edl" in err and err.count("\n") == 1
    assert not (example_dir / "edit" / "reel.mov").exists()
