"""Stills over several servers: many image jobs spread over two ComfyUI servers, against the ideal makespan.

Two local ComfyUI servers (``tests.servers``, each in its own process like a GPU machine on the network) run
each job for ``--service`` seconds with at most ``--limit`` jobs at once each (the rest wait in ComfyUI's
queue; a slot is handed over the moment a job ends). ``shotreel.generation.images.generate_images`` drives
``--jobs`` stills (ComfyUI's shipped text-to-image workflow, every job its own prompt and seed) through the
real ComfyUI client on both servers (``servers=[…]``, ``--limit`` jobs each, plus shotreel's queue-ahead):
plan, ledger, submit, poll, download, Pillow check, sidecar, landing at the destination. The makespan is the
wall time of that call, compared with the ideal ``jobs / (servers × limit) × service`` (400 / 16 × 0.1 s =
2.5 s). The stills are 320×180 (``--size``): the test servers draw and encode each one on the same cores as
the client (about 4 ms a still at 640×360), which a real GPU server does elsewhere. Each run is a fresh
process on a fresh project; the fastest of ``--runs`` (3) counts and every run's ratio is printed (noise on a
shared machine only ever adds time). Exit status 1 when that ratio exceeds
``--max-ratio`` (1.15), or when in any run a still is missing, was queued twice, or one server got no jobs.

For context each run also times a bare client (``--baseline``): the same ComfyUI clients and servers, ``--limit``
threads per server doing submit → poll every ``--poll-interval`` → download and nothing else (no ledger, no
check, no sidecar), which shows what the machine allows at that moment.

    /work/venv/bin/python benchmarks/bench_images.py [--jobs 400] [--limit 8] [--servers 2] [--service 0.1] [--busy]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Self

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

BUSY = "while True:\n    pass\n"  # a CPU-bound process: one core, all the time


class _Busy:
    """A CPU-bound process beside the benchmark (``--busy``), stopped at the end."""

    def __enter__(self) -> Self:
        self.process = subprocess.Popen([sys.executable, "-c", BUSY])
        time.sleep(0.2)
        return self

    def __exit__(self, *exc: object) -> None:
        self.process.kill()
        self.process.wait(10)


def _cpu(pid: int) -> float:
    """The CPU seconds process ``pid`` has used (Linux ``/proc``; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


def make_project(folder: Path) -> Path:
    """A film of one shot: the stills are candidates for its board (they need no board of their own)."""
    folder.mkdir(parents=True)
    (folder / "shotreel.yaml").write_text(
        "title: Benchmark\nfps: 24\nresolution: 640x360\nbeats:\n  - id: b1\nscenes:\n  - id: sc01\n"
        "    heading: INT. BENCH - DAY\n    shots:\n      - id: sh0001\n        beat: b1\n        duration: 5s\n"
        "        action: The camera pushes in.\n", encoding="utf-8")
    return folder


def one_run(folder: Path, urls: list[str], limit: int, poll_interval: float) -> dict:
    """One run in this (fresh) process: the makespan of ``generate_images`` over ``urls`` and what landed."""
    from shotreel.generation.base import IMAGE, GenerationRequest
    from shotreel.generation.images import ImageJob, generate_images
    from shotreel.project import load_project

    film = load_project(folder)
    plan = json.loads((folder / "jobs.json").read_text())
    jobs, (width, height) = plan["jobs"], plan["size"]
    wanted = [ImageJob(GenerationRequest(take_id=f"c{n:04d}", shot_id="sh0001", provider="", model="",
                                         prompt=f"Candidate {n}: the corridor, a green light pulsing",
                                         duration_frames=0, fps=film.fps, width=width, height=height, seed=n, kind=IMAGE),
                       f"boards/candidates/sh0001/c{n:04d}") for n in range(1, jobs + 1)]
    started, cpu = time.perf_counter(), time.process_time()
    summary = generate_images(film, wanted, provider="comfyui", options={"poll_interval": poll_interval},
                              servers=urls, concurrency=limit)
    makespan = time.perf_counter() - started
    cpu = time.process_time() - cpu
    stills = sorted((folder / "boards" / "candidates" / "sh0001").glob("c*.png"))
    sidecars = [json.loads(p.with_suffix(".json").read_text()) for p in stills]
    servers: dict[str, int] = {}
    for record in json.loads((folder / "servers.json").read_text()) if (folder / "servers.json").exists() else []:
        servers[record] = servers.get(record, 0) + 1
    from shotreel.generation.ledger import Ledger

    with Ledger.open(folder) as ledger:
        for row in ledger.jobs():
            servers[row.server or "?"] = servers.get(row.server or "?", 0) + 1
    return {"makespan": makespan, "cpu": cpu, "done": len(summary.done), "stills": len(stills),
            "checked": sum(1 for s in sidecars if (s.get("width"), s.get("height")) == (width, height)),
            "per_server": servers, "ok": summary.ok}


def bare_run(folder: Path, urls: list[str], limit: int, poll_interval: float) -> dict:
    """The bare clients: ``limit`` threads per server, each submit → poll → download, nothing else."""
    import threading

    from shotreel.generation.base import IMAGE, GenerationRequest
    from shotreel.generation.registry import get_provider

    plan = json.loads((folder / "jobs.json").read_text())
    jobs, (width, height) = plan["jobs"], plan["size"]
    (folder / "bare").mkdir()
    clients = [get_provider("comfyui", base_url=url, poll_interval=poll_interval) for url in urls]
    queue = list(range(jobs, 0, -1))
    lock = threading.Lock()

    def worker(client) -> None:
        while True:
            with lock:
                if not queue:
                    return
                n = queue.pop()
            request = GenerationRequest(take_id=f"b{n:04d}", shot_id="sh0001", provider="comfyui",
                                        model="image_workflow", prompt=f"Candidate {n}: the corridor",
                                        duration_frames=0, fps=24, width=width, height=height, seed=n, kind=IMAGE,
                                        client_id=f"bare-{n}-{time.time_ns()}")
            handle = client.submit(request)
            while True:
                time.sleep(poll_interval)
                status = client.poll(handle)
                if status.state.finished:
                    break
            client.fetch(handle, status, folder / "bare" / f"b{n:04d}.png")

    threads = [threading.Thread(target=worker, args=(client,)) for client in clients for _ in range(limit)]
    started, cpu = time.perf_counter(), time.process_time()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"bare": time.perf_counter() - started, "bare_cpu": time.process_time() - cpu}


