"""Arming intrusion zones: after closing by schedule, by hand until the schedule next changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.safety.arming import (
    SCHEDULE,
    ArmingSchedule,
    BeamBreakLogged,
    IntrusionDetected,
    Zone,
    arm,
    arming_status,
    beam_break,
    changes_between,
    disarm,
    is_armed,
)

BERLIN = ZoneInfo("Europe/Berlin")
WEEKDAYS = {day: (time(9), time(20)) for day in range(5)}
HOURS = ArmingSchedule({**WEEKDAYS, 5: (time(10), time(16))}, BERLIN)  # closed on Sundays
STACKS = Zone("stacks", HOURS)


def berlin(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=BERLIN)


TUESDAY_NOON = berlin(10, 12)


def test_a_zone_is_disarmed_while_the_library_is_open() -> None:
    assert not is_armed(STACKS, TUESDAY_NOON)
    assert not is_armed(STACKS, berlin(10, 9))  # opening time is open
    assert is_armed(STACKS, berlin(10, 8, 59))
    assert is_armed(STACKS, berlin(10, 20))  # closing time is closed
    assert is_armed(STACKS, berlin(11, 2))


def test_a_closed_weekday_and_a_closed_date_are_armed_all_day() -> None:
    assert is_armed(STACKS, berlin(15, 12))  # Sunday
    holiday = Zone("stacks", ArmingSchedule(HOURS.hours, BERLIN, frozenset({date(2026, 3, 10)})))
    assert is_armed(holiday, TUESDAY_NOON)


def test_the_status_says_who_armed_it_and_until_when() -> None:
    status = arming_status(STACKS, berlin(10, 21))
    assert (status.armed, status.by) == (True, SCHEDULE)
    assert status.until == berlin(11, 9)
    assert status.message == f"armed by schedule until {berlin(11, 9).astimezone(UTC).isoformat()}"


def test_disarming_by_hand_after_closing_holds_until_the_next_opening_only() -> None:
    late_event = disarm(STACKS, "mei", berlin(10, 20, 30))
    assert late_event.manual is not None
    assert not is_armed(late_event, berlin(10, 23))
    assert arming_status(late_event, berlin(10, 23)).by == "mei"
    assert arming_status(late_event, berlin(10, 23)).until == berlin(11, 9)
    assert not is_armed(late_event, berlin(11, 12))  # open anyway
    assert is_armed(late_event, berlin(11, 20, 1))  # the next closing arms it again


def test_arming_by_hand_during_the_day_holds_until_closing_then_the_schedule_goes_on() -> None:
    early = arm(STACKS, "tom", berlin(10, 15))
    assert is_armed(early, berlin(10, 16))
    assert arming_status(early, berlin(10, 16)).by == "tom"
    assert arming_status(early, berlin(10, 21)).by == SCHEDULE
    assert not is_armed(early, berlin(11, 10))  # the next opening disarms it


def test_a_hands_arming_does_not_reach_back_before_it_was_given() -> None:
    early = arm(STACKS, "tom", berlin(10, 15))
    assert not is_armed(early, berlin(10, 14))


def test_a_zone_without_a_schedule_is_armed_only_by_hand_and_stays_so() -> None:
    vault = Zone("rare books")
    assert not is_armed(vault, TUESDAY_NOON)
    assert arming_status(vault, TUESDAY_NOON).message == (
        "disarmed: no schedule, and not armed by hand"
    )
    armed = arm(vault, "tom", TUESDAY_NOON)
    status = arming_status(armed, TUESDAY_NOON + timedelta(days=400))
    assert (status.armed, status.by, status.until) == (True, "tom", None)
    assert status.message == "armed by tom"
    assert not is_armed(disarm(armed, "mei", berlin(11, 8)), berlin(11, 9))


def test_a_beam_break_in_an_armed_zone_is_an_intrusion() -> None:
    found = beam_break(STACKS, "beam-2", berlin(10, 23))
    assert found == IntrusionDetected("beam-2", "stacks", berlin(10, 23), SCHEDULE)
    assert found.message == "beam-2 broken in stacks, armed by schedule: intrusion"


def test_a_beam_break_in_a_disarmed_zone_is_only_logged() -> None:
    found = beam_break(STACKS, "beam-2", TUESDAY_NOON)
    assert found == BeamBreakLogged("beam-2", "stacks", TUESDAY_NOON)
    assert found.message == "beam-2 broken in stacks, disarmed: logged only"
    late_event = disarm(STACKS, "mei", berlin(10, 20, 30))
    assert isinstance(beam_break(late_event, "beam-2", berlin(10, 22)), BeamBreakLogged)


def test_opening_hours_follow_the_librarys_clock_across_summer_time() -> None:
    # Berlin moves to summer time on Sunday 29 March 2026
    assert HOURS.next_change(berlin(28, 17)) == datetime(2026, 3, 30, 7, 0, tzinfo=UTC)
    assert HOURS.open_hours(date(2026, 3, 27)) == (
        datetime(2026, 3, 27, 8, 0, tzinfo=UTC),
        datetime(2026, 3, 27, 19, 0, tzinfo=UTC),
    )
    assert HOURS.open_hours(date(2026, 3, 29)) is None


def test_a_week_has_an_opening_and_a_closing_per_open_day() -> None:
    week = changes_between(STACKS, berlin(9, 0), berlin(16, 0))
    assert len(week) == 12
    assert week[:2] == [berlin(9, 9), berlin(9, 20)]
    assert changes_between(Zone("vault"), berlin(9, 0), berlin(16, 0)) == []


def test_a_library_that_never_opens_never_changes() -> None:
    always = ArmingSchedule({}, BERLIN)
    assert always.armed_at(TUESDAY_NOON)
    assert always.next_change(TUESDAY_NOON) is None
    assert arming_status(disarm(Zone("x", always), "mei", TUESDAY_NOON), berlin(20, 1)).by == "mei"


def test_bad_hours_and_times_are_refused() -> None:
    with pytest.raises(ValueError, match="must open before it closes"):
        ArmingSchedule({0: (time(20), time(9))}, BERLIN)
    with pytest.raises(ValueError, match="0 \\(Monday\\) to 6"):
        ArmingSchedule({7: (time(9), time(20))}, BERLIN)
    with pytest.raises(ValueError, match="no time zone"):
        is_armed(STACKS, datetime(2026, 3, 10, 12))
    with pytest.raises(ValueError, match="by a person"):
        arm(STACKS, "", TUESDAY_NOON)
    with pytest.raises(ValueError, match="a name"):
        Zone(" ")


INSTANTS = st.datetimes(datetime(2026, 1, 1), datetime(2027, 12, 31), timezones=st.just(UTC))
ZONES = st.sampled_from([BERLIN, ZoneInfo("Asia/Shanghai"), ZoneInfo("America/New_York")])


@st.composite
def schedules(draw: st.DrawFn) -> ArmingSchedule:
    hours = {}
    for weekday in draw(st.sets(st.integers(0, 6), min_size=1)):
        opens, closes = sorted(draw(st.sets(st.integers(0, 24 * 4 - 1), min_size=2, max_size=2)))
        hours[weekday] = (time(opens // 4, opens % 4 * 15), time(closes // 4, closes % 4 * 15))
    closed = draw(st.sets(st.dates(date(2026, 1, 1), date(2027, 12, 31)), max_size=20))
    return ArmingSchedule(hours, draw(ZONES), frozenset(closed))


@given(schedule=schedules(), at=INSTANTS, fraction=st.floats(0, 1, exclude_max=True))
def test_the_schedule_changes_exactly_at_its_next_change(
    schedule: ArmingSchedule, at: datetime, fraction: float
) -> None:
    change = schedule.next_change(at)
    assert change is not None
    assert change > at
    # timedelta rounds to whole microseconds: keep `between` strictly before the change
    between = min(at + (change - at) * fraction, change - timedelta(microseconds=1))
    assert schedule.armed_at(between) == schedule.armed_at(at)
    assert schedule.armed_at(change) != schedule.armed_at(change - timedelta(microseconds=1))


@given(
    schedule=schedules(),
    given_at=INSTANTS,
    later=st.timedeltas(timedelta(0), timedelta(days=20)),
    armed=st.booleans(),
)
def test_a_hands_arming_holds_exactly_until_the_next_scheduled_change(
    schedule: ArmingSchedule, given_at: datetime, later: timedelta, armed: bool
) -> None:
    zone = Zone("stacks", schedule)
    zone = (arm if armed else disarm)(zone, "mei", given_at)
    now = given_at + later
    ends = schedule.next_change(given_at)
    assert ends is not None
    expected = armed if now < ends else schedule.armed_at(now)
    assert is_armed(zone, now) == expected
