"""Asset reference sheets: the views each asset gets, the requests that make them, approvals by view, and
one contact sheet per asset to look at.

An asset's views are stills an image model makes from the asset's description, the film's style and the
view's framing, with the asset's approved references as reference images so each new view keeps the look
already approved:

- a character: a turnaround (``front``, ``three-quarter``, ``profile``, ``back``; full length, portrait 2:3)
  and a few expressions (``neutral``, ``smile``, ``fear``; head and shoulders, square);
- a location: an establishing ``wide`` and its ``reverse``, at the film's aspect;
- a prop: ``front``, ``side``, ``three-quarter`` and ``top`` (square).

Characters and props stand on a plain neutral background, so a model given the view as a reference takes
the subject, not the room. Views are written as ``refs/<asset>/<view>.png`` (or ``.jpg``/``.webp``, as the
model delivers) with a provenance sidecar each, through the generation engine
(:func:`shotreel.generation.images.generate_images`: the same ledger, costs and dry run as takes); a view
already on disk is never made again. :func:`approve_views` records views by name in ``approvals.yaml``
(:mod:`shotreel.approvals`); only approved references feed boards and takes.

:func:`write_sheet` draws ``refs/<asset>/sheet.png``: every reference the asset has (those typed in
``shotreel.yaml``, then each view), side by side, each labelled with its name and whether it is approved,
and the views not made yet as empty frames. Without a provider that is all :func:`make_assets` does: a
labelled layout of the references the user already has. The module never prints; progress goes through a
callback.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PIL import Image, UnidentifiedImageError

from .approvals import approve, approved_paths, load_approvals, revoke
from .canvas import ImageCanvas
from .cards import INK, MUTED, PAPER, RULE
from .drawing import as_rgb, cap_height, line_height, printable
from .errors import ShotreelError
from .fsutil import atomic_output
from .generation.base import IMAGE, GenerationRequest, Provider
from .limits import is_image, may_read_image
from .model import Asset, Film
from .palette import BEAT_COLOURS
from .progress import ProgressCallback, no_progress
from .prompts import derived_seed, truncate_words
from .stale import Inputs

if TYPE_CHECKING:
    from .generation.images import ImageJob

REFS_DIR = "refs"
SHEET_NAME = "sheet"
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")
NEUTRAL_BACKGROUND = "plain neutral grey background, soft even studio light, nothing else in frame"
NEGATIVE = "text, captions, watermark, logo, frame border, several people, busy background"
APPROVED_GREEN = BEAT_COLOURS[1].rgb
_SAFE_ID = re.compile(r"^[^/\\\x00-\x1f.][^/\\\x00-\x1f]*$")
_IMAGE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError, UnidentifiedImageError)


class AssetError(ShotreelError):
    """An asset cannot be sheeted, generated or approved as asked (unknown asset or view, a reference that is
    not an image, a provider that takes no reference images)."""


@dataclass(frozen=True)
class View:
    """One view an asset gets: its ``name`` (the file's stem), the ``framing`` the prompt asks for and its
    ``shape``: ``portrait`` (2:3), ``square`` or ``film`` (the film's aspect)."""

    name: str
    framing: str
    shape: str


VIEWS: dict[str, tuple[View, ...]] = {
    "character": (
        View("front", "character turnaround, full length from head to feet, facing the camera, standing straight, "
                      "arms relaxed at the sides", "portrait"),
        View("three-quarter", "character turnaround, full length, body turned three-quarters to the left",
             "portrait"),
        View("profile", "character turnaround, full length, in profile facing left", "portrait"),
        View("back", "character turnaround, full length, seen from behind", "portrait"),
        View("neutral", "head and shoulders portrait, neutral expression, looking into the lens", "square"),
        View("smile", "head and shoulders portrait, a small genuine smile", "square"),
        View("fear", "head and shoulders portrait, afraid, eyes wide, breath held", "square"),
    ),
    "location": (
        View("wide", "establishing wide shot of the whole place at eye level, no people", "film"),
        View("reverse", "the reverse angle of the establishing wide: the same place seen from the opposite side, "
                        "no people", "film"),
    ),
    "prop": (
        View("front", "product view from the front, the whole object in frame", "square"),
        View("side", "product view from the side, the whole object in frame", "square"),
        View("three-quarter", "product view from three-quarters above, the whole object in frame", "square"),
        View("top", "product view from directly above, the whole object in frame", "square"),
    ),
}
"""The views each kind of asset gets, in the order a sheet shows them."""

VIEW_LONG_SIDE = 1024
"""Views are made with their long side this many pixels (even sides, the view's exact shape where it can be)."""


@dataclass
class ViewState:
    """One reference of an asset as the sheet shows it.

    ``name``: the view's name (a typed reference: its file name); ``path``: the file (``None``: not made
    yet); ``ref``: its project-relative path; ``approved``: whether it feeds boards and takes; ``typed``:
    listed under the asset's ``references:`` in ``shotreel.yaml``; ``size``: its pixels (what a view not made
    yet would be).
    """

    name: str
    path: Path | None
    ref: str
    approved: bool = False
    typed: bool = False
    size: tuple[int, int] = (0, 0)

    @property
    def exists(self) -> bool:
        return self.path is not None


@dataclass
class AssetSheet:
    """An asset's references and the sheet drawn of them (``sheet`` is ``None`` when none was written)."""

    asset: str
    kind: str
    views: list[ViewState] = field(default_factory=list)
    sheet: Path | None = None

    @property
    def approved(self) -> list[ViewState]:
        return [v for v in self.views if v.approved]


@dataclass
class AssetsResult:
    """What :func:`make_assets` did: each asset's sheet, the image jobs it sent (or would send) and the
    engine's summary of them (``None`` without a provider)."""

    sheets: list[AssetSheet] = field(default_factory=list)
    jobs: list[ImageJob] = field(default_factory=list)
    generation: Any = None
    withdrawn: list[str] = field(default_factory=list)
    """Approved views that were stale and are made again (``stale=True``): their approval is withdrawn before
    anything is sent (a stale picture neither feeds boards and takes nor the new views); look at the new
    one and approve it again."""


# -- which assets, which views -------------------------------------------------------------------------

def chosen_assets(film: Film, asset_ids: list[str] | None = None) -> list[Asset]:
    """The assets named by ``asset_ids`` (all when empty), in the project's order; an id that is not an asset
    is an :class:`AssetError` naming it and listing the assets there are."""
    if not asset_ids:
        assets = list(film.assets)
    else:
        unknown = [a for a in dict.fromkeys(asset_ids) if film.asset(a) is None]
        if unknown:
            known = ", ".join(a.id for a in film.assets) or "none"
            raise AssetError(f"no asset {', '.join(repr(u) for u in unknown)} in the project (assets: {known})",
                             file=film.source)
        wanted = set(asset_ids)
        assets = [a for a in film.assets if a.id in wanted]
    for asset in assets:
        if not _SAFE_ID.match(asset.id):
            raise AssetError(f"asset id {asset.id!r} cannot name a folder under {REFS_DIR}/", file=film.source,
                             line=asset.line)
    return assets


def views_for(asset: Asset) -> tuple[View, ...]:
    """The views an asset of its kind gets (:data:`VIEWS`)."""
    return VIEWS.get(asset.kind, VIEWS["prop"])


def _even(value: float) -> int:
    return max(16, 2 * round(value / 2))


def view_size(film: Film, view: View) -> tuple[int, int]:
    """The pixel size a view is made at: long side :data:`VIEW_LONG_SIDE`, 2:3 for ``portrait``, square, or the
    film's aspect for ``film`` (even sides)."""
    if view.shape == "square":
        return VIEW_LONG_SIDE, VIEW_LONG_SIDE
    if view.shape == "portrait":
        return _even(VIEW_LONG_SIDE * 2 / 3), VIEW_LONG_SIDE
    width, height = film.resolution
    if width >= height:
        return VIEW_LONG_SIDE, _even(VIEW_LONG_SIDE * height / width)
    return _even(VIEW_LONG_SIDE * width / height), VIEW_LONG_SIDE


def view_folder(asset: Asset) -> str:
    """Where an asset's views live, relative to the project: ``refs/<asset>``."""
    return f"{REFS_DIR}/{asset.id}"


def _view_file(film: Film, asset: Asset, name: str) -> Path | None:
    folder = film.path(view_folder(asset))
    for suffix in IMAGE_SUFFIXES:
        path = folder / f"{name}{suffix}"
        if path.is_file():
            return path
    return None


def _views_on_disk(film: Film, asset: Asset) -> dict[str, Path]:
    """View name → file, for every image file in ``refs/<asset>/`` (the sheet itself left out)."""
    folder = film.path(view_folder(asset))
    found: dict[str, Path] = {}
    if folder.is_dir():
        for path in sorted(folder.iterdir()):
            if (path.suffix.lower() in IMAGE_SUFFIXES and path.is_file() and path.stem != SHEET_NAME
                    and not path.name.startswith(".")):
                found.setdefault(path.stem, path)
    return found


def _relative(film: Film, path: Path) -> str:
    if film.root is not None and path.is_relative_to(film.root):
        return path.relative_to(film.root).as_posix()
    return str(path)


def asset_views(film: Film, asset: Asset, approvals: dict[str, list[str]] | None = None) -> list[ViewState]:
    """Every reference of ``asset`` in sheet order: those typed in ``shotreel.yaml``, then its kind's views
    (made or not yet), then any other image in ``refs/<asset>/``; each marked approved or not."""
    approvals = load_approvals(film) if approvals is None else approvals
    approved = set(asset.references) | set(approvals.get(asset.id, []))
    states: list[ViewState] = []
    for ref in asset.references:
        path = film.path(ref)
        states.append(ViewState(Path(ref).name, path if path.is_file() else None, ref, True, True))
    on_disk = _views_on_disk(film, asset)
    typed = {film.path(ref) for ref in asset.references}
    planned = {view.name: view for view in views_for(asset)}
    for name in list(planned) + [n for n in on_disk if n not in planned]:
        path = on_disk.get(name)
        if path is not None and path in typed:
            continue
        ref = _relative(film, path) if path is not None else f"{view_folder(asset)}/{name}.png"
        size = view_size(film, planned[name]) if name in planned else (0, 0)
        states.append(ViewState(name, path, ref, ref in approved, False, size))
    return states


# -- approvals by view ---------------------------------------------------------------------------------

def _named_views(film: Film, asset: Asset, names: list[str]) -> list[str]:
    """The project-relative files of the views ``names``; a name with no file is an :class:`AssetError` naming
    the asset and the view and listing the views there are."""
    on_disk = _views_on_disk(film, asset)
    missing = [n for n in dict.fromkeys(names) if n not in on_disk]
    if missing:
        there = ", ".join(on_disk) or "none yet: make them with --provider"
        raise AssetError(f"asset {asset.id}: no view {', '.join(repr(m) for m in missing)} in "
                         f"{view_folder(asset)}/ (views there: {there})", file=film.source, line=asset.line)
    return [_relative(film, on_disk[n]) for n in dict.fromkeys(names)]


def approve_views(film: Film, asset_id: str, names: list[str]) -> list[str]:
    """Approve the views ``names`` of ``asset_id`` (recorded in ``approvals.yaml``, never in ``shotreel.yaml``);
    returns the asset's approved views afterwards. An unknown asset or view, or a view that is not an image,
    is an :class:`AssetError`; nothing is recorded then."""
    asset = chosen_assets(film, [asset_id])[0]
    refs = _named_views(film, asset, names)
    for ref in refs:
        if not is_image(film.path(ref)):
            raise AssetError(f"asset {asset.id}: view {ref} is not an image; it cannot be approved", file=ref)
    return approve(film, asset.id, refs)


def revoke_views(film: Film, asset_id: str, names: list[str]) -> list[str]:
    """Withdraw the approval of the views ``names`` of ``asset_id`` (the files stay); returns what stays
    approved. A view approved earlier whose file is gone may be withdrawn by name too."""
    asset = chosen_assets(film, [asset_id])[0]
    recorded = {Path(ref).stem: ref for ref in load_approvals(film).get(asset.id, [])}
    on_disk = _views_on_disk(film, asset)
    unknown = [n for n in dict.fromkeys(names) if n not in recorded and n not in on_disk]
    if unknown:
        there = ", ".join(dict.fromkeys([*on_disk, *recorded])) or "none"
        raise AssetError(f"asset {asset.id}: no view {', '.join(repr(u) for u in unknown)} in "
                         f"{view_folder(asset)}/ (views there: {there})", file=film.source, line=asset.line)
    refs = [recorded.get(n) or _relative(film, on_disk[n]) for n in dict.fromkeys(names)]
    return revoke(film, asset.id, refs)


# -- the requests --------------------------------------------------------------------------------------

def _sentence(text: str) -> str:
    text = " ".join((text or "").split())
    return text if not text or text[-1] in ".!?" else text + "."


def view_prompt(film: Film, asset: Asset, view: View, max_chars: int = 0) -> str:
    """The prompt for one view: what the asset is, the view's framing, a neutral background for characters and
    props, then the film's style; cut to ``max_chars`` at a word boundary (0: no limit)."""
    parts = [_sentence(f"{asset.kind.capitalize()} reference sheet of {asset.id}: {asset.description}"),
             _sentence(view.framing[:1].upper() + view.framing[1:])]
    if asset.kind != "location":
        parts.append(_sentence(NEUTRAL_BACKGROUND[:1].upper() + NEUTRAL_BACKGROUND[1:]))
    if film.style:
        parts.append(_sentence(f"Style: {film.style}"))
    return truncate_words(" ".join(p for p in parts if p), max_chars)


def _asset_references(film: Film, asset: Asset) -> list[Path]:
    """The asset's approved references that exist, each checked to be an image (else :class:`AssetError`)."""
    found = []
    for ref in approved_paths(film, asset.id):
        path = film.path(ref)
        if not path.is_file():
            continue  # a view that is gone is made again; a typed one missing is `check`'s error
        if not may_read_image(path, film.root) or not is_image(path):
            raise AssetError(f"asset {asset.id}: reference {ref} is not an image (PNG, JPEG, TIFF, EXR, DPX, "
                             "WebP, BMP or GIF)", file=ref)
        found.append(path.absolute())
    return found


def limit_references(provider: Provider, model: str, groups: list[list[Path]], *, asset: str | None = None,
                     shot: str | None = None) -> tuple[Path, ...]:
    """The reference images one request of ``model`` may carry from ``groups`` (one list per asset): every
    group's first, then every group's second …, up to the model's ``max_reference_images``, so each asset is
    represented. When there are references and the model takes none, an :class:`AssetError` naming the
    ``asset`` or ``shot`` says so before anything is sent."""
    total = len({p for g in groups for p in g})
    if not total:
        return ()
    most = provider.capabilities(model).max_reference_images
    if most <= 0:
        who = f"asset {asset} has" if asset else "the shot's assets have"
        raise AssetError(f"{provider.name} {model} takes no reference images, and {who} {total} approved "
                         f"reference image{'s' if total != 1 else ''}: choose a provider that takes them, or "
                         "withdraw the approvals (shotreel assets DIR ASSET --revoke VIEW)", shot=shot)
    picked: list[Path] = []
    for rank in range(max(len(g) for g in groups)):
        picked += [g[rank] for g in groups if rank < len(g)]
    return tuple(dict.fromkeys(picked))[:most]


def _image_model(provider: Provider, model: str | None) -> str:
    return model or provider.default_image_model()


def view_request(film: Film, asset: Asset, view: View, provider: Provider, model: str | None = None,
                 references: tuple[Path, ...] | None = None) -> GenerationRequest:
    """The image request for one view of ``asset`` (owner ``asset:<id>``, take id the view's name)."""
    model = _image_model(provider, model)
    if references is None:
        references = limit_references(provider, model, [_asset_references(film, asset)], asset=asset.id)
    width, height = view_size(film, view)
    owner = f"asset:{asset.id}"
    return GenerationRequest(
        take_id=view.name, shot_id=owner, provider=provider.name, model=model,
        prompt=view_prompt(film, asset, view, provider.capabilities(model).max_prompt_chars),
        negative_prompt=NEGATIVE, duration_frames=0, fps=film.fps, width=width, height=height,
        reference_images=references, seed=derived_seed(owner, view.name), kind=IMAGE)


def stale_views(film: Film, assets: list[Asset]) -> dict[str, set[str]]:
    """Asset id → the names of its generated views made from inputs that changed since
    (:func:`shotreel.stale.stale_report`: its description, the style, a reference it was made with)."""
    from .stale import VIEW, stale_report

    wanted = {asset.id for asset in assets}
    found: dict[str, set[str]] = {}
    for item in stale_report(film, takes={}).of_kind(VIEW):
        if item.asset in wanted:
            found.setdefault(item.asset, set()).add(Path(item.path).stem)
    return found


def plan_views(film: Film, assets: list[Asset], provider: Provider, model: str | None = None,
               remake: dict[str, set[str]] | None = None, exclude: frozenset[str] = frozenset()) -> list[ImageJob]:
    """An image job for every view of ``assets`` not on disk yet (``refs/<asset>/<view>``), each with the
    asset's approved references but those in ``exclude`` (project-relative paths); a view already made is
    never made again, unless it is named in ``remake`` (asset id → view names: the stale ones). Every input
    is checked first."""
    from .generation.images import ImageJob

    model = _image_model(provider, model)
    inputs = Inputs(film)
    jobs: list[ImageJob] = []
    for asset in assets:
        usable = [p for p in _asset_references(film, asset) if _relative(film, p) not in exclude]
        references = limit_references(provider, model, [usable], asset=asset.id)
        for view in views_for(asset):
            if _view_file(film, asset, view.name) is not None and view.name not in (remake or {}).get(asset.id, ()):
                continue
            request = view_request(film, asset, view, provider, model, references)
            destination = f"{view_folder(asset)}/{view.name}"
            recorded = {k: v for k, v in inputs.asset(asset, f"{destination}.png").items()
                        if k.split(":reference:", 1)[-1] not in exclude}
            provenance = {"asset": asset.id, "view": view.name, "inputs": recorded}
            jobs.append(ImageJob(request, destination, provenance))
    return jobs


# -- the sheet -----------------------------------------------------------------------------------------

_THUMB_H = 320
_GAP = 28
_MARGIN = 48
_MAX_ROW = 2000


def _load(path: Path, asset: Asset, ref: str) -> Image.Image:
    if not is_image(path):
        raise AssetError(f"asset {asset.id}: reference {ref} is not an image (PNG, JPEG, TIFF, EXR, DPX, WebP, "
                         "BMP or GIF)", file=ref)
    try:
        with Image.open(path) as image:
            image.load()
            loaded = as_rgb(image, PAPER)
    except _IMAGE_ERRORS as exc:
        raise AssetError(f"asset {asset.id}: reference {ref} cannot be read as an image ({exc})", file=ref) from None
    loaded.thumbnail((4 * _THUMB_H, _THUMB_H), Image.Resampling.LANCZOS)
    return loaded


def _cell_width(state: ViewState, thumb: Image.Image | None) -> int:
    if thumb is not None:
        w, h = thumb.size
    else:
        w, h = state.size if state.size[0] and state.size[1] else (1, 1)
    return max(160, min(3 * _THUMB_H, round(_THUMB_H * w / h)))


def draw_sheet(film: Film, asset: Asset, states: list[ViewState]) -> Image.Image:
    """The contact sheet of ``asset``: its references side by side, each labelled with its name and
    approved or not; a view not made yet as an empty frame. Every image is read first (:class:`AssetError`
    naming one that is not an image)."""
    thumbs = [_load(s.path, asset, s.ref) if s.path is not None else None for s in states]
    widths = [_cell_width(s, t) for s, t in zip(states, thumbs, strict=True)]
    rows: list[list[int]] = [[]]
    used = 0
    for index, width in enumerate(widths):
        if rows[-1] and used + _GAP + width > _MAX_ROW:
            rows.append([])
            used = 0
        used += (_GAP if rows[-1] else 0) + width
        rows[-1].append(index)
    content_w = max(900, max((sum(widths[i] for i in row) + _GAP * (len(row) - 1)) for row in rows))
    name_size, status_size, title_size, text_size = 26, 20, 44, 22
    caption = 10 + line_height(name_size) + line_height(status_size) + 6
    probe = ImageCanvas(Image.new("RGB", (1, 1)))
    description = probe.lines(printable(asset.description or "(no description)"), text_size, content_w, 3)
    header = cap_height(title_size) + 16 + len(description) * line_height(text_size) + 48
    hints = [f"approve views: shotreel assets DIR {asset.id} --approve VIEW [VIEW ...]"]
    if any(not state.exists for state in states):
        hints.append(f"make the views not made yet: shotreel assets DIR {asset.id} --provider P")
    footer = len(hints) * line_height(18) + 8
    width = content_w + 2 * _MARGIN
    height = _MARGIN + header + len(rows) * (_THUMB_H + caption + _GAP) - _GAP + 24 + footer + _MARGIN
    sheet = Image.new("RGB", (width, height), PAPER)
    canvas = ImageCanvas(sheet)

    y = _MARGIN + cap_height(title_size)
    canvas.text((_MARGIN, y), canvas.fit(printable(asset.id), title_size, content_w * 0.6, True), title_size, INK,
                bold=True)
    approved = sum(1 for s in states if s.approved and s.exists)
    made = sum(1 for s in states if s.exists)
    summary = f"{asset.kind}  ·  {made} reference{'s' if made != 1 else ''}  ·  {approved} approved"
    canvas.text((_MARGIN + content_w, y), summary, text_size, MUTED, anchor="rs")
    y += 16
    for line in description:
        y += line_height(text_size)
        canvas.text((_MARGIN, y), line, text_size, MUTED)
    y = _MARGIN + header - 26
    canvas.line([(_MARGIN, y), (_MARGIN + content_w, y)], RULE, 2)

    top = _MARGIN + header
    for row in rows:
        x = _MARGIN
        for index in row:
            state, thumb, w = states[index], thumbs[index], widths[index]
            box = (x, top, x + w, top + _THUMB_H)
            if thumb is not None:
                canvas.image(thumb, box, (28, 29, 32))
                approved_here = state.approved
                canvas.rect(box, outline=APPROVED_GREEN if approved_here else RULE, width=4 if approved_here else 1)
            else:
                canvas.rect(box, fill=(236, 233, 226))
                _dashed(canvas, box)
                if state.size[0]:
                    canvas.text((x + w / 2, top + _THUMB_H / 2 + 8), f"{state.size[0]}x{state.size[1]}", status_size,
                                MUTED, anchor="ms")
            bar = 5
            canvas.rect((x, top + _THUMB_H, x + w, top + _THUMB_H + bar),
                        fill=APPROVED_GREEN if state.approved and state.exists else RULE)
            line1 = top + _THUMB_H + bar + line_height(name_size)
            canvas.text((x, line1), canvas.fit(printable(state.name), name_size, w, True), name_size, INK, bold=True)
            if not state.exists:
                status, colour = ("approved, but the file is gone" if state.approved else "not made yet"), MUTED
            elif state.typed:
                status, colour = "approved (shotreel.yaml)", APPROVED_GREEN
            elif state.approved:
                status, colour = "approved", APPROVED_GREEN
            else:
                status, colour = "not approved", MUTED
            canvas.text((x, line1 + line_height(status_size)), canvas.fit(status, status_size, w), status_size,
                        colour, bold=state.approved and state.exists)
            x += w + _GAP
        top += _THUMB_H + caption + _GAP
    y = height - _MARGIN - (len(hints) - 1) * line_height(18)
    for hint in hints:
        canvas.text((_MARGIN, y), canvas.fit(printable(hint), 18, content_w), 18, MUTED)
        y += line_height(18)
    return sheet


def _dashed(canvas: ImageCanvas, box: tuple[int, int, int, int], dash: int = 12) -> None:
    x0, y0, x1, y1 = box
    for x in range(x0, x1, 2 * dash):
        canvas.line([(x, y0), (min(x + dash, x1 - 1), y0)], MUTED, 2)
        canvas.line([(x, y1 - 1), (min(x + dash, x1 - 1), y1 - 1)], MUTED, 2)
    for y in range(y0, y1, 2 * dash):
        canvas.line([(x0, y), (x0, min(y + dash, y1 - 1))], MUTED, 2)
        canvas.line([(x1 - 1, y), (x1 - 1, min(y + dash, y1 - 1))], MUTED, 2)


def sheet_path(film: Film, asset: Asset) -> Path:
    """Where an asset's contact sheet is written: ``refs/<asset>/sheet.png``."""
    return film.path(f"{view_folder(asset)}/{SHEET_NAME}.png")


def write_sheet(film: Film, asset: Asset, approvals: dict[str, list[str]] | None = None) -> AssetSheet:
    """Draw ``asset``'s contact sheet (:func:`draw_sheet`) and write it to ``refs/<asset>/sheet.png``
    atomically; returns what it shows and where it is."""
    states = asset_views(film, asset, approvals)
    image = draw_sheet(film, asset, states)
    target = sheet_path(film, asset)
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_output(target) as tmp:
        image.save(tmp, format="PNG")
    return AssetSheet(asset.id, asset.kind, states, target)


# -- the whole job -------------------------------------------------------------------------------------

def make_assets(film: Film, asset_ids: list[str] | None = None, provider: Provider | str | None = None, *,
                model: str | None = None, dry_run: bool = False, concurrency: int | None = None,
                progress: ProgressCallback | None = None, stop: Any = None,
                options: dict | None = None, stale: bool = False) -> AssetsResult:
    """Make the views ``asset_ids`` (all assets when empty) are missing with ``provider`` — and with
    ``stale`` the views made from inputs that changed since (:func:`stale_views`; an approved one among them
    loses its approval first, :attr:`AssetsResult.withdrawn`) —, then write each
    asset's contact sheet.

    Without a provider nothing is generated: the sheets lay out the references the user already has. With
    one, every job is planned and checked before anything is sent (an unknown asset, a reference that is not
    an image, a provider that takes no reference images for an asset that has some, each one
    :class:`AssetError`); the jobs go through :func:`shotreel.generation.images.generate_images` (ledger,
    costs, never paid twice). ``dry_run`` prices them and writes nothing, not even the sheets.
    ``progress(done, total, message)`` is called for the jobs and then once per sheet.
    """
    if film.root is None:
        raise AssetError("asset sheets need a project folder (the film was not loaded from one)")
    progress = progress or no_progress
    assets = chosen_assets(film, asset_ids)
    result = AssetsResult()
    if provider is not None:
        from .generation.images import generate_images
        from .generation.registry import get_provider

        prov = provider if isinstance(provider, Provider) else get_provider(provider, **(options or {}))
        remake = stale_views(film, assets) if stale else {}
        outdated = {asset_id: [ref for ref in refs if Path(ref).stem in remake.get(asset_id, ())]
                    for asset_id, refs in load_approvals(film).items()}
        exclude = frozenset(ref for refs in outdated.values() for ref in refs)
        if exclude and not dry_run:
            for asset_id, refs in outdated.items():
                if refs:
                    revoke(film, asset_id, refs)
            result.withdrawn = sorted(exclude)
            exclude = frozenset()  # withdrawn: the approvals no longer name them
        result.jobs = plan_views(film, assets, prov, model, remake, exclude)
        result.generation = generate_images(film, result.jobs, prov, model=_image_model(prov, model),
                                            concurrency=concurrency, dry_run=dry_run, progress=progress, stop=stop)
        if dry_run:
            return result
    approvals = load_approvals(film)
    for done, asset in enumerate(assets):
        progress(done, len(assets), f"sheet {asset.id}")
        result.sheets.append(write_sheet(film, asset, approvals))
    progress(len(assets), len(assets), "sheets written")
    return result

