"""Load a project folder into a :class:`~shotreel.model.Film`, and write new project files.

``shotreel.yaml`` is read with PyYAML's safe loader (the C one when present), keeping the line of
every key so that each problem reads ``shotreel.yaml:LINE: shot ID: what is wrong``. Loading
collects every structural problem (wrong types, unknown keys, unreadable durations, unsupported
fps) and raises one :class:`~shotreel.errors.ProjectError` that carries them all; references
between things (a shot's beat, a missing board) are judged later by :mod:`shotreel.checks`.

The tools never rewrite an existing ``shotreel.yaml``: :func:`write_new_project` refuses to
overwrite one, and is used only when a project is created (``new``, ``import-cut``, ``import-script``).
"""

from __future__ import annotations

import contextlib
import difflib
import gc
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import yaml

from . import limits, timing
from .errors import Problem, ProjectError, TimingError
from .fsutil import atomic_write_text
from .model import (
    ASSET_KINDS,
    BOARD_ROLES,
    STORY_FIELDS,
    Asset,
    Beat,
    Board,
    Camera,
    CreditRole,
    Credits,
    DialogueLine,
    Film,
    Music,
    Scene,
    Sfx,
    Shot,
    Story,
    Titles,
)

PROJECT_FILE = "shotreel.yaml"

FILM_KEYS = ("title", "fps", "resolution", "start_timecode", "target_runtime", "style", "story", "beats",
             "assets", "scenes", "titles", "credits", "music")
BEAT_KEYS = ("id", "title", "summary")
ASSET_KEYS = ("id", "kind", "description", "references", "voice", "pitch", "rate")
SCENE_KEYS = ("id", "heading", "location", "shots")
SHOT_KEYS = ("id", "beat", "duration", "action", "camera", "sound", "dialogue", "continuity", "assets",
             "prompt", "boards", "sfx")
CAMERA_KEYS = ("size", "angle", "movement", "lens")
DIALOGUE_KEYS = ("character", "line", "parenthetical", "at")
MUSIC_KEYS = ("file", "start", "fade_in", "fade_out", "level")
SFX_KEYS = ("file", "offset", "level")
BOARD_KEYS = ("path", "role")
TITLES_KEYS = ("title", "subtitle", "duration")
CREDITS_KEYS = ("roles", "thanks", "duration")
CREDIT_KEYS = ("role", "names")


class _Map(dict):
    """A YAML mapping that remembers the line of itself and of each of its keys."""

    line: int = 0
    key_lines: dict

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class _List(list):
    """A YAML sequence that remembers the line of itself and of each item."""

    line: int = 0
    item_lines: list


_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_NULLS = frozenset(("", "~", "null", "Null", "NULL"))
_BOOLS = {v: True for v in ("true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON")}
_BOOLS.update({v: False for v in ("false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF")})
_INT = re.compile(r"^[-+]?(?:0|[1-9][0-9_]*)$")
_MAX_NUMBER_DIGITS = 100  # longer numbers stay text (Python refuses to read ints of 4,300 digits)
_FLOAT = re.compile(r"^[-+]?(?:[0-9][0-9_]*)?\.[0-9_]*(?:[eE][-+][0-9]+)?$|^[-+]?\.(?:inf|Inf|INF)$|^\.(?:nan|NaN|NAN)$")


class _DuplicateKey(Exception):
    def __init__(self, key: object, line: int):
        super().__init__(key)
        self.key, self.line = key, line


def _scalar(event: yaml.ScalarEvent) -> Any:
    """A plain scalar as null, boolean, decimal integer, float or text; quoted scalars stay text.

    Unlike YAML 1.1, a timecode such as ``10:00:00:00`` stays text (1.1 reads it as a base-60
    number) and so do dates; explicit tags are read as their text.
    """
    value = event.value
    if not event.implicit[0]:
        return value
    if value in _NULLS:
        return None
    boolean = _BOOLS.get(value)
    if boolean is not None:
        return boolean
    if value[0] in "0123456789+-." and len(value) <= _MAX_NUMBER_DIGITS:
        if _INT.match(value):
            return int(value.replace("_", ""))
        if _FLOAT.match(value):
            number = value.replace("_", "")
            if number.lstrip("+-").lower() in (".inf", ".nan"):  # YAML's spelling; Python's has no dot
                number = number.replace(".", "", 1)
            try:
                return float(number)
            except ValueError:  # what the pattern lets through and Python cannot read: ".", "-._"
                return value
    return value