def _child(folder: Path, urls: list[str], limit: int, poll_interval: float, mode: str = "images") -> dict:
    done = subprocess.run([sys.executable, __file__, "--child", str(folder), ",".join(urls), str(limit),
                           str(poll_interval), mode], cwd=REPO, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"the run failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(jobs: int, limit: int, servers: int, service: float, poll_interval: float, runs: int = 3,
        busy: bool = False, baseline: bool = True, size: tuple[int, int] = (320, 180)) -> dict:
    """Run the benchmark ``runs`` times against ``servers`` ComfyUI servers; the fastest run's figures with
    every run's ratio."""
    from tests.servers import start_server

    ideal = jobs / (servers * limit) * service
    started = [start_server("comfyui", process=True, service_time=service, max_concurrent=limit, size=size)
               for _ in range(servers)]
    results = []
    try:
        with tempfile.TemporaryDirectory(prefix="shotreel-bench-images-") as tmp, \
                (_Busy() if busy else contextlib.nullcontext()):
            pristine = make_project(Path(tmp) / "pristine")
            (pristine / "jobs.json").write_text(json.dumps({"jobs": jobs, "size": list(size)}))
            for n in range(runs):
                folder = Path(tmp) / f"film{n}"
                shutil.copytree(pristine, folder)
                before = [s.creates() for s in started]
                cpu = sum(_cpu(s._proc.pid) for s in started)
                result = _child(folder, [s.url for s in started], limit, poll_interval)
                server_cpu = sum(_cpu(s._proc.pid) for s in started) - cpu
                creates = [s.creates() - b for s, b in zip(started, before, strict=True)]
                duplicates = sum(len(s.duplicates()) for s in started)
                result.update(ratio=result["makespan"] / ideal, creates=creates, duplicates=duplicates, bare=None,
                              server_cpu=server_cpu)
                if baseline:
                    bare = _child(folder, [s.url for s in started], limit, poll_interval, "bare")
                    result["bare"], result["bare_cpu"] = bare["bare"], bare["bare_cpu"]
                shutil.rmtree(folder)
                results.append(result)
    finally:
        for server in started:
            server.stop()
    best = min(results, key=lambda r: r["makespan"])
    bares = [r for r in results if r["bare"] is not None]
    fastest = min(bares, key=lambda r: r["bare"]) if bares else None
    return {**best, "size": size, "bare": fastest["bare"] if fastest else None, "bare_cpu": fastest["bare_cpu"] if fastest else None,
            "jobs": jobs, "limit": limit, "servers": servers, "service": service, "ideal": ideal,
            "busy": busy, "runs": [r["ratio"] for r in results],
            "all_ok": all(r["ok"] and r["stills"] == r["done"] == r["checked"] == sum(r["creates"]) == jobs
                          and not r["duplicates"] and min(r["creates"]) > 0 for r in results)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=400)
    parser.add_argument("--limit", type=int, default=8, help="jobs each server runs at once (--concurrency)")
    parser.add_argument("--servers", type=int, default=2)
    parser.add_argument("--runs", type=int, default=3, help="runs, each on a fresh project; the fastest counts")
    parser.add_argument("--service", type=float, default=0.1, help="seconds each job runs on its server")
    parser.add_argument("--poll-interval", type=float, default=0.005, help="the client's poll interval (s)")
    parser.add_argument("--max-ratio", type=float, default=1.15)
    parser.add_argument("--busy", action="store_true", help="run a CPU-bound process beside the benchmark")
    parser.add_argument("--size", default="320x180", help="the stills' size (the test servers draw each one on "
                                                          "the same cores as the client: 4 ms at 640×360)")
    parser.add_argument("--baseline", action=argparse.BooleanOptionalAction, default=True,
                        help="also time bare clients in the same run, for context (default: on)")
    if argv is None and len(sys.argv) > 1 and sys.argv[1] == "--child":  # one run, in its own process
        folder, urls, limit, poll, mode = sys.argv[2:7]
        work = bare_run if mode == "bare" else one_run
        print(json.dumps(work(Path(folder), urls.split(","), int(limit), float(poll))))
        return 0
    args = parser.parse_args(argv)
    width, _, height = args.size.partition("x")
    result = run(args.jobs, args.limit, args.servers, args.service, args.poll_interval, args.runs, args.busy,
                 args.baseline, (int(width), int(height)))
    print(f"images: {result['jobs']} stills over {result['servers']} ComfyUI servers, {result['limit']} at once "
          f"each, {result['service'] * 1000:.0f} ms each{', beside a CPU-bound process' if result['busy'] else ''}: "
          f"makespan {result['makespan']:.3f} s vs ideal {result['ideal']:.3f} s -> ratio {result['ratio']:.3f} "
          f"(limit {args.max_ratio}; fastest of {len(result['runs'])} runs: "
          f"{', '.join(f'{r:.3f}' for r in result['runs'])})")
    print(f"  stills landed {result['stills']}/{result['jobs']} ({result['checked']} at {result['size'][0]}×"
          f"{result['size'][1]}), queued per "
          f"server {result['creates']}, duplicates {result['duplicates']}, CPU: client {result['cpu']:.2f} s, "
          f"servers {result['server_cpu']:.2f} s")
    if result["bare"] is not None:
        print(f"  bare clients (submit/poll/download only), fastest of the runs beside: {result['bare']:.3f} s "
              f"-> ratio {result['bare'] / result['ideal']:.3f}, client CPU {result['bare_cpu']:.2f} s")
    if not result["all_ok"]:
        print("FAIL: in some run, stills were missing, queued twice, or a server got none", file=sys.stderr)
        return 1
    return 0 if result["ratio"] <= args.max_ratio else 1


if __name__ == "__main__":
    sys.exit(main())
