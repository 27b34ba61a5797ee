"""Use cases of the circulation context: check out, check in and renew, one transaction each.

Each use case locks what it decides about (the patron's and the item's rows) before it
reads them, so two desks, kiosks or servers acting at once are served one after the
other; the unique index over open loans is the last word. The rules themselves are pure
(rules.py, decisions.py, calendar.py, fines.py, returns.py); this module reads the facts
they need, applies what they decide, audits it, and returns the live messages to publish.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from server.auth.service import audit
from server.catalog.models import Item, Record
from server.catalog.shapes import ItemStatus
from server.circulation import decisions, returns
from server.circulation.calendar import (
    BranchCalendars,
    OpeningCalendar,
    due_date,
    renewal_due_date,
)
from server.circulation.fines import fine_for
from server.circulation.models import ClosedDay, ClosedWeekday, Fee, Hold, Loan, LoanRuleRow
from server.circulation.rules import ANY, DEFAULT_POLICY, LoanRule, Policy, RuleKey, RuleMatrix
from server.patrons import self_service
from server.patrons.models import Patron
from server.patrons.rules import BlockKind
from server.patrons.service import blocks_now

Row = TypeVar("Row")

RULE_FIELDS = (
    "for_loan",
    "loan_days",
    "renewals",
    "max_items",
    "fine_per_day_cents",
    "fine_cap_cents",
    "grace_days",
    "holds_block_renewal",
)
WAITING = ("waiting",)
TRAPPED = ("in_transit", "ready")


class CirculationNotFound(LookupError):
    """No such patron card, item barcode or loan; the message says which."""


class CirculationRefused(Exception):
    """The rules refuse: every reason, each with its code, so a desk can show and override."""

    def __init__(self, action: str, reasons: Sequence[decisions.Refusal]) -> None:
        self.action = action
        self.reasons = tuple(reasons)
        super().__init__(f"{action} refused: " + "; ".join(r.message for r in self.reasons))


@dataclass(frozen=True)
class Desk:
    """Where and by whom a transaction is made: a staff desk, a kiosk, a SIP2 terminal."""

    branch: str
    actor: str
    now: datetime
    tz: tzinfo
    policy: Policy = DEFAULT_POLICY


@dataclass(frozen=True)
class Done:
    """What a use case did: the loan it made or closed, and what to tell the live stream."""

    loan: Loan
    item: Item
    title: str
    overridden: tuple[decisions.Refusal, ...] = ()
    fine_cents: int = 0
    routed: returns.ReturnOutcome | None = None
    live: list[dict[str, Any]] = field(default_factory=list)


def rule_matrix(session: Session) -> RuleMatrix:
    rows = session.exec(select(LoanRuleRow)).all()
    return RuleMatrix(
        {
            RuleKey(row.branch, row.category, row.item_type): LoanRule(
                **{name: getattr(row, name) for name in RULE_FIELDS}
            )
            for row in rows
        }
    )


def calendars(session: Session, since: date) -> BranchCalendars:
    """Every branch's closed weekdays and its closed days from `since` on."""
    weekdays: dict[str, set[int]] = {}
    for row in session.exec(select(ClosedWeekday)):
        weekdays.setdefault(row.branch, set()).add(row.weekday)
    days: dict[str, set[date]] = {}
    for row in session.exec(select(ClosedDay).where(col(ClosedDay.day) >= since)):
        days.setdefault(row.branch, set()).add(row.day)
    common_weekdays, common_days = weekdays.get(ANY, set()), days.get(ANY, set())
    return BranchCalendars(
        OpeningCalendar(common_weekdays, common_days),
        {
            branch: OpeningCalendar(
                common_weekdays | weekdays.get(branch, set()), common_days | days.get(branch, set())
            )
            for branch in (weekdays.keys() | days.keys()) - {ANY}
        },
    )