def _build(loader: yaml.SafeLoader) -> Any:
    """Plain data from the parser's events, mappings and lists remembering their lines.

    Built from events rather than PyYAML's composed nodes: on a 5,000-shot project this is three
    times faster, and it is what lets ``shotreel check`` stay under a second.
    """
    scalar_event, alias_event = yaml.ScalarEvent, yaml.AliasEvent
    map_start, seq_start = yaml.MappingStartEvent, yaml.SequenceStartEvent
    map_end, seq_end = yaml.MappingEndEvent, yaml.SequenceEndEvent
    stack: list[Any] = []
    keys: list[Any] = []  # per open mapping: the key waiting for its value, with its line
    anchors: dict[str, Any] = {}
    root: Any = None
    get_event = loader.get_event
    while (event := get_event()) is not None:
        kind = type(event)
        if kind is scalar_event:
            value = _scalar(event)
            line = event.start_mark.line + 1
            if event.anchor:
                anchors[event.anchor] = value
        elif kind is map_start or kind is seq_start:
            container = _Map() if kind is map_start else _List()
            container.line = event.start_mark.line + 1
            if kind is map_start:
                container.key_lines = {}
            else:
                container.item_lines = []
            if event.anchor:
                anchors[event.anchor] = container
            stack.append(container)
            keys.append(None)
            continue
        elif kind is map_end or kind is seq_end:
            value = stack.pop()
            keys.pop()
            line = value.line
        elif kind is alias_event:
            if event.anchor not in anchors:
                raise yaml.MarkedYAMLError(problem=f"unknown alias *{event.anchor}", problem_mark=event.start_mark)
            value = anchors[event.anchor]
            line = event.start_mark.line + 1
        else:  # stream and document events
            continue
        if not stack:
            root = value
            continue
        top = stack[-1]
        if type(top) is _List:
            top.append(value)
            top.item_lines.append(line)
        elif keys[-1] is None:
            if isinstance(value, (dict, list)):
                raise _DuplicateKey(value, line)
            keys[-1] = (value, line)
        else:
            key, key_line = keys[-1]
            if key in top:
                raise _DuplicateKey(key, key_line)
            top[key] = value
            top.key_lines[key] = key_line
            keys[-1] = None
    return root


def parse_yaml(text: str, source: str) -> Any:
    """Parse YAML safely, keeping line numbers; raise :class:`ProjectError` naming the line."""
    loader = _BaseLoader(text)
    try:
        return _build(loader)
    except _DuplicateKey as exc:
        if isinstance(exc.key, (dict, list)):
            raise ProjectError("a key must be a name, not a mapping or list", file=source, line=exc.line) from None
        raise ProjectError(f"key {exc.key!r} is given twice", file=source, line=exc.line) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        what = (exc.problem or exc.context or "malformed YAML").strip()
        raise ProjectError(f"malformed YAML: {what}", file=source, line=line) from None
    except yaml.YAMLError as exc:
        raise ProjectError(f"malformed YAML: {str(exc).splitlines()[0]}", file=source) from None
    finally:
        loader.dispose()


