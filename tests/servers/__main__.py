"""Run one fake provider server in its own process (used by ``start_server(..., process=True)``).

    python -m tests.servers runway '{"service_time": 0.1, "max_concurrent": 16}'

prints ``READY <url>`` once listening, then serves until its standard input closes (the parent exited or
called ``stop()``).
"""

from __future__ import annotations

import json
import sys

from . import start_server


def main(argv: list[str]) -> int:
    dialect = argv[0]
    options = json.loads(argv[1]) if len(argv) > 1 else {}
    if "size" in options:
        options["size"] = tuple(options["size"])
    server = start_server(dialect, **options)
    print(f"READY {server.url}", flush=True)
    sys.stdin.read()  # blocks until the parent closes the pipe
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
