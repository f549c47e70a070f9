"""Draft a film (beats, assets, scenes, shots, dialogue) from a parsed screenplay.

The translation, element by element:

- sections at the beat level (the deepest level the script uses, or ``beat_level``) become beats,
  titled by the section; the synopses that follow a beat, or a scene inside it, become its summary.
  A script without sections gets one beat per scene (titled by the heading);
- scene headings become scenes (``sc03``, or ``sc12a`` from a ``#12A#`` scene number), each with a
  location asset per distinct place (the heading without INT./EXT. and its time of day);
- each action paragraph drafts a shot (``sc03_sh010``, ``sc03_sh020`` … numbered in tens so that
  shots inserted later fit between), and so does a ``[[shot: CU on the leaf]]`` note, whose text
  becomes the camera note and whose action is the paragraph that follows it (else the note itself);
  centred text (``>THE END<``) drafts a title card;
- dialogue belongs to the shot it is spoken in (the last one drafted; dialogue before a scene's
  first action goes to its first shot), as ``DialogueLine(text, "MARA (V.O.)", "(whispering)")``;
- ``[[sound: …]]`` notes and lyrics become the shot's sound, every other note its continuity
  (``[[cont: …]]`` or free text), and transitions other than a cut are noted there too;
- speaking characters become character assets; a shot lists the characters who speak in it or are
  named in its action, and its scene's location.

Durations follow one rule, in exact seconds rounded to whole frames at the film's rate: action at
3 words a second (at least 2 s; a title card 3 s), plus dialogue at 2.5 words a second with 0.5 s
for each parenthetical (the two sides of dual dialogue overlap: the longer counts), plus 1 s for a
transition other than a cut.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from .. import timing
from ..errors import Problem
from ..model import Asset, Beat, Camera, DialogueLine, Film, Scene, Shot
from .script import (
    Action,
    Heading,
    Lyric,
    Note,
    PageBreak,
    Script,
    ScriptError,
    Section,
    Speech,
    Synopsis,
    Transition,
)

ACTION_WORDS_PER_SECOND = Fraction(3)
DIALOGUE_WORDS_PER_SECOND = Fraction(5, 2)
PARENTHETICAL_SECONDS = Fraction(1, 2)
MIN_SHOT_SECONDS = Fraction(2)
CARD_SECONDS = Fraction(3)
TRANSITION_SECONDS = Fraction(1)
SHOT_STEP = 10

_NOTE_PREFIX = re.compile(r"^(shot|cont|continuity|sound|sfx|music)\s*:\s*(.*)$", re.IGNORECASE | re.DOTALL)
_PLACE_PREFIX = re.compile(r"^(?:INT\.?/EXT|EXT\.?/INT|INT|EXT|EST|I/E|E/I)[.\s]+", re.IGNORECASE)
_TIMES = re.compile(r"\b(DAY|NIGHT|MORNING|EVENING|AFTERNOON|DUSK|DAWN|SUNSET|SUNRISE|NOON|MIDNIGHT|LATER|"
                    r"CONTINUOUS|SAME|MOMENTS?|MAGIC HOUR|FLASHBACK|PRESENT|CYCLE|TWILIGHT)\b", re.IGNORECASE)
_WORD = re.compile(r"[\w']+")


@dataclass
class _ShotDraft:
    line: int
    beat: Beat
    action: str = ""
    camera: str = ""
    card: bool = False
    open_note: bool = False  # drafted from a [[shot:]] note, still waiting for its action paragraph
    speeches: list[list[Speech]] = field(default_factory=list)
    continuity: list[str] = field(default_factory=list)
    sound: list[str] = field(default_factory=list)
    transitions: int = 0


@dataclass
class _SceneDraft:
    heading: Heading
    location: str
    beat: Beat
    shots: list[_ShotDraft] = field(default_factory=list)
    pending: _ShotDraft | None = None  # dialogue and notes met before the scene's first shot


@dataclass
class Draft:
    """A film drafted from a script, and what the merge needs to recognise its parts later.

    ``scene_numbers`` / ``scene_lines`` and ``shot_keys`` / ``shot_lines`` are keyed by the drafted
    ids; a shot's key is its script text (action and dialogue) used to match it in a revision;
    ``asset_names`` says what each asset stands for (``character:MARA``, ``location:VESNA - BAY``).
    """

    film: Film
    script: Script
    scene_numbers: dict[str, str] = field(default_factory=dict)
    scene_lines: dict[str, int] = field(default_factory=dict)
    shot_keys: dict[str, str] = field(default_factory=dict)
    shot_lines: dict[str, int] = field(default_factory=dict)
    asset_names: dict[str, str] = field(default_factory=dict)
    notices: list[Problem] = field(default_factory=list)


def slug(text: str, fallback: str = "item", limit: int = 40) -> str:
    """A readable id from any text: ``"ÉLODIE (V.O.)"`` → ``elodie_v_o``."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    value = re.sub(r"[^a-z0-9]+", "_", ascii_text.lower()).strip("_")[:limit].strip("_")
    return value or fallback