@dataclass
class _Reader:
    """Turns the parsed YAML into model objects, collecting every problem with its line."""

    source: str
    problems: list[Problem] = field(default_factory=list)

    def problem(self, message: str, line: int | None, shot: str | None = None) -> None:
        self.problems.append(Problem(message, self.source, line, shot))

    # -- shapes -----------------------------------------------------------------------------------
    def mapping(self, value: Any, what: str, line: int, allowed: tuple[str, ...], shot: str | None = None
                ) -> _Map | None:
        if value is None:
            return None
        if not isinstance(value, dict):
            self.problem(f"{what} must be a mapping of {', '.join(allowed)}, not {_kind(value)}", line, shot)
            return None
        for key in value:
            if key not in allowed:
                guess = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
                hint = f"; did you mean '{guess[0]}'?" if guess else f"; {what} takes {', '.join(allowed)}"
                self.problem(f"unknown key '{key}' in {what}{hint}", value.line_of(key), shot)
        return value

    def items(self, value: Any, what: str, line: int) -> list[tuple[Any, int]]:
        if value is None:
            return []
        if not isinstance(value, list):
            self.problem(f"{what} must be a list, not {_kind(value)}", line)
            return []
        lines = getattr(value, "item_lines", [line] * len(value))
        return list(zip(value, lines))

    def bounded(self, text: str, what: str, line: int | None, shot: str | None = None) -> str:
        """``text``, or "" with a problem when it is longer than any text field may be."""
        if len(text) > limits.MAX_TEXT_CHARS:
            self.problem(f"{what} is {len(text):,} characters long; a text field may be at most "
                         f"{limits.MAX_TEXT_CHARS:,}", line, shot)
            return ""
        return text

    def text(self, owner: _Map, key: str, what: str, shot: str | None = None) -> str:
        value = owner.get(key)
        if value is None:
            return ""
        if isinstance(value, (bool, dict, list)):
            self.problem(f"{what} '{key}' must be text, not {_kind(value)}", owner.line_of(key), shot)
            return ""
        return self.bounded(str(value).strip(), f"{what} '{key}'", owner.line_of(key), shot)

    def text_list(self, owner: _Map, key: str, what: str, shot: str | None = None) -> list[str]:
        value = owner.get(key)
        if value is None:
            return []
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or any(isinstance(v, (dict, list)) or v is None for v in value):
            self.problem(f"{what} '{key}' must be a list of names, not {_kind(value)}", owner.line_of(key), shot)
            return []
        names = [self.bounded(str(v), f"a name in {what} '{key}'", owner.line_of(key), shot) for v in value]
        return [name for name in names if name]

    def ident(self, owner: _Map, what: str) -> str:
        value = owner.get("id")
        if value is None or isinstance(value, (bool, dict, list)) or not str(value).strip():
            self.problem(f"{what} has no 'id'", owner.line)
            return ""
        return self.bounded(str(value).strip(), f"the id of {what}", owner.line_of("id"))

    # -- film -------------------------------------------------------------------------------------
    def film(self, data: Any, root: Path | None) -> Film:
        if not isinstance(data, dict):
            self.problem(f"the project file must be a mapping of {', '.join(FILM_KEYS[:4])} …, "
                         f"not {_kind(data)}", getattr(data, "line", 1))
            raise ProjectError.from_problems(self.problems)
        self.mapping(data, "the film", data.line, FILM_KEYS)
        title = self.text(data, "title", "the film")
        if not title:
            self.problem("the film has no 'title'", data.line_of("title"))
        fps = self.fps(data)
        resolution = self.resolution(data)
        start_tc = self.text(data, "start_timecode", "the film") or "01:00:00:00"
        start_frame = 0
        try:
            start_frame = timing.parse_timecode(start_tc, fps)
            if int(start_tc.strip().split(":")[0]) >= limits.TIMECODE_HOURS:
                self.problem(f"start_timecode {start_tc!r} is past 24 hours; timecode wraps at "
                             f"{limits.TIMECODE_HOURS}:00:00:00 in every editing app (use 00 to 23 hours)",
                             data.line_of("start_timecode"))
        except TimingError as exc:
            self.problem(f"start_timecode: {exc.message}", data.line_of("start_timecode"))
        target = None
        if data.get("target_runtime") is not None:
            target = self.duration(data["target_runtime"], fps, data.line_of("target_runtime"), None,
                                   "target_runtime")
        film = Film(title=title, fps=fps, resolution=resolution, start_timecode=start_tc,
                    start_frame=start_frame, target_runtime=target, style=self.style(data),
                    story=self.story(data), root=root, source=self.source, music=self.music(data, fps))
        film.titles, film.credits = self.titles(data, fps), self.credits(data, fps)
        for item, line in self.items(data.get("beats"), "beats", data.line_of("beats")):
            if m := self.mapping(item, "a beat", line, BEAT_KEYS):
                film.beats.append(Beat(self.ident(m, "a beat"), self.text(m, "title", "beat"),
                                       self.text(m, "summary", "beat"), m.line))
            elif item is None:
                self.problem("a beat is empty", line)
        for item, line in self.items(data.get("assets"), "assets", data.line_of("assets")):
            if m := self.mapping(item, "an asset", line, ASSET_KEYS):
                film.assets.append(self.asset(m))
            elif item is None:
                self.problem("an asset is empty", line)
        for item, line in self.items(data.get("scenes"), "scenes", data.line_of("scenes")):
            if m := self.mapping(item, "a scene", line, SCENE_KEYS):
                film.scenes.append(self.scene(m, fps))
            elif item is None:
                self.problem("a scene is empty", line)
        count = sum(len(scene.shots) for scene in film.scenes)
        if count > limits.MAX_SHOTS:
            self.problem(f"the film has {count:,} shots; a project may hold at most {limits.MAX_SHOTS:,} "
                         "(split it into several films)", data.line_of("scenes"))
        return film

    def fps(self, data: _Map) -> Fraction:
        if data.get("fps") is None:
            self.problem(f"the film has no 'fps'; use one of {', '.join(timing.RATES)}", data.line)
            return Fraction(24)
        try:
            return timing.parse_fps(data["fps"])
        except TimingError as exc:
            self.problem(exc.message, data.line_of("fps"))
            return Fraction(24)

    def resolution(self, data: _Map) -> tuple[int, int]:
        value = data.get("resolution")
        if value is None:
            return (1920, 1080)
        parts: list[Any]
        if isinstance(value, str):
            parts = value.lower().replace("×", "x").split("x")
        elif isinstance(value, list):
            parts = list(value)
        else:
            parts = []
        try:
            width, height = (int(str(p).strip()) for p in parts)
            if width <= 0 or height <= 0:
                raise ValueError
        except ValueError:
            self.problem(f"resolution {value!r} is not WIDTHxHEIGHT (e.g. 1920x1080)", data.line_of("resolution"))
            return (1920, 1080)
        why = None
        if width % 2 or height % 2:
            why = "must be even in both sides (H.264 in 4:2:0 cannot encode odd sizes)"
        elif min(width, height) < limits.MIN_SIDE:
            why = f"is too small (at least {limits.MIN_SIDE} pixels a side)"
        elif max(width, height) > limits.MAX_SIDE or width * height > limits.MAX_PIXELS:
            why = (f"is too large to encode (at most {limits.MAX_SIDE} pixels a side and 8192x4320 "
                   "pixels in all)")
        if why:
            self.problem(f"resolution {width}x{height} {why}", data.line_of("resolution"))
            return (1920, 1080)
        return (width, height)

    def style(self, data: _Map) -> str:
        value = data.get("style")
        if isinstance(value, dict):
            return self.bounded("; ".join(f"{k}: {v}" for k, v in value.items() if v not in (None, "")),
                                "the film 'style'", data.line_of("style"))
        return self.text(data, "style", "the film")

    def titles(self, data: _Map, fps: Fraction) -> Titles | None:
        """The optional ``titles:`` section: the title card's title, subtitle and length."""
        m = self.mapping(data.get("titles"), "titles", data.line_of("titles"), TITLES_KEYS)
        if m is None:
            return None
        return Titles(self.text(m, "title", "titles"), self.text(m, "subtitle", "titles"),
                      self.frames_of(m, fps, "titles"), m.line)

    def credits(self, data: _Map, fps: Fraction) -> Credits | None:
        """The optional ``credits:`` section: roles with their names, thanks, the credits' length."""
        m = self.mapping(data.get("credits"), "credits", data.line_of("credits"), CREDITS_KEYS)
        if m is None:
            return None
        credits = Credits(thanks=self.text(m, "thanks", "credits"), duration=self.frames_of(m, fps, "credits"),
                          line=m.line)
        for item, line in self.items(m.get("roles"), "credits 'roles'", m.line_of("roles")):
            if r := self.mapping(item, "a credit", line, CREDIT_KEYS):
                role = self.text(r, "role", "a credit")
                names = self.text_list(r, "names", "a credit")
                if not role or not names:
                    self.problem("a credit needs a 'role' and its 'names' (e.g. {role: Music, names: [Ana]})",
                                 r.line)
                    continue
                credits.roles.append(CreditRole(role, names))
            elif item is None:
                self.problem("a credit is empty", line)
        return credits

    def frames_of(self, m: _Map, fps: Fraction, what: str) -> int:
        if m.get("duration") is None:
            return 0
        frames = self.duration(m["duration"], fps, m.line_of("duration"), None, f"{what} duration")
        if frames > fps * 600:
            self.problem(f"{what} duration is {frames} frames; a card runs at most 10 minutes",
                         m.line_of("duration"))
            return 0
        return frames

    def number(self, owner: _Map, key: str, what: str, low: float, high: float, shot: str | None = None
               ) -> float | None:
        """A number between ``low`` and ``high`` (``None`` when absent or wrong, with a problem)."""
        value = owner.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
            self.problem(f"{what} '{key}' must be a number from {low:g} to {high:g}, not {_kind(value)}",
                         owner.line_of(key), shot)
            return None
        return value

    def frames_in(self, owner: _Map, key: str, fps: Fraction, shot: str | None = None) -> int:
        """A time (``2s``, ``12f``, ``00:00:01:00``) as frames; 0 when absent."""
        value = owner.get(key)
        if value is None or re.fullmatch(r"0+(?:\.0*)?[sf]?", str(value).strip()):
            return 0
        return self.duration(value, fps, owner.line_of(key), shot, key)

    def level(self, owner: _Map, what: str, shot: str | None = None) -> float:
        """A level in dB, ``-6`` or ``-6dB``; 0 when absent."""
        value = owner.get("level")
        if isinstance(value, str) and value.strip().lower().endswith("db"):
            try:
                value = float(value.strip()[:-2])
            except ValueError:
                pass
        if value is None:
            return 0.0
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not -60 <= value <= 24:
            self.problem(f"{what} 'level' must be a level in dB from -60 to 24 (e.g. -12 or -12dB), "
                         f"not {_kind(value)}", owner.line_of("level"), shot)
            return 0.0
        return float(value)

    def music(self, data: _Map, fps: Fraction) -> Music | None:
        value = data.get("music")
        if isinstance(value, str):
            path = self.bounded(value.strip(), "the music file", data.line_of("music"))
            return Music(path, line=data.line_of("music")) if path else None
        m = self.mapping(value, "music", data.line_of("music"), MUSIC_KEYS)
        if m is None:
            return None
        path = self.text(m, "file", "music")
        if not path:
            self.problem("music has no 'file'", m.line)
            return None
        return Music(path, self.frames_in(m, "start", fps), self.frames_in(m, "fade_in", fps),
                     self.frames_in(m, "fade_out", fps), self.level(m, "music"), m.line)

    def sfx(self, m: _Map, fps: Fraction, shot: str | None) -> list[Sfx]:
        value = m.get("sfx")
        if isinstance(value, str):
            value = [value]
        effects: list[Sfx] = []
        for item, line in self.items(value, "sfx", m.line_of("sfx")):
            if isinstance(item, str) and item.strip():
                if path := self.bounded(item.strip(), "an sfx file", line, shot):
                    effects.append(Sfx(path, line=line))
            elif e := self.mapping(item, "an sfx", line, SFX_KEYS, shot):
                path = self.text(e, "file", "sfx", shot)
                if not path:
                    self.problem("an sfx has no 'file'", e.line, shot)
                    continue
                effects.append(Sfx(path, self.frames_in(e, "offset", fps, shot), self.level(e, "sfx", shot),
                                   e.line))
            else:
                self.problem(f"an sfx must be a file or a mapping of file, offset and level, not {_kind(item)}",
                             line, shot)
        return effects

    def story(self, data: _Map) -> Story:
        m = self.mapping(data.get("story"), "the story", data.line_of("story"), STORY_FIELDS)
        if m is None:
            return Story()
        return Story(**{name: self.text(m, name, "story") for name in STORY_FIELDS})

    def asset(self, m: _Map) -> Asset:
        kind = self.text(m, "kind", "asset")
        asset_id = self.ident(m, "an asset")
        if kind not in ASSET_KINDS:
            self.problem(f"asset {asset_id}: kind {kind or 'missing'!r} must be one of {', '.join(ASSET_KINDS)}",
                         m.line_of("kind"))
        pitch = self.number(m, "pitch", f"asset {asset_id}", 0, 100)
        rate = self.number(m, "rate", f"asset {asset_id}", 80, 450)
        return Asset(asset_id, kind, self.text(m, "description", "asset"),
                     self.text_list(m, "references", "asset"), m.line, voice=self.text(m, "voice", "asset"),
                     pitch=None if pitch is None else int(pitch), rate=None if rate is None else int(rate))

    def scene(self, m: _Map, fps: Fraction) -> Scene:
        scene = Scene(self.ident(m, "a scene"), self.text(m, "heading", "scene"),
                      self.text(m, "location", "scene"), line=m.line)
        for item, line in self.items(m.get("shots"), "shots", m.line_of("shots")):
            shot_id = str(item.get("id")) if isinstance(item, dict) and item.get("id") is not None else None
            if s := self.mapping(item, "a shot", line, SHOT_KEYS, shot_id):
                scene.shots.append(self.shot(s, fps, scene.id))
            elif item is None:
                self.problem(f"scene {scene.id}: a shot is empty", line)
        return scene

    def shot(self, m: _Map, fps: Fraction, scene_id: str) -> Shot:
        shot_id = self.ident(m, "a shot")
        sid = shot_id or None
        duration_text = ""
        duration = 0
        if m.get("duration") is None:
            self.problem("has no duration (use 4s, 96f or 00:00:04:00)", m.line, sid)
        else:
            duration_text = str(m["duration"])
            duration = self.duration(m["duration"], fps, m.line_of("duration"), sid, "duration")
        camera = Camera()
        if isinstance(m.get("camera"), str):  # shorthand: the whole camera note as one line
            camera = Camera(size=self.bounded(m["camera"].strip(), "shot 'camera'", m.line_of("camera"), sid))
        elif cm := self.mapping(m.get("camera"), "camera", m.line_of("camera"), CAMERA_KEYS, sid):
            camera = Camera(**{k: self.text(cm, k, "camera", sid) for k in CAMERA_KEYS})
        return Shot(
            id=shot_id, beat=self.text(m, "beat", "shot", sid), duration=duration,
            action=self.text(m, "action", "shot", sid), camera=camera,
            sound=self.text(m, "sound", "shot", sid), dialogue=self.dialogue(m, sid, fps),
            continuity=self.text(m, "continuity", "shot", sid),
            assets=self.text_list(m, "assets", "shot", sid), prompt=self.text(m, "prompt", "shot", sid),
            boards=self.boards(m, sid), duration_text=duration_text, scene=scene_id, line=m.line,
            sfx=self.sfx(m, fps, sid))

    def duration(self, value: Any, fps: Fraction, line: int, shot: str | None, key: str) -> int:
        try:
            frames = timing.parse_duration(value, fps)
        except TimingError as exc:
            self.problem(f"{key}: {exc.message}" if key != "duration" else exc.message, line, shot)
            return 0
        if frames > limits.MAX_SHOT_SECONDS * fps:
            self.problem(f"{key} {str(value)[:40]!r} is longer than {limits.MAX_SHOT_SECONDS // 3600} hours, "
                         "the longest a shot (or a film's target) may last", line, shot)
            return 0
        return frames

    def dialogue(self, m: _Map, shot: str | None, fps: Fraction = Fraction(24)) -> list[DialogueLine]:
        value = m.get("dialogue")
        if value is None or value == "":
            return []
        if isinstance(value, str):
            text = self.bounded(value, "dialogue", m.line_of("dialogue"), shot)
            return [_dialogue_from_text(text)] if text else []
        lines: list[DialogueLine] = []
        for item, line in self.items(value, "dialogue", m.line_of("dialogue")):
            if isinstance(item, str):
                if text := self.bounded(item, "a dialogue line", line, shot):
                    lines.append(_dialogue_from_text(text))
            elif d := self.mapping(item, "a dialogue line", line, DIALOGUE_KEYS, shot):
                text = self.text(d, "line", "dialogue", shot)
                if not text:
                    self.problem("a dialogue line has no 'line'", d.line, shot)
                at = self.frames_in(d, "at", fps, shot) if d.get("at") is not None else None
                lines.append(DialogueLine(text, self.text(d, "character", "dialogue", shot),
                                          self.text(d, "parenthetical", "dialogue", shot), at))
            else:
                self.problem(f"a dialogue line must be text or a mapping, not {_kind(item)}", line, shot)
        return lines

    def boards(self, m: _Map, shot: str | None) -> list[Board]:
        value = m.get("boards")
        if isinstance(value, str):
            path = self.bounded(value, "a board path", m.line_of("boards"), shot)
            return [Board(path)] if path else []
        boards: list[Board] = []
        for item, line in self.items(value, "boards", m.line_of("boards")):
            if isinstance(item, str) and item.strip():
                if path := self.bounded(item.strip(), "a board path", line, shot):
                    boards.append(Board(path))
            elif b := self.mapping(item, "a board", line, BOARD_KEYS, shot):
                path = self.text(b, "path", "board", shot)
                role = self.text(b, "role", "board", shot) or "start"
                if not path:
                    self.problem("a board has no 'path'", b.line, shot)
                if role not in BOARD_ROLES:
                    self.problem(f"board role {role!r} must be one of {', '.join(BOARD_ROLES)}",
                                 b.line_of("role"), shot)
                boards.append(Board(path, role))
            else:
                self.problem(f"a board must be a path or a mapping of path and role, not {_kind(item)}",
                             line, shot)
        return boards


