"""The film as plain data: story, beats, assets, scenes, shots, boards, takes and selects.

These dataclasses are what every part of shotreel passes around. They hold no behaviour beyond
simple look-ups; loading lives in :mod:`shotreel.project`, checking in :mod:`shotreel.checks`,
the timeline in :mod:`shotreel.reel`. Durations are whole frames at the film's rate; the rate is
an exact :class:`~fractions.Fraction`. ``line`` fields remember where a thing was written in
``shotreel.yaml`` so that every message can point at it (``None`` for things made by a tool).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

ASSET_KINDS = ("character", "location", "prop")
BOARD_ROLES = ("start", "end", "reference")
STORY_FIELDS = ("premise", "character", "want", "obstacle", "escalation", "turn", "payoff")


@dataclass
class Story:
    """The story in seven answers: who wants what, what stands in the way, how it turns and pays off."""

    premise: str = ""
    character: str = ""
    want: str = ""
    obstacle: str = ""
    escalation: str = ""
    turn: str = ""
    payoff: str = ""


@dataclass
class Beat:
    """One step of the story's structure; every shot belongs to one beat."""

    id: str
    title: str = ""
    summary: str = ""
    line: int | None = None


@dataclass
class Asset:
    """A character, location or prop that must look the same in every shot it appears in.

    ``references`` are image paths relative to the project folder (character views, location
    plates, prop photos) handed to the generator as reference images.
    """

    id: str
    kind: str
    description: str = ""
    references: list[str] = field(default_factory=list)
    line: int | None = None
    voice: str = ""
    pitch: int | None = None
    rate: int | None = None
    """A character's scratch voice (:mod:`shotreel.finishing.voices`): an eSpeak NG voice name
    (``en-us``, ``en-gb+f3`` …), pitch 0–100 and rate in words a minute; unset: a distinct default."""


@dataclass
class Camera:
    """How the shot is framed and moves: size (CU, MS, WS …), angle, movement, lens."""

    size: str = ""
    angle: str = ""
    movement: str = ""
    lens: str = ""

    def describe(self) -> str:
        """A compact line for boards and prompts: ``MCU · low angle · push in · 35mm``."""
        return " · ".join(part for part in (self.size, self.angle, self.movement, self.lens) if part)


@dataclass
class DialogueLine:
    """One spoken line; ``character`` is empty when the project gives only the words."""

    text: str
    character: str = ""
    parenthetical: str = ""
    at: int | None = None
    """Where the line starts, in frames from its shot's start (``None``: after the previous line)."""

    def describe(self) -> str:
        """``ASTRA (V.O.): Hello?`` style, for boards and reports."""
        who = self.character
        if self.parenthetical:
            who = f"{who} {self.parenthetical}".strip()
        return f"{who}: {self.text}" if who else self.text


@dataclass
class Sfx:
    """A sound effect file placed in a shot: ``offset`` frames from its start, ``level`` in dB."""

    path: str
    offset: int = 0
    level: float = 0.0
    line: int | None = None


@dataclass
class Music:
    """The film's music bed: a file starting ``start`` frames into the film, faded in and out over
    ``fade_in`` / ``fade_out`` frames, at ``level`` dB (ducked under dialogue by the mix)."""

    path: str
    start: int = 0
    fade_in: int = 0
    fade_out: int = 0
    level: float = 0.0
    line: int | None = None


@dataclass
class Board:
    """A storyboard still of a shot; ``role`` says how generation uses it (start, end or reference frame).

    ``path`` is relative to the project folder.
    """

    path: str
    role: str = "start"


@dataclass
class Shot:
    """One shot: the unit that is boarded, generated, taken and cut.

    ``duration`` is in frames at the film's rate; ``duration_text`` is what the author wrote.
    """

    id: str
    beat: str
    duration: int
    action: str = ""
    camera: Camera = field(default_factory=Camera)
    sound: str = ""
    dialogue: list[DialogueLine] = field(default_factory=list)
    continuity: str = ""
    assets: list[str] = field(default_factory=list)
    prompt: str = ""
    boards: list[Board] = field(default_factory=list)
    duration_text: str = ""
    scene: str = ""
    line: int | None = None
    sfx: list[Sfx] = field(default_factory=list)

    def board(self, role: str = "start") -> Board | None:
        """The first board with ``role``, else ``None``."""
        return next((b for b in self.boards if b.role == role), None)