def location_of(heading: str) -> str:
    """The place a heading names: ``INT. VESNA - CORRIDOR - NIGHT`` → ``VESNA - CORRIDOR``."""
    place = _PLACE_PREFIX.sub("", heading.strip()).strip()
    parts = [p.strip() for p in re.split(r"\s+[-–—]+\s+", place) if p.strip()]
    while len(parts) > 1 and _TIMES.search(parts[-1]):
        parts.pop()
    return " - ".join(parts) if parts else place or heading.strip()


def words(text: str) -> int:
    """How many words ``text`` has (for the duration rule)."""
    return len(_WORD.findall(text))


def shot_seconds(shot: _ShotDraft) -> Fraction:
    """The duration rule (see the module docstring), in exact seconds."""
    seconds = CARD_SECONDS if shot.card else max(MIN_SHOT_SECONDS, Fraction(words(shot.action))
                                                 / ACTION_WORDS_PER_SECOND)
    for group in shot.speeches:
        seconds += max(_speech_seconds(s) for s in group)
    return seconds + shot.transitions * TRANSITION_SECONDS


def _speech_seconds(speech: Speech) -> Fraction:
    spoken = sum(words(p.text) for p in speech.parts)
    pauses = sum(1 for p in speech.parts if p.parenthetical)
    return Fraction(spoken) / DIALOGUE_WORDS_PER_SECOND + pauses * PARENTHETICAL_SECONDS


def to_frames(seconds: Fraction, fps: Fraction) -> int:
    """Exact seconds as whole frames at ``fps`` (half a frame rounds up), at least one frame."""
    value = seconds * fps
    return max(1, int(value + Fraction(1, 2)))


