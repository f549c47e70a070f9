"""What the provider clients share: options, keys, model tables, request validation, images, fetch.

A provider module declares its models as :class:`ModelSpec` rows (allowed durations, end-frame support,
prompt length, output ratios, an *estimated* price) and its image rules as :class:`ImageRules`;
:class:`ClientProvider` turns those into :class:`~shotreel.generation.base.Capabilities`, a
``validate()`` that refuses what the provider would refuse before anything is spent, and
``cost_estimate()``: the price and why (the length billed for the shot, the rate), from which
``estimate_cost()`` is derived. Keys come from the option ``api_key`` or the provider's usual environment
variable (``missing_keys()`` names those not set); the base URL from the option ``base_url``, then
``SHOTREEL_<NAME>_BASE_URL``, then the real endpoint.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import io
import math
import mimetypes
import os
import re
import struct
import tempfile
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from stat import S_ISREG
from typing import Any, ClassVar
from urllib.parse import urlsplit

from PIL import Image, UnidentifiedImageError

from ..base import (
    IMAGE,
    RACY_SECONDS,
    VIDEO,
    BadRequest,
    Capabilities,
    CostEstimate,
    GenerationError,
    GenerationRequest,
    JobHandle,
    JobState,
    JobStatus,
    ModerationBlocked,
    Provider,
    ResultExpired,
    file_sha256,
)
from ._http import HttpClient

FRAME_SLACK = 1e-6  # seconds: a shot of exactly 5 s fits a 5 s clip


@dataclass(frozen=True)
class ImageRules:
    """What a provider accepts as an input image (reference §2)."""

    min_px: int = 300  # shortest side
    max_px: int = 8000  # longest side
    aspect: tuple[float, float] = (0.4, 2.5)
    max_bytes: int = 10 * 1024 * 1024
    formats: tuple[str, ...] = ("png", "jpeg", "webp")
    max_pixels: int = 0  # width × height an input may have (0: no limit); larger ones are resized


@dataclass(frozen=True)
class ModelSpec:
    """One model as the provider documents it. Prices are estimates (USD per second of output)."""

    name: str
    durations: tuple[float, ...] = ()  # allowed clip lengths (s); empty: any whole second min_s..max_s
    min_s: float = 1.0
    max_s: float = 10.0
    end_frame: bool = False
    seed: bool = True
    negative_prompt: bool = True
    max_prompt: int = 2000
    ratios: tuple[str, ...] = ()  # allowed output ratios "W:H"; empty: the output follows the image
    needs_image: bool = True
    price_per_s: float = 0.0
    fields: dict[str, Any] = field(default_factory=dict)  # provider-specific (field names, endpoint …)
    kind: str = VIDEO  # IMAGE: a model that makes stills (requests of kind "image")
    max_refs: int = 0  # image models: input images (references, an image to edit) one request may carry
    needs_refs: bool = False  # image models: at least one input image is required (edit-only models)
    price_per_image: float = 0.0  # image models: USD per still
    ref_rules: ImageRules | None = None  # image models: what an input image may be (else the provider's)

    def allowed(self) -> tuple[float, ...]:
        """Every clip length this model makes, shortest first."""
        if self.durations:
            return tuple(sorted(self.durations))
        return tuple(float(s) for s in range(math.ceil(self.min_s), math.floor(self.max_s) + 1))


@dataclass(frozen=True)
class ImageInfo:
    """An input image as read from disk."""

    path: Path
    width: int
    height: int
    format: str
    size: int

    @property
    def mime(self) -> str:
        return f"image/{self.format}"


def usd(amount: float) -> str:
    """``$0.25`` / ``$0.056``: dollars with two decimals, more only when the amount has them."""
    cents = amount * 100
    if abs(cents - round(cents)) < 1e-9:
        return f"${amount:.2f}"
    return "$" + f"{amount:.4f}".rstrip("0")


def format_seconds(values: tuple[float, ...]) -> str:
    """``5 or 10 s`` / ``2 … 10 s`` for messages."""
    text = [f"{v:g}" for v in values]
    if len(text) > 4:
        return f"{text[0]} … {text[-1]} s"
    return (", ".join(text[:-1]) + " or " + text[-1] if len(text) > 1 else text[0]) + " s"


_HEADERS: dict[str, tuple[tuple[int, ...], tuple[int, int, str]]] = {}  # path -> (stat, (w, h, format))
_ENCODED: OrderedDict[str, str] = OrderedDict()  # sha256 of an image's bytes -> its base64
_ENCODED_MAX_CHARS = 64 * 1024 * 1024
_encoded_chars = 0  # the length of every value in _ENCODED, together
_ENCODED_LOCK = threading.Lock()


def _header(path: Path, stat: os.stat_result) -> tuple[int, int, str]:
    """(width, height, format) of an image, read once per version of the file (its stat)."""
    signature = (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)
    key = os.fspath(path)
    known = _HEADERS.get(key)
    if known is not None and known[0] == signature:
        return known[1]
    read_at = time.time_ns()
    found = _png_header(path)
    if found is None:
        with Image.open(path) as image:
            width, height = image.size
            found = (width, height, (image.format or "").lower())
    if read_at - max(stat.st_mtime_ns, stat.st_ctime_ns) > RACY_SECONDS * 1e9:  # see file_sha256
        if len(_HEADERS) >= 4096:
            _HEADERS.clear()
        _HEADERS[key] = (signature, found)
    return found


def _png_header(path: Path) -> tuple[int, int, str] | None:
    """(width, height, "png") from a PNG's signature and IHDR chunk (the first 24 bytes), else None (then
    Pillow reads the file): boards are PNGs, and this is a fifth of what opening them with Pillow costs."""
    with open(path, "rb") as handle:
        head = handle.read(24)
    if len(head) == 24 and head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR":
        width, height = struct.unpack(">II", head[16:24])
        if width and height:
            return width, height, "png"
    return None


def read_image(path: Path, role: str, rules: ImageRules, provider: str, shot: str) -> ImageInfo:
    """Read an input image and check it against ``rules``; raise :class:`BadRequest` naming the fix.

    The image's header is read once per version of the file (the same board checked for every take
    costs one ``stat``).
    """
    path = path if isinstance(path, Path) else Path(path)
    try:
        stat = path.stat()
        if not S_ISREG(stat.st_mode):
            raise FileNotFoundError(path)
    except OSError:
        raise BadRequest(
            f"{provider}: the {role} board {path} does not exist; draw the board "
            f"(shotreel boards) or fix its path",
            shot=shot,
        ) from None
    try:
        width, height, fmt = _header(path, stat)
    except (UnidentifiedImageError, OSError):
        raise BadRequest(
            f"{provider}: the {role} board {path.name} is not a readable image; save it as PNG or JPEG",
            shot=shot,
        ) from None
    fmt = {"jpg": "jpeg", "mpo": "jpeg"}.get(fmt, fmt)
    size = stat.st_size
    names = "/".join(f.upper() for f in rules.formats)
    if fmt not in rules.formats:
        raise BadRequest(
            f"{provider}: the {role} board {path.name} is {fmt.upper() or 'of unknown format'}; "
            f"{provider} takes {names}: save it as PNG or JPEG",
            shot=shot,
        )
    if min(width, height) < rules.min_px:
        raise BadRequest(
            f"{provider}: the {role} board {path.name} is {width}×{height} px; {provider} needs "
            f"at least {rules.min_px} px on the short side: render the board larger",
            shot=shot,
        )
    if max(width, height) > rules.max_px:
        raise BadRequest(
            f"{provider}: the {role} board {path.name} is {width}×{height} px; {provider} takes "
            f"at most {rules.max_px} px per side: render the board smaller",
            shot=shot,
        )
    ratio = width / height
    low, high = rules.aspect
    if not (low - 1e-9 <= ratio <= high + 1e-9):
        raise BadRequest(
            f"{provider}: the {role} board {path.name} has aspect {ratio:.2f}; {provider} takes "
            f"{low:g}–{high:g}: crop the board to the film's frame",
            shot=shot,
        )
    if size > rules.max_bytes:
        raise BadRequest(
            f"{provider}: the {role} board {path.name} is {size / 1e6:.1f} MB; {provider} takes "
            f"at most {rules.max_bytes / 1e6:.1f} MB: save it as JPEG",
            shot=shot,
        )
    return ImageInfo(path, width, height, fmt, size)


def data_uri(info: ImageInfo) -> str:
    """The image as a ``data:image/...;base64,`` URI."""
    return f"data:{info.mime};base64,{raw_base64(info)}"


def image_sha256(info: ImageInfo) -> str:
    """The SHA-256 of the image's bytes (hex)."""
    return file_sha256(info.path)


