"""When a branch is open, and the due dates and pickup deadlines that follow from it.

A loan ends at the close of an open day in the library's time zone: one that would end
on a closed day (a weekly closing or a holiday) runs on to the next open day.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from types import MappingProxyType

from server.circulation.rules import LoanRule

LAST_SECOND = time(23, 59, 59, fold=1)  # fold=1: the later 23:59:59 if the clock repeats it


class NoOpenDay(ValueError):
    """A calendar that never opens, or no open day before the end of the calendar."""


@dataclass(frozen=True)
class OpeningCalendar:
    """One branch's closings: weekdays closed every week and dates closed once."""

    closed_weekdays: frozenset[int] = frozenset()  # 0 Monday … 6 Sunday
    closed_dates: frozenset[date] = frozenset()  # holidays and other one-off closings

    def __init__(
        self, closed_weekdays: Iterable[int] = (), closed_dates: Iterable[date] = ()
    ) -> None:
        weekdays = frozenset(closed_weekdays)
        if not weekdays <= set(range(7)):
            raise ValueError(f"weekdays are 0 (Monday) to 6 (Sunday), not {sorted(weekdays)}")
        if len(weekdays) == 7:
            raise NoOpenDay("the branch is closed on every day of the week: open at least one")
        object.__setattr__(self, "closed_weekdays", weekdays)
        object.__setattr__(self, "closed_dates", frozenset(closed_dates))

    def is_open(self, day: date) -> bool:
        return day.weekday() not in self.closed_weekdays and day not in self.closed_dates

    def next_open_day(self, day: date) -> date:
        """`day` when the branch opens on it, else the first open day after it."""
        # Every week has an open weekday, so only a closed date makes a week wholly closed:
        # the run of closed days ends within one week more than there are closed dates.
        for _ in range(7 * (len(self.closed_dates) + 1)):
            if self.is_open(day):
                return day
            try:
                day += timedelta(days=1)
            except OverflowError:
                break
        raise NoOpenDay(f"no open day on or after {day.isoformat()} in this calendar")

    def open_days_between(self, after: date, through: date) -> int:
        """Open days later than `after` up to and including `through`."""
        span = (through - after).days
        if span <= 0:
            return 0
        open_weekdays = 7 - len(self.closed_weekdays)
        weeks, rest = divmod(span, 7)
        count = weeks * open_weekdays
        first_of_rest = after.weekday() + 1 + weeks * 7
        count += sum(1 for i in range(rest) if (first_of_rest + i) % 7 not in self.closed_weekdays)
        count -= sum(
            1
            for closed in self.closed_dates
            if after < closed <= through and closed.weekday() not in self.closed_weekdays
        )
        return count


@dataclass(frozen=True)
class BranchCalendars:
    """Each branch's calendar; a branch without its own follows the default one."""

    default: OpeningCalendar = field(default_factory=OpeningCalendar)
    by_branch: Mapping[str, OpeningCalendar] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_branch", MappingProxyType(dict(self.by_branch)))

    def of(self, branch: str) -> OpeningCalendar:
        return self.by_branch.get(branch, self.default)


def local_day(at: datetime, tz: tzinfo) -> date:
    """The library's date at the instant `at`; a time without a zone is refused."""
    if at.tzinfo is None:
        raise ValueError(f"{at.isoformat()} has no time zone; circulation needs aware times")
    return at.astimezone(tz).date()


def close_of_open_day(day: date, calendar: OpeningCalendar, tz: tzinfo) -> datetime:
    """The last second of the first open day from `day` on, in `tz`, as a UTC instant."""
    day = calendar.next_open_day(day)
    while True:
        end = datetime.combine(day, LAST_SECOND, tzinfo=tz).astimezone(UTC)
        if end.astimezone(tz).date() == day:
            return end
        # The zone skipped this whole day (Samoa, 30 December 2011): the next open one.
        day = calendar.next_open_day(day + timedelta(days=1))


def due_date(
    checkout_at: datetime, rule: LoanRule, calendar: OpeningCalendar, tz: tzinfo
) -> datetime:
    """When a loan made at `checkout_at` under `rule` is due: close of the loan's last day.

    The last day is `rule.loan_days` after the day of checkout, in the library's zone `tz`,
    or the next open day after it.
    """
    if not rule.for_loan:
        raise ValueError("an item that is not for loan has no due date")
    return close_of_open_day(
        local_day(checkout_at, tz) + timedelta(days=rule.loan_days), calendar, tz
    )


def renewal_due_date(
    due_at: datetime,
    renewed_at: datetime,
    rule: LoanRule,
    calendar: OpeningCalendar,
    tz: tzinfo,
) -> datetime:
    """The new due date of a renewed loan: a whole loan period from its old due date.

    Renewing early does not shorten a loan; renewing an overdue loan (when the policy
    allows it) counts from the renewal.
    """
    return due_date(max(due_at, renewed_at), rule, calendar, tz)


def pickup_deadline(
    trapped_at: datetime, shelf_days: int, calendar: OpeningCalendar, tz: tzinfo
) -> datetime:
    """Until when a trapped item waits on the hold shelf: `shelf_days` on, an open day."""
    return close_of_open_day(local_day(trapped_at, tz) + timedelta(days=shelf_days), calendar, tz)
