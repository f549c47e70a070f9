"""Importing a cut into the reel scene: read by :func:`shotreel.cuts.read_cut`, matched to shots and takes by
:func:`shotreel.sync.match_cut`, placed by :func:`shotreel.sequencer.cut_strips` exactly as Load Reel places
the reel (boards on channel 1, every take of a shot above, the one the cut plays active with the cut's trims,
the cut's markers as timeline markers). Nothing is written to the project: Send Edit to Project records the
imported choices in ``selects.yaml`` when the artist wants them."""

from __future__ import annotations

from pathlib import Path

import bpy
from shotreel.cuts import read_cut
from shotreel.model import Film
from shotreel.sequencer import cut_strips

from ..takes.core import ReelLoad, place_reel, reel_scene


def import_cut(film: Film, path: str | Path) -> tuple[bpy.types.Scene, ReelLoad]:
    """Put the cut at ``path`` in the film's reel scene in place of shotreel's strips; returns the scene and
    what was placed (its notes: clips that match no shot, takes that are gone …)."""
    path = Path(path)
    cut = read_cut(path, rate=film.fps if path.suffix.lower() == ".edl" else None)
    plan = cut_strips(film, cut)
    scene = reel_scene(film)
    return scene, place_reel(scene, film, plan.strips, plan.markers, plan.notes)