def _dialogue_from_text(text: str) -> DialogueLine:
    """``"ASTRA: Hello?"`` → a line spoken by ASTRA; other text stays as it is."""
    head, sep, rest = text.partition(":")
    if sep and head.strip() and head.strip() == head.strip().upper() and len(head) <= 40 and rest.strip():
        return DialogueLine(rest.strip(), head.strip())
    return DialogueLine(text.strip())


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    return f"the text {str(value)!r}"


def project_file(path: str | Path) -> Path:
    """The ``shotreel.yaml`` of a project folder (or the file itself when given)."""
    p = Path(path)
    return p if p.suffix in (".yaml", ".yml") else p / PROJECT_FILE


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many small acyclic objects.

    Loading a 5,000-shot project allocates a few hundred thousand dicts, lists and dataclasses, none
    of them in cycles; the collector's passes over them cost about a fifth of the load.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def loads_film(text: str, source: str = PROJECT_FILE, root: Path | None = None) -> Film:
    """A film from the text of a project file. Raises :class:`ProjectError` with every problem found."""
    if len(text) > limits.MAX_PROJECT_BYTES:
        raise ProjectError(_too_large(len(text)), file=source)
    reader = _Reader(source)
    with _gc_paused():
        data = _parsed(text, source)
        if data is None:
            raise ProjectError("the project file is empty", file=source)
        film = reader.film(data, root)
    if reader.problems:
        raise ProjectError.from_problems(reader.problems)
    return film


