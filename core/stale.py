"""What shaped each board and take, and which of them are stale now (``shotreel stale``).

A generated still or take records its inputs when it is made: a mapping of *input name → digest*
(SHA-256 hex) of everything that shaped it besides the seed and the model:

- ``shot:action``, ``shot:prompt``, ``shot:camera``, ``shot:continuity``, ``shot:sound`` — the shot's
  fields that enter its prompt (:func:`shotreel.prompts.prompt_parts`), whitespace folded; empty ones left out;
- ``shot:reference:<path>`` — each of the shot's boards with role ``reference`` (the file's bytes);
- ``style`` — the film's style guide; ``aspect`` — the film's frame aspect (``16:9``);
- ``asset:<id>:description`` — each asset in shot, its kind and description (present for every asset in
  the shot, so an asset added to or taken out of a shot is seen);
- ``asset:<id>:reference:<path>`` — each approved reference of that asset
  (:func:`shotreel.approvals.approved_paths`: the typed ``references:`` first, then the approved views),
  as the file's SHA-256 (``missing`` when the file is gone).

:func:`shot_inputs` gives a shot's (for its boards and takes; a take's start and end boards are
recorded apart, in its sidecar's ``start_board`` / ``end_board``), :func:`take_inputs` a landing take's
(each reference's hash as its job's request recorded it), :func:`asset_inputs` an asset's (for its generated
reference views). :func:`stale_report` compares what each board, take and view recorded with the project as
it is now and says exactly which input changed and how (:class:`StaleReport`); :func:`stale_takes` does it
for the takes a reel shows. Files are hashed once and remembered by stat in ``.shotreel/digests.json``
(:class:`FileDigests`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import posixpath
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from stat import S_ISREG

from .approvals import load_approvals
from .errors import ProjectError
from .fsutil import atomic_write_text
from .generation.base import RACY_SECONDS, file_sha256
from .limits import may_read_image
from .model import Asset, Film, Shot, Take
from .progress import ProgressCallback

MISSING = "missing"
"""The digest of an input file that does not exist (or may not be read)."""

SHOT_FIELDS = ("action", "prompt", "camera", "continuity", "sound")
"""The shot's fields that enter its prompt, in the prompt's order."""
_SHOT_KEYS = {name: f"shot:{name}" for name in SHOT_FIELDS}


def _clean(text: str) -> str:
    return " ".join((text or "").split())


def _digest(clean: str) -> str:
    return hashlib.sha256(clean.encode("utf-8")).hexdigest()


def text_digest(text: str) -> str:
    """The SHA-256 (hex) of ``text`` with its whitespace folded (a re-wrapped line is the same input)."""
    return _digest(_clean(text))


def _camera(shot: Shot) -> str:
    cam = shot.camera
    return " | ".join(_clean(part) for part in (cam.size, cam.angle, cam.movement, cam.lens)) \
        if any((cam.size, cam.angle, cam.movement, cam.lens)) else ""


def _field(shot: Shot, name: str) -> str:
    return _camera(shot) if name == "camera" else getattr(shot, name) or ""


class Inputs:
    """The current inputs of one film, each worked out once: the approvals read once, each asset's part
    built once, each file hashed once (through ``digest``, by default
    :func:`shotreel.generation.base.file_sha256`)."""

    def __init__(self, film: Film, digest: Callable[[Path], str] | None = None):
        self.film = film
        self.approvals = load_approvals(film)
        self.assets: dict[str, Asset] = {}
        for asset in film.assets:
            self.assets.setdefault(asset.id, asset)
        self.digest = digest or file_sha256
        self.files: dict[str, str] = {}
        self.texts: dict[str, str] = {}  # a shot field's text -> its digest ("" for blank): shots repeat them
        self.parts: dict[str, dict[str, str]] = {}
        self.film_part: dict[str, str] = {"aspect": text_digest(f"{film.aspect.numerator}:{film.aspect.denominator}")}
        if _clean(film.style):
            self.film_part["style"] = text_digest(film.style)

    def file(self, relative: str) -> str:
        """The SHA-256 of the project file ``relative`` (:data:`MISSING` when it is not there or may not be
        read: outside the project and not an image)."""
        known = self.files.get(relative)
        if known is None:
            path = self.film.path(relative)
            try:
                readable = path.is_file() and may_read_image(path, self.film.root)  # never a pipe or device
                known = self.digest(path) if readable else MISSING
            except (OSError, ValueError):
                known = MISSING
            self.files[relative] = known
        return known

    def approved(self, asset: Asset) -> list[str]:
        """The asset's approved references, as :func:`shotreel.approvals.approved_paths` orders them."""
        return list(dict.fromkeys(list(asset.references) + self.approvals.get(asset.id, [])))

    def asset_part(self, asset_id: str) -> dict[str, str]:
        """The inputs an asset brings into a shot: its description and each approved reference."""
        part = self.parts.get(asset_id)
        if part is None:
            asset = self.assets.get(asset_id)
            part = {}
            if asset is not None:
                part[f"asset:{asset_id}:description"] = text_digest(f"{asset.kind}: {asset.description}")
                for ref in self.approved(asset):
                    part[f"asset:{asset_id}:reference:{ref}"] = self.file(ref)
            self.parts[asset_id] = part
        return part

    def shot(self, shot: Shot) -> dict[str, str]:
        """:func:`shot_inputs` of ``shot``."""
        found: dict[str, str] = {}
        texts = self.texts
        for name in SHOT_FIELDS:
            raw = _field(shot, name)
            if raw:
                digest = texts.get(raw)
                if digest is None:
                    text = _clean(raw)
                    digest = texts[raw] = _digest(text) if text else ""
                if digest:
                    found[_SHOT_KEYS[name]] = digest
        for board in shot.boards:
            if board.role == "reference" and board.path:
                found[f"shot:reference:{board.path}"] = self.file(board.path)
        found.update(self.film_part)
        for asset_id in dict.fromkeys(shot.assets):
            found.update(self.asset_part(asset_id))
        return found

    def asset(self, asset: Asset | str, view: str | None = None) -> dict[str, str]:
        """:func:`asset_inputs` of ``asset``."""
        asset_id = asset if isinstance(asset, str) else asset.id
        found = dict(self.film_part)
        found.update(self.asset_part(asset_id))
        if view is not None:
            found.pop(f"asset:{asset_id}:reference:{view}", None)
        return found


