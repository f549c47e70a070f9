"""``shotreel generate --dry-run`` says what a paid run would cost and why, and what would stop it.

A dry run names every key missing from the environment (by its variable, never a value) and exits 1 so a
script notices; it prices each take with the reason — the length the provider bills for the shot, the
rate, the model — and the total. A real run that cannot start (a missing key, a bad option, an unknown
model) fails in one line before the job ledger is opened: no ``pending`` row is left behind. Each hosted
provider is run against its local fake server, which records every request it gets.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from PIL import Image
from shotreel.cli import main
from shotreel.generation.ledger import ledger_path

from tests.servers import fake_server  # noqa: F401  (pytest fixture)
from tests.servers.client import ENV_KEYS

HOSTED = ("runway", "luma", "kling", "fal", "replicate")
SECRET = "key_do-not-print-0c1d2e3f4a5b"  # a key value no output may contain


def make_film(folder: Path, durations: list[str]) -> Path:
    """A 24 fps 1280×720 project with one shot per duration (sh010, sh020 …), each with a board."""
    shots = "\n".join(
        f"      - id: sh{(i + 1) * 10:03d}\n        beat: b1\n        duration: {duration}\n"
        f"        action: Shot {i + 1}, the console lights up.\n        camera: {{size: MS, movement: push in}}"
        for i, duration in enumerate(durations))
    folder.mkdir(parents=True)
    (folder / "shotreel.yaml").write_text(
        "title: Dry run test\nfps: 24\nresolution: 1280x720\nbeats:\n  - id: b1\n"
        f"scenes:\n  - id: sc01\n    heading: INT. TEST - DAY\n    shots:\n{shots}\n", encoding="utf-8")
    (folder / "boards").mkdir()
    for i in range(len(durations)):
        Image.new("RGB", (1280, 720), (40, 90, 30 * i % 255)).save(folder / "boards" / f"sh{(i + 1) * 10:03d}.png")
    return folder


@pytest.fixture
def no_keys(monkeypatch):
    """No provider key in the environment, whatever the machine running the tests has set."""
    for names in ENV_KEYS.values():
        for name in names:
            monkeypatch.delenv(name, raising=False)
    return monkeypatch


def _rows(project: Path) -> int:
    """Jobs in the project's ledger, counted with sqlite itself (0 when there is no ledger)."""
    path = ledger_path(project)
    if not path.exists():
        return 0
    with sqlite3.connect(path) as db:
        return db.execute("SELECT COUNT(*) FROM jobs").fetchone()[0]


@pytest.mark.parametrize("provider", HOSTED)
def test_a_dry_run_without_the_key_names_each_variable_and_exits_1(provider, no_keys, tmp_path, capsys):
    project = make_film(tmp_path / "film", ["5s", "6s"])
    assert main(["generate", str(project), "--provider", provider, "--dry-run"]) == 1
    out = capsys.readouterr().out
    names = " and ".join(ENV_KEYS[provider])
    assert f"would fail: missing {names}: {provider} needs " in out
    assert "; the real run would fail (see above)" in out.splitlines()[-1]
    assert "cost of each take (estimates: " in out and "sh020/t001  6 s shot → billed as " in out
    assert not (project / ".shotreel").exists(), "a dry run records nothing"


def test_kling_needs_both_keys_and_the_one_that_is_set_is_never_printed(no_keys, tmp_path, capsys):
    project = make_film(tmp_path / "film", ["5s"])
    no_keys.setenv("KLING_ACCESS_KEY", SECRET)
    assert main(["generate", str(project), "--provider", "kling", "--dry-run"]) == 1
    out, err = capsys.readouterr()
    assert "would fail: missing KLING_SECRET_KEY: kling needs it to send anything" in out
    assert "KLING_ACCESS_KEY" not in out and SECRET not in out + err
    assert main(["generate", str(project), "--provider", "kling"]) == 2
    out, err = capsys.readouterr()
    assert err == "shotreel: error: kling: no API key: set KLING_SECRET_KEY in the environment\n"
    assert SECRET not in out + err and _rows(project) == 0