_PARSED: dict[str, tuple[str, Any]] = {}
_PARSED_MAX = 4


def _parsed(text: str, source: str) -> Any:
    """:func:`parse_yaml` of ``text``, remembered for the last few project files: a host (Blender) reads the
    same project again for every action, and the text compared is far cheaper than its parse. The parsed
    data is only ever read (the reader builds new model objects from it), so one copy serves every load."""
    known = _PARSED.get(source)
    if known is not None and known[0] == text:
        return known[1]
    data = parse_yaml(text, source)
    if len(_PARSED) >= _PARSED_MAX:
        _PARSED.clear()
    _PARSED[source] = (text, data)
    return data


def _too_large(size: int) -> str:
    return (f"is {limits.megabytes(size)}; a project file may be at most "
            f"{limits.megabytes(limits.MAX_PROJECT_BYTES)}: split the film into several projects")


def load_project(path: str | Path) -> Film:
    """Load the project folder at ``path`` (or its ``shotreel.yaml``).

    Raises :class:`ProjectError` when the folder is not a project or the file has problems; the
    error lists every problem with its line.
    """
    file = project_file(path)
    source = str(file)
    if not file.parent.is_dir():
        raise ProjectError(f"no such project folder: {file.parent}")
    if not file.is_file():
        raise ProjectError(f"{file.parent} is not a shotreel project (no {PROJECT_FILE}); "
                           f"start one with `shotreel new {file.parent}`")
    try:
        if file.stat().st_size > limits.MAX_PROJECT_BYTES:
            raise ProjectError(_too_large(file.stat().st_size), file=source)
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ProjectError(f"not UTF-8 text (byte {exc.start})", file=source) from None
    except OSError as exc:
        raise ProjectError(f"cannot be read: {exc.strerror}", file=source) from None
    return loads_film(text, source, file.parent.resolve())


