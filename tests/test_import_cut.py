"""`shotreel import-cut`: real cuts from Resolve, Avid, Premiere, Hiero and EDLs become projects, frame-exact.

Expected durations are computed here from the file with the bare OTIO adapters (flatten the
video tracks, or take one track, and count each clip's frames), never typed in by hand.
"""

from __future__ import annotations

import copy
import zipfile
from fractions import Fraction
from pathlib import Path

import opentimelineio as otio
import pytest
from opentimelineio import opentime
from PIL import Image
from shotreel.checks import run_checks
from shotreel.cli import main
from shotreel.cut_import import film_from_cut, import_cut
from shotreel.cuts import read_cut
from shotreel.errors import CutError, ProjectError
from shotreel.project import load_project

# -- helpers ---------------------------------------------------------------------------------------

def bare(path: Path, track: int | None = None, **kwargs) -> tuple[otio.schema.Timeline, list]:
    """The file read by the bare adapter, and the visible clips (flattened or of one track)."""
    timeline = otio.adapters.read_from_file(str(path), **kwargs)
    videos = timeline.video_tracks()
    flat = videos[track - 1] if track else otio.algorithms.flatten_stack(videos)
    return timeline, [item for item in flat if isinstance(item, (otio.schema.Clip, otio.schema.Stack))]


def frames(items: list, rate: float) -> list[int]:
    """Each item's visible length in whole frames at ``rate``."""
    return [round(item.trimmed_range().duration.value_rescaled_to(rate)) for item in items]


def record_ins(path: Path, track: int | None = None) -> list[int]:
    """Where each visible clip starts in the flattened (or one) track, in frames, by the bare adapter."""
    timeline = otio.adapters.read_from_file(str(path))
    videos = timeline.video_tracks()
    flat = videos[track - 1] if track else otio.algorithms.flatten_stack(videos)
    return [round(item.range_in_parent().start_time.value) for item in flat if isinstance(item, otio.schema.Clip)]


def durations(project: Path) -> list[int]:
    return [shot.duration for shot in load_project(project).shots()]


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["import-cut", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def still(path: Path, colour: str = "red") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (64, 36), colour).save(path)
    return path


def make_timeline(rate: float, start_tc: str | None, items: list[tuple[str | None, int, str | None]],
                  name: str = "test cut") -> otio.schema.Timeline:
    """A one-track cut: (clip name, frames, media path) per item; a ``None`` name is a gap."""
    start = opentime.from_timecode(start_tc, rate) if start_tc else None
    timeline = otio.schema.Timeline(name=name, global_start_time=start)
    track = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    timeline.tracks.append(track)
    for clip_name, length, media in items:
        span = opentime.TimeRange(opentime.RationalTime(0, rate), opentime.RationalTime(length, rate))
        if clip_name is None:
            track.append(otio.schema.Gap(source_range=span))
            continue
        one = opentime.TimeRange(opentime.RationalTime(0, rate), opentime.RationalTime(1, rate))
        ref = (otio.schema.ExternalReference(target_url=otio.url_utils.url_from_filepath(media), available_range=one)
               if media else otio.schema.MissingReference(available_range=span))
        track.append(otio.schema.Clip(name=clip_name, media_reference=ref, source_range=span))
    return timeline


# -- the real samples ------------------------------------------------------------------------------

def test_resolve_export_track_1_gives_png_boards(samples, tmp_path, capsys):
    cut = samples / "resolve_export_effects.otio"
    _timeline, clips = bare(cut, track=1)
    code, out, err = run(capsys, cut, tmp_path / "picchu", "--track", "1")
    assert code == 0, err
    film = load_project(tmp_path / "picchu")
    assert film.fps == Fraction(24) and film.start_timecode == "01:00:00:00" and film.start_frame == 86400
    assert durations(tmp_path / "picchu") == frames(clips, 24)
    shots = list(film.shots())
    assert [s.action for s in shots] == [c.name for c in clips]
    assert [s.boards[0].path for s in shots] == [c.media_reference.target_url for c in clips]
    assert all(s.boards[0].path.endswith(".png") for s in shots)
    assert f"{len(clips)} shots" in out and "start 01:00:00:00" in out and f"boards: {len(clips)} stills" in out


