"""The reel: a film, its boards and takes as one OpenTimelineIO timeline (DESIGN §3).

:func:`build_reel` turns a :class:`~shotreel.model.Film` (plus its takes and selects) into an
``otio.schema.Timeline``:

- named after the film; ``global_start_time`` is the film's start timecode at its exact rate;
- video track ``Boards``: one clip per shot in story order, named after the shot, whose media is
  the shot's board still (an ``ExternalReference`` with a plain absolute path) or a
  ``MissingReference`` when the shot has no board yet — always exactly the shot's length in the cut
  (:mod:`shotreel.conform`: the select's trims, else the planned duration);
- video track ``Takes`` above it: one clip per shot with takes, every take one entry of the clip's
  ``media_references`` (key = take id), the chosen take active with the select's trims; shots
  without takes are gaps of the shot's length, so the board shows through, and so is the end of a
  shot whose take runs short (no source range ever leaves its take's media);
- audio tracks ``Dialogue``, ``Music`` and ``Effects``: on Dialogue, one clip per line at its record
  frame whose media is its scratch voice (``edit/voices/``, :mod:`shotreel.finishing.voices`) once it is
  made, else one placeholder clip (``MissingReference``) over the shot; on Music, the ``music:`` file
  from its start to the film's end; on Effects, each ``sfx:`` file at its shot's record frame plus its
  offset, and a placeholder over a shot with ``sound:`` notes but no files. A sound clip is cut short
  where the next one on its track starts (OTIO tracks do not overlap) and at the film's end;
- one marker per beat at its first shot, on the top-level stack (hosts import stack markers as
  timeline markers), coloured by beat;
- where ``shotreel check`` warns about a shot, a red marker on that shot's board clip (one per shot,
  every warning in its comment), so the editor sees the note on the shot it is about;
- on a Takes clip whose take is stale (made from inputs that changed since, :mod:`shotreel.stale`), a red
  ``stale`` marker at its first frame with the reasons in its comment, and ``stale: [reasons]`` in its
  ``metadata["shotreel"]`` (and in that take's entry of the mirrored take list);
- ``metadata["shotreel"]`` on the timeline, every shot clip (shot, scene, beat, action, camera,
  dialogue, prompt, duration, the take list mirrored) and every marker. Nothing custom lives
  anywhere else, and only stock OTIO schemas are used.

Paths are plain absolute paths (``/films/x/boards/sh010.png``): DaVinci Resolve accepts nothing
else, Blender reads paths, OTIO's bundle adapters accept them, and :mod:`shotreel.interchange`
turns them into ``file://`` URLs for the one writer whose hosts need URLs (FCP7 XML).

A still has no length of its own; its ``available_range`` is the span it is held for (the shot's
duration, from 0), so ``otiotool --verify-ranges`` stays clean and FCP7 XML / AAF writers give the
media a real length, unlike Resolve's own exports (one frame).
"""

from __future__ import annotations

import math
import os
import wave
from collections.abc import Callable, Iterable, Mapping, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import opentimelineio as otio

from . import __version__, palette, timing
from .checks import WARNING, Finding
from .conform import ShotCut, conform
from .media import MediaError
from .model import Film, Selection, Shot, Take
from .takes import find_takes, load_selects, take_length

NAMESPACE = "shotreel"
"""The one metadata key shotreel writes under."""

BOARDS_TRACK = "Boards"
TAKES_TRACK = "Takes"
DIALOGUE_TRACK = "Dialogue"
MUSIC_TRACK = "Music"
EFFECTS_TRACK = "Effects"
SOUND_TRACK = EFFECTS_TRACK
"""The track of the shots' ``sound:`` notes and ``sfx:`` files (called Sound before it held files)."""
BOARDS_DIR = "boards"
VOICES_DIR = "edit/voices"

BEAT_COLORS: tuple[tuple[str, str], ...] = tuple((c.otio, c.resolve) for c in palette.BEAT_COLOURS)
"""Beat marker colours in beat order, (OTIO colour, Resolve marker colour), from :mod:`shotreel.palette`:
the colours both palettes share exactly, without red (check warnings), as on the board cards."""

BoardFinder = Callable[[Film, Shot], "Path | None"]
"""``board_for(film, shot) -> Path | None``: the still that stands for a shot in the reel."""

_INT64 = 2 ** 63