# -- writing new projects ------------------------------------------------------------------------

def film_to_data(film: Film) -> dict:
    """The film as plain YAML-ready data, keys in the documented order, empty fields left out."""
    def compact(d: dict) -> dict:
        return {k: v for k, v in d.items() if v not in ("", None, [], {})}

    data: dict[str, Any] = {
        "title": film.title,
        "fps": _fps_value(film.fps),
        "resolution": f"{film.resolution[0]}x{film.resolution[1]}",
        "start_timecode": film.start_timecode,
    }
    if film.target_runtime:
        data["target_runtime"] = _duration_text(film.target_runtime, film.fps)
    data["style"] = film.style
    data["story"] = compact({name: getattr(film.story, name) for name in STORY_FIELDS})
    data["beats"] = [compact({"id": b.id, "title": b.title, "summary": b.summary}) for b in film.beats]
    data["assets"] = [compact({"id": a.id, "kind": a.kind, "description": a.description,
                               "references": list(a.references)}) for a in film.assets]
    scenes = []
    for scene in film.scenes:
        shots = []
        for s in scene.shots:
            shots.append(compact({
                "id": s.id, "beat": s.beat, "duration": s.duration_text or _duration_text(s.duration, film.fps),
                "action": s.action,
                "camera": compact({k: getattr(s.camera, k) for k in CAMERA_KEYS}),
                "sound": s.sound,
                "dialogue": [compact({"character": d.character, "parenthetical": d.parenthetical, "line": d.text})
                             for d in s.dialogue],
                "continuity": s.continuity, "assets": list(s.assets), "prompt": s.prompt,
                "boards": [b.path if b.role == "start" else {"path": b.path, "role": b.role} for b in s.boards],
            }))
        scenes.append(compact({"id": scene.id, "heading": scene.heading, "location": scene.location,
                               "shots": shots}))
    data["scenes"] = scenes
    return compact(data)


