"""What ``generate``, ``assets`` and ``boards --generate`` print for a dry run: each still asked for, and the
lines every dry run ends with (what would fail, the count and the estimated cost)."""

from __future__ import annotations

from pathlib import Path


def relative(film, path) -> str:
    """``path`` as the project names it (relative to its folder), else as given."""
    try:
        return Path(path).relative_to(film.root).as_posix()
    except ValueError:
        return str(path)


def print_dry_run(film, summary, jobs, skipped, noun: str) -> int:
    """Print each still a run would make (key, destination, size, references, cost and why, prompt), what
    would be skipped or would fail, and one line with the count of ``noun`` s and the estimated cost; the
    exit status: 1 when the real run would fail."""
    where = {job.key: job.destination for job in jobs}
    for request, cost in zip(summary.requests, summary.costs, strict=True):
        refs = ", ".join(relative(film, p) for p in request.reference_images) or "-"
        key = f"{request.shot_id}/{request.take_id}"
        print(f"{key}  {where.get(key, '')}  {request.width}x{request.height}  references {refs}")
        print(f"  cost    {cost.explanation}")
        print(f"  prompt  {request.prompt}")
    for owner, reason in list(skipped) + list(summary.skipped):
        print(f"skipped {owner}: {reason}")
    return print_dry_run_end(summary, noun)


def print_dry_run_end(summary, noun: str) -> int:
    """The lines every dry run ends with: each request the provider would refuse, the missing keys, and one
    line with the count of ``noun`` s and the estimated cost; the exit status (1: the real run would fail)."""
    for outcome in summary.invalid:
        print(f"would fail: {outcome.key}: {outcome.message}")
    if summary.missing_keys:
        names = " and ".join(summary.missing_keys)
        them = "them" if len(summary.missing_keys) > 1 else "it"
        print(f"would fail: missing {names}: {summary.provider} needs {them} to send anything; "
              f"set {them} in the environment")
    count = len(summary.requests)
    line = (f"dry run: {count} {noun}{'s' if count != 1 else ''} with {summary.provider}/{summary.model}, "
            f"estimated cost ${summary.estimated_cost:.2f}; nothing was sent")
    if summary.would_fail:
        line += "; the real run would fail (see above)"
    print(line)
    return 1 if summary.would_fail else 0
