"""The shared HTTP layer: secrets scrubbed, Retry-After read, no automatic retries, atomic downloads."""

from __future__ import annotations

import os
import subprocess
import threading
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from shotreel.generation.base import BadRequest, ResultExpired, RetryLater
from shotreel.generation.providers._http import DiskFull, HttpClient, parse_retry_after, scrub

from tests.servers import fake_server  # noqa: F401  (fixture)
from tests.servers.client import board, connect, expect, request, wait

KEY = "key_" + "d3adb33f" * 16


class _Echo(BaseHTTPRequestHandler):
    """Answers every request with ``status`` and a body that echoes the request's Authorization header."""

    status = 400
    hits = 0

    def log_message(self, *args: object) -> None:
        pass

    def _reply(self) -> None:
        type(self).hits += 1
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        if self.path.startswith("/short"):
            self.send_response(200)
            self.send_header("Content-Length", "5000")
            self.end_headers()
            self.wfile.write(b"x" * 100)  # then the connection closes: a truncated download
            self.close_connection = True
            return
        body = (
            f'{{"error": "bad header {self.headers.get("Authorization")}", "echo": {{"api_key": "{KEY}"}}}}'
        ).encode()
        self.send_response(type(self).status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _reply


@pytest.fixture
def echo():
    _Echo.hits = 0
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _client() -> HttpClient:
    return HttpClient(
        "runway", auth_headers=lambda: {"Authorization": f"Bearer {KEY}"}, secrets=lambda: [KEY]
    )


def test_scrub_removes_keys_and_authorization_values():
    text = f"Authorization: Bearer {KEY} and Key abc:def123456 and api_key={KEY} token: 'r8_secret'"
    clean = scrub(text, [KEY])
    assert KEY not in clean and "abc:def123456" not in clean and "r8_secret" not in clean
    assert "Bearer ***" in clean and "Key ***" in clean


def test_retry_after_seconds_and_http_dates():
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None
    later = formatdate(timeval=1_000_030, usegmt=True)
    assert parse_retry_after(later, now=1_000_000) == pytest.approx(30.0)


@pytest.mark.parametrize("status,error", [(400, BadRequest), (503, RetryLater)])
def test_an_echoed_key_never_reaches_the_message_and_posts_are_not_retried(echo, status, error):
    _Echo.status = status
    raised = expect(
        error,
        _client().request,
        "POST",
        echo + "/v1/image_to_video",
        json={},
        shot="sh040",
        what="submit",
        create=True,
    )
    assert KEY not in str(raised) and KEY not in repr(raised)
    assert str(raised).startswith("shot sh040: runway: submit: HTTP")
    assert _Echo.hits == 1  # exactly one POST: no library-level retry


def test_truncated_download_writes_nothing(echo, tmp_path):
    target = tmp_path / "takes" / "sh040" / "t1.mp4"
    expect(RetryLater, _client().download, echo + "/short", target, shot="sh040")
    assert not target.exists() and list(target.parent.iterdir()) == []


def test_a_403_on_a_result_url_is_expired(echo, tmp_path):
    _Echo.status = 403
    error = expect(ResultExpired, _client().download, echo + "/file.mp4", tmp_path / "t.mp4", shot="sh040")
    assert "expired" in str(error) and "bad header" not in str(error)
    assert not (tmp_path / "t.mp4").exists()


@pytest.fixture
def tiny_disk(tmp_path):
    """A 64 KB tmpfs (needs root); skipped where mounting is not allowed."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    if (
        os.geteuid() != 0
        or subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)], capture_output=True, check=False
        ).returncode
        != 0
    ):
        pytest.skip("cannot mount a small tmpfs here")
    yield mount
    subprocess.run(["umount", str(mount)], check=False)


def test_full_disk_during_download_leaves_nothing(fake_server, tiny_disk: Path, tmp_path):  # noqa: F811
    server = fake_server("runway")
    client = connect("runway", server)
    handle = client.submit(request(board(tmp_path / "b.png")))
    status = wait(client, handle)
    error = expect(DiskFull, client.fetch, handle, status, tiny_disk / "sh010" / "sh010-t1.mp4")
    assert "no space left" in str(error) and "sh010" in str(error)
    assert list((tiny_disk / "sh010").iterdir()) == []  # no partial file, no temporary