def raw_base64(info: ImageInfo) -> str:
    """The image's bytes as plain base64 (no ``data:`` prefix).

    Encoded once per content (by SHA-256): the same board sent for every take of a shot, or shared by
    shots, is read and encoded once while it stays the same (up to 64 MB of encodings are kept).
    """
    digest = file_sha256(info.path)
    with _ENCODED_LOCK:
        found = _ENCODED.get(digest)
        if found is not None:
            _ENCODED.move_to_end(digest)
            return found
    data = info.path.read_bytes()
    if hashlib.sha256(data).hexdigest() != digest:  # changed since it was hashed: do not remember it
        return base64.b64encode(data).decode("ascii")
    encoded = base64.b64encode(data).decode("ascii")
    global _encoded_chars
    with _ENCODED_LOCK:
        if digest not in _ENCODED:
            _ENCODED[digest] = encoded
            _encoded_chars += len(encoded)
        while _encoded_chars > _ENCODED_MAX_CHARS and len(_ENCODED) > 1:
            _encoded_chars -= len(_ENCODED.popitem(last=False)[1])
    return encoded


@functools.lru_cache(maxsize=256)
def nearest_ratio(width: int, height: int, ratios: tuple[str, ...], tolerance: float = 0.03) -> str | None:
    """The allowed ``W:H`` ratio closest to ``width:height`` if within ``tolerance`` (relative), else None."""
    want = width / height
    best = min(ratios, key=lambda r: abs(math.log(_ratio(r) / want)))
    return best if abs(_ratio(best) / want - 1) <= tolerance else None


