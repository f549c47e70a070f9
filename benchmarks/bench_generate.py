"""Generation makespan: many takes against a provider with fixed latency and a concurrency limit.

The local Runway server (``tests.servers``, run in its own process like a real remote service) runs each
job for ``--service`` seconds with at most ``--limit`` jobs running at once (the rest wait THROTTLED);
it answers polls at once. ``shotreel.generation.generate`` drives ``--jobs`` takes through the real Runway
client with ``--concurrency`` jobs running, plus the jobs shotreel keeps waiting in Runway's queue
(``--queue-ahead``, default 4 for 16; ``--queue-ahead 0`` to measure without): plan, ledger, submit, poll,
download, probe, sidecar. As in a real film, every shot has its own board and every job returns different
bytes, so each take is read, hashed and probed (nothing is answered from a cache). The makespan is the wall
time of that whole call, compared with the ideal ``jobs / limit × service`` (400 / 16 × 0.1 s = 2.5 s).
The benchmark runs ``--runs`` times (3), each on a fresh copy of the project with a fresh client, and the
fastest run counts, as in the other benchmarks here: on a shared machine noise only ever adds time (every
run's ratio is printed). Exit status 1 when that ratio exceeds ``--max-ratio`` (1.15) or when, in any run,
a take is missing, unprobed or was submitted twice.

For context each run also times a bare client (``--baseline``): the same provider client and server,
``--concurrency`` threads doing submit → poll every ``--poll-interval`` → download and nothing else (no
ledger, no probe, no sidecar), which shows what the machine allows at that moment. Module
imports happen before the clock starts, as in ``shotreel generate`` (whose CLI has imported them).

``--busy`` runs a CPU-bound process beside the benchmark for all of it (one busy loop, as a render or a
compile beside ``shotreel generate`` would be) and reports ``busy`` in the figures: on a 2-core machine it
takes one core, and the scheduler, the server and the busy loop share the other.

``--http`` instead measures what one API call (a poll) costs the client in CPU through
``requests``, urllib3 and shotreel's own HTTP layer (``http.client``), on 1 and 16 threads — the
figures behind the choice of transport in ``shotreel.generation.providers._http``.

    /work/venv/bin/python benchmarks/bench_generate.py [--jobs 400] [--concurrency 16] [--service 0.1] [--busy]
    /work/venv/bin/python benchmarks/bench_generate.py --http
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Self

REPO = Path(__file__).resolve().parents[1]

SERVER = """
import json, sys, time
from tests.servers import media, start_server
media.clip(24, 121, 640, 360)
server = start_server("runway", service_time=float(sys.argv[1]), max_concurrent=int(sys.argv[2]), size=(640, 360))
print(json.dumps({"url": server.url, "key": server.api_key}), flush=True)
for line in sys.stdin:
    jobs = list(server.jobs.values())
    span = max(j.end for j in jobs) - min(j.start for j in jobs) if jobs else 0.0
    print(json.dumps({"creates": server.creates(), "duplicates": server.duplicates(), "errors": server.errors,
                      "polls": sum(j.polls for j in jobs), "busy_span": span, "cpu": time.process_time()}),
          flush=True)
    server.jobs.clear()
    server.submissions.clear()
