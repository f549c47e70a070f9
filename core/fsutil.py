"""Atomic file writes: a crash never leaves a half-written file behind.

Every file shotreel writes goes through :func:`atomic_write_bytes` / :func:`atomic_write_text`,
:func:`atomic_file` (data written as it arrives) or :func:`atomic_output` (for libraries that insist
on writing to a path themselves): the data
goes to a temporary file in the same folder, is flushed to disk, and is renamed over the target,
so readers see either the old file or the new one, never a mix.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0)


def _create_beside(target: Path, suffix: str) -> tuple[int, Path]:
    """A new, empty temporary file beside ``target`` (its folder made when missing): its descriptor and path.

    Created with the normal permissions (``0o666`` less the umask, as ``open()`` would), so that others
    (an NLE's account) can read it once renamed.
    """
    for _ in range(100):
        tmp = target.parent / f".{target.name}.{secrets.token_hex(4)}{suffix}"
        try:
            return os.open(tmp, _CREATE, 0o666), tmp
        except FileExistsError:
            continue
        except FileNotFoundError:
            target.parent.mkdir(parents=True, exist_ok=True)
    raise FileExistsError(f"no free temporary name beside {target}")


def _commit(fd: int, tmp: Path, target: Path) -> None:
    """Flush ``fd`` (``tmp``'s) to the disk, close it and rename ``tmp`` over ``target`` durably."""
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, target)
    _fsync_dir(target.parent)


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike) -> Iterator[BinaryIO]:
    """Yield an unbuffered binary file to write; on success it replaces ``path``, on error it is removed.

    For data written as it arrives (downloads): the fewest system calls of these helpers.
    """
    target = Path(path)
    fd, tmp = _create_beside(target, "".join(target.suffixes[-1:]))
    handle = os.fdopen(fd, "wb", buffering=0, closefd=False)
    try:
        yield handle
        _commit(fd, tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.close(fd)
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path``, on error it is removed.

    ``suffix`` defaults to the target's own, so writers that choose a format by suffix (OTIO's
    adapters, Pillow) still see the right one.
    """
    target = Path(path)
    fd, tmp = _create_beside(target, suffix if suffix is not None else "".join(target.suffixes[-1:]))
    os.close(fd)
    try:
        yield tmp
        _commit(os.open(tmp, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0)), tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def move_into_place(source: str | os.PathLike, path: str | os.PathLike) -> Path:
    """Rename the finished file ``source`` (on the same disk, e.g. a host's render beside ``path``) over
    ``path``: flushed first, then renamed, then the folder flushed. Returns ``path``."""
    _commit(os.open(source, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0)), Path(source), Path(path))
    return Path(path)


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically and return the path."""
    with atomic_file(path) as handle:
        view = memoryview(data)
        while view:
            view = view[handle.write(view):]
    return Path(path)


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` as UTF-8 to ``path`` atomically and return the path."""
    return atomic_write_bytes(path, text.encode("utf-8"))


_HELD = threading.local()  # lock files this thread holds now (each lock is re-entrant within a thread)


@contextlib.contextmanager
def file_lock(path: str | os.PathLike) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (an ``flock`` on a small file, created if missing) across processes,
    so two read-modify-writes of one file never lose each other's change. Waits for the holder; re-entrant
    in a thread; released by the operating system if the process dies."""
    path = Path(path)
    key = os.fspath(path.absolute())
    held: set[str] = getattr(_HELD, "paths", None) or set()
    _HELD.paths = held
    if key in held:
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as handle:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows
            fcntl = None
        if fcntl is not None:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        else:  # pragma: no cover - Windows
            import msvcrt
            msvcrt.locking(handle.fileno(), msvcrt.LK_LOCK, 1)
        held.add(key)
        try:
            yield
        finally:
            held.discard(key)