def lock(session: Session, model: type[Row], row_id: int) -> Row:
    """Take the row's write lock (on SQLite: the database's) and read it fresh, at once."""
    key = model.id  # type: ignore[attr-defined]
    statement = (
        sa.update(model)
        .where(key == row_id)
        .values(id=key)
        .returning(model)
        .execution_options(populate_existing=True, synchronize_session=False)
    )
    return session.execute(statement).scalar_one()


def _patron_by_card(session: Session, card: str) -> Patron:
    patron = self_service.find_by_card(session, card)
    if patron is None or patron.anonymised_at is not None:
        raise CirculationNotFound(f"no patron holds card {card!r} (unknown or retired)")
    return patron


def item_by_barcode(session: Session, barcode: str) -> Item:
    item = session.exec(select(Item).where(Item.barcode == barcode.strip())).first()
    if item is None:
        raise CirculationNotFound(f"no item has barcode {barcode!r}")
    return item


def open_loan_of(session: Session, item_id: int) -> Loan | None:
    return session.exec(
        select(Loan).where(Loan.item_id == item_id, col(Loan.returned_at).is_(None))
    ).first()


def balance_cents(session: Session, patron_id: int) -> int:
    total = session.exec(select(func.sum(Fee.amount_cents)).where(Fee.patron_id == patron_id))
    return int(total.one() or 0)


def standing(session: Session, patron: Patron, desk: Desk) -> decisions.PatronStanding:
    assert patron.id is not None
    overdue = session.exec(
        select(func.count())
        .select_from(Loan)
        .where(
            Loan.patron_id == patron.id,
            col(Loan.returned_at).is_(None),
            Loan.state == "out",
            col(Loan.due_at) < desk.now,
        )
    ).one()
    today = desk.now.astimezone(desk.tz).date()
    blocks = blocks_now(session, patron, today, overdue_count=overdue)
    return decisions.PatronStanding(
        patron.id,
        patron.category,
        patron.home_branch,
        patron.expires_on,
        tuple(b.reason for b in blocks if b.kind in (BlockKind.MANUAL, BlockKind.OVERDUES)),
        balance_cents(session, patron.id),
    )


def _queue(session: Session, item: Item) -> list[Hold]:
    """The holds this copy may fill, first in line first; one it is trapped for comes first."""
    trapped = session.exec(
        select(Hold).where(Hold.trapped_item_id == item.id, col(Hold.state).in_(TRAPPED))
    ).all()
    waiting = session.exec(
        select(Hold)
        .where(
            Hold.record_id == item.record_id,
            col(Hold.state).in_(WAITING),
            (col(Hold.item_id).is_(None)) | (Hold.item_id == item.id),
        )
        .order_by(col(Hold.placed_at), col(Hold.id))
    ).all()
    return [*trapped, *waiting]


def _item_state(item: Item, queue: Sequence[Hold], borrower: int | None) -> decisions.ItemState:
    return decisions.ItemState(
        item.status,
        item.item_type,
        item.home_branch,
        tuple(decisions.Hold(h.patron_id, h.pickup_branch, h.id) for h in queue),
        borrower,
    )


def title_of(session: Session, item: Item) -> str:
    record = session.get(Record, item.record_id)
    return record.title if record else ""


def loan_message(kind: str, loan: Loan, item: Item, title: str, **more: Any) -> dict[str, Any]:
    return {
        "type": kind,
        "loan_id": loan.id,
        "item_id": item.id,
        "barcode": item.barcode,
        "title": title,
        "patron_id": loan.patron_id,
        "branch": loan.branch,
        "due_at": loan.due_at.isoformat(),
        **more,
    }


def _override_note(overridden: Sequence[decisions.Refusal], reason: str) -> dict[str, Any]:
    if not overridden:
        return {}
    return {"overridden": [r.code.value for r in overridden], "override_reason": reason}