def _ratio(text: str) -> float:
    w, h = text.split(":")
    return int(w) / int(h)


# -- stills: reference images, aspect ratios, tags ----------------------------------------------------
MAX_ASPECT_OFF = 0.15  # an image model's nearest documented ratio may differ this much from the film's frame
IMAGE_MAX_BYTES = 200 * 1024 * 1024  # the most a still may download when the caller gives no limit
_TAG = re.compile(r"[^A-Za-z0-9_]+")
_RESIZED_LOCK = threading.Lock()


def nearest_aspect(width: int, height: int, ratios: tuple[str, ...]) -> tuple[str, float]:
    """The documented ``W:H`` ratio closest to ``width``:``height`` (by log distance) and how far it is off
    (relative, 0.02 = 2 % wider or narrower). Among ratios of the same aspect, the one closest in size."""
    want = width / height

    def distance(r: str) -> tuple[float, float]:
        w, h = (int(v) for v in r.split(":"))
        return round(abs(math.log(w / h / want)), 9), abs(math.log(max(w * h, 1) / max(width * height, 1)))

    best = min(ratios, key=distance)
    return best, abs(_ratio(best) / want - 1)


def aspect_note(width: int, height: int, ratio: str, off: float) -> str:
    """``1920×1080 → 1920:1080 (exact)`` / ``2048×858 (2.39:1) → 1808:768 (2.35:1, 1.4 % narrower)``."""
    if off < 0.0005:
        return f"{width}×{height} → {ratio} (exact)"
    want = width / height
    got = _ratio(ratio)
    way = "wider" if got > want else "narrower"
    return f"{width}×{height} ({want:.2f}:1) → {ratio} ({got:.2f}:1, {off * 100:.1f} % {way})"


def reference_tags(paths: tuple[Path, ...] | list[Path], given: Any = None) -> list[str]:
    """One tag per input image, the way a prompt names it (``@mara``): the ``given`` tags when the request
    carries them (``extra["reference_tags"]``), else the asset's folder (``refs/mara/front.png`` → ``mara``;
    a file directly in ``refs/`` → its stem), made 3–16 letters, digits or underscores starting with a
    letter, and unique (``mara``, ``mara_2``)."""
    tags: list[str] = []
    given = list(given) if isinstance(given, (list, tuple)) else []
    for n, path in enumerate(paths):
        path = Path(path)
        if n < len(given) and given[n]:
            raw = str(given[n])
        else:
            raw = path.parent.name if path.parent.name and path.parent.name.lower() not in ("refs", "boards", "") \
                else path.stem
        tag = _TAG.sub("_", raw).strip("_") or "ref"
        if not tag[0].isalpha():
            tag = "r" + tag
        tag = (tag + "_ref")[:16] if len(tag) < 3 else tag[:16]
        base, k = tag, 2
        while tag in tags:
            suffix = f"_{k}"
            tag = base[: 16 - len(suffix)] + suffix
            k += 1
        tags.append(tag)
    return tags


def _resized_dir() -> Path:
    folder = Path(tempfile.gettempdir()) / f"shotreel-resized-{os.getuid() if hasattr(os, 'getuid') else 'user'}"
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def read_reference(path: Path, role: str, rules: ImageRules, provider: str, shot: str | None) -> ImageInfo:
    """Read an input image of a still (a reference, or the image to edit) and check what cannot be fixed by
    resizing: it exists, it is an image, its aspect and smallest side. :class:`BadRequest` names the file,
    the shot and the provider's limit. Size and format are fixed by :func:`fit_reference`."""
    path = path if isinstance(path, Path) else Path(path)
    try:
        stat = path.stat()
        if not S_ISREG(stat.st_mode):
            raise FileNotFoundError(path)
    except OSError:
        raise BadRequest(f"{provider}: the {role} {path} does not exist: approve an existing view of the asset "
                         "or fix its path", shot=shot, file=path) from None
    try:
        width, height, fmt = _header(path, stat)
        if fmt not in ("png", "jpeg", "jpg", "mpo", "webp"):
            with Image.open(path) as image:  # a format Pillow reads but does not say in the header
                image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise BadRequest(f"{provider}: the {role} {path.name} is not an image (Pillow cannot read it): replace "
                         "it with a PNG or JPEG", shot=shot, file=path) from None
    fmt = {"jpg": "jpeg", "mpo": "jpeg"}.get(fmt, fmt)
    ratio = width / height
    low, high = rules.aspect
    if not (low - 1e-9 <= ratio <= high + 1e-9):
        raise BadRequest(f"{provider}: the {role} {path.name} is {width}×{height} px (aspect {ratio:.2f}); "
                         f"{provider} takes aspects {low:g}–{high:g}: crop it", shot=shot, file=path)
    if min(width, height) < rules.min_px:
        raise BadRequest(f"{provider}: the {role} {path.name} is {width}×{height} px; {provider} needs at least "
                         f"{rules.min_px} px on the short side: use a larger image", shot=shot, file=path)
    return ImageInfo(path, width, height, fmt, stat.st_size)


