"""Librarians' changes to the loan rule matrix and the opening calendar, each one audited.

Every change is checked by the pure rules first (rules.LoanRule and RuleMatrix, calendar's
OpeningCalendar), so the default row cannot be removed and no branch is closed all week.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, Field
from sqlmodel import Session, col, select

from server.auth.service import audit
from server.catalog.models import Item
from server.circulation.calendar import NoOpenDay, OpeningCalendar
from server.circulation.models import ClosedDay, ClosedWeekday, LoanRuleRow
from server.circulation.rules import ANY, DEFAULT_KEY, LoanRule, RuleKey
from server.circulation.service import RULE_FIELDS, calendars, rule_matrix

_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")


class AdminInvalid(ValueError):
    """A change the rules refuse; `field` names the input to show it beside."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


class AdminNotFound(LookupError):
    """No such row of the matrix or closed day."""


def _code(value: str) -> str:
    value = value.strip()
    if value != ANY and not _CODE.match(value):
        raise ValueError(f"use {ANY!r} for any, or a code of letters, digits, '-' or '_'")
    return value


Code = Annotated[str, Field(min_length=1, max_length=32), AfterValidator(_code)]
BranchCode = Annotated[str, Field(min_length=1, max_length=64), AfterValidator(_code)]


class RuleKeyIn(BaseModel):
    branch: BranchCode = ANY
    category: Code = ANY
    item_type: Code = ANY

    def key(self) -> RuleKey:
        return RuleKey(self.branch, self.category, self.item_type)


class RuleIn(RuleKeyIn):
    """One row of the matrix as a form or a program gives it; money in whole cents."""

    for_loan: bool = True
    loan_days: int = Field(ge=0, le=3650)
    renewals: int = Field(ge=0, le=99)
    max_items: int = Field(ge=0, le=10_000)
    fine_per_day_cents: int = Field(ge=0, le=1_000_000)
    fine_cap_cents: int | None = Field(default=None, ge=0, le=100_000_000)
    grace_days: int = Field(ge=0, le=365)
    holds_block_renewal: bool = True

    def rule(self) -> LoanRule:
        try:
            return LoanRule(**{name: getattr(self, name) for name in RULE_FIELDS})
        except ValueError as error:
            field = next((n for n in RULE_FIELDS if str(error).startswith(n)), "loan_days")
            raise AdminInvalid(field, str(error)) from error


def _row(key: RuleKey, rule: LoanRule) -> LoanRuleRow:
    return LoanRuleRow(
        branch=key.branch,
        category=key.category,
        item_type=key.item_type,
        **{name: getattr(rule, name) for name in RULE_FIELDS},
    )


def _shown(rule: LoanRule) -> dict[str, Any]:
    return {name: getattr(rule, name) for name in RULE_FIELDS}


def _key_text(key: RuleKey) -> str:
    return f"{key.branch}/{key.category}/{key.item_type}"


def save_rule(
    session: Session, form: RuleIn, *, adding: bool, actor: str, now: datetime
) -> RuleKey:
    """Add a row (refused if its key has one) or change an existing row's values."""
    key, rule = form.key(), form.rule()
    matrix = rule_matrix(session)
    before = matrix.rules.get(key)
    if adding and before is not None:
        raise AdminInvalid("branch", "a row for this branch, category and item type exists")
    if not adding and before is None:
        raise AdminNotFound(f"no row for {_key_text(key)}")
    matrix.with_rule(key, rule)  # the matrix's own checks
    session.merge(_row(key, rule))
    changes: dict[str, Any] = {"key": _key_text(key), "rule": _shown(rule)}
    if before is not None:
        changes["before"] = _shown(before)
    action = "loan_rule.added" if adding else "loan_rule.changed"
    audit(session, actor, action, "loan_rule", _key_text(key), changes, now=now)
    session.commit()
    return key


def remove_rule(session: Session, key: RuleKey, *, actor: str, now: datetime) -> None:
    matrix = rule_matrix(session)
    try:
        matrix.without_rule(key)
    except KeyError as error:
        raise AdminNotFound(f"no row for {_key_text(key)}") from error
    except ValueError as error:
        raise AdminInvalid("form", str(error)) from error
    row = session.get(LoanRuleRow, (key.branch, key.category, key.item_type))
    assert row is not None
    session.delete(row)
    changes = {"key": _key_text(key), "before": _shown(matrix.rules[key])}
    audit(session, actor, "loan_rule.removed", "loan_rule", _key_text(key), changes, now=now)
    session.commit()


# The calendar


@dataclass(frozen=True)
class DayStatus:
    day: date
    open: bool
    reason: str  # a holiday's reason; "" for a weekly closing or an open day
    weekly: bool  # closed because of the day of the week