def test_a_reel_with_takes_over_boards_imports_each_shot_with_its_board(example_dir, tmp_path, capsys):
    from tests._reel_support import add_take

    assert main(["boards", str(example_dir)]) == 0
    add_take(example_dir, "sh030", "t001", frames=120)
    assert main(["reel", str(example_dir)]) == 0
    capsys.readouterr()
    code, _, err = run(capsys, example_dir / "edit" / "reel.otio", tmp_path / "again")
    assert code == 0, err
    source, imported = load_project(example_dir), load_project(tmp_path / "again")
    assert [s.id for s in imported.shots()] == [s.id for s in source.shots()]
    # sh030 shows its take (a movie) on top; its board comes from the Boards track under it
    boards = {s.id: Path(s.boards[0].path) for s in imported.shots()}
    assert boards == {s.id: example_dir / "boards" / f"{s.id}.png" for s in source.shots()}


def test_resolve_export_flattened_shows_the_layout_track_on_top(samples):
    cut_path = samples / "resolve_export_effects.otio"
    _, clips = bare(cut_path)
    cut = read_cut(cut_path)
    assert [c.duration for c in cut.clips] == frames(clips, 24)
    assert {c.track for c in cut.clips} == {5}  # Video 5 covers the boards of Video 1
    # offline clips keep their path from Resolve's "Media Url" metadata
    assert [c.media for c in cut.clips] == [c.media_reference.metadata["Resolve_OTIO"]["Media Url"] for c in clips]
    assert not any(c.still for c in cut.clips)
    film = film_from_cut(cut)
    assert film.runtime() == timeline_frames(cut_path)
    # each layout movie gets the board under it: on Video 1 (not the titles of Video 2-4), the still
    # covering most of the shot
    boards = [s.boards[0].path.rsplit("/", 1)[-1] for s in film.shots()]
    assert boards[0] == "Picchu_V7_310821_0003.png"  # frames 0-414 of the first shot's 0-500
    timeline = otio.adapters.read_from_file(str(cut_path))  # kept alive while its track is read
    v1 = [(round(c.range_in_parent().start_time.value), round(c.range_in_parent().end_time_exclusive().value),
           c.name) for c in timeline.video_tracks()[0] if isinstance(c, otio.schema.Clip)]
    for clip, board in zip(cut.clips, boards, strict=True):
        overlap: dict[str, int] = {}  # a still may be used more than once
        for start, end, name in v1:
            overlap[name] = max(overlap.get(name, 0), min(end, clip.record_out) - max(start, clip.record_in))
        assert overlap[board] == max(overlap.values()) > 0


def timeline_frames(path: Path) -> int:
    timeline = otio.adapters.read_from_file(str(path))
    return round(timeline.video_tracks()[0].duration().value)


def test_avid_multitrack_flattens_three_tracks_and_track_picks_one(samples, tmp_path, capsys):
    cut_path = samples / "avid_multitrack.otio"
    timeline, clips = bare(cut_path)
    assert timeline.global_start_time is None and len(timeline.video_tracks()) == 3
    cut = read_cut(cut_path)
    assert [c.duration for c in cut.clips] == frames(clips, 24)
    assert [c.record_in for c in cut.clips] == record_ins(cut_path)
    assert {c.track for c in cut.clips} == {1, 2, 3}
    assert cut.start_frame is None and cut.gaps  # gaps stay holes in record time, not shots
    code, out, err = run(capsys, cut_path, tmp_path / "avid")
    assert code == 0, err
    film = load_project(tmp_path / "avid")
    assert durations(tmp_path / "avid") == frames(clips, 24)
    assert film.start_timecode == "01:00:00:00"  # the cut names none: the project default
    assert "no start timecode" in out and "gap" in out

    _, one = bare(cut_path, track=2)
    code, _, err = run(capsys, cut_path, tmp_path / "avid-v2", "--track", "2")
    assert code == 0, err
    assert durations(tmp_path / "avid-v2") == frames(one, 24)
    assert [c.record_in for c in read_cut(cut_path, track=2).clips] == record_ins(cut_path, track=2)


