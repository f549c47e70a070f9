"""Figure: `shotreel reel` on a 5,000-shot project takes at most 1.5x bare OTIO building and writing it.

Measured in one run, interleaved, best of several runs each, as CPU time of this process (steady on a
shared machine, where wall time swings by a third from one run to the next) and as wall time:

(a) shotreel's reel path: ``load_project`` + ``build_reel`` + ``write_reel`` to ``.otio``;
(b) bare OpenTimelineIO calls (schema constructors, ``otio.adapters.write_to_file``) building and
    writing the same timeline — same tracks, clips, media references, metadata and markers — from
    the same shot data, with no shotreel code.

The two files are compared (tracks, items, durations, markers, metadata keys) before anything is
timed, so (b) cannot be cheaper by doing less. Also timed: ``load_project`` plus
``shotreel.checks.run_checks`` (when installed), which must stay under 1 s.

``python benchmarks/bench_reel.py [--shots 5000] [--runs 3]``: prints both times and the ratio;
exits non-zero when the ratio is above 1.5 or the check takes 1 s or more.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import opentimelineio as otio

LIMIT_RATIO = 1.5
LIMIT_CHECK_S = 1.0
SIZES = ("EWS", "WS", "MS", "MCU", "CU", "ECU")
MOVES = ("static", "push in", "pull out", "pan left", "tilt up")
BOARD_FILES = 4  # a few shared board stills; every fourth shot has one
COLORS = (("BLUE", "Blue"), ("GREEN", "Green"), ("YELLOW", "Yellow"), ("PURPLE", "Purple"), ("CYAN", "Cyan"),
          ("PINK", "Pink"))


# -- the generated project, as YAML text and as plain data ------------------------------------------

def generate(shots: int, per_scene: int = 20) -> tuple[str, dict]:
    """The text of a ``shotreel.yaml`` with ``shots`` shots at 24 fps, and the same film as plain data
    (what bare OTIO code would be handed)."""
    beats = max(1, shots // 100)
    data: dict = {"title": "The Long Film", "rate": 24.0, "start": 86400, "beats": [], "shots": []}
    out = ["title: The Long Film", "fps: 24", "resolution: 1920x1080", 'start_timecode: "01:00:00:00"',
           f"target_runtime: {shots * 4}s", "style: 35mm, practical light, muted palette",
           ("story: {premise: a long trip, character: Ada, want: home, obstacle: distance, escalation: winter, "
            "turn: a letter, payoff: arrival}"), "beats:"]
    for b in range(beats):
        out.append(f"  - {{id: b{b:03d}, title: Beat {b}, summary: The trip goes on at stage {b}.}}")
        data["beats"].append({"id": f"b{b:03d}", "title": f"Beat {b}", "summary": f"The trip goes on at stage {b}."})
    out += ["assets:", "  - {id: ada, kind: character, description: Ada in a grey coat, references: []}",
            "  - {id: road, kind: location, description: a long empty road, references: []}", "scenes:"]
    n = 0
    for first in range(0, shots, per_scene):
        scene = f"sc{first // per_scene + 1:04d}"
        heading = f"EXT. ROAD {first // per_scene + 1} - DAY"
        out += [f"  - id: {scene}", f"    heading: {heading}", "    location: road", "    shots:"]
        for _ in range(min(per_scene, shots - n)):
            n += 1
            seconds = 3 + n % 4
            shot = {
                "id": f"sh{n:05d}", "scene": scene, "heading": heading, "beat": f"b{(n - 1) * beats // shots:03d}",
                "frames": seconds * 24, "duration": f"{seconds}s", "line": len(out) + 1,
                "action": f"Ada walks on along the road, mile {n}, and looks back once.",
                "camera": {"size": SIZES[n % 6], "angle": "eye level", "movement": MOVES[n % 5], "lens": "35mm"},
                "sound": "wind and footsteps" if n % 3 else "",
                "dialogue": [{"character": "ADA", "parenthetical": "", "line": f"Mile {n}."}] if n % 4 == 0 else [],
                "continuity": "coat buttoned", "assets": ["ada", "road"],
                "prompt": "low sun, long shadows" if n % 5 == 0 else "",
                "board": f"boards/key{n % BOARD_FILES}.png" if n % 4 == 1 else None,
            }
            data["shots"].append(shot)
            out += [f"      - id: {shot['id']}", f"        beat: {shot['beat']}", f"        duration: {seconds}s",
                    f"        action: {shot['action']}",
                    "        camera: {{size: {size}, angle: {angle}, movement: {movement}, lens: {lens}}}".format(
                        **shot["camera"])]
            if shot["sound"]:
                out.append(f"        sound: {shot['sound']}")
            if shot["dialogue"]:
                out += ["        dialogue:", f"          - {{character: ADA, line: Mile {n}.}}"]
            out += ["        continuity: coat buttoned", "        assets: [ada, road]"]
            if shot["prompt"]:
                out.append(f"        prompt: {shot['prompt']}")
            if shot["board"]:
                out.append(f"        boards: [{shot['board']}]")
    return "\n".join(out) + "\n", data


def write_project(folder: Path, shots: int) -> dict:
    """Write the generated project (and its few board stills) into ``folder``; returns its plain data."""
    text, data = generate(shots)
    (folder / "boards").mkdir(parents=True, exist_ok=True)
    png = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
                        "0000000d49444154789c6360f8cfc0f01f0005000201a5d8d1e30000000049454e44ae426082")
    for k in range(BOARD_FILES):
        (folder / "boards" / f"key{k}.png").write_bytes(png)
    (folder / "shotreel.yaml").write_text(text, encoding="utf-8")
    data["root"] = str(folder.resolve())
    return data


# -- (b) bare OTIO ---------------------------------------------------------------------------------

def bare_reel(data: dict, out: str) -> None:
    """Build and write the reel with OTIO's schema constructors only (no shotreel code)."""
    RT, TR = otio.opentime.RationalTime, otio.opentime.TimeRange
    rate, root = data["rate"], data["root"]
    boards = otio.schema.Track(name="Boards", kind="Video")
    takes = otio.schema.Track(name="Takes", kind="Video")
    dialogue = otio.schema.Track(name="Dialogue", kind="Audio")
    music = otio.schema.Track(name="Music", kind="Audio")
    sound = otio.schema.Track(name="Effects", kind="Audio")
    first_of_beat: dict[str, tuple[int, str]] = {}
    position = 0
    for s in data["shots"]:
        span = TR(RT(0, rate), RT(s["frames"], rate))
        block = {"shot": s["id"], "scene": s["scene"], "heading": s["heading"], "beat": s["beat"],
                 "action": s["action"], "camera": s["camera"], "sound": s["sound"], "dialogue": s["dialogue"],
                 "continuity": s["continuity"], "assets": s["assets"], "prompt": s["prompt"],
                 "duration": s["duration"], "frames": s["frames"], "planned_frames": s["frames"],
                 "line": s["line"], "takes": [], "take": None}
        if s["board"]:
            path = os.path.join(root, s["board"])
            ref = otio.schema.ExternalReference(target_url=path, available_range=span)
            ref.name = os.path.basename(path)
        else:
            ref = otio.schema.MissingReference(
                name=f"{s['id']} board", available_range=span,
                metadata={"shotreel": {"missing": "board", "expected": os.path.join(root, "boards", f"{s['id']}.png")}})
        boards.append(otio.schema.Clip(name=s["id"], media_reference=ref, source_range=span,
                                       metadata={"shotreel": block}))
        takes.append(otio.schema.Gap(source_range=span))
        for track, role, text in ((dialogue, "dialogue", [f"{d['character']}: {d['line']}" for d in s["dialogue"]]),
                                  (sound, "sound", s["sound"])):
            if text:
                placeholder = otio.schema.MissingReference(name=f"{s['id']} {role}", available_range=span,
                                                           metadata={"shotreel": {"placeholder": role}})
                track.append(otio.schema.Clip(
                    name=f"{s['id']} {role}", media_reference=placeholder, source_range=span,
                    metadata={"shotreel": {"shot": s["id"], "scene": s["scene"], "beat": s["beat"], "role": role,
                                           role: text}}))
            else:
                track.append(otio.schema.Gap(source_range=span))
        music.append(otio.schema.Gap(source_range=span))
        first_of_beat.setdefault(s["beat"], (position, s["id"]))
        position += s["frames"]
    timeline = otio.schema.Timeline(name=data["title"], global_start_time=RT(data["start"], rate), metadata={
        "shotreel": {"reel": 1, "film": data["title"], "fps": "24", "rate": "24/1", "start_timecode": "01:00:00:00",
                     "start_frame": data["start"], "resolution": "1920x1080", "runtime_frames": position,
                     "project": root, "shotreel_version": "0.1.0", "notes": []}})
    timeline.tracks.extend([boards, takes, dialogue, music, sound])
    for index, beat in enumerate(data["beats"]):
        if beat["id"] in first_of_beat:
            at, shot = first_of_beat[beat["id"]]
            color, resolve_color = COLORS[index % len(COLORS)]
            timeline.tracks.markers.append(otio.schema.Marker(
                name=beat["title"], marked_range=TR(RT(at, rate), RT(1, rate)), color=color, comment=beat["summary"],
                metadata={"shotreel": {"beat": beat["id"], "shot": shot, "resolve_color": resolve_color}}))
    otio.adapters.write_to_file(timeline, out)


