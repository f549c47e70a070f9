"""A take delivered at another size than asked is reported like another rate or length: in its sidecar's
notes, in the summary of ``shotreel generate`` and in ``shotreel takes`` — the real Runway client against
the local Runway server, whose ``[size:…]`` takes come back at another size than the film's 1280×720."""

from __future__ import annotations

import json

from shotreel.cli import main

from tests.servers import fake_server  # noqa: F401  (pytest fixture)
from tests.test_generate_cli import make_project, runway  # noqa: F401  (the runway fixture)

FAST = ["--provider", "runway", "--poll-interval", "0.02"]


def test_a_take_of_another_size_is_reported_in_its_sidecar_the_summary_and_takes(runway, tmp_path,  # noqa: F811
                                                                                  capsys):
    project = make_project(tmp_path / "film", ["[size:1104x832] [fps:25]", "as asked"])
    runway()  # 121 frames at 24 fps, 1280×720, unless the prompt says otherwise
    assert main(["generate", str(project), *FAST]) == 0
    out = capsys.readouterr().out
    odd = json.loads((project / "takes" / "sh010" / "t001.json").read_text())
    assert odd["notes"] == ["delivered at 1104×832 (aspect 1.33), asked 1280×720 (1.78)",
                            "runs at 25 fps, asked 24 fps: placed in real time, not retimed",
                            "runs short: 121 frames at 25 fps, 125 fill the shot; the board shows for the last 4"]
    plain = json.loads((project / "takes" / "sh020" / "t001.json").read_text())
    assert plain["notes"] == []  # 1280×720 at 24 fps, 121 frames for a 120-frame shot: as asked
    done = next(line for line in out.splitlines() if line.startswith("done") and "sh010/t001" in line)
    assert "delivered at 1104×832 (aspect 1.33), asked 1280×720" in done and "runs at 25 fps" in done
    assert "1104×832" not in next(line for line in out.splitlines() if "sh020/t001" in line)
    assert main(["takes", str(project)]) == 0
    listing = capsys.readouterr().out.splitlines()
    row = next(line for line in listing if " t001 " in line and "1104×832" in line)
    assert "25 fps" in row and "(asked 1280×720)" in row
    assert sum("×" in line for line in listing) == 1, "a take at the asked size shows no size"
