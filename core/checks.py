"""Story and continuity checks: what stops a film from being built, and what makes a first film better.

Errors stop the pipeline: duplicate ids, a shot whose beat or asset does not exist, an id that
cannot name a file, a board or reference image that is missing (unreadable durations and
unsupported rates are caught earlier, when the project loads). Warnings are advice drawn from how
short AI films succeed: a runtime near the target and between 30 s and 3 min, every beat covered,
a complete story, 8–20 shots for a first film, and few shots of what video models do badly
(dialogue on camera, crowds, hands at work, costume changes).

:func:`run_checks` takes a loaded film; :func:`check_project` also turns load failures into
findings, so a report always comes back.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path

from . import limits, timing
from .approvals import APPROVALS_FILE, load_approvals
from .conform import conform
from .errors import ProjectError, one_line
from .model import STORY_FIELDS, Film, Shot, Take
from .project import load_project, project_file
from .takes import SELECTS_FILE, TAKES_DIR, find_takes

ERROR = "error"
WARNING = "warning"

FIRST_FILM_SHOTS = (8, 20)
RUNTIME_BOUNDS_S = (30, 180)
RUNTIME_TOLERANCE = Fraction(1, 10)
SPEAKING_RATE = Fraction(5, 2)  # words a second an actor can say clearly
MODEL_CLIP_S = (1, 10)  # what most image-to-video models make in one take

_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


HARD_FOR_MODELS: dict[str, tuple[tuple[str, ...], str]] = {
    "crowd": (("crowd", "crowds", "audience", "army", "armies", "soldiers", "mob", "spectators", "passengers",
               "everyone", "hundreds", "dozens", "a group of", "people", "townsfolk", "dancers"),
              "crowds come out smeared and duplicated; show a few figures or suggest the crowd by sound"),
    "hands": (("hand", "hands", "finger", "fingers", "palm", "palms", "grab", "grabs", "grip", "grips", "pick up",
               "picks up", "type", "types", "typing", "knit", "knits", "ties", "pour", "pours", "shake hands",
               "shakes hands", "handshake", "write", "writes", "signs the", "play the", "plays the"),
              "hand interactions warp in generated video; frame them out, or keep the hands still and large"),
    "costume": (("changes into", "changes clothes", "puts on", "takes off", "peels off", "undresses",
                 "gets dressed", "costume", "outfit", "disguise"),
                "costume changes break character consistency; cut around the change and board both looks"),
}
"""What video models do badly: the words (or phrases) that give it away in a shot's text, and the advice."""

_WORD = re.compile(r"[a-z0-9']+")


def hard_for_models(text: str) -> dict[str, str]:
    """The kinds of :data:`HARD_FOR_MODELS` that ``text`` shows, each with the term that gave it away.

    Whole words only ("handle" is not "hand"). Set look-ups rather than one big case-insensitive
    regex: this runs for every shot of a 5,000-shot film in well under 50 ms.
    """
    words = _WORD.findall(text.lower())
    vocabulary = set(words)
    joined = f" {' '.join(words)} "
    found = {}
    for code, (terms, _) in HARD_FOR_MODELS.items():
        for term in terms:
            if (f" {term} " in joined) if " " in term else (term in vocabulary):
                found[code] = term
                break
    return found


@dataclass(frozen=True)
class Finding:
    """One result of a check. ``code`` is stable for tools (``unknown-beat``, ``runtime`` …)."""

    level: str
    code: str
    message: str
    file: str | None = None
    line: int | None = None
    shot: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}: " if self.file and self.line else (f"{self.file}: " if self.file else "")
        who = f"shot {self.shot}: " if self.shot else ""
        return one_line(f"{where}{self.level}: {who}{self.message}")


