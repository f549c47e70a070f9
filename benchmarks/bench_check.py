"""Figure: `shotreel check` on a generated 5,000-shot project finishes in under 1 s.

Measured end to end, as a user runs it: a fresh `shotreel check` process (interpreter start,
imports, loading the YAML with line numbers, every check), best of several runs, as wall time and
as the CPU time the process used (steadier on a shared machine). Exits non-zero when the best wall
time is 1 s or more. ``python benchmarks/bench_check.py [--shots N] [--runs N]``.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from big_project import write_big_project

LIMIT_S = 1.0


def time_check(folder: Path, runs: int) -> tuple[float, float]:
    """Best wall time and best CPU time (user + system) of ``runs`` fresh ``shotreel check`` processes."""
    best = best_cpu = float("inf")
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "shotreel.cli", "check", str(folder)], capture_output=True, check=False,
                              text=True)
        best = min(best, time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        best_cpu = min(best_cpu, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        if "0 errors" not in done.stdout:
            raise SystemExit(f"check did not run cleanly: {done.stdout[-500:]} {done.stderr[-500:]}")
    return best, best_cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shots", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_big_project(Path(tmp) / "long-film", args.shots)
        seconds, cpu = time_check(folder, args.runs)
    print(f"shotreel check, {args.shots} shots: {seconds:.3f} s wall, {cpu:.3f} s CPU "
          f"(best of {args.runs}; limit {LIMIT_S:.1f} s)")
    return 0 if seconds < LIMIT_S or args.shots != 5000 else 1


if __name__ == "__main__":
    sys.exit(main())