# -- (a) shotreel ----------------------------------------------------------------------------------

def shotreel_reel(folder: str, out: str) -> None:
    """``shotreel reel``'s path: load the project, build the reel, write it."""
    from shotreel.interchange import write_reel
    from shotreel.project import load_project
    from shotreel.reel import build_reel

    write_reel(build_reel(load_project(folder)), out)


def check_project(folder: str) -> None:
    """``shotreel check``'s work: load the project and run the checks (when shotreel.checks exists)."""
    from shotreel.project import load_project
    film = load_project(folder)
    try:
        from shotreel.checks import run_checks
    except ImportError:
        return
    run_checks(film)


# -- measuring -------------------------------------------------------------------------------------

def _shape(path: str) -> dict:
    """What must be equal in both reels: tracks, items, durations, references, markers, metadata keys."""
    with open(path, encoding="utf-8") as handle:
        doc = json.load(handle)
    tracks = doc["tracks"]["children"]
    return {
        "name": doc["name"], "start": doc["global_start_time"],
        "tracks": [(t["name"], t["kind"], [(c["OTIO_SCHEMA"], c["name"], c["source_range"]["duration"]["value"],
                                            sorted((c.get("metadata") or {}).get("shotreel", {})),
                                            [r["OTIO_SCHEMA"] for r in c.get("media_references", {}).values()])
                                           for c in t["children"]]) for t in tracks],
        "markers": [(m["name"], m["marked_range"]["start_time"]["value"], m["color"]) for m in
                    doc["tracks"]["markers"]],
        "film": sorted(doc["metadata"]["shotreel"]),
    }


