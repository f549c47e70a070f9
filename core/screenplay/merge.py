"""Merge a revised script into an existing project without losing what a person wrote.

What the importer drafted last time is kept in ``.shotreel/script-import.json`` (the record: per
shot id, the drafted values and the script text it was drafted from). A three-way rule decides
each drafted field of each shot (beat, duration, action, camera, sound, dialogue, continuity,
assets), scene (heading, location) and beat (title, summary):

- the script did not change it (new draft == last draft): the current value stays;
- the person did not change it (current == last draft): it takes the new draft;
- both changed it: the person's value wins and the report says so.

Assets merge as sets (characters the script adds are added, ones it drops are removed, ones a
person added stay). Fields the importer never drafts (prompt, boards, camera a person wrote …)
are never touched. Without a record (a project not made by ``import-script``) matched shots keep
every value they have and only empty fields are filled.

Revised scenes are matched to existing ones by scene number, heading and the words of their
shots; shots by their script text (exact, then :class:`difflib.SequenceMatcher` ≥ 0.5), so
scenes and shots keep their ids when scenes are reordered, inserted or cut and dialogue is
rewritten. A shot the script no longer has in its scene but has, word for word or nearly
(``MATCH_MOVE``), in another scene, new or old, moves there with its id and every hand edit (written
from its data: comments inside that shot are not carried). New scenes and shots get ids that fit
between their neighbours (``sc03a``, ``sc02_sh025``); removed ones are reported, never deleted.
The order follows the script unless a person reordered by hand. The edits are spliced into the text (:mod:`.yamlpatch`), and the
result is checked to hold exactly the intended data before anything is written.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from ..errors import ShotreelError
from ..project import FILM_KEYS, SHOT_KEYS, film_to_data
from .draft import Draft, inserted_ids
from .yamlpatch import New, YamlText

RECORD_VERSION = 1
SHOT_FIELDS = ("beat", "duration", "action", "camera", "sound", "dialogue", "continuity", "assets")
SCENE_FIELDS = ("heading", "location")
BEAT_FIELDS = ("title", "summary")
MATCH_SCENE = 0.5
MATCH_SHOT = 0.5
MATCH_MOVE = 0.8  # a shot found in another scene must be this alike (a wrong move is worse than none)
_WORDS = re.compile(r"[\w']+")
_MISSING = object()


class MergeError(ShotreelError):
    """The merge cannot be computed or written exactly; nothing is written."""


@dataclass
class Change:
    """One line of the merge report: ``kind`` is added / updated / kept / removed / reordered / moved / note."""

    kind: str
    message: str

    def __str__(self) -> str:
        mark = {"added": "+", "updated": "~", "kept": "=", "removed": "-", "reordered": "^", "moved": ">"}.get(
            self.kind, "*")
        return f"{mark} {self.message}"


@dataclass
class Merge:
    """The merged project text, what changed, and the drafted parts under their project ids.

    ``parts`` (beats, assets, scenes) and ``keep`` (old ids still in the project but no longer in the
    script) are what :func:`make_record` needs to write the new record.
    """

    text: str
    parts: tuple[list[dict], list[dict], list[dict]]
    keep: set[str]
    changes: list[Change] = field(default_factory=list)

    def count(self, kind: str) -> int:
        """How many changes of ``kind`` the merge makes."""
        return sum(1 for c in self.changes if c.kind == kind)


# -- the record -----------------------------------------------------------------------------------

def drafted_parts(draft: Draft) -> tuple[list[dict], list[dict], list[dict]]:
    """The draft as the project file would hold it: beats, assets, scenes (shots inside)."""
    data = film_to_data(draft.film)
    return data.get("beats", []), data.get("assets", []), data.get("scenes", [])


def make_record(draft: Draft, script: str, sha256: str, beats: list[dict], assets: list[dict],
                scenes: list[dict], old: dict | None = None, keep: set[str] | None = None) -> dict:
    """The record of what was drafted (ids as written in the project), keeping old entries in ``keep``."""
    record: dict[str, Any] = {
        "version": RECORD_VERSION, "script": script, "sha256": sha256, "fps": str(draft.film.fps),
        "title": draft.film.title,
        "beats": {b["id"]: {k: b.get(k, "") for k in BEAT_FIELDS} for b in beats},
        "assets": {a["id"]: a["name"] for a in assets if a.get("name")},
        "scenes": {}, "scene_order": [s["id"] for s in scenes], "shots": {},
    }
    for scene in scenes:
        record["scenes"][scene["id"]] = {"number": scene.get("number", ""),
                                         "heading": scene.get("heading", ""), "location": scene.get("location", ""),
                                         "shots": [s["id"] for s in scene.get("shots", [])], "in_script": True}
        for shot in scene.get("shots", []):
            data = {k: v for k, v in shot.items() if k in SHOT_FIELDS}
            record["shots"][shot["id"]] = {"scene": scene["id"], "key": shot.get("key", ""), "data": data,
                                           "in_script": True}
    if old and keep:
        for group in ("scenes", "shots", "beats"):
            for key, value in old.get(group, {}).items():
                if key in keep and key not in record[group]:
                    entry = dict(value)
                    if group != "beats":
                        entry["in_script"] = False
                    record[group][key] = entry
        for key, value in old.get("assets", {}).items():
            record["assets"].setdefault(key, value)
    return record


def annotate(draft: Draft, beats: list[dict], assets: list[dict], scenes: list[dict]) -> None:
    """Add what the record needs (scene numbers, shot keys, asset names) to the drafted parts."""
    for asset in assets:
        asset["name"] = draft.asset_names.get(asset["id"], "")
    for scene in scenes:
        scene["number"] = draft.scene_numbers.get(scene["id"], "")
        for shot in scene.get("shots", []):
            shot["key"] = draft.shot_keys.get(shot["id"], "")


# -- merging --------------------------------------------------------------------------------------

def merge_project(text: str, record: dict | None, draft: Draft) -> Merge:
    """Merge ``draft`` into the project file ``text``; ``record`` is the last import's (or None)."""
    return _Merger(text, record, draft).run()