def shot_inputs(film: Film, shot: Shot | str) -> dict[str, str]:
    """Every input that shapes a board or take of ``shot`` (a :class:`Shot` or its id), name → SHA-256 hex:
    its prompt fields, its reference boards, the film's style and aspect, and for each of its assets the
    description and every approved reference (see the module docstring for the names). The start and end
    boards a take is made from are not in it (a take's sidecar records them apart; a board is not its own
    input). A shot id the film lacks is a :class:`KeyError`."""
    if isinstance(shot, str):
        found = film.shot(shot)
        if found is None:
            raise KeyError(shot)
        shot = found
    return Inputs(film).shot(shot)


def take_inputs(film: Film, shot: Shot | str, request: Mapping | None = None) -> dict[str, str]:
    """:func:`shot_inputs` of a take that has just landed, with each reference file's digest as its job's
    ``request`` (the ledger's request summary: ``reference_images`` of ``{path, sha256}``) recorded it when
    the job was planned, so a reference redrawn while the job ran leaves the take stale, as it is."""
    found = shot_inputs(film, shot)
    sent: dict[str, str] = {}
    for entry in (request or {}).get("reference_images") or []:
        if isinstance(entry, Mapping) and entry.get("path") and isinstance(entry.get("sha256"), str):
            sent[_relative(film, str(entry["path"]))] = entry["sha256"]
    if sent:
        for key in found:
            if ":reference:" in key:
                digest = sent.get(_relative(film, key.split(":reference:", 1)[1]))
                if digest is not None:
                    found[key] = digest
    return found


