"""A feature-length screenplay (120 pages) is imported in under a second, and the result is sound.

The figure itself is printed by ``python benchmarks/bench_import_script.py``; here the same import is
timed in-process (best of three, so a busy machine does not decide it) against the 1 s promise.
"""

from __future__ import annotations

import importlib.util
import re
import time
from pathlib import Path

from shotreel.checks import run_checks
from shotreel.project import load_project
from shotreel.screenplay.importer import import_script
from shotreel.screenplay.script import Heading, read_script

from .scripts.make_feature import feature_script

LIMIT_S = 1.0
BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_import_script.py"


def test_a_120_page_script_imports_in_under_a_second(tmp_path):
    text = feature_script()
    assert text.count("\n") >= 6000  # at ~55 lines a page, more than 120 pages
    script = tmp_path / "feature.fountain"
    script.write_text(text, encoding="utf-8")
    best = float("inf")
    for run in range(3):
        start = time.perf_counter()
        result = import_script(script, tmp_path / f"film{run}")
        best = min(best, time.perf_counter() - start)
    assert best < LIMIT_S, f"import took {best:.3f} s"
    film = load_project(tmp_path / "film0")
    assert len(film.scenes) == len([e for e in read_script(script).elements if isinstance(e, Heading)]) == 115
    assert sum(1 for _ in film.shots()) == sum(1 for _ in result.draft.film.shots()) > 600
    assert run_checks(film).errors == []


def test_the_benchmark_runs_on_a_short_script(capsys):
    spec = importlib.util.spec_from_file_location("bench_import_script", BENCH)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    assert bench.main(["--scenes", "12", "--runs", "1"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"import-script, \d+ lines \(~\d+ pages\): \d+\.\d+ s", out)
    assert re.search(r"re-import of a revision \(merge\): \d+\.\d+ s", out)
