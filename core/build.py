"""The main job as one call a host can make: check, boards, missing takes, reel, animatic, the film.

:func:`build` runs the stages in order and stops at the first that cannot go on (a project with
errors is never boarded or cut):

1. check the project (errors stop everything before anything is written);
2. draw board cards for shots without boards, and the contact sheet;
3. generate a take for every shot that has none, with the offline ``animatic`` provider (no
   account, no network, no money: paid providers are only ever used by ``shotreel generate``);
4. make the scratch voices and the mix (``edit/voices/``, ``edit/mix.wav``, at -14 LUFS) and the
   captions (``edit/captions.srt`` and ``.vtt``): :mod:`shotreel.finishing`;
5. write the reel into ``edit/`` as OTIO, EDL and FCP7 XML (its Dialogue, Music and Effects tracks
   holding the voices and sound files);
6. render ``edit/animatic.mp4`` with the mix as its sound;
7. export the finished film, ``edit/film.mp4`` (the ``web`` preset: title, AI-use disclosure, the cut,
   credits, the mix, captions beside it as ``film.srt`` / ``film.vtt``; :mod:`shotreel.finishing.export`),
   with the mix of stage 4 as its sound: the film is mixed once.

Each stage reports progress through its own callback, obtained from ``stage_progress(stage)``, so a
terminal can draw one bar per stage and Blender can show the stage in its status bar.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .animatic import AnimaticResult, render_animatic
from .boards import BoardsResult, ContactSheetResult, contact_sheet, draw_boards, shot_board_image
from .checks import Report, run_checks
from .errors import Problem, ProjectError
from .finishing.captions import CaptionsResult, write_captions
from .finishing.export import ExportResult, export_film
from .finishing.mix import MixResult, mix_film
from .interchange import write_reel
from .model import Film
from .progress import ProgressCallback, no_progress
from .project import load_project
from .reel import build_reel, reel_notes

BUILD_PROVIDER = "animatic"
"""The provider ``build`` fills missing takes with: offline and free."""
ANIMATIC_FILE = "animatic.mp4"
MIX_FILE = "mix.wav"

EDIT_DIR = "edit"
REEL_FILES = ("reel.otio", "reel.edl", "reel.xml")
"""What ``build`` writes into ``edit/``: the reel for every OTIO host, an EDL and an FCP7 XML."""

StageProgress = Callable[[str], ProgressCallback]


@dataclass
class BuildResult:
    """What a build did: the check report, the boards, the contact sheet, the files it wrote and
    the notes on what a format or a take could not carry."""

    film: Film
    report: Report
    boards: BoardsResult
    sheet: ContactSheetResult
    reels: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    generated: list[Path] = field(default_factory=list)
    animatic: AnimaticResult | None = None
    mix: MixResult | None = None
    captions: CaptionsResult | None = None
    export: ExportResult | None = None

    @property
    def written(self) -> list[Path]:
        movie = [self.animatic.path] if self.animatic else []
        sound = [self.mix.path, self.captions.srt, self.captions.vtt] if self.mix and self.captions else []
        final = [self.export.path, *self.export.captions] if self.export else []
        return [*self.boards.written, self.sheet.png, self.sheet.pdf, *self.generated, *sound, *self.reels, *movie,
                *final]


def _no_stage_progress(stage: str) -> ProgressCallback:
    return no_progress


def refuse_errors(report: Report) -> None:
    """Raise :class:`ProjectError` listing every error of ``report`` (each with its file and line)."""
    if report.errors:
        raise ProjectError.from_problems([Problem(f.message, f.file, f.line, f.shot) for f in report.errors])


def build(project: str | Path, stage_progress: StageProgress | None = None, *, generate: bool = True,
          animatic: bool = True, sound: bool = True, export: bool = True, preset: str = "web") -> BuildResult:
    """Check, draw boards and the contact sheet, fill missing takes, write the reels, render the animatic,
    export the film.

    ``generate=False`` skips the takes, ``sound=False`` the voices, mix and captions (the film is then
    silent), ``animatic=False`` the animatic, ``export=False`` the film; ``preset`` is the export's
    (``web``, ``review``, ``master``; unsigned: ``shotreel export`` signs). A music or sfx file that
    cannot be read stops the build with one line naming it. Raises :class:`ProjectError`
    (every error of the check, each naming its line) before anything is written when the project has
    errors. Returns what was written and the notes on what a take or a format could not carry.
    """
    progress_for = stage_progress or _no_stage_progress
    film = load_project(project)
    report = run_checks(film)
    refuse_errors(report)
    boards = draw_boards(film, progress_for("boards"))
    sheet = contact_sheet(film, progress_for("contact"))
    notes = list(dict.fromkeys(str(p) for p in boards.warnings + sheet.warnings))  # text the font lacks
    generated: list[Path] = []
    if generate:
        generated = _missing_takes(film, progress_for("takes"), notes)
    edit = film.path(EDIT_DIR)
    mix = captions = None
    if sound:
        mix = mix_film(film, edit / MIX_FILE, progress=progress_for("sound"))
        captions = write_captions(film, edit, mix.voices)
        notes += mix.warnings + captions.warnings
    # checked again: the boards and takes just made answer some of the first check's warnings
    timeline = build_reel(film, board_for=shot_board_image, findings=run_checks(film).findings)
    notes += reel_notes(timeline)
    reels = []
    reel_progress = progress_for("reel")
    for index, name in enumerate(REEL_FILES):
        reel_progress(index, len(REEL_FILES), f"writing {name}")
        notes += [f"{name}: {note}" for note in write_reel(timeline, edit / name)]
        reels.append(edit / name)
    reel_progress(len(REEL_FILES), len(REEL_FILES), "reels written")
    movie = None
    if animatic:
        movie = render_animatic(film, edit / ANIMATIC_FILE, audio=mix.path if mix else None,
                                progress=progress_for("animatic"))
        notes += [f"{ANIMATIC_FILE}: {note}" for note in movie.notes]
    final = None
    if export:
        final = export_film(film, preset, progress=progress_for("export"), mix=mix, sound=sound)
        notes += [w for w in final.warnings if w not in notes]
    return BuildResult(film, report, boards, sheet, reels, notes, generated, movie, mix, captions, final)


def _missing_takes(film: Film, progress: ProgressCallback, notes: list[str]) -> list[Path]:
    """A take from the offline provider for every shot that has none; returns the files written."""
    from .generation.scheduler import generate

    summary = generate(film, provider=BUILD_PROVIDER, takes_per_shot=1, progress=progress)
    for outcome in summary.failed + summary.unknown + summary.waiting:
        notes.append(f"shot {outcome.shot}: no {BUILD_PROVIDER} take: {outcome.message or outcome.state}")
    return [outcome.path for outcome in summary.done if outcome.path is not None]
