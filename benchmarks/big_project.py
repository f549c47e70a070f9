"""A generated long project for the benchmarks: N shots with everything a real shot carries.

Each shot has a beat, duration, action, a full camera, sound, one dialogue line, assets and
continuity, so loading it costs what a real project of that size costs. Used by
``bench_check.py``, ``bench_reel.py`` and (with ``assets=50``: 48 characters besides Ada and the road, each
with a reference image, two of them in every shot, :func:`shot_assets`) ``bench_stale.py``; run as a script
to write one: ``python benchmarks/big_project.py DIR [--shots 5000] [--assets 50]``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

SIZES = ("EWS", "WS", "MS", "MCU", "CU", "ECU")
MOVES = ("static", "push in", "pull out", "pan left", "tilt up")


def extra_assets(assets: int) -> list[str]:
    """The ids of the characters a project of ``assets`` assets has besides ``ada`` and ``road``."""
    return [f"c{i:02d}" for i in range(max(0, assets - 2))]


def shot_assets(n: int, assets: int = 2) -> list[str]:
    """The assets of shot number ``n`` (from 1): Ada and the road, and two of the extra characters."""
    extra = extra_assets(assets)
    if not extra:
        return ["ada", "road"]
    return list(dict.fromkeys(["ada", "road", extra[n % len(extra)], extra[(n // len(extra)) % len(extra)]]))


def big_project_text(shots: int = 5000, per_scene: int = 20, fps: str = "24", assets: int = 2) -> str:
    """The text of a ``shotreel.yaml`` with ``shots`` shots, ``per_scene`` to a scene; ``assets`` above 2 adds
    characters ``c00`` … with a reference ``refs/<id>/front.png`` each (the caller writes the images)."""
    beats = max(1, shots // 100)
    out = [
        "title: The Long Film", f"fps: {fps}", "resolution: 1920x1080", 'start_timecode: "01:00:00:00"',
        f"target_runtime: {min(shots * 4, 4 * 3600)}s", "style: 35mm, practical light, muted palette",
        ("story: {premise: a long trip, character: Ada, want: home, obstacle: distance, "
         "escalation: winter, turn: a letter, payoff: arrival}"),
        "beats:",
    ]
    out += [f"  - {{id: b{b:03d}, title: Beat {b}, summary: The trip goes on to stage {b}.}}" for b in range(beats)]
    out += ["assets:",
            "  - {id: ada, kind: character, description: Ada in a grey coat, references: []}",
            "  - {id: road, kind: location, description: a long empty road, references: []}"]
    out += [f"  - {{id: {a}, kind: character, description: traveller {a} in a red scarf, "
            f"references: [refs/{a}/front.png]}}" for a in extra_assets(assets)]
    out += ["scenes:"]
    n = 0
    for scene in range(0, shots, per_scene):
        out += [f"  - id: sc{scene // per_scene + 1:04d}", f"    heading: EXT. ROAD {scene // per_scene + 1} - DAY",
                "    location: road", "    shots:"]
        for _ in range(min(per_scene, shots - n)):
            n += 1
            out += [
                f"      - id: sh{n:05d}",
                f"        beat: b{(n - 1) * beats // shots:03d}",
                f"        duration: {3 + n % 4}s",
                f"        action: Ada walks on along the road, mile {n}, and looks back once.",
                f"        camera: {{size: {SIZES[n % 6]}, angle: eye level, movement: {MOVES[n % 5]}, lens: 35mm}}",
                "        sound: wind and footsteps",
                "        dialogue:",
                f"          - {{character: ADA, line: Mile {n}.}}",
                "        continuity: coat buttoned",
                f"        assets: [{', '.join(shot_assets(n, assets))}]",
            ]
    return "\n".join(out) + "\n"


def write_big_project(folder: Path, shots: int = 5000, assets: int = 2) -> Path:
    """Write the generated project into ``folder``; returns the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "shotreel.yaml").write_text(big_project_text(shots, assets=assets), encoding="utf-8")
    return folder


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--shots", type=int, default=5000)
    parser.add_argument("--assets", type=int, default=2)
    args = parser.parse_args()
    print(write_big_project(args.folder, args.shots, args.assets))
