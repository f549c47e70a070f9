"""Fake generation providers for tests: local HTTP servers speaking each provider's protocol.

One server per dialect — ``runway``, ``luma``, ``kling``, ``fal``, ``replicate``, ``comfyui``, and
``elevenlabs`` (text to speech: the answer is the audio, a history to find it again) — on
127.0.0.1 at a random port, served from a daemon thread in the test process. Each checks the auth header
(and Runway's version header), the paths and JSON shapes, moves jobs through the provider's states with
time, serves real tiny MP4s (ffmpeg ``testsrc``, cached per session) and **records every accepted
create**, so a test can assert exactly one paid submission per take.

The image side of ``runway`` (``/v1/text_to_image``), ``fal`` (nano-banana, FLUX.1 Kontext [pro]),
``replicate`` (google/nano-banana, flux-kontext-pro, the Files API) and ``comfyui`` (a workflow ending in
``SaveImage``) makes real PNG/JPEG/WebP stills at the asked size, or at the provider's own size where the
provider decides it (Runway's ratio, Gemini's table), with the same scenarios as takes; every job records
in ``job.extra["references"]`` the input images it received (their size, format, bytes, and Runway's
tags). ``tests.servers.client.image_request`` builds a still's request.

Usage (e.g. the scheduler benchmark: 100 ms service time, 16 jobs at once, the rest THROTTLED)::

    from shotreel.generation.registry import get_provider
    from tests.servers import start_server

    with start_server("runway", service_time=0.1, max_concurrent=16) as server:
        provider = get_provider("runway", base_url=server.url, api_key=server.api_key,
                                poll_interval=0.02, max_concurrency=64)  # the client's in-flight limit
        handle = provider.submit(request)             # request.prompt may hold "[scenario:throttled]"
        ...
        assert server.duplicates() == {}              # no take paid twice
        assert server.paid(request.client_id) <= 1    # Kling/ComfyUI carry the client id; others: body hash

``tests.servers.client.connect(dialect, server, **options)`` does the ``create`` with the right
credentials for any dialect (Kling: ``access_key``/``secret_key``; ComfyUI: none). Add ``process=True``
to ``start_server`` to run the server in a child process (a :class:`RemoteServer` with the same
attributes, state read over HTTP at ``/_fake/state``): in benchmarks the server then does not compete
with the client for one GIL.

or, in a test, the ``fake_server`` fixture (import it into the test module)::

    from tests.servers import fake_server  # noqa: F401  (pytest fixture)

    def test_x(fake_server):
        server = fake_server("fal", max_concurrent=2)   # stopped after the test

``start_server(dialect, **options)`` options (all optional):

- ``service_time`` (0.05 s) — how long a job runs once it has a slot;
- ``max_concurrent`` (None = unlimited) — jobs running at once; the rest wait FIFO in the queued state
  (Runway THROTTLED, fal IN_QUEUE, Luma queued, Kling submitted, Replicate starting, ComfyUI pending);
- ``queue_time`` (0.1 s) — extra queued phase for ``[scenario:throttled]`` jobs;
- ``slow_time`` (1 s) — run time of ``[scenario:slow]`` jobs;
- ``url_ttl`` (0 s) — lifetime of result URLs of ``[scenario:expired]`` jobs;
- ``retry_after`` ("1") — the Retry-After value of ``[scenario:rate_limited]`` 429s;
- ``fail_count`` (1) — how many creates of one request fail under rate_limited / server_error;
- ``hang_time`` (2 s) — delay of the answer under ``[scenario:hang]``;
- ``fps`` (24), ``frames`` (121), ``size`` ((1280, 720)) — the default clip;
- ``scenario`` — a scenario applied to every job (e.g. ``"throttled"``);
- ``huge_bytes`` (2 GB) — the size of ``[scenario:huge]`` / ``huge_stream`` results; ``redirect_to``
  (169.254.169.254's credentials path) — where ``[scenario:redirect]`` result URLs send the client;
- dialect keys: ``api_key`` (runway, luma, fal, replicate), ``access_key``/``secret_key`` and
  ``token_ttl`` (kling: tokens older than this get code 1004), ``webhook_secret`` (replicate).

Scenarios per job (tokens in the prompt, or header ``X-Fake-Scenario``): see ``SCENARIOS``.
Clip per job: ``[fps:25]``, ``[frames:241]``, ``[size:1104x832]``; run time: ``[service:0.3]``.

Server attributes: ``url`` (the provider's base_url), ``api_key``, ``submissions`` (accepted creates:
``take``, ``key``, ``job_id``, ``body_sha256``, ``prompt``), ``jobs``, ``requests`` (every API request with
its headers), ``file_requests`` (result downloads), ``webhooks`` (deliveries), ``errors`` (fake-server
bugs; should stay empty), and ``paid(take)``, ``counts()``, ``duplicates()``, ``creates()``, ``stop()``.
A submission's ``take`` is the client id where the protocol carries one (Kling ``external_task_id``,
ComfyUI ``prompt_id``); elsewhere ``key`` is the SHA-256 of the create body, so ``duplicates()`` finds
the same request paid twice. A job's slot is handed over at the exact moment the previous job ends (not
when someone polls), so the server's own makespan for N jobs is N / max_concurrent × service_time.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Self

import pytest

from .core import SCENARIOS, FakeServer, Job, Submission, parse_scenario
from .webhooks import WebhookReceiver

DIALECTS = ("runway", "luma", "kling", "fal", "replicate", "comfyui", "elevenlabs")

__all__ = [
    "DIALECTS",
    "SCENARIOS",
    "FakeServer",
    "Job",
    "RemoteServer",
    "Submission",
    "WebhookReceiver",
    "fake_server",
    "parse_scenario",
    "start_server",
]


def start_server(dialect: str, *, process: bool = False, **options: Any) -> FakeServer | RemoteServer:
    """Start a fake ``dialect`` server on 127.0.0.1 (random port) and return it; call ``.stop()``.

    ``process=True`` runs it in a child process instead of a thread of this one (for benchmarks: the
    server's CPU then does not compete with the client's for this process's GIL); the returned
    :class:`RemoteServer` has the same ``url``, keys, ``submissions``, ``paid()``, ``counts()``,
    ``duplicates()``, ``creates()``, ``errors`` and ``stop()``.
    """
    if dialect not in DIALECTS:
        raise ValueError(f"unknown dialect {dialect!r} (known: {', '.join(DIALECTS)})")
    module = importlib.import_module(f"{__name__}.{dialect}")
    options = {**getattr(module, "SERVER_DEFAULTS", {}), **options}
    if process:
        return RemoteServer(module, options)
    return FakeServer(module, **options)


class RemoteServer:
    """A fake server running in a child process (see :func:`start_server`); state is read over HTTP."""

    def __init__(self, module: Any, options: dict[str, Any]):
        self.name = module.NAME
        self.options = {**module.DEFAULTS, **options}
        root = Path(__file__).resolve().parents[2]
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "tests.servers", self.name, json.dumps(options)],
            cwd=root,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")])},
        )
        line = self._proc.stdout.readline().split()
        if len(line) != 2 or line[0] != "READY":
            self._proc.kill()
            raise RuntimeError(f"the fake {self.name} server did not start: {line}")
        self.url = line[1]
        self.root = self.url[: -len(module.BASE_PATH)] if module.BASE_PATH else self.url
        self.port = int(self.root.rsplit(":", 1)[1])

    def __getattr__(self, name: str) -> Any:
        options = self.__dict__.get("options", {})
        if name in options:
            return options[name]
        raise AttributeError(name)

    def state(self) -> dict:
        """Submissions, jobs and errors as the child process holds them now."""
        with urllib.request.urlopen(f"{self.root}/_fake/state", timeout=10) as reply:
            return json.load(reply)

    @property
    def submissions(self) -> list[Submission]:
        return [Submission(**dict(s, scenario=frozenset(s["scenario"]))) for s in self.state()["submissions"]]

    @property
    def errors(self) -> list[str]:
        return self.state()["errors"]

    def counts(self) -> Counter[str]:
        return Counter(s.take or s.key for s in self.submissions)

    def paid(self, take_or_key: str) -> int:
        return sum(1 for s in self.submissions if take_or_key in (s.take, s.key))

    def duplicates(self) -> dict[str, int]:
        return {key: n for key, n in self.counts().items() if n > 1}

    def creates(self) -> int:
        return len(self.submissions)

    def stop(self) -> None:
        """Close the child's standard input (it exits) and wait for it."""
        if self._proc.poll() is None:
            self._proc.stdin.close()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@pytest.fixture
def fake_server() -> Iterator[Any]:
    """A factory ``fake_server(dialect, **options) -> FakeServer``; every server is stopped afterwards."""
    started: list[FakeServer] = []

    def start(dialect: str, **options: Any) -> FakeServer:
        server = start_server(dialect, **options)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
