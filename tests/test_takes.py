"""Which take a shot uses when the editor has not chosen: the one most recently asked for."""

import json

from shotreel.takes import chosen_take, find_takes


def write_take(folder, take, submitted, created):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{take}.mp4").write_bytes(b"clip")
    (folder / f"{take}.json").write_text(json.dumps({"submitted": submitted, "created": created,
                                                    "probe": {"fps": "24/1", "frames": 96}}))


def test_takes_generated_side_by_side_are_ordered_by_request_not_by_finish(example_film):
    folder = example_film.root / "takes" / "sh010"
    write_take(folder, "t001", submitted=100.0, created=190.0)  # asked first, finished last
    write_take(folder, "t002", submitted=101.0, created=150.0)
    takes = find_takes(example_film)["sh010"]
    assert [t.id for t in takes] == ["t001", "t002"]
    assert chosen_take(takes, None).id == "t002"
    assert takes[0].frames == 96 and takes[0].fps == 24
