"""The fuzz test's worker: runs ``shotreel`` commands in-process, one per line of stdin, in a process of its own.

Each request is a JSON list of arguments; each answer one JSON object: the exit status, stdout, stderr,
seconds taken, peak memory (MB), and the traceback when the command raised instead of exiting. The
process runs under an address-space limit, so a runaway allocation is a ``MemoryError`` reported here;
a crash (a signal) ends the process, which the test sees as the worker gone.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import resource
import sys
import time
import traceback

MEMORY_LIMIT = 4 * 1024 ** 3


def main() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    channel = os.fdopen(os.dup(1), "w")  # answers go here; whatever a child process prints goes nowhere
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
    from shotreel.cli import main as shotreel

    for request in sys.stdin:
        argv = json.loads(request)
        out, err = io.StringIO(), io.StringIO()
        raised = None
        started = time.perf_counter()
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = shotreel(argv)
        except BaseException:  # noqa: BLE001 - everything a command lets out is what the fuzz test looks for
            code, raised = None, traceback.format_exc()
        answer = {"code": code, "out": out.getvalue(), "err": err.getvalue(), "raised": raised,
                  "seconds": time.perf_counter() - started,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
        channel.write(json.dumps(answer) + "\n")
        channel.flush()


if __name__ == "__main__":
    main()
