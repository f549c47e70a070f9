"""The reel's strips in a scene's sequencer (:func:`shotreel.layout.reel_strips`), and the edit made there sent
back as an OTIO cut (:func:`shotreel.layout.cut_timeline`) that updates ``selects.yaml`` (the core's sync)."""

from __future__ import annotations

from typing import NamedTuple

import bpy
from shotreel.interchange import write_reel
from shotreel.layout import EditStrip, ReelStrip, cut_timeline, layout_plan, reel_strips, select_strip
from shotreel.model import Film
from shotreel.reel import build_reel, reel_notes
from shotreel.sync import SyncResult, sync_selects
from shotreel.takes import Selection, find_takes
from shotreel.timing import nearest_rate

from .. import compat

EDIT_FILE = "edit/blender-edit.otio"
"""Where :func:`send_edit` writes the sequencer's edit, in the project."""
TAG = "shotreel"
"""The ID property on every strip shotreel made: ``{"shot", "kind", "take"}``."""
PLACEHOLDER_COLOR = (0.18, 0.18, 0.2)


class ReelLoad(NamedTuple):
    """What :func:`load_reel` put in the sequencer: board strips, take strips, and the reel's notes."""

    boards: int
    takes: int
    notes: list[str]


def reel_scene(film: Film) -> bpy.types.Scene:
    """The scene the film's reel is edited in (``<title> reel``), made once with the film's rate and size."""
    name = f"{film.title} reel"
    scene = bpy.data.scenes.get(name) or bpy.data.scenes.new(name)
    layout = layout_plan(film)
    compat.set_rate(scene, layout.fps)
    scene.render.resolution_x, scene.render.resolution_y = layout.resolution
    scene.frame_start, scene.frame_end = layout.start, max(layout.start, layout.end - 1)
    if film.root is not None:
        scene.shotreel.project = str(film.root)
    return scene


def shotreel_strips(scene: bpy.types.Scene) -> list:
    """The top-level strips shotreel made in ``scene``."""
    editor = scene.sequence_editor
    return [] if editor is None else [strip for strip in compat.strips(editor) if TAG in strip]


def load_reel(scene: bpy.types.Scene, film: Film) -> ReelLoad:
    """Put the film's reel in ``scene``'s sequencer, replacing the strips shotreel made there before (the
    editor's own strips stay): boards on channel 1 (a grey placeholder where a shot has no board yet),
    each shot's takes above, the chosen one playing with its trim in, the others muted to switch to."""
    timeline = build_reel(film)
    plan = reel_strips(timeline, film.fps)
    editor = scene.sequence_editor_create()
    strips = compat.strips(editor)
    for strip in shotreel_strips(scene):
        strips.remove(strip)
    provenance = {(t.shot, t.id): t.provenance for shot_takes in find_takes(film).values() for t in shot_takes}
    boards = takes = 0
    for item in plan:
        strip = _board(strips, item) if item.kind == "board" else _take(strips, item)
        tag = {"shot": item.shot, "kind": item.kind, "take": item.take or ""}
        made = provenance.get((item.shot, item.take or ""), {})
        tag.update({key: str(made[key]) for key in ("provider", "model", "seed", "prompt") if made.get(key)})
        strip[TAG] = tag  # what the take is, for the panel (a seed may not fit Blender's 32-bit ints: text)
        if item.kind == "board":
            boards += 1
        else:
            takes += 1
    highest = max((item.channel for item in plan), default=1)
    editor.channels[1].name = "Boards"
    for channel in range(2, highest + 1):
        editor.channels[channel].name = "Takes" if channel == 2 else f"Takes {channel - 1}"
    return ReelLoad(boards, takes, reel_notes(timeline))


def _board(strips, item: ReelStrip):
    if item.path is None:  # not drawn yet: the shot's length, visible
        strip = compat.new_color(strips, item.shot, item.channel, item.start, item.duration)
        strip.color = PLACEHOLDER_COLOR
        return strip
    strip = strips.new_image(item.shot, item.path, item.channel, item.start, fit_method="FIT")
    strip.frame_final_duration = item.duration
    return strip


def _take(strips, item: ReelStrip):
    strip = strips.new_movie(f"{item.shot} {item.take}", item.path, item.channel, item.start - item.offset,
                             fit_method="FIT")
    strip.frame_final_start = item.start
    strip.frame_final_end = min(item.start + item.duration, strip.frame_final_end)  # a short take ends early
    strip.mute = not item.active
    return strip


def take_of(strip) -> tuple[str, str] | None:
    """(shot, take) of a take strip shotreel made, else None."""
    tag = strip.get(TAG) if strip is not None else None
    if tag is None:
        return None
    tag = tag.to_dict() if hasattr(tag, "to_dict") else dict(tag)
    return (str(tag["shot"]), str(tag["take"])) if tag.get("kind") == "take" else None


def use_take(scene: bpy.types.Scene, film: Film, strip) -> Selection:
    """Make the take ``strip`` shows the shot's take: ``selects.yaml`` records it with the strip's trims
    (:func:`shotreel.layout.select_strip`), it plays and the shot's other takes are muted."""
    found = take_of(strip)
    if found is None:
        from shotreel.errors import ShotreelError

        raise ShotreelError(f"{strip.name if strip else 'nothing'} is not a take shotreel put in the reel")
    shot_id, take_id = found
    selection = select_strip(film, shot_id, take_id, _edit_strip(strip))
    for other in shotreel_strips(scene):
        if take_of(other) is not None and take_of(other)[0] == shot_id:
            other.mute = other != strip
    return selection


def edit_strips(scene: bpy.types.Scene) -> list[EditStrip]:
    """Every picture strip of ``scene``'s sequencer as the editor left it (moved, trimmed, muted)."""
    editor = scene.sequence_editor
    strips = [] if editor is None else [_edit_strip(s) for s in compat.strips(editor)]
    return [strip for strip in strips if strip is not None]


def _edit_strip(strip) -> EditStrip | None:
    """A strip as plain data for the core (None for what is not a picture: sound, effects)."""
    if strip.type == "MOVIE":
        path, rate, still = bpy.path.abspath(strip.filepath), nearest_rate(strip.fps, tolerance=0.01), False
    elif strip.type == "IMAGE":
        path, rate, still = bpy.path.abspath(strip.directory + strip.elements[0].filename), None, True
    elif strip.type == "COLOR" and TAG in strip:  # a board not drawn yet: the shot is still there
        path, rate, still = None, None, True
    else:
        return None
    return EditStrip(name=strip.name, path=path, channel=strip.channel, start=strip.frame_final_start,
                     end=strip.frame_final_end, offset=round(strip.frame_offset_start), rate=rate, muted=strip.mute,
                     still=still)


def send_edit(scene: bpy.types.Scene, film: Film) -> SyncResult:
    """Write the sequencer's edit to ``edit/blender-edit.otio`` and read it back into ``selects.yaml``: the
    take each shot shows and its trims; shots moved against the story are reported, never rewritten."""
    path = film.path(EDIT_FILE)
    write_reel(cut_timeline(edit_strips(scene), film), path)
    return sync_selects(film, path)
