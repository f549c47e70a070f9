"""The offline provider: a take rendered from the board still with the shot's camera movement.

No account, no network, no cost: ffmpeg (from the ``imageio-ffmpeg`` wheel) moves a virtual camera
over the start board — push in, pull out, pan left / right, tilt up / down or static — for exactly
``duration_frames`` frames at the request's fps and size, as H.264 (yuv420p) MP4.

Smoothness: ffmpeg's ``zoompan`` crops on whole input pixels (and, on yuv420p, on even ones), which
makes Ken Burns moves wobble. Here the still is scaled once to twice the output size and split into
its Y, U and V planes, each moved as a grey image (no chroma alignment): one input pixel is half an
output pixel, a zoom's crop has an even width so it stays exactly centred, and every move is eased
in and out. Measured on a line: positions move monotonically, never a step back
(``tests/test_animatic_provider.py``).

On a board card shotreel drew (:func:`shotreel.boards.card_picture` says where its picture is) only
the framing sketch moves, the part a camera would see: it is cropped from the supersampled still,
moved as above and laid back over the still card, so the shot id, the action and the frame's outline
stay put and a push in crops none of them. An artist's board or a host's render moves whole.

``submit`` starts ffmpeg in the background (several renders run at once, up to the number of cores);
``poll`` reports its progress; ``fetch`` moves the finished file to the take's place atomically.

Stills (requests of kind ``"image"``, model ``sketch``): a PNG drawn here with Pillow at the asked size,
plainly labelled as an offline sketch — the owner and view, the prompt's words, the seed and thumbnails
of the reference images (and of the image to edit) — for tests and demos without an account. $0, no
network, and the same bytes for the same request and seed.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import os
import random
import re
import shutil
import subprocess
import tempfile
import threading
import uuid
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from ...boards import card_picture
from ...fsutil import atomic_output
from ...media import MediaError, ffmpeg_exe, ffmpeg_rate, probe
from ..base import (
    BadRequest,
    Capabilities,
    GenerationError,
    GenerationRequest,
    JobHandle,
    JobState,
    JobStatus,
    Provider,
)

NAME = "animatic"
MODEL = "ken-burns"
SKETCH = "sketch"  # the image model: an offline, labelled sketch of what a still would show
MAX_SKETCH_REFERENCES = 8
MAX_SKETCH_PX = 8192
MOVEMENTS = ("static", "push in", "pull out", "pan left", "pan right", "tilt up", "tilt down")
_SYNONYMS = {
    "push": "push in", "push-in": "push in", "dolly in": "push in", "zoom in": "push in",
    "track in": "push in",
    "pull": "pull out", "pull back": "pull out", "dolly out": "pull out", "zoom out": "pull out",
    "track out": "pull out", "pull-out": "pull out",
    "locked off": "static", "locked": "static", "still": "static", "none": "static", "": "static",
}
ZOOM = 1.15
POLL_INTERVAL = 0.1  # seconds between polls of a render (a local ffmpeg process)
TYPICAL_DURATION = 2.0  # seconds a render usually takes (a 5 s take at 1080p on one core), before learning
"""How far a push in / pull out travels, and how much room a pan or tilt has (15 % larger than frame)."""


def normalize_movement(text: str) -> tuple[str, str | None]:
    """The movement the animatic renders for a shot's ``camera.movement``, and a note when it differs.

    Anything not understood renders static, with a note saying so.
    """
    key = " ".join(text.lower().replace("_", " ").replace("-", " ").split())
    if key in MOVEMENTS:
        return key, None
    if key in _SYNONYMS:
        return _SYNONYMS[key], None
    phrases = [(m, m) for m in MOVEMENTS] + [(k, v) for k, v in _SYNONYMS.items() if k]
    for phrase, movement in phrases:  # "slow push in", "pan right to the hatch"
        if re.search(rf"\b{re.escape(phrase)}\b", key):
            return movement, None
    return "static", f"camera movement {text!r} is not one the animatic renders; rendered static"


def _smooth(p: str) -> str:
    """Smoothstep easing of a 0..1 expression."""
    return f"(({p})*({p})*(3-2*({p})))"


def motion_filter(movement: str, frames: int, fps: Fraction, width: int, height: int,
                  zoom: float = ZOOM, picture: tuple[int, int, int, int] | None = None) -> str:
    """The ffmpeg filter graph (``[0:v]`` in, ``[v]`` out) turning one still into ``frames`` frames of
    ``movement`` at ``width`` x ``height`` (even), yuv420p.

    Moving shots scale the still once to twice the output size, split it into its Y, U and V planes
    and move a ``zoompan`` crop over each plane as a grey image, so no chroma alignment rounds the
    crop: positions step in half output pixels, and a zoom's crop stays exactly centred.

    With ``picture`` (left, top, right, bottom in output pixels, all even; right and bottom
    exclusive) only that part moves, as a shot of its own, laid over the rest of the still, which
    stays as it is: a board card's framing sketch moves, its words do not.
    """
    rate, tb = ffmpeg_rate(fps), rate_tb(fps)
    still = (f"scale={width}:{height}:force_original_aspect_ratio=increase:flags=bicubic:"
             f"out_color_matrix=bt709,crop={width}:{height},setsar=1,format=yuv420p,"
             f"loop=loop={frames - 1}:size=1:start=0,settb=expr={tb},setpts=N")
    if movement == "static":
        return f"[0:v]{still}[v]"
    lw, lh = 2 * width, 2 * height  # the luma plane of the supersampled still
    supersampled = (f"scale={lw}:{lh}:force_original_aspect_ratio=increase:flags=bicubic:"
                    f"out_color_matrix=bt709,crop={lw}:{lh},setsar=1,format=yuv420p")
    if picture is None:
        return (f"[0:v]{supersampled}[s];"
                + _moving_planes("s", "v", movement, frames, rate, width, height, zoom))
    x0, y0, x1, y1 = picture
    return (f"[0:v]split[c][p];[c]{still}[still];"
            f"[p]{supersampled},crop={2 * (x1 - x0)}:{2 * (y1 - y0)}:{2 * x0}:{2 * y0}[s];"
            + _moving_planes("s", "moved", movement, frames, rate, x1 - x0, y1 - y0, zoom)
            + f";[still][moved]overlay=x={x0}:y={y0}:format=yuv420,setsar=1[v]")


def _moving_planes(source: str, target: str, movement: str, frames: int, rate: str, width: int, height: int,
                   zoom: float) -> str:
    """Filters moving ``movement`` over ``[source]`` (yuv420p, ``2*width`` x ``2*height``) plane by plane
    into ``frames`` frames of ``[target]`` at ``width`` x ``height``."""
    lw, lh = 2 * width, 2 * height
    p = _smooth(f"on/{max(frames - 1, 1)}")
    if movement in ("push in", "pull out"):
        s = p if movement == "push in" else f"(1-{p})"
        crop_w = f"(2*round({lw}/(1+{zoom - 1:.6f}*{s})/2))"  # even, so the centred offset is whole
        z = f"({lw}/({crop_w}+0.001))"
        x_travel, y_travel = f"({lw}-{crop_w})/2", f"({lh}-{lh}/{z})/2"
    else:
        z = f"{zoom:.6f}"
        free_x, free_y = f"({lw}-{lw}/{z})", f"({lh}-{lh}/{z})"
        x_travel, y_travel = {
            "pan right": (f"{free_x}*{p}", f"{free_y}/2"), "pan left": (f"{free_x}*(1-{p})", f"{free_y}/2"),
            "tilt down": (f"{free_x}/2", f"{free_y}*{p}"), "tilt up": (f"{free_x}/2", f"{free_y}*(1-{p})"),
        }[movement]

    def plane(label: str, div: int) -> str:
        return (f"[{label}]zoompan=z='{z}':x='round({x_travel}/{div})':y='round({y_travel}/{div})':"
                f"d={frames}:s={width // div}x{height // div}:fps={rate}[{label}o]")

    y, u, v = (f"{source}{c}" for c in "yuv")
    return (f"[{source}]extractplanes=y+u+v[{y}][{u}][{v}];{plane(y, 1)};{plane(u, 2)};{plane(v, 2)};"
            f"[{y}o][{u}o][{v}o]mergeplanes=map0s=0:map0p=0:map1s=1:map1p=0:map2s=2:map2p=0:format=yuv420p,"
            f"setsar=1[{target}]")


def picture_on_output(picture: tuple[int, int, int, int], still: tuple[int, int],
                      output: tuple[int, int]) -> tuple[int, int, int, int] | None:
    """Where ``picture`` (a box on a still of size ``still``) lands on an ``output`` frame the still is
    scaled to cover and centred on (as :func:`motion_filter` does), shrunk to even edges; ``None``
    when too little of it is left to move."""
    (cw, ch), (width, height) = still, output
    sw, sh = max(width, round(height * cw / ch)), max(height, round(width * ch / cw))  # ffmpeg's "increase"
    ox, oy = (sw - width) // 2, (sh - height) // 2
    x0, y0, x1, y1 = picture
    left, top = 2 * math.ceil((x0 * sw / cw - ox) / 2), 2 * math.ceil((y0 * sh / ch - oy) / 2)
    right, bottom = 2 * math.floor((x1 * sw / cw - ox) / 2), 2 * math.floor((y1 * sh / ch - oy) / 2)
    left, top, right, bottom = max(0, left), max(0, top), min(width, right), min(height, bottom)
    return (left, top, right, bottom) if right - left >= 16 and bottom - top >= 16 else None


def rate_tb(fps: Fraction) -> str:
    """The time base of one frame at ``fps`` (``1001/24000``)."""
    tb = 1 / Fraction(fps)
    return f"{tb.numerator}/{tb.denominator}"


@dataclass
class _Job:
    process: subprocess.Popen | None
    part: Path
    output: Path
    log: Path
    progress: Path
    frames: int
    shot: str


class AnimaticProvider(Provider):
    """Renders takes locally from board stills (see the module docstring)."""

    name = NAME
    needs_network = False

    def __init__(self, *, preset: str = "ultrafast", crf: int = 20, threads: int = 1, zoom: float = ZOOM,
                 work_dir: str | Path | None = None, max_concurrency: int | None = None,
                 poll_interval: float | None = None):
        self.preset, self.crf, self.threads, self.zoom = preset, int(crf), int(threads), float(zoom)
        self._work_dir = Path(work_dir) if work_dir else None
        self._own_dir = work_dir is None
        self._concurrency = max_concurrency or max(1, os.cpu_count() or 1)
        self.poll_interval = float(poll_interval) if poll_interval else POLL_INTERVAL
        self.typical_duration = TYPICAL_DURATION
        self.typical_image_duration = 0.005  # a sketch is drawn while it is submitted
        self._jobs: dict[str, _Job] = {}
        self._lock = threading.Lock()  # the scheduler may submit and fetch from several threads

    # -- what it accepts ------------------------------------------------------------------------
    def capabilities(self, model: str) -> Capabilities:
        if model == SKETCH:
            return Capabilities(supports_seed=True, durations_s=(), max_duration_s=0.0, max_prompt_chars=1_000_000,
                                aspect_range=(0.1, 10.0), min_image_px=2, max_image_bytes=1 << 30,
                                image_formats=("png", "jpeg", "webp", "bmp", "tiff", "gif"),
                                max_concurrency=self._concurrency, max_reference_images=MAX_SKETCH_REFERENCES)
        return Capabilities(supports_end_frame=False, supports_seed=False, durations_s=(),
                            max_duration_s=3600.0, max_prompt_chars=1_000_000, aspect_range=(0.1, 10.0),
                            min_image_px=2, max_image_bytes=1 << 30,
                            image_formats=("png", "jpeg", "webp", "bmp", "tiff", "gif"),
                            max_concurrency=self._concurrency)

    def default_model(self) -> str:
        return MODEL

    def image_models(self) -> tuple[str, ...]:
        return (SKETCH,)

    def _validate_still(self, request: GenerationRequest) -> None:
        shot = request.shot_id
        if request.model != SKETCH:
            raise BadRequest(f"the animatic provider draws stills with model {SKETCH!r}, not {request.model!r}",
                             shot=shot)
        if not (16 <= request.width <= MAX_SKETCH_PX and 16 <= request.height <= MAX_SKETCH_PX):
            raise BadRequest(f"still size {request.width}x{request.height}: each side must be 16 to "
                             f"{MAX_SKETCH_PX} pixels", shot=shot)
        if len(request.reference_images) > MAX_SKETCH_REFERENCES:
            raise BadRequest(f"{len(request.reference_images)} reference images: the sketch takes at most "
                             f"{MAX_SKETCH_REFERENCES}", shot=shot)
        for role, image in [("image to edit", request.start_image)] + [
                ("reference image", p) for p in request.reference_images]:
            if image is None:
                continue
            try:
                with Image.open(image) as im:
                    im.verify()
            except FileNotFoundError:
                raise BadRequest(f"{role} not found", file=image, shot=shot) from None
            except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
                raise BadRequest(f"{role} is not a readable image ({exc})", file=image, shot=shot) from None

    def validate(self, request: GenerationRequest) -> None:
        if request.is_image:
            self._validate_still(request)
            return
        shot = request.shot_id
        if request.start_image is None:
            raise BadRequest("the animatic provider renders from the start board, and this shot has none; "
                             "draw it with `shotreel boards DIR`", shot=shot)
        image = Path(request.start_image)
        if not image.is_file():
            raise BadRequest("start board not found; draw it with `shotreel boards DIR`", file=image,
                             shot=shot)
        try:
            with Image.open(image) as im:
                im.verify()
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
            raise BadRequest(f"start board is not a readable image ({exc}); redraw it", file=image,
                             shot=shot) from None
        if request.duration_frames < 1:
            raise BadRequest(f"duration of {request.duration_frames} frames is too short", shot=shot)
        if request.width < 2 or request.height < 2 or request.width % 2 or request.height % 2:
            raise BadRequest(f"size {request.width}x{request.height} must be even for H.264; "
                             "set the film's resolution to even numbers", shot=shot)
        if request.fps <= 0:
            raise BadRequest(f"fps {request.fps} is not a rate", shot=shot)

    def estimate_cost(self, request: GenerationRequest) -> float:
        return 0.0

    # -- the job --------------------------------------------------------------------------------
    def command(self, request: GenerationRequest, output: Path,
                progress: Path | None = None) -> tuple[list[str], str | None]:
        """The ffmpeg command rendering ``request`` to ``output``, and a note when the movement is not
        one the animatic renders."""
        movement, note = normalize_movement(request.movement)
        chain = motion_filter(movement, request.duration_frames, request.fps, request.width, request.height,
                              self.zoom, None if movement == "static" else self._picture(request))
        cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y"]
        if self.threads:
            cmd += ["-threads", str(self.threads), "-filter_threads", str(self.threads)]
        cmd += ["-i", str(request.start_image), "-filter_complex", chain, "-map", "[v]",
                "-frames:v", str(request.duration_frames), "-r", ffmpeg_rate(request.fps), "-fps_mode", "cfr",
                "-c:v", "libx264", "-preset", self.preset, "-crf", str(self.crf), "-pix_fmt", "yuv420p",
                "-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709",
                "-movflags", "+faststart", "-an"]
        if self.threads:
            cmd += ["-threads", str(self.threads)]
        if progress is not None:
            cmd += ["-progress", str(progress), "-stats_period", "0.25"]
        return cmd + [str(output)], note

    @staticmethod
    def _picture(request: GenerationRequest) -> tuple[int, int, int, int] | None:
        """The part of the start board that moves, in output pixels: a shotreel card's picture
        (its words stay still), or ``None`` (the whole board) for anything else."""
        board = Path(request.start_image) if request.start_image else None
        picture = card_picture(board) if board else None
        if picture is None:
            return None
        with Image.open(board) as image:
            size = image.size
        return picture_on_output(picture, size, (request.width, request.height))

    def _folder(self) -> Path:
        if self._work_dir is None:
            self._work_dir = Path(tempfile.mkdtemp(prefix="shotreel-animatic-"))
        self._work_dir.mkdir(parents=True, exist_ok=True)
        return self._work_dir

    def submit(self, request: GenerationRequest) -> JobHandle:
        self.validate(request)
        if request.is_image:
            return self._submit_still(request)
        job_id = f"animatic-{request.take_id}-{uuid.uuid4().hex[:8]}"
        with self._lock:
            folder = self._folder()
            output = folder / f"{job_id}.mp4"
            part, log, progress = (folder / f"{job_id}.part.mp4", folder / f"{job_id}.log",
                                   folder / f"{job_id}.progress")
            cmd, note = self.command(request, part, progress)
            try:
                with open(log, "wb") as log_handle:
                    process = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                               stderr=log_handle)
            except OSError as exc:
                raise GenerationError(f"ffmpeg could not start: {exc}", shot=request.shot_id) from None
            self._jobs[job_id] = _Job(process, part, output, log, progress, request.duration_frames,
                                      request.shot_id)
        data = {"output": str(output), "frames": request.duration_frames, "shot": request.shot_id,
                "pid": process.pid, "movement": normalize_movement(request.movement)[0]}
        if note:
            data["notes"] = [note]
        return JobHandle(job_id, data)

    def _submit_still(self, request: GenerationRequest) -> JobHandle:
        """Draw the sketch now (a few milliseconds) into the work folder; the job is done when submitted."""
        job_id = f"animatic-{_safe(request.shot_id)}-{_safe(request.take_id)}-{uuid.uuid4().hex[:8]}"
        with self._lock:
            output = self._folder() / f"{job_id}.png"
        seed = sketch_seed(request)
        with atomic_output(output) as tmp:
            draw_sketch(request, seed).save(tmp, format="PNG")
        return JobHandle(job_id, {"output": str(output), "frames": 0, "shot": request.shot_id, "kind": "image",
                                  "seed": seed})

    def _job(self, handle: JobHandle) -> _Job:
        job = self._jobs.get(handle.job_id)
        if job is None:  # another process submitted it (or this one restarted): follow its files
            output = Path(handle.data.get("output", ""))
            job = _Job(None, output.with_suffix(".part.mp4"), output, output.with_suffix(".log"),
                       output.with_suffix(".progress"), int(handle.data.get("frames", 0) or 0),
                       str(handle.data.get("shot", "")))
        return job

    def poll(self, handle: JobHandle) -> JobStatus:
        job = self._job(handle)
        raw = {"notes": list(handle.data.get("notes", []))}
        done = JobStatus(JobState.SUCCEEDED, 1.0, "done", [str(job.output)], cost=0.0, raw=raw)
        if job.output.is_file():
            return done
        if job.process is None:  # submitted by an earlier process: its ffmpeg may still be at work
            if _alive(handle.data.get("pid"), job.part):
                return JobStatus(JobState.RUNNING, self._progress(job), "rendering", raw=raw)
            if job.part.is_file() and _complete(job.part, job.frames):
                os.replace(job.part, job.output)
                return done
            return JobStatus(JobState.FAILED, None, "lost", failure=GenerationError(
                "the local render was interrupted before it finished; render the take again", shot=job.shot),
                raw=raw)
        code = job.process.poll()
        if code is None:
            return JobStatus(JobState.RUNNING, self._progress(job), "rendering", raw=raw)
        if code == 0 and job.part.is_file():
            os.replace(job.part, job.output)
            with contextlib.suppress(OSError):
                job.progress.unlink()
            return done
        message = _last_line(job.log)
        return JobStatus(JobState.FAILED, None, f"ffmpeg exit {code}", failure=GenerationError(
            f"ffmpeg could not render the take: {message}", shot=job.shot), raw=raw)

    def _progress(self, job: _Job) -> float | None:
        try:
            text = job.progress.read_text(errors="replace")
        except OSError:
            return None
        frames = [int(line[6:]) for line in text.splitlines()
                  if line.startswith("frame=") and line[6:].isdigit()]
        return min(1.0, frames[-1] / job.frames) if frames and job.frames else None

    def wait(self, handle: JobHandle, timeout: float | None = None) -> JobStatus:
        """Block until the job is finished (for callers without a scheduler) and return its status."""
        job = self._jobs.get(handle.job_id)
        if job is not None and job.process is not None:
            job.process.wait(timeout)
        return self.poll(handle)

    def fetch(self, handle: JobHandle, status: JobStatus, destination: Path, *,
              max_bytes: int | None = None) -> Path:
        job = self._job(handle)
        source = Path(status.result_urls[0]) if status.result_urls else job.output
        if not source.is_file():
            raise GenerationError("the rendered take is missing; render it again", file=source, shot=job.shot)
        destination = Path(destination)
        with atomic_output(destination) as tmp:
            try:
                os.replace(source, tmp)
            except OSError:  # another file system: copy, then drop the render
                shutil.copyfile(source, tmp)
                with contextlib.suppress(OSError):
                    source.unlink()
        for leftover in (job.log, job.progress, job.part):
            with contextlib.suppress(OSError):
                leftover.unlink()
        self._forget(handle.job_id)
        return destination

    def _forget(self, job_id: str) -> None:
        with self._lock:
            self._jobs.pop(job_id, None)
            if self._own_dir and self._work_dir is not None and not self._jobs:
                with contextlib.suppress(OSError):
                    self._work_dir.rmdir()  # a scratch folder this provider made, now empty

    def cancel(self, handle: JobHandle) -> None:
        with self._lock:
            job = self._jobs.pop(handle.job_id, None)
        if job is None:
            return
        if job.process is not None and job.process.poll() is None:
            job.process.terminate()
            try:
                job.process.wait(5)
            except subprocess.TimeoutExpired:
                job.process.kill()
                job.process.wait()
        for leftover in (job.part, job.log, job.progress):
            with contextlib.suppress(OSError):
                leftover.unlink()
        self._forget(handle.job_id)

    def render(self, request: GenerationRequest, destination: Path) -> Path:
        """Render ``request`` straight to ``destination`` (atomically), without the job machinery."""
        self.validate(request)
        with atomic_output(destination) as tmp:
            cmd, _ = self.command(request, tmp)
            run = subprocess.run(cmd, check=False, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                 errors="replace")
            if run.returncode != 0:
                raise MediaError(f"ffmpeg could not render the take: {run.stderr.strip()[-300:]}",
                                 shot=request.shot_id)
        return Path(destination)


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", text)[:40]


def sketch_seed(request: GenerationRequest) -> int:
    """The request's seed, or one derived from what it asks (the same request draws the same sketch)."""
    if request.seed is not None:
        return int(request.seed)
    return int(hashlib.sha256(f"{request.shot_id}/{request.take_id}/{request.prompt}".encode()).hexdigest()[:8], 16)