# A 5 s, a 6 s and a 4 s shot, as each provider bills them (estimates from the providers' published prices).
PRICED = {
    "runway": ("$1.00", [
        "sh010/t001  5 s shot → billed as 5 s at $0.05/s (gen4_turbo: 5 credits/s × $0.01) = $0.25",
        ("sh020/t001  6 s shot → billed as 10 s (gen4_turbo makes clips of 5 or 10 s; rounded up) at $0.05/s "
         "(gen4_turbo: 5 credits/s × $0.01) = $0.50"),
        "sh030/t001  4 s shot → billed as 5 s (gen4_turbo makes clips of 5 or 10 s; rounded up) at $0.05/s",
    ]),
    "luma": ("$1.52", [
        "sh010/t001  5 s shot → billed as 5 s at $0.08/s (ray-2: ≈ $0.08/s at 720p, a third-party figure) = $0.40",
        "sh020/t001  6 s shot → billed as 9 s (ray-2 makes clips of 5 or 9 s; rounded up) at $0.08/s",
    ]),
    "kling": ("$1.12", [
        "sh010/t001  5 s shot → billed as 5 s at $0.056/s (kling-v2-1, std mode; fal's price for it) = $0.28",
        "sh020/t001  6 s shot → billed as 10 s (kling-v2-1 makes clips of 5 or 10 s; rounded up) at $0.056/s",
    ]),
    "fal": ("$1.12", [
        "sh010/t001  5 s shot → billed as 5 s at $0.28 per 5 s (fal's price for kling-video/v2.1/standard) = $0.28",
        ("sh020/t001  6 s shot → billed as 10 s (fal-ai/kling-video/v2.1/standard/image-to-video makes clips of 5 "
         "or 10 s; rounded up) at $0.28 per 5 s + 5 s × $0.056/s (fal's price for kling-video/v2.1/standard) = $0.56"),
    ]),
    "replicate": ("$1.00", [
        "sh010/t001  5 s shot → billed as 5 s at $0.05/s (kwaivgi/kling-v2.1, standard mode) = $0.25",
        "sh020/t001  6 s shot → billed as 10 s (kwaivgi/kling-v2.1 makes clips of 5 or 10 s; rounded up)",
    ]),
}


@pytest.mark.parametrize("provider", HOSTED)
def test_a_dry_run_with_the_key_prices_each_take_with_why_and_the_total(provider, no_keys, tmp_path, capsys):
    project = make_film(tmp_path / "film", ["5s", "6s", "4s"])
    for name in ENV_KEYS[provider]:
        no_keys.setenv(name, SECRET)
    assert main(["generate", str(project), "--provider", provider, "--dry-run"]) == 0
    out, err = capsys.readouterr()
    total, lines = PRICED[provider]
    for line in lines:
        assert f"\n  {line}" in out, line
    last = out.splitlines()[-1]
    assert last.startswith(f"dry run: 3 takes with {provider}/") and f"estimated cost {total}; nothing was sent" in last
    assert "would fail" not in out and SECRET not in out + err
    assert not (project / ".shotreel").exists()


def test_a_dry_run_lists_every_take_the_provider_would_refuse(no_keys, tmp_path, capsys):
    project = make_film(tmp_path / "film", ["5s", "12s", "14s"])
    no_keys.setenv("RUNWAYML_API_SECRET", SECRET)
    assert main(["generate", str(project), "--provider", "runway", "--dry-run"]) == 1
    out = capsys.readouterr().out
    for shot, seconds in (("sh020", 12), ("sh030", 14)):
        assert (f"would fail: {shot}/t001: runway: the shot lasts {seconds} s but gen4_turbo makes clips of at "
                f"most 10 s") in out
        assert f"  {shot}/t001  would be refused: runway: the shot lasts {seconds} s" in out
    assert "dry run: 3 takes with runway/gen4_turbo, estimated cost $0.25; nothing was sent; the real run would " \
           "fail" in out


