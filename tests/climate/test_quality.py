"""Bad readings are flagged, not used, and a sensor that goes quiet is reported."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts.readings import Quantity
from server.climate.quality import (
    DEFAULT_LIMITS,
    Flag,
    Limits,
    Track,
    Verdict,
    check,
    silence,
)

T0 = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)
TEMP, RH, LUX = Quantity.TEMPERATURE, Quantity.HUMIDITY, Quantity.ILLUMINANCE
MIN = timedelta(minutes=1)


def feed(
    quantity: Quantity, values: list[float], every: timedelta = 10 * MIN, track: Track = Track()
) -> tuple[Track, list[Verdict]]:
    verdicts = []
    for i, value in enumerate(values):
        track, verdict = check(track, quantity, value, T0 + i * every)
        verdicts.append(verdict)
    return track, verdicts


def flags(verdicts: list[Verdict]) -> list[tuple[Flag, ...]]:
    return [v.flags for v in verdicts]


def test_plausible_readings_pass() -> None:
    track, verdicts = feed(TEMP, [20.0, 20.1, 20.3, 20.2, 21.0])
    assert all(v.ok for v in verdicts)
    assert track.good_value == 21.0


@pytest.mark.parametrize(
    ("quantity", "value", "message"),
    [
        (RH, 104.5, "104.5 %RH is outside 0..100 %RH"),
        (TEMP, -55.0, "-55 °C is outside -40..85 °C"),
        (LUX, -3.0, "-3 lx is outside"),
    ],
)
def test_out_of_range_readings_are_flagged(quantity: Quantity, value: float, message: str) -> None:
    track, verdict = check(Track(), quantity, value, T0)
    assert verdict.flags == (Flag.OUT_OF_RANGE,)
    assert message in verdict.message
    assert track.good_value is None


def test_not_a_number_is_flagged() -> None:
    _, verdict = check(Track(), TEMP, math.nan, T0)
    assert verdict.flags == (Flag.NOT_FINITE,)


def test_a_spike_is_flagged_and_the_next_normal_reading_passes() -> None:
    track, verdicts = feed(TEMP, [21.0, 21.1, 38.0, 21.2])
    assert flags(verdicts) == [(), (), (Flag.SPIKE,), ()]
    assert "jumped from 21.1 to 38 °C in 10 min" in verdicts[2].message
    assert track.good_value == 21.2


def test_a_real_step_stands_once_the_next_reading_agrees() -> None:
    # the reading room's door to a cold stairwell: humidity drops and stays down
    _, verdicts = feed(RH, [55.0, 55.2, 20.0, 20.5, 21.0], every=MIN)
    assert flags(verdicts) == [(), (), (Flag.SPIKE,), (), ()]


def test_a_jump_is_judged_against_the_time_since_the_last_good_reading() -> None:
    # 6 °C in 10 minutes is a spike, over 3 hours it is a day warming up
    _, quick = feed(TEMP, [18.0, 24.5], every=10 * MIN)
    _, slow = feed(TEMP, [18.0, 24.5], every=3 * 60 * MIN)
    assert flags(quick) == [(), (Flag.SPIKE,)]
    assert flags(slow) == [(), ()]


def test_light_may_jump_when_a_lamp_is_switched_on() -> None:
    _, verdicts = feed(LUX, [3.0, 450.0, 2.0])
    assert all(v.ok for v in verdicts)


def test_a_stuck_sensor_is_flagged_until_its_value_moves() -> None:
    values = [45.0] * 13 + [45.3]
    _, verdicts = feed(RH, values, every=60 * MIN)
    assert flags(verdicts) == [()] * 12 + [(Flag.STUCK,), ()]
    assert "45 %RH unchanged since 2026-03-10T08:00:00+00:00" in verdicts[12].message


def test_darkness_for_a_whole_night_is_not_a_stuck_sensor() -> None:
    _, verdicts = feed(LUX, [0.0] * 20, every=60 * MIN)
    assert all(v.ok for v in verdicts)


def test_a_reading_older_than_the_last_is_not_used() -> None:
    track, _ = check(Track(), TEMP, 20.0, T0)
    again, verdict = check(track, TEMP, 20.5, T0 - MIN)
    assert verdict.flags == (Flag.OUT_OF_ORDER,)
    assert again == track


def test_a_sensor_is_silent_after_three_missed_reports() -> None:
    track, _ = check(Track(), TEMP, 20.0, T0)
    assert silence(track, TEMP, T0 + 2 * 60 * MIN).ok
    quiet = silence(track, TEMP, T0 + 3 * 60 * MIN)
    assert quiet.flags == (Flag.SILENT,)
    assert quiet.message == "no temperature reading for 3.0 h (expected every 60 min)"


def test_a_sensor_never_heard_from_counts_from_its_installation() -> None:
    assert silence(Track(), TEMP, T0).ok
    assert not silence(Track(), TEMP, T0 + 4 * 60 * MIN, known_since=T0).ok


def test_a_sensor_sending_garbage_is_flagged_bad_not_silent() -> None:
    track, _ = check(Track(), RH, 150.0, T0)
    assert silence(track, RH, T0 + 30 * MIN).ok


def test_limits_must_make_sense() -> None:
    with pytest.raises(ValueError, match="empty"):
        Limits(10, 10, timedelta(minutes=5))
    with pytest.raises(ValueError, match="positive interval"):
        Limits(0, 10, timedelta(0))


# --- properties ---------------------------------------------------------------------

steps = st.lists(
    st.tuples(st.integers(1, 120), st.floats(-0.1, 0.1)),  # minutes later, change per minute
    min_size=1,
    max_size=60,
)


@given(start=st.floats(10, 30), steps=steps)
def test_a_room_drifting_at_plausible_rates_is_never_flagged(
    start: float, steps: list[tuple[int, float]]
) -> None:
    track, _ = check(Track(), TEMP, start, T0)
    value, at = start, T0
    for minutes, rate in steps:
        at += minutes * MIN
        value += rate * minutes + 0.001  # never exactly the same value twice
        track, verdict = check(track, TEMP, value, at)
        assert verdict.ok, verdict.message


readings = st.lists(
    st.tuples(
        st.integers(0, 180),
        st.one_of(st.floats(-100, 200), st.just(math.nan), st.sampled_from([20.0, 21.0])),
    ),
    max_size=60,
)


@given(readings=readings)
def test_only_readings_that_passed_become_the_good_value(
    readings: list[tuple[int, float]],
) -> None:
    limits = DEFAULT_LIMITS[TEMP]
    track, at = Track(), T0
    passed: set[float] = set()
    for minutes, value in readings:
        at += minutes * MIN
        track, verdict = check(track, TEMP, value, at)
        if verdict.ok:
            passed.add(value)
            assert limits.low <= value <= limits.high
        assert track.good_value is None or track.good_value in passed
        assert bool(verdict.flags) != verdict.ok
