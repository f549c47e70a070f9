"""Export the finished film: title, AI-use disclosure, the cut, credits, the mix, captions, a credential.

Presets (``export_film(film, preset=…)``):

- ``web``: H.264 + AAC in MP4 at the film's size and exact rate (24000/1001 stays exact), the mix
  loudness-normalised (:func:`shotreel.finishing.mix.mix_film` when it is installed, else silence of the
  exact length), captions beside it (``.srt``/``.vtt``, shifted by the cards before the cut), the file's
  title/comment/description tags stating the disclosure, and the C2PA credential when a signer is given.
- ``review``: the same with burnt-in shot ids, take, record timecode and captions.
- ``master``: ProRes 422 HQ (10-bit 4:2:2) + 24-bit PCM in MOV, with the film's start timecode.

The picture is exactly the animatic's reel (:func:`shotreel.animatic.reel_graph`, frame-exact from
:mod:`shotreel.conform`) with the title card and the disclosure card before it and the credits after it,
all in one ffmpeg run: the file has ``title + disclosure + reel + credits`` frames, checked by reading it
back (the file's box index, in-process: no decoding). Its loudness is measured after the fact in that same
run (ITU-R BS.1770, ffmpeg's ``ebur128`` on the whole sound as it goes into the encoder, cards' silence
included): no second decode of the file. A mix made beforehand (``mix=``, as ``shotreel build`` passes
its own) is used as it is, so the film is mixed once. Everything is made
in a scratch folder beside the output and moved into place only when all of it succeeded: a failed export
leaves nothing.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

from .. import timing
from ..animatic import CRF, PRESET, SAMPLE_RATE, AnimaticError, plan_animatic, reel_graph
from ..drawing import FONT_DIR
from ..errors import ShotreelError
from ..fsutil import atomic_write_bytes, move_into_place
from ..media import ffmpeg_exe, ffmpeg_rate, probe, run_ffmpeg
from ..model import Film
from ..progress import ProgressCallback, no_progress
from .credentials import Signing, embed_credential

if TYPE_CHECKING:
    from .mix import MixResult
from .disclosure import Disclosure, disclose, disclosure_card
from .provenance import generation_used
from .titles import Card, credits_card, title_card

PRESETS = ("web", "review", "master")
SUFFIX = {"web": ".mp4", "review": ".mp4", "master": ".mov"}
NAMES = {"web": "film", "review": "film-review", "master": "film-master"}
WEB_LOUDNESS = -14.0


class ExportError(ShotreelError):
    """The film cannot be exported (a bad preset, an ffmpeg failure, a wrong frame count)."""


@dataclass
class ExportResult:
    """What an export wrote: the film, its frames (each part), its sound, captions and credential."""

    path: Path
    preset: str
    fps: Fraction
    width: int
    height: int
    reel_frames: int
    title_frames: int
    disclosure_frames: int
    credits_frames: int
    frames: int
    loudness: float | None
    mixed: bool
    disclosure: Disclosure
    captions: list[Path] = field(default_factory=list)
    credential: str = "none"
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def lead_frames(self) -> int:
        return self.title_frames + self.disclosure_frames


def default_output(film: Film, preset: str) -> Path:
    """``DIR/edit/film.mp4`` (web), ``film-review.mp4``, ``film-master.mov``."""
    root = film.root if film.root is not None else Path.cwd()
    return root / "edit" / f"{NAMES[preset]}{SUFFIX[preset]}"


# -- the optional parts made by shotreel.finishing.mix and .captions ------------------------------

def _mix(film: Film, folder: Path, loudness: float, progress: ProgressCallback):
    """The mix as a WAV exactly the cut's length, or ``None`` where the mix is not installed."""
    try:
        from .mix import mix_film
    except ImportError:
        return None
    return mix_film(film, folder / "mix.wav", loudness=loudness, progress=progress)


