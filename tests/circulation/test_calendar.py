"""Opening calendars: due dates and pickup deadlines land on open days, at closing time."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.circulation.calendar import (
    BranchCalendars,
    NoOpenDay,
    OpeningCalendar,
    close_of_open_day,
    due_date,
    pickup_deadline,
    renewal_due_date,
)
from server.circulation.rules import NOT_FOR_LOAN, LoanRule

BERLIN = ZoneInfo("Europe/Berlin")
SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY, SUNDAY = 0, 6
TUESDAY = datetime(2026, 3, 10, 10, 0, tzinfo=BERLIN)  # a Tuesday morning at the desk
FOUR_WEEKS = LoanRule(loan_days=28)


def test_a_loan_is_due_at_closing_time_of_its_last_day_in_the_librarys_zone() -> None:
    due = due_date(TUESDAY, FOUR_WEEKS, OpeningCalendar(), BERLIN)
    assert due.tzinfo is UTC
    local = due.astimezone(BERLIN)
    assert local.date() == date(2026, 4, 7)
    assert (local.hour, local.minute, local.second) == (23, 59, 59)


def test_the_loan_counts_from_the_local_day_not_the_utc_one() -> None:
    late_evening = datetime(2026, 3, 10, 23, 30, tzinfo=SHANGHAI)  # still 10 March in UTC too
    just_after_midnight = datetime(2026, 3, 11, 0, 30, tzinfo=SHANGHAI)  # 10 March in UTC
    calendar = OpeningCalendar()
    assert due_date(late_evening, FOUR_WEEKS, calendar, SHANGHAI).astimezone(
        SHANGHAI
    ).date() == date(2026, 4, 7)
    assert due_date(just_after_midnight, FOUR_WEEKS, calendar, SHANGHAI).astimezone(
        SHANGHAI
    ).date() == date(2026, 4, 8)


def test_a_loan_ending_on_a_weekly_closing_runs_on_to_the_next_open_day() -> None:
    closed_on_sundays = OpeningCalendar(closed_weekdays={SUNDAY})
    # 12 days from Tuesday 10 March is Sunday 22 March
    due = due_date(TUESDAY, LoanRule(loan_days=12), closed_on_sundays, BERLIN)
    assert due.astimezone(BERLIN).date() == date(2026, 3, 23)


def test_holidays_and_weekly_closings_chain() -> None:
    easter = OpeningCalendar(
        closed_weekdays={SUNDAY, MONDAY},
        closed_dates={date(2026, 4, 3), date(2026, 4, 4), date(2026, 4, 7)},
    )
    # due Friday 3 April: Good Friday, Saturday, Sunday, Easter Monday (a Monday), Tuesday shut
    due = due_date(TUESDAY, LoanRule(loan_days=24), easter, BERLIN)
    assert due.astimezone(BERLIN).date() == date(2026, 4, 8)


def test_a_calendar_closed_every_day_of_the_week_is_refused() -> None:
    with pytest.raises(NoOpenDay, match="closed on every day of the week"):
        OpeningCalendar(closed_weekdays=range(7))


def test_weekdays_are_zero_to_six() -> None:
    with pytest.raises(ValueError, match="0 \\(Monday\\) to 6 \\(Sunday\\)"):
        OpeningCalendar(closed_weekdays={7})


def test_no_open_day_before_the_end_of_time_is_a_clear_error() -> None:
    calendar = OpeningCalendar(closed_dates={date.max - timedelta(days=n) for n in range(3)})
    with pytest.raises(NoOpenDay, match="no open day on or after"):
        calendar.next_open_day(date.max - timedelta(days=2))


def test_an_open_day_is_its_own_next_open_day() -> None:
    calendar = OpeningCalendar(closed_weekdays={SUNDAY})
    assert calendar.next_open_day(date(2026, 3, 10)) == date(2026, 3, 10)
    assert calendar.next_open_day(date(2026, 3, 15)) == date(2026, 3, 16)


def test_times_without_a_zone_are_refused() -> None:
    with pytest.raises(ValueError, match="no time zone"):
        due_date(datetime(2026, 3, 10, 10), FOUR_WEEKS, OpeningCalendar(), BERLIN)


def test_an_item_not_for_loan_has_no_due_date() -> None:
    with pytest.raises(ValueError, match="not for loan"):
        due_date(TUESDAY, NOT_FOR_LOAN, OpeningCalendar(), BERLIN)


def test_when_the_clock_goes_back_at_midnight_the_loan_ends_at_the_later_2359() -> None:
    santiago = ZoneInfo("America/Santiago")  # summer time ends at midnight, 4 to 5 April 2026
    end = close_of_open_day(date(2026, 4, 4), OpeningCalendar(), santiago)
    assert end == datetime(2026, 4, 5, 3, 59, 59, tzinfo=UTC)


def test_a_day_the_zone_skipped_moves_the_due_date_to_the_next_day() -> None:
    apia = ZoneInfo("Pacific/Apia")  # Samoa skipped 30 December 2011
    end = close_of_open_day(date(2011, 12, 30), OpeningCalendar(), apia)
    assert end.astimezone(apia).date() == date(2011, 12, 31)


def test_renewing_early_extends_from_the_old_due_date() -> None:
    calendar = OpeningCalendar()
    due = due_date(TUESDAY, FOUR_WEEKS, calendar, BERLIN)
    renewed = renewal_due_date(due, TUESDAY + timedelta(days=3), FOUR_WEEKS, calendar, BERLIN)
    assert renewed.astimezone(BERLIN).date() == date(2026, 5, 5)


def test_renewing_late_extends_from_the_renewal() -> None:
    calendar = OpeningCalendar()
    due = due_date(TUESDAY, FOUR_WEEKS, calendar, BERLIN)
    late = due + timedelta(days=10)
    renewed = renewal_due_date(due, late, FOUR_WEEKS, calendar, BERLIN)
    assert renewed.astimezone(BERLIN).date() == late.astimezone(BERLIN).date() + timedelta(28)


def test_a_pickup_deadline_is_closing_time_of_an_open_day() -> None:
    closed_on_tuesdays = OpeningCalendar(closed_weekdays={1})
    deadline = pickup_deadline(TUESDAY, 7, closed_on_tuesdays, BERLIN)
    assert deadline.astimezone(BERLIN).date() == date(2026, 3, 18)


def test_a_branch_without_its_own_calendar_follows_the_default() -> None:
    sundays = OpeningCalendar(closed_weekdays={SUNDAY})
    mondays = OpeningCalendar(closed_weekdays={MONDAY})
    calendars = BranchCalendars(default=sundays, by_branch={"east": mondays})
    assert calendars.of("east") is mondays
    assert calendars.of("main") is sundays
    assert BranchCalendars().of("main") == OpeningCalendar()


def test_open_days_between_skips_closings() -> None:
    calendar = OpeningCalendar(closed_weekdays={SUNDAY}, closed_dates={date(2026, 3, 12)})
    # 11..17 March: Wednesday to Tuesday, minus Thursday the 12th and Sunday the 15th
    assert calendar.open_days_between(date(2026, 3, 10), date(2026, 3, 17)) == 5
    assert calendar.open_days_between(date(2026, 3, 10), date(2026, 3, 10)) == 0
    assert calendar.open_days_between(date(2026, 3, 17), date(2026, 3, 10)) == 0


ZONES = st.sampled_from(
    [UTC, BERLIN, SHANGHAI, ZoneInfo("America/New_York"), ZoneInfo("Pacific/Apia")]
)
# two windows: today's, and the weeks around the day Samoa skipped
DAYS = st.one_of(
    st.dates(date(2011, 11, 1), date(2012, 3, 31)),
    st.dates(date(2025, 1, 1), date(2027, 6, 30)),
)
CHECKOUTS = st.one_of(
    st.datetimes(datetime(2011, 11, 1), datetime(2012, 1, 31), timezones=st.just(UTC)),
    st.datetimes(datetime(2025, 1, 1), datetime(2026, 12, 31), timezones=st.just(UTC)),
)


@st.composite
def calendars(draw: st.DrawFn) -> OpeningCalendar:
    weekdays = draw(st.sets(st.integers(0, 6), max_size=6))
    dates = draw(st.sets(DAYS, max_size=60))
    return OpeningCalendar(weekdays, dates)


@given(
    calendar=calendars(),
    checkout_at=CHECKOUTS,
    loan_days=st.integers(1, 120),
    tz=ZONES,
)
def test_a_due_date_never_falls_on_a_closed_day(
    calendar: OpeningCalendar, checkout_at: datetime, loan_days: int, tz: ZoneInfo
) -> None:
    due = due_date(checkout_at, LoanRule(loan_days=loan_days), calendar, tz)
    day = due.astimezone(tz).date()
    assert calendar.is_open(day)
    earliest = checkout_at.astimezone(tz).date() + timedelta(days=loan_days)
    assert day >= earliest
    # it is the first open day: every day before it is closed, or one the zone skipped
    skipped = [earliest + timedelta(days=n) for n in range((day - earliest).days)]
    assert not any(calendar.is_open(d) and _exists(d, tz) for d in skipped)
    assert due > checkout_at


def _exists(day: date, tz: ZoneInfo) -> bool:
    noon = datetime.combine(day, time(12), tzinfo=tz)
    return noon.astimezone(UTC).astimezone(tz).date() == day


@given(calendar=calendars(), after=DAYS, span=st.integers(-10, 400))
def test_open_days_between_counts_as_a_day_by_day_walk(
    calendar: OpeningCalendar, after: date, span: int
) -> None:
    through = after + timedelta(days=span)
    walked = sum(1 for n in range(1, span + 1) if calendar.is_open(after + timedelta(days=n)))
    assert calendar.open_days_between(after, through) == walked
