"""A tiny webhook receiver for tests: collects every POST (headers and JSON body) it gets.

with WebhookReceiver() as hooks:
    ... submit with webhook=hooks.url ...
    hooks.wait(3)            # until three deliveries arrived
    hooks.received           # [(headers, body_bytes), ...]
"""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go in two writes: no 40 ms delayed-ACK stall

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        receiver: WebhookReceiver = self.server.receiver  # type: ignore[attr-defined]
        with receiver.lock:
            receiver.received.append((dict(self.headers.items()), body))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()


class WebhookReceiver:
    """An HTTP endpoint on 127.0.0.1 that answers 200 to every POST and keeps what it got."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.received: list[tuple[dict[str, str], bytes]] = []
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.receiver = self  # type: ignore[attr-defined]
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}/hook"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def wait(self, count: int, timeout: float = 5.0) -> list[tuple[dict[str, str], bytes]]:
        """Wait until ``count`` deliveries arrived (or ``timeout``) and return them all."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.01)
        with self.lock:
            return list(self.received)

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