def test_storyboard_edl_at_25_fps(samples, tmp_path, capsys):
    cut = samples / "storyboard_25fps.edl"
    _timeline, clips = bare(cut, rate=25)
    code, out, err = run(capsys, cut, tmp_path / "sb", "--fps", "25")
    assert code == 0, err
    film = load_project(tmp_path / "sb")
    assert film.fps == 25 and film.start_timecode == "00:00:00:00"
    shots = list(film.shots())
    assert [s.id for s in shots] == [c.name for c in clips] == ["sq001_s001", "sq001_s002", "sq001_s003",
                                                                 "sq001_s004"]
    assert [s.duration for s in shots] == frames(clips, 25)
    assert all(Path(s.boards[0].path).name == "SC00.JPG" for s in shots)
    assert "not on this machine" in out
    inferred = read_cut(cut)  # no rate given: frame numbers up to 24 mean 25 fps, and it says so
    assert inferred.fps == 25 and [c.duration for c in inferred.clips] == frames(clips, 25)
    assert any("carries no rate" in note for note in inferred.notes)


def test_avid_and_premiere_edl_dialects_give_the_same_cut(samples, tmp_path, capsys):
    results = []
    for name in ("edl_avid_example.edl", "edl_premiere_example.edl"):
        timeline, clips = bare(samples / name, rate=24)
        code, _, err = run(capsys, samples / name, tmp_path / name, "--fps", "24")
        assert code == 0, err
        film = load_project(tmp_path / name)
        # the EDL reader keeps the first record TC as a negative track offset
        start = -round(timeline.video_tracks()[0].source_range.start_time.value)
        assert film.start_frame == start and film.start_timecode == "00:59:53:11"
        assert durations(tmp_path / name) == frames(clips, 24)
        results.append(durations(tmp_path / name))
    assert results[0] == results[1]
    avid = read_cut(samples / "edl_avid_example.edl", rate=24)
    assert avid.clips[0].media.endswith("ZZ100_501.take_1.0001.exr") and not avid.clips[0].still


def test_premiere_fcp7_xml(samples, tmp_path, capsys):
    cut_path = samples / "premiere_example_fcp7.xml"
    _timeline, clips = bare(cut_path)
    code, _out, err = run(capsys, cut_path, tmp_path / "prem")
    assert code == 0, err
    film = load_project(tmp_path / "prem")
    assert film.fps == 30 and film.resolution == (1280, 720)
    assert durations(tmp_path / "prem") == frames(clips, 30)
    # its timeline markers become beats, starting at the shot each falls in
    cut = read_cut(cut_path)
    first = next(m for m in cut.markers if m.name == "My MArker 1")
    beat = next(b for b in film.beats if b.title == "My MArker 1")
    shot = next(s for s, c in zip(film.shots(), cut.clips) if c.record_in <= first.frame < c.record_out)
    assert shot.beat == beat.id
    # one track: the 15 fps clip of V1 lasts exactly twice its frames at 30; V2 holds a nested sequence
    _, v1 = bare(cut_path, track=1)
    assert [c.duration for c in read_cut(cut_path, track=1).clips] == frames(v1, 30) == [100]
    _, v2 = bare(cut_path, track=2)
    nested = read_cut(cut_path, track=2)
    assert [c.duration for c in nested.clips] == frames(v2, 30)
    assert nested.clips[-1].name == "sc01_sh010_anim" and nested.clips[-1].media is None


def test_hiero_fcp7_xml(samples, tmp_path, capsys):
    cut_path = samples / "hiero_export_fcp7.xml"
    _timeline, clips = bare(cut_path)
    code, _, err = run(capsys, cut_path, tmp_path / "hiero")
    assert code == 0, err
    film = load_project(tmp_path / "hiero")
    assert film.fps == 24 and film.start_timecode == "01:00:00:00"
    assert durations(tmp_path / "hiero") == frames(clips, 24)


