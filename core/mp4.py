"""Reading an MP4 / QuickTime clip's box index in-process, without running ffmpeg.

:func:`read_video` walks the ISO-BMFF boxes of an ``.mp4`` / ``.mov`` / ``.m4v`` file with :mod:`struct`:
the top-level box headers (seeking past ``mdat``, never reading media data), then the ``moov`` box. For the
first video track it returns what :func:`shotreel.media.probe` reports: the exact rate (``timescale /
sample delta`` from ``mdhd`` and ``stts``), the frame count (``stsz`` / ``stz2``), the coded size and
codec from the sample entry in ``stsd``, and whether any track is sound.

It answers only when it is sure to agree with ffmpeg, and returns ``None`` otherwise (the caller then
asks ffmpeg): a file that is not ISO-BMFF, truncated or corrupt, fragmented (``moof`` / ``mvex``), with
unequal sample durations, an edit list other than one plain edit over the whole track (the B-frame
delay ffmpeg's muxer writes), a first sample that is not a keyframe, or an unknown codec. It never
raises for a merely unusual file.
"""

from __future__ import annotations

import itertools
import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

_HEAD = struct.Struct(">I4s")
_U32 = struct.Struct(">I")
_U64 = struct.Struct(">Q")
_MAX_MOOV = 64 << 20
"""A bigger index is unusual enough to leave to ffmpeg."""
_FIRST_BOXES = {b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"pnot"}
_FRAGMENTS = {b"moof", b"mfra", b"styp", b"sidx"}
_CODECS = {b"avc1": "h264", b"avc3": "h264", b"hvc1": "hevc", b"hev1": "hevc", b"av01": "av1",
           b"vp09": "vp9", b"apcn": "prores", b"apch": "prores", b"apcs": "prores", b"apco": "prores",
           b"ap4h": "prores", b"mjpa": "mjpeg", b"jpeg": "mjpeg"}
"""Sample entry fourcc -> ffmpeg's codec name (``mp4v`` is read from its ``esds``)."""
_MPEG4_VISUAL = 0x20
"""The ``esds`` object type of MPEG-4 Part 2 video (other values are MPEG-1/2 video, JPEG …)."""


@dataclass(frozen=True)
class Mp4Video:
    """The first video track of an MP4 as ffmpeg would report it."""

    rate: Fraction
    """Exact: the media timescale over the (single) sample duration, e.g. ``Fraction(24000, 1001)``."""
    frames: int
    width: int
    height: int
    codec: str
    """ffmpeg's codec name: ``h264``, ``hevc``, ``av1``, ``vp9``, ``mpeg4``, ``prores``, ``mjpeg``."""
    has_audio: bool


class _Unsure(Exception):
    """Raised inside the reader for anything it will not vouch for; :func:`read_video` returns None."""


def read_video(path: str | Path) -> Mp4Video | None:
    """The first video track of the MP4 / QuickTime file at ``path``, or ``None`` to ask ffmpeg instead.

    Reads only box headers and the ``moov`` index. ``None`` means "not sure": not ISO-BMFF, truncated,
    fragmented, variable frame durations, a trimming edit list, no video track, an unknown codec, or a
    file that cannot be opened. Never raises for a bad or unusual file.
    """
    try:
        with open(path, "rb") as stream:
            size = os.fstat(stream.fileno()).st_size
            moov = _read_moov(stream, size)
            return _parse_moov(moov, size) if moov is not None else None
    except (OSError, struct.error, ValueError, IndexError, OverflowError, ZeroDivisionError, _Unsure):
        return None


def _read_moov(stream, size: int) -> bytes | None:
    """The body of the single top-level ``moov`` box, after checking every top-level box header."""
    pos, moov = 0, None
    while pos < size:
        if size - pos < 8:
            return None
        stream.seek(pos)
        head = stream.read(16)
        box_size, kind = _HEAD.unpack_from(head)
        header = 8
        if box_size == 1:
            box_size, header = _U64.unpack_from(head, 8)[0], 16
        elif box_size == 0:
            box_size = size - pos
        if box_size < header or pos + box_size > size or not _printable(kind):
            return None
        if pos == 0 and kind not in _FIRST_BOXES:
            return None
        if kind in _FRAGMENTS:
            return None
        if kind == b"moov":
            if moov is not None or box_size - header > _MAX_MOOV:
                return None
            stream.seek(pos + header)
            moov = stream.read(box_size - header)
            if len(moov) != box_size - header:
                return None
        pos += box_size
    return moov


