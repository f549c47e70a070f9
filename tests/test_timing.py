"""Rates, durations and timecodes are exact: 23.976 is 24000/1001 and timecode is a frame count."""

from fractions import Fraction

import pytest
from shotreel import timing
from shotreel.errors import TimingError

NTSC24 = Fraction(24000, 1001)
NTSC30 = Fraction(30000, 1001)


@pytest.mark.parametrize("value, rate", [
    (24, Fraction(24)), ("24", Fraction(24)), (23.976, NTSC24), ("23.976", NTSC24), ("24000/1001", NTSC24),
    (23.976023976023978, NTSC24), (29.97, NTSC30), ("29.97", NTSC30), (25, Fraction(25)),
    (59.94, Fraction(60000, 1001)), (60, Fraction(60)), (48, Fraction(48)), (50, Fraction(50)), (30, Fraction(30)),
])
def test_supported_rates_are_exact_fractions(value, rate):
    assert timing.parse_fps(value) == rate


@pytest.mark.parametrize("value", [12, 15, "23.98x", 100, True, None, "fast"])
def test_unsupported_rates_are_refused_with_the_list(value):
    with pytest.raises(TimingError, match="use one of 23.976, 24, 25"):
        timing.parse_fps(value)


def test_hiero_float32_rate_is_ntsc():
    assert timing.rate_from_otio(23.976024627685547) == NTSC24
    assert timing.rate_from_otio(15.0) == Fraction(15)


@pytest.mark.parametrize("text, rate, frames", [
    ("4s", Fraction(24), 96), ("2.5s", Fraction(24), 60), ("96f", Fraction(24), 96),
    ("00:00:04:00", Fraction(24), 96), ("4s", NTSC24, 96), ("2.5s", NTSC24, 60),  # 59.94 rounds to 60
    ("1s", NTSC30, 30), ("00:00:01:00", NTSC30, 30), ("3 sec", Fraction(25), 75), ("1m30s", Fraction(24), 2160),
    ("2m", Fraction(25), 3000), ("0.5s", Fraction(50), 25),
])
def test_durations_become_whole_frames(text, rate, frames):
    assert timing.parse_duration(text, rate) == frames


@pytest.mark.parametrize("value, message", [
    (4, "no unit: write 4s for seconds or 4f for frames"), ("4x", "not readable"), ("0f", "shorter than one frame"),
    ("00:00:00:30", "out of range"), ("", "not readable"),
])
def test_bad_durations_say_how_to_write_them(value, message):
    with pytest.raises(TimingError, match=message):
        timing.parse_duration(value, Fraction(24))


def test_timecode_is_a_frame_count_not_a_clock():
    assert timing.parse_timecode("01:00:00:00", NTSC24) == 86400
    assert timing.parse_timecode("01:00:00:00", Fraction(24)) == 86400
    assert timing.parse_timecode("01:00:00;00", NTSC30) == 107892  # drop-frame
    assert timing.parse_timecode("01:00:00:00", NTSC30) == 108000  # non-drop-frame
    assert timing.parse_timecode("10:00:00:00", Fraction(25)) == 900000


def test_drop_frame_only_where_it_exists():
    with pytest.raises(TimingError, match="drop-frame"):
        timing.parse_timecode("01:00:00;00", Fraction(24))


def test_timecode_round_trip_at_every_rate():
    for rate in timing.RATES.values():
        for frame in (0, 1, 86399, 86400, 107892, 123457):
            text = timing.format_timecode(frame, rate)
            assert timing.parse_timecode(text, rate) == frame, (rate, frame, text)
    assert timing.format_timecode(107892, NTSC30) == "01:00:00;00"


def test_labels_and_otio_rates():
    assert timing.fps_label(NTSC24) == "23.976"
    assert timing.otio_rate(NTSC24) == 24000 / 1001
    assert timing.to_frames(timing.rational_time(96, NTSC24), NTSC24) == 96
    assert timing.format_duration(96, Fraction(24)) == "4s"
    assert timing.format_duration(59, Fraction(24)) == "2.46s (59f)"
