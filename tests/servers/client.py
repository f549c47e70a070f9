"""Helpers for driving a provider client against a fake server in tests.

``board(path, w, h)`` draws a board image; ``request(...)`` builds a :class:`GenerationRequest` (a take),
``image_request(...)`` one of kind ``"image"`` (a still, with reference images);
``wait(provider, handle)`` polls until the job finishes; ``run(provider, request, dest)`` does
submit → poll → fetch; ``expect(error_type, fn, *args)`` calls ``fn``, checks the raised error's type and
that no known secret appears in its ``str()``/``repr()``; ``assert_clean(obj)`` checks any text.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import imageio_ffmpeg
from PIL import Image, ImageDraw
from shotreel.generation.base import GenerationError, GenerationRequest, JobHandle, JobStatus

from . import fal, kling, luma, replicate, runway

SECRETS = [
    runway.KEY,
    luma.KEY,
    fal.KEY,
    replicate.KEY,
    kling.ACCESS_KEY,
    kling.SECRET_KEY,
    fal.KEY.split(":")[1],
    replicate.WEBHOOK_SECRET,
]


ENV_KEYS = {
    "runway": ("RUNWAYML_API_SECRET",),
    "luma": ("LUMAAI_API_KEY",),
    "kling": ("KLING_ACCESS_KEY", "KLING_SECRET_KEY"),
    "fal": ("FAL_KEY",),
    "replicate": ("REPLICATE_API_TOKEN",),
    "comfyui": (),
}


def connect(dialect: str, server: Any, **options: Any) -> Any:
    """The ``dialect`` provider client pointed at ``server`` with its credentials (poll every 10 ms)."""
    module = importlib.import_module(f"shotreel.generation.providers.{dialect}")
    if dialect == "kling":
        credentials = {"access_key": server.access_key, "secret_key": server.secret_key}
    elif dialect == "comfyui":
        credentials = {}
    else:
        credentials = {"api_key": server.api_key}
    return module.create(**{"base_url": server.url, "poll_interval": 0.01, **credentials, **options})


def assert_clean(*objects: Any) -> None:
    """Fail if any secret (key, secret, Authorization value) appears in the objects' str/repr."""
    for obj in objects:
        for text in (str(obj), repr(obj)):
            for secret in SECRETS:
                assert secret not in text, f"a secret leaked into {type(obj).__name__}: {text[:200]}"
            if isinstance(obj, BaseException):
                assert "Bearer " + "ey" not in text  # a Kling JWT


def expect(
    error_type: type[GenerationError], fn: Callable[..., Any], *args: Any, **kwargs: Any
) -> GenerationError:
    """Call ``fn``; it must raise ``error_type`` (exactly that class) with a clean message. Returns it."""
    try:
        fn(*args, **kwargs)
    except GenerationError as exc:
        assert_clean(exc, *exc.args)
        assert type(exc) is error_type, f"expected {error_type.__name__}, got {type(exc).__name__}: {exc}"
        return exc
    raise AssertionError(f"{getattr(fn, '__name__', fn)} did not raise {error_type.__name__}")


def board(path: Path, width: int = 1280, height: int = 720, fmt: str | None = None) -> Path:
    """Draw a simple board still (format from the suffix unless ``fmt``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.new("RGB", (width, height), (40, 60, 90))
    draw = ImageDraw.Draw(image)
    draw.rectangle((width // 4, height // 4, 3 * width // 4, 3 * height // 4), fill=(220, 180, 60))
    image.save(path, format=fmt)
    return path


def request(
    start: Path | None,
    *,
    prompt: str = "An astronaut walks through a greenhouse",
    take: str = "sh010-t1",
    shot: str = "sh010",
    provider: str = "runway",
    model: str = "",
    frames: int = 96,
    fps: int = 24,
    width: int = 1280,
    height: int = 720,
    end: Path | None = None,
    seed: int | None = 7,
    negative: str = "",
    client_id: str | None = None,
    **extra: Any,
) -> GenerationRequest:
    """A request for one take of ``shot`` (4 s at 24 fps by default); its client id is ``take`` unless given
    (as the scheduler would send a unique one)."""
    return GenerationRequest(
        take_id=take,
        shot_id=shot,
        provider=provider,
        model=model,
        prompt=prompt,
        duration_frames=frames,
        fps=Fraction(fps),
        width=width,
        height=height,
        negative_prompt=negative,
        start_image=start,
        end_image=end,
        seed=seed,
        extra=extra,
        client_id=take if client_id is None else client_id,
    )


def wait(provider: Any, handle: JobHandle, timeout: float = 10.0, states: list | None = None) -> JobStatus:
    """Poll every ``provider.poll_interval`` until the job finishes; record raw states in ``states``."""
    deadline = time.monotonic() + timeout
    while True:
        status = provider.poll(handle)
        assert_clean(status.failure, status.raw)
        if states is not None and (not states or states[-1] != status.raw_status):
            states.append(status.raw_status)
        if status.state.finished:
            return status
        if time.monotonic() > deadline:
            raise AssertionError(f"job {handle.job_id} still {status.raw_status} after {timeout} s")
        time.sleep(provider.poll_interval)


def run(
    provider: Any, req: GenerationRequest, destination: Path, timeout: float = 10.0
) -> tuple[JobStatus, Path]:
    """submit → poll → fetch; returns the final status and the written file."""
    handle = provider.submit(req)
    assert_clean(handle.data, handle.job_id)
    status = wait(provider, handle, timeout)
    assert status.failure is None, status.failure
    return status, provider.fetch(handle, status, destination)


def frames_and_fps(path: Path) -> tuple[int, float, tuple[int, int]]:
    """(frame count, fps, size) read by ffmpeg — proves the file is a complete, readable MP4."""
    reader = imageio_ffmpeg.read_frames(str(path))
    meta = next(reader)
    next(reader)  # decodes a first frame
    reader.close()
    count, _ = imageio_ffmpeg.count_frames_and_secs(str(path))
    return count, float(meta["fps"]), tuple(meta["size"])


def image_request(
    references: tuple[Path, ...] | list[Path] = (),
    *,
    prompt: str = "Mara in the greenhouse, three-quarter view",
    take: str = "sh010-b1",
    shot: str = "sh010",
    provider: str = "comfyui",
    model: str = "",
    width: int = 1280,
    height: int = 720,
    start: Path | None = None,
    seed: int | None = 7,
    negative: str = "",
    client_id: str | None = None,
    **extra: Any,
) -> GenerationRequest:
    """A request for one still (a generated board or an asset's view) of ``width``×``height`` with
    ``references``; its client id is ``take`` unless given."""
    return GenerationRequest(
        take_id=take,
        shot_id=shot,
        provider=provider,
        model=model,
        prompt=prompt,
        duration_frames=0,
        fps=Fraction(24),
        width=width,
        height=height,
        negative_prompt=negative,
        start_image=start,
        reference_images=tuple(references),
        seed=seed,
        extra=extra,
        client_id=take if client_id is None else client_id,
        kind="image",
    )


def still_info(path: Path) -> tuple[str, tuple[int, int]]:
    """(format, size) of a still as Pillow reads it (it must be a complete image)."""
    with Image.open(path) as image:
        image.load()
        return (image.format or "").lower(), image.size