def draw_sketch(request: GenerationRequest, seed: int) -> Image.Image:
    """The offline sketch of a still: ``request.width`` × ``request.height``, a flat colour chosen by the seed,
    an "OFFLINE SKETCH" band naming the owner and view, the prompt's words, and a row of thumbnails of the
    image to edit and the reference images, each captioned with its file name."""
    from PIL import ImageDraw

    from ...drawing import font

    width, height = request.width, request.height
    rng = random.Random(seed)
    background = tuple(rng.randrange(40, 110) for _ in range(3))
    image = Image.new("RGB", (width, height), background)
    draw = ImageDraw.Draw(image)
    unit = max(8, min(width, height) // 24)
    band = unit * 2
    draw.rectangle((0, 0, width, band), fill=(235, 200, 40))
    view = request.take_id.split("~")[0]  # the view's name (a view made again is ``front~2`` in the ledger)
    titles = (f"OFFLINE SKETCH · {request.shot_id} / {view} · seed {seed} · not made by a model",
              f"OFFLINE SKETCH · {view} · seed {seed} · no model", f"OFFLINE SKETCH · {view}", "OFFLINE SKETCH")
    smallest = max(6, unit * 2 // 3)  # below this a label is too small to read on a sheet: say less instead
    for title in titles:  # the longest label that fits whole at a readable size, on any width
        size = unit
        while size > smallest and font(size, bold=True).getlength(title) > width - unit:
            size -= 1
        if font(size, bold=True).getlength(title) <= width - unit:
            break
    draw.text((unit // 2, band // 2), title, fill=(20, 20, 20), font=font(size, bold=True), anchor="lm")
    for _ in range(6):  # a few shapes, so stills of different seeds differ at a glance
        x, y = rng.randrange(width), rng.randrange(band, height)
        r = rng.randrange(unit, unit * 6)
        shade = tuple(min(255, c + rng.randrange(20, 80)) for c in background)
        draw.ellipse((x - r, y - r, x + r, y + r), outline=shade, width=max(1, unit // 6))
    thumbs = [p for p in ([request.start_image] if request.start_image else []) + list(request.reference_images)]
    thumb_h = height // 4 if thumbs else 0
    text_font = font(max(8, unit * 3 // 4))
    words = " ".join(request.prompt.split())
    line_chars = max(10, int(width / (unit * 0.42)))
    lines, line = [], ""
    for word in words.split(" "):
        if len(line) + len(word) + 1 > line_chars and line:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    if line:
        lines.append(line)
    room = max(1, (height - band - thumb_h - unit) // (unit + unit // 3))
    if len(lines) > room:
        lines = [*lines[:room - 1], lines[room - 1][: max(0, line_chars - 1)] + "…"]
    y = band + unit // 2
    for text in lines:
        draw.text((unit // 2, y), text, fill=(240, 240, 240), font=text_font)
        y += unit + unit // 3
    if thumbs:
        gap = max(2, unit // 3)
        cell = max(8, min(thumb_h - gap * 2 - unit, (width - gap) // len(thumbs) - gap))
        x, top = gap, height - thumb_h + gap
        caption = font(max(6, unit // 2))
        for path in thumbs:
            with Image.open(path) as source:
                thumb = source.convert("RGB")
                thumb.thumbnail((cell, cell))
            image.paste(thumb, (x, top))
            draw.rectangle((x, top, x + thumb.width - 1, top + thumb.height - 1), outline=(235, 200, 40))
            draw.text((x, top + thumb.height + 2), Path(path).name[:24], fill=(240, 240, 240), font=caption)
            x += cell + gap
    return image


def _alive(pid: object, part: Path) -> bool:
    """Whether the ffmpeg ``pid`` of an earlier process is still rendering ``part``."""
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except (OSError, ValueError):
        return False
    cmdline = Path(f"/proc/{pid}/cmdline")
    if cmdline.exists():  # Linux: make sure the pid was not reused by another program
        with contextlib.suppress(OSError):
            return str(part).encode() in cmdline.read_bytes()
    return True


def _complete(part: Path, frames: int) -> bool:
    """Whether a render an earlier process left behind is whole (every frame there)."""
    try:
        return probe(part).frames == frames
    except MediaError:
        return False


def _last_line(log: Path) -> str:
    try:
        lines = [ln.strip() for ln in log.read_text(errors="replace").splitlines() if ln.strip()]
    except OSError:
        return "no log"
    return lines[-1][:300] if lines else "no message"


def create(**options: object) -> AnimaticProvider:
    """The provider, as the registry builds it. Options: ``preset`` (x264, default ultrafast), ``crf``,
    ``threads`` (per render, default 1), ``zoom`` (how far moves travel), ``work_dir`` (where renders
    wait to be fetched), ``max_concurrency`` (default: the number of CPUs), ``poll_interval`` (seconds
    between polls of a render, default 0.1)."""
    known = ("preset", "crf", "threads", "zoom", "work_dir", "max_concurrency", "poll_interval")
    unknown = sorted(k for k in options if k not in known)
    if unknown:
        raise BadRequest(f"the animatic provider has no option {', '.join(unknown)} "
                         f"(it takes {', '.join(known)})")
    return AnimaticProvider(**options)  # type: ignore[arg-type]