def _voice_clips(film: Film) -> dict[tuple[str, int], dict]:
    """The scratch voices on disk that still match their lines, keyed (shot id, line number)."""
    from .finishing.voices import line_hash, line_voice, read_manifest, voices_for

    manifest = read_manifest(film)
    if not manifest:
        return {}
    voices = voices_for(film)
    found = {}
    for shot in film.shots():
        for index, line in enumerate(shot.dialogue, start=1):
            name = f"{shot.id}-{index:02d}.wav"
            entry = manifest.get(name)
            if entry and entry.get("hash") == line_hash(line, line_voice(film, line, voices)):
                found[(shot.id, index)] = {**entry, "file": name}
    return found


def _sound_frames(film: Film, relative: str) -> int | None:
    """A sound file's length in film frames when it is a WAV whose header says (rounded up), else None."""
    try:
        with wave.open(str(film.path(relative)), "rb") as src:
            seconds = Fraction(src.getnframes(), src.getframerate())
    except (OSError, EOFError, wave.Error, ZeroDivisionError):
        return None
    return math.ceil(seconds * film.fps)


def default_board(film: Film, shot: Shot) -> Path | None:
    """The shot's first ``start`` board when its file exists, else ``boards/<shot>.png`` when it
    exists, else ``None``."""
    board = shot.board("start")
    if board is not None:
        path = film.path(board.path)
        if path.is_file():
            return path
    if film.root is not None:
        path = film.root / BOARDS_DIR / f"{shot.id}.png"
        if path.is_file():
            return path
    return None


class _ListedBoards:
    """:func:`default_board` with one directory listing instead of a ``stat`` per shot."""

    def __init__(self, film: Film):
        self.film = film
        self.root = os.fspath(film.root) if film.root is not None else None
        self.listed: set[str] = set()
        if self.root is not None:
            try:
                self.listed = {e.name for e in os.scandir(os.path.join(self.root, BOARDS_DIR)) if e.is_file()}
            except OSError:
                pass

    def __call__(self, film: Film, shot: Shot) -> Path | None:
        if shot.boards:
            return default_board(film, shot)
        name = f"{shot.id}.png"
        if name in self.listed:
            return Path(self.root, BOARDS_DIR, name)  # type: ignore[arg-type]
        return None


def build_reel(film: Film, takes: Mapping[str, list[Take]] | None = None,
               selects: Mapping[str, Selection] | None = None,
               board_for: BoardFinder | None = None,
               findings: Iterable[Finding] = (),
               stale: Mapping[str, Mapping[str, list[str]]] | None = None) -> otio.schema.Timeline:
    """The film as an OTIO timeline (see the module docstring for its shape).

    ``takes`` maps shot id to its takes (default: :func:`shotreel.takes.find_takes`), ``selects``
    shot id to the editor's choice (default: :func:`shotreel.takes.load_selects`); ``board_for``
    finds a shot's still (default: :func:`default_board`); ``findings`` are what
    :func:`shotreel.checks.run_checks` found (its warnings about shots become markers); ``stale`` maps shot id
    → take id → why the take is stale (default: :func:`shotreel.stale.stale_takes` of ``takes``). Every duration is exact in frames at
    the film's rate. Things the reel had to decide for the user (a take at another frame rate, a
    take shorter than its shot, a select naming a take that is gone) are listed by
    :func:`reel_notes`. Shots run as :func:`shotreel.conform.conform` cuts them: a select's trims are
    the shot's length, else its planned duration; a take never plays a frame outside its media.
    """
    if takes is None:
        takes = find_takes(film)
    if selects is None:
        selects = load_selects(film)
    finder = board_for or _ListedBoards(film)
    warnings: dict[str, list[Finding]] = {}
    for finding in findings:
        if finding.level == WARNING and finding.shot:
            warnings.setdefault(finding.shot, []).append(finding)
    if stale is None:
        from .errors import ProjectError
        from .stale import stale_takes
        try:
            stale = stale_takes(film, takes)
        except ProjectError:  # an unreadable approvals.yaml: check names it; the reel still builds
            stale = {}
    return _Builder(film, takes, selects, finder, warnings, stale).timeline()


def reel_notes(timeline: otio.schema.Timeline) -> list[str]:
    """What :func:`build_reel` reported about ``timeline``: one line per decision, empty when none."""
    block = timeline.metadata.get(NAMESPACE) or {}
    return [str(note) for note in (block.get("notes") or [])]