@dataclass
class Scene:
    """A continuous place and time (``INT. SHIP CORRIDOR - NIGHT``) and the shots filmed there."""

    id: str
    heading: str = ""
    location: str = ""
    shots: list[Shot] = field(default_factory=list)
    line: int | None = None


@dataclass
class Titles:
    """The title card (``titles:``): ``title`` (the film's when empty), ``subtitle``, ``duration`` in frames
    (0: the default length)."""

    title: str = ""
    subtitle: str = ""
    duration: int = 0
    line: int | None = None


@dataclass
class CreditRole:
    """One credit: a ``role`` (``Written and directed by``) and the ``names`` under it."""

    role: str
    names: list[str] = field(default_factory=list)


@dataclass
class Credits:
    """The end credits (``credits:``): the people by role, ``thanks``, ``duration`` in frames (0: the default).

    The generation models and the AI-use disclosure are added from the takes, never typed here.
    """

    roles: list[CreditRole] = field(default_factory=list)
    thanks: str = ""
    duration: int = 0
    line: int | None = None


@dataclass
class Film:
    """A whole project: settings, story, beats, assets and scenes, as loaded from one folder.

    ``root`` is the project folder (``None`` for a film built in memory); ``source`` is the
    project file's name as messages should show it.
    """

    title: str
    fps: Fraction
    resolution: tuple[int, int] = (1920, 1080)
    start_timecode: str = "01:00:00:00"
    start_frame: int = 86400
    target_runtime: int | None = None
    style: str = ""
    story: Story = field(default_factory=Story)
    beats: list[Beat] = field(default_factory=list)
    assets: list[Asset] = field(default_factory=list)
    scenes: list[Scene] = field(default_factory=list)
    root: Path | None = None
    source: str = "shotreel.yaml"
    music: Music | None = None
    titles: Titles | None = None
    credits: Credits | None = None

    def shots(self) -> Iterator[Shot]:
        """Every shot in story order (scene by scene)."""
        for scene in self.scenes:
            yield from scene.shots

    def shot(self, shot_id: str) -> Shot | None:
        """The shot called ``shot_id``, else ``None``."""
        return next((s for s in self.shots() if s.id == shot_id), None)

    def beat(self, beat_id: str) -> Beat | None:
        return next((b for b in self.beats if b.id == beat_id), None)

    def asset(self, asset_id: str) -> Asset | None:
        return next((a for a in self.assets if a.id == asset_id), None)

    def scene_of(self, shot: Shot) -> Scene | None:
        return next((s for s in self.scenes if s.id == shot.scene), None)

    def runtime(self) -> int:
        """The film's length in frames: the sum of its shots' durations."""
        return sum(s.duration for s in self.shots())

    def path(self, relative: str) -> Path:
        """A project-relative path (board, reference, take) as an absolute path."""
        p = Path(relative)
        return p if p.is_absolute() or self.root is None else self.root / p

    @property
    def aspect(self) -> Fraction:
        return Fraction(self.resolution[0], self.resolution[1])


@dataclass
class Take:
    """One generated clip of a shot, found at ``takes/<shot>/<take>.<ext>``.

    ``frames`` and ``fps`` are what the file really holds (probed), which may differ from the shot;
    ``provenance`` is the sidecar's content (provider, model, prompt, seed, job id …).
    """

    shot: str
    id: str
    path: Path
    frames: int | None = None
    fps: Fraction | None = None
    status: str = "done"
    provenance: dict = field(default_factory=dict)
    created: float = 0.0


@dataclass
class Selection:
    """The editor's choice for a shot: which take, and its trim in and out (frames into the take)."""

    shot: str
    take: str
    trim_in: int | None = None
    trim_out: int | None = None