def _printable(kind: bytes) -> bool:
    return all(32 <= c < 127 or c == 0xA9 for c in kind)


def _boxes(data: bytes, start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
    """``(type, body start, body end)`` of each box in ``data[start:end]``; trailing padding is ignored."""
    pos = start
    while end - pos >= 8:
        box_size, kind = _HEAD.unpack_from(data, pos)
        header = 8
        if box_size == 1:
            if end - pos < 16:
                raise _Unsure
            box_size, header = _U64.unpack_from(data, pos + 8)[0], 16
        elif box_size == 0:
            box_size = end - pos
        if box_size < header or pos + box_size > end:
            raise _Unsure
        yield kind, pos + header, pos + box_size
        pos += box_size


def _children(data: bytes, start: int, end: int) -> dict[bytes, list[tuple[int, int]]]:
    found: dict[bytes, list[tuple[int, int]]] = {}
    for kind, body, stop in _boxes(data, start, end):
        found.setdefault(kind, []).append((body, stop))
    return found


def _one(found: dict[bytes, list[tuple[int, int]]], kind: bytes) -> tuple[int, int] | None:
    """The only box of ``kind`` among ``found``; ``None`` if absent; unsure if repeated."""
    spans = found.get(kind)
    if not spans:
        return None
    if len(spans) > 1:
        raise _Unsure
    return spans[0]


def _need(found: dict[bytes, list[tuple[int, int]]], kind: bytes) -> tuple[int, int]:
    span = _one(found, kind)
    if span is None:
        raise _Unsure
    return span


def _parse_moov(moov: bytes, file_size: int) -> Mp4Video | None:
    movie_scale = 0
    video: tuple[int, int] | None = None
    has_audio = False
    chapters: set[int] = set()
    for kind, start, end in _boxes(moov, 0, len(moov)):
        if kind == b"mvhd":
            movie_scale = _timescale(moov, start)
        elif kind == b"mvex":
            return None
        elif kind == b"trak":
            found = _children(moov, start, end)
            chapters |= _chapter_ids(moov, found)
            handler = _handler(moov, found)
            if handler == b"soun":
                has_audio = True
            elif handler == b"vide" and video is None:
                video = (start, end)
        elif kind in (b"udta", b"meta") and video is None and b"covr" in moov[start:end]:
            return None  # ffmpeg would list the cover art as the first video stream
    if video is None:
        return None
    return _video_track(moov, *video, movie_scale, file_size, chapters, has_audio)


def _timescale(data: bytes, start: int) -> int:
    """The timescale of an ``mvhd`` or ``mdhd`` body."""
    return _U32.unpack_from(data, start + (20 if data[start] == 1 else 12))[0]


def _handler(data: bytes, trak: dict) -> bytes | None:
    mdia = _one(trak, b"mdia")
    if mdia is None:
        return None
    hdlr = _one(_children(data, *mdia), b"hdlr")
    if hdlr is None or hdlr[1] - hdlr[0] < 12:
        return None
    return data[hdlr[0] + 8:hdlr[0] + 12]


def _chapter_ids(data: bytes, trak: dict) -> set[int]:
    tref = _one(trak, b"tref")
    if tref is None:
        return set()
    ids: set[int] = set()
    for kind, start, end in _boxes(data, *tref):
        if kind == b"chap":
            ids.update(struct.unpack_from(f">{(end - start) // 4}I", data, start))
    return ids


def _video_track(data: bytes, start: int, end: int, movie_scale: int, file_size: int,
                 chapters: set[int], has_audio: bool) -> Mp4Video | None:
    trak = _children(data, start, end)
    tkhd = _need(trak, b"tkhd")
    track_id, shown_w, shown_h = _track_header(data, *tkhd)
    if track_id in chapters:
        return None
    mdia = _children(data, *_need(trak, b"mdia"))
    timescale = _timescale(data, _need(mdia, b"mdhd")[0])
    minf = _children(data, *_need(mdia, b"minf"))
    stbl = _children(data, *_need(minf, b"stbl"))
    entry = _sample_entry(data, stbl)
    if entry is None:
        return None
    codec, width, height = entry
    if width <= 0 or height <= 0 or (shown_w, shown_h) != (width << 16, height << 16):
        return None  # anamorphic, rotated or inconsistent: ffmpeg knows the coded size
    frames = _sample_count(data, stbl)
    delta = _sample_delta(data, stbl, frames)
    if timescale <= 0 or frames <= 0 or delta <= 0:
        return None
    _check_chunks(data, stbl, frames, file_size)
    _check_first_keyframe(data, stbl)
    edts = _one(trak, b"edts")
    if edts is not None:
        _check_edit(data, edts, stbl, frames, delta, Fraction(timescale, movie_scale or 1), movie_scale)
    return Mp4Video(rate=Fraction(timescale, delta), frames=frames, width=width, height=height,
                    codec=codec, has_audio=has_audio)


def _track_header(data: bytes, start: int, end: int) -> tuple[int, int, int]:
    """Track id and the 16.16 width and height of a ``tkhd`` body."""
    wide = data[start] == 1
    if end - start < (96 if wide else 84):
        raise _Unsure
    track_id = _U32.unpack_from(data, start + (20 if wide else 12))[0]
    width, height = struct.unpack_from(">II", data, start + (88 if wide else 76))
    return track_id, width, height


def _sample_entry(data: bytes, stbl: dict) -> tuple[str, int, int] | None:
    """ffmpeg's codec name and the coded width and height of the one visual sample entry."""
    start, end = _need(stbl, b"stsd")
    if end - start < 8 or _U32.unpack_from(data, start + 4)[0] != 1:
        return None
    entries = list(_boxes(data, start + 8, end))
    if len(entries) != 1:
        return None
    kind, body, stop = entries[0]
    if stop - body < 78:
        return None
    width, height = struct.unpack_from(">HH", data, body + 24)
    codec = _CODECS.get(kind)
    if kind == b"mp4v":
        esds = _one(_children(data, body + 78, stop), b"esds")
        codec = "mpeg4" if esds is not None and _object_type(data, *esds) == _MPEG4_VISUAL else None
    return (codec, width, height) if codec else None


def _object_type(data: bytes, start: int, end: int) -> int | None:
    """The ``objectTypeIndication`` of the DecoderConfigDescriptor in an ``esds`` body."""
    pos = start + 4
    tag, pos = data[pos], _descriptor_body(data, pos + 1)
    if tag != 0x03:
        return None
    flags = data[pos + 2]
    pos += 3
    if flags & 0x80:
        pos += 2
    if flags & 0x40:
        pos += 1 + data[pos]
    if flags & 0x20:
        pos += 2
    if pos >= end or data[pos] != 0x04:
        return None
    pos = _descriptor_body(data, pos + 1)
    return data[pos] if pos < end else None


def _descriptor_body(data: bytes, pos: int) -> int:
    """Skip an MPEG-4 descriptor's variable-length size field; return where its body starts."""
    for _ in range(4):
        more = data[pos] & 0x80
        pos += 1
        if not more:
            break
    return pos


def _sample_count(data: bytes, stbl: dict) -> int:
    """The number of samples (``stsz`` or ``stz2``), unsure if any sample is empty."""
    stsz, stz2 = _one(stbl, b"stsz"), _one(stbl, b"stz2")
    if (stsz is None) == (stz2 is None):
        raise _Unsure
    if stsz is not None:
        start, end = stsz
        size, count = struct.unpack_from(">II", data, start + 4)
        if size == 0:
            if end - start < 12 + 4 * count:
                raise _Unsure
            if 0 in struct.unpack_from(f">{count}I", data, start + 12):
                raise _Unsure
        return count
    start, end = stz2
    field, count = data[start + 7], _U32.unpack_from(data, start + 8)[0]
    table = data[start + 12:start + 12 + (count * field + 7) // 8]
    if field not in (4, 8, 16) or len(table) * 8 < count * field:
        raise _Unsure
    if field == 16:
        sizes = struct.unpack(f">{count}H", table)
    elif field == 8:
        sizes = tuple(table)
    else:
        sizes = tuple(nib for byte in table for nib in (byte >> 4, byte & 15))[:count]
    if 0 in sizes:
        raise _Unsure
    return count


def _sample_delta(data: bytes, stbl: dict, frames: int) -> int:
    """The one duration every sample has (``stts``); unsure if they differ or do not cover the samples."""
    start, end = _need(stbl, b"stts")
    count = _U32.unpack_from(data, start + 4)[0]
    if end - start < 8 + 8 * count:
        raise _Unsure
    table = struct.unpack_from(f">{2 * count}I", data, start + 8)
    runs = [(n, d) for n, d in zip(table[::2], table[1::2]) if n]
    if len({d for _, d in runs}) != 1 or sum(n for n, _ in runs) != frames:
        raise _Unsure
    return runs[0][1]


def _check_chunks(data: bytes, stbl: dict, frames: int, file_size: int) -> None:
    """Unsure unless ``stsc`` and ``stco`` / ``co64`` hold exactly ``frames`` samples inside the file."""
    stco, co64 = _one(stbl, b"stco"), _one(stbl, b"co64")
    if (stco is None) == (co64 is None):
        raise _Unsure
    start, end = stco or co64
    chunks = _U32.unpack_from(data, start + 4)[0]
    width = 4 if stco else 8
    if chunks == 0 or end - start < 8 + width * chunks:
        raise _Unsure
    offsets = struct.unpack_from(f">{chunks}{'I' if stco else 'Q'}", data, start + 8)
    if max(offsets) >= file_size:
        raise _Unsure
    start, end = _need(stbl, b"stsc")
    count = _U32.unpack_from(data, start + 4)[0]
    if count == 0 or end - start < 8 + 12 * count:
        raise _Unsure
    table = struct.unpack_from(f">{3 * count}I", data, start + 8)
    firsts, per_chunk = list(table[::3]) + [chunks + 1], table[1::3]
    if firsts[0] != 1:
        raise _Unsure
    total = 0
    for i, samples in enumerate(per_chunk):
        if not firsts[i] < firsts[i + 1] <= chunks + 1:
            raise _Unsure
        total += (firsts[i + 1] - firsts[i]) * samples
    if total != frames:
        raise _Unsure


def _check_first_keyframe(data: bytes, stbl: dict) -> None:
    """Unsure unless the first sample is a sync sample (ffmpeg's stream copy drops leading non-keyframes)."""
    stss = _one(stbl, b"stss")
    if stss is None:
        return  # every sample is a sync sample
    start, _ = stss
    if _U32.unpack_from(data, start + 4)[0] == 0 or _U32.unpack_from(data, start + 8)[0] != 1:
        raise _Unsure


def _check_edit(data: bytes, edts: tuple[int, int], stbl: dict, frames: int, delta: int,
                media_per_movie: Fraction, movie_scale: int) -> None:
    """Unsure unless the edit list is one plain edit showing every sample once (no skip, no repeat).

    ffmpeg's muxer writes one edit starting at the first presentation time when B-frames delay it
    (``ctts``); that edit hides no frame. Any other edit changes what ffmpeg counts.
    """
    elsts = _children(data, *edts)
    if set(elsts) != {b"elst"}:
        raise _Unsure
    start, end = _need(elsts, b"elst")
    wide = data[start] == 1
    if movie_scale <= 0 or _U32.unpack_from(data, start + 4)[0] != 1 or end - start < (28 if wide else 20):
        raise _Unsure
    if wide:
        duration, media_time, rate = struct.unpack_from(">QqI", data, start + 8)
    else:
        duration, media_time, rate = struct.unpack_from(">IiI", data, start + 8)
    first, last = _presentation_span(data, stbl, frames, delta)
    shown = duration * media_per_movie  # the edit's length in media ticks
    if rate != 0x10000 or media_time != first or not (last - first < shown <= last - first + 2 * delta):
        raise _Unsure


def _presentation_span(data: bytes, stbl: dict, frames: int, delta: int) -> tuple[int, int]:
    """The earliest and latest presentation time of any sample (decode time + ``ctts`` offset)."""
    ctts = _one(stbl, b"ctts")
    if ctts is None:
        return 0, (frames - 1) * delta
    start, end = ctts
    count = _U32.unpack_from(data, start + 4)[0]
    if end - start < 8 + 8 * count:
        raise _Unsure
    table = struct.unpack_from(f">{2 * count}i", data, start + 8)
    runs, offsets = table[::2], table[1::2]
    if min(runs, default=0) <= 0:
        raise _Unsure
    starts = list(itertools.accumulate(runs, initial=0))  # the first sample of each run, then the end
    if starts[-1] != frames:
        raise _Unsure
    low = min([i * delta + offset for i, offset in zip(starts, offsets)])
    high = max([(j - 1) * delta + offset for j, offset in zip(starts[1:], offsets)])
    return low, high