def _fit_size(width: int, height: int, rules: ImageRules) -> tuple[int, int]:
    scale = 1.0
    if rules.max_px and max(width, height) > rules.max_px:
        scale = rules.max_px / max(width, height)
    if rules.max_pixels and width * height * scale * scale > rules.max_pixels:
        scale = math.sqrt(rules.max_pixels / (width * height))
    if scale >= 1.0:
        return width, height
    return max(1, math.floor(width * scale)), max(1, math.floor(height * scale))


def fit_reference(info: ImageInfo, role: str, rules: ImageRules, provider: str, shot: str | None) -> ImageInfo:
    """``info`` as the provider can take it: the image itself when it fits ``rules``; else a copy resized
    with Pillow (keeping its aspect) to the longest side / pixel count the provider documents, saved as
    PNG — or as JPEG, smaller step by step, when that is still over the provider's byte limit — in a
    private temporary folder (by content, made once). :class:`BadRequest` names the limit when even a
    copy cannot fit."""
    fits_format = info.format in rules.formats
    width, height = _fit_size(info.width, info.height, rules)
    if fits_format and (width, height) == (info.width, info.height) and info.size <= rules.max_bytes:
        return info
    digest = file_sha256(info.path)
    key = hashlib.sha256(f"{digest}:{rules.max_px}:{rules.max_pixels}:{rules.max_bytes}:{rules.formats}"
                         .encode()).hexdigest()[:24]
    folder = _resized_dir()
    for ext, fmt in (("png", "png"), ("jpg", "jpeg")):
        found = folder / f"{key}.{ext}"
        if found.is_file():
            with Image.open(found) as image:
                return ImageInfo(found, image.width, image.height, fmt, found.stat().st_size)
    try:
        with Image.open(info.path) as source:
            source.load()
            image = source.convert("RGBA" if source.mode in ("RGBA", "LA", "P") else "RGB")
    except (UnidentifiedImageError, OSError) as exc:
        raise BadRequest(f"{provider}: the {role} {info.path.name} is not a readable image ({exc})",
                         shot=shot, file=info.path) from None
    candidates: list[tuple[str, dict[str, Any]]] = []
    if "png" in rules.formats:
        candidates.append(("png", {"optimize": False}))
    if "jpeg" in rules.formats:
        candidates += [("jpeg", {"quality": q}) for q in (92, 85)]
    scale = 1.0
    for _ in range(8):
        size = (max(1, math.floor(width * scale)), max(1, math.floor(height * scale)))
        frame = image if size == image.size else image.resize(size, Image.LANCZOS)
        for fmt, options in candidates:
            buffer = io.BytesIO()
            (frame.convert("RGB") if fmt == "jpeg" else frame).save(buffer, format=fmt.upper(), **options)
            if buffer.tell() <= rules.max_bytes and min(size) >= rules.min_px:
                target = folder / f"{key}.{'jpg' if fmt == 'jpeg' else 'png'}"
                with _RESIZED_LOCK:
                    part = target.with_suffix(f".{os.getpid()}.part")
                    part.write_bytes(buffer.getvalue())
                    os.replace(part, target)
                return ImageInfo(target, size[0], size[1], fmt, buffer.tell())
        if min(size) * 0.8 < rules.min_px:
            break
        scale *= 0.8
    names = "/".join(f.upper() for f in rules.formats)
    raise BadRequest(f"{provider}: the {role} {info.path.name} ({info.width}×{info.height} px, "
                     f"{info.size / 1e6:.1f} MB) cannot be made to fit {provider}'s limit of "
                     f"{rules.max_bytes / 1e6:.1f} MB as {names}: use a simpler or smaller image",
                     shot=shot, file=info.path)