class _Drafter:
    def __init__(self, script: Script, beat_level: int | None):
        self.script = script
        self.problems: list[Problem] = []
        self.notices: list[Problem] = list(script.notices)
        levels = sorted({e.level for e in script.elements if isinstance(e, Section)})
        if beat_level is not None and beat_level not in levels:
            raise ScriptError(f"--beat-level {beat_level}: the script has no level-{beat_level} sections "
                              f"({'it has levels ' + ', '.join(map(str, levels)) if levels else 'it has none'})",
                              file=script.source)
        self.level = beat_level or (levels[-1] if levels else None)
        self.beats: list[Beat] = []
        self.beat: Beat | None = None
        self.synopsis_target: Beat | None = None
        self.scenes: list[_SceneDraft] = []
        self.scene: _SceneDraft | None = None
        self.shot: _ShotDraft | None = None
        self.lead: list[str] = []  # transitions before the first scene (FADE IN:)

    def notice(self, message: str, line: int) -> None:
        self.notices.append(Problem(message, self.script.source, line))

    def new_beat(self, title: str) -> Beat:
        beat = Beat(id="", title=title)
        self.beats.append(beat)
        return beat

    def current_beat(self) -> Beat:
        if self.beat is None:
            self.beat = self.new_beat("Opening")
        return self.beat

    def run(self) -> None:
        for element in self.script.elements:
            if isinstance(element, Section):
                self.section(element)
            elif isinstance(element, Synopsis):
                if self.synopsis_target is None:
                    self.notice("this synopsis belongs to no beat and is not drafted", element.line)
                else:
                    beat = self.synopsis_target
                    beat.summary = f"{beat.summary} {element.text}".strip()
            elif isinstance(element, Heading):
                self.heading(element)
            elif isinstance(element, PageBreak):
                continue
            elif self.scene is None:
                if isinstance(element, Transition):
                    self.lead.append(element.text)
                elif not isinstance(element, Note) or _NOTE_PREFIX.match(element.text):
                    self.notice(f"{type(element).__name__.lower()} before the first scene heading is not drafted",
                                element.line)
            elif isinstance(element, Action):
                self.action(element)
            elif isinstance(element, Speech):
                self.speech(element)
            elif isinstance(element, Transition):
                if self.shot is not None:
                    self.shot.transitions += _counts(element.text)
                    if _counts(element.text):
                        self.shot.continuity.append(f"Transition out: {element.text}")
                else:
                    self.target().transitions += _counts(element.text)
            elif isinstance(element, Note):
                self.note(element)
            elif isinstance(element, Lyric):
                self.target().sound.append("Sung: " + " / ".join(element.text.splitlines()))
        self.close_scene()

    def speech(self, speech: Speech) -> None:
        """Dialogue joins the current shot; the second side of dual dialogue joins the first."""
        groups = self.target().speeches
        if speech.dual and groups and len(groups[-1]) == 1 and groups[-1][0].dual:
            groups[-1].append(speech)
        else:
            groups.append([speech])

    def target(self) -> _ShotDraft:
        """The shot that dialogue and notes attach to now (or the scene's pending bag)."""
        assert self.scene is not None
        if self.shot is not None:
            return self.shot
        if self.scene.pending is None:
            self.scene.pending = _ShotDraft(self.scene.heading.line, self.scene.beat)
        return self.scene.pending

    def section(self, section: Section) -> None:
        if self.level is not None and section.level == self.level:
            self.beat = self.new_beat(section.text)
            self.synopsis_target = self.beat
        else:
            self.synopsis_target = None

    def heading(self, heading: Heading) -> None:
        self.close_scene()
        if self.level is None:
            self.beat = self.new_beat(heading.text)
        beat = self.current_beat()
        self.synopsis_target = beat
        self.scene = _SceneDraft(heading, location_of(heading.text), beat)
        self.scenes.append(self.scene)
        self.shot = None

    def new_shot(self, line: int) -> _ShotDraft:
        assert self.scene is not None
        shot = _ShotDraft(line, self.current_beat())
        pending = self.scene.pending
        if not self.scene.shots and pending is not None:
            shot.speeches, shot.continuity, shot.sound = pending.speeches, pending.continuity, pending.sound
            shot.transitions = pending.transitions
            self.scene.pending = None
        if len(self.scenes) == 1 and not self.scene.shots and self.lead:
            shot.transitions += sum(_counts(text) for text in self.lead)
            shot.continuity[:0] = [f"Transition in: {text}" for text in self.lead if _counts(text)]
        self.scene.shots.append(shot)
        self.shot = shot
        return shot

    def action(self, action: Action) -> None:
        text = " ".join(action.text.split())
        if self.shot is not None and self.shot.open_note and not self.shot.speeches:
            self.shot.action, self.shot.open_note = text, False
            return
        shot = self.new_shot(action.line)
        shot.action, shot.card = (f"Title card: {text}", True) if action.centered else (text, False)

    def note(self, note: Note) -> None:
        match = _NOTE_PREFIX.match(note.text)
        kind, text = (match.group(1).lower(), match.group(2).strip()) if match else ("", note.text)
        if kind == "shot":
            shot = self.new_shot(note.line)
            shot.camera = shot.action = text
            shot.open_note = True
        elif kind in ("sound", "sfx", "music"):
            self.target().sound.append(text)
        elif text:
            self.target().continuity.append(text)

    def close_scene(self) -> None:
        scene = self.scene
        if scene is not None and not scene.shots:
            self.problems.append(Problem(
                f"scene '{scene.heading.text}' has no action: write what we see (an action line) or a "
                "[[shot: …]] note under its heading", self.script.source, scene.heading.line))
        self.scene = None


def _counts(transition: str) -> int:
    """1 for a transition that takes screen time (dissolve, fade …), 0 for a plain cut."""
    text = transition.upper().rstrip(":. ")
    return 0 if text in ("CUT TO", "CUT", "SMASH CUT TO", "MATCH CUT TO", "JUMP CUT TO") else 1


