"""Build Layout of a 500-shot project in real Blender (the PyPI ``bpy`` wheel, headless): must take under 1 s.

What the operator does, end to end: load ``shotreel.yaml`` (a generated project, every shot with action,
camera, dialogue and continuity: ``big_project.py``), plan the layout, and build it into an empty file's
scene (per shot a camera, a bound marker and a Grease Pencil board). Then building again over it (what a
re-run checks and writes). Prints every run and the worst; exit 1 when a first build takes 1 s or more.

    .venv/bin/python benchmarks/bench_blender_layout.py [--shots 500] [--runs 3] [--limit 1.0]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shots", type=int, default=500)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--limit", type=float, default=1.0, help="seconds a first build must stay under")
    args = parser.parse_args(argv)

    import bpy

    sys.path.insert(0, str(REPO))  # blender_addon as a plain package: its modules, without enabling it
    sys.path.insert(0, str(REPO / "benchmarks"))
    from big_project import write_big_project
    from shotreel.layout import layout_plan
    from shotreel.project import load_project

    from blender_addon.layout.core import build_layout, shot_boards, shot_cameras

    firsts, agains = [], []
    with tempfile.TemporaryDirectory(prefix="shotreel-bench-") as tmp:
        folder = write_big_project(Path(tmp) / "film", args.shots)
        for _ in range(args.runs):
            bpy.ops.wm.read_homefile(use_empty=True)
            scene = bpy.context.scene
            started = time.perf_counter()
            build_layout(scene, layout_plan(load_project(folder)))
            firsts.append(time.perf_counter() - started)
            started = time.perf_counter()
            result = build_layout(scene, layout_plan(load_project(folder)))
            agains.append(time.perf_counter() - started)
            made = (len(shot_cameras(scene)), len(shot_boards(scene)), len(scene.timeline_markers))
            assert made == (args.shots,) * 3 and len(result.updated) == args.shots, made
    print(f"Build Layout, {args.shots} shots (load, plan, cameras, markers, Grease Pencil boards):")
    print("  first build : " + ", ".join(f"{t:.3f} s" for t in firsts) + f"  (worst {max(firsts):.3f} s)")
    print("  built again : " + ", ".join(f"{t:.3f} s" for t in agains) + f"  (worst {max(agains):.3f} s)")
    print(f"  limit: {args.limit} s")
    return 0 if max(firsts) < args.limit and max(agains) < args.limit else 1


if __name__ == "__main__":
    sys.exit(main())
