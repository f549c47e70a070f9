"""Running ``shotreel.generation.generate`` off Blender's main thread.

The worker thread gets plain data only (the film as loaded, shot ids, the provider's name) and reports through
a queue; :func:`tick`, on the main thread (a ``bpy.app.timers`` timer), moves that into the scene's progress
properties and, when the run ends, lands the takes in the reel's sequencer. Blender data is never touched from
the worker. Stopping (or unregistering, or opening another file) ends the run cleanly: jobs at the provider
stay in the project's ledger for the next run, as with Ctrl-C in ``shotreel generate``.
"""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass, field

import bpy
from shotreel.errors import ShotreelError
from shotreel.generation.base import Provider
from shotreel.generation.scheduler import GenerationSummary, generate
from shotreel.model import Film
from shotreel.sequencer import ledger_lines

from ..takes.core import load_reel, reel_scene

TICK_SECONDS = 0.25


@dataclass
class Run:
    """One generation run: the scene that asked for it, its worker, its stop switch and its reports."""

    scene: str
    film: Film
    thread: threading.Thread | None = None
    stop: threading.Event = field(default_factory=threading.Event)
    events: queue.Queue = field(default_factory=queue.Queue)
    summary: GenerationSummary | None = None


_RUNS: dict[str, Run] = {}  # by scene name: one run at a time per scene


def check_online(provider: Provider, shots: list[str]) -> None:
    """Refuse a provider that needs the network while Blender is offline, naming the shots it would make."""
    if provider.needs_network and not bpy.app.online_access:
        raise ShotreelError(f"{provider.name} needs the network and Blender is offline: allow online access in "
                            "Preferences ▸ System, or use the animatic provider (shots not sent: "
                            f"{', '.join(shots) or 'none'})")


def start(scene: bpy.types.Scene, film: Film, made: Provider, shots: list[str], new_takes: bool,
          concurrency: int | None = None) -> Run:
    """Start generating takes for ``shots`` of ``film`` with the provider ``made`` (created on the main thread,
    with its keys in memory); returns at once."""
    if scene.name in _RUNS:
        raise ShotreelError("a generation is already running for this scene: stop it or wait for it")
    if not shots:
        raise ShotreelError("no shots chosen: put the playhead on a shot, or tick shots in the list")
    check_online(made, shots)
    provider = made.name
    run = Run(scene.name, film)

    def work() -> None:
        def progress(done: int, total: int, message: str) -> None:
            run.events.put(("progress", done, total, message))

        try:
            summary = generate(film, shots=shots, provider=made, progress=progress, stop=run.stop,
                               new_takes=new_takes, concurrency=concurrency)
            run.events.put(("done", summary))
        except ShotreelError as exc:
            run.events.put(("error", str(exc)))
        except Exception as exc:  # noqa: BLE001 - a bug must reach the panel, not die with the thread
            run.events.put(("error", f"generation failed: {type(exc).__name__}: {exc}"))

    run.thread = threading.Thread(target=work, name="shotreel-generate", daemon=True)
    _RUNS[scene.name] = run
    scene.shotreel.generation_status, scene.shotreel.generation_progress = f"starting ({provider})", 0.0
    run.thread.start()
    if not bpy.app.timers.is_registered(tick):
        bpy.app.timers.register(tick, first_interval=TICK_SECONDS, persistent=True)
    return run


def tick() -> float | None:
    """Main thread: progress into the scenes, finished runs' takes into their reels; None when idle."""
    for name, run in list(_RUNS.items()):
        scene = bpy.data.scenes.get(name)
        while True:
            try:
                event = run.events.get_nowait()
            except queue.Empty:
                break
            if scene is None:
                continue
            props = scene.shotreel
            if event[0] == "progress":
                _, done, total, message = event
                props.generation_progress, props.generation_status = done / max(1, total), message
            elif event[0] == "done":
                run.summary = event[1]
                props.generation_progress, props.generation_status = 1.0, _summary_line(event[1])
                try:
                    load_reel(reel_scene(run.film), run.film)
                except ShotreelError as exc:
                    props.generation_status += f"; the reel was not reloaded: {exc}"
                refresh_jobs(scene, run.film)
            else:
                props.generation_status = event[1]
                refresh_jobs(scene, run.film)
        if run.thread is not None and not run.thread.is_alive() and run.events.empty():
            del _RUNS[name]
    for window in getattr(bpy.context.window_manager, "windows", []):
        for area in window.screen.areas:
            area.tag_redraw()
    if _RUNS:
        return TICK_SECONDS
    if bpy.app.timers.is_registered(tick):
        bpy.app.timers.unregister(tick)
    return None


def _summary_line(summary: GenerationSummary) -> str:
    line = (f"{len(summary.done)} done, {len(summary.failed)} failed, {len(summary.unknown)} unknown, "
            f"{len(summary.waiting)} waiting")
    if summary.spent:
        line += f", ${summary.spent:.2f} spent"
    return line + (f" ({summary.stopped})" if summary.stopped else "")


def refresh_jobs(scene: bpy.types.Scene, film: Film) -> None:
    """The ledger's jobs that need the artist, each with why, into the scene's job list for the panel."""
    scene.shotreel.jobs.clear()
    if film.root is None:
        return
    for line in ledger_lines(film.root):
        item = scene.shotreel.jobs.add()
        item.name, item.text, item.actions = line.key, line.text(), " ".join(line.actions)


def running(scene: bpy.types.Scene) -> Run | None:
    return _RUNS.get(scene.name)


def stop(scene: bpy.types.Scene) -> None:
    """Ask the scene's run to stop (jobs already at the provider stay in the ledger for the next run)."""
    run = _RUNS.get(scene.name)
    if run is not None:
        run.stop.set()


def stop_all(wait: float = 10.0) -> None:
    """Stop every run and wait for the workers (add-on unregistered, another file opened)."""
    for run in list(_RUNS.values()):
        run.stop.set()
    for run in list(_RUNS.values()):
        if run.thread is not None:
            run.thread.join(wait)
    _RUNS.clear()
    if bpy.app.timers.is_registered(tick):
        bpy.app.timers.unregister(tick)
