"""Fines: nothing on time or within grace, open days only, never over the cap."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.circulation.calendar import OpeningCalendar, close_of_open_day
from server.circulation.fines import days_late, fine_for
from server.circulation.rules import LoanRule

TZ = ZoneInfo("Europe/Berlin")
EVERY_DAY = OpeningCalendar()
SATURDAY, SUNDAY = 5, 6
RULE = LoanRule(fine_per_day_cents=25, fine_cap_cents=500, grace_days=2)
DUE = close_of_open_day(date(2026, 3, 13), EVERY_DAY, TZ)  # Friday 13 March, 23:59:59


def on(day: date, hour: int = 11) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=TZ)


def test_nothing_is_owed_when_returned_on_time() -> None:
    assert fine_for(DUE, on(date(2026, 3, 10)), RULE, EVERY_DAY, TZ) == 0
    assert fine_for(DUE, DUE, RULE, EVERY_DAY, TZ) == 0


def test_grace_days_cost_nothing_and_are_never_charged_later() -> None:
    assert fine_for(DUE, on(date(2026, 3, 15)), RULE, EVERY_DAY, TZ) == 0  # 2 days late
    assert fine_for(DUE, on(date(2026, 3, 16)), RULE, EVERY_DAY, TZ) == 25  # 3 days late
    assert fine_for(DUE, on(date(2026, 3, 20)), RULE, EVERY_DAY, TZ) == 5 * 25


def test_a_return_just_after_midnight_is_one_day_late() -> None:
    rule = LoanRule(fine_per_day_cents=25)
    assert days_late(DUE, on(date(2026, 3, 14), hour=0), EVERY_DAY, TZ) == 1
    assert fine_for(DUE, on(date(2026, 3, 14), hour=0), rule, EVERY_DAY, TZ) == 25


def test_the_fine_stops_at_the_cap() -> None:
    a_year_late = on(date(2027, 3, 13))
    assert fine_for(DUE, a_year_late, RULE, EVERY_DAY, TZ) == 500
    uncapped = LoanRule(fine_per_day_cents=25, fine_cap_cents=None)
    assert fine_for(DUE, a_year_late, uncapped, EVERY_DAY, TZ) == 365 * 25


def test_closed_days_are_not_charged() -> None:
    weekdays_only = OpeningCalendar(
        closed_weekdays={SATURDAY, SUNDAY}, closed_dates={date(2026, 3, 17)}
    )
    rule = LoanRule(fine_per_day_cents=10)
    # due Friday; Saturday, Sunday and the holiday Tuesday cost nothing
    assert days_late(DUE, on(date(2026, 3, 18)), weekdays_only, TZ) == 2
    assert fine_for(DUE, on(date(2026, 3, 18)), rule, weekdays_only, TZ) == 20
    # returned in the book drop on Sunday: nothing yet
    assert fine_for(DUE, on(date(2026, 3, 15)), rule, weekdays_only, TZ) == 0


def test_a_fine_free_rule_charges_nothing() -> None:
    assert fine_for(DUE, on(date(2027, 1, 1)), LoanRule(), EVERY_DAY, TZ) == 0


rules = st.builds(
    LoanRule,
    fine_per_day_cents=st.integers(0, 500),
    fine_cap_cents=st.none() | st.integers(0, 10_000),
    grace_days=st.integers(0, 10),
)
calendars = st.builds(
    OpeningCalendar,
    st.sets(st.integers(0, 6), max_size=6),
    st.sets(st.dates(date(2026, 3, 1), date(2026, 12, 31)), max_size=40),
)
lateness = st.timedeltas(timedelta(days=-30), timedelta(days=400))


@given(rule=rules, calendar=calendars, early=lateness, late=lateness)
def test_the_fine_grows_with_lateness_and_never_passes_the_cap(
    rule: LoanRule, calendar: OpeningCalendar, early: timedelta, late: timedelta
) -> None:
    early, late = sorted((early, late))
    first = fine_for(DUE, DUE + early, rule, calendar, TZ)
    second = fine_for(DUE, DUE + late, rule, calendar, TZ)
    assert 0 <= first <= second
    if rule.fine_cap_cents is not None:
        assert second <= rule.fine_cap_cents
    if early <= timedelta(0):
        assert first == 0


def test_times_without_a_zone_are_refused() -> None:
    with pytest.raises(ValueError, match="no time zone"):
        fine_for(DUE, datetime(2026, 3, 20, 11), RULE, EVERY_DAY, TZ)