def asset_inputs(film: Film, asset: Asset | str, view: str | None = None) -> dict[str, str]:
    """Every input that shapes a generated reference view of ``asset`` (an :class:`Asset` or its id), name →
    SHA-256 hex: its description, the film's style and aspect, and its approved references — except
    ``view`` (the project-relative path of the view being made), which is not its own input."""
    return Inputs(film).asset(asset, view)


def inputs_of_shots(film: Film, shots: Iterable[Shot]) -> dict[str, dict[str, str]]:
    """:func:`shot_inputs` of many shots at once (each asset's part and each file worked out once)."""
    inputs = Inputs(film)
    return {shot.id: inputs.shot(shot) for shot in shots}



# -- files hashed once, across runs ---------------------------------------------------------------

DIGESTS_FILE = ".shotreel/digests.json"
"""Where :class:`FileDigests` remembers the SHA-256 of the boards and references it has read."""


class FileDigests:
    """The SHA-256 of project files, remembered across runs in ``.shotreel/digests.json`` by each file's
    inode, size and change times (the way git's index trusts a file's stat), so ``shotreel stale`` reads a
    board or reference again only when it changed. A file hashed within
    :data:`~shotreel.generation.base.RACY_SECONDS` of its last change is not remembered (a rewrite within
    the file system's timestamp granularity could keep every field). Call :meth:`save` at the end; a
    project that cannot be written keeps working, only slower."""

    VERSION = 1

    def __init__(self, root: Path | None):
        self.path = Path(root) / DIGESTS_FILE if root is not None else None
        self.known: dict[str, list] = {}
        self.used: dict[str, list] = {}
        if self.path is not None:
            with contextlib.suppress(OSError, ValueError):
                data = json.loads(self.path.read_bytes())
                if isinstance(data, dict) and data.get("version") == self.VERSION and isinstance(data.get("files"), dict):
                    self.known = data["files"]

    def __call__(self, path: str | Path) -> str:
        stat = os.stat(path)
        if not S_ISREG(stat.st_mode):  # a folder, a pipe, a device: never read
            raise IsADirectoryError(f"{path} is not a file")
        signature = [stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns]
        key = os.fspath(path)
        entry = self.known.get(key)
        if isinstance(entry, list) and len(entry) == 5 and entry[:4] == signature and isinstance(entry[4], str):
            self.used[key] = entry
            return entry[4]
        hashed_at = time.time_ns()
        digest = file_sha256(Path(path))
        if hashed_at - max(stat.st_mtime_ns, stat.st_ctime_ns) > RACY_SECONDS * 1e9:
            self.used[key] = [*signature, digest]
        return digest

    def save(self) -> None:
        """Write what is remembered, atomically, when this run hashed something new. Files this run did not
        look at are kept (the reel looks only at takes' boards, ``stale`` at views too) until they outnumber
        the ones it did by more than a thousand; then only this run's are kept."""
        if self.path is None or all(self.known.get(key) == entry for key, entry in self.used.items()):
            return
        files = {**self.known, **self.used}
        if len(files) > 2 * len(self.used) + 1000:
            files = dict(self.used)
        with contextlib.suppress(OSError):
            self.path.parent.mkdir(exist_ok=True)
            atomic_write_text(self.path, json.dumps({"version": self.VERSION, "files": files}, separators=(",", ":")))
            self.known = files


# -- what changed ----------------------------------------------------------------------------------

TAKE, BOARD, VIEW = "take", "board", "view"
CHANGED, ADDED, REMOVED = "changed", "added", "removed"


@dataclass(frozen=True)
class Change:
    """One input that is not what it was: ``input`` its name (see the module docstring; ``board:start`` /
    ``board:end`` for a take's boards, ``prompt`` for an older take's whole prompt), ``how`` ``changed``,
    ``added`` or ``removed``, and ``reason``, the words a person reads
    (``asset mara: reference refs/mara/front.png changed``)."""

    input: str
    how: str
    reason: str