def _check_override(overrides: Collection[str], reason: str) -> None:
    if overrides and not reason.strip():
        raise CirculationRefused(
            "override",
            [
                decisions.Refusal(
                    decisions.Reason(next(iter(overrides))), "an override needs a reason"
                )
            ],
        )


def checkout(
    session: Session,
    card: str,
    barcode: str,
    desk: Desk,
    *,
    overrides: Collection[str] = (),
    override_reason: str = "",
) -> Done:
    """Lend the item to the card's holder, or refuse with every reason."""
    _check_override(overrides, override_reason)
    patron = _patron_by_card(session, card)
    item = item_by_barcode(session, barcode)
    assert patron.id is not None
    assert item.id is not None
    patron = lock(session, Patron, patron.id)
    item = lock(session, Item, item.id)
    open_loan = open_loan_of(session, item.id)
    queue = _queue(session, item)
    matrix = rule_matrix(session)
    matched = matrix.match(desk.branch, patron.category, item.item_type)
    held = session.exec(
        select(Loan.branch, Item.item_type)
        .join(Item, col(Item.id) == col(Loan.item_id))
        .where(Loan.patron_id == patron.id, col(Loan.returned_at).is_(None))
    ).all()
    decision = decisions.may_checkout(
        standing(session, patron, desk),
        _item_state(item, queue, open_loan.patron_id if open_loan else None),
        matched.rule,
        matrix.loans_under(matched.key, patron.category, held),
        today=desk.now.astimezone(desk.tz).date(),
        policy=desk.policy,
        overrides=overrides,
    )
    if isinstance(decision, decisions.Refused):
        session.rollback()
        raise CirculationRefused("checkout", decision.reasons)
    calendar = calendars(session, desk.now.astimezone(desk.tz).date()).of(desk.branch)
    # an item not for loan lent by override goes for the patron's usual period
    rule = (
        matched.rule
        if matched.rule.for_loan
        else matrix.rule_for(desk.branch, patron.category, ANY)
    )
    loan = Loan(
        item_id=item.id,
        patron_id=patron.id,
        branch=desk.branch,
        checked_out_at=desk.now,
        due_at=due_date(desk.now, rule, calendar, desk.tz),
    )
    if open_loan is not None:  # staff overrode "already on loan": the old loan ends here
        open_loan.returned_at, open_loan.state = desk.now, "returned"
        session.add(open_loan)
        session.flush()
    item.status, item.updated_at = ItemStatus.ON_LOAN, desk.now
    for hold in queue:
        if hold.patron_id == patron.id:
            hold.state, hold.closed_at = "fulfilled", desk.now
            session.add(hold)
    session.add_all([loan, item])
    session.flush()
    title = title_of(session, item)
    changes = {
        "item": item.barcode,
        "patron_id": patron.id,
        "due_at": loan.due_at.isoformat(),
        **_override_note(decision.overridden, override_reason),
    }
    audit(session, desk.actor, "loan.created", "loan", loan.id, changes, now=desk.now)
    try:
        session.commit()
    except IntegrityError as error:  # another server lent it a moment ago
        session.rollback()
        raise CirculationRefused(
            "checkout",
            [decisions.Refusal(decisions.Reason.ALREADY_ON_LOAN, "on loan to another patron")],
        ) from error
    return Done(
        loan,
        item,
        title,
        overridden=decision.overridden,
        live=[loan_message("LoanMade", loan, item, title)],
    )