def shot_block(item: otio.core.Item) -> dict:
    """The ``metadata["shotreel"]`` block of a reel item as a plain dict (empty when it has none)."""
    block = item.metadata.get(NAMESPACE)
    return _plain_dict(block) if block is not None else {}


def _plain_dict(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _plain_dict(v) for k, v in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, str):
        return [_plain_dict(v) for v in value]
    return value


# -- the builder: OTIO's schema constructors, one TimeRange per distinct length ------------------------

def _scalar(value: Any) -> Any:
    """A provenance value OTIO metadata can hold (ints beyond int64 become text)."""
    if value is None or isinstance(value, (bool, float, str)):
        return value
    if isinstance(value, int):
        return value if -_INT64 <= value < _INT64 else str(value)
    return str(value)


class _Builder:
    """One reel build: the film, its takes and selects, and the notes collected on the way."""

    def __init__(self, film: Film, takes: Mapping[str, list[Take]], selects: Mapping[str, Selection],
                 board_for: BoardFinder, warnings: Mapping[str, list[Finding]],
                 stale: Mapping[str, Mapping[str, list[str]]] | None = None):
        self.film = film
        self.warnings = warnings
        self.stale = stale or {}
        self.takes = takes
        self.cuts = conform(film, takes, selects).shots
        self.board_for = board_for
        self.notes: list[str] = []
        self.headings = {scene.id: scene.heading for scene in film.scenes}
        # RationalTime / TimeRange are immutable values: one per distinct (frames, rate) is shared.
        self.spans: dict[int, otio.opentime.TimeRange] = {}

    def span(self, frames: int) -> otio.opentime.TimeRange:
        """``frames`` from 0 at the film's rate (cached: a film repeats a few shot lengths)."""
        span = self.spans.get(frames)
        if span is None:
            span = self.spans[frames] = timing.time_range(0, frames, self.film.fps)
        return span

    def timeline(self) -> otio.schema.Timeline:
        film = self.film
        boards = otio.schema.Track(name=BOARDS_TRACK, kind=otio.schema.TrackKind.Video)
        takes = otio.schema.Track(name=TAKES_TRACK, kind=otio.schema.TrackKind.Video)
        dialogue = otio.schema.Track(name=DIALOGUE_TRACK, kind=otio.schema.TrackKind.Audio)
        music = otio.schema.Track(name=MUSIC_TRACK, kind=otio.schema.TrackKind.Audio)
        sound = otio.schema.Track(name=EFFECTS_TRACK, kind=otio.schema.TrackKind.Audio)
        voices = _voice_clips(film) if any(s.dialogue for s in film.shots()) else {}
        talk: list[tuple[int, int, Callable[[int], otio.schema.Clip]]] = []
        effects: list[tuple[int, int, Callable[[int], otio.schema.Clip]]] = []
        # without files, each track keeps one item per shot (a placeholder or a gap), as hosts expect
        per_shot: dict[str, list[otio.core.Item]] = {DIALOGUE_TRACK: [], MUSIC_TRACK: [], EFFECTS_TRACK: []}
        files = {DIALOGUE_TRACK: False, EFFECTS_TRACK: False}
        first_shot_of_beat: dict[str, tuple[int, Shot]] = {}
        for cut in self.cuts:
            shot = cut.shot
            span = self.span(cut.length)
            block, take_clip = self.shot(cut, span)
            boards.append(self.board_clip(shot, span, block))
            if take_clip is not None:
                takes.append(take_clip)
            if cut.covered < cut.length:  # no take, or one that runs short: the board shows through
                takes.append(otio.schema.Gap(source_range=self.span(cut.length - cut.covered)))
            per_shot[DIALOGUE_TRACK].append(self.audio_clip(shot, span, "dialogue") if shot.dialogue
                                            else otio.schema.Gap(source_range=span))
            per_shot[EFFECTS_TRACK].append(self.audio_clip(shot, span, "sound") if shot.sound
                                           else otio.schema.Gap(source_range=span))
            per_shot[MUSIC_TRACK].append(otio.schema.Gap(source_range=span))
            files[EFFECTS_TRACK] = files[EFFECTS_TRACK] or bool(shot.sfx)
            lines = [voices.get((shot.id, i)) for i in range(1, len(shot.dialogue) + 1)]
            if shot.dialogue and all(lines):
                files[DIALOGUE_TRACK] = True
                talk += [(c["record_in"], c["frames"], self.voice_clip(shot, c)) for c in lines]  # type: ignore[index]
            elif shot.dialogue:
                talk.append((cut.record_in, cut.length, lambda n, shot=shot: self.audio_clip(shot, self.span(n), "dialogue")))
            if shot.sfx:
                effects += [(cut.record_in + e.offset, _sound_frames(film, e.path) or cut.length - e.offset,
                             self.file_clip(shot, e.path, "sfx", e.level)) for e in shot.sfx]
            elif shot.sound:
                effects.append((cut.record_in, cut.length, lambda n, shot=shot: self.audio_clip(shot, self.span(n), "sound")))
            first_shot_of_beat.setdefault(shot.beat, (cut.record_in, shot))
        total = self.cuts[-1].record_out if self.cuts else 0
        bed = film.music
        for track, events, has_files in (
                (dialogue, talk, files[DIALOGUE_TRACK]), (sound, effects, files[EFFECTS_TRACK]),
                (music, [] if bed is None else [(bed.start, total - bed.start,
                                                 self.file_clip(None, bed.path, "music", bed.level))], bed is not None)):
            if has_files:
                self.lay(track, events, total)
            else:
                track.extend(per_shot[track.name])
        # OTIO names a Timeline's own stack "tracks"; the reel's stack is unnamed.
        stack = otio.schema.Stack(name="", children=[boards, takes, dialogue, music, sound],
                                  markers=self.markers(first_shot_of_beat))
        timeline = otio.schema.Timeline(name=film.title,
                                        global_start_time=timing.rational_time(film.start_frame, film.fps),
                                        metadata={NAMESPACE: self.film_block()})
        timeline.tracks = stack
        return timeline

    # -- pieces ------------------------------------------------------------------------------------
    def film_block(self) -> dict:
        """The timeline's block; built last, so ``notes`` holds every note of the build."""
        film = self.film
        return {
            "reel": 1, "film": film.title, "fps": timing.fps_label(film.fps),
            "rate": f"{film.fps.numerator}/{film.fps.denominator}",
            "start_timecode": timing.format_timecode(film.start_frame, film.fps),
            "start_frame": film.start_frame, "resolution": f"{film.resolution[0]}x{film.resolution[1]}",
            "runtime_frames": film.runtime(), "project": str(film.root) if film.root else None,
            "shotreel_version": __version__, "notes": self.notes,
        }

    def board_clip(self, shot: Shot, span: otio.opentime.TimeRange, block: dict) -> otio.schema.Clip:
        board = self.board_for(self.film, shot)
        ref: otio.core.MediaReference
        if board is not None:
            path = os.path.abspath(board)
            ref = otio.schema.ExternalReference(target_url=path, available_range=span)
            ref.name = os.path.basename(path)
        else:
            missing: dict[str, Any] = {"missing": "board"}
            expected = self.expected_board(shot)
            if expected is not None:
                missing["expected"] = expected
            ref = otio.schema.MissingReference(name=f"{shot.id} board", available_range=span,
                                               metadata={NAMESPACE: missing})
        clip = otio.schema.Clip(name=shot.id, media_reference=ref, source_range=span, metadata={NAMESPACE: block})
        warned = self.warnings.get(shot.id)
        if warned:
            clip.markers.append(self.check_marker(shot, warned))
        return clip

    def check_marker(self, shot: Shot, warnings: list[Finding]) -> otio.schema.Marker:
        """One red marker at the start of the shot's board clip holding every check warning about it
        (hosts keep one marker per frame, so they are not spread over several)."""
        codes = list(dict.fromkeys(w.code for w in warnings))
        return otio.schema.Marker(
            name=f"check: {', '.join(codes)}", marked_range=timing.time_range(0, 1, self.film.fps),
            color=palette.WARNING_COLOUR.otio, comment="\n".join(w.message for w in warnings),
            metadata={NAMESPACE: {"check": codes, "shot": shot.id, "resolve_color": palette.WARNING_COLOUR.resolve}})

    def expected_board(self, shot: Shot) -> str | None:
        """Where the shot's board will be (its declared start board, else boards/<shot>.png)."""
        board = shot.board("start")
        if board is not None:
            return os.path.abspath(self.film.path(board.path))
        if self.film.root is not None:
            return os.path.join(os.path.abspath(self.film.root), BOARDS_DIR, f"{shot.id}.png")
        return None

    def lay(self, track: otio.schema.Track, events: list, total: int) -> None:
        """Place ``(start, frames, make_clip)`` events on ``track`` in order, gaps between them, each cut
        short where the next starts and at the film's end (``total`` frames)."""
        events = sorted((e for e in events if e[0] < total and e[1] > 0), key=lambda e: e[0])
        cursor = 0
        for index, (start, frames, make) in enumerate(events):
            start = max(start, cursor)
            end = min(start + frames, total, events[index + 1][0] if index + 1 < len(events) else total)
            if end <= start:
                continue
            if start > cursor:
                track.append(otio.schema.Gap(source_range=self.span(start - cursor)))
            track.append(make(end - start))
            cursor = end
        if cursor < total and len(track):
            track.append(otio.schema.Gap(source_range=self.span(total - cursor)))
        elif not len(track) and total:
            track.append(otio.schema.Gap(source_range=self.span(total)))

    def voice_clip(self, shot: Shot, entry: dict) -> Callable[[int], otio.schema.Clip]:
        """A Dialogue clip of ``n`` frames playing a line's scratch voice from its first sample."""
        def make(n: int) -> otio.schema.Clip:
            path = os.path.abspath(self.film.path(VOICES_DIR) / entry["file"])
            ref = otio.schema.ExternalReference(target_url=path, available_range=self.span(entry["frames"]))
            ref.name = os.path.basename(path)
            block = {"shot": shot.id, "scene": shot.scene, "beat": shot.beat, "role": "dialogue",
                     "line": entry["line"], "character": entry.get("character", ""), "text": entry.get("text", ""),
                     "record_in": entry["record_in"], "samples": entry["samples"], "sample_rate": 48000}
            return otio.schema.Clip(name=f"{shot.id} line {entry['line']}", media_reference=ref,
                                    source_range=self.span(n), metadata={NAMESPACE: block})
        return make

    def file_clip(self, shot: Shot | None, relative: str, role: str, level: float) -> Callable[[int], otio.schema.Clip]:
        """A Music or Effects clip of ``n`` frames playing ``relative`` (a project path) from its start."""
        def make(n: int) -> otio.schema.Clip:
            path = os.path.abspath(self.film.path(relative))
            known = _sound_frames(self.film, relative) or 0
            ref = otio.schema.ExternalReference(target_url=path, available_range=self.span(max(n, known)))
            ref.name = os.path.basename(path)
            block: dict[str, Any] = {"role": role, "file": relative, "level_db": level}
            if shot is not None:
                block.update(shot=shot.id, scene=shot.scene, beat=shot.beat, sound=shot.sound)
            name = f"{shot.id} {os.path.basename(relative)}" if shot else os.path.basename(relative)
            return otio.schema.Clip(name=name, media_reference=ref, source_range=self.span(n),
                                    metadata={NAMESPACE: block})
        return make

    @staticmethod
    def audio_clip(shot: Shot, span: otio.opentime.TimeRange, role: str) -> otio.schema.Clip:
        name = f"{shot.id} {role}"
        ref = otio.schema.MissingReference(name=name, available_range=span,
                                           metadata={NAMESPACE: {"placeholder": role}})
        text = ([line.describe() for line in shot.dialogue] if role == "dialogue" else shot.sound)
        block = {"shot": shot.id, "scene": shot.scene, "beat": shot.beat, "role": role, role: text}
        return otio.schema.Clip(name=name, media_reference=ref, source_range=span, metadata={NAMESPACE: block})

    def shot(self, cut: ShotCut, span: otio.opentime.TimeRange) -> tuple[dict, otio.schema.Clip | None]:
        """The shot's metadata block, and its Takes clip (``None`` when no take is on screen)."""
        shot = cut.shot
        cam = shot.camera
        block: dict[str, Any] = {
            "shot": shot.id, "scene": shot.scene, "heading": self.headings.get(shot.scene, ""),
            "beat": shot.beat, "action": shot.action,
            "camera": {"size": cam.size, "angle": cam.angle, "movement": cam.movement, "lens": cam.lens},
            "sound": shot.sound,
            "dialogue": [{"character": d.character, "parenthetical": d.parenthetical, "line": d.text}
                         for d in shot.dialogue],
            "continuity": shot.continuity, "assets": list(shot.assets), "prompt": shot.prompt,
            "duration": shot.duration_text or f"{shot.duration}f", "frames": cut.length,
            "planned_frames": cut.planned, "line": shot.line, "takes": [], "take": None,
        }
        for text in cut.notes:
            self.note(shot, text)
        shot_takes = self.takes.get(shot.id) or []
        references: dict[str, otio.schema.ExternalReference] = {}
        active = ""
        stale = self.stale.get(shot.id) or {}
        for take in shot_takes:
            key = take.id if take.id not in references else take.path.name
            references[key] = self.take_reference(take)
            if take is cut.take:
                active = key
            block["takes"].append(self.take_entry(take, key))
            if take.id in stale:
                block["takes"][-1]["stale"] = list(stale[take.id])
        if cut.take is None or cut.covered == 0:
            return block, None
        block["take"] = active
        selection = cut.selection
        if selection is not None:
            block["trim_in"] = selection.trim_in
            block["trim_out"] = selection.trim_out
        block["notes"] = list(cut.notes)
        take_rate = cut.take.fps or self.film.fps
        source = otio.opentime.TimeRange(timing.rational_time(cut.source_in, take_rate),
                                         timing.rational_time(cut.covered, self.film.fps))
        clip = otio.schema.Clip(name=shot.id, media_reference=references[active], source_range=source,
                                metadata={NAMESPACE: block})
        clip.set_media_references(references, active)
        if cut.take.id in stale:
            self.stale_marker(clip, shot, cut.take.id, list(stale[cut.take.id]), source.start_time, take_rate)
        return block, clip

    @staticmethod
    def stale_marker(clip: otio.schema.Clip, shot: Shot, take: str, reasons: list[str],
                     start: otio.opentime.RationalTime, rate: Fraction) -> None:
        """Mark ``clip`` (playing a stale take) so the editor sees it: ``stale`` in its metadata, and one red
        marker (the check warnings' colour) on its first frame, in the take's time, with every reason."""
        clip.metadata[NAMESPACE]["stale"] = reasons
        clip.markers.append(otio.schema.Marker(
            name=f"stale: {take}", marked_range=otio.opentime.TimeRange(start, timing.rational_time(1, rate)),
            color=palette.WARNING_COLOUR.otio, comment="\n".join(reasons),
            metadata={NAMESPACE: {"stale": reasons, "shot": shot.id, "take": take,
                                  "resolve_color": palette.WARNING_COLOUR.resolve}}))

    def take_reference(self, take: Take) -> otio.schema.ExternalReference:
        available = None
        try:
            frames, rate = take_length(take)  # a sidecar without a probe: the file is probed now
        except MediaError:
            frames, rate = None, None  # cannot be read: check says so; the reel names the file all the same
        if frames is not None:
            available = timing.time_range(0, frames, rate or self.film.fps)
        ref = otio.schema.ExternalReference(target_url=os.path.abspath(take.path), available_range=available)
        ref.name = take.id
        return ref

    @staticmethod
    def take_entry(take: Take, key: str) -> dict:
        prov = take.provenance or {}
        return {
            "take": key, "path": os.path.abspath(take.path), "seed": _scalar(prov.get("seed")),
            "prompt": _scalar(prov.get("prompt")), "model": _scalar(prov.get("model")),
            "provider": _scalar(prov.get("provider")), "status": take.status,
            "fps": timing.fps_label(take.fps) if take.fps else None, "frames": take.frames,
        }

    def note(self, shot: Shot, text: str) -> None:
        self.notes.append(f"shot {shot.id}: {text}")

    def markers(self, first_shot_of_beat: Mapping[str, tuple[int, Shot]]) -> list[otio.schema.Marker]:
        """One marker per beat with shots, at its first shot's record position, coloured by beat."""
        film = self.film
        order = [b.id for b in film.beats] + [b for b in first_shot_of_beat if film.beat(b) is None]
        markers = []
        for index, beat_id in enumerate(order):
            if beat_id not in first_shot_of_beat:
                continue
            position, shot = first_shot_of_beat[beat_id]
            beat = film.beat(beat_id)
            color, resolve_color = BEAT_COLORS[index % len(BEAT_COLORS)]
            markers.append(otio.schema.Marker(
                name=beat.title if beat and beat.title else beat_id,
                marked_range=timing.time_range(position, 1, film.fps), color=color,
                comment=beat.summary if beat else "",
                metadata={NAMESPACE: {"beat": beat_id, "shot": shot.id, "resolve_color": resolve_color}}))
        return markers