server.stop()
"""


def make_project(folder: Path, shots: int) -> Path:
    """A film of ``shots`` five-second shots, each with its own 1280×720 board (as in a real film, no two
    requests share a board: each is read, checked and hashed)."""
    from PIL import Image, ImageDraw

    folder.mkdir(parents=True)
    (folder / "boards").mkdir()
    lines = ["title: Benchmark", "fps: 24", "resolution: 1280x720", "beats:", "  - id: b1", "scenes:",
             "  - id: sc01", "    heading: INT. BENCH - DAY", "    shots:"]
    for n in range(1, shots + 1):
        board = Image.new("RGB", (1280, 720), (40 + n % 200, 90 + n * 7 % 160, 140 + n * 13 % 110))
        ImageDraw.Draw(board).text((40, 40), f"Shot {n}: the camera pushes in.", fill=(255, 255, 255))
        board.save(folder / "boards" / f"sh{n:04d}.png")
        lines += [f"      - id: sh{n:04d}", "        beat: b1", "        duration: 5s",
                  f"        action: Shot {n}, the camera pushes in.", f"        boards: [boards/sh{n:04d}.png]"]
    (folder / "shotreel.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


BUSY = "while True:\n    pass\n"  # a CPU-bound process: one core, all the time


class _Busy:
    """A CPU-bound process beside the benchmark (``--busy``), stopped at the end."""

    def __enter__(self) -> Self:
        self.process = subprocess.Popen([sys.executable, "-c", BUSY])
        time.sleep(0.2)  # scheduled and spinning before the first run starts
        return self

    def __exit__(self, *exc: object) -> None:
        self.process.kill()
        self.process.wait(10)


class _Server:
    """The fake Runway server in a child process."""

    def __init__(self, service: float, limit: int):
        self.process = subprocess.Popen([sys.executable, "-c", SERVER, str(service), str(limit)], cwd=REPO,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        hello = json.loads(self.process.stdout.readline())
        self.url, self.key = hello["url"], hello["key"]
        self.cpu = self.report()["cpu"]  # what starting took

    def report(self) -> dict:
        """Accepted creates, duplicates, polls, busy span and CPU since the last report (then reset)."""
        self.process.stdin.write("report\n")
        self.process.stdin.flush()
        report = json.loads(self.process.stdout.readline())
        report["cpu"], self.cpu = report["cpu"] - getattr(self, "cpu", 0.0), report["cpu"]
        return report

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(10)


def _bare(provider, requests: list, concurrency: int, folder: Path) -> tuple[float, float]:
    """Submit → poll → download every request on ``concurrency`` threads, nothing else; wall and CPU time."""
    queue = list(reversed(requests))
    lock = threading.Lock()

    def worker() -> None:
        while True:
            with lock:
                if not queue:
                    return
                request = queue.pop()
            handle = provider.submit(request)
            while True:
                time.sleep(provider.poll_interval)
                status = provider.poll(handle)
                if status.state.finished:
                    break
            provider.fetch(handle, status, folder / f"{request.shot_id}.mp4")

    return _on_threads(worker, concurrency)


def _on_threads(work, count: int) -> tuple[float, float]:
    """Run ``work`` on ``count`` threads at once; the wall and process CPU time until all are done."""
    started, cpu = time.perf_counter(), time.process_time()
    threads = [threading.Thread(target=work) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, time.process_time() - cpu


def one_run(mode: str, folder: Path, url: str, key: str, concurrency: int, poll_interval: float,
            queue_ahead: int | None) -> dict:
    """One run in this (fresh) process, as ``shotreel generate`` makes it: the makespan of ``generate`` on the
    project at ``folder`` and what landed (``mode`` ``generate``), or the bare client's time (``bare``)."""
    import shotreel.boards  # noqa: F401 - as in `shotreel generate`, whose CLI has it imported already
    from shotreel.generation.registry import get_provider
    from shotreel.generation.scheduler import generate
    from shotreel.project import load_project
    from shotreel.prompts import build_request

    film = load_project(folder)
    provider = get_provider("runway", base_url=url, api_key=key, poll_interval=poll_interval,
                            max_concurrency=concurrency)
    if mode == "bare":
        requests = [build_request(film, shot, provider, None, "b001") for shot in film.shots()]
        (folder / "bare").mkdir()
        bare, bare_cpu = _bare(provider, requests, concurrency, folder / "bare")
        return {"bare": bare, "bare_cpu": bare_cpu}
    started, cpu = time.perf_counter(), time.process_time()
    summary = generate(film, provider=provider, concurrency=concurrency, queue_ahead=queue_ahead)
    makespan = time.perf_counter() - started
    cpu = time.process_time() - cpu
    takes = sum(1 for _ in (folder / "takes").glob("*/t001.mp4"))
    sidecars = [json.loads(p.read_text()) for p in (folder / "takes").glob("*/t001.json")]
    probed = len({s["sha256"] for s in sidecars if s.get("probe", {}).get("frames") == 121})
    return {"makespan": makespan, "cpu": cpu, "done": len(summary.done), "takes": takes, "probed": probed}