def checkin(session: Session, barcode: str, desk: Desk) -> Done | returns.ReturnOutcome:
    """Take the item back at the desk's branch: close its loan, charge lateness, route it."""
    item = item_by_barcode(session, barcode)
    assert item.id is not None
    item = lock(session, Item, item.id)
    loan = open_loan_of(session, item.id)
    local_today = desk.now.astimezone(desk.tz).date()
    cals = calendars(session, min(local_today, _day(loan, desk)))
    routed, live = route(session, item, desk, cals.of(desk.branch))
    title = title_of(session, item)
    fine = 0
    if loan is not None:
        patron = session.get(Patron, loan.patron_id)
        assert patron is not None
        assert loan.id is not None
        rule = rule_matrix(session).rule_for(loan.branch, patron.category, item.item_type)
        if loan.state == "out":
            fine = fine_for(loan.due_at, desk.now, rule, cals.of(loan.branch), desk.tz)
        loan.returned_at, loan.state = desk.now, "returned"
        session.add(loan)
        if fine:
            session.add(
                Fee(
                    patron_id=loan.patron_id,
                    loan_id=loan.id,
                    kind="overdue",
                    amount_cents=fine,
                    at=desk.now,
                    actor=desk.actor,
                    note=f"{item.barcode} returned late",
                )
            )
        changes = {"item": item.barcode, "fine_cents": fine, "routed": routed.status.value}
        audit(session, desk.actor, "loan.returned", "loan", loan.id, changes, now=desk.now)
        live.insert(0, loan_message("LoanReturned", loan, item, title, fine_cents=fine))
    else:
        changes = {"routed": routed.status.value, "branch": desk.branch}
        audit(session, desk.actor, "item.checked_in", "item", item.id, changes, now=desk.now)
    session.commit()
    if loan is None:
        return routed
    return Done(loan, item, title, fine_cents=fine, routed=routed, live=live)


def _day(loan: Loan | None, desk: Desk) -> date:
    return loan.due_at.astimezone(desk.tz).date() if loan else desk.now.astimezone(desk.tz).date()


def route(
    session: Session, item: Item, desk: Desk, calendar: OpeningCalendar
) -> tuple[returns.ReturnOutcome, list[dict[str, Any]]]:
    """Send `item`, now at the desk's branch, where it goes next, and say whom it is trapped for.

    The first hold in line traps it (on this branch's hold shelf, `calendar` setting the
    pickup deadline, or in transit to the hold's pickup branch); with no hold it goes home.
    A check-in routes the returned item this way, and so does a hold that lets its item go.
    """
    queue = _queue(session, item)
    routed = returns.after_return(
        _item_state(item, queue, None),
        branch=desk.branch,
        at=desk.now,
        calendar=calendar,
        tz=desk.tz,
        policy=desk.policy,
    )
    item.status, item.updated_at = routed.status, desk.now
    session.add(item)
    hold = _apply_route(session, routed, queue, item, desk)
    if hold is None:
        return routed, []
    trapped = {
        "type": "HoldTrapped",
        "hold_id": hold.id,
        "patron_id": hold.patron_id,
        "item_id": item.id,
        "barcode": item.barcode,
        "title": title_of(session, item),
        "state": hold.state,
        "pickup_branch": hold.pickup_branch,
    }
    if hold.pickup_by is not None:
        trapped["pickup_by"] = hold.pickup_by.isoformat()
    return routed, [trapped]


def _apply_route(
    session: Session, routed: returns.ReturnOutcome, queue: Sequence[Hold], item: Item, desk: Desk
) -> Hold | None:
    """Trap the item for the hold the routing chose; a hold no longer chosen is untrapped."""
    chosen = getattr(routed, "hold", None)
    for hold in queue:
        if hold.trapped_item_id == item.id and (chosen is None or hold.id != chosen.hold_id):
            hold.state, hold.trapped_item_id, hold.ready_at, hold.pickup_by = (
                "waiting",
                None,
                None,
                None,
            )
            session.add(hold)
    if chosen is None:
        return None
    hold = next(h for h in queue if h.id == chosen.hold_id)
    hold.trapped_item_id = item.id
    if isinstance(routed, returns.OnHoldShelf):
        hold.state, hold.ready_at, hold.pickup_by = "ready", desk.now, routed.pickup_by
    else:
        hold.state = "in_transit"
    session.add(hold)
    return hold


