"""Board renders from the Blender layout vs. bare ``bpy`` renders of the same cameras (DESIGN §8).

The example film is laid out in real Blender (the PyPI ``bpy`` wheel, headless) at ``--size``; then, in
the same process and alternating, (a) shotreel's ``render_boards`` renders every shot's board (targets
checked, Workbench settings swapped in and back, each still moved into ``boards/`` and recorded) and
(b) a bare loop does only ``scene.camera = …; frame_set; render(write_still=True)`` per camera into a
scratch folder. Prints the best of ``--runs`` for each and their ratio; exit 1 above ``--max-ratio``.

    /work/venv/bin/python benchmarks/bench_blender_boards.py [--size 960x540] [--runs 3] [--max-ratio 1.2]
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
    parser.add_argument("--max-ratio", type=float, default=1.2)
    args = parser.parse_args(argv)

    import bpy

    sys.path.insert(0, str(REPO))  # blender_addon as a plain package: its modules, without enabling it
    from shotreel.example import scaffold_example
    from shotreel.layout import layout_plan
    from shotreel.project import load_project

    from blender_addon.boards.core import ENGINE, render_boards
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

        def shotreel() -> None:
            render_boards(scene, load_project(folder), layout)

        def bare() -> None:
            scene.render.engine = ENGINE
            scene.render.image_settings.file_format = "PNG"
            for shot in layout.shots:
                scene.camera = cameras[shot.id]
                scene.frame_set(shot.start)
                scene.render.filepath = str(bare_dir / f"{shot.id}.png")
                bpy.ops.render.render(write_still=True)

        bare()  # warm-up: shaders compiled, caches filled
        best = {"shotreel": float("inf"), "bare": float("inf")}
        for _ in range(args.runs):
            for name, work in (("shotreel", shotreel), ("bare", bare)):
                started = time.perf_counter()
                work()
                best[name] = min(best[name], time.perf_counter() - started)
        boards = sorted(p.name for p in (folder / "boards").glob("*.png"))
    ratio = best["shotreel"] / best["bare"]
    print(f"board renders, {len(layout.shots)} shots at {args.size} (Workbench, best of {args.runs}):")
    print(f"  shotreel render_boards : {best['shotreel']:.3f} s ({len(boards)} boards in boards/)")
    print(f"  bare bpy renders       : {best['bare']:.3f} s")
    print(f"  ratio: {ratio:.2f} (limit {args.max_ratio})")
    return 0 if ratio <= args.max_ratio and len(boards) == len(layout.shots) else 1


if __name__ == "__main__":
    sys.exit(main())
