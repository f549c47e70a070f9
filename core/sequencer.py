"""What a host's sequencer shows and does with a film, without the host (the Blender extension builds from it).

- :func:`reel_markers` and :func:`cut_markers`: the beat markers of a reel, or the markers of a cut read back,
  as named timeline markers on the host timeline (``FIRST_FRAME`` is the film's first frame);
  :func:`conform_markers` the reel's beat markers straight from the conform (no timeline built);
- :func:`cut_strips`: a cut read back from any editor (OTIO, FCP7 XML, EDL; :func:`shotreel.cuts.read_cut`)
  as the same strips :func:`shotreel.layout.reel_strips` makes of the reel, placed where the cut has them:
  each shot's board for its run in the cut, every take of the shot above it, the one the cut plays active
  with the cut's trims, so importing ``shotreel reel``'s output gives Load Reel's strips frame for frame;
- :func:`quote`: what a generation would send and cost (a dry run: nothing sent, nothing recorded), for the
  confirm a paid provider always needs;
- :func:`provider_options`: the keys and settings a host keeps (its preferences) as provider options, where
  the environment variable still wins;
- :func:`ledger_lines` and :func:`ledger_action`: the jobs that need the artist (waiting, failed, unknown),
  each with why, and the ledger's actions on them (forget, resubmit, release);
- :func:`project_lines`: what ``shotreel check`` finds, and listed boards that are gone, one line per problem
  (``check`` runs again only when what it reads changed); :func:`reel_takes` the takes on disk, read again
  only when a take folder changed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import opentimelineio as otio

from . import timing
from .conform import Conform
from .cuts import Cut
from .errors import ShotreelError
from .generation import ledger as L
from .generation.base import Provider
from .layout import FIRST_FRAME, ReelStrip
from .model import Film, Take
from .reel import BEAT_COLORS, default_board
from .sync import match_cut
from .takes import find_takes


@dataclass(frozen=True)
class ReelMarker:
    """A named marker at a host timeline frame (``FIRST_FRAME`` is the film's first frame)."""

    name: str
    frame: int
    color: str = ""


def reel_markers(timeline: otio.schema.Timeline, fps: Fraction) -> list[ReelMarker]:
    """The beat markers of a reel :func:`shotreel.reel.build_reel` made (its stack markers), in order."""
    return [ReelMarker(m.name, FIRST_FRAME + timing.to_frames(m.marked_range.start_time, fps), str(m.color or ""))
            for m in timeline.tracks.markers]


def conform_markers(film: Film, cut: Conform) -> list[ReelMarker]:
    """The markers :func:`reel_markers` reads from the reel built from ``cut``, straight from the conform: one
    per beat with shots, at its first shot, named by the beat's title (else its id), coloured by beat."""
    first: dict[str, int] = {}
    for shot_cut in cut.shots:
        first.setdefault(shot_cut.shot.beat, shot_cut.record_in)
    order = [beat.id for beat in film.beats] + [b for b in first if film.beat(b) is None]
    titles = {beat.id: beat.title for beat in film.beats}
    return [ReelMarker(titles.get(beat_id) or beat_id, FIRST_FRAME + first[beat_id],
                       BEAT_COLORS[index % len(BEAT_COLORS)][0])
            for index, beat_id in enumerate(order) if beat_id in first]


def cut_markers(cut: Cut) -> list[ReelMarker]:
    """The markers of a cut read back, without shotreel's check markers (``check: …``: the project's own
    warnings, which the panel lists from the next check, not the editor's notes)."""
    return [ReelMarker(m.name, FIRST_FRAME + m.frame, m.color) for m in cut.markers
            if not m.name.lower().startswith("check:")]


@dataclass
class CutPlan:
    """A cut as sequencer strips (:class:`~shotreel.layout.ReelStrip`), its markers, and what was noticed."""

    strips: list[ReelStrip]
    markers: list[ReelMarker]
    notes: list[str] = field(default_factory=list)


def cut_strips(film: Film, cut: Cut) -> CutPlan:
    """The cut as the reel's strips, where the cut places them (see the module doc). Clips that match no
    shot are reported and left out; a shot the cut shows twice keeps its first run."""
    takes = find_takes(film)
    matches = match_cut(film, cut, takes)
    plan = CutPlan([], cut_markers(cut), list(cut.notes))
    seen: set[str] = set()
    index = 0
    while index < len(matches):
        match = matches[index]
        if match.shot is None:
            plan.notes.append(f"{match.clip.name}: matches no shot of the film; left out")
            index += 1
            continue
        run = [match]  # the clips of one shot back to back (a take, and its board showing after it)
        while index + len(run) < len(matches) and matches[index + len(run)].shot == match.shot \
                and matches[index + len(run)].clip.record_in == run[-1].clip.record_out:
            run.append(matches[index + len(run)])
        index += len(run)
        shot_id = match.shot
        if shot_id in seen:
            plan.notes.append(f"shot {shot_id}: in the cut more than once; its first use is shown")
            continue
        seen.add(shot_id)
        shot = film.shot(shot_id)
        assert shot is not None
        start = FIRST_FRAME + run[0].clip.record_in
        length = run[-1].clip.record_out - run[0].clip.record_in
        board = default_board(film, shot)
        plan.strips.append(ReelStrip(shot_id, "board", None, str(board.resolve()) if board else None, 1, start,
                                     length))
        played = next((m for m in run if m.take is not None), None)
        plan.notes.extend(f"shot {shot_id}: {note}" for m in run for note in m.notes)
        duration = played.clip.duration if played is not None else length
        for n, take in enumerate(sorted(takes.get(shot_id, []), key=lambda t: t.id), 1):
            active = played is not None and take.id == played.take
            offset = (played.clip.source_in or 0) if active else 0
            take_start = played.clip.record_in + FIRST_FRAME if active else start
            plan.strips.append(ReelStrip(shot_id, "take", take.id, str(Path(film.path(take.path)).resolve()),
                                         1 + n, take_start, duration, offset, active))
    return plan


# -- generation ------------------------------------------------------------------------------------

PROVIDER_KEY_OPTIONS = {"KLING_ACCESS_KEY": "access_key", "KLING_SECRET_KEY": "secret_key"}
"""The provider option each key's environment variable fills where it is not ``api_key``."""


def provider_key_variables(name: str) -> tuple[str, ...]:
    """The environment variables holding provider ``name``'s keys (none for the offline and local ones)."""
    import importlib

    module = importlib.import_module(f"{__package__}.generation.providers.{name}")
    for value in vars(module).values():
        if isinstance(value, type) and issubclass(value, Provider) and getattr(value, "name", "") == name:
            return tuple(getattr(value, "env_keys", ()) or ())
    return ()


def provider_options(name: str, keys: Mapping[str, str], *, comfyui_address: str = "", workflow: str = "",
                     environ: Mapping[str, str] | None = None) -> dict:
    """Provider options from a host's settings: each key (by its environment variable's name) only where the
    environment does not set it (the environment wins), ComfyUI's address and workflow. The keys go to the
    provider in memory only; nothing here is written anywhere."""
    environ = os.environ if environ is None else environ
    options: dict = {}
    for variable in provider_key_variables(name):
        value = (keys.get(variable) or "").strip()
        if value and not environ.get(variable):
            options[PROVIDER_KEY_OPTIONS.get(variable, "api_key")] = value
    if name == "comfyui":
        if comfyui_address.strip() and not environ.get("SHOTREEL_COMFYUI_BASE_URL"):
            options["base_url"] = comfyui_address.strip()
        if workflow.strip():
            options["workflow"] = workflow.strip()
    return options


def is_paid(provider: Provider) -> bool:
    """Whether ``provider`` bills an account: a hosted service (not the offline one, not a local server)."""
    return bool(provider.needs_network and not getattr(provider, "local_server", False))


@dataclass
class Quote:
    """What a generation would send: ``count`` requests costing ``total`` US dollars (an estimate), one
    ``lines`` entry per request with the reason, the keys missing, and whether the provider bills."""

    provider: str
    count: int
    total: float
    paid: bool
    lines: list[str] = field(default_factory=list)
    missing_keys: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    def headline(self) -> str:
        """One line for a confirm: ``runway: 3 takes to send, estimated $1.50``."""
        what = f"{self.count} take{'s' if self.count != 1 else ''} to send"
        cost = f", estimated ${self.total:.2f}" if self.paid else " (nothing is billed)"
        return f"{self.provider}: {what}{cost}"


def quote(film: Film, provider: Provider, shots: Iterable[str], new_takes: bool = False) -> Quote:
    """Price what generating ``shots`` with ``provider`` would send (a dry run: nothing is sent or recorded)."""
    from .generation.scheduler import generate

    summary = generate(film, shots=list(shots), provider=provider, dry_run=True, new_takes=new_takes)
    requests = summary.requests
    lines = [f"{r.shot_id}/{r.take_id}  {c.explanation}" for r, c in zip(requests, summary.costs, strict=True)]
    return Quote(provider.name, len(requests), sum(c.amount for c in summary.costs), is_paid(provider), lines,
                 list(summary.missing_keys), [f"{o.key}: {o.message}" for o in summary.invalid])


# -- the ledger ------------------------------------------------------------------------------------

ACTIONS = ("forget", "resubmit", "release")


@dataclass(frozen=True)
class JobLine:
    """A job that needs the artist: ``key`` (``shot/take``), its state, why, and the actions it allows."""

    key: str
    shot: str
    state: str
    note: str
    actions: tuple[str, ...]

    def text(self) -> str:
        return f"{self.key} {self.state}" + (f": {self.note}" if self.note else "")


def ledger_lines(root: str | os.PathLike) -> list[JobLine]:
    """The ledger's jobs that are not done (waiting, failed, refused, unknown), each with its last note."""
    ledger = L.Ledger.open_readonly(Path(root))
    if ledger is None:
        return []
    lines = []
    with ledger:
        released = ledger.released()
        for record in ledger.jobs():
            if record.state in (L.DONE, L.CANCELED):
                continue
            note = f"{record.failure_kind}: {record.failure_message}" if record.failure_kind else ""
            if not note:
                events = ledger.events(record.shot, record.take)
                note = next((str(detail) for _, _, detail in reversed(events) if detail), "")
            actions: tuple[str, ...] = ()
            if record.state == L.UNKNOWN_SUBMIT:
                actions = ("forget", "resubmit")
            elif record.failure_kind in L.REFUSALS and record.key not in released:
                actions = ("release",)
            lines.append(JobLine(record.key, record.shot, record.state, note, actions))
    return lines


def ledger_action(root: str | os.PathLike, action: str, key: str) -> str:
    """Forget, resubmit or release the job ``key`` (as ``shotreel jobs --forget …``); returns what happened."""
    if action not in ACTIONS:
        raise ShotreelError(f"unknown ledger action {action!r} (known: {', '.join(ACTIONS)})")
    with L.Ledger.open(Path(root)) as ledger:
        record = getattr(ledger, action)(key)
    return {"forget": f"forgot {record.key}: the next run makes a new take for shot {record.shot}",
            "resubmit": f"{record.key} is pending again: the next run sends it (it may be billed twice)",
            "release": f"released {record.key}: the next run asks for shot {record.shot} again"}[action]


# -- the takes, remembered --------------------------------------------------------------------------

def reel_takes(film: Film) -> dict[str, list[Take]]:
    """:func:`shotreel.takes.find_takes`, remembered between loads of the same project: read again only when a
    take folder's listing or a file in it changed (name, size, time, inode: sidecars are rewritten by rename)
    or the shots did. Each call returns new :class:`~shotreel.model.Take` objects (a caller may fill in a
    probed length); their provenance is the sidecar as read."""
    if film.root is None:
        return find_takes(film)
    key = _takes_key(film)
    cached = _TAKES.get(str(film.root))
    if cached is None or cached[0] != key:
        cached = _TAKES[str(film.root)] = (key, find_takes(film))
    return {shot: [dataclasses.replace(take) for take in takes] for shot, takes in cached[1].items()}


_TAKES: dict[str, tuple[tuple, dict[str, list[Take]]]] = {}
"""The takes last found by project folder, with the key of what they were read from (:func:`_takes_key`)."""


def _takes_key(film: Film) -> tuple:
    """The shots, and every file of every take folder (``takes/<shot>/``) as it is on disk."""
    from .takes import TAKES_DIR

    base = os.path.join(os.path.abspath(film.root), TAKES_DIR)  # type: ignore[arg-type]
    files: list[tuple] = []
    try:
        folders = [(entry.name, entry.is_symlink()) for entry in os.scandir(base) if entry.is_dir()]
    except OSError:
        folders = []
    for name, link in folders:
        folder = os.path.join(base, name)
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        files.append((name, os.path.realpath(folder) if link else ""))
        for entry in entries:
            try:
                stat = entry.stat()
            except OSError:
                continue
            files.append((entry.name, entry.is_symlink(), stat.st_size, stat.st_mtime_ns, stat.st_ino))
    return os.path.realpath(base), tuple(shot.id for shot in film.shots()), tuple(files)


# -- problems --------------------------------------------------------------------------------------

def project_lines(film: Film, takes: Mapping[str, list[Take]] | None = None) -> list[str]:
    """What stands in the way, one line each naming the shot: ``check`` errors and warnings, and boards
    ``shotreel.yaml`` lists that are not on disk (the reel shows a grey placeholder for them).

    ``check`` runs again only when something it reads changed since the last call for this project (the
    project file, ``selects.yaml``, the takes, the listed boards and references, the scratch voices'
    manifest): a host loading the reel again gets its lines at once. ``takes`` are the takes on disk
    (default: :func:`shotreel.takes.find_takes`)."""
    from .checks import run_checks

    takes = find_takes(film) if takes is None else takes
    key = _check_key(film, takes)
    cached = _CHECKED.get(str(film.root))
    if key is not None and cached is not None and cached[0] == key:
        lines = list(cached[1])
    else:
        lines = [str(finding) for finding in run_checks(film).findings]
        if key is not None:
            _CHECKED[str(film.root)] = (key, tuple(lines))
    for shot in film.shots():
        for board in shot.boards:
            if not film.path(board.path).is_file():
                lines.append(f"shot {shot.id}: board {board.path} is not there (a grey placeholder shows)")
    return lines


_CHECKED: dict[str, tuple[tuple, tuple[str, ...]]] = {}
"""The last check's lines by project folder, with the key of what it read (:func:`_check_key`)."""


def _file_key(path: str | os.PathLike) -> tuple | None:
    """A file's content, cheaply: size, modification time and a hash of its bytes (None when absent)."""
    try:
        with open(path, "rb") as file:
            data = file.read()
            return os.fstat(file.fileno()).st_mtime_ns, len(data), hashlib.blake2b(data, digest_size=16).digest()
    except OSError:
        return None


def _stat_key(path: str | os.PathLike) -> tuple | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size, stat.st_mode


def _check_key(film: Film, takes: Mapping[str, list[Take]]) -> tuple | None:
    """What ``shotreel check`` may read of a project on disk, as a comparable value (None: a film built in
    memory, checked every time): the project file and ``selects.yaml`` by content, the takes as found (each
    with its whole sidecar), every other file of the project folder by size and modification time (boards,
    references and views, approvals, the voices' manifest …), and the files it names outside the folder
    likewise. Caches the check keeps for itself do not count."""
    if film.root is None:
        return None
    from .takes import SELECTS_FILE, TAKES_DIR

    root = os.path.abspath(film.root)
    source = os.path.abspath(film.source)  # as the project was loaded (its file, relative to here or not)
    outside = [board.path for shot in film.shots() for board in shot.boards if board.path]
    outside += [ref for asset in film.assets for ref in asset.references]
    return (
        _file_key(source),
        _file_key(film.root / SELECTS_FILE),
        _tree_key(root, skip=os.path.join(root, TAKES_DIR)),
        tuple((path, _stat_key(film.path(path))) for path in outside
              if not os.path.abspath(film.path(path)).startswith(root + os.sep)),
        tuple((t.shot, t.id, str(t.path), t.created, t.provenance) for found in takes.values() for t in found),
    )


_OWN_CACHES = frozenset({"digests.json", "ledger.sqlite", "ledger.sqlite-wal", "ledger.sqlite-shm"})
"""Files in ``.shotreel/`` that do not change what check finds (its own digests, the generation ledger)."""


def _tree_key(root: str, skip: str) -> tuple:
    """Every file under ``root`` but ``skip`` as (path, size, modification time), in listing order, links not
    followed into folders; video files by name only (check never reads into the media)."""
    from .takes import VIDEO_SUFFIXES

    found: list[tuple] = []
    folders = [root]
    while folders:
        folder = folders.pop()
        if folder == skip:
            continue
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        machine = os.path.basename(folder) == ".shotreel"
        for entry in entries:
            name = entry.name
            if entry.is_dir(follow_symlinks=False):
                folders.append(entry.path)
            elif name.lower().endswith(VIDEO_SUFFIXES):
                found.append((entry.path,))
            elif not (machine and (name in _OWN_CACHES or name.endswith(".lock"))):
                try:
                    stat = entry.stat()
                except OSError:
                    continue
                found.append((entry.path, stat.st_size, stat.st_mtime_ns))
    return tuple(found)