class ClientProvider(Provider):
    """Base of the HTTP provider clients: options, key handling, validation, cost, fetch.

    Subclasses set ``name``, ``env_keys``, ``default_base_url``, ``models``, ``default_model_name``,
    ``image_rules``, ``default_poll_interval``, ``default_concurrency`` and implement ``submit``,
    ``poll`` and, where the provider allows, ``cancel`` and ``find_by_client_id``.
    ``poll_interval`` is the advised pause between polls of one job, in seconds; ``typical_duration`` how
    long a job usually runs (where to poll first until the scheduler has learnt it).
    """

    name = ""
    env_keys: tuple[str, ...] = ()
    default_base_url = ""
    models: ClassVar[dict[str, ModelSpec]] = {}
    default_model_name = ""
    default_image_model_name = ""  # the still model used when a request of kind "image" names none
    image_rules = ImageRules()
    default_poll_interval = 5.0
    typical_duration = 60.0  # seconds a job usually runs once started, before this run has seen one
    typical_image_duration: float | None = None  # the same for a still (where the scheduler polls first)
    default_concurrency = 2
    extra_options: tuple[str, ...] = ()
    local_server = False  # a server on the user's own machine or network: results may be at any address

    def __init__(
        self,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        model: str | None = None,
        poll_interval: float | None = None,
        timeout: float | tuple[float, float] | None = None,
        max_concurrency: int | None = None,
        **options: Any,
    ):
        unknown = sorted(set(options) - set(self.extra_options))
        if unknown:
            known = ", ".join(
                sorted(
                    (
                        "base_url",
                        "api_key",
                        "model",
                        "poll_interval",
                        "timeout",
                        "max_concurrency",
                        *self.extra_options,
                    )
                )
            )
            raise BadRequest(f"{self.name}: unknown provider option {unknown[0]!r} (known: {known})")
        env_url = os.environ.get(f"SHOTREEL_{self.name.upper()}_BASE_URL")
        self.base_url = (base_url or env_url or self.default_base_url).rstrip("/")
        self._api_key = api_key if api_key is not None else self._key_from_env()
        self.model = model or self.default_model_name
        self.poll_interval = float(poll_interval if poll_interval is not None else self.default_poll_interval)
        self.concurrency = int(max_concurrency or self.default_concurrency)
        self.options = options
        self.http = HttpClient(
            self.name, auth_headers=self._auth_for_request, secrets=self._secrets, timeout=timeout,
            unreachable_hint=self.unreachable_hint(),
            # a hosted provider's results come from public addresses only, or from its own configured host
            private_hosts=True if self.local_server else tuple(filter(None, [urlsplit(self.base_url).hostname])),
        )
        if self.model not in self.models and not self._accepts_any_model():
            self.spec(self.model)  # raises BadRequest naming the known models

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name} model={self.model} base_url={self.base_url}>"

    def mask(self, value: Any) -> Any:
        """``value`` with this provider's key (and credential-looking values) masked in every string."""
        if isinstance(value, str):
            return self.http.clean(value)
        if isinstance(value, dict):
            return {k: self.mask(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.mask(v) for v in value]
        return value

    def unreachable_hint(self) -> str:
        """How to fix a server that cannot be reached (override for a local server)."""
        variable = f"SHOTREEL_{self.name.upper()}_BASE_URL"
        if os.environ.get(variable):
            return f"check {variable} (it points there) and the network connection"
        return f"check the network connection (or a proxy: HTTPS_PROXY); {self.name} may also be down"

    def fingerprint(self, model: str) -> str:
        """The model and the provider options that shape a request (never the key nor the base URL)."""
        shaping = {"model": model, "options": {k: str(v) for k, v in sorted(self.options.items())}}
        return hashlib.sha256(repr(shaping).encode()).hexdigest()[:16]

    # -- keys -----------------------------------------------------------------------------------
    def _key_from_env(self) -> str | None:
        return os.environ.get(self.env_keys[0]) if self.env_keys else None

    def _secrets(self) -> list[str]:
        return [self._api_key] if self._api_key else []

    def _auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._api_key}"}

    def _auth_for_request(self) -> dict[str, str]:
        return self._auth_headers() if self._api_key else {}

    def missing_keys(self) -> list[str]:
        """The environment variables to set (all of ``env_keys``) when no key was found; else empty."""
        return [] if self._api_key else list(self.env_keys)

    # -- models and capabilities -----------------------------------------------------------------
    def _accepts_any_model(self) -> bool:
        return False

    def default_model(self) -> str:
        return self.model

    def spec(self, model: str | None, shot: str | None = None) -> ModelSpec:
        """The model's row; an unknown model is :class:`BadRequest` naming the known ones."""
        name = model or self.model
        found = self.models.get(name)
        if found is None:
            known = ", ".join(sorted(n for n, s in self.models.items() if s.kind != IMAGE))
            stills = ", ".join(sorted(n for n, s in self.models.items() if s.kind == IMAGE))
            known += f"; stills: {stills}" if stills else ""
            raise BadRequest(f"{self.name}: unknown model {name!r} (known: {known})", shot=shot)
        return found

    def image_models(self) -> tuple[str, ...]:
        """The still models (``ModelSpec.kind == "image"``), the default first."""
        names = [name for name, spec in self.models.items() if spec.kind == IMAGE]
        if self.default_image_model_name in names:
            names.remove(self.default_image_model_name)
            names.insert(0, self.default_image_model_name)
        return tuple(names)

    def request_spec(self, request: GenerationRequest) -> ModelSpec:
        """The model row of ``request`` (its model, else the default video or still model), refusing a video
        model for a still and a still model for a take."""
        shot = request.shot_id
        if request.is_image:
            spec = self.spec(request.model or self.default_image_model(), shot)
            if spec.kind != IMAGE:
                raise BadRequest(f"{self.name}: {spec.name} makes video, not stills: choose one of "
                                 f"{', '.join(self.image_models()) or 'none'}", shot=shot)
            return spec
        spec = self.spec(request.model or self.model, shot)
        if spec.kind == IMAGE:
            raise BadRequest(f"{self.name}: {spec.name} makes stills, not takes: choose one of "
                             f"{', '.join(n for n, s in self.models.items() if s.kind != IMAGE)}", shot=shot)
        return spec

    def reference_rules(self, spec: ModelSpec) -> ImageRules:
        """What an input image of a still may be for ``spec`` (its own rules, else the provider's)."""
        return spec.ref_rules or self.image_rules

    def capabilities(self, model: str) -> Capabilities:
        spec = self.spec(model)
        rules = self.image_rules
        if spec.kind == IMAGE:
            rules = self.reference_rules(spec)
            return Capabilities(
                supports_end_frame=False,
                supports_seed=spec.seed,
                durations_s=(),
                max_duration_s=0.0,
                max_prompt_chars=spec.max_prompt,
                aspect_range=rules.aspect,
                min_image_px=rules.min_px,
                max_image_bytes=rules.max_bytes,
                image_formats=rules.formats,
                max_concurrency=self.concurrency,
                max_reference_images=spec.max_refs,
                max_image_px=rules.max_px,
            )
        allowed = spec.allowed()
        return Capabilities(
            supports_end_frame=spec.end_frame,
            supports_seed=spec.seed,
            durations_s=allowed,
            max_duration_s=max(allowed),
            max_prompt_chars=spec.max_prompt,
            aspect_range=rules.aspect,
            min_image_px=rules.min_px,
            max_image_bytes=rules.max_bytes,
            image_formats=rules.formats,
            max_concurrency=self.concurrency,
        )

    # -- validation and cost ----------------------------------------------------------------------
    def clip_seconds(self, request: GenerationRequest, spec: ModelSpec | None = None) -> float:
        """The clip length the provider will make (and bill): the shortest allowed ≥ the shot.

        ``request.extra["duration_s"]`` asks for one length explicitly; it must be allowed.
        """
        spec = spec or self.spec(request.model, request.shot_id)
        allowed = spec.allowed()
        asked = request.extra.get("duration_s")
        if asked is not None:
            if not any(abs(float(asked) - a) < FRAME_SLACK for a in allowed):
                raise BadRequest(
                    f"{self.name}: {spec.name} makes clips of {format_seconds(allowed)}, not "
                    f"{float(asked):g} s: choose one of those",
                    shot=request.shot_id,
                )
            return float(asked)
        need = float(Fraction(request.duration_frames) / request.fps)
        for length in allowed:
            if length + FRAME_SLACK >= need:
                return length
        raise BadRequest(
            f"{self.name}: the shot lasts {need:g} s but {spec.name} makes clips of at most "
            f"{max(allowed):g} s ({format_seconds(allowed)}): split the shot or choose another "
            f"model",
            shot=request.shot_id,
        )

    def finished(self, job: str, urls: list[str], shot: str | None, raw_state: str, raw: dict,
                 progress: float | None = None, media: str = "a video") -> JobStatus:
        """A job the provider calls done: succeeded with its result URLs, or, when it returned no video,
        blocked at output — moderation that arrives as "success" is a failure, never a silent success
        (reference §1)."""
        if urls:
            return JobStatus(JobState.SUCCEEDED, 1.0, raw_state, result_urls=urls, raw=raw)
        failure = self.http.error(ModerationBlocked, f"{job} finished without {media} (filtered output): "
                                  "change the prompt or seed", shot, stage="output")
        return JobStatus(JobState.FAILED, progress, raw_state, failure=failure, raw=raw)

    def validate(self, request: GenerationRequest) -> None:
        """Refuse what the provider would refuse (model, duration, prompt, images, ratio) before spending."""
        shot = request.shot_id
        if request.is_image:
            self.validate_image(request, self.request_spec(request))
            return
        spec = self.request_spec(request)
        self.clip_seconds(request, spec)
        if len(request.prompt) > spec.max_prompt:
            raise BadRequest(
                f"{self.name}: the prompt has {len(request.prompt)} characters; {spec.name} takes "
                f"at most {spec.max_prompt}: shorten the shot's action or prompt",
                shot=shot,
            )
        if spec.needs_image and request.start_image is None:
            raise BadRequest(
                f"{self.name}: {spec.name} needs a start board: draw the shot's board (shotreel boards)",
                shot=shot,
            )
        if request.end_image is not None and not spec.end_frame:
            raise BadRequest(
                f"{self.name}: {spec.name} takes no end frame: remove the shot's end board or "
                f"choose a model with end frames",
                shot=shot,
            )
        if request.seed is not None and not 0 <= request.seed <= 4294967295:
            raise BadRequest(f"{self.name}: seed {request.seed} is outside 0–4294967295", shot=shot)
        if spec.ratios and nearest_ratio(request.width, request.height, spec.ratios) is None:
            raise BadRequest(
                f"{self.name}: {spec.name} makes {', '.join(spec.ratios)} frames, not "
                f"{request.width}×{request.height}: change the film's resolution or the model",
                shot=shot,
            )
        for role, path in (("start", request.start_image), ("end", request.end_image)):
            if path is not None:
                read_image(path, role, self.image_rules, self.name, shot)
        self.validate_more(request, spec)

    def validate_more(self, request: GenerationRequest, spec: ModelSpec) -> None:
        """Provider-specific checks (override)."""

    # -- stills ---------------------------------------------------------------------------------
    def input_paths(self, request: GenerationRequest) -> list[Path]:
        """The input images of a still: the image to edit (``start_image``) first, then the references."""
        paths = [Path(request.start_image)] if request.start_image is not None else []
        return paths + [Path(p) for p in request.reference_images]

    def validate_image(self, request: GenerationRequest, spec: ModelSpec) -> None:
        """Refuse a still the model would refuse: prompt, seed, frame, input images (count, files, aspect)."""
        shot = request.shot_id
        if not request.prompt.strip():
            raise BadRequest(f"{self.name}: the still has no prompt: describe the shot or the asset", shot=shot)
        if len(request.prompt) > spec.max_prompt:
            raise BadRequest(f"{self.name}: the prompt has {len(request.prompt)} characters; {spec.name} takes at "
                             f"most {spec.max_prompt}: shorten the description", shot=shot)
        if request.seed is not None and not 0 <= request.seed <= 4294967295:
            raise BadRequest(f"{self.name}: seed {request.seed} is outside 0–4294967295", shot=shot)
        if request.width <= 0 or request.height <= 0:
            raise BadRequest(f"{self.name}: a still of {request.width}×{request.height} px: give the film's "
                             "resolution", shot=shot)
        if spec.ratios:
            self.image_ratio(request, spec)
        paths = self.input_paths(request)
        if paths and spec.max_refs == 0:
            raise BadRequest(f"{self.name}: {spec.name} takes no reference images but the request has "
                             f"{len(paths)} ({', '.join(p.name for p in paths)}): {self.no_reference_fix()}, "
                             "or leave the references out", shot=shot)
        if len(paths) > spec.max_refs:
            raise BadRequest(f"{self.name}: {spec.name} takes at most {spec.max_refs} input image"
                             f"{'s' if spec.max_refs != 1 else ''} (references and an image to edit) but the "
                             f"request has {len(paths)}: approve fewer views of the shot's assets", shot=shot)
        if spec.needs_refs and not paths:
            raise BadRequest(f"{self.name}: {spec.name} edits images and needs at least one reference: approve a "
                             "view of an asset, or choose a text-to-image model", shot=shot)
        rules = self.reference_rules(spec)
        for n, path in enumerate(paths):
            role = "image to edit" if n == 0 and request.start_image is not None else "reference"
            read_reference(path, role, rules, self.name, shot)
        self.validate_more(request, spec)

    def no_reference_fix(self) -> str:
        """What to do when a still model that takes no reference images is given some."""
        takes = [n for n in self.image_models() if self.spec(n).max_refs]
        return f"choose {' or '.join(takes)}" if takes else "choose a provider whose model takes references"

    def image_ratio(self, request: GenerationRequest, spec: ModelSpec) -> tuple[str, str]:
        """The documented ratio nearest the still's frame and a note saying how far it is off; a frame further
        than ``MAX_ASPECT_OFF`` from every documented ratio is :class:`BadRequest`."""
        ratio, off = nearest_aspect(request.width, request.height, spec.ratios)
        if off > MAX_ASPECT_OFF:
            raise BadRequest(f"{self.name}: {spec.name} makes stills at {', '.join(spec.ratios)}; "
                             f"{request.width}×{request.height} is {off * 100:.0f} % off the nearest "
                             f"({ratio}): change the frame or the model", shot=request.shot_id)
        return ratio, aspect_note(request.width, request.height, ratio, off)

    def image_inputs(self, request: GenerationRequest, spec: ModelSpec) -> list[ImageInfo]:
        """The still's input images, checked and fitted to the model's limits (resized copies where needed)."""
        rules = self.reference_rules(spec)
        found = []
        for n, path in enumerate(self.input_paths(request)):
            role = "image to edit" if n == 0 and request.start_image is not None else "reference"
            info = read_reference(path, role, rules, self.name, request.shot_id)
            found.append(fit_reference(info, role, rules, self.name, request.shot_id))
        return found

    def image_rate(self, request: GenerationRequest, spec: ModelSpec) -> tuple[float, str]:
        """The price of one still of ``request`` (USD) and where it comes from (override)."""
        return spec.price_per_image, f"{spec.name}, published price per image"

    def image_handle(self, job_id: str, request: GenerationRequest, spec: ModelSpec, **data: Any) -> JobHandle:
        """The handle of a submitted still (its kind recorded, so :meth:`fetch` bounds the download)."""
        return JobHandle(job_id, {"shot": request.shot_id, "take": request.take_id, "model": spec.name,
                                  "kind": IMAGE, **data})

    def estimate_cost(self, request: GenerationRequest) -> float:
        """An estimate in USD: the amount of :meth:`cost_estimate`."""
        return self.cost_estimate(request).amount

    def cost_estimate(self, request: GenerationRequest) -> CostEstimate:
        """The price of the clip the provider will bill for ``request`` and why: the billed length
        (:meth:`billed_length`) × the rate per second (:meth:`rate`). Raises :class:`BadRequest` when the
        provider makes no clip that long. A still: one image at the model's price per image
        (:meth:`image_rate`)."""
        spec = self.request_spec(request)
        if request.is_image:
            price, why = self.image_rate(request, spec)
            return CostEstimate(round(price, 4), f"1 still at {usd(price)} per image ({why}) = {usd(round(price, 4))}")
        seconds, length = self.billed_length(request, spec)
        per_s, why = self.rate(request, spec)
        amount = round(per_s * seconds, 4)
        return CostEstimate(amount, f"{length} at {usd(per_s)}/s ({why}) = {usd(round(amount, 2))}")

    def rate(self, request: GenerationRequest, spec: ModelSpec) -> tuple[float, str]:
        """The price per billed second for ``request`` (USD) and where it comes from (override)."""
        return spec.price_per_s, f"{spec.name}, published price"

    def billed_length(self, request: GenerationRequest, spec: ModelSpec) -> tuple[float, str]:
        """The clip length the provider bills for ``request`` (:meth:`clip_seconds`) and, as text, how the
        shot's length became it: ``6 s shot → billed as 10 s (gen4_turbo makes clips of 5 or 10 s; rounded
        up)``."""
        seconds = self.clip_seconds(request, spec)
        need = float(Fraction(request.duration_frames) / request.fps)
        shot = f"{round(need, 2):g} s shot"
        if abs(need - round(need)) > FRAME_SLACK:
            shot += f" ({request.duration_frames} frames at {float(request.fps):g} fps)"
        text = f"{shot} → billed as {seconds:g} s"
        allowed = spec.allowed()
        if request.extra.get("duration_s") is not None:
            return seconds, f"{text} (asked for {seconds:g} s)"
        if abs(seconds - need) > FRAME_SLACK:
            steps = " in whole seconds" if not spec.durations and len(allowed) > 1 else ""
            return seconds, f"{text} ({spec.name} makes clips of {format_seconds(allowed)}{steps}; rounded up)"
        return seconds, text

    def images(self, request: GenerationRequest) -> tuple[ImageInfo | None, ImageInfo | None]:
        """The start and end images, read and checked."""
        shot = request.shot_id
        start = (
            read_image(request.start_image, "start", self.image_rules, self.name, shot)
            if request.start_image is not None
            else None
        )
        end = (
            read_image(request.end_image, "end", self.image_rules, self.name, shot)
            if request.end_image is not None
            else None
        )
        return start, end

    def prepare(self, request: GenerationRequest) -> ModelSpec:
        """Everything a submit does before the network: key present, request valid; returns the spec."""
        self.require_key(request.shot_id)
        self.validate(request)
        return self.request_spec(request)

    # -- results --------------------------------------------------------------------------------
    def fetch(self, handle: JobHandle, status: JobStatus, destination: Path, *,
              max_bytes: int | None = None) -> Path:
        """Download the first result to ``destination`` atomically; an expired URL is re-queried once. A
        result over ``max_bytes``, or at a non-public address of another host, is :class:`ResultRefused`."""
        shot = handle.data.get("shot")
        if not status.result_urls:
            raise GenerationError(f"{self.name}: job {handle.job_id} has no result to download", shot=shot)
        if max_bytes is None and handle.data.get("kind") == IMAGE:
            max_bytes = IMAGE_MAX_BYTES
        url = status.result_urls[0]
        try:
            return self.http.download(url, Path(destination), shot=shot, max_bytes=max_bytes)
        except ResultExpired:
            fresh = self.poll(handle)
            if fresh.result_urls and fresh.result_urls[0] != url:
                return self.http.download(fresh.result_urls[0], Path(destination), shot=shot, max_bytes=max_bytes)
            raise

    def close(self) -> None:
        """Release the HTTP sessions."""
        self.http.close()