def renew(
    session: Session,
    barcode: str,
    desk: Desk,
    *,
    patron_id: int | None = None,
    overrides: Collection[str] = (),
    override_reason: str = "",
) -> Done:
    """Extend the item's loan a full period from today or its due date, whichever is later.

    `patron_id` (a patron renewing their own loan on the portal or a kiosk) must be the
    borrower's.
    """
    _check_override(overrides, override_reason)
    item = item_by_barcode(session, barcode)
    assert item.id is not None
    loan = open_loan_of(session, item.id)
    if loan is None or (patron_id is not None and loan.patron_id != patron_id):
        raise CirculationNotFound(f"{barcode!r} is not on loan" + (" to you" if patron_id else ""))
    lock(session, Patron, loan.patron_id)
    item = lock(session, Item, item.id)
    session.refresh(loan)
    if loan.returned_at is not None:
        session.rollback()
        raise CirculationNotFound(f"{barcode!r} was returned a moment ago")
    patron = session.get(Patron, loan.patron_id)
    assert patron is not None
    rule = rule_matrix(session).rule_for(loan.branch, patron.category, item.item_type)
    queue = [h for h in _queue(session, item) if h.patron_id != patron.id]
    decision = decisions.may_renew(
        standing(session, patron, desk),
        _item_state(item, queue, patron.id),
        decisions.LoanState(loan.due_at, loan.renewals),
        rule,
        now=desk.now,
        tz=desk.tz,
        policy=desk.policy,
        overrides=overrides,
    )
    if isinstance(decision, decisions.Refused):
        session.rollback()
        raise CirculationRefused("renewal", decision.reasons)
    calendar = calendars(session, desk.now.astimezone(desk.tz).date()).of(loan.branch)
    before = loan.due_at
    loan.due_at = renewal_due_date(loan.due_at, desk.now, rule, calendar, desk.tz)
    loan.renewals += 1
    session.add(loan)
    title = title_of(session, item)
    changes = {
        "item": item.barcode,
        "due_at": [before.isoformat(), loan.due_at.isoformat()],
        "renewals": loan.renewals,
        **_override_note(decision.overridden, override_reason),
    }
    audit(session, desk.actor, "loan.renewed", "loan", loan.id, changes, now=desk.now)
    session.commit()
    return Done(
        loan,
        item,
        title,
        overridden=decision.overridden,
        live=[loan_message("LoanRenewed", loan, item, title, renewals=loan.renewals)],
    )


@dataclass(frozen=True)
class LoanView:
    """An open loan as a patron or a desk sees it."""

    loan_id: int
    barcode: str
    title: str
    checked_out_at: datetime
    due_at: datetime
    renewals: int
    renewals_left: int
    state: str
    overdue: bool


def loans_of(session: Session, patron_id: int, now: datetime) -> list[LoanView]:
    """The patron's open loans, soonest due first."""
    patron = session.get(Patron, patron_id)
    if patron is None:
        raise CirculationNotFound(f"no patron {patron_id}")
    rows = session.exec(
        select(Loan, Item, Record.title)
        .join(Item, col(Item.id) == col(Loan.item_id))
        .join(Record, col(Record.id) == col(Item.record_id))
        .where(Loan.patron_id == patron_id, col(Loan.returned_at).is_(None))
        .order_by(col(Loan.due_at), col(Loan.id))
    ).all()
    matrix = rule_matrix(session) if rows else None
    views = []
    for loan, item, title in rows:
        assert loan.id is not None
        assert matrix is not None
        rule = matrix.rule_for(loan.branch, patron.category, item.item_type)
        views.append(
            LoanView(
                loan.id,
                item.barcode,
                title,
                loan.checked_out_at,
                loan.due_at,
                loan.renewals,
                decisions.renewals_left(rule, decisions.LoanState(loan.due_at, loan.renewals)),
                loan.state,
                loan.state == "out" and loan.due_at < now,
            )
        )
    return views
