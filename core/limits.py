"""What shotreel accepts from files other people and other tools made: the limits, and the guards.

Project files and cuts are untrusted input. Every one of them gets a one-line answer in bounded time
and memory: either it is read, or it is refused before the expensive part starts (a parser, a
renderer, an encoder) with a message naming the file and what is over which limit. The limits are
documented in the README ("Limits"); they are far above what a short film needs and below what
would take minutes, gigabytes or a crash.

The guards here are free functions over paths and text: :func:`json_depth` (how deeply a JSON text
nests, found without parsing it), :func:`is_inside` (a path inside a folder once links are
followed) and :func:`is_image` (a regular file whose first bytes are an image format's signature).
"""

from __future__ import annotations

import re
from itertools import accumulate
from pathlib import Path

# -- project files ---------------------------------------------------------------------------------

MAX_PROJECT_BYTES = 10 * 1024 * 1024
"""A ``shotreel.yaml`` may be at most 10 MB (about 20,000 shots of ordinary text)."""
MAX_SHOTS = 10_000
"""A project may hold at most 10,000 shots (a feature film has 1,500 to 3,000)."""
MAX_SHOT_SECONDS = 4 * 3600
"""A shot (and a target runtime) may last at most 4 hours."""
MAX_TEXT_CHARS = 10_000
"""Any one text field (an action, a dialogue line, a prompt, an id …) may be at most 10,000 characters."""
MAX_SIDE = 8192
"""The film's width and height may be at most 8192 pixels each …"""
MAX_PIXELS = 8192 * 4320
"""… and at most 8192x4320 (8K full frame, what H.264 level 6.2 encodes) pixels in all."""
MIN_SIDE = 16
"""… at least 16 pixels, and even (H.264 in 4:2:0 needs even sides)."""
TIMECODE_HOURS = 24
"""Timecode wraps at 24 hours in every editing app: a film starts and ends before 24:00:00:00."""

# -- cuts ------------------------------------------------------------------------------------------

MAX_CUT_BYTES = 128 * 1024 * 1024
"""A cut file (and the timeline inside an ``.otioz`` / ``.otiod`` bundle) may be at most 128 MB: an EDL
of 100,000 events is 9 MB, an OTIO reel of 10,000 shots about 40 MB."""
MAX_JSON_DEPTH = 256
"""An OTIO file may nest at most 256 levels (a reel nests about 12; nested sequences add 4 each)."""
MAX_BUNDLE_FILE_BYTES = 64 * 1024 * 1024
"""A board unpacked from an ``.otioz`` / ``.otiod`` bundle may be at most 64 MB …"""
MAX_BUNDLE_TOTAL_BYTES = 512 * 1024 * 1024
"""… all of them together at most 512 MB …"""
MAX_BUNDLE_RATIO = 200
"""… and a member may not unpack to more than 200 times its packed size (once it is over 1 MB)."""
RATIO_FLOOR_BYTES = 1024 * 1024


def megabytes(size: int) -> str:
    """``size`` bytes as a short figure for messages: ``5,120 bytes``, ``10 MB``, ``1.5 GB``."""
    if size >= 1024 ** 3:
        return f"{size / 1024 ** 3:.1f} GB"
    if size < 1024 ** 2:
        return f"{size:,} bytes"
    value = size / 1024 ** 2
    return f"{value:.0f} MB" if value >= 10 or value == int(value) else f"{value:.1f} MB"


# -- guards ----------------------------------------------------------------------------------------

_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = bytes(range(256)).translate(None, b"[]{}")
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


def json_depth(data: bytes) -> int:
    """How deeply the JSON text ``data`` nests (``{"a": [1]}`` is 2), without parsing it.

    Strings are blanked first, so brackets inside them do not count. Linear in the size of ``data``
    (about 0.1 s for 40 MB); malformed text gets an answer too (the parser will refuse it later).
    """
    structure = _JSON_STRING.sub(b'""', data).translate(None, _BRACKETS)
    if not structure:
        return 0
    return max(accumulate(map(_STEP.__getitem__, structure)))


def is_inside(path: Path, folder: Path) -> bool:
    """Whether ``path`` is inside ``folder`` once both are resolved (``..`` and symbolic links followed)."""
    try:
        return path.resolve().is_relative_to(folder.resolve())
    except (OSError, RuntimeError):  # a link loop
        return False


_IMAGE_SIGNATURES = (
    b"\x89PNG\r\n\x1a\n",  # PNG
    b"\xff\xd8\xff",  # JPEG
    b"II*\x00", b"MM\x00*",  # TIFF
    b"v/1\x01",  # OpenEXR
    b"SDPX", b"XPDS",  # DPX
    b"BM",  # BMP
    b"GIF87a", b"GIF89a",
)


def is_image(path: Path) -> bool:
    """Whether ``path`` is a regular file that starts like an image (PNG, JPEG, TIFF, EXR, DPX, BMP,
    GIF, WebP). Reads at most 16 bytes; never follows into devices or pipes."""
    try:
        if not path.is_file():
            return False
        with open(path, "rb") as handle:
            head = handle.read(16)
    except OSError:
        return False
    return starts_as_image(head)


def starts_as_image(head: bytes) -> bool:
    """Whether the bytes ``head`` (the first 16 of a file will do) begin as an image format does."""
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return True
    return any(head.startswith(signature) for signature in _IMAGE_SIGNATURES)


def may_read_image(path: Path, root: Path | None) -> bool:
    """Whether an image a project names (a board, a reference) may be read: anything inside the project
    folder ``root``; outside it, only a file that is an image (never ``../../etc/passwd``)."""
    return root is None or is_inside(path, root) or is_image(path)
