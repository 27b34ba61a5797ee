"""What an overdue loan costs: open days late beyond the grace days, at the rule's rate, capped.

Only days the branch is open count as late: a patron cannot bring an item back to a closed
library, so a weekend closing or a holiday costs nothing.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from server.circulation.calendar import OpeningCalendar, local_day
from server.circulation.rules import LoanRule


def days_late(
    due_at: datetime, returned_at: datetime, calendar: OpeningCalendar, tz: tzinfo
) -> int:
    """Open days after the due day, up to and including the day of return."""
    due_day, return_day = local_day(due_at, tz), local_day(returned_at, tz)
    if returned_at <= due_at:
        return 0
    return calendar.open_days_between(due_day, return_day)


def fine_for(
    due_at: datetime,
    returned_at: datetime,
    rule: LoanRule,
    calendar: OpeningCalendar,
    tz: tzinfo,
) -> int:
    """The fine in cents for a loan due at `due_at` and returned at `returned_at`.

    Also what a loan still out owes so far, given the present as `returned_at`. The grace
    days are never charged, even when the return is later than they allow.
    """
    charged_days = max(0, days_late(due_at, returned_at, calendar, tz) - rule.grace_days)
    fine = charged_days * rule.fine_per_day_cents
    return fine if rule.fine_cap_cents is None else min(fine, rule.fine_cap_cents)
