"""``selects.yaml`` has one writer at a time: selections made at once by several processes are all kept."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from shotreel.project import load_project
from shotreel.takes import load_selects

REPO = Path(__file__).resolve().parents[1]
SHOTS = [f"sh{n:03d}" for n in range(10, 1210, 10)]  # 120 shots

SELECTOR = """
import sys
from shotreel.project import load_project
from shotreel.takes import select_take
film = load_project(sys.argv[1])
for shot in sys.argv[2:]:
    select_take(film, shot, "t001")
"""


def _project(folder: Path) -> Path:
    shots = "\n".join(f"      - id: {shot}\n        beat: b1\n        duration: 1s\n        action: Shot {shot}."
                      for shot in SHOTS)
    folder.mkdir(parents=True)
    (folder / "shotreel.yaml").write_text(
        "title: Selects\nfps: 24\nresolution: 1280x720\nbeats:\n  - id: b1\n"
        f"scenes:\n  - id: sc01\n    heading: INT. TEST - DAY\n    shots:\n{shots}\n", encoding="utf-8")
    for shot in SHOTS:
        takes = folder / "takes" / shot
        takes.mkdir(parents=True)
        (takes / "t001.mp4").write_bytes(b"clip")
        (takes / "t001.json").write_text(json.dumps({"probe": {"fps": "24/1", "frames": 24}}))
    return folder


def test_three_processes_selecting_at_once_lose_no_selection(tmp_path):
    project = _project(tmp_path / "film")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    processes = [subprocess.Popen([sys.executable, "-c", SELECTOR, str(project), *SHOTS[n::3]], env=env,
                                  stderr=subprocess.PIPE, text=True) for n in range(3)]
    for process in processes:
        _, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
    selects = load_selects(load_project(project))
    assert set(selects) == set(SHOTS), f"{len(SHOTS) - len(selects)} of {len(SHOTS)} selections lost"
    assert (project / ".shotreel" / "selects.lock").is_file()