def _reason(name: str, how: str, now: str | None) -> str:
    gone = how == CHANGED and now == MISSING
    if name.startswith("asset:"):
        rest = name[len("asset:"):]
        if rest.endswith(":description"):
            return f"asset {rest[:-len(':description')]}: description {how}"
        if ":reference:" in rest:
            asset_id, ref = rest.split(":reference:", 1)
            return f"asset {asset_id}: reference {ref} " + ("is missing" if gone else how)
    if name.startswith("shot:reference:"):
        return f"reference board {name[len('shot:reference:'):]} " + ("is missing" if gone else how)
    if name.startswith("shot:"):
        return f"{name[len('shot:'):]} {how}"
    return f"{name} {how}"


def compare_inputs(recorded: dict[str, str], current: dict[str, str]) -> list[Change]:
    """What differs between the inputs a board, take or view recorded and the ``current`` ones, in the
    current inputs' order (then what was removed). An asset added to or taken out of a shot is one change
    (``asset mara added``), not one per reference."""
    if recorded == current:
        return []
    changes: list[Change] = []
    whole: dict[str, str] = {}  # asset id -> added / removed as a whole
    for name in current:
        if name.startswith("asset:") and name.endswith(":description") and name not in recorded:
            whole[name[len("asset:"):-len(":description")]] = ADDED
    for name in recorded:
        if name.startswith("asset:") and name.endswith(":description") and name not in current:
            whole[name[len("asset:"):-len(":description")]] = REMOVED
    told: set[str] = set()
    for name in [*current, *(n for n in recorded if n not in current)]:
        before, now = recorded.get(name), current.get(name)
        if before == now:
            continue
        how = CHANGED if before is not None and now is not None else ADDED if now is not None else REMOVED
        if name.startswith("asset:"):
            asset_id = next((a for a in whole if name.startswith(f"asset:{a}:")), None)
            if asset_id is not None:
                if asset_id not in told:
                    told.add(asset_id)
                    verb = "added to" if whole[asset_id] == ADDED else "taken out of"
                    changes.append(Change(f"asset:{asset_id}", whole[asset_id], f"asset {asset_id} {verb} the shot"))
                continue
        changes.append(Change(name, how, _reason(name, how, now)))
    return changes


@dataclass
class StaleItem:
    """A board, take or reference view whose inputs are not what they were when it was made.

    ``kind`` is ``take``, ``board`` or ``view``; ``path`` the file, project-relative; ``shot`` (boards and
    takes), ``take`` (takes), ``asset`` (views) say whose it is. ``inputs_recorded`` is ``False`` for a take
    made before shotreel recorded every input: only its prompt and boards could be compared.
    ``superseded_by`` names the shot's newest take made from the current inputs, if it has one.
    """

    kind: str
    path: str
    shot: str = ""
    take: str = ""
    asset: str = ""
    changes: list[Change] = field(default_factory=list)
    inputs_recorded: bool = True
    superseded_by: str = ""

    @property
    def reasons(self) -> list[str]:
        return [change.reason for change in self.changes]

    @property
    def label(self) -> str:
        """``sh040 take t002``, ``sh040 board boards/sh040.png``, ``asset mara view refs/mara/side.png``."""
        if self.kind == TAKE:
            return f"{self.shot} take {self.take}"
        if self.kind == BOARD:
            return f"{self.shot} board {self.path}"
        return f"asset {self.asset} view {self.path}"

    def __str__(self) -> str:
        text = f"{self.label}: {'; '.join(self.reasons)}" if self.changes else self.label
        notes = []
        if not self.inputs_recorded:
            notes.append("an older take: its other inputs were not recorded")
        if self.superseded_by:
            notes.append(f"take {self.superseded_by} is made from the current inputs")
        return text + (f" ({'; '.join(notes)})" if notes else "")

    def to_dict(self) -> dict:
        """Plain data for ``--json``."""
        data: dict = {"kind": self.kind, "path": self.path}
        for key in ("shot", "take", "asset"):
            if getattr(self, key):
                data[key] = getattr(self, key)
        data["inputs_recorded"] = self.inputs_recorded
        if self.kind == TAKE:
            data["superseded_by"] = self.superseded_by or None
        data["reasons"] = self.reasons
        data["changes"] = [{"input": c.input, "how": c.how, "reason": c.reason} for c in self.changes]
        return data