def compact(value: Any) -> Any:
    """``value`` with long ``data:`` URIs (echoed boards) replaced by a short note, so raw payloads kept in
    the ledger stay small."""
    if isinstance(value, str) and value.startswith("data:") and len(value) > 256:
        digest = hashlib.sha256(value.encode()).hexdigest()[:16]
        return f"{value[: value.find(',') + 1]}… ({len(value)} chars, sha256 {digest})"
    if isinstance(value, dict):
        return {k: compact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [compact(v) for v in value]
    return value


def iso_time(text: Any) -> float | None:
    """A provider's ISO 8601 time (``2026-11-02T10:20:30.123Z``) as a Unix time, or None."""
    from datetime import datetime

    if not isinstance(text, str) or not text:
        return None
    try:
        return datetime.fromisoformat(text).timestamp()  # 3.11+ reads a final Z
    except ValueError:
        return None


def one_recent(candidates: list[tuple[str, Any]], since: float, until: float, known: set[str]) -> str | None:
    """The id of the only candidate ``(id, created ISO time)`` made between ``since`` and ``until`` and not
    ``known``; None when there is none or more than one (then the user decides)."""
    found = [job_id for job_id, created in candidates
             if job_id not in known and (when := iso_time(created)) is not None and since <= when <= until]
    return found[0] if len(found) == 1 else None


def guess_mime(path: Path) -> str:
    """The MIME type of a file from its name."""
    return mimetypes.guess_type(path.name)[0] or "application/octet-stream"
