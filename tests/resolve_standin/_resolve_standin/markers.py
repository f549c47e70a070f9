"""Markers, flags and clip colours, shared by timelines, timeline items and pool clips.

Two palettes (resolve-api.md §2.11): clip colours and marker/flag colours are different sets of 16
names; any other name, and ``''``, is refused. Markers (§2.12) are kept by frameId as given —
timeline markers count from the timeline start, pool clip markers from the media's first frame,
timeline item markers from the source media start or the item start (``item_marker_origin``) — and
are never range-checked, as Resolve echoes any frameId. ``GetMarkers()`` keys are floats as in the
README's dumps (``marker_keys`` knob). A second marker on an occupied frame is refused [UNV].
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import runtime
from .base import Refuse, api
from .store import persisted

CLIP_COLORS: tuple[str, ...] = ("Orange", "Apricot", "Yellow", "Lime", "Olive", "Green", "Teal", "Navy", "Blue",
                                "Purple", "Violet", "Pink", "Tan", "Beige", "Brown", "Chocolate")
"""``SetClipColor`` on MediaPoolItem and TimelineItem (§2.11)."""

MARKER_COLORS: tuple[str, ...] = ("Blue", "Cyan", "Green", "Yellow", "Red", "Pink", "Purple", "Fuchsia", "Rose",
                                  "Lavender", "Sky", "Mint", "Lemon", "Sand", "Cocoa", "Cream")
"""``AddMarker``, ``AddFlag``, ``DeleteMarkersByColor`` (§2.11)."""


@persisted
@dataclass
class Marker:
    """One marker: where, colour, name, note, length in frames, and the invisible customData."""

    frame: float
    color: str
    name: str
    note: str
    duration: float
    custom_data: str = ""


def is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _key(value: float) -> float | int:
    if runtime.current().config.marker_keys == "int":
        return int(value)
    return float(value)


class Markers:
    """The marker calls of §2.12; the class using it has a ``markers: list[Marker]`` field."""

    markers: list[Marker]

    def _find(self, frame: Any) -> Marker | None:
        if not is_number(frame):
            return None
        return next((m for m in self.markers if m.frame == frame), None)

    def _info(self, marker: Marker) -> dict[str, Any]:
        return {"color": marker.color, "duration": _key(marker.duration), "note": marker.note,
                "name": marker.name, "customData": marker.custom_data}

    @api(fail=False, writes=True)
    def AddMarker(self, frameId: float, color: str, name: str, note: str, duration: float,
                  customData: str = "") -> bool:
        """Add a marker; False for a colour outside the marker palette, bad types or an occupied frame."""
        if not is_number(frameId):
            raise Refuse("frameId must be a number")
        if color not in MARKER_COLORS:
            raise Refuse(f"{color!r} is not a marker colour")
        if not (isinstance(name, str) and isinstance(note, str) and isinstance(customData, str)):
            raise Refuse("name, note and customData must be strings")
        if not is_number(duration) or duration < 1:
            raise Refuse("duration must be a number of frames >= 1")
        existing = self._find(frameId)
        if existing is not None:
            if not runtime.current().config.marker_same_frame:
                raise Refuse(f"a marker already sits at frame {frameId}")
            self.markers.remove(existing)
        self.markers.append(Marker(frameId, color, name, note, duration, customData))
        self.markers.sort(key=lambda m: m.frame)
        return True

    @api(fail=None)
    def GetMarkers(self) -> dict[float | int, dict[str, Any]]:
        """``{frameId: {color, duration, note, name, customData}}``."""
        return {_key(m.frame): self._info(m) for m in self.markers}

    @api(fail=None)
    def GetMarkerByCustomData(self, customData: str) -> dict[float | int, dict[str, Any]]:
        """The first marker carrying ``customData``, as ``{frameId: {…}}`` (``{}`` when none)."""
        for m in self.markers:
            if m.custom_data == customData:
                return {_key(m.frame): self._info(m)}
        return {}

    @api(fail=False, writes=True)
    def UpdateMarkerCustomData(self, frameId: float, customData: str) -> bool:
        marker = self._find(frameId)
        if marker is None or not isinstance(customData, str):
            raise Refuse(f"no marker at frame {frameId}")
        marker.custom_data = customData
        return True

    @api(fail=None)
    def GetMarkerCustomData(self, frameId: float) -> str:
        marker = self._find(frameId)
        if marker is None:
            raise Refuse(f"no marker at frame {frameId}")
        return marker.custom_data

    @api(fail=False, writes=True)
    def DeleteMarkersByColor(self, color: str) -> bool:
        """Delete every marker of ``color`` (``"All"``: every marker)."""
        if color != "All" and color not in MARKER_COLORS:
            raise Refuse(f"{color!r} is not a marker colour")
        self.markers[:] = [m for m in self.markers if color != "All" and m.color != color]
        return True

    @api(fail=False, writes=True)
    def DeleteMarkerAtFrame(self, frameNum: float) -> bool:
        marker = self._find(frameNum)
        if marker is None:
            raise Refuse(f"no marker at frame {frameNum}")
        self.markers.remove(marker)
        return True

    @api(fail=False, writes=True)
    def DeleteMarkerByCustomData(self, customData: str) -> bool:
        """Delete the first marker carrying ``customData``."""
        marker = next((m for m in self.markers if m.custom_data == customData), None)
        if marker is None:
            raise Refuse(f"no marker with customData {customData!r}")
        self.markers.remove(marker)
        return True


class Flags:
    """Flags (marker palette, §2.11); the class using it has a ``flags: list[str]`` field."""

    flags: list[str]

    @api(fail=False, writes=True)
    def AddFlag(self, color: str) -> bool:
        if color not in MARKER_COLORS:
            raise Refuse(f"{color!r} is not a flag colour")
        if color not in self.flags:
            self.flags.append(color)
        return True

    @api(fail=None)
    def GetFlagList(self) -> list[str]:
        return list(self.flags)

    @api(fail=False, writes=True)
    def ClearFlags(self, color: str) -> bool:
        """Remove the flag of ``color`` (``"All"``: every flag)."""
        if color != "All" and color not in MARKER_COLORS:
            raise Refuse(f"{color!r} is not a flag colour")
        self.flags[:] = [f for f in self.flags if color != "All" and f != color]
        return True


class ClipColor:
    """Clip colour (clip palette, §2.11); the class using it has a ``color: str`` field."""

    color: str

    def _keeps_color(self) -> bool:
        """False for items whose colour Resolve accepts and forgets (generators, titles; §2.11)."""
        return True

    @api(fail=None)
    def GetClipColor(self) -> str:
        """The clip colour's name, ``''`` when none."""
        return self.color

    @api(fail=False, writes=True)
    def SetClipColor(self, colorName: str) -> bool:
        if colorName not in CLIP_COLORS:
            raise Refuse(f"{colorName!r} is not a clip colour")
        if self._keeps_color():
            self.color = colorName
        return True

    @api(fail=False, writes=True)
    def ClearClipColor(self) -> bool:
        self.color = ""
        return True