@dataclass
class StaleReport:
    """What :func:`stale_report` found: the ``stale`` boards, takes and views (shots in story order, then
    assets), the older takes that record no inputs besides a prompt and boards that still match
    (``unrecorded``: not known to be stale), and how many of each kind were ``checked``."""

    stale: list[StaleItem] = field(default_factory=list)
    unrecorded: list[StaleItem] = field(default_factory=list)
    checked: dict[str, int] = field(default_factory=lambda: {TAKE: 0, BOARD: 0, VIEW: 0})

    def of_kind(self, kind: str) -> list[StaleItem]:
        return [item for item in self.stale if item.kind == kind]

    @property
    def shots(self) -> list[str]:
        """The shots with a stale board or take, in story order."""
        return list(dict.fromkeys(item.shot for item in self.stale if item.shot))

    @property
    def to_regenerate(self) -> list[str]:
        """The shots with a stale take and no take made from the current inputs (``generate --stale``)."""
        return list(dict.fromkeys(i.shot for i in self.stale if i.kind == TAKE and not i.superseded_by))

    def known(self, kind: str) -> list[StaleItem]:
        """The stale items of ``kind`` that recorded their inputs (what the reel marks and check counts: an
        older take's prompt is compared with how shotreel builds prompts now, which a new version may word
        differently, so only ``shotreel stale`` judges those)."""
        return [item for item in self.stale if item.kind == kind and item.inputs_recorded]

    def take_reasons(self) -> dict[str, dict[str, list[str]]]:
        """Shot id → take id → why it is stale, for the takes that recorded their inputs (:meth:`known`)."""
        found: dict[str, dict[str, list[str]]] = {}
        for item in self.known(TAKE):
            found.setdefault(item.shot, {})[item.take] = item.reasons
        return found

    @property
    def needs_work(self) -> bool:
        """Something to make again: a shot without a current take, a stale board or a stale view."""
        return bool(self.to_regenerate or self.of_kind(BOARD) or self.of_kind(VIEW))

    def summary(self) -> str:
        """One line: the stale counts, or that nothing is stale, and what was checked."""
        def count(n: int, word: str) -> str:
            return f"{n} {word}{'s' * (n != 1)}"
        takes, boards, views = (len(self.of_kind(k)) for k in (TAKE, BOARD, VIEW))
        checked = (f"checked {count(self.checked[TAKE], 'take')}, {count(self.checked[BOARD], 'generated board')}, "
                   f"{count(self.checked[VIEW], 'generated view')}")
        if not self.stale:
            line = f"nothing stale ({checked})"
        else:
            parts = [count(n, word) for n, word in ((takes, "take"), (boards, "board"), (views, "view")) if n]
            line = f"stale: {', '.join(parts)}"
            if self.shots:
                line += f" in {count(len(self.shots), 'shot')}"
            if self.to_regenerate:
                line += f"; {count(len(self.to_regenerate), 'shot')} without a current take (`generate --stale`)"
            line += f" ({checked})"
        if self.unrecorded:
            line += (f"; {count(len(self.unrecorded), 'older take')} recorded only a prompt and boards, which "
                     "still match")
        return line

    def to_dict(self) -> dict:
        """Plain data for ``--json``."""
        return {
            "stale": [item.to_dict() for item in self.stale],
            "unrecorded": [item.to_dict() for item in self.unrecorded],
            "shots": self.shots, "regenerate": self.to_regenerate, "needs_work": self.needs_work,
            "counts": {kind: len(self.of_kind(kind)) for kind in (TAKE, BOARD, VIEW)},
            "checked": dict(self.checked),
        }


# -- looking: takes, generated boards and views on disk --------------------------------------------

_VIDEO_SUFFIXES = (".mp4", ".mov", ".webm", ".mkv", ".m4v")  # as shotreel.takes.VIDEO_SUFFIXES
_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff", ".exr")


def _listing(folder: str) -> set[str]:
    """The names in ``folder`` but hidden ones (empty when it is not there)."""
    try:
        return {name for name in os.listdir(folder) if not name.startswith(".")}
    except OSError:
        return set()