def _plain(value: Any) -> Any:
    if value in ("", [], {}, None):
        return None
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if _plain(v) is not None}
    return value


def _same(a: Any, b: Any) -> bool:
    return _plain(a) == _plain(b)


def _words(text: str) -> list[str]:
    return _WORDS.findall(text.lower())


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _shot_key(shot: dict) -> str:
    spoken = " ".join(str(d.get("line", "")) if isinstance(d, dict) else str(d) for d in shot.get("dialogue") or [])
    action = str(shot.get("action") or "")
    return f"{action} // {spoken}" if spoken else action


def _similar(old: list[str], new: list[str], floor: float) -> float:
    """How alike two word lists are (0–1); 0 when cheap bounds already say below ``floor``."""
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    if matcher.real_quick_ratio() < floor or matcher.quick_ratio() < floor:
        return 0.0
    return matcher.ratio()


@dataclass
class _ShotMatch:
    """A project scene's shots (``current``; ``olds`` those the script drafted) paired with a drafted
    scene's shots: ``matched`` drafted index → index in ``olds``, ``used`` the paired ``olds``."""

    scene_index: int
    current: list
    olds: list[dict]
    matched: dict[int, int]
    used: set[int]


@dataclass
class _Moves:
    """Shots moved between scenes: (drafted scene, index in its ``olds``) ↔ (drafted scene, drafted shot)."""

    leaving: dict[tuple[int, int], tuple[int, int]] = field(default_factory=dict)
    arriving: dict[tuple[int, int], tuple[int, int]] = field(default_factory=dict)


