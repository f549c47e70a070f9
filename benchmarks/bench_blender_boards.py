"""Board renders from the Blender layout vs. bare ``bpy`` renders of the same cameras (DESIGN §8).

The example film is laid out in real Blender (the PyPI ``bpy`` wheel, headless) at ``--size``, with its
Grease Pencil boards; then, in the same process and alternating, (a) shotreel's Render Boards as the
operator runs it, one :class:`BoardBatch` step per board (targets checked, Workbench and the stamp swapped
in and back, each still moved into ``boards/`` and recorded) and (b) a bare ``scene.camera = …; frame_set;
render(write_still=True)`` of the same camera into a scratch folder, board by board, so a machine busy with
other work slows both alike. Prints every run's times and ratio; exit 1 when any run is above
``--max-ratio``.

    .venv/bin/python benchmarks/bench_blender_boards.py [--size 960x540] [--runs 3] [--max-ratio 1.1]
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
    parser.add_argument("--size", default="960x540", help="board size WxH (default 960x540)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--max-ratio", type=float, default=1.1)
    args = parser.parse_args(argv)

    import bpy

    sys.path.insert(0, str(REPO))  # blender_addon as a plain package: its modules, without enabling it
    from shotreel.example import scaffold_example
    from shotreel.layout import layout_plan
    from shotreel.project import load_project

    from blender_addon.boards.core import ENGINE, BoardBatch
    from blender_addon.layout.core import build_layout, shot_cameras

    with tempfile.TemporaryDirectory(prefix="shotreel-bench-") as tmp:
        folder = Path(tmp) / "film"
        scaffold_example(folder)
        text = (folder / "shotreel.yaml").read_text(encoding="utf-8")
        (folder / "shotreel.yaml").write_text(text.replace("resolution: 1920x1080", f"resolution: {args.size}"),
                                              encoding="utf-8")
        film = load_project(folder)
        layout = layout_plan(film)
        bpy.ops.wm.read_homefile(use_empty=True)
        scene = bpy.context.scene
        build_layout(scene, layout)
        bpy.ops.mesh.primitive_monkey_add(location=(0.0, -5.0, 1.6))
        cameras = shot_cameras(scene)
        bare_dir = Path(tmp) / "bare"
        bare_dir.mkdir()

        def bare(shot) -> None:
            scene.camera = cameras[shot.id]
            scene.frame_set(shot.start)
            scene.render.filepath = str(bare_dir / f"{shot.id}.png")
            bpy.ops.render.render(write_still=True)

        scene.render.engine = ENGINE  # warm-up: shaders compiled, caches filled
        scene.render.image_settings.file_format = "PNG"
        for shot in layout.shots:
            bare(shot)
        runs = []
        for _ in range(args.runs):
            started = time.perf_counter()
            batch = BoardBatch(scene, load_project(folder), layout)  # what the operator does before its timer
            times = {"shotreel": time.perf_counter() - started, "bare": 0.0}
            for shot in layout.shots:
                started = time.perf_counter()
                batch.step()  # as the operator does, one board per timer event
                times["shotreel"] += time.perf_counter() - started
                started = time.perf_counter()
                bare(shot)
                times["bare"] += time.perf_counter() - started
            assert batch.finished and batch.done == len(layout.shots)
            runs.append(times)
        boards = sorted(p.name for p in (folder / "boards").glob("*.png"))
    ratios = [run["shotreel"] / run["bare"] for run in runs]
    print(f"board renders, {len(layout.shots)} shots at {args.size} (Workbench, {args.runs} runs):")
    for n, (run, ratio) in enumerate(zip(runs, ratios, strict=True), 1):
        print(f"  run {n}: shotreel render_boards {run['shotreel']:.3f} s, bare bpy renders {run['bare']:.3f} s,"
              f" ratio {ratio:.3f}")
    print(f"  ({len(boards)} boards in boards/)")
    print(f"  ratio: worst {max(ratios):.3f}, best {min(ratios):.3f} (limit {args.max_ratio})")
    return 0 if max(ratios) <= args.max_ratio and len(boards) == len(layout.shots) else 1


if __name__ == "__main__":
    sys.exit(main())