def _folders(folder: str) -> set[str]:
    """The names of the folders in ``folder`` (empty when it is not there)."""
    try:
        with os.scandir(folder) as entries:
            return {e.name for e in entries if not e.name.startswith(".") and e.is_dir()}
    except OSError:
        return set()


def _read_bytes(path: str) -> bytes:
    """The bytes of the file at ``path``: one read for a sidecar (they are a few kilobytes)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        chunks = [os.read(fd, _READ)]
        while len(chunks[-1]) == _READ:
            chunks.append(os.read(fd, _READ))
        return b"".join(chunks)
    finally:
        os.close(fd)


_READ = 1 << 20


def _read_json(path: str | Path, what: str, shot: str = "") -> dict | None:
    try:
        data = json.loads(_read_bytes(os.fspath(path)))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise ProjectError(f"{what} cannot be read: {exc}", file=str(path), shot=shot or None) from None
    return data if isinstance(data, dict) else None


def _recorded_inputs(data: dict | None) -> dict[str, str] | None:
    """A sidecar's ``inputs`` (at its top, or inside a ``provenance`` block), when it records them."""
    if data is None:
        return None
    inputs = data.get("inputs")
    if inputs is None and isinstance(data.get("provenance"), dict):
        inputs = data["provenance"].get("inputs")
    return inputs if isinstance(inputs, dict) else None  # a value that is not a digest compares as changed


class _Prompts:
    """An older take's prompt against the shot's prompt now (cut to the provider's limit, as it was sent)."""

    def __init__(self, film: Film):
        from .prompts import build_prompt, truncate_words
        self.film, self.build, self.truncate = film, build_prompt, truncate_words
        self.limits: dict[tuple[str, str], int | None] = {}

    def limit(self, provider: str, model: str) -> int | None:
        key = (provider, model)
        if key not in self.limits:
            self.limits[key] = None
            # a provider that cannot be made here (not installed, a bad option): compare without its limit
            with contextlib.suppress(Exception):
                from .generation.registry import get_provider
                made = get_provider(provider)
                self.limits[key] = made.capabilities(model or made.default_model()).max_prompt_chars
        return self.limits[key]

    def same(self, shot: Shot, recorded: str, provider: str, model: str) -> bool:
        now = self.build(self.film, shot)
        if recorded == now:
            return True
        limit = self.limit(provider, model)
        if limit:
            return self.truncate(now, limit) == recorded
        return bool(recorded) and now.startswith(recorded) and now[len(recorded)] in " ,;:-—"


def _relative(film: Film, path: str) -> str:
    """A board path as a take's sidecar records it: project-relative and normalised, else absolute."""
    if os.path.isabs(path):
        if film.root is not None:
            with contextlib.suppress(ValueError):
                return Path(path).relative_to(film.root).as_posix()
        return path
    return posixpath.normpath(path.replace(os.sep, "/"))