class _Merger:
    def __init__(self, text: str, record: dict | None, draft: Draft):
        self.doc = YamlText(text)
        self.data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        if not isinstance(self.data, dict) or not isinstance(self.doc.root, yaml.MappingNode):
            raise MergeError("the project file is not a mapping; cannot merge into it")
        self.record = record
        self.draft = draft
        self.changes: list[Change] = []
        self.written: dict[str, dict] = {}  # id -> the project's shot as written where it moved to
        self.beats, self.assets, self.scenes = drafted_parts(draft)
        annotate(draft, self.beats, self.assets, self.scenes)

    def change(self, kind: str, message: str) -> None:
        self.changes.append(Change(kind, message))

    def rec(self, group: str) -> dict:
        return (self.record or {}).get(group, {})

    def seq(self, key: str) -> list:
        value = self.data.get(key)
        return value if isinstance(value, list) else []

    # -- the steps ---------------------------------------------------------------------------------
    def run(self) -> Merge:
        beat_map = self.merge_beats()
        asset_map = self.merge_assets()
        for scene in self.scenes:
            scene["location"] = asset_map.get(scene.get("location", ""), scene.get("location", ""))
            for shot in scene.get("shots", []):
                shot["beat"] = beat_map.get(shot.get("beat", ""), shot.get("beat", ""))
                if shot.get("assets"):
                    shot["assets"] = [asset_map.get(a, a) for a in shot["assets"]]
        self.title()
        keep = self.merge_scenes()
        text = self.doc.render()
        self.verify(text)
        return Merge(text, (self.beats, self.assets, self.scenes), keep, self.changes)

    def verify(self, text: str) -> None:
        try:
            written = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        except yaml.YAMLError as exc:
            raise MergeError(f"the merged project would not be valid YAML ({exc}); nothing written") from None
        if written != self.data:
            raise MergeError("the merged project text does not hold the intended changes (a layout this merge "
                             "cannot edit safely); nothing written")

    def title(self) -> None:
        base = self.record.get("title", _MISSING) if self.record else _MISSING
        new, current = self.draft.film.title, self.data.get("title")
        if base is not _MISSING and not _same(new, base) and _same(current, base):
            self.set_value(self.doc.root, self.data, "title", new, FILM_KEYS)
            self.change("updated", f"film title: {new}")

    # -- beats and assets --------------------------------------------------------------------------
    def merge_beats(self) -> dict[str, str]:
        current = [b for b in self.seq("beats") if isinstance(b, dict)]
        by_id = {str(b.get("id")): b for b in current}
        recorded = self.rec("beats")
        taken: set[str] = set()
        beat_map: dict[str, str] = {}
        for beat in self.beats:
            match = None
            title = str(beat.get("title", "")).lower()
            if beat["id"] in by_id and beat["id"] not in taken:
                match = beat["id"]
            for pid, entry in recorded.items():
                if match is None and pid in by_id and pid not in taken and str(entry.get("title", "")).lower() == title:
                    match = pid
            for pid, b in by_id.items():
                if match is None and pid not in taken and str(b.get("title", "")).lower() == title:
                    match = pid
            if match is None:
                scored = [(difflib.SequenceMatcher(None, f"{title} {beat.get('summary', '')}",
                                                   f"{recorded.get(pid, b).get('title', '')} "
                                                   f"{recorded.get(pid, b).get('summary', '')}".lower()).ratio(), pid)
                          for pid, b in by_id.items() if pid not in taken]
                best = max(scored, default=(0.0, None))
                match = best[1] if best[0] >= 0.6 else None
            if match is not None:
                taken.add(match)
                beat_map[beat["id"]] = match
            else:
                beat_map[beat["id"]] = _unique(beat["id"], set(by_id) | set(beat_map.values()))
        order: list[int | New] = list(range(len(self.seq("beats"))))
        index_of = {str(b.get("id")): i for i, b in enumerate(self.seq("beats")) if isinstance(b, dict)}
        for position, beat in enumerate(self.beats):
            pid = beat_map[beat["id"]]
            beat["id"] = pid
            if pid in index_of:
                self.three_way(f"beat {pid}", self.doc.node("beats", index_of[pid]), self.seq("beats")[index_of[pid]],
                               recorded.get(pid, _MISSING), beat, BEAT_FIELDS, ("id",) + BEAT_FIELDS)
                continue
            value = {k: beat[k] for k in ("id",) + BEAT_FIELDS if beat.get(k)}
            previous = self.beats[position - 1]["id"] if position else None
            at = next((k for k, o in enumerate(order) if (index_of.get(previous) == o if isinstance(o, int)
                                                          else o.value["id"] == previous)), -1)
            order.insert(at + 1, New(value))
            self.change("added", f"beat {pid}: {beat.get('title', '')}")
        self.arrange("beats", order)
        return beat_map

    def merge_assets(self) -> dict[str, str]:
        current = {str(a.get("id")): a for a in self.seq("assets") if isinstance(a, dict)}
        by_name = {name: pid for pid, name in self.rec("assets").items() if pid in current}
        asset_map: dict[str, str] = {}
        new_items: list[int | New] = list(range(len(self.seq("assets"))))
        for asset in self.assets:
            name = asset.get("name", "")
            if name in by_name:
                pid = by_name[name]
            elif asset["id"] in current and current[asset["id"]].get("kind") == asset.get("kind"):
                pid = asset["id"]
            else:
                pid = _unique(asset["id"], set(current) | set(asset_map.values()))
                value = {k: asset[k] for k in ("kind", "description") if asset.get(k)}
                new_items.append(New({"id": pid, **value}))
                self.change("added", f"{asset.get('kind', 'asset')} {pid}")
            asset_map[asset["id"]] = pid
            asset["id"] = pid
        self.arrange("assets", new_items)
        return asset_map

    # -- scenes and shots --------------------------------------------------------------------------
    def merge_scenes(self) -> set[str]:
        """Match, update, add and order scenes and their shots; returns the old ids still present."""
        current = self.seq("scenes")
        recorded = self.rec("scenes")
        rec_shots = self.rec("shots")
        olds = []
        for index, scene in enumerate(current):
            if not isinstance(scene, dict):
                continue
            sid = str(scene.get("id"))
            entry = recorded.get(sid)
            if self.record is not None and entry is None:
                continue  # a scene a person added: never matched, never touched
            shots = [s for s in scene.get("shots") or [] if isinstance(s, dict)]
            keys = [rec_shots[str(s.get("id"))]["key"] if str(s.get("id")) in rec_shots else _shot_key(s)
                    for s in shots]
            heading = entry.get("heading", "") if entry else str(scene.get("heading", ""))
            olds.append({"index": index, "id": sid, "number": (entry or {}).get("number", ""),
                         "heading": set(_words(heading)), "words": set(_words(" ".join(keys)))})
        news = [{"number": s.get("number", ""), "heading": set(_words(s.get("heading", ""))),
                 "words": set(_words(" ".join(sh.get("key", "") for sh in s.get("shots", []))))}
                for s in self.scenes]
        pairs = []
        for o, old in enumerate(olds):
            for n, new in enumerate(news):
                score = 0.35 * _jaccard(old["heading"], new["heading"]) + 0.65 * _jaccard(old["words"], new["words"])
                if old["number"] and old["number"] == new["number"]:
                    score += 0.5
                if score >= MATCH_SCENE:
                    pairs.append((score, -abs(o - n), o, n))
        pairs.sort(reverse=True)
        matched: dict[int, int] = {}  # new index → old position in olds
        used: set[int] = set()
        for _, _, o, n in pairs:
            if n not in matched and o not in used:
                matched[n] = o
                used.add(o)
        all_ids = {str(s.get("id")) for s in current if isinstance(s, dict)}
        all_shot_ids = {str(sh.get("id")) for s in current if isinstance(s, dict)
                        for sh in s.get("shots") or [] if isinstance(sh, dict)}
        order: list[tuple[str, Any]] = []  # script order: ("old", index) or ("new", scene dict)
        keep: set[str] = set()
        shot_matches: dict[int, _ShotMatch] = {}
        for n, scene in enumerate(self.scenes):
            if n in matched:
                old = olds[matched[n]]
                scene["id"] = old["id"]
                order.append(("old", old["index"]))
                shot_matches[n] = self.match_shots(old["index"], scene, keep)
            else:
                previous = order[-1] if order else None
                prev_id = (str(current[previous[1]]["id"]) if previous and previous[0] == "old"
                           else previous[1]["id"] if previous else "")
                scene["id"] = _scene_id(scene, prev_id, all_ids)
                all_ids.add(scene["id"])
                order.append(("new", scene))
        moves = self.find_moves(shot_matches)
        for (n, k), (source, o) in moves.arriving.items():
            self.moved_shot(self.scenes[n], k, shot_matches[source], o)
        for n, scene in enumerate(self.scenes):
            if n in matched:
                self.place_shots(n, shot_matches[n], scene, all_shot_ids, keep, moves)
                continue
            for k, shot in enumerate(scene.get("shots", [])):
                if (n, k) in moves.arriving:
                    continue
                shot["id"] = _unique(f"{scene['id']}_sh{(k + 1) * 10:03d}", all_shot_ids)
                all_shot_ids.add(shot["id"])
            count = len(scene.get("shots", []))
            self.change("added", f"scene {scene['id']} {scene.get('heading', '')} ({count} shot{'s' * (count != 1)})")
        for position, old in enumerate(olds):
            if position not in used:
                scene = current[old["index"]]
                keep.add(old["id"])
                keep.update(str(s.get("id")) for s in scene.get("shots") or [] if isinstance(s, dict))
                if self.record is not None and recorded.get(old["id"], {}).get("in_script", True):
                    self.change("removed", f"scene {old['id']} {scene.get('heading', '')}: not in the script any more "
                                           "(kept with its shots; delete it by hand if it is cut)")
                elif self.record is not None:
                    self.change("removed", f"scene {old['id']} is still not in the script (kept)")
                else:
                    self.change("removed", f"scene {old['id']} {scene.get('heading', '')}: not in the script (kept)")
        final = self.order(order, [o["index"] for o in olds], current, "scene_order", "scenes")
        self.arrange("scenes", final)
        for n, scene in enumerate(self.scenes):
            if n in matched:
                index = olds[matched[n]]["index"]
                self.three_way(f"scene {scene['id']}", self.doc.node("scenes", index), current[index],
                               recorded.get(scene["id"], _MISSING), scene, SCENE_FIELDS, ("id",) + SCENE_FIELDS
                               + ("shots",))
        return keep

    def match_shots(self, scene_index: int, scene: dict, keep: set[str]) -> _ShotMatch:
        """Pair the drafted shots of ``scene`` with the shots of the project's scene ``scene_index``:
        by script text, exact first, then similar enough (shots a person added are never paired)."""
        current = [s for s in self.seq("scenes")[scene_index].get("shots") or []]
        rec_shots = self.rec("shots")
        olds = []
        for index, shot in enumerate(current):
            if not isinstance(shot, dict):
                continue
            sid = str(shot.get("id"))
            if self.record is not None and sid not in rec_shots:
                keep.add(sid)
                continue  # a shot a person added
            key = rec_shots[sid]["key"] if sid in rec_shots else _shot_key(shot)
            olds.append({"index": index, "id": sid, "key": key, "words": _words(key)})
        news = scene.get("shots", [])
        matched: dict[int, int] = {}
        used: set[int] = set()
        exact: dict[str, list[int]] = {}
        for o, old in enumerate(olds):
            exact.setdefault(old["key"], []).append(o)
        for n, shot in enumerate(news):
            for o in exact.get(shot.get("key", ""), []):
                if o not in used:
                    matched[n] = o
                    used.add(o)
                    break
        pairs = []
        for n, shot in enumerate(news):
            if n in matched:
                continue
            new_words = _words(shot.get("key", ""))
            for o, old in enumerate(olds):
                if o in used:
                    continue
                score = _similar(old["words"], new_words, MATCH_SHOT)
                if score >= MATCH_SHOT:
                    place = 1 - abs(o / max(1, len(olds)) - n / max(1, len(news)))
                    pairs.append((score + 0.1 * place, o, n))
        pairs.sort(reverse=True)
        for _, o, n in pairs:
            if n not in matched and o not in used:
                matched[n] = o
                used.add(o)
        return _ShotMatch(scene_index, current, olds, matched, used)

    def find_moves(self, matches: dict[int, _ShotMatch]) -> _Moves:
        """Shots that left one scene for another: a shot the script no longer has in its scene whose text
        (exactly, or ``MATCH_MOVE`` alike) is a new shot of another scene. A scene keeps at least one
        shot (a scene emptied by the script is reported as cut instead)."""
        leaving = [(n, o) for n, match in matches.items() for o in range(len(match.olds)) if o not in match.used]
        arriving = [(n, k) for n, scene in enumerate(self.scenes) for k in range(len(scene.get("shots", [])))
                    if n not in matches or k not in matches[n].matched]
        pairs = []
        for n, o in leaving:
            old = matches[n].olds[o]
            for m, k in arriving:
                if m == n:
                    continue
                key = self.scenes[m]["shots"][k].get("key", "")
                score = 2.0 if key == old["key"] else _similar(old["words"], _words(key), MATCH_MOVE)
                if score >= MATCH_MOVE:
                    pairs.append((score, (n, o), (m, k)))
        pairs.sort(key=lambda pair: pair[0], reverse=True)
        moves = _Moves()
        left = {n: len(match.current) for n, match in matches.items()}  # shots each scene still holds
        for _, (n, o), (m, k) in pairs:
            if (n, o) in moves.leaving or (m, k) in moves.arriving or left[n] <= 1:
                continue
            left[n] -= 1
            moves.leaving[(n, o)] = (m, k)
            moves.arriving[(m, k)] = (n, o)
        return moves

    def moved_shot(self, scene: dict, k: int, source: _ShotMatch, o: int) -> None:
        """Give the drafted shot ``k`` of ``scene`` the moved shot's id and what it is to be written as:
        the project's shot with the three-way rule applied (every hand edit goes with it)."""
        old = source.olds[o]
        shot = scene["shots"][k]
        current = source.current[old["index"]]
        base = self.rec("shots").get(old["id"], {}).get("data", _MISSING) if self.record is not None else _MISSING
        written = dict(current)
        for name, value in self.decide(f"shot {old['id']}", current, base, shot, SHOT_FIELDS).items():
            if _plain(value) is None:
                written.pop(name, None)
            else:
                written[name] = value
        rank = {key: n for n, key in enumerate(SHOT_KEYS)}
        self.written[old["id"]] = dict(sorted(written.items(), key=lambda kv: rank.get(kv[0], len(rank))))
        shot["id"] = old["id"]
        source_id = str(self.seq("scenes")[source.scene_index].get("id"))
        self.change("moved", f"shot {old['id']} moved from scene {source_id} to scene {scene['id']} "
                             f"(its takes, select and your edits go with it): {_short(current.get('action', ''))}")

    def place_shots(self, n_scene: int, match: _ShotMatch, scene: dict, all_shot_ids: set[str], keep: set[str],
                    moves: _Moves) -> None:
        """Update the paired shots of the drafted scene ``n_scene``, name the new ones and put the scene's
        shots in order (shots moved away left out, shots moved here in the script's place)."""
        scene_index, current, olds = match.scene_index, match.current, match.olds
        rec_shots = self.rec("shots")
        news = scene.get("shots", [])
        order: list[tuple[str, Any]] = []  # in the script's order: ("old", index) or ("new", drafted shot)
        arriving = []  # positions in ``order`` of shots moved here from another scene
        for n, shot in enumerate(news):
            if n in match.matched:
                old = olds[match.matched[n]]
                shot["id"] = old["id"]
                order.append(("old", old["index"]))
                self.three_way(f"shot {old['id']}", self.doc.node("scenes", scene_index, "shots", old["index"]),
                               current[old["index"]], rec_shots.get(old["id"], {}).get("data", _MISSING)
                               if self.record is not None else _MISSING, shot, SHOT_FIELDS, SHOT_KEYS)
            else:
                if (n_scene, n) in moves.arriving:
                    arriving.append(len(order))
                order.append(("new", shot))
        ids: list[str | None] = [str(current[item].get("id")) if kind == "old" else None for kind, item in order]
        for position, (kind, item) in enumerate(order):
            if kind != "new" or position in arriving:
                continue
            before = next((ids[k] for k in range(position - 1, -1, -1) if ids[k] is not None), "")
            after = next((ids[k] for k in range(position + 1, len(order)) if order[k][0] == "old"), "")
            item["id"] = ids[position] = _shot_id(scene["id"], before or "", after or "", all_shot_ids)
            all_shot_ids.add(item["id"])
            self.change("added", f"shot {item['id']}: {_short(item.get('action', ''))}")
        gone = set()
        for o, old in enumerate(olds):
            if o in match.used:
                continue
            if (n_scene, o) in moves.leaving:
                gone.add(old["index"])
                continue
            keep.add(old["id"])
            if self.record is None or rec_shots.get(old["id"], {}).get("in_script", True):
                self.change("removed", f"shot {old['id']}: not in the script any more (kept): "
                                       f"{_short(current[old['index']].get('action', ''))}")
        recorded_scene = self.rec("scenes").get(scene["id"], {})
        final = self.order(order, [o["index"] for o in olds], current, None, f"scene {scene['id']} shots",
                           recorded_scene.get("shots"), gone)
        self.arrange_in(self.doc.node("scenes", scene_index), self.seq("scenes")[scene_index], "shots", final)

    def order(self, order: list[tuple[str, Any]], candidates: list[int], current: list, record_key: str | None,
              what: str, recorded: list | None = None, gone: set[int] = frozenset()) -> list[int | New]:
        """The final order: the script's, unless a person reordered the matched items by hand; the old
        items in ``gone`` (moved elsewhere) are left out."""
        if recorded is None and record_key:
            recorded = (self.record or {}).get(record_key)
        matched_old = [item for kind, item in order if kind == "old"]
        ids = [str(current[i].get("id")) for i in matched_old]
        follow = True
        if recorded is not None:
            by_hand = sorted(matched_old)
            rank = {sid: k for k, sid in enumerate(recorded)}
            hand_ids = [str(current[i].get("id")) for i in by_hand]
            follow = [sid for sid in hand_ids if sid in rank] == sorted((s for s in hand_ids if s in rank),
                                                                           key=lambda s: rank[s])
        result: list[int | New]
        if follow:
            result = [item if kind == "old" else New(self.clean(item)) for kind, item in order]
            placed = set(matched_old) | set(gone)
            for index in range(len(current)):  # unmatched old items stay after their old predecessor
                if index in placed:
                    continue
                before = [k for k, r in enumerate(result) if isinstance(r, int) and r < index]
                at = (max(before, key=lambda k: result[k]) + 1) if before else 0  # type: ignore[arg-type]
                result.insert(at, index)
                placed.add(index)
            moved = [r for r in result if isinstance(r, int)] != list(range(len(current)))
            if moved and len(ids) > 1 and sorted(matched_old) != matched_old:
                self.change("reordered", f"{what} reordered to follow the script")
        else:
            result = [index for index in range(len(current)) if index not in gone]
            for position, (kind, item) in enumerate(order):
                if kind != "new":
                    continue
                previous = next((order[k] for k in range(position - 1, -1, -1)), None)
                if previous is None:
                    at = 0
                elif previous[0] == "old":
                    at = result.index(previous[1]) + 1
                else:
                    at = next(k for k, r in enumerate(result) if isinstance(r, New) and r.value["id"] ==
                              previous[1]["id"]) + 1
                result.insert(at, New(self.clean(item)))
            self.change("note", f"{what}: kept the order you gave them (the script's order differs)")
        return result

    # -- editing -----------------------------------------------------------------------------------
    def three_way(self, what: str, node: yaml.Node, current: dict, base: Any, new: dict,
                  fields: tuple[str, ...], key_order: tuple[str, ...]) -> None:
        """Apply :meth:`decide` to the item at ``node`` (``current`` is its data)."""
        for name, value in self.decide(what, current, base, new, fields).items():
            self.set_or_delete(node, current, name, value, key_order)

    def decide(self, what: str, current: dict, base: Any, new: dict, fields: tuple[str, ...]) -> dict[str, Any]:
        """The fields of ``current`` the three-way rule changes (name → value; empty = remove), each
        decision reported: ``base`` is the last draft (``_MISSING`` without a record), ``new`` this one."""
        changes: dict[str, Any] = {}
        for name in fields:
            cur_value = current.get(name)
            new_value = new.get(name)
            if name == "assets":
                old_value = base.get(name) if isinstance(base, dict) else None
                merged = _merge_sets(cur_value, old_value, new_value, base is not _MISSING)
                if not _same(merged, cur_value):
                    changes[name] = merged
                    self.change("updated", f"{what} assets: {', '.join(merged) or 'none'}")
                continue
            if base is _MISSING or not isinstance(base, dict):
                if _plain(cur_value) is None and _plain(new_value) is not None:
                    changes[name] = new_value
                    self.change("updated", f"{what} {name}: filled from the script")
                continue
            old_value = base.get(name)
            if _same(new_value, old_value) or _same(cur_value, new_value):
                continue
            if _same(cur_value, old_value):
                changes[name] = new_value
                self.change("updated", f"{what} {name}: {_short(_describe(new_value)) or '(removed)'}")
            else:
                self.change("kept", f"{what} {name}: kept your edit (the script now has "
                                    f"{_short(_describe(new_value), 50)!r})")
        return changes

    def clean(self, item: dict) -> dict:
        """A drafted scene or shot as it is written in the project: without record-only keys, and a shot
        moved from another scene as the project has it (updated by the three-way rule)."""
        if "shots" not in item and item.get("id") in self.written:
            return dict(self.written[item["id"]])
        out = {k: v for k, v in item.items() if k not in ("key", "number", "name")}
        if "shots" in out:
            out["shots"] = [self.clean(s) for s in out["shots"]]
        return out

    def set_or_delete(self, node: yaml.Node, mapping: dict, key: str, value: Any, order: tuple[str, ...]) -> None:
        if _plain(value) is None:
            if key in mapping:
                self.doc.delete(node, key)
                del mapping[key]
            return
        self.set_value(node, mapping, key, value, order)

    def set_value(self, node: yaml.Node, mapping: dict, key: str, value: Any, order: tuple[str, ...]) -> None:
        after = list(order[:order.index(key)]) if key in order else None
        self.doc.set(node, key, value, after)
        mapping[key] = value

    def arrange(self, key: str, order: list[int | New]) -> None:
        self.arrange_in(self.doc.root, self.data, key, order)

    def arrange_in(self, node: yaml.Node, mapping: dict, key: str, order: list[int | New]) -> None:
        old = mapping.get(key) if isinstance(mapping.get(key), list) else []
        if order == list(range(len(old))):
            return
        values = [old[item] if isinstance(item, int) else item.value for item in order]
        if YamlText.has(node, key) and isinstance(self.doc.entry(node, key)[1], yaml.SequenceNode):
            self.doc.arrange(node, key, order)
        else:
            after = list(FILM_KEYS[:FILM_KEYS.index(key)]) if key in FILM_KEYS else None
            self.doc.set(node, key, values, after)
        mapping[key] = values


