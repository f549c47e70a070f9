"""Write the fuzz seed corpus: small valid cuts in every format, and the hostile files of issue 14.

Run from the repository root to regenerate (the files are kept in the repository, so the tests never
depend on this script): ``.venv/bin/python tests/fuzz_corpus/make_corpus.py``.

``cuts/`` holds cuts (.otio, .otioz, .edl, .xml, .aaf) and ``projects/`` project files; each file's name
says what it is. The tests in ``tests/test_untrusted_cuts.py`` and ``tests/test_fuzz.py`` read them.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import opentimelineio as otio
from opentimelineio import opentime
from PIL import Image

HERE = Path(__file__).resolve().parent
CUTS = HERE / "cuts"
PROJECTS = HERE / "projects"


def png(colour: str = "green") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 18), colour).save(buffer, "PNG")
    return buffer.getvalue()


def timeline(media: list[str], rate: float = 24) -> otio.schema.Timeline:
    """Three shots of 2 s with a still each (paths as given) and a beat marker."""
    cut = otio.schema.Timeline(name="seed", global_start_time=opentime.from_timecode("01:00:00:00", rate))
    track = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    cut.tracks.append(track)
    for n, path in enumerate(media):
        span = opentime.TimeRange(opentime.RationalTime(0, rate), opentime.RationalTime(48, rate))
        one = opentime.TimeRange(opentime.RationalTime(0, rate), opentime.RationalTime(1, rate))
        ref = otio.schema.ExternalReference(target_url=path, available_range=one)
        track.append(otio.schema.Clip(name=f"sh{(n + 1) * 10:03d}", media_reference=ref, source_range=span))
    cut.tracks.markers.append(otio.schema.Marker(name="opening", marked_range=opentime.TimeRange(
        opentime.RationalTime(0, rate), opentime.RationalTime(1, rate))))
    return cut


def bundle(path: Path, content: str, members: dict[str, bytes], compress: bool = True) -> None:
    method = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    with zipfile.ZipFile(path, "w", method) as zf:
        zf.writestr("version.txt", "1.0.0")
        zf.writestr("content.otio", content)
        for name, data in members.items():
            zf.writestr(name, data)


def cuts() -> None:
    CUTS.mkdir(parents=True, exist_ok=True)
    stills = [f"media/sh{n}.png" for n in (10, 20, 30)]
    reel = timeline(stills)
    (CUTS / "valid.otio").write_text(otio.adapters.write_to_string(reel, "otio_json"))
    bundle(CUTS / "valid.otioz", otio.adapters.write_to_string(reel, "otio_json"),
           {name: png(colour) for name, colour in zip(stills, ("red", "green", "blue"))})
    plain = timeline([f"/media/sh{n}.png" for n in (10, 20, 30)])
    (CUTS / "valid.edl").write_text(otio.adapters.write_to_string(plain, "cmx_3600"))
    (CUTS / "valid.xml").write_text(otio.adapters.write_to_string(plain, "fcp_xml"))
    otio.adapters.write_to_file(plain, str(CUTS / "valid.aaf"), use_empty_mob_ids=True)
    aaf = (CUTS / "valid.aaf").read_bytes()
    (CUTS / "truncated.aaf").write_bytes(aaf[:3000])
    (CUTS / "not-an-aaf.aaf").write_text("TITLE: an EDL in disguise\n")
    # 60,000 levels of [: OTIO's parser recursed until it crashed (exit 139)
    (CUTS / "deep.otio").write_text('{"OTIO_SCHEMA": "Timeline.1", "metadata": {"a": '
                                    + "[" * 60000 + "]" * 60000 + "}}")
    bundle(CUTS / "deep.otioz", '{"OTIO_SCHEMA": "Timeline.1", "metadata": {"a": ' + "[" * 5000 + "]" * 5000 + "}}",
           {})
    # a "board" of 100 MB packed into ~100 KB: over the per-file bound and the ratio bound
    head = png()[:16]
    bundle(CUTS / "bomb.otioz", otio.adapters.write_to_string(reel, "otio_json"),
           {"media/sh10.png": head + bytes(100 * 1024 * 1024)})
    # a board of 8 MB packed 1000:1: within the size bound, over the ratio bound
    bundle(CUTS / "ratio.otioz", otio.adapters.write_to_string(reel, "otio_json"),
           {"media/sh10.png": head + bytes(8 * 1024 * 1024)})
    # media paths that try to leave the bundle and the project
    escape = timeline(["../../evil.png", "/tmp/shotreel-evil.png", "media/../../evil.png"])
    bundle(CUTS / "escape.otioz", otio.adapters.write_to_string(escape, "otio_json"),
           {"../../evil.png": png(), "media/sh20.png": png()})
    # a member named like a board that is not an image
    text = timeline(["media/sh10.png"])
    bundle(CUTS / "not-an-image.otioz", otio.adapters.write_to_string(text, "otio_json"),
           {"media/sh10.png": b"root:x:0:0:root:/root:/bin/bash\n"})
    (CUTS / "truncated.otio").write_text((CUTS / "valid.otio").read_text()[:700])
    (CUTS / "truncated.xml").write_text((CUTS / "valid.xml").read_text()[:900])
    (CUTS / "garbage.edl").write_text("TITLE: x\n001  AX V C 01:00:00:00 zz\n")
    (CUTS / "xxe.xml").write_text('<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>\n'
                                  '<xmeml version="5"><sequence><name>&e;</name></sequence></xmeml>\n')
    (CUTS / "laughs.xml").write_text('<?xml version="1.0"?>\n<!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
                                     + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">'
                                               for i in range(8))
                                     + ']>\n<xmeml version="5"><sequence><name>&i;</name></sequence></xmeml>\n')


HEADER = """title: Seed
fps: 24
resolution: 1920x1080
start_timecode: "01:00:00:00"
story: {premise: p, character: c, want: w, obstacle: o, escalation: e, turn: t, payoff: p}
beats:
  - {id: one, title: One}