@dataclass
class Report:
    """All findings for one project, plus the figures a summary shows."""

    findings: list[Finding] = field(default_factory=list)
    shots: int = 0
    runtime_frames: int = 0
    target_frames: int | None = None
    fps: Fraction | None = None
    cut_frames: int | None = None
    recut: list[tuple[str, int, int]] = field(default_factory=list)
    """Shots the editor's selects cut to another length than planned: (shot, planned, cut) frames."""
    stale: dict[str, int] = field(default_factory=dict)
    """How many takes, boards and views are stale (:mod:`shotreel.stale`), by kind; empty when none was looked at."""

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.level == ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.level == WARNING]

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        """One line: shots, runtime against target, error and warning counts."""
        parts = []
        if self.fps:  # the project loaded
            parts.append(f"{self.shots} shots")
            runtime = timing.format_runtime(self.runtime_frames, self.fps)
            if self.cut_frames is not None and self.cut_frames != self.runtime_frames:
                runtime += (f" planned, {timing.format_runtime(self.cut_frames, self.fps)} as cut "
                            f"({len(self.recut)} shot{'s' * (len(self.recut) != 1)} recut)")
            if self.target_frames:
                runtime += f" (target {timing.format_runtime(self.target_frames, self.fps)})"
            parts.append(runtime)
        parts.append(f"{len(self.errors)} error{'s' * (len(self.errors) != 1)}")
        parts.append(f"{len(self.warnings)} warning{'s' * (len(self.warnings) != 1)}")
        return ", ".join(parts)

    def to_dict(self) -> dict:
        """Plain data for ``--json``."""
        return {
            "ok": self.ok,
            "shots": self.shots,
            "runtime_frames": self.runtime_frames,
            "runtime_seconds": float(self.runtime_frames / self.fps) if self.fps else None,
            "target_frames": self.target_frames,
            "cut_frames": self.cut_frames,
            "recut": [{"shot": shot, "planned_frames": planned, "cut_frames": cut}
                      for shot, planned, cut in self.recut],
            "fps": timing.fps_label(self.fps) if self.fps else None,
            "stale": dict(self.stale),
            "errors": [asdict(f) for f in self.errors],
            "warnings": [asdict(f) for f in self.warnings],
        }