@pytest.mark.parametrize("provider", ["animatic", "comfyui"])
def test_local_providers_need_no_key_and_cost_nothing(provider, no_keys, tmp_path, capsys):
    project = make_film(tmp_path / "film", ["5s"])
    workflow = ["--workflow", str(tmp_path / "wf.json")] if provider == "comfyui" else []
    if workflow:
        (tmp_path / "wf.json").write_text('{"1": {"class_type": "LoadImage", "inputs": {"image": "{{image}}"}}}')
    assert main(["generate", str(project), "--provider", provider, "--dry-run", *workflow]) == 0
    out = capsys.readouterr().out
    assert "nothing is billed = $0.00" in out and "would fail" not in out
    assert "estimated cost $0.00; nothing was sent" in out


@pytest.mark.parametrize("provider", HOSTED)
def test_a_real_run_without_the_key_fails_in_one_line_and_records_nothing(provider, no_keys, fake_server,  # noqa: F811
                                                                          tmp_path, capsys):
    server = fake_server(provider)
    no_keys.setenv(f"SHOTREEL_{provider.upper()}_BASE_URL", server.url)
    project = make_film(tmp_path / "film", ["5s", "6s"])
    assert main(["generate", str(project), "--provider", provider, "--poll-interval", "0.02"]) == 2
    out, err = capsys.readouterr()
    names = " and ".join(ENV_KEYS[provider])
    assert out == "" and err == f"shotreel: error: {provider}: no API key: set {names} in the environment\n"
    assert server.requests == [] and _rows(project) == 0
    assert not (project / ".shotreel").exists(), "not even the ledger was opened"


def test_a_missing_key_leaves_an_existing_ledger_as_it_was(no_keys, fake_server, tmp_path, capsys):  # noqa: F811
    server = fake_server("runway")
    no_keys.setenv("SHOTREEL_RUNWAY_BASE_URL", server.url)
    no_keys.setenv("RUNWAYML_API_SECRET", server.api_key)
    project = make_film(tmp_path / "film", ["5s"])
    assert main(["generate", str(project), "--provider", "runway", "--poll-interval", "0.02"]) == 0
    assert _rows(project) == 1 and server.creates() == 1
    capsys.readouterr()
    no_keys.delenv("RUNWAYML_API_SECRET")
    assert main(["generate", str(project), "--provider", "runway", "--takes", "3"]) == 2
    out, err = capsys.readouterr()
    assert err == "shotreel: error: runway: no API key: set RUNWAYML_API_SECRET in the environment\n"
    assert _rows(project) == 1, "no pending row for the takes that could not be sent"
    assert server.creates() == 1 and server.api_key not in out + err


@pytest.mark.parametrize("option, message", [
    (["--workflow", "wf.json"], "runway: unknown provider option 'workflow'"),
    (["--model", "gen9"], ("runway: unknown model 'gen9' (known: gen4.5, gen4_turbo, veo3, veo3.1, veo3.1_fast; "
                             "stills: gen4_image, gen4_image_turbo)")),
])
def test_a_bad_option_fails_in_one_line_before_anything_is_recorded(option, message, no_keys, tmp_path, capsys):
    project = make_film(tmp_path / "film", ["5s"])
    no_keys.setenv("SHOTREEL_RUNWAY_BASE_URL", "http://127.0.0.1:9")  # never reached
    no_keys.setenv("RUNWAYML_API_SECRET", SECRET)
    assert main(["generate", str(project), "--provider", "runway", *option]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith(f"shotreel: error: {message}") and err.count("\n") == 1
    assert SECRET not in err and not (project / ".shotreel").exists()
