"""What generated the film: the takes the cut uses, each with its provider, model and kind of media.

The credits, the AI-use disclosure and the content credential are all made from this one list, read
from the takes' provenance sidecars (``takes/<shot>/<take>.json``) — never typed by hand. A take whose
provenance names no model (or no provider) is still listed, as an unnamed model, with a warning naming
its sidecar and shot, so nothing generated goes unmentioned.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..conform import conform
from ..model import Film, Take

UNNAMED_MODEL = "unnamed model"
UNNAMED_PROVIDER = "unnamed provider"
OFFLINE_PROVIDERS = {"animatic": "shotreel's offline animatic (a board moved with the shot's camera)"}
"""Providers that make a take without a trained model (IPTC ``algorithmicMedia``: made by an algorithm not
based on sampled training data): credited and disclosed as made without an AI model, never as AI-generated."""


@dataclass
class UsedTake:
    """A take on screen in the cut: its shot, take id, file, provider, model and the frames it fills."""

    shot: str
    take: str
    path: Path
    provider: str
    model: str
    frames: int
    kind: str = "video"

    @property
    def trained(self) -> bool:
        """``True`` unless the take came from an offline provider that uses no trained model."""
        return self.provider not in OFFLINE_PROVIDERS


@dataclass
class Generation:
    """Every take the cut uses, and the warnings about their provenance."""

    takes: list[UsedTake] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def models(self, trained: bool | None = None) -> list[tuple[str, str, list[str]]]:
        """``(provider, model, shots)`` for each provider and model used, in order of first use; only those
        with a trained model (``trained=True``) or only the offline ones (``False``) when asked."""
        found: dict[tuple[str, str], list[str]] = {}
        for used in self.takes:
            if trained is not None and used.trained != trained:
                continue
            shots = found.setdefault((used.provider, used.model), [])
            if used.shot not in shots:
                shots.append(used.shot)
        return [(provider, model, shots) for (provider, model), shots in found.items()]

    def shots(self, kind: str = "video", trained: bool | None = None) -> list[str]:
        """The shots that show generated media of ``kind``, in story order (only those made with a trained
        model, or only the offline ones, when ``trained`` is given)."""
        return list(dict.fromkeys(u.shot for u in self.takes if u.kind == kind
                                  and (trained is None or u.trained == trained)))


def _name(provenance: dict, key: str) -> str:
    value = provenance.get(key)
    return str(value).strip() if isinstance(value, (str, int, float)) and str(value).strip() else ""


def take_generation(film: Film, take: Take, frames: int) -> tuple[UsedTake, list[str]]:
    """One take as used media, and a warning for each thing its provenance does not say."""
    provenance = take.provenance or {}
    provider, model = _name(provenance, "provider"), _name(provenance, "model")
    warnings = []
    sidecar = take.path.with_suffix(".json")
    where = sidecar.relative_to(film.root) if film.root and sidecar.is_relative_to(film.root) else sidecar
    if not provenance:
        warnings.append(f"{where}: warning: shot {take.shot}: take {take.id} has no provenance sidecar; "
                        f"credited and disclosed as made by an {UNNAMED_MODEL}")
    else:
        for key, value, unnamed in (("provider", provider, UNNAMED_PROVIDER), ("model", model, UNNAMED_MODEL)):
            if not value:
                warnings.append(f"{where}: warning: shot {take.shot}: take {take.id}'s provenance names no "
                                f"{key}; credited as '{unnamed}'")
    kind = _name(provenance, "kind") or "video"
    return UsedTake(take.shot, take.id, take.path, provider or UNNAMED_PROVIDER, model or UNNAMED_MODEL,
                    frames, kind if kind in ("video", "image") else "video"), warnings


def generation_used(film: Film) -> Generation:
    """The takes the cut shows (:func:`shotreel.conform.conform`: the select, else the newest take),
    each with its provider and model from its sidecar; reads no pixels."""
    result = Generation()
    for cut in conform(film, probe=False).shots:
        if cut.take is None or cut.covered <= 0:
            continue
        used, warnings = take_generation(film, cut.take, cut.covered)
        result.takes.append(used)
        result.warnings += warnings
    return result
