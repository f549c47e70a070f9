"""Downloads stay bounded: a take's result is never larger than the take can be, and a hosted provider's
result never comes from a link-local or private address — end to end, ``shotreel generate`` with the real
Runway client against the local Runway server, whose results declare 2 GB, stream without end, or
redirect to the cloud metadata address.
"""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from shotreel.cli import main
from shotreel.generation import ledger as L
from shotreel.generation.base import ResultRefused, take_byte_limit
from shotreel.generation.ledger import Ledger
from shotreel.generation.providers._http import HttpClient

from tests.servers import fake_server  # noqa: F401  (pytest fixture)
from tests.servers import media as server_media
from tests.servers.client import expect
from tests.test_generate_cli import make_project, runway  # noqa: F401  (the runway fixture)

MB = 1_000_000
FAST = ["--provider", "runway", "--poll-interval", "0.02"]


def _job(project):
    with Ledger.open(project) as ledger:
        return ledger.get("sh010", "t001")


def _nothing_landed(project) -> None:
    assert not (project / "takes" / "sh010").exists() or list((project / "takes" / "sh010").iterdir()) == []
    staging = project / ".shotreel" / "staging"
    assert not staging.exists() or list(staging.iterdir()) == [], "no partial download left behind"


def test_a_result_declaring_2_gb_is_refused_from_its_header_and_never_read(runway, tmp_path, capsys):  # noqa: F811
    project = make_project(tmp_path / "film", ["[scenario:huge]"])
    server = runway()  # the result declares 2,000,000,000 bytes
    started = time.monotonic()
    assert main(["generate", str(project), *FAST]) == 1
    out = capsys.readouterr().out
    assert time.monotonic() - started < 10
    line = next(x for x in out.splitlines() if "sh010/t001" in x)
    assert "download refused: the result declares 2.0 GB (Content-Length), more than the 127 MB" in line
    assert len(server.file_requests) == 1, "a refused download is not tried again"
    assert server.streamed[0] < 64 * MB, "the body was not read"
    _nothing_landed(project)
    record = _job(project)
    assert (record.state, record.failure_kind, record.cost) == (L.FAILED, "download_refused", 0.25)
    assert "$0.25 spent" in out  # paid all the same
    assert main(["generate", str(project), *FAST]) == 1
    assert server.creates() == 1 and "add --new" in capsys.readouterr().out  # never replaced silently


def test_a_result_without_a_length_is_stopped_at_the_take_limit_while_it_streams(runway, tmp_path,  # noqa: F811
                                                                                  capsys):
    project = make_project(tmp_path / "film", ["[scenario:huge_stream]"], duration="1s")
    server = runway(huge_bytes=400 * MB)  # no Content-Length; the end would be the connection's close
    assert main(["generate", str(project), *FAST]) == 1
    out = capsys.readouterr().out
    limit = take_byte_limit(1.0, 1280, 720)
    assert f"ran past the {limit // MB} MB the take can be while it streamed" in out
    assert server.streamed[0] < limit + 32 * MB, "stopped at the limit, not at the end of the body"
    _nothing_landed(project)
    assert _job(project).failure_kind == "download_refused"


def test_a_redirect_to_the_cloud_metadata_address_is_refused_before_connecting(runway, tmp_path,  # noqa: F811
                                                                              capsys):
    project = make_project(tmp_path / "film", ["[scenario:redirect]", "an ordinary take"])
    runway()  # [scenario:redirect] results answer 302 to http://169.254.169.254/latest/meta-data/…
    started = time.monotonic()
    assert main(["generate", str(project), *FAST]) == 1
    out = capsys.readouterr().out
    assert time.monotonic() - started < 5, "refused at once, not after a connect timeout"
    line = next(x for x in out.splitlines() if "sh010/t001" in x)
    assert "download refused: http://169.254.169.254/latest/meta-data" in line
    assert "169.254.169.254, a link-local address" in line
    _nothing_landed(project)
    assert _job(project).failure_kind == "download_refused"
    assert (project / "takes" / "sh020" / "t001.mp4").is_file(), "the provider's own host stays allowed"


class _Secrets(BaseHTTPRequestHandler):
    """A server on another loopback address holding what must not leak (a playable clip, so a client that
    fetched it would land it as a take)."""

    hits = 0
    body = b""

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        type(self).hits += 1
        self.send_response(200)
        self.send_header("Content-Type", "video/mp4")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)


@pytest.fixture
def secrets_host():
    """A server at 127.0.0.2 (loopback, but not the provider's configured host 127.0.0.1)."""
    _Secrets.hits = 0
    _Secrets.body = server_media.clip().read_bytes()
    try:
        httpd = ThreadingHTTPServer(("127.0.0.2", 0), _Secrets)
    except OSError:
        pytest.skip("127.0.0.2 cannot be bound here")
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield f"http://127.0.0.2:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_a_redirect_to_another_private_host_is_never_fetched_nor_saved_as_a_take(runway, tmp_path, capsys,  # noqa: F811
                                                                                 secrets_host):
    project = make_project(tmp_path / "film", ["[scenario:redirect]"])
    runway(redirect_to=f"{secrets_host}/latest/meta-data/iam/security-credentials/admin")
    assert main(["generate", str(project), *FAST]) == 1
    out = capsys.readouterr().out
    assert "127.0.0.2, a loopback address" in out
    assert _Secrets.hits == 0, "nothing was sent there"
    _nothing_landed(project)


def test_a_local_server_may_serve_results_from_any_address(secrets_host, tmp_path):
    hosted = HttpClient("runway", private_hosts=("127.0.0.1",))
    error = expect(ResultRefused, hosted.download, f"{secrets_host}/clip.mp4", tmp_path / "a.mp4", shot="sh010")
    assert "a loopback address" in str(error) and _Secrets.hits == 0
    local = HttpClient("comfyui", private_hosts=True)  # a ComfyUI on the user's own network
    assert local.download(f"{secrets_host}/clip.mp4", tmp_path / "b.mp4").stat().st_size == len(_Secrets.body)