def _child(mode: str, folder: Path, server: _Server, concurrency: int, poll_interval: float,
           queue_ahead: int | None) -> dict:
    done = subprocess.run([sys.executable, __file__, "--child", mode, str(folder), server.url, server.key,
                           str(concurrency), str(poll_interval), "" if queue_ahead is None else str(queue_ahead)],
                          cwd=REPO, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"the {mode} run failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(jobs: int, concurrency: int, service: float, limit: int, poll_interval: float,
        baseline: bool = False, queue_ahead: int | None = None, runs: int = 3, busy: bool = False) -> dict:
    """Run the benchmark ``runs`` times, each in a fresh process on a fresh copy of the project (as a new
    ``shotreel generate`` would: nothing cached from the run before), against one server, and return the
    figures of the fastest run with every run's ratio (noise on a shared machine only ever adds time)."""
    from shotreel.generation.providers.runway import RunwayProvider
    from shotreel.generation.scheduler import default_queue_ahead

    ideal = jobs / limit * service
    results = []
    server = _Server(service, limit)
    try:
        with tempfile.TemporaryDirectory(prefix="shotreel-bench-") as tmp, \
                (_Busy() if busy else contextlib.nullcontext()):
            pristine = make_project(Path(tmp) / "pristine", jobs)
            for n in range(runs):
                folder = Path(tmp) / f"film{n}"
                shutil.copytree(pristine, folder)
                result = _child("generate", folder, server, concurrency, poll_interval, queue_ahead)
                report = server.report()
                result.update(ratio=result["makespan"] / ideal, creates=report["creates"],
                              duplicates=report["duplicates"], server_errors=report["errors"],
                              polls=report["polls"], busy_span=report["busy_span"], server_cpu=report["cpu"],
                              bare=None)
                if baseline:
                    result["bare"] = _child("bare", folder, server, concurrency, poll_interval, None)["bare"]
                    server.report()
                shutil.rmtree(folder)
                results.append(result)
    finally:
        server.close()
    best = min(results, key=lambda r: r["makespan"])
    bares = [r["bare"] for r in results if r["bare"] is not None]
    ahead = default_queue_ahead(RunwayProvider, concurrency) if queue_ahead is None else queue_ahead
    return {**best, "jobs": jobs, "queue_ahead": ahead, "concurrency": concurrency, "service": service,
            "limit": limit, "ideal": ideal, "busy": busy, "runs": [r["ratio"] for r in results],
            "bare": min(bares) if bares else None,
            "all_ok": all(r["takes"] == r["done"] == r["creates"] == r["probed"] == jobs
                          and not r["duplicates"] and not r["server_errors"] for r in results)}