def _check_mix(mix: MixResult, film: Film, reel_frames: int) -> None:
    """Refuse a mix made beforehand (``export_film(mix=…)``) that is not exactly the cut's length."""
    from .audio import frame_sample
    if not Path(mix.path).is_file():
        raise ExportError("the mix given to the export is not there", file=str(mix.path))
    if mix.samples != frame_sample(reel_frames, film.fps):
        raise ExportError(f"the mix runs {mix.samples} samples, the cut {frame_sample(reel_frames, film.fps)}; "
                          "mix the film again", file=str(mix.path))


def _captions(film: Film, folder: Path, voices=None, warnings: list[str] | None = None) -> list[Path]:
    """The SRT/VTT files of the dialogue (none where captions are not installed or nothing is said); the
    caption rules' warnings (a line too long, too fast …) are added to ``warnings``."""
    try:
        from .captions import write_captions
    except ImportError:
        return []
    result = write_captions(film, folder, voices)
    if warnings is not None:
        warnings += [str(w) for w in getattr(result, "warnings", []) if str(w) not in warnings]
    found: list[Path] = []
    values = vars(result).values() if hasattr(result, "__dict__") else [result]
    for value in values:
        for item in value if isinstance(value, (list, tuple)) else [value]:
            if isinstance(item, (str, os.PathLike)) and Path(item).suffix.lower() in (".srt", ".vtt") \
                    and Path(item).is_file():
                found.append(Path(item))
    return found


_STAMP = re.compile(r"(\d{2,}):(\d{2}):(\d{2})([,.])(\d{3})")


def shift_captions(text: str, offset_ms: int) -> str:
    """SRT or WebVTT text with every cue time moved ``offset_ms`` later (the cards before the cut)."""
    def move(match: re.Match) -> str:
        h, m, s, sep, ms = match.groups()
        total = ((int(h) * 60 + int(m)) * 60 + int(s)) * 1000 + int(ms) + offset_ms
        return (f"{total // 3_600_000:02d}:{total // 60_000 % 60:02d}:{total // 1000 % 60:02d}"
                f"{sep}{total % 1000:03d}")
    return _STAMP.sub(move, text)


# -- ffmpeg ---------------------------------------------------------------------------------------

def _escape_path(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'").replace(":", "\\:") + "'"


def _encode(cmd: list[str], folder: Path, total: int, progress: ProgressCallback) -> None:
    failed = run_ffmpeg(cmd, folder, lambda frame: progress(min(frame, total - 1), total, "encoding"))
    if failed is not None:
        raise ExportError(f"ffmpeg could not export the film: {failed}")


LOUDNESS_LOG = "loudness.txt"
"""Where the encode's ``ebur128`` writes the integrated loudness so far, one line per 100 ms of sound."""
_LOUDNESS_TAP = f"ebur128=framelog=quiet:metadata=1,ametadata=mode=print:key=lavfi.r128.I:file={LOUDNESS_LOG}"


def _encoded_loudness(folder: Path) -> float | None:
    """The integrated loudness the encode measured of the whole sound it encoded (the last line of
    :data:`LOUDNESS_LOG`); ``None`` when silent (at or below the −70 LUFS gate)."""
    try:
        text = (folder / LOUDNESS_LOG).read_text(errors="replace")
    except OSError:
        return None
    found = re.findall(r"lavfi\.r128\.I=(-?[\d.]+|-?inf|nan)", text)
    if not found or found[-1] in ("-inf", "inf", "nan") or float(found[-1]) <= -70.0:
        return None
    return float(found[-1])


def measure_loudness(path: Path) -> float | None:
    """The integrated loudness of ``path``'s sound in LUFS (``None``: silent, below the −70 LUFS gate)."""
    run = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-nostats", "-i", str(path), "-map", "0:a:0",
                          "-af", "ebur128=framelog=quiet", "-f", "null", "-"], capture_output=True, text=True,
                         errors="replace", check=False, timeout=600)
    found = re.findall(r"I:\s+(-?[\d.]+|-inf) LUFS", run.stderr)
    if not found or found[-1] == "-inf" or float(found[-1]) <= -70.0:
        return None
    return float(found[-1])