@pytest.mark.parametrize("name", ["resolve_clip_movie_with_handles.otio", "resolve_clip_img_seq_with_handles.otio"])
def test_a_single_resolve_clip_is_a_one_shot_cut(samples, tmp_path, capsys, name):
    clip = otio.adapters.read_from_file(str(samples / name))
    assert isinstance(clip, otio.schema.Clip)
    code, _out, err = run(capsys, samples / name, tmp_path / "one")
    assert code == 0, err
    film = load_project(tmp_path / "one")
    assert film.fps == 25 and durations(tmp_path / "one") == [round(clip.source_range.duration.value)]
    assert not next(iter(film.shots())).boards  # a movie or an image sequence is not a still
    cut = read_cut(samples / name)
    if isinstance(clip.media_reference, otio.schema.ImageSequenceReference):
        ref = clip.media_reference
        assert cut.clips[0].media.endswith(f"{ref.name_prefix}{ref.start_frame:0{ref.frame_zero_padding}d}"
                                           f"{ref.name_suffix}")
        assert cut.clips[0].media.startswith(ref.target_url_base)
    else:
        assert cut.clips[0].media == clip.media_reference.target_url  # a Windows path, kept as written


# -- cuts made here: exact NTSC rates, drop frame, AAF, bundles, markers ---------------------------

def test_23976_cut_stays_24000_over_1001(tmp_path, capsys):
    folder = tmp_path / "ntsc"
    boards = [still(folder / "boards" / f"b{i}.png") for i in range(3)]  # stills already in the project
    rate = 24000 / 1001
    cut = tmp_path / "ntsc.otio"
    otio.adapters.write_to_file(make_timeline(rate, "01:00:00:00", [
        ("sh010", 101, str(boards[0])), (None, 7, None), ("sh020", 37, str(boards[1])),
        ("sh030", 1, str(boards[2]))]), str(cut))
    code, _out, err = run(capsys, cut, folder)
    assert code == 0, err
    film = load_project(folder)
    assert film.fps == Fraction(24000, 1001) and "fps: 23.976" in (folder / "shotreel.yaml").read_text()
    assert film.start_frame == 86400 and film.start_timecode == "01:00:00:00"
    assert durations(folder) == [101, 37, 1]
    assert [s.boards[0].path for s in film.shots()] == ["boards/b0.png", "boards/b1.png", "boards/b2.png"]
    assert not [f for f in run_checks(film).errors if "board" in f.message]
    cut_read = read_cut(cut)
    assert [(c.record_in, c.record_out) for c in cut_read.clips] == [(0, 101), (108, 145), (145, 146)]


def test_2997_drop_frame_cut_keeps_its_drop_frame_start(tmp_path, capsys):
    rate = 30000 / 1001
    timeline = make_timeline(rate, "01:00:00;00", [("a", 48, None), ("b", 1799, None), ("c", 2, None)])
    assert timeline.global_start_time.value == 107892
    otio.adapters.write_to_file(timeline, str(tmp_path / "df.otio"))
    code, _, err = run(capsys, tmp_path / "df.otio", tmp_path / "df")
    assert code == 0, err
    film = load_project(tmp_path / "df")
    assert film.fps == Fraction(30000, 1001) and film.start_timecode == "01:00:00;00"
    assert film.start_frame == 107892 and durations(tmp_path / "df") == [48, 1799, 2]
    # the same cut as a DF EDL whose record TC starts at 01:00:00;00 (negative track offset)
    edl_timeline = copy.deepcopy(timeline)
    track = edl_timeline.video_tracks()[0]
    track.source_range = opentime.TimeRange(opentime.RationalTime(-107892, rate), track.duration())
    otio.adapters.write_to_file(edl_timeline, str(tmp_path / "df.edl"), rate=rate)
    assert "01:00:00;00" in (tmp_path / "df.edl").read_text()
    code, out, err = run(capsys, tmp_path / "df.edl", tmp_path / "df-edl")
    assert code == 0, err
    film = load_project(tmp_path / "df-edl")
    assert film.fps == Fraction(30000, 1001) and film.start_timecode == "01:00:00;00"
    assert durations(tmp_path / "df-edl") == [48, 1799, 2] and "carries no rate" in out