def http_costs(calls: int = 800) -> list[tuple[str, int, float, float]]:
    """(client, threads, wall ms, client CPU ms) per poll of one task, for each HTTP client available."""
    from shotreel.generation.providers._http import HttpClient

    server = _Server(0.01, 1000)
    try:
        auth = {"Authorization": f"Bearer {server.key}", "X-Runway-Version": "2024-11-06"}
        ours = HttpClient("runway", auth_headers=lambda: auth)
        body = {"model": "gen4_turbo", "promptText": "a poll", "ratio": "1280:720", "duration": 5,
                "promptImage": "data:image/png;base64," + "A" * 4000}
        task = f"{server.url}/v1/tasks/" + ours.request("POST", server.url + "/v1/image_to_video", json=body).json()["id"]
        clients = {"shotreel (http.client)": lambda: lambda: ours.request("GET", task).json()}
        try:
            import urllib3

            def pool():
                manager = urllib3.PoolManager(maxsize=64, retries=False)
                return lambda: json.loads(manager.request("GET", task, headers=auth,
                                                          timeout=urllib3.Timeout(10, 60)).data)
            clients["urllib3 PoolManager"] = pool
        except ImportError:
            pass
        try:
            import requests

            def session():
                sess = requests.Session()
                sess.trust_env = False
                return lambda: sess.get(task, headers=auth, timeout=(10, 60)).json()
            clients["requests Session"] = session
        except ImportError:
            pass
        rows = []
        for name, make in clients.items():
            for threads in (1, 16):
                call = make()
                for _ in range(20):
                    call()
                each = calls // threads

                def work(call=call, each=each) -> None:
                    for _ in range(each):
                        call()

                wall, cpu = _on_threads(work, threads)
                done = each * threads
                rows.append((name, threads, wall / done * 1e3, cpu / done * 1e3))
        return rows
    finally:
        server.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=16, help="jobs in flight (--concurrency)")
    parser.add_argument("--runs", type=int, default=3, help="runs, each on a fresh project; the fastest counts")
    parser.add_argument("--queue-ahead", type=int, default=None,
                        help="jobs kept waiting in the provider's queue (default: shotreel's default, 4 for 16)")
    parser.add_argument("--limit", type=int, default=None, help="the server's concurrency limit (default: same)")
    parser.add_argument("--service", type=float, default=0.1, help="seconds each job runs on the server")
    parser.add_argument("--poll-interval", type=float, default=0.005, help="the client's poll interval (s)")
    parser.add_argument("--max-ratio", type=float, default=1.15)
    parser.add_argument("--baseline", action=argparse.BooleanOptionalAction, default=True,
                        help="also time a bare client in the same run, for context (default: on)")
    parser.add_argument("--busy", action="store_true",
                        help="run a CPU-bound process beside the benchmark (a busy machine)")
    parser.add_argument("--http", action="store_true", help="measure the CPU cost of one API call per HTTP client")
    if argv is None and len(sys.argv) > 1 and sys.argv[1] == "--child":  # one run, in its own process
        mode, folder, url, key, concurrency, poll, ahead = sys.argv[2:9]
        print(json.dumps(one_run(mode, Path(folder), url, key, int(concurrency), float(poll),
                                 int(ahead) if ahead else None)))
        return 0
    args = parser.parse_args(argv)
    if args.http:
        for name, threads, wall, cpu in http_costs():
            print(f"{name:24s} {threads:2d} thread(s): {wall:.3f} ms per poll, client CPU {cpu:.3f} ms")
        return 0
    result = run(args.jobs, args.concurrency, args.service, args.limit or args.concurrency, args.poll_interval,
                 args.baseline, args.queue_ahead, args.runs, args.busy)
    print(f"generate: {result['jobs']} jobs, {result['limit']} at once (+{result['queue_ahead']} queued ahead), "
          f"{result['service'] * 1000:.0f} ms each{', beside a CPU-bound process' if result['busy'] else ''}: makespan {result['makespan']:.3f} s vs ideal "
          f"{result['ideal']:.3f} s -> ratio {result['ratio']:.3f} (limit {args.max_ratio}; fastest of "
          f"{len(result['runs'])} runs: {', '.join(f'{r:.3f}' for r in result['runs'])})")
    print(f"  takes landed {result['takes']}/{result['jobs']} ({result['probed']} distinct clips probed), "
          f"creates {result['creates']}, duplicates {len(result['duplicates'])}, polls {result['polls']} "
          f"({result['polls'] / max(1, result['jobs']):.1f} per job), server busy span {result['busy_span']:.3f} s, "
          f"CPU: client {result['cpu']:.2f} s, server {result['server_cpu']:.2f} s")
    if result["bare"] is not None:
        print(f"  bare client (submit/poll/download only), fastest of the runs beside: {result['bare']:.3f} s "
              f"-> ratio {result['bare'] / result['ideal']:.3f}")
    if not result["all_ok"]:
        print("FAIL: in some run, takes were missing, unprobed or submitted twice", file=sys.stderr)
        return 1
    return 0 if result["ratio"] <= args.max_ratio else 1


if __name__ == "__main__":
    sys.exit(main())
