"""Figure: Import Reel of a 500-shot reel with 5 takes per shot into the Resolve stand-in takes under 5 s, and
the number of Resolve API calls grows linearly with shots × takes (no rescans of the timeline per item).

The project is generated (500 shots, a board each, 5 takes each with their sidecars), the stand-in
(``tests/resolve_standin``, in memory, no state file) is told what every file holds, and
``shotreel_resolve.importer.import_reel`` runs as ``shotreel resolve import`` runs it. The same import of a
fifth of the shots gives the calls per shot × take for the linearity check: the large run may make at
most 1.1 × the calls per shot × take of the small one.

``python benchmarks/bench_resolve.py [--shots 500] [--takes 5] [--runs 3]``: prints every run's time and the
call counts; exits non-zero when the best run takes 5 s or more, or the calls are not linear.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LIMIT_S = 5.0
LIMIT_LINEAR = 1.1
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
                    "0000000d49444154789c6360f8cfc0f01f0005000201a5d8d1e30000000049454e44ae426082")


def write_project(folder: Path, shots: int, takes: int) -> dict[str, dict]:
    """A project of ``shots`` shots, each with a board and ``takes`` takes; returns the decoder's table."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    from bench_reel import generate

    text, _ = generate(shots)
    (folder / "boards").mkdir(parents=True)
    (folder / "shotreel.yaml").write_text(text, encoding="utf-8")
    media: dict[str, dict] = {}
    for k in range(4):  # the few shared stills some shots list as their board
        key = folder / "boards" / f"key{k}.png"
        key.write_bytes(PNG)
        media[str(key)] = {"kind": "still", "width": 1, "height": 1}
    for n in range(1, shots + 1):
        shot = f"sh{n:05d}"
        board = folder / "boards" / f"{shot}.png"
        board.write_bytes(PNG)
        media[str(board)] = {"kind": "still", "width": 1, "height": 1}
        frames = (3 + n % 4) * 24 + 24  # a second longer than the shot
        for t in range(1, takes + 1):
            clip = folder / "takes" / shot / f"t{t:03d}.mp4"
            clip.parent.mkdir(parents=True, exist_ok=True)
            clip.write_bytes(b"stand-in take")
            clip.with_suffix(".json").write_text(json.dumps({"probe": {"fps": 24, "frames": frames}, "created": t}))
            media[str(clip)] = {"fps": "24", "frames": frames, "width": 64, "height": 36, "codec": "h264"}
    return media


def import_once(folder: Path, media: dict[str, dict]) -> tuple[float, int, Counter]:
    """One Import Reel into a fresh stand-in: seconds, API calls, calls by method."""
    import _resolve_standin as standin
    from shotreel_resolve.compat import profile_of
    from shotreel_resolve.importer import import_reel

    standin.reset(media=media)
    resolve = standin.resolve()
    resolve.GetProjectManager().CreateProject("bench")
    start = time.perf_counter()
    import_reel(resolve, profile_of(resolve), folder, lambda line: None)
    seconds = time.perf_counter() - start
    counts = Counter(standin.call_counts())
    timeline = resolve.GetProjectManager().GetCurrentProject().GetCurrentTimeline()
    placed = len(timeline.GetItemListInTrack("video", 1)) + len(timeline.GetItemListInTrack("video", 2))
    if placed != 2 * (len(list((folder / "boards").iterdir())) - 4):
        raise SystemExit(f"bench_resolve: only {placed} items placed")
    return seconds, sum(counts.values()), counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shots", type=int, default=500)
    parser.add_argument("--takes", type=int, default=5)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO / "tests" / "resolve_standin"))
    with tempfile.TemporaryDirectory(prefix="shotreel-bench-resolve-") as tmp:
        small_folder, big_folder = Path(tmp, "small"), Path(tmp, "big")
        small = max(1, args.shots // 5)
        small_media = write_project(small_folder, small, args.takes)
        big_media = write_project(big_folder, args.shots, args.takes)
        _, small_calls, _ = import_once(small_folder, small_media)
        runs = [import_once(big_folder, big_media) for _ in range(args.runs)]
    best = min(seconds for seconds, _, _ in runs)
    calls, by_method = runs[0][1], runs[0][2]
    per_small = small_calls / (small * args.takes)
    per_big = calls / (args.shots * args.takes)
    print(f"Import Reel, {args.shots} shots × {args.takes} takes into the Resolve stand-in:")
    for index, (seconds, _, _) in enumerate(runs, 1):
        print(f"  run {index}: {seconds:.2f} s")
    print(f"  best {best:.2f} s (limit {LIMIT_S:.0f} s)")
    print(f"  API calls: {calls} ({per_big:.2f} per shot × take); {small} shots: {small_calls} ({per_small:.2f}); "
          f"ratio {per_big / per_small:.3f} (limit {LIMIT_LINEAR})")
    print("  most made: " + ", ".join(f"{name} {count}" for name, count in by_method.most_common(6)))
    return 0 if best < LIMIT_S and per_big / per_small <= LIMIT_LINEAR else 1


if __name__ == "__main__":
    sys.exit(main())