assets:
  - {id: mara, kind: character, description: Mara}
scenes:
  - id: sc01
    heading: INT. SHIP - NIGHT
    shots:
"""
SHOT = """      - id: sh{n:03d}
        beat: one
        duration: 4s
        action: Mara turns to the window.
        camera: {{size: MCU, angle: eye level, movement: push in, lens: 50mm}}
        dialogue:
          - {{character: MARA, line: Is anyone there?}}
        assets: [mara]
"""


def projects() -> None:
    PROJECTS.mkdir(parents=True, exist_ok=True)
    valid = HEADER + "".join(SHOT.format(n=n) for n in (10, 20, 30))
    files = {
        "valid.yaml": valid,
        "huge-duration.yaml": valid.replace("duration: 4s", "duration: 99999999999999999999999f", 1),
        "digits-duration.yaml": valid.replace("duration: 4s", f"duration: {'9' * 5000}", 1),
        "long-action.yaml": valid.replace("Mara turns to the window.", "Mara turns. " * 1500, 1),
        "long-dialogue.yaml": valid.replace("Is anyone there?", "no " * 4000, 1),
        "odd-resolution.yaml": valid.replace("1920x1080", "641x361"),
        "huge-resolution.yaml": valid.replace("1920x1080", "99998x99998"),
        "square-16k.yaml": valid.replace("1920x1080", "16384x16384"),
        "timecode-25h.yaml": valid.replace('"01:00:00:00"', '"25:00:00:00"'),
        "board-passwd.yaml": valid.replace("        assets: [mara]\n",
                                           "        assets: [mara]\n        boards: [../../../../etc/passwd]\n", 1),
        "billion-laughs.yaml": "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                               "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c]\n"
                               "title: [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nfps: 24\n",
        "python-object.yaml": "title: !!python/object/apply:os.system [touch /tmp/shotreel-pwned]\nfps: 24\n",
        "nul-bytes.yaml": valid.replace("Mara turns", "Mara\x00 turns", 1),
        "deep-nesting.yaml": "title: " + "[" * 5000 + "]" * 5000 + "\nfps: 24\n",
        "recursive-alias.yaml": "title: &a [*a]\nfps: 24\n",
    }
    for name, text in files.items():
        (PROJECTS / name).write_text(text)


if __name__ == "__main__":
    cuts()
    projects()