def _timed(run: Callable[[], None]) -> tuple[float, float]:
    """CPU time and wall time of one ``run()``."""
    gc.collect()
    start, cpu = time.perf_counter(), time.process_time()
    run()
    return time.process_time() - cpu, time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shots", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=7, help="runs of each side (best counts)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="shotreel-bench-") as tmp:
        folder = Path(tmp) / "long-film"
        data = write_project(folder, args.shots)
        ours, bare = os.path.join(tmp, "shotreel.otio"), os.path.join(tmp, "bare.otio")
        shotreel_reel(str(folder), ours)  # warm-up, and the two reels must be the same timeline
        bare_reel(data, bare)
        if _shape(ours) != _shape(bare):
            print("bench_reel: the shotreel and bare OTIO reels differ; the comparison would be unfair",
                  file=sys.stderr)
            return 2
        times_a, times_b, times_check = [], [], []
        for _ in range(args.runs):
            times_a.append(_timed(lambda: shotreel_reel(str(folder), ours)))
            times_b.append(_timed(lambda: bare_reel(data, bare)))
            times_check.append(_timed(lambda: check_project(str(folder))))
    (a, a_wall), (b, b_wall) = min(times_a), min(times_b)
    check = min(wall for _, wall in times_check)
    ratio = a / b
    print(f"reel, {args.shots} shots (best of {args.runs}; CPU s, wall s):")
    print(f"  shotreel (load_project + build_reel + write_reel .otio): {a:.3f}  {a_wall:.3f}")
    print(f"  bare OTIO (build + write the same timeline):            {b:.3f}  {b_wall:.3f}")
    print(f"  ratio: {ratio:.2f} CPU, {a_wall / b_wall:.2f} wall (limit {LIMIT_RATIO})")
    print(f"check, {args.shots} shots (load_project + run_checks, in process): {check:.3f} s "
          f"(limit {LIMIT_CHECK_S:.1f} s)")
    return 0 if ratio <= LIMIT_RATIO and check < LIMIT_CHECK_S else 1


if __name__ == "__main__":
    sys.exit(main())