class _Checker:
    def __init__(self, film: Film):
        self.film = film
        self.report = Report(shots=sum(1 for _ in film.shots()), runtime_frames=film.runtime(),
                             target_frames=film.target_runtime, fps=film.fps)
        self.clip_frames = (float(MODEL_CLIP_S[0] * film.fps), float(MODEL_CLIP_S[1] * film.fps))

    def add(self, level: str, code: str, message: str, line: int | None = None, shot: str | None = None) -> None:
        self.report.findings.append(Finding(level, code, message, self.film.source, line, shot))

    def run(self) -> Report:
        self.ids()
        self.references()
        self.files()
        self.story()
        self.runtime()
        takes = self.cut()
        self.stale(takes)
        self.coverage()
        self.dialogue_timing()
        for shot in self.film.shots():
            self.shot_advice(shot)
        self.report.findings.sort(key=lambda f: (f.level != ERROR, f.line or 0))
        return self.report

    # -- errors -------------------------------------------------------------------------------------
    def ids(self) -> None:
        groups = (("beat", self.film.beats), ("asset", self.film.assets), ("scene", self.film.scenes),
                  ("shot", list(self.film.shots())))
        for kind, things in groups:
            seen: dict[str, int | None] = {}
            for thing in things:
                if not thing.id:
                    continue
                if thing.id in seen:
                    first = f" (first at line {seen[thing.id]})" if seen[thing.id] else ""
                    self.add(ERROR, "duplicate-id", f"{kind} id '{thing.id}' is used twice{first}", thing.line,
                             thing.id if kind == "shot" else None)
                else:
                    seen[thing.id] = thing.line
                if not _SAFE_ID.match(thing.id):
                    self.add(ERROR, "bad-id", f"{kind} id '{thing.id}' must be letters, digits, '_', '-' or '.' "
                             "(it names files and folders)", thing.line, thing.id if kind == "shot" else None)

    def references(self) -> None:
        beats = {b.id for b in self.film.beats}
        assets = {a.id for a in self.film.assets}
        for shot in self.film.shots():
            if not shot.beat:
                self.add(ERROR, "no-beat", "has no beat; every shot belongs to one beat"
                         + (f" ({', '.join(sorted(beats))})" if beats else ""), shot.line, shot.id)
            elif shot.beat not in beats:
                self.add(ERROR, "unknown-beat", f"beat '{shot.beat}' does not exist{_suggest(shot.beat, beats)}",
                         shot.line, shot.id)
            for asset in shot.assets:
                if asset not in assets:
                    self.add(ERROR, "unknown-asset", f"asset '{asset}' does not exist{_suggest(asset, assets)}",
                             shot.line, shot.id)
        locations = {a.id for a in self.film.assets if a.kind == "location"}
        for scene in self.film.scenes:
            if scene.location and scene.location not in locations:
                self.add(WARNING, "unknown-location", f"scene {scene.id}: location '{scene.location}' is not a "
                         f"location asset{_suggest(scene.location, locations)}", scene.line)

    def files(self) -> None:
        if self.film.root is None:
            return
        root = self.film.root
        for shot in self.film.shots():
            for board in shot.boards:
                if not board.path:
                    continue
                path = self.film.path(board.path)
                if not path.is_file():
                    self.add(ERROR, "missing-board", f"board file '{board.path}' is missing", shot.line, shot.id)
                elif not limits.is_inside(path, root):
                    if limits.is_image(path):
                        self.add(WARNING, "board-outside", f"board '{board.path}' lives outside the project; "
                                 "copy it into boards/ so the project travels whole", shot.line, shot.id)
                    else:
                        self.add(ERROR, "board-not-image", f"board '{board.path}' lies outside the project and "
                                 "is not an image; shotreel reads boards outside the project only when they "
                                 "are images (PNG, JPEG, TIFF, EXR, DPX, WebP)", shot.line, shot.id)
        for asset in self.film.assets:
            for ref in asset.references:
                if not self.film.path(ref).is_file():
                    self.add(ERROR, "missing-reference", f"asset {asset.id}: reference image '{ref}' is missing",
                             asset.line)

    # -- warnings -----------------------------------------------------------------------------------
    def story(self) -> None:
        empty = [name for name in STORY_FIELDS if not getattr(self.film.story, name)]
        if empty:
            self.add(WARNING, "story-incomplete", f"the story has no {', no '.join(empty)}: a short film needs "
                     "one character, one want, an obstacle, an escalation, a turn and a payoff")

    def runtime(self) -> None:
        rate, runtime, target = self.film.fps, self.film.runtime(), self.film.target_runtime
        seconds = timing.seconds(runtime, rate)
        day = timing.day_frames(rate, ";" in self.film.start_timecode)
        if self.film.start_frame + runtime > day:
            end = self.film.start_frame + runtime - day
            self.add(ERROR, "past-24-hours", f"the film starts at {self.film.start_timecode} and runs "
                     f"{timing.format_runtime(runtime, rate)}, so it ends past 24:00:00:00, where timecode wraps "
                     f"in every editing app ({end} frames too many); start it earlier")
        if target and abs(runtime - target) > target * RUNTIME_TOLERANCE:
            self.add(WARNING, "runtime", f"the shots run {timing.format_runtime(runtime, rate)} against a "
                     f"target of {timing.format_runtime(target, rate)}")
        low, high = RUNTIME_BOUNDS_S
        if runtime and not low <= seconds <= high:
            self.add(WARNING, "runtime-bounds", f"the film runs {timing.format_runtime(runtime, rate)}; short "
                     f"AI films work best between {low} s and {high // 60} min")
        low_shots, high_shots = FIRST_FILM_SHOTS
        if not low_shots <= self.report.shots <= high_shots:
            self.add(WARNING, "shot-count", f"{self.report.shots} shots; a first film is easiest to keep "
                     f"consistent with {low_shots}–{high_shots}")

    def cut(self) -> dict[str, list[Take]] | None:
        """The cut's length from the editor's selects, beside the plan (an unreadable selects.yaml is an
        error: no reel can be built from it). Returns the takes it found (``None`` when it read none)."""
        film = self.film
        if film.root is None or not ((film.root / SELECTS_FILE).is_file() or (film.root / TAKES_DIR).is_dir()):
            return None
        try:
            takes = find_takes(film)
            cut = conform(film, takes)
        except ProjectError as exc:
            self.report.findings += [Finding(ERROR, "selects", p.message, p.file or str(film.root / SELECTS_FILE),
                                             p.line, p.shot) for p in exc.problems]
            return None
        self.report.cut_frames = cut.length
        self.report.recut = [(c.shot.id, c.planned, c.length) for c in cut.shots if c.length != c.planned]
        return takes

    @staticmethod
    def _stale_remedies(counts: dict[str, int]) -> str:
        """What makes each kind of stale thing again, for the warning's end."""
        how = {"take": "`shotreel generate DIR --stale` makes new takes",
               "board": "`shotreel boards DIR --generate --shots …` new candidates",
               "view": "`shotreel assets DIR --stale --provider P` new views"}
        fixes = [how[kind] for kind, n in counts.items() if n and kind in how]
        return f"; {', '.join(fixes)}" if fixes else ""

    def stale(self, takes: dict[str, list[Take]] | None) -> None:
        """How many boards and takes were made from inputs that changed since (:mod:`shotreel.stale`); one
        warning for the film, ``shotreel stale`` names them."""
        film = self.film
        if film.root is None or not (takes or any((film.root / d).is_dir() for d in ("boards", "refs"))):
            return
        from .stale import BOARD, TAKE, VIEW, stale_report
        try:
            report = stale_report(film, takes=takes or {})
        except ProjectError:
            return  # an unreadable sidecar: `shotreel stale` names it
        self.report.stale = {kind: len(report.known(kind)) for kind in (TAKE, BOARD, VIEW)}
        counts = [f"{n} {kind}{'s' * (n != 1)}" for kind, n in self.report.stale.items() if n]
        if counts:
            self.add(WARNING, "stale", f"{', '.join(counts)} made from inputs that changed since (asset "
                     "references, descriptions, style or the shot); `shotreel stale DIR` names them and why"
                     + self._stale_remedies(self.report.stale))

    def dialogue_timing(self) -> None:
        """A line that runs past its shot's end, or over the line before it, from the scratch voices'
        lengths (estimated where they are not made yet; :mod:`shotreel.finishing.voices`)."""
        shots = {s.id: s for s in self.film.shots() if s.dialogue}
        if not shots:
            return
        from .finishing.voices import placement_warnings
        try:
            found = placement_warnings(self.film)
        except ProjectError:
            return  # an unreadable selects.yaml: reported by cut()
        for shot_id, message in found:
            code = "dialogue-overlap" if " overlaps " in message else "dialogue-overrun"
            self.add(WARNING, code, message, shots[shot_id].line, shot_id)

    def coverage(self) -> None:
        used = Counter(s.beat for s in self.film.shots())
        for beat in self.film.beats:
            if beat.id and not used[beat.id]:
                self.add(WARNING, "empty-beat", f"beat '{beat.id}' has no shots", beat.line)
        in_shots = {a for s in self.film.shots() for a in s.assets}
        try:
            approved = load_approvals(self.film)  # views approved with `shotreel assets --approve` count too
        except ProjectError as exc:
            approved = {}
            self.report.findings.append(Finding(ERROR, "bad-approvals", exc.message, APPROVALS_FILE, exc.line))
        for asset in self.film.assets:
            if asset.id in in_shots and not asset.references and not approved.get(asset.id):
                count = sum(asset.id in s.assets for s in self.film.shots())
                self.add(WARNING, "no-references", f"asset '{asset.id}' appears in {count} shot"
                         f"{'s' * (count != 1)} but has no reference images; make views and approve some "
                         f"(shotreel assets DIR {asset.id}) or add some under refs/ to keep it consistent from "
                         "take to take", asset.line)

    def shot_advice(self, shot: Shot) -> None:
        rate = self.film.fps
        low, high = MODEL_CLIP_S
        if shot.duration and not self.clip_frames[0] <= shot.duration <= self.clip_frames[1]:
            self.add(WARNING, "shot-length", f"{timing.format_duration(shot.duration, rate)} long; image-to-video "
                     f"models make {low}–{high} s takes, so plan to cut it from several", shot.line, shot.id)
        if not shot.action:
            self.add(WARNING, "no-action", "has no action: say what we see", shot.line, shot.id)
        if shot.dialogue:
            words = sum(len(d.text.split()) for d in shot.dialogue)
            speakers = {d.character for d in shot.dialogue if d.character}
            if words > timing.seconds(shot.duration, rate) * SPEAKING_RATE or len(speakers) > 1:
                self.add(WARNING, "dialogue-heavy", f"{words} words of dialogue"
                         + (f" between {len(speakers)} characters" if len(speakers) > 1 else "")
                         + f" in {timing.format_duration(shot.duration, rate)}; lip-sync is hard for video "
                         "models — keep lines short, off screen or in voice-over", shot.line, shot.id)
        for code, term in hard_for_models(f"{shot.action} {shot.prompt}").items():
            self.add(WARNING, code, f"'{term}': {HARD_FOR_MODELS[code][1]}", shot.line, shot.id)


def _suggest(name: str, known: set[str]) -> str:
    guess = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.5)
    return f"; did you mean '{guess[0]}'?" if guess else ""


def run_checks(film: Film) -> Report:
    """Check a loaded film; returns every finding, errors first."""
    return _Checker(film).run()


def check_project(path: str | Path) -> Report:
    """Load and check the project at ``path``; load failures come back as error findings."""
    try:
        film = load_project(path)
    except ProjectError as exc:
        report = Report()
        report.findings = [Finding(ERROR, "load", p.message, p.file or str(project_file(path)), p.line, p.shot)
                           for p in exc.problems]
        return report
    return run_checks(film)
