"""The animatic: the reel rendered to a watchable movie (H.264 MP4) with one ffmpeg run.

Each shot runs exactly as the reel cuts it (:mod:`shotreel.conform`: the select's trims, else the
planned duration) in frames at the film's rate: the chosen take where the shot has one (from its trim
in; a take that runs short is followed by the shot's board, as in the reel; a take at another rate
plays in real time — each reported), else the shot's board held for the shot's length (a card drawn
for shots without one), letterboxed to the film's resolution.
Burn-in (shot id, take, record timecode) uses ffmpeg's ``drawtext`` with the board font shotreel ships,
so nothing depends on the fonts a machine has. Sound is silence or the given temp track, cut or padded
to the film's length.

Every segment is made exactly its frame count inside the filter graph (``loop`` for stills, ``trim``
/ ``tpad`` for takes), the segments are concatenated and renumbered frame by frame at the exact rate
(``24000/1001``), so the output has exactly the cut's frames — checked by probing the file
before it replaces the target.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from . import timing
from .cards import draw_board_card
from .conform import conform
from .drawing import font as board_font
from .drawing import font_file
from .errors import ShotreelError
from .fsutil import atomic_output, atomic_write_bytes
from .media import ffmpeg_exe, ffmpeg_rate, probe, run_ffmpeg
from .model import Film, Selection, Shot, Take
from .progress import ProgressCallback, no_progress

SAMPLE_RATE = 48000
PRESET = "veryfast"
CRF = 20


class AnimaticError(ShotreelError):
    """The animatic cannot be rendered (bad audio, unreadable media, an ffmpeg failure)."""


@dataclass
class AnimaticShot:
    """How one shot appears in the animatic.

    ``source`` is ``take``, ``board`` or ``card`` (a card drawn because the shot has no board);
    ``trim_in`` / ``trim_out`` (exclusive) are the frames used of the take; ``held`` is how many frames
    at the shot's end show its ``board`` (a card when it has none) because the take runs short, as in
    the reel.
    """

    shot: str
    record_in: int
    frames: int
    source: str
    path: Path | None = None
    take: str | None = None
    trim_in: int = 0
    trim_out: int | None = None
    take_frames: int | None = None
    take_fps: Fraction | None = None
    held: int = 0
    board: Path | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class AnimaticResult:
    """A rendered animatic: where, how long (frames at ``fps``), how each shot was filled, and notes."""

    path: Path
    frames: int
    fps: Fraction
    width: int
    height: int
    shots: list[AnimaticShot]
    notes: list[str]
    seconds: float = 0.0
    audio: Path | None = None

    @property
    def takes(self) -> int:
        return sum(1 for s in self.shots if s.source == "take")


# -- planning -------------------------------------------------------------------------------------

def _board_finder() -> Callable[[Film, Shot], Path | None]:
    try:
        from .boards import shot_board_image
        return shot_board_image
    except ImportError:  # pragma: no cover - boards is part of the package
        from .reel import default_board
        return default_board


def plan_animatic(film: Film, takes: dict[str, list[Take]] | None = None,
                  selects: dict[str, Selection] | None = None) -> list[AnimaticShot]:
    """What each shot shows, where and for how long, exactly as the reel cuts it
    (:func:`shotreel.conform.conform`); reads no pixels but probes takes whose sidecar has no probe."""
    board_for = _board_finder()
    plan: list[AnimaticShot] = []
    for cut in conform(film, takes, selects, probe=True).shots:
        shot = cut.shot
        board = board_for(film, shot) if film.root is not None else None
        entry = AnimaticShot(shot.id, cut.record_in, cut.length, "board" if board else "card", board,
                             notes=list(cut.notes))
        if cut.take is not None and cut.covered > 0:
            take = cut.take
            entry.source, entry.path, entry.take = "take", take.path, take.id
            entry.board = board
            entry.take_frames, entry.take_fps = take.frames, take.fps or film.fps
            entry.trim_in, entry.trim_out = cut.source_in, cut.source_out(film.fps)
            entry.held = cut.length - cut.covered
        plan.append(entry)
    return plan


# -- fonts, cards, audio --------------------------------------------------------------------------

def _font_bytes() -> bytes | None:
    """The board font shotreel ships (:func:`shotreel.drawing.font_file`), so burn-in needs no installed
    font and a shot id or take written with accents burns in as written."""
    try:
        return font_file().read_bytes()
    except OSError:  # pragma: no cover - a broken install
        return None


def _card(film: Film, shot: Shot, target: Path) -> Path:
    """A card for a shot with no board, drawn into the render's scratch folder (never into boards/)."""
    image = draw_board_card(film, shot)
    with atomic_output(target) as tmp:
        image.save(tmp, format="PNG", compress_level=1)
    return target


