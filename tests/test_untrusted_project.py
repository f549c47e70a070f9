"""Untrusted project files: `check` refuses what `build` cannot do, each with one line naming the file and
line, in bounded time, and no command writes anything (the limits are in shotreel.limits and the README)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from PIL import Image
from shotreel import limits
from shotreel.cli import main

EXAMPLE_SHOT = "      - id: sh010\n        beat: alone\n        duration: 6s\n"


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def edit(project: Path, old: str, new: str) -> Path:
    path = project / "shotreel.yaml"
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))
    return path


def line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def refused_everywhere(capsys, project: Path, message: str, line: int | None) -> None:
    """`check` says it (exit 1) and `build` and `reel` refuse it (exit 2): one line naming the file and
    line, no traceback, nothing written."""
    before = files_under(project)
    where = f"{project / 'shotreel.yaml'}:{line}: " if line else f"{project / 'shotreel.yaml'}: "
    code, out, err = run(capsys, "check", project)
    assert code == 1, out + err
    assert any(row.startswith(where) and message in row for row in out.splitlines()), out
    for command in (["build", project], ["reel", project]):
        code, out, err = run(capsys, *command)
        assert code == 2, out + err
        assert err.startswith(f"shotreel: error: {where}") and message in err.splitlines()[0], err
        assert "Traceback" not in out + err
    assert files_under(project) == before


def test_a_duration_beyond_four_hours_is_refused(example_dir, capsys):
    path = edit(example_dir, "        duration: 6s\n", "        duration: 99999999999999999999999f\n")
    refused_everywhere(capsys, example_dir, "shot sh010: duration '99999999999999999999999f' is longer than 4 "
                       "hours", line_of(path, "99999999999999999999999f"))


def test_a_duration_of_thousands_of_digits_is_a_message(example_dir, capsys):
    path = edit(example_dir, "        duration: 6s\n", f"        duration: {'7' * 5000}\n")
    refused_everywhere(capsys, example_dir, "is not readable", line_of(path, "7777"))
    edit(example_dir, f"        duration: {'7' * 5000}\n", f"        duration: {'7' * 5000}f\n")
    refused_everywhere(capsys, example_dir, "is not readable", line_of(path, "7777"))


def test_a_text_field_beyond_its_bound_is_refused(example_dir, capsys):
    path = edit(example_dir, "        prompt: tiny amber window, no engine glow\n",
                f"        prompt: {'word ' * 3000}\n")
    refused_everywhere(capsys, example_dir, "shot sh010: shot 'prompt' is 14,999 characters long; a text field "
                       "may be at most 10,000", line_of(path, "word word"))


def test_a_long_dialogue_line_is_refused(example_dir, capsys):
    path = edit(example_dir, EXAMPLE_SHOT, EXAMPLE_SHOT + f"        dialogue: ['MARA: {'no ' * 4000}']\n")
    refused_everywhere(capsys, example_dir, "a dialogue line is 12,006 characters long", line_of(path, "MARA: no"))


@pytest.mark.parametrize("resolution, why", [
    ("641x361", "must be even"),
    ("16384x16384", "is too large to encode"),
    ("99998x99998", "is too large to encode"),
    ("8192x8192", "is too large to encode"),
    ("8x8", "is too small"),
])
def test_resolutions_build_cannot_encode_are_refused(example_dir, capsys, resolution, why):
    path = edit(example_dir, "resolution: 1920x1080\n", f"resolution: {resolution}\n")
    refused_everywhere(capsys, example_dir, f"resolution {resolution} {why}", line_of(path, "resolution:"))


def test_the_largest_resolution_is_accepted(example_dir, capsys):
    edit(example_dir, "resolution: 1920x1080\n", "resolution: 8192x4320\n")
    code, out, _ = run(capsys, "check", example_dir)
    assert code == 0, out


def test_a_start_timecode_past_24_hours_is_refused(example_dir, capsys):
    path = edit(example_dir, 'start_timecode: "01:00:00:00"\n', 'start_timecode: "25:00:00:00"\n')
    refused_everywhere(capsys, example_dir, "start_timecode '25:00:00:00' is past 24 hours",
                       line_of(path, "start_timecode"))


def test_a_film_that_runs_past_midnight_is_refused(example_dir, capsys):
    edit(example_dir, 'start_timecode: "01:00:00:00"\n', 'start_timecode: "23:59:30:00"\n')
    code, out, _ = run(capsys, "check", example_dir)
    assert code == 1
    assert "error: the film starts at 23:59:30:00 and runs 1m 00.0s, so it ends past 24:00:00:00" in out
    edit(example_dir, 'start_timecode: "23:59:30:00"\n', 'start_timecode: "23:58:00:00"\n')
    assert run(capsys, "check", example_dir)[0] == 0


def test_a_project_file_beyond_its_size_is_refused_before_it_is_read(tmp_path, capsys):
    project = tmp_path / "big"
    project.mkdir()
    with open(project / "shotreel.yaml", "w") as handle:
        handle.write("title: big\nfps: 24\nscenes:\n")
        handle.write("  # padding\n" * (limits.MAX_PROJECT_BYTES // 12 + 10))
    started = time.perf_counter()
    code, _out, err = run(capsys, "build", project)
    assert time.perf_counter() - started < 1
    assert code == 2 and err.count("\n") == 1
    assert err == (f"shotreel: error: {project / 'shotreel.yaml'}: is 10 MB; a project file may be at most "
                   "10 MB: split the film into several projects\n")
    assert files_under(project) == [project / "shotreel.yaml"]


def test_a_project_beyond_the_shot_limit_is_refused(tmp_path, capsys):
    project = tmp_path / "many"
    project.mkdir()
    shots = "".join(f"      - {{id: s{n}, beat: b, duration: 1s}}\n" for n in range(limits.MAX_SHOTS + 1))
    (project / "shotreel.yaml").write_text("title: many\nfps: 24\nbeats: [{id: b}]\nscenes:\n  - id: sc\n"
                                           f"    shots:\n{shots}")
    started = time.perf_counter()
    code, out, _err = run(capsys, "check", project)
    assert time.perf_counter() - started < 5
    assert code == 1
    assert f"{project / 'shotreel.yaml'}:4: error: the film has 10,001 shots; a project may hold at most 10,000" in out


def test_a_board_outside_the_project_is_read_only_when_it_is_an_image(example_dir, tmp_path, capsys):
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0\n")
    relative = "../secret.txt"
    path = edit(example_dir, EXAMPLE_SHOT, EXAMPLE_SHOT + f"        boards: [{relative}]\n")
    refused_everywhere(capsys, example_dir, f"board '{relative}' lies outside the project and is not an image",
                       line_of(path, "id: sh010"))
    Image.new("RGB", (32, 18), "green").save(tmp_path / "painted.png")
    edit(example_dir, relative, "../painted.png")
    code, out, _ = run(capsys, "check", example_dir)
    assert code == 0, out
    assert "warning: shot sh010: board '../painted.png' lives outside the project" in out


def test_the_board_finder_never_hands_out_a_file_outside_that_is_not_an_image(example_dir, tmp_path):
    from shotreel.boards import shot_board_image
    from shotreel.project import load_project

    (tmp_path / "secret.txt").write_text("root:x:0:0\n")
    edit(example_dir, EXAMPLE_SHOT, EXAMPLE_SHOT + "        boards: [../secret.txt]\n")
    film = load_project(example_dir)
    assert shot_board_image(film, film.shot("sh010")) is None


@pytest.mark.parametrize("value", [".", "-.", "._", ".inf", "-.INF", ".NaN", "1e400", "0.5e-3"])
def test_odd_yaml_numbers_are_values_or_messages(example_dir, capsys, value):
    """Found by the fuzz test: YAML's `.inf` and a bare `.` crashed the loader."""
    path = edit(example_dir, "        duration: 6s\n", f"        duration: {value}\n")
    code, out, err = run(capsys, "check", example_dir)
    assert code == 1 and "Traceback" not in out + err
    assert f"{path}:{line_of(path, f'duration: {value}')}: error: shot sh010: duration" in out
