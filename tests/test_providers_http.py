"""The shared HTTP layer: secrets scrubbed, Retry-After read, no automatic retries, atomic downloads."""

from __future__ import annotations

import json
import os
import subprocess
import threading
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
from shotreel.generation.base import (
    AmbiguousSubmit,
    BadRequest,
    DiskFull,
    ResultExpired,
    RetryLater,
    Unreachable,
)
from shotreel.generation.providers._http import HttpClient, parse_retry_after, scrub

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
        "runway", auth_headers=lambda: {"Authorization": f"Bearer {KEY}"}, secrets=lambda: [KEY],
        private_hosts=("127.0.0.1",),  # the test servers' host, as a provider's own base URL host is
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


@pytest.mark.parametrize("status,error", [(400, BadRequest), (503, AmbiguousSubmit)])
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


class _Hop(BaseHTTPRequestHandler):
    """Records each request (request target, Authorization) and redirects ``/redirect?to=URL`` there."""

    protocol_version = "HTTP/1.1"
    seen: ClassVar[list[tuple[int, str, str | None]]] = []

    def log_message(self, *args: object) -> None:
        pass

    def _reply(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        type(self).seen.append((self.server.server_address[1], self.path, self.headers.get("Authorization")))
        if "/redirect?to=" in self.path:
            self.send_response(302)
            self.send_header("Location", self.path.split("to=", 1)[1])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = b'{"ok": true}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _reply


@pytest.fixture
def hops():
    """Two servers (two origins) that record what they were sent."""
    _Hop.seen = []
    servers = [ThreadingHTTPServer(("127.0.0.1", 0), _Hop) for _ in range(2)]
    for httpd in servers:
        threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield [f"http://127.0.0.1:{httpd.server_address[1]}" for httpd in servers]
    for httpd in servers:
        httpd.shutdown()
        httpd.server_close()


def test_a_read_follows_a_redirect_without_the_key_and_a_create_never_does(hops):
    here, elsewhere = hops
    response = _client().request("GET", f"{here}/redirect?to={elsewhere}/result", what="poll")
    assert response.json() == {"ok": True}
    (_, _, auth_here), (_, second, auth_there) = _Hop.seen
    assert auth_here == f"Bearer {KEY}" and second == "/result" and auth_there is None
    created = _client().request("POST", f"{here}/redirect?to={elsewhere}/again", json={}, create=True)
    assert created.status_code == 302 and len(_Hop.seen) == 3  # not followed: a create is sent once, here


def test_requests_go_through_the_environment_proxy_unless_no_proxy_names_the_host(hops, monkeypatch):
    proxy = hops[0]
    for name in ("HTTP_PROXY", "http_proxy"):
        monkeypatch.setenv(name, proxy)
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.setenv(name, "skipped.invalid")
    assert _client().request("GET", "http://api.provider.invalid/v1/tasks/7").json() == {"ok": True}
    assert _Hop.seen == [(int(proxy.rsplit(":", 1)[1]), "http://api.provider.invalid/v1/tasks/7", f"Bearer {KEY}")]
    error = expect(Unreachable, _client().request, "POST", "http://skipped.invalid/v1/tasks", json={}, create=True)
    assert "cannot reach http://skipped.invalid" in str(error)  # no proxy for that host: nothing was sent


def test_the_key_is_masked_before_an_error_body_is_cut_and_only_the_key_is_masked():
    from shotreel.generation.providers._http import EXCERPT, HttpClient, Response

    secret = "sk-TESTSECRET1234567890abcdef"
    client = HttpClient("runway", secrets=lambda: [secret])
    body = ("x" * (EXCERPT - 12) + f" {secret} tail").encode()  # the key straddles the cut
    excerpt = client.excerpt(Response(400, {}, body, "http://h"))
    assert "sk-TEST" not in excerpt and "TESTSECRET" not in excerpt
    assert scrub("Invalid API key provided") == "Invalid API key provided"
    assert scrub("Authorization: Bearer abc123def456") == "Authorization: Bearer ***"


def test_raw_payloads_stored_in_the_ledger_are_masked(fake_server, tmp_path):  # noqa: F811
    from shotreel.generation.registry import get_provider

    server = fake_server("runway")
    provider = get_provider("runway", base_url=server.url, api_key=server.api_key)
    echoed = {"id": "t1", "status": "SUCCEEDED", "debug": {"headers": [f"Bearer {server.api_key}"],
                                                           "note": f"key {server.api_key} used"}}
    assert server.api_key not in json.dumps(provider.mask(echoed))