def _has_audio(path: Path) -> bool:
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path), "-map", "0:a:0", "-c", "copy",
           "-t", "0.1", "-f", "null", "-"]
    run = subprocess.run(cmd, check=False, capture_output=True, text=True, errors="replace", timeout=120)
    return run.returncode == 0


def _escape(value: str) -> str:
    """A plain value (a timecode) quoted for an option inside an ffmpeg filter graph: the quotes
    protect it from the graph's parser, the backslashes from the option parser."""
    return "'" + value.replace("\\", "\\\\").replace(":", "\\:").replace(";", "\\;") + "'"


# -- the filter graph -----------------------------------------------------------------------------

@dataclass
class _Graph:
    width: int
    height: int
    fps: Fraction
    font: str | None
    font_size: int
    pad: int

    @property
    def tb(self) -> str:
        tb = 1 / self.fps
        return f"{tb.numerator}/{tb.denominator}"

    def fit(self) -> str:
        w, h = self.width, self.height
        return (f"scale={w}:{h}:force_original_aspect_ratio=decrease:flags=bicubic,"
                f"pad={w}:{h}:(ow-iw)/2:(oh-ih)/2:color=black,setsar=1,"
                "scale=out_color_matrix=bt709:out_range=tv,format=yuv420p")

    def label(self, textfile: str | None) -> str:
        if textfile is None or self.font is None:
            return ""
        return (f",drawtext=fontfile={self.font}:textfile={textfile}:{self.style()}:"
                f"x={self.pad}:y=h-{self.pad}-{self.font_size}")

    def style(self) -> str:
        return (f"fontsize={self.font_size}:fontcolor=white:box=1:boxcolor=black@0.55:"
                f"boxborderw={max(2, self.pad // 2)}")

    def still(self, index: int, entry: AnimaticShot, label: str | None) -> str:
        return (f"[{index}:v]{self.fit()}{self.label(label)},loop=loop={entry.frames - 1}:size=1:start=0,"
                f"settb=expr={self.tb},setpts=N[s{index}]")

    def take(self, index: int, entry: AnimaticShot, label: str | None, board: int | None = None) -> str:
        """The take's frames for the shot; ``board`` is the input index of the still shown for the
        ``held`` frames after a take that runs short."""
        end = entry.trim_out or entry.take_frames
        covered = entry.frames - entry.held
        retime = f"fps={ffmpeg_rate(self.fps)}," if entry.take_fps and entry.take_fps != self.fps else ""
        take = (f"[{index}:v]trim=start_frame={entry.trim_in}:end_frame={end},setpts=PTS-STARTPTS,{retime}"
                f"{self.fit()}{self.label(label)},tpad=stop_mode=clone:stop={covered},"
                f"trim=end_frame={covered},settb=expr={self.tb},setpts=N")
        if not entry.held or board is None:
            return f"{take}[s{index}]"
        tail = (f"[{board}:v]{self.fit()}{self.label(label)},loop=loop={entry.held - 1}:size=1:start=0,"
                f"settb=expr={self.tb},setpts=N")
        return (f"{take}[t{index}];\n{tail}[b{index}];\n"
                f"[t{index}][b{index}]concat=n=2:v=1:a=0,settb=expr={self.tb},setpts=N[s{index}]")

    def timecode(self, start_frame: int) -> str:
        if self.font is None:
            return ""
        tc = timing.format_timecode(start_frame, self.fps) if self.fps in timing.RATES.values() else None
        if tc is None:
            return ""
        return (f",drawtext=fontfile={self.font}:timecode={_escape(tc)}:"
                f"timecode_rate={ffmpeg_rate(self.fps)}:{self.style()}:"
                f"x=w-{self.pad}-{self._tc_width()}:y=h-{self.pad}-{self.font_size}")

    def _tc_width(self) -> int:
        try:
            return int(board_font(self.font_size).getlength("00:00:00:00")) + 2
        except (OSError, AttributeError):  # pragma: no cover
            return self.font_size * 6