def _fps_value(rate: Fraction) -> int | float:
    label = timing.fps_label(rate)
    return int(label) if label.isdigit() else float(label)


def _duration_text(frames: int, rate: Fraction) -> str:
    secs = timing.seconds(frames, rate)
    if (secs * 2).denominator == 1 and timing.parse_duration(f"{float(secs):g}s", rate) == frames:
        return f"{float(secs):g}s"
    return f"{frames}f"


class _Dumper(yaml.SafeDumper):
    def increase_indent(self, flow: bool = False, indentless: bool = False):  # lists indented under keys
        return super().increase_indent(flow, False)


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str_representer)


def dump_film(film: Film, header: str = "") -> str:
    """The text of a project file for ``film``; ``header`` becomes a leading comment."""
    body = yaml.dump(film_to_data(film), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    lines = "".join(f"# {line}\n" if line else "#\n" for line in header.splitlines()) if header else ""
    return lines + body


def write_new_project(folder: str | Path, text: str) -> Path:
    """Create ``folder/shotreel.yaml`` with ``text``; refuse to overwrite an existing project."""
    file = project_file(folder)
    if file.exists():
        raise ProjectError("a project is already here; shotreel never overwrites a project file — "
                           "choose a new folder", file=str(file))
    loads_film(text, str(file), file.parent)  # never write a project that would not load
    return atomic_write_text(file, text)
