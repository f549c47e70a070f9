"""Fuzzing the inputs other people make: mutated and generated project files and cuts (Hypothesis).

Every input must give exit 0 or 1, or exit 2 with one line naming the file (a project file may name
several problems, one line each), never a traceback, a signal, a write outside the project, more than
10 s or 1.5 GB. Inputs are the seed corpus (``tests/fuzz_corpus``: small valid files in every format and
the hostile files of issue 14) mutated byte by byte or value by value, and project files and EDLs
generated from their grammar. Commands run in a worker process (``tests/_fuzz_worker.py``), so a crash
is seen as a crash rather than ending the test run.

In CI each test tries a fixed set of examples (derandomized) and the four run in about a minute. A longer,
random run is::

    SHOTREEL_FUZZ_EXAMPLES=5000 .venv/bin/python -m pytest tests/test_fuzz.py -x
"""

from __future__ import annotations

import json
import os
import re
import select
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "fuzz_corpus"
PROJECT_SEEDS = sorted((CORPUS / "projects").glob("*.yaml"))
CUT_SEEDS = sorted((CORPUS / "cuts").iterdir())
EXAMPLES = int(os.environ.get("SHOTREEL_FUZZ_EXAMPLES", "0"))
TIME_BOUND_S = 10.0
MEMORY_BOUND_MB = 1500
PROGRESS = re.compile(r"^[\w-]+: \d+/\d+ ")

FUZZ = settings(max_examples=EXAMPLES or 120, deadline=None, database=None, derandomize=not EXAMPLES,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])


class Worker:
    """The worker process, restarted after a crash or a timeout."""

    def __init__(self):
        self.process: subprocess.Popen | None = None

    def _start(self) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, str(HERE / "_fuzz_worker.py")], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, text=True)

    def run(self, argv: list[str]) -> dict:
        if self.process is None or self.process.poll() is not None:
            self.process = self._start()
        process = self.process
        process.stdin.write(json.dumps([str(a) for a in argv]) + "\n")
        process.stdin.flush()
        ready, _, _ = select.select([process.stdout], [], [], TIME_BOUND_S * 3)
        if not ready:
            process.kill()
            process.wait()
            self.process = None
            return {"timeout": True}
        line = process.stdout.readline()
        if not line:
            code = process.wait()
            self.process = None
            return {"died": code}
        return json.loads(line)

    def close(self) -> None:
        if self.process is not None:
            self.process.stdin.close()
            self.process.wait(timeout=30)


@pytest.fixture(scope="module")
def worker():
    one = Worker()
    yield one
    one.close()


def files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file() or p.is_symlink()}


def judge(answer: dict, names: list[Path], one_line: bool, root: Path, before: set[Path], project: Path) -> None:
    """The rules every command's answer keeps, whatever its input."""
    assert "died" not in answer, f"the command died (exit {answer.get('died')}: a signal if negative)"
    assert "timeout" not in answer, f"no answer in {TIME_BOUND_S * 3:.0f} s"
    assert answer["raised"] is None, answer["raised"]
    assert answer["seconds"] < TIME_BOUND_S, f"took {answer['seconds']:.1f} s"
    assert answer["peak_mb"] < MEMORY_BOUND_MB, f"used {answer['peak_mb']:.0f} MB"
    code, out, err = answer["code"], answer["out"], answer["err"]
    assert code in (0, 1, 2), (code, err)
    assert "Traceback" not in out + err
    if code == 2:
        errors = [line for line in err.splitlines() if line.startswith("shotreel: error: ")]
        others = [line for line in err.splitlines() if line not in errors and not PROGRESS.match(line)]
        assert errors and not others, err
        assert not one_line or len(errors) == 1, err
        for line in errors:
            assert any(str(name) in line for name in names), line
    outside = {p for p in files(root) - before if not p.is_relative_to(project)}
    assert not outside, f"written outside the project: {sorted(outside)}"


# -- inputs -----------------------------------------------------------------------------------------

TOKENS = [b"[", b"{", b"]", b"}", b"&a ", b"*a", b"\x00", b"\xff\xfe", b"99999999999999999999999f", b"../../",
          b"!!python/object/apply:os.system", b"25:00:00:00", b"641x361", b"99998x99998", b"\n- ", b": ",
          b"'", b'"', b"<!ENTITY x SYSTEM 'file:///etc/passwd'>", b"&x;", b"-1", b"1e308", b"NaN", b"\t", b"#"]


@st.composite
def mutated(draw, seeds: list[Path]) -> tuple[Path, bytes]:
    """A seed file with a few byte-level mutations: flips, cuts, inserted tokens, deletions, repeats."""
    seed = draw(st.sampled_from(seeds))
    data = bytearray(seed.read_bytes())
    for _ in range(draw(st.integers(0, 4))):
        op = draw(st.sampled_from(["flip", "cut", "insert", "delete", "repeat"]))
        at = draw(st.integers(0, len(data)))
        if op == "flip" and data:
            data[min(at, len(data) - 1)] ^= 1 << draw(st.integers(0, 7))
        elif op == "cut":
            del data[at:]
        elif op == "insert":
            data[at:at] = draw(st.sampled_from(TOKENS) | st.binary(max_size=12))
        elif op == "delete":
            del data[at:at + draw(st.integers(1, 64))]
        else:
            data[at:at] = bytes(data[at:at + draw(st.integers(1, 32))]) * draw(st.integers(1, 200))
    return seed, bytes(data)


SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(), st.text(max_size=30),
    st.sampled_from(["4s", "2.5s", "96f", "00:00:04:00", "0f", "-3s", "99999999999999999999999f", "1m30s",
                     "25:00:00:00", "23:59:59:23", "01:00:00;00", "641x361", "1920x1080", "16384x16384",
                     "23.976", "29.97", "../../etc/passwd", "boards/sh010.png", "/dev/zero", "MCU", "push in"]))
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(st.text(max_size=10), inner, max_size=4), max_leaves=12)
SHOT = st.fixed_dictionaries(
    {"id": st.sampled_from(["sh010", "sh020", "sh 030", "", "../x"]) | st.text(max_size=8),
     "beat": st.sampled_from(["one", "two", ""]), "duration": SCALARS},
    optional={key: VALUES for key in ("action", "camera", "sound", "dialogue", "continuity", "assets", "prompt",
                                      "boards")})
FILM = st.fixed_dictionaries(
    {"title": SCALARS, "fps": st.sampled_from([24, 25, "23.976", 29.97, 12, "x", None]) | SCALARS,
     "scenes": st.lists(st.fixed_dictionaries({"id": st.text(max_size=6) | SCALARS,
                                               "shots": st.lists(SHOT | VALUES, max_size=4)}), max_size=3)},
    optional={"resolution": SCALARS, "start_timecode": SCALARS, "target_runtime": SCALARS,
              "beats": st.lists(st.fixed_dictionaries({"id": st.sampled_from(["one", "two"]) | SCALARS}),
                                max_size=3),
              "assets": VALUES, "story": VALUES, "style": VALUES})


def timecode(draw) -> str:
    h, m, s, f = (draw(st.integers(0, top)) for top in (99, 99, 99, 99))
    return f"{h:02d}:{m:02d}:{s:02d}{draw(st.sampled_from([':', ';', '.']))}{f:02d}"


@st.composite
def edls(draw) -> bytes:
    """An EDL from the CMX 3600 grammar, with wrong fields, rates and timecodes mixed in."""
    lines = [f"TITLE: {draw(st.text(max_size=12))}", draw(st.sampled_from(["FCM: NON-DROP FRAME",
                                                                         "FCM: DROP FRAME", ""]))]
    for number in range(draw(st.integers(0, 12))):
        fields = [f"{draw(st.integers(0, 1000)) if draw(st.booleans()) else number + 1:03d}",
                  draw(st.sampled_from(["AX", "BL", "R1", "sh010.png"]) | st.text(max_size=8)),
                  draw(st.sampled_from(["V", "A", "AA/V", "B", "A2"])),
                  draw(st.sampled_from(["C", "D 012", "W001 010", "K B", "C   010"]))]
        fields += [timecode(draw) for _ in range(draw(st.sampled_from([4, 4, 4, 3, 5])))]
        lines.append("  ".join(fields))
        if draw(st.booleans()):
            lines.append(draw(st.sampled_from(["* FROM CLIP NAME: sh010.png", "* LOC: 01:00:00:00 RED beat",
                                               "M2   AX       050.0                01:00:00:00",
                                               "* SOURCE FILE: /tmp/../../x.mov"])))
    return ("\n".join(lines) + "\n").encode()


def _paths(node, at=()) -> list[tuple]:
    found = [at]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*at, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*at, index))
    return found


@st.composite
def otio_documents(draw) -> bytes:
    """The valid seed OTIO with a few values replaced anywhere in its tree (schemas, rates, ranges, urls)."""
    document = json.loads((CORPUS / "cuts" / "valid.otio").read_text())
    paths = _paths(document)
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(paths[1:]))
        parent = document
        try:
            for key in path[:-1]:
                parent = parent[key]
            parent[path[-1]] = draw(VALUES | st.sampled_from([{"OTIO_SCHEMA": "Clip.2"}, {"OTIO_SCHEMA": "Nope.1"},
                                                              -1e308, 0, 2**63, "file:///etc/passwd"]))
        except (KeyError, IndexError, TypeError):
            continue
    return json.dumps(document).encode()


# -- the tests --------------------------------------------------------------------------------------

def try_project(worker: Worker, text: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        project = root / "a" / "b" / "film"
        (project / "boards").mkdir(parents=True)
        (project / "shotreel.yaml").write_bytes(text)
        for command in (["check", project], ["reel", project]):
            before = files(root)
            judge(worker.run(command), [project], False, root, before, project)


def try_cut(worker: Worker, suffix: str, data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        cut = root / "a" / "b" / "in" / f"cut{suffix}"
        cut.parent.mkdir(parents=True)
        cut.write_bytes(data)
        project = root / "a" / "b" / "film"
        before = files(root)
        judge(worker.run(["import-cut", cut, project]), [cut, project], True, root, before, project)


@FUZZ
@given(mutated(PROJECT_SEEDS))
def test_mutated_project_files(worker, case):
    _seed, data = case
    try_project(worker, data)


@FUZZ
@given(FILM)
def test_generated_project_files(worker, film):
    try_project(worker, yaml.safe_dump(film, allow_unicode=True).encode())


@FUZZ
@given(mutated(CUT_SEEDS))
def test_mutated_cuts(worker, case):
    seed, data = case
    try_cut(worker, seed.suffix, data)


@FUZZ
@given(st.one_of(edls().map(lambda d: (".edl", d)), otio_documents().map(lambda d: (".otio", d))))
def test_generated_cuts(worker, case):
    suffix, data = case
    try_cut(worker, suffix, data)


def test_every_seed_as_it_is(worker):
    """The corpus itself, unmutated: the hostile cases of issue 14 keep their one-line answers."""
    for seed in PROJECT_SEEDS:
        try_project(worker, seed.read_bytes())
    for seed in CUT_SEEDS:
        try_cut(worker, seed.suffix, seed.read_bytes())