@dataclass
class ReelGraph:
    """The reel's picture as ffmpeg inputs and filter chains, before any sound or encoding.

    ``inputs`` are ``-i`` arguments (numbered from 0), ``chains`` the filter graph's chains for each shot;
    :meth:`concat` joins them into one stream labelled as asked, with the timecode burnt in when
    ``burn_in`` was asked. ``next_input`` is the index the caller's next ``-i`` gets. Scratch files
    (cards, labels, the font) are in the ``folder`` ffmpeg must run in.
    """

    graph: _Graph
    inputs: list[str]
    chains: list[str]
    shots: int
    start_frame: int

    @property
    def next_input(self) -> int:
        return len(self.inputs) // 2

    def concat(self, label: str) -> str:
        joined = "".join(f"[s{i}]" for i in range(self.shots))
        return (f"{joined}concat=n={self.shots}:v=1:a=0,settb=expr={self.graph.tb},setpts=N"
                f"{self.graph.timecode(self.start_frame)}[{label}]")


def reel_graph(film: Film, plan: list[AnimaticShot], folder: Path, burn_in: bool, notes: list[str]
               ) -> ReelGraph:
    """The filter graph of the reel as ``plan`` cuts it (:func:`plan_animatic`), its scratch files written
    into ``folder``; a note is added to ``notes`` when burn-in is impossible. Used by the animatic and
    by :mod:`shotreel.finishing.export`, so both show exactly the same frames."""
    width, height = film.resolution
    font = None
    if burn_in and (data := _font_bytes()) is not None:
        atomic_write_bytes(folder / "font.ttf", data)
        font = "font.ttf"
    elif burn_in:
        notes.append("no font to burn in with (Pillow without FreeType): rendered without burn-in")
    pad = max(4, height // 40)
    graph = _Graph(width, height, film.fps, font, max(10, height // 26), pad)
    inputs: list[str] = []
    extra: list[str] = []  # the boards shown after takes that run short, as inputs after the shots'
    chains: list[str] = []
    shots = {s.id: s for s in film.shots()}
    for index, entry in enumerate(plan):
        if entry.source == "card" or (entry.held and entry.board is None):
            card = _card(film, shots[entry.shot], folder / f"card{index}.png")
            if entry.source == "card":
                entry.path = card
            else:
                entry.board = card
        label = None
        if font is not None:
            label = f"label{index}.txt"
            atomic_write_bytes(folder / label, f"{entry.shot}  {entry.take or entry.source}".encode())
        inputs += ["-i", str(Path(entry.path).resolve())]  # type: ignore[arg-type]
        if entry.source == "take":
            board_input = None
            if entry.held:
                extra.append(str(Path(entry.board).resolve()))  # type: ignore[arg-type]
                board_input = len(plan) + len(extra) - 1
            chains.append(graph.take(index, entry, label, board_input))
        else:
            chains.append(graph.still(index, entry, label))
    for path in extra:
        inputs += ["-i", path]
    return ReelGraph(graph, inputs, chains, len(plan), film.start_frame)


# -- rendering ------------------------------------------------------------------------------------

def render_animatic(film: Film, output: str | os.PathLike, burn_in: bool = True,
                    audio: str | os.PathLike | None = None, progress: ProgressCallback | None = None,
                    *, preset: str = PRESET, crf: int = CRF, threads: int | None = None) -> AnimaticResult:
    """Render the film's reel to ``output`` (H.264 MP4, yuv420p, AAC sound) and return what was done.

    At the film's exact rate and resolution: the chosen take of each shot (trimmed per selects,
    conformed to the shot's frames), else its board held for the shot (a card when it has none),
    letterboxed; ``burn_in`` draws the shot id, take and record timecode; ``audio`` is a temp track
    (cut or padded to the film), else silence. ``progress(frame, total, message)`` follows ffmpeg.
    Everything is checked before rendering; the file is written atomically and probed: it has
    exactly the cut's frames. Raises :class:`AnimaticError` / :class:`MediaError`.
    """
    started = time.monotonic()
    progress = progress or no_progress
    output = Path(output)
    width, height = film.resolution
    plan = plan_animatic(film)
    total = sum(entry.frames for entry in plan)
    if total <= 0:
        raise AnimaticError("the film has no shots to render", file=film.source)
    if width % 2 or height % 2:
        raise AnimaticError(f"resolution {width}x{height} must be even for H.264", file=film.source)
    audio_path = Path(audio) if audio is not None else None
    if audio_path is not None:
        if not audio_path.is_file():
            raise AnimaticError("no such audio file", file=audio_path)
        if not _has_audio(audio_path):
            raise AnimaticError("has no audio stream ffmpeg can read", file=audio_path)
    notes = [f"shot {e.shot}: {n}" for e in plan for n in e.notes]
    with tempfile.TemporaryDirectory(prefix="shotreel-animatic-") as scratch:
        folder = Path(scratch)
        reel = reel_graph(film, plan, folder, burn_in, notes)
        inputs, chains = reel.inputs, reel.chains
        audio_index = reel.next_input
        samples = round(Fraction(total) / film.fps * SAMPLE_RATE)
        if audio_path is not None:
            inputs += ["-i", str(audio_path.resolve())]
            chains.append(f"[{audio_index}:a:0]aresample={SAMPLE_RATE},apad=whole_len={samples},"
                          f"atrim=end_sample={samples}[aout]")
        else:
            chains.append(f"anullsrc=r={SAMPLE_RATE}:cl=stereo,atrim=end_sample={samples}[aout]")
        chains.append(reel.concat("vout"))
        script = folder / "graph.txt"
        atomic_write_bytes(script, ";\n".join(chains).encode())
        with atomic_output(output, suffix=".mp4") as tmp:
            cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *inputs,
                   "-/filter_complex", script.name, "-map", "[vout]", "-map", "[aout]",
                   "-frames:v", str(total), "-r", ffmpeg_rate(film.fps), "-fps_mode", "cfr",
                   "-c:v", "libx264", "-preset", preset, "-crf", str(crf), "-pix_fmt", "yuv420p",
                   "-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709",
                   "-c:a", "aac", "-b:a", "160k", "-movflags", "+faststart"]
            if threads:
                cmd += ["-threads", str(threads)]
            cmd += ["-progress", "pipe:1", "-nostats", str(tmp.resolve())]
            _run(cmd, folder, total, plan, progress)
            made = probe(tmp)
            if made.frames != total:
                raise AnimaticError(f"rendered {made.frames} frames, not the film's {total}; nothing written",
                                    file=output)
    progress(total, total, "animatic done")
    return AnimaticResult(output, total, film.fps, width, height, plan, notes,
                          time.monotonic() - started, audio_path)


def _run(cmd: list[str], folder: Path, total: int, plan: list[AnimaticShot],
         progress: ProgressCallback) -> None:
    """Run ffmpeg in ``folder``, reporting each ``frame=`` line with the shot it falls in."""
    starts = [(e.record_in, e.shot) for e in plan]
    current = 0

    def on_frame(frame: int) -> None:
        nonlocal current
        while current + 1 < len(starts) and starts[current + 1][0] <= frame:
            current += 1
        progress(min(frame, total - 1), total, f"shot {starts[current][1]}")

    failed = run_ffmpeg(cmd, folder, on_frame)
    if failed is not None:
        raise AnimaticError(f"ffmpeg could not render the animatic: {failed}")