def test_aaf_written_by_the_official_adapter(tmp_path, capsys):
    pngs = [still(tmp_path / "media" / f"p{i}.png") for i in range(2)]
    timeline = make_timeline(24, "01:00:00:00", [("open", 60, str(pngs[0])), (None, 12, None),
                                                 ("close", 36, str(pngs[1]))])
    otio.adapters.write_to_file(timeline, str(tmp_path / "cut.aaf"), use_empty_mob_ids=True)
    _back, clips = bare(tmp_path / "cut.aaf")
    code, out, err = run(capsys, tmp_path / "cut.aaf", tmp_path / "aaf")
    assert code == 0, err
    film = load_project(tmp_path / "aaf")
    assert film.fps == 24 and film.start_timecode == "01:00:00:00"
    assert durations(tmp_path / "aaf") == frames(clips, 24) == [60, 36]
    assert [s.boards[0].path for s in film.shots()] == [str(p) for p in pngs]  # file:// URLs → plain paths
    assert "boards: 2 stills" in out and "not on this machine" not in out


@pytest.mark.parametrize("suffix", [".otioz", ".otiod"])
def test_bundle_stills_are_copied_into_boards(tmp_path, capsys, suffix):
    pngs = [still(tmp_path / "media" / f"panel{i}.png", c) for i, c in enumerate(("red", "blue"))]
    timeline = make_timeline(25, "10:00:00:00", [("p0", 50, str(pngs[0])), ("p1", 75, str(pngs[1]))])
    cut = tmp_path / f"cut{suffix}"
    otio.adapters.write_to_file(timeline, str(cut))
    drawn = still(tmp_path / "bundle" / "boards" / "panel0.png", "green").read_bytes()  # an artist's board
    code, out, err = run(capsys, cut, tmp_path / "bundle")
    assert code == 0, err
    film = load_project(tmp_path / "bundle")
    assert film.start_timecode == "10:00:00:00" and durations(tmp_path / "bundle") == [50, 75]
    assert [s.boards[0].path for s in film.shots()] == ["boards/panel0-2.png", "boards/panel1.png"]
    assert (tmp_path / "bundle/boards/panel0.png").read_bytes() == drawn  # never overwritten
    if suffix == ".otioz":
        with zipfile.ZipFile(cut) as bundle:
            packed = bundle.read("media/panel1.png")
    else:
        packed = (cut / "media" / "panel1.png").read_bytes()
    assert (tmp_path / "bundle/boards/panel1.png").read_bytes() == packed
    assert not run_checks(film).errors
    assert "copied from the bundle" in out


def test_shotreel_metadata_gives_back_the_shot_ids(tmp_path):
    timeline = make_timeline(24, "01:00:00:00", [("Board 1.png", 30, None), ("Board 2.png", 40, None)])
    for clip, shot_id in zip(timeline.find_clips(), ("sh100", "sh200")):
        clip.metadata["shotreel"] = {"shot": shot_id, "beat": "alone", "takes": ["t1", "t2"]}
    otio.adapters.write_to_file(timeline, str(tmp_path / "reel.otio"))
    cut = read_cut(tmp_path / "reel.otio")
    assert cut.clips[0].shotreel == {"shot": "sh100", "beat": "alone", "takes": ["t1", "t2"]}
    assert type(cut.clips[0].shotreel) is dict and type(cut.clips[0].shotreel["takes"]) is list
    film = film_from_cut(cut)
    assert [s.id for s in film.shots()] == ["sh100", "sh200"]
    assert [s.action for s in film.shots()] == ["Board 1.png", "Board 2.png"]  # clip names kept


def test_markers_become_beats_and_disabled_items_are_not_seen(tmp_path):
    timeline = make_timeline(24, "01:00:00:00", [("a", 24, None), ("b", 24, None), ("c", 24, None),
                                                 ("d", 24, None)])
    low = timeline.video_tracks()[0]
    top = otio.schema.Track(name="V2", kind=otio.schema.TrackKind.Video)
    hidden = otio.schema.Clip(name="disabled", source_range=opentime.TimeRange(
        opentime.RationalTime(0, 24), opentime.RationalTime(96, 24)))
    hidden.enabled = False
    top.append(hidden)
    off = copy.deepcopy(top)
    off[0].enabled, off.enabled = True, False
    timeline.tracks.extend([top, off])
    marker = otio.schema.Marker(name="Inciting incident", marked_range=opentime.TimeRange(
        opentime.RationalTime(30, 24), opentime.RationalTime(0, 24)), comment="she sees it")
    timeline.tracks.markers.append(marker)
    low[3].markers.append(otio.schema.Marker(name="Payoff", marked_range=opentime.TimeRange(
        opentime.RationalTime(5, 24), opentime.RationalTime(0, 24))))
    otio.adapters.write_to_file(timeline, str(tmp_path / "m.otio"))
    cut = read_cut(tmp_path / "m.otio")
    assert [c.name for c in cut.clips] == ["a", "b", "c", "d"]  # neither the disabled clip nor track covers them
    assert [(m.name, m.frame) for m in cut.markers] == [("Inciting incident", 30), ("Payoff", 77)]
    film = film_from_cut(cut)
    assert [b.title for b in film.beats] == ["The cut", "Inciting incident", "Payoff"]
    assert [s.beat for s in film.shots()] == ["cut", "inciting_incident", "inciting_incident", "payoff"]
    assert film.beats[1].summary == "she sees it"


