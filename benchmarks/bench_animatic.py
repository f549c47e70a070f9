"""Figures: the animatic and the offline ``animatic`` provider.

1. ``shotreel animatic`` on the example film (12 shots, 1 minute, 1920x1080, boards drawn) renders in
   at most 1.3x the time of one bare ffmpeg command over the same images and durations, measured in
   the same run. The bare command is what a person would type: ffmpeg's concat demuxer over the
   board images with each shot's exact duration, scaled to the film's size, encoded with the same
   x264 preset and CRF — no letterbox, burn-in, sound, progress or frame check. Runs alternate;
   the best of ``--runs`` of each is compared.
2. The ``animatic`` provider renders a 4 s 1080p take (96 frames at 24 fps, push in — a moving shot
   costs more than a static one) in under 3 s on one core: ffmpeg is pinned to one CPU (Linux) and
   runs with one thread; the CPU time it used is printed too.

``python benchmarks/bench_animatic.py [--runs 3]``: prints the times and the ratio; exits non-zero
when a figure is missed.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

from shotreel.animatic import CRF, PRESET, render_animatic
from shotreel.boards import draw_boards, shot_board_image
from shotreel.example import scaffold_example
from shotreel.generation.base import GenerationRequest
from shotreel.generation.providers.animatic import create
from shotreel.media import ffmpeg_exe, ffmpeg_rate, probe
from shotreel.project import load_project

LIMIT_RATIO = 1.3
LIMIT_TAKE_S = 3.0


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _self_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def bare_command(film, folder: Path, output: Path) -> list[str]:
    """One plain ffmpeg command over the boards and durations (concat demuxer)."""
    lines = ["ffconcat version 1.0"]
    last = None
    for shot in film.shots():
        board = shot_board_image(film, shot)
        seconds = Fraction(shot.duration) / film.fps
        lines += [f"file '{board}'", f"duration {float(seconds):.9f}"]
        last = board
    lines.append(f"file '{last}'")  # the concat demuxer needs the last image twice for its duration
    listing = folder / "boards.ffconcat"
    listing.write_text("\n".join(lines) + "\n")
    width, height = film.resolution
    return [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
            "-f", "concat", "-safe", "0", "-i", str(listing),
            "-vf", f"scale={width}:{height},format=yuv420p", "-r", ffmpeg_rate(film.fps),
            "-frames:v", str(film.runtime()), "-c:v", "libx264", "-preset", PRESET, "-crf", str(CRF),
            str(output)]


def bench_animatic(runs: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "green-hours"
        scaffold_example(folder)
        film = load_project(folder)
        draw_boards(film)
        film = load_project(folder)
        bare_out = Path(tmp) / "bare.mp4"
        cmd = bare_command(film, Path(tmp), bare_out)
        ours, bare, ours_cpu, bare_cpu = [], [], [], []
        for _ in range(runs):
            cpu, start = _children_cpu(), time.perf_counter()
            subprocess.run(cmd, check=True)
            bare.append(time.perf_counter() - start)
            bare_cpu.append(_children_cpu() - cpu)
            cpu, start = _children_cpu() + _self_cpu(), time.perf_counter()
            result = render_animatic(film, folder / "edit" / "animatic.mp4")
            ours.append(time.perf_counter() - start)
            ours_cpu.append(_children_cpu() + _self_cpu() - cpu)
        assert result.frames == film.runtime() == probe(result.path).frames
        bare_frames = probe(bare_out).frames
    ratio = min(ours) / min(bare)
    width, height = film.resolution
    print(f"animatic of the example film ({film.runtime()} frames, {width}x{height}):")
    print(f"  shotreel animatic : best {min(ours):.2f} s  (runs: {', '.join(f'{t:.2f}' for t in ours)})")
    print(f"  bare ffmpeg       : best {min(bare):.2f} s  (runs: {', '.join(f'{t:.2f}' for t in bare)}; "
          f"{bare_frames} frames)")
    print(f"  ratio             : {ratio:.2f}  (limit {LIMIT_RATIO}); CPU time {min(ours_cpu):.1f} s vs "
          f"{min(bare_cpu):.1f} s, ratio {min(ours_cpu) / min(bare_cpu):.2f}")
    return ratio


def bench_take(runs: int) -> float:
    provider = create(threads=1)
    pin = ["taskset", "-c", str(min(os.sched_getaffinity(0)))] if hasattr(os, "sched_getaffinity") and \
        subprocess.run(["which", "taskset"], check=False, capture_output=True).returncode == 0 else []
    times, cpus = [], []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "green-hours"
        scaffold_example(folder)
        film = load_project(folder)
        draw_boards(film)
        shot = film.shot("sh020")  # push in
        board = shot_board_image(film, shot)
        request = GenerationRequest(take_id="t1", shot_id=shot.id, provider="animatic", model="ken-burns",
                                    prompt="", duration_frames=96, fps=Fraction(24), width=1920, height=1080,
                                    start_image=board, movement=shot.camera.movement)
        out = Path(tmp) / "take.mp4"
        for _ in range(runs):
            cmd, _ = provider.command(request, out)
            cpu0, start = _children_cpu(), time.perf_counter()
            subprocess.run(pin + cmd, check=True)
            times.append(time.perf_counter() - start)
            cpus.append(_children_cpu() - cpu0)
        info = probe(out)
        assert info.frames == 96 and (info.width, info.height) == (1920, 1080)
    where = "pinned to one CPU" if pin else "not pinned"
    print(f"animatic provider, 4 s 1080p push in ({where}, one thread):")
    runs_text = ", ".join(f"{t:.2f}" for t in times)
    print(f"  wall  : best {min(times):.2f} s  (runs: {runs_text}; limit {LIMIT_TAKE_S})")
    print(f"  CPU   : best {min(cpus):.2f} s")
    return min(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    take = bench_take(args.runs)
    ratio = bench_animatic(args.runs)
    ok = ratio <= LIMIT_RATIO and take < LIMIT_TAKE_S
    print("OK" if ok else "FIGURE MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