def closed_weekdays(session: Session) -> dict[str, set[int]]:
    found: dict[str, set[int]] = {}
    for row in session.exec(select(ClosedWeekday)):
        found.setdefault(row.branch, set()).add(row.weekday)
    return found


def closed_days(session: Session, since: date) -> list[ClosedDay]:
    return list(
        session.exec(
            select(ClosedDay)
            .where(col(ClosedDay.day) >= since)
            .order_by(col(ClosedDay.day), col(ClosedDay.branch))
        ).all()
    )


def branches(session: Session, *also: str) -> list[str]:
    """The branches the library knows of: items' homes, rule rows and calendar rows."""
    found = set(also)
    found.update(session.exec(select(Item.home_branch).distinct()).all())
    found.update(session.exec(select(LoanRuleRow.branch).distinct()).all())
    found.update(session.exec(select(ClosedDay.branch).distinct()).all())
    found.update(session.exec(select(ClosedWeekday.branch).distinct()).all())
    found.discard(ANY)
    return sorted(found)


def set_weekdays(
    session: Session, branch: str, closed: set[int], *, actor: str, now: datetime
) -> None:
    """Close `branch` ("*": every branch) on these weekdays each week, and open it on others."""
    try:
        branch = _code(branch)
    except ValueError as error:
        raise AdminInvalid("branch", str(error)) from error
    if not closed <= set(range(7)):
        raise AdminInvalid("weekdays", "a weekday is 0 (Monday) to 6 (Sunday)")
    weekdays = closed_weekdays(session)
    before = weekdays.get(branch, set())
    if closed == before:
        return  # nothing changes, nothing to audit
    weekdays[branch] = closed
    common = weekdays.get(ANY, set())
    for name, days in weekdays.items():
        try:
            OpeningCalendar(common | days)
        except NoOpenDay as error:
            raise AdminInvalid("weekdays", f"{name}: {error}") from error
    for weekday in before - closed:
        row = session.get(ClosedWeekday, (branch, weekday))
        if row is not None:
            session.delete(row)
    for weekday in closed - before:
        session.add(ClosedWeekday(branch=branch, weekday=weekday))
    changes = {"closed_weekdays": [sorted(before), sorted(closed)]}
    audit(session, actor, "calendar.weekdays_changed", "calendar", branch, changes, now=now)
    session.commit()


def add_closed_day(
    session: Session, branch: str, day: date, reason: str, *, actor: str, now: datetime
) -> None:
    try:
        branch = _code(branch)
    except ValueError as error:
        raise AdminInvalid("branch", str(error)) from error
    reason = " ".join(reason.split())
    if len(reason) > 120:
        raise AdminInvalid("reason", "say why in 120 characters or fewer")
    if session.get(ClosedDay, (branch, day)) is not None:
        raise AdminInvalid("day", f"{branch} is already closed on {day.isoformat()}")
    session.add(ClosedDay(branch=branch, day=day, reason=reason))
    changes = {"day": day.isoformat(), "reason": reason}
    audit(session, actor, "closed_day.added", "calendar", branch, changes, now=now)
    session.commit()


def remove_closed_day(
    session: Session, branch: str, day: date, *, actor: str, now: datetime
) -> None:
    row = session.get(ClosedDay, (branch, day))
    if row is None:
        raise AdminNotFound(f"{branch} is not closed on {day.isoformat()}")
    session.delete(row)
    changes = {"day": day.isoformat(), "reason": row.reason}
    audit(session, actor, "closed_day.removed", "calendar", branch, changes, now=now)
    session.commit()


def upcoming(session: Session, branch: str, start: date, days: int = 30) -> list[DayStatus]:
    """Whether `branch` opens on each of `days` days from `start`, and why not."""
    calendar = calendars(session, start).of(branch)
    reasons: dict[date, str] = {}
    for row in closed_days(session, start):
        if row.branch in (branch, ANY):
            reasons[row.day] = reasons.get(row.day) or row.reason
    found = []
    for offset in range(days):
        day = start + timedelta(days=offset)
        found.append(
            DayStatus(
                day,
                calendar.is_open(day),
                reasons.get(day, ""),
                day.weekday() in calendar.closed_weekdays,
            )
        )
    return found


def is_default(key: RuleKey) -> bool:
    return key == DEFAULT_KEY


def item_types(session: Session) -> list[str]:
    """The item types the catalogue uses and the matrix names."""
    found = set(session.exec(select(Item.item_type).distinct()).all())
    found.update(session.exec(select(LoanRuleRow.item_type).distinct()).all())
    found.discard(ANY)
    return sorted(found)