def draft_film(script: Script, fps: Fraction = Fraction(24), target: int | None = None,
               beat_level: int | None = None, title: str | None = None) -> Draft:
    """Draft a :class:`~shotreel.model.Film` from ``script`` at ``fps`` (``target`` in frames).

    Raises :class:`ScriptError` listing every problem with its line: no scene heading at all (not
    a screenplay), a scene without action, a scene number used twice.
    """
    drafter = _Drafter(script, beat_level)
    if not script.headings():
        raise ScriptError(_not_a_screenplay(script), file=script.source, line=1)
    drafter.run()
    problems = drafter.problems
    scene_ids = _scene_ids(drafter.scenes, script.source, problems)
    if problems:
        raise ScriptError.from_problems(sorted(problems, key=lambda p: p.line or 0))

    _name_beats(drafter.beats, scene_ids, drafter.scenes, by_scene=drafter.level is None)
    film = Film(title=title or script.title or _title_from(script.source), fps=fps, target_runtime=target,
                start_frame=timing.parse_timecode("01:00:00:00", fps), beats=drafter.beats)
    draft = Draft(film=film, script=script, notices=drafter.notices)
    characters = _characters(script, draft)
    names = _name_pattern(characters)
    locations: dict[str, str] = {}
    used_ids = {a.id for a in film.assets}
    for scene_draft, scene_id in zip(drafter.scenes, scene_ids):
        place = scene_draft.location
        if place.upper() not in locations:
            asset_id = _unique(slug(place, "location"), used_ids)
            film.assets.append(Asset(asset_id, "location", place))
            draft.asset_names[asset_id] = f"location:{place.upper()}"
            locations[place.upper()] = asset_id
        scene = Scene(scene_id, scene_draft.heading.text, locations[place.upper()], line=scene_draft.heading.line)
        draft.scene_numbers[scene_id] = scene_draft.heading.number
        draft.scene_lines[scene_id] = scene_draft.heading.line
        for index, shot_draft in enumerate(scene_draft.shots):
            shot = _shot(shot_draft, f"{scene_id}_sh{(index + 1) * SHOT_STEP:03d}", scene, fps, names, characters)
            scene.shots.append(shot)
            draft.shot_keys[shot.id] = shot_key(shot)
            draft.shot_lines[shot.id] = shot_draft.line
        film.scenes.append(scene)
    _describe_characters(film, characters, names)
    return draft


def shot_key(shot: Shot) -> str:
    """The script text a shot is recognised by in a revision: its action and its dialogue."""
    spoken = " ".join(d.text for d in shot.dialogue)
    return f"{shot.action} // {spoken}" if spoken else shot.action


def _shot(draft: _ShotDraft, shot_id: str, scene: Scene, fps: Fraction, names: re.Pattern[str] | None,
          characters: dict[str, str]) -> Shot:
    dialogue = [DialogueLine(part.text, speech.cue, part.parenthetical)
                for group in draft.speeches for speech in group for part in speech.parts if part.text]
    cast: list[str] = []
    for group in draft.speeches:
        for speech in group:
            cast.append(characters[speech.character.upper()])
    if names is not None:
        cast.extend(characters[m.group(0).upper()] for m in names.finditer(draft.action))
    assets = list(dict.fromkeys(cast)) + [scene.location]
    frames = to_frames(shot_seconds(draft), fps)
    return Shot(id=shot_id, beat=draft.beat.id, duration=frames, duration_text=f"{frames}f",
                action=draft.action, camera=Camera(size=draft.camera), sound="; ".join(draft.sound),
                dialogue=dialogue, continuity="; ".join(draft.continuity), assets=assets, scene=scene.id,
                line=draft.line)


def _characters(script: Script, draft: Draft) -> dict[str, str]:
    """Speaking characters (upper-case name → asset id), in order of first line."""
    characters: dict[str, str] = {}
    used = set()
    for element in script.elements:
        if isinstance(element, Speech) and element.parts:
            name = " ".join(element.character.split())
            if name.upper() not in characters:
                asset_id = _unique(slug(name, "character"), used)
                characters[name.upper()] = asset_id
                draft.film.assets.append(Asset(asset_id, "character", name))
                draft.asset_names[asset_id] = f"character:{name.upper()}"
    return characters


def _name_pattern(characters: dict[str, str]) -> re.Pattern[str] | None:
    if not characters:
        return None
    names = sorted(characters, key=len, reverse=True)
    return re.compile(r"(?<![\w])(?:" + "|".join(re.escape(n) for n in names) + r")(?![\w])", re.IGNORECASE)