def _codec(preset: str, film: Film) -> list[str]:
    if preset == "master":
        cmd = ["-c:v", "prores_ks", "-profile:v", "3", "-vendor", "apl0", "-pix_fmt", "yuv422p10le",
               "-c:a", "pcm_s24le"]
        tc = timing.format_timecode(film.start_frame, film.fps) if film.fps in timing.RATES.values() else None
        return cmd + (["-timecode", tc] if tc else [])
    return ["-c:v", "libx264", "-preset", PRESET, "-crf", str(CRF - 2), "-pix_fmt", "yuv420p",
            "-c:a", "aac", "-b:a", "192k", "-movflags", "+faststart"]


def export_film(film: Film, preset: str = "web", output: str | os.PathLike | None = None,
                signing: Signing | None = None, loudness: float = WEB_LOUDNESS,
                progress: ProgressCallback | None = None, mix: MixResult | None = None,
                sound: bool = True) -> ExportResult:
    """Export ``film`` with ``preset`` (``web``, ``review``, ``master``) to ``output`` (default
    :func:`default_output`) and return what was written (see the module doc). ``signing`` embeds a C2PA
    credential (:mod:`shotreel.finishing.credentials`); ``loudness`` is the mix's target in LUFS.
    ``mix`` is a :class:`~shotreel.finishing.mix.MixResult` made already (``shotreel build`` made one), used
    as it is instead of mixing again; it must be exactly the cut's length. ``sound=False`` makes a silent
    film (silence of its exact length, no voices, no captions).
    ``progress(done, total, message)`` follows the mix and the encode. Raises :class:`ExportError`,
    :class:`~shotreel.finishing.credentials.CredentialError` or the mix's errors; nothing is written then.
    """
    started = time.monotonic()
    progress = progress or no_progress
    if preset not in PRESETS:
        raise ExportError(f"unknown preset {preset!r}; use one of {', '.join(PRESETS)}")
    width, height = film.resolution
    if width % 2 or height % 2:
        raise ExportError(f"resolution {width}x{height} must be even to encode", file=film.source)
    output = Path(output) if output is not None else default_output(film, preset)
    if output.suffix.lower() != SUFFIX[preset]:
        raise ExportError(f"the {preset} preset writes a {SUFFIX[preset]} file, not {output.suffix or 'no suffix'}",
                          file=str(output))
    plan = plan_animatic(film)
    reel_frames = sum(entry.frames for entry in plan)
    if reel_frames <= 0:
        raise ExportError("the film has no shots to export", file=film.source)
    generation = generation_used(film)
    warnings = list(generation.warnings)
    notes = [f"shot {e.shot}: {n}" for e in plan for n in e.notes]
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".shotreel-export-", dir=output.parent) as scratch:
        folder = Path(scratch)
        if mix is not None:
            _check_mix(mix, film, reel_frames)
        elif sound:
            mix = _mix(film, folder, loudness, lambda d, t, m: progress(0, 1, f"mix: {m}"))
        spoken = [(c.shot, getattr(c, "maker", "eSpeak NG"), getattr(c, "trained", False))
                  for c in mix.voices.clips] if mix is not None else []
        if mix is not None:
            warnings += [w for w in mix.warnings if w not in warnings]
        disclosure = disclose(film, generation, voices=spoken)
        head: list[Card] = [title_card(film), disclosure_card(film, disclosure)]
        tail: list[Card] = [credits_card(film, generation, disclosure.credit_line())]
        lead = sum(c.frames for c in head)
        total = lead + reel_frames + sum(c.frames for c in tail)

        reel = reel_graph(film, plan, folder, preset == "review", notes)
        graph, inputs, chains = reel.graph, reel.inputs, reel.chains
        chains.append(reel.concat("reel"))
        labels: list[str] = []
        for card in head + tail:
            image = folder / f"{card.name}.png"
            card.image.save(image, format="PNG", compress_level=1)
            index = len(inputs) // 2
            inputs += ["-i", image.name]
            chains.append(f"[{index}:v]{graph.fit()},loop=loop={card.frames - 1}:size=1:start=0,"
                          f"settb=expr={graph.tb},setpts=N[{card.name}]")
            labels.append(f"[{card.name}]")
        order = labels[:len(head)] + ["[reel]"] + labels[len(head):]
        picture = f"{''.join(order)}concat=n={len(order)}:v=1:a=0,settb=expr={graph.tb},setpts=N"

        offset_ms = round(Fraction(lead) / film.fps * 1000)
        captions: list[tuple[Path, Path]] = []
        said = _captions(film, folder / "captions", mix.voices if mix is not None else None, warnings) \
            if sound else []
        for path in said:
            shifted = folder / f"{output.stem}{path.suffix.lower()}"
            atomic_write_bytes(shifted, shift_captions(path.read_text(encoding="utf-8"), offset_ms).encode())
            captions.append((shifted, output.with_name(shifted.name)))
        srt = next((s for s, _ in captions if s.suffix == ".srt"), None)
        if preset == "review" and srt is not None:
            picture += (f",subtitles=filename={srt.name}:fontsdir={_escape_path(str(FONT_DIR))}:"
                        "force_style='FontName=Noto Sans'")
        chains.append(picture + "[vout]")

        def samples_at(frame: int) -> int:
            return round(Fraction(frame) / film.fps * SAMPLE_RATE)
        lead_s, reel_s = samples_at(lead), samples_at(lead + reel_frames) - samples_at(lead)
        tail_s = samples_at(total) - samples_at(lead + reel_frames)
        silence = f"anullsrc=r={SAMPLE_RATE}:cl=stereo,atrim=end_sample="
        if mix is not None:
            index = len(inputs) // 2
            inputs += ["-i", str(Path(mix.path).resolve())]
            body = (f"[{index}:a:0]aresample={SAMPLE_RATE},aformat=channel_layouts=stereo,"
                    f"apad=whole_len={reel_s},atrim=end_sample={reel_s}")
        else:
            body = f"{silence}{reel_s}"
        chains.append(f"{silence}{max(lead_s, 1)}[alead];\n{body}[abody];\n{silence}{max(tail_s, 1)}[atail];\n"
                      f"[alead][abody][atail]concat=n=3:v=0:a=1,atrim=end_sample={samples_at(total)},"
                      f"{_LOUDNESS_TAP}[aout]")
        script = folder / "graph.txt"
        atomic_write_bytes(script, ";\n".join(chains).encode())
        encoded = folder / f"encoded{SUFFIX[preset]}"
        tags = disclosure.metadata()
        cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *inputs,
               "-/filter_complex", script.name, "-map", "[vout]", "-map", "[aout]", "-frames:v", str(total),
               "-r", ffmpeg_rate(film.fps), "-fps_mode", "cfr", *_codec(preset, film),
               "-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709"]
        for key, value in tags.items():
            cmd += ["-metadata", f"{key}={value}"]
        cmd += ["-progress", "pipe:1", "-nostats", encoded.name]
        try:
            _encode(cmd, folder, total, progress)
        except AnimaticError as exc:  # pragma: no cover - reel_graph's own failures
            raise ExportError(exc.message) from None
        made = probe(encoded)
        if made.frames != total:
            raise ExportError(f"exported {made.frames} frames, not {total}; nothing written", file=str(output))
        final = encoded
        credential = "none: no certificate given (--sign-cert and --sign-key, or --test-cert)"
        if signing is not None:
            progress(total, total, "signing the content credential")
            final = folder / f"signed{SUFFIX[preset]}"
            voices = [(clip.shot, Path(clip.path), getattr(clip, "maker", "eSpeak NG"), getattr(clip, "trained", False))
                      for clip in mix.voices.clips] if mix is not None else []
            embed_credential(encoded, final, tags["title"], generation, disclosure, signing, voices)
            credential = f"signed by {signing.subject}" + (" (TEST certificate)" if signing.test else "")
        measured = _encoded_loudness(folder)
        for shifted, target in captions:
            move_into_place(shifted, target)
        move_into_place(final, output)
        shutil.rmtree(folder / "captions", ignore_errors=True)
    progress(total, total, "export done")
    return ExportResult(output, preset, film.fps, width, height, reel_frames, head[0].frames, head[1].frames,
                        tail[0].frames, total, measured, mix is not None, disclosure,
                        [target for _, target in captions], credential, warnings, notes,
                        time.monotonic() - started)