class _Looker:
    """One :func:`stale_report`: the film's current inputs, the listings and the report it fills."""

    def __init__(self, film: Film, digests: FileDigests):
        self.film = film
        self.root = os.fspath(film.root)  # type: ignore[arg-type]
        self.digests = digests
        self.inputs = Inputs(film, digests)
        self.boards = _listing(os.path.join(self.root, "boards"))
        self.prompts: _Prompts | None = None
        self.report = StaleReport()
        self.current: dict[str, dict[str, str]] = {}
        self.take_folders = _folders(os.path.join(self.root, "takes"))

    def board_path(self, shot: Shot, role: str) -> str | None:
        """The project-relative board a take of ``shot`` starts (ends) from now, as the scheduler picks it."""
        if not shot.boards:
            return f"boards/{shot.id}.png" if role == "start" and f"{shot.id}.png" in self.boards else None
        board = shot.board(role)
        if board is not None and board.path:
            path = self.film.path(board.path)
            if path.is_file() and may_read_image(path, self.film.root):
                return _relative(self.film, board.path)
        if role == "start" and f"{shot.id}.png" in self.boards:
            return f"boards/{shot.id}.png"
        return None

    def file(self, relative: str) -> str:
        try:
            return self.digests(os.path.join(self.root, relative))
        except OSError:
            return MISSING

    def board_changes(self, data: dict, shot: Shot) -> list[Change]:
        changes = []
        for role in ("start", "end"):
            key = f"{role}_board"
            if key not in data:
                continue
            entry = data[key] if isinstance(data[key], dict) else None
            was, now = (entry or {}).get("path"), self.board_path(shot, role)
            if not was and not now:
                continue
            if not was:
                changes.append(Change(f"board:{role}", ADDED, f"{role} board {now} added"))
            elif not now:
                changes.append(Change(f"board:{role}", REMOVED, f"{role} board {was} is gone"))
            elif was != now:
                changes.append(Change(f"board:{role}", CHANGED, f"{role} board is now {now} (was {was})"))
            elif entry.get("sha256") and self.file(now) != entry["sha256"]:  # type: ignore[union-attr]
                changes.append(Change(f"board:{role}", CHANGED, f"{role} board {now} changed"))
        return changes

    def shot(self, shot: Shot, takes: list[Take] | None = None) -> None:
        """Look at the generated boards and the takes of ``shot`` (``takes`` as found, else read from disk)."""
        for role in ("start", "end"):
            path = self.board_path(shot, role)
            if path is None:
                continue
            stem = posixpath.splitext(path)[0]
            sidecar = f"{stem}.json"
            if sidecar.startswith("boards/") and "/" not in sidecar[len("boards/"):] and \
                    sidecar[len("boards/"):] not in self.boards:
                continue
            recorded = _recorded_inputs(_read_json(os.path.join(self.root, sidecar), "board sidecar", shot.id))
            if recorded is None:
                continue  # drawn, rendered or painted: nothing generated it
            self.report.checked[BOARD] += 1
            if shot.id not in self.current:
                self.current[shot.id] = self.inputs.shot(shot)
            changes = compare_inputs(recorded, self.current[shot.id])
            if changes:
                self.report.stale.append(StaleItem(BOARD, path, shot=shot.id, changes=changes))
        if takes is not None:
            self.add_takes([self.take(shot, t.id, _relative(self.film, os.fspath(t.path)), t.provenance)
                            for t in takes if t.provenance])
            return
        if shot.id not in self.take_folders:
            return
        folder = os.path.join(self.root, "takes", shot.id)
        listing = _listing(folder)
        takes = []
        for name in listing:
            stem, suffix = os.path.splitext(name)
            if suffix.lower() not in _VIDEO_SUFFIXES or f"{stem}.json" not in listing:
                continue
            data = _read_json(os.path.join(folder, f"{stem}.json"), "take sidecar", shot.id)
            if data is not None:
                takes.append(self.take(shot, stem, f"takes/{shot.id}/{name}", data))
        self.add_takes(takes)

    def take(self, shot: Shot, take_id: str, path: str, data: dict) -> tuple[float, str, StaleItem]:
        """A take of ``shot`` whose sidecar holds ``data``, compared with the project now: (when it was asked
        for, its id, the item with its changes)."""
        self.report.checked[TAKE] += 1
        item = StaleItem(TAKE, path, shot=shot.id, take=take_id)
        recorded = _recorded_inputs(data)
        if recorded is not None:
            if shot.id not in self.current:
                self.current[shot.id] = self.inputs.shot(shot)
            item.changes = compare_inputs(recorded, self.current[shot.id])
        else:
            item.inputs_recorded = False
            if self.prompts is None:
                self.prompts = _Prompts(self.film)
            prompt = data.get("prompt")
            if isinstance(prompt, str) and not self.prompts.same(shot, prompt, str(data.get("provider") or ""),
                                                                 str(data.get("model") or "")):
                item.changes.append(Change("prompt", CHANGED, "prompt changed"))
        item.changes += self.board_changes(data, shot)
        when = data.get("submitted") or data.get("created") or 0
        return (when if isinstance(when, (int, float)) else 0, take_id, item)

    def add_takes(self, takes: list[tuple[float, str, StaleItem]]) -> None:
        """One shot's takes into the report, oldest first; each stale one names the newest current take."""
        takes.sort(key=lambda t: (t[0], t[1]))
        current_takes = [item.take for _, _, item in takes if not item.changes]
        for _, _, item in takes:
            if item.changes:
                item.superseded_by = current_takes[-1] if current_takes else ""
                self.report.stale.append(item)
            elif not item.inputs_recorded:
                self.report.unrecorded.append(item)

    def views(self) -> None:
        for asset in self.film.assets:
            folder = f"refs/{asset.id}"
            listing = _listing(os.path.join(self.root, folder))
            for name in sorted(listing):
                stem, suffix = os.path.splitext(name)
                if suffix.lower() not in _IMAGE_SUFFIXES or f"{stem}.json" not in listing:
                    continue
                recorded = _recorded_inputs(_read_json(os.path.join(self.root, folder, f"{stem}.json"), "view sidecar"))
                if recorded is None:
                    continue
                self.report.checked[VIEW] += 1
                view = f"{folder}/{name}"
                own = f"asset:{asset.id}:reference:"
                recorded = {k: v for k, v in recorded.items() if k != f"{own}{view}"}
                # A view approved after this one was made (views of one batch approved together) does not make
                # it stale: only a reference it was made with that changed or was withdrawn does.
                changes = [c for c in compare_inputs(recorded, self.inputs.asset(asset, view))
                           if not (c.how == ADDED and c.input.startswith(own))]
                if changes:
                    self.report.stale.append(StaleItem(VIEW, view, asset=asset.id, changes=changes))