def _describe_characters(film: Film, characters: dict[str, str], names: re.Pattern[str] | None) -> None:
    """A character's description: the sentence of the first action that names them, else their name."""
    if names is None:
        return
    missing = {asset_id: name for name, asset_id in characters.items()}
    for shot in film.shots():
        for match in names.finditer(shot.action):
            asset_id = characters[match.group(0).upper()]
            if asset_id in missing:
                start = max(shot.action.rfind(". ", 0, match.start()) + 2, 0) if ". " in shot.action[
                    :match.start()] else 0
                end = shot.action.find(". ", match.end())
                sentence = shot.action[start:end + 1 if end >= 0 else len(shot.action)].strip()
                film.asset(asset_id).description = sentence  # type: ignore[union-attr]
                del missing[asset_id]
        if not missing:
            return


def _scene_ids(scenes: list[_SceneDraft], source: str, problems: list[Problem]) -> list[str]:
    """``sc01`` … by position, or from the script's scene numbers (``#12A#`` → ``sc12a``).

    In a numbered script an unnumbered scene is named after the one before it, as production does
    with inserted scenes: ``sc03a`` after ``sc03``.
    """
    width = max(2, len(str(len(scenes))),
                *(len(m.group(1)) for s in scenes if (m := re.match(r"(\d+)", s.heading.number))))
    numbered = any(s.heading.number for s in scenes)
    ids: list[str] = []
    seen: dict[str, int] = {}
    for scene in scenes:
        number = scene.heading.number
        if number:
            match = re.match(r"^(\d+)(.*)$", number)
            tail = slug(match.group(2), "") if match else ""
            scene_id = f"sc{int(match.group(1)):0{width}d}{tail}" if match else f"sc_{slug(number)}"
            if scene_id in seen:
                problems.append(Problem(f"scene number {number} is used twice (first at line {seen[scene_id]})",
                                        source, scene.heading.line))
            seen.setdefault(scene_id, scene.heading.line)
        ids.append(scene_id if number else "")
    for position, scene in enumerate(scenes):
        if ids[position]:
            continue
        base = (ids[position - 1] if position else f"sc{0:0{width}d}") if numbered else f"sc{position + 1:0{width}d}"
        scene_id = base if not numbered and base not in seen else next(c for c in inserted_ids(base) if c not in seen)
        seen[scene_id] = scene.heading.line
        ids[position] = scene_id
    return ids


def inserted_ids(after: str) -> list[str]:
    """Ids for a scene inserted after ``after``, as production numbers them: ``sc03`` → ``sc03a``,
    ``sc03b`` …; ``sc12a`` → ``sc12b`` …"""
    match = re.match(r"^(.*\d)([a-z]?)$", after)
    stem, letter = (match.group(1), match.group(2)) if match else (after, "")
    letters = "abcdefghijklmnopqrstuvwxyz"
    return [stem + c for c in letters[letters.index(letter) + 1 if letter else 0:]] + \
        [f"{after}_{n}" for n in range(2, 100)]


def _name_beats(beats: list[Beat], scene_ids: list[str], scenes: list[_SceneDraft], by_scene: bool) -> None:
    """Give beats their ids: one per scene → the scene id; from sections → a slug of the title."""
    per_scene = {id(s.beat): scene_id for s, scene_id in zip(scenes, scene_ids)}
    used: set[str] = set()
    for beat in beats:
        if by_scene:
            beat.id = per_scene[id(beat)]
        else:
            beat.id = _unique(slug(beat.title, "beat"), used)
        used.add(beat.id)


def _unique(candidate: str, used: set[str]) -> str:
    value, n = candidate, 2
    while value in used:
        value, n = f"{candidate}_{n}", n + 1
    used.add(value)
    return value


def _title_from(source: str) -> str:
    return Path(source).stem.replace("_", " ").replace("-", " ").strip().title() or "Untitled"


def _not_a_screenplay(script: Script) -> str:
    text_lines = [e for e in script.elements if isinstance(e, Action)]
    sample = "\n".join(a.text for a in text_lines[:3]).splitlines()[:10]
    for sep, name in ((",", "comma"), ("\t", "tab"), (";", "semicolon")):
        counts = [row.count(sep) for row in sample if row.strip()]
        if len(counts) >= 2 and min(counts) >= 1 and len(set(counts)) == 1:
            return f"this looks like {name}-separated values (a table), not a screenplay: no scene headings found"
    return ("no scene headings found, so this is not a screenplay (a scene starts with INT., EXT., EST., "
            "I/E or a line starting with '.')")
