"""Stills through the generation engine: asset reference views and generated boards are jobs like takes.

:func:`generate_images` runs :class:`ImageJob` s (a request of kind ``"image"`` and where its still lands)
through the same ledger, scheduler, progress, cost estimate, dry run and typed failures as
:func:`~shotreel.generation.scheduler.generate`: each job is recorded (with its client id and where it
lands) before it is sent, reconciled after a crash, never paid twice; ``shotreel jobs --attach / --forget /
--resubmit / --release`` work for it as for a take (named ``OWNER/TAKE``, e.g. ``asset:mara/front``).

A still lands as ``<destination>.<png|jpg|webp>`` (the suffix from the image's real format, read with Pillow)
with ``<destination>.json`` beside it: provider, model, prompt, seed (only when the model received it), the
reference images with their SHA-256, the job id, the cost, the size against the size asked, ``"kind":
"image"`` and the caller's ``provenance``. The sidecar is written first and names the file and its SHA-256;
the still is renamed into place after it, so a still on disk whose bytes match its sidecar is the truth
after any crash (a still still in ``.shotreel/staging`` is landed from there, never downloaded again).

A file at the destination without a shotreel sidecar is an artist's: it is never overwritten (the job is
skipped with one line saying so). A destination already holding the still of the same request is done
and not paid again. A new request for a destination whose ledger name is taken (a view made again after the
asset changed) gets the next free name, ``front~2``, as take ids are never reused.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from ..errors import ShotreelError
from ..fsutil import atomic_write_text
from ..model import Film
from ..progress import ProgressCallback
from . import ledger as L
from . import scheduler as S
from .base import (
    IMAGE,
    VIDEO,
    VOICE,
    GenerationError,
    GenerationRequest,
    Provider,
    file_sha256,
    remember_sha256,
)
from .ledger import JobRecord, Ledger, project_lock

STILL_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")
"""The suffixes a still may have at its destination (what an artist's file there may be called too)."""
STAGED_SUFFIX = ".still"  # a downloaded still in .shotreel/staging, before its format is known
_FORMATS = {"PNG": ".png", "JPEG": ".jpg", "WEBP": ".webp"}
STILL_BYTES_HEADROOM = 16 * 1024 * 1024
MAX_UNKNOWN_STILL_BYTES = 256 * 1024 * 1024
_UNSAFE = re.compile(r"[^A-Za-z0-9._~-]")


@dataclass(frozen=True)
class FileJob:
    """One file a job makes and lands at ``destination`` (project-relative, without suffix) with a sidecar:
    ``request`` says what is asked, ``provenance`` holds extra fields for the sidecar. Its ``key``
    (``owner/name``) is how the ledger and ``shotreel jobs`` name it."""

    request: GenerationRequest
    destination: str
    provenance: dict = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.request.shot_id}/{self.request.take_id}"


class ImageJob(FileJob):
    """One still to make: ``request`` (kind ``"image"``; ``shot_id`` is its owner — a shot id or
    ``"asset:mara"`` —, ``take_id`` the view or candidate name — ``"front"``, ``"c001"``), ``destination``
    (``"refs/mara/front"``, ``"boards/candidates/sh040/c001"``) and ``provenance`` (e.g. ``{"inputs": …}``)."""


# -- a still on disk ----------------------------------------------------------------------------


def staging_name(record: JobRecord) -> str:
    """The job's name in ``.shotreel/staging`` (an owner such as ``asset:mara`` made safe for any disk)."""
    return _UNSAFE.sub("_", f"{record.kind}.{record.shot}.{record.take}")


def still_byte_limit(width: int, height: int) -> int:
    """The most bytes a still asked at ``width``×``height`` may download: four bytes a pixel at twice the
    asked size each way (providers upscale; a PNG is at worst about its raw size), plus 16 MiB; 256 MiB when
    the size is not known."""
    if width <= 0 or height <= 0:
        return MAX_UNKNOWN_STILL_BYTES
    return STILL_BYTES_HEADROOM + 16 * width * height