def _merge_sets(current: Any, old: Any, new: Any, known: bool) -> list:
    current = list(current or []) if isinstance(current, list) else [current] if current else []
    new = list(new or [])
    if not known:
        return current or new
    old = list(old or [])
    dropped = set(old) - set(new)
    merged = [a for a in current if a not in dropped]
    merged += [a for a in new if a not in old and a not in merged]
    return merged


def _describe(value: Any) -> str:
    if isinstance(value, list):
        return " / ".join(_describe(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(str(v) for v in value.values())
    return "" if value is None else str(value)


def _unique(candidate: str, used: set[str]) -> str:
    value, n = candidate, 2
    while value in used:
        value, n = f"{candidate}_{n}", n + 1
    return value


def _scene_id(scene: dict, previous: str, used: set[str]) -> str:
    """A new scene's id: from its script number if free, else ``sc03a`` after ``sc03``, else the next number."""
    candidates = []
    if scene.get("number") and scene["id"] not in used:
        candidates.append(scene["id"])
    if previous:
        candidates += inserted_ids(previous)
    for candidate in candidates:
        if candidate not in used:
            return candidate
    numbers = [int(m.group(1)) for s in used if (m := re.match(r"^sc(\d+)", s))]
    n = max(numbers, default=0) + 1
    while f"sc{n:02d}" in used:
        n += 1
    return f"sc{n:02d}"


def _shot_id(scene_id: str, before: str, after: str, used: set[str]) -> str:
    """A new shot's id between its neighbours: ``sc02_sh025`` between ``sc02_sh020`` and ``sc02_sh030``."""
    def number(shot_id: str) -> int | None:
        match = re.search(r"sh(\d+)[a-z]?$", shot_id)
        return int(match.group(1)) if match else None

    low = number(before) or 0
    high = number(after)
    if high is None or high <= low:
        candidates = [(low // 10 + 1) * 10]
    else:
        middle = (low + high) // 2
        candidates = [c for c in ((middle // 5) * 5, middle) if low < c < high]
    for value in candidates:
        candidate = f"{scene_id}_sh{value:03d}"
        if candidate not in used:
            return candidate
    for letter in "abcdefghijklmnopqrstuvwxyz":
        candidate = f"{scene_id}_sh{low:03d}{letter}"
        if candidate not in used:
            return candidate
    return _unique(f"{scene_id}_sh{low:03d}", used)
