"""Load Reel of a 500-shot film with boards and takes vs. bare ``bpy`` creating the same strips (DESIGN §8).

A generated project (``big_project``) of ``--shots`` shots, each with a board (a PNG) and a take (an H.264 mp4
with its sidecar). In real Blender (the PyPI ``bpy`` wheel, headless), alternating in one process:
(a) shotreel's ``load_reel`` (the project read — its parse remembered while the file is unchanged —, the
takes found and conformed, ``shotreel check`` for the panel — run again only when the project changed since
the last load, as for an artist loading again; the first run of each side is the session's first load —,
strips placed and tagged, channels named, beat markers) into an emptied scene, and (b) a bare loop
that only calls ``new_image`` / ``new_movie`` with the same paths, channels and frames (read from the plan
beforehand) and sets the same lengths and mutes. Prints every run, the best of ``--runs`` for each and
their ratio; exit 1 above ``--max-ratio``.

    .venv/bin/python benchmarks/bench_blender_reel.py [--shots 500] [--runs 3] [--max-ratio 1.1]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _take(folder: Path) -> Path:
    """A short real H.264 clip Blender can open (made once with the bundled ffmpeg)."""
    import imageio_ffmpeg

    clip = folder / "take.mp4"
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i",
                    "testsrc=size=64x36:rate=24:duration=5", "-c:v", "libx264", "-pix_fmt", "yuv420p",
                    str(clip)], check=True)
    return clip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shots", type=int, default=500)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--max-ratio", type=float, default=1.1)
    args = parser.parse_args(argv)

    import bpy
    from PIL import Image

    sys.path.insert(0, str(REPO))  # blender_addon as a plain package: its modules, without enabling it
    sys.path.insert(0, str(REPO / "benchmarks"))
    from big_project import write_big_project
    from shotreel.layout import reel_strips
    from shotreel.project import load_project
    from shotreel.reel import build_reel

    from blender_addon import compat
    from blender_addon.takes import core as takes_core

    with tempfile.TemporaryDirectory(prefix="shotreel-bench-") as tmp:
        folder = Path(tmp) / "film"
        write_big_project(folder, shots=args.shots)
        film = load_project(folder)
        clip = _take(Path(tmp))
        (folder / "boards").mkdir(exist_ok=True)
        Image.new("RGB", (64, 36), (64, 64, 64)).save(Path(tmp) / "board.png")
        for shot in film.shots():
            shutil.copyfile(Path(tmp) / "board.png", folder / "boards" / f"{shot.id}.png")
            take = folder / "takes" / shot.id / "t001.mp4"
            take.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(clip, take)
            take.with_suffix(".json").write_text(json.dumps(
                {"status": "done", "probe": {"fps": "24", "frames": 120}, "provider": "animatic"}), encoding="utf-8")
        film = load_project(folder)
        plan = reel_strips(build_reel(film), film.fps)  # the bare loop gets its strips for free
        bpy.ops.wm.read_homefile(use_empty=True)
        scene = bpy.context.scene

        def empty() -> None:
            editor = scene.sequence_editor_create()
            strips = compat.strips(editor)
            for strip in list(strips):
                strips.remove(strip)

        def shotreel() -> int:
            takes_core.load_reel(scene, load_project(folder))
            return len(compat.strips(scene.sequence_editor))

        def bare() -> int:
            strips = compat.strips(scene.sequence_editor_create())
            for item in plan:
                if item.kind == "board":
                    strip = strips.new_image(item.shot, item.path, item.channel, item.start, fit_method="FIT")
                    strip.frame_final_duration = item.duration
                else:
                    strip = strips.new_movie(f"{item.shot} {item.take}", item.path, item.channel,
                                             item.start - item.offset, fit_method="FIT")
                    strip.frame_final_start = item.start
                    strip.frame_final_end = min(item.start + item.duration, strip.frame_final_end)
                    strip.mute = not item.active
            return len(strips)

        empty()
        bare()  # warm-up: the movie decoder opened once, caches filled
        times: dict[str, list[float]] = {"shotreel": [], "bare": []}
        made = {}
        for _ in range(args.runs):
            for name, work in (("shotreel", shotreel), ("bare", bare)):
                empty()
                started = time.perf_counter()
                made[name] = work()
                times[name].append(time.perf_counter() - started)
    best = {name: min(values) for name, values in times.items()}
    ratio = best["shotreel"] / best["bare"]
    print(f"Load Reel, {args.shots} shots with a board and a take each ({made['bare']} strips):")
    for name, label in (("shotreel", "shotreel load_reel"), ("bare", "bare bpy strips   ")):
        runs = ", ".join(f"{t:.3f}" for t in times[name])
        print(f"  {label}: best {best[name]:.3f} s (runs: {runs}; {made[name]} strips)")
    print(f"  ratio: {ratio:.2f} (limit {args.max_ratio})")
    return 0 if ratio <= args.max_ratio and made["shotreel"] == made["bare"] else 1


if __name__ == "__main__":
    sys.exit(main())