def test_a_collection_reads_its_first_timeline(tmp_path):
    first = make_timeline(24, "01:00:00:00", [("x", 10, None)], name="first")
    second = make_timeline(25, "01:00:00:00", [("y", 20, None)], name="second")
    otio.adapters.write_to_file(otio.schema.SerializableCollection(children=[first, second]),
                                str(tmp_path / "c.otio"))
    cut = read_cut(tmp_path / "c.otio")
    assert cut.name == "first" and [c.duration for c in cut.clips] == [10]
    assert any("2 timelines" in note for note in cut.notes)
    otio.adapters.write_to_file(otio.schema.SerializableCollection(children=[]), str(tmp_path / "e.otio"))
    with pytest.raises(CutError, match="no timeline"):
        read_cut(tmp_path / "e.otio")


def test_nothing_written_when_the_folder_already_holds_a_project(samples, example_dir, capsys):
    before = (example_dir / "shotreel.yaml").read_bytes()
    code, out, err = run(capsys, samples / "hiero_export_fcp7.xml", example_dir)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("shotreel: error: ") and "shotreel.yaml" in err
    assert "Traceback" not in err
    assert (example_dir / "shotreel.yaml").read_bytes() == before
    with pytest.raises(ProjectError):
        import_cut(samples / "hiero_export_fcp7.xml", example_dir)


# -- bad input -------------------------------------------------------------------------------------

def _garbage(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("name, data", [
    ("garbage.edl", b"hello world\nthis is not an edl at all\n"),
    ("picture.otio", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4),
    ("empty.otio", b""),
    ("empty.edl", b""),
    ("empty.aaf", b""),
    ("notes.xml", b"<notes><note>not a sequence</note></notes>"),
    ("cut.mov", b"\x00\x00\x00\x18ftypqt  "),
    ("cut", b"no suffix"),
])
def test_bad_cut_files_exit_2_with_one_line_and_write_nothing(tmp_path, capsys, name, data):
    cut = _garbage(tmp_path, name, data)
    target = tmp_path / "project"
    code, _out, err = run(capsys, cut, target)
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("shotreel: error: ") and name in err, err
    assert "Traceback" not in err and "File \"" not in err
    assert not (target / "shotreel.yaml").exists() and not target.exists()


def test_other_bad_requests_name_the_file(samples, tmp_path, capsys):
    cases = [
        ([samples / "avid_multitrack.otio", tmp_path / "a", "--track", "4"], "3 video tracks"),
        ([samples / "hiero_export_fcp7.xml", tmp_path / "b", "--fps", "25"], "runs at 24 fps"),
        ([tmp_path / "missing.edl", tmp_path / "c"], "no such file"),
    ]
    for argv, why in cases:
        code, _, err = run(capsys, *argv)
        assert code == 2 and why in err and Path(argv[0]).name in err and err.count("\n") == 1, err
        assert not (Path(argv[1]) / "shotreel.yaml").exists()
    timeline = make_timeline(12, None, [("x", 12, None)])
    otio.adapters.write_to_file(timeline, str(tmp_path / "twelve.otio"))
    code, _, err = run(capsys, tmp_path / "twelve.otio", tmp_path / "d")
    assert code == 2 and "12 fps" in err and "twelve.otio" in err and not (tmp_path / "d").exists()