def stale_report(film: Film, progress: ProgressCallback | None = None,
                 takes: Mapping[str, list[Take]] | None = None) -> StaleReport:
    """Every generated board, take and reference view of ``film`` whose recorded inputs differ from the
    current ones, with each input that changed and how (:class:`StaleReport`).

    A take compares the inputs its sidecar records (``inputs``) and its start and end boards (path and
    SHA-256); a take made before inputs were recorded compares what it has, its prompt (as cut to its
    provider's limit) and boards, and says so. A board or view is looked at when its sidecar records
    ``inputs`` (boards drawn, rendered or painted have none). Files are hashed once and remembered in
    ``.shotreel/digests.json`` (:class:`FileDigests`). ``progress(done, total, message)`` is called as
    shots are looked at. An unreadable sidecar is a :class:`~shotreel.errors.ProjectError` naming it.
    ``takes`` (:func:`shotreel.takes.find_takes`, when the caller has them) are compared by their
    ``provenance`` instead of reading their sidecars again.
    """
    if film.root is None:
        return StaleReport()
    digests = FileDigests(film.root)
    looker = _Looker(film, digests)
    shots = list(film.shots())
    seen: set[str] = set()
    for index, shot in enumerate(shots, start=1):
        if shot.id not in seen:
            seen.add(shot.id)
            looker.shot(shot, None if takes is None else takes.get(shot.id) or [])
        if progress is not None and (index % 250 == 0 or index == len(shots)):
            progress(index, len(shots), f"shot {shot.id}")
    looker.views()
    digests.save()
    return looker.report


def stale_takes(film: Film, takes: Mapping[str, list[Take]]) -> dict[str, dict[str, list[str]]]:
    """Shot id → take id → why that take is stale, for the ``takes`` given (:func:`shotreel.takes.find_takes`;
    each compared by its ``provenance``, as :func:`stale_report` compares its sidecar), of the takes that
    recorded their inputs (:meth:`StaleReport.known`). Empty when none is."""
    if film.root is None or not any(t.provenance.get("inputs") for found in takes.values() for t in found):
        return {}
    digests = FileDigests(film.root)
    looker = _Looker(film, digests)
    for shot in film.shots():
        if takes.get(shot.id):
            looker.add_takes([looker.take(shot, t.id, _relative(film, os.fspath(t.path)), t.provenance)
                              for t in takes[shot.id] if t.provenance])
    digests.save()
    return looker.report.take_reasons()