def probe_still(path: Path) -> dict:
    """The real format, size and suffix of a still (``{"format": "png", "width", "height", "suffix"}``),
    read with Pillow; :class:`GenerationError` when it is not a whole PNG, JPEG or WebP."""
    try:
        with Image.open(path) as image:
            fmt, size = image.format, image.size
            if fmt == "PNG":
                image.verify()  # every chunk there and its checksum right, without decoding the pixels
            else:
                image.load()  # JPEG and WebP say they are cut short only when decoded
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise GenerationError(f"the downloaded file is not a readable image ({exc})") from None
    suffix = _FORMATS.get(str(fmt))
    if suffix is None:
        raise GenerationError(f"the downloaded still is {fmt}, not a PNG, JPEG or WebP")
    return {"format": suffix[1:].replace("jpg", "jpeg"), "width": size[0], "height": size[1], "suffix": suffix}


def sidecar_path(root: Path, destination: str) -> Path:
    return Path(root) / f"{destination}.json"


def read_sidecar(root: Path, destination: str, kind: str = IMAGE) -> dict | None:
    """The shotreel sidecar of the still (the file of a job of ``kind``) at ``destination``, else None (none,
    unreadable, or not a still's)."""
    try:
        data = json.loads(sidecar_path(root, destination).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("kind") != kind or not isinstance(data.get("file"), str):
        return None
    return data


def still_files(root: Path, destination: str, suffixes: tuple[str, ...] = STILL_SUFFIXES) -> list[Path]:
    """The stills at ``destination`` (any of ``suffixes``, :data:`STILL_SUFFIXES`, lower or upper case), sorted."""
    target = Path(root) / destination
    found = []
    for suffix in {s for base in suffixes for s in (base, base.upper())}:
        path = target.with_name(target.name + suffix)
        if path.is_file():
            found.append(path)
    return sorted(found)


def artist_file(root: Path, destination: str, kind: str = IMAGE) -> Path | None:
    """A still at ``destination`` that shotreel did not make (no sidecar of shotreel's names it): an artist's
    drawing, never overwritten — or a ``<destination>.json`` that is not a still's sidecar, which landing would
    overwrite. None when there is none. ``kind``: of a job of another kind (a voice line's clip)."""
    sidecar = read_sidecar(root, destination, kind)
    if sidecar is None and sidecar_path(root, destination).exists():
        return sidecar_path(root, destination)
    ours = sidecar.get("file") if sidecar else None
    for path in still_files(root, destination, landing_for(kind).suffixes):
        if path.name != ours and not _replaced(path, sidecar):
            return path
    return None


def _replaced(path: Path, sidecar: dict | None) -> bool:
    """Whether ``path`` is the still of shotreel's a sidecar says it replaces (by name and bytes)."""
    replaces = (sidecar or {}).get("replaces")
    if not isinstance(replaces, dict) or replaces.get("file") != path.name:
        return False
    try:
        return file_sha256(path) == replaces.get("sha256")
    except OSError:
        return False


def landed_still(root: Path, destination: str, kind: str = IMAGE) -> tuple[Path, dict] | None:
    """The still (the file of a job of ``kind``) shotreel landed at ``destination`` and its sidecar, when the
    file's bytes are the ones the sidecar names (a sidecar written just before a crash, whose still never moved
    into place, is not one)."""
    sidecar = read_sidecar(root, destination, kind)
    if sidecar is None:
        return None
    path = (Path(root) / destination).parent / str(sidecar["file"])
    try:
        if not path.is_file() or file_sha256(path) != sidecar.get("sha256"):
            return None
    except OSError:
        return None
    return path, sidecar


def landed_job(root: Path, record: JobRecord) -> Path | None:
    """The still of job ``record`` if it has landed at its destination with its sidecar, else None."""
    if not record.destination:
        return None
    found = landed_still(root, record.destination, record.kind)
    if found is None:
        return None
    path, sidecar = found
    if sidecar.get("take") != record.take or sidecar.get("shot") != record.shot:
        return None
    if record.job_id and sidecar.get("job_id") not in (None, record.job_id):
        return None
    return path


def received_seed(provider: Provider, record: JobRecord) -> int | None:
    """The seed the model received: the one its handle records where the provider says so, else the
    request's when the model takes a seed, else None (never a seed the model ignored)."""
    handle = record.handle_data or {}
    if "seed" in handle:
        return handle["seed"]
    with contextlib.suppress(Exception):
        if provider.capabilities(record.model).supports_seed:
            return record.request.get("seed")
    return None


def still_sidecar(root: Path, record: JobRecord, target: Path, probe: dict, cost: float | None, sha256: str,
                  seed: int | None) -> dict:
    """A still's provenance: what was asked, of whom, from which references, and what came back."""
    req = record.request

    def image(entry: dict | None) -> dict | None:
        return {"path": S._relative(root, entry["path"]), "sha256": entry.get("sha256")} if entry else None

    now = time.time()
    landing = record.landing or {}
    data = dict(landing.get("provenance") or {})
    data.update({
        "kind": IMAGE, "shot": record.shot, "take": record.take, "status": "done", "created": now,
        "destination": landing.get("destination"), "provider": record.provider, "model": record.model,
        "prompt": req.get("prompt", ""), "negative_prompt": req.get("negative_prompt", ""), "seed": seed,
        "requested": {"width": req.get("width"), "height": req.get("height")},
        "start_image": image(req.get("start_image")),
        "reference_images": [image(e) for e in req.get("reference_images", [])],
        "job_id": record.job_id, "request_hash": record.request_hash, "cost": cost,
        "estimated_cost": record.estimated_cost, "submitted": record.submitted, "finished": now,
        "file": target.name, "sha256": sha256, "format": probe["format"],
        "width": probe["width"], "height": probe["height"],
    })
    data["notes"] = S.delivery_notes(req, {"width": probe["width"], "height": probe["height"]})
    return data


def land_still(root: Path, record: JobRecord, staged: Path, probe: dict, cost: float | None,
               seed: int | None) -> tuple[Path, dict]:
    """Land ``staged`` at the job's destination: the sidecar first (naming the file and its SHA-256), then the
    still renamed into place and its folder flushed; a still of shotreel's with another suffix there before
    is removed. Returns the still's path and its sidecar. The caller checked that no artist's file is there."""
    destination = str(record.destination)
    target = (Path(root) / destination).with_name(Path(destination).name + probe["suffix"])
    digest = file_sha256(staged)
    old = read_sidecar(root, destination, record.kind)
    sidecar = landing_for(record.kind).sidecar(root, record, target, probe, cost, digest, seed)
    # shotreel's still of another format there, removed below: named here, so a crash before that leaves no
    # "artist's" file (and a landing again after such a crash still removes it)
    replaced = None
    if old and old.get("file") and old["file"] != target.name:
        replaced = {"file": old["file"], "sha256": old.get("sha256")}
    elif old and isinstance(old.get("replaces"), dict) and old["replaces"].get("file") != target.name:
        replaced = old["replaces"]
    if replaced:
        sidecar["replaces"] = replaced
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(sidecar_path(root, destination), json.dumps(sidecar, indent=2, sort_keys=True) + "\n")
    os.replace(staged, target)
    L._fsync_dir(target.parent)
    with contextlib.suppress(OSError):
        remember_sha256(target, digest)
    if replaced and _replaced(target.parent / str(replaced["file"]), sidecar):
        with contextlib.suppress(OSError):
            (target.parent / str(replaced["file"])).unlink()
    return target, sidecar


# -- landing a file, whatever its kind ------------------------------------------------------------


@dataclass(frozen=True)
class Landing:
    """How the file of one kind of job lands at its destination (a still here; a voice line's clip in
    :mod:`shotreel.generation.voices`): what it is called (``noun``), the suffixes a file at the destination
    may have, the suffix of its download in ``.shotreel/staging``, the ``probe`` that checks it whole and says
    its real format (``{"suffix": …, "format": …}``; :class:`GenerationError` when it is not usable), the most
    bytes its download may be (from the request summary), its ``sidecar`` (``(root, record, target, probe, cost,
    sha256, seed) -> dict``, with ``"kind"``) and which models of a provider make it."""

    kind: str
    noun: str
    suffixes: tuple[str, ...]
    staged_suffix: str
    probe: Callable[[Path], dict]
    byte_limit: Callable[[dict], int]
    sidecar: Callable[..., dict]
    models: Callable[[Provider], tuple[str, ...]]
    default_model: Callable[[Provider], str]


STILL = Landing(IMAGE, "still", STILL_SUFFIXES, STAGED_SUFFIX, probe_still,
                lambda req: still_byte_limit(int(req.get("width") or 0), int(req.get("height") or 0)), still_sidecar,
                lambda provider: provider.image_models(), lambda provider: provider.default_image_model())


def landing_for(kind: str) -> Landing:
    """How a job of ``kind`` lands (``"image"``: :data:`STILL`; ``"voice"``: a voice line's clip)."""
    if kind == VOICE:
        from .voices import CLIP
        return CLIP
    return STILL


def lands(record: JobRecord) -> bool:
    """Whether the job lands at a destination of its own (a still, a voice line) rather than as a take."""
    return record.kind != VIDEO


# -- the run ------------------------------------------------------------------------------------


def _destination(root: Path, job: ImageJob, kind: str = IMAGE) -> str:
    """The job's destination, checked: project-relative, inside the project, without a suffix."""
    text = str(job.destination or "").strip().replace("\\", "/")
    where = f"{kind} job {job.key}"
    if not text:
        raise ShotreelError(f"{where}: no destination")
    path = Path(text)
    if path.is_absolute() or ".." in path.parts or text.endswith("/"):
        raise ShotreelError(f"{where}: destination {text!r} must be a path inside the project folder "
                            "(like refs/mara/front)")
    if path.suffix.lower() in (*landing_for(kind).suffixes, ".json"):
        raise ShotreelError(f"{where}: give the destination {text!r} without its suffix (the {landing_for(kind).noun}"
                            "'s real format chooses it)")
    resolved = (root / path).resolve()
    try:
        resolved.relative_to(root)
    except ValueError:
        raise ShotreelError(f"{where}: destination {text!r} leads out of the project folder") from None
    return path.as_posix()


@dataclass
class _Prepared:
    request: GenerationRequest
    destination: str
    landing: dict


def _prepare(root: Path, jobs: list[ImageJob], provider: Provider, model: str, kind: str = IMAGE,
             job_type: type = ImageJob) -> list[_Prepared]:
    shaping = provider.fingerprint(model)
    seen: dict[str, str] = {}
    prepared = []
    for job in jobs:
        if not isinstance(job, job_type):
            raise ShotreelError(f"generate_{kind}s takes {job_type.__name__} items, not {type(job).__name__}")
        destination = _destination(root, job, kind)
        if destination in seen:
            raise ShotreelError(f"{kind} jobs {seen[destination]} and {job.key} both land at {destination}")
        seen[destination] = job.key
        extra = dict(job.request.extra)
        if shaping:
            extra[S.SHAPING] = shaping
        request = replace(job.request, provider=provider.name, model=model, kind=kind, duration_frames=0,
                          extra=extra)
        landing = {"kind": kind, "destination": destination, "provenance": dict(job.provenance or {})}
        prepared.append(_Prepared(request, destination, landing))
    return prepared


@dataclass
class _ImagePlan:
    new: list[tuple[GenerationRequest, dict]] = field(default_factory=list)
    resumed: list[tuple[JobRecord, GenerationRequest, dict]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    landed: list[S.TakeOutcome] = field(default_factory=list)


def _free_take(name: str, used: set[str]) -> str:
    if name not in used:
        return name
    n = 2
    while f"{name}~{n}" in used:
        n += 1
    return f"{name}~{n}"


def _plan_images(root: Path, prepared: list[_Prepared], provider: Provider, ledger: Ledger | None,
                 kind: str = IMAGE) -> _ImagePlan:
    plan = _ImagePlan()
    rows = ledger.jobs() if ledger is not None else []
    released = ledger.released() if ledger is not None else set()
    by_owner: dict[str, list[JobRecord]] = {}
    for row in rows:
        by_owner.setdefault(row.shot, []).append(row)
    used: dict[str, set[str]] = {}
    for item in prepared:
        request, destination = item.request, item.destination
        owner = request.shot_id
        owned = by_owner.get(owner, [])
        taken = used.setdefault(owner, {r.take for r in owned})
        wanted = request.request_hash()
        here = [r for r in owned if r.kind == kind and r.destination == destination and r.state in L.UNFINISHED]
        landed = landed_still(root, destination, kind)
        if landed is not None and landed[1].get("request_hash") == wanted:
            if any(r.request_hash == wanted and r.state != L.PENDING for r in here):
                continue  # its job is reconciled from disk with the provider's other unfinished jobs
            plan.landed.append(S.TakeOutcome(owner, str(landed[1].get("take") or request.take_id), L.DONE,
                                             landed[0], "already there", landed[1].get("cost")))
            continue
        artist = artist_file(root, destination, kind)
        if artist is not None:
            reason = (f"{artist.relative_to(root).as_posix()} is not shotreel's (no sidecar): kept, no "
                      f"{landing_for(kind).noun} generated over it")
            plan.skipped.append((owner, reason))
            continue
        pending = [r for r in here if r.state == L.PENDING and r.provider == provider.name]
        others = [r for r in here if r not in pending]
        if others:
            if all(r.request_hash != wanted for r in others):
                row = others[-1]
                reason = (f"{row.key} for {destination} is still {row.state} at {row.provider}; it lands first: ask "
                          "again once it has")
                plan.skipped.append((owner, reason))
            continue  # the same request is followed already (or waits for the user: unknown_submit)
        refused = S._blocked([r for r in owned if r.key not in released], request, request.seed is not None)
        if refused is not None:
            plan.skipped.append((owner, S._refusal(refused)))
            for row in pending:
                plan.skipped.append((owner, f"{row.key} not sent: the same request was refused"))
            continue
        if pending:
            row = pending[0]
            plan.resumed.append((row, replace(request, take_id=row.take, client_id=row.client_id), item.landing))
            continue
        take = _free_take(request.take_id, taken)
        taken.add(take)
        plan.new.append((replace(request, take_id=take, client_id=str(uuid.uuid4())), item.landing))
    return plan


def generate_images(film: Film, jobs: Iterable[ImageJob], provider: str | Provider = "animatic", *,
                    model: str | None = None, concurrency: int | None = None, dry_run: bool = False,
                    progress: ProgressCallback | None = None, stop: threading.Event | None = None,
                    servers: list[str] | None = None, options: dict | None = None,
                    queue_ahead: int | None = None) -> S.GenerationSummary:
    """Make the stills of ``jobs`` with ``provider`` (a name created with ``options``, or a
    :class:`~shotreel.generation.base.Provider`) and ``model`` (default: its first image model); see the module
    doc. Returns a :class:`~shotreel.generation.scheduler.GenerationSummary` whose ``done`` holds each still
    landed (or already there), ``skipped`` the jobs not sent and why (an artist's file, an earlier job for the
    destination still unfinished, a refused request).

    ``concurrency``, ``queue_ahead``, ``progress``, ``stop`` and ``dry_run`` mean what they mean for
    :func:`~shotreel.generation.scheduler.generate` (a dry run prices every job and names the missing keys; it
    sends and records nothing). ``servers``: several servers of the provider (ComfyUI), each with its own
    concurrency; see :func:`~shotreel.generation.scheduler.generate`. The run also follows this provider's jobs
    an earlier run left at it (stills and takes), landing each where its ledger row says. A provider that
    makes no stills, a destination outside the project or with a suffix, two jobs landing at one place: one
    line, before anything is recorded.
    """
    return generate_files(film, jobs, provider, IMAGE, ImageJob, model=model, concurrency=concurrency,
                          dry_run=dry_run, progress=progress, stop=stop, servers=servers, options=options,
                          queue_ahead=queue_ahead)


def generate_files(film: Film, jobs: Iterable, provider: str | Provider, kind: str, job_type: type, *,
                   model: str | None = None, concurrency: int | None = None, dry_run: bool = False,
                   progress: ProgressCallback | None = None, stop: threading.Event | None = None,
                   servers: list[str] | None = None, options: dict | None = None,
                   queue_ahead: int | None = None) -> S.GenerationSummary:
    """:func:`generate_images` for jobs of any ``kind`` that land at a destination of their own (a
    :class:`Landing`): ``jobs`` are ``job_type`` items with ``request``, ``destination`` and ``provenance``."""
    started = time.monotonic()
    if film.root is None:
        raise ShotreelError("generation needs a project folder (the film was not loaded from one)")
    root = Path(film.root).resolve()
    prov = S.provider_for(provider, options, servers, concurrency)
    landing = landing_for(kind)
    model = model or landing.default_model(prov)
    if not landing.models(prov):
        landing.default_model(prov)  # BadRequest: this provider makes none
    prepared = _prepare(root, list(jobs), prov, model, kind, job_type)
    summary = S.GenerationSummary(provider=prov.name, model=model, dry_run=dry_run, billing=prov.billing)
    if dry_run:
        summary.missing_keys = prov.missing_keys()
        ledger = Ledger.open_readonly(root)
        try:
            plan = _plan_images(root, prepared, prov, ledger, kind)
            if ledger is not None:
                for record in ledger.jobs(L.UNFINISHED - {L.PENDING}, provider=prov.name):
                    if record.state in (L.SUBMITTING, L.UNKNOWN_SUBMIT):
                        summary.unknown.append(S.TakeOutcome(record.shot, record.take, record.state))
                    else:
                        summary.reconciled.append(record.key)
        finally:
            if ledger is not None:
                ledger.close()
        S._fill_plan(summary, _as_plan(plan), prov, check=True)
        summary.done.extend(plan.landed)
        summary.elapsed = time.monotonic() - started
        return summary
    prov.require_key()
    prov.capabilities(model)
    stop = stop or threading.Event()
    with project_lock(root), Ledger.open(root) as ledger:
        S._clean_staging(root)
        prov = S.pool_for_ledger(prov, ledger)
        plan = _plan_images(root, prepared, prov, ledger, kind)
        for _, request, _ in plan.resumed:
            prov.validate(request)
        for request, _ in plan.new:
            prov.validate(request)
        generic = _as_plan(plan)
        S._fill_plan(summary, generic, prov)
        summary.done.extend(plan.landed)
        price = {(r.shot_id, r.take_id): c.amount for r, c in zip(summary.requests, summary.costs, strict=True)}
        for row, request, landing in plan.resumed:
            ledger.replace_request(row.shot, row.take, request, landing)
        limit = S.set_limit(prov, S.running_limit(prov, concurrency), queue_ahead)
        recorded = ledger.record_planned([(r, price[r.shot_id, r.take_id], landing) for r, landing in plan.new])
        work = S._work(ledger, root, prov, generic, summary, recorded, [r for r, _ in plan.new])
        run = S._Run(film, prov, ledger, limit, stop, progress, summary)
        typical = getattr(prov, "typical_image_duration", None) if kind == IMAGE else None
        if typical:  # a still takes less than a take: poll first when a still is expected
            run.schedule = S.PollSchedule(run.schedule.interval, run.schedule.max_interval, typical)
        run.start(work)
        S._execute(run, work, limit)
        ledger.flush()
    summary.elapsed = time.monotonic() - started
    return summary


def _as_plan(plan: _ImagePlan) -> S._Plan:
    """The scheduler's plan for the image plan (its requests, in the order they are priced and recorded)."""
    return S._Plan(new=[r for r, _ in plan.new], resumed=[(row, r) for row, r, _ in plan.resumed],
                   skipped=list(plan.skipped))
