"""Holds: a patron waits for any copy of a record, or for one item; first placed, first served.

Placing and cancelling holds, a record's queue, and the job that lets ready holds lapse
once their pickup deadline has passed. A returned item is trapped for the first hold in
line at check-in (service.route); a trapped hold that is cancelled or lapses lets its item
go the same way, to the next hold in line or back to the shelf.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, tzinfo
from typing import Any

from sqlmodel import Session, col, select

from server.auth.service import audit
from server.catalog.models import Item, Record
from server.catalog.shapes import ItemStatus
from server.circulation import decisions
from server.circulation.models import Hold, Loan
from server.circulation.rules import DEFAULT_POLICY, Policy
from server.circulation.service import (
    CirculationNotFound,
    CirculationRefused,
    Desk,
    calendars,
    lock,
    route,
    rule_matrix,
    standing,
)
from server.patrons.models import Patron

ACTIVE = ("waiting", "in_transit", "ready")
TRAPPED = ("in_transit", "ready")
SYSTEM = "system"  # the actor of what the server does by itself
UNHOLDABLE = (ItemStatus.WITHDRAWN, ItemStatus.MISSING)


@dataclass(frozen=True)
class HoldDone:
    """What a hold use case did, and what to tell the live stream."""

    hold: Hold
    title: str
    live: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class QueuePlace:
    """A hold and its place in its record's queue (1: served next, or trapped already)."""

    position: int
    hold: Hold


def _refused(code: decisions.Reason, message: str) -> CirculationRefused:
    return CirculationRefused("hold", [decisions.Refusal(code, message)])


def _message(kind: str, hold: Hold, title: str, **more: Any) -> dict[str, Any]:
    return {
        "type": kind,
        "hold_id": hold.id,
        "patron_id": hold.patron_id,
        "record_id": hold.record_id,
        "item_id": hold.item_id,
        "title": title,
        "state": hold.state,
        "pickup_branch": hold.pickup_branch,
        **more,
    }


def _patron(session: Session, patron_id: int) -> Patron:
    patron = session.get(Patron, patron_id)
    if patron is None or patron.anonymised_at is not None:
        raise CirculationNotFound(f"no patron {patron_id} (unknown or retired)")
    return patron


def place_hold(
    session: Session,
    patron_id: int,
    record_id: int,
    desk: Desk,
    *,
    item_id: int | None = None,
    pickup_branch: str | None = None,
) -> HoldDone:
    """Put the patron in line for any copy of the record, or for one of its items.

    Refused, with every reason, for a patron who may not borrow (blocked, card expired,
    fines over the limit), who is already in line for it or has a copy on loan, and when no
    copy could ever be lent to them. The pickup branch is the desk's unless named.
    """
    pickup = pickup_branch or desk.branch
    patron = _patron(session, patron_id)
    record = session.get(Record, record_id)
    if record is None:
        raise CirculationNotFound(f"no record {record_id}")
    item = session.get(Item, item_id) if item_id is not None else None
    if item_id is not None and item is None:
        raise CirculationNotFound(f"no item {item_id}")
    lock(session, Patron, patron_id)  # one patron's holds are placed one at a time
    refusals = decisions.patron_refusals(
        standing(session, patron, desk), desk.now.astimezone(desk.tz).date(), desk.policy
    )
    held = session.exec(
        select(Hold.id).where(
            Hold.patron_id == patron_id,
            Hold.record_id == record_id,
            col(Hold.state).in_(ACTIVE),
        )
    ).first()
    if held is not None:
        refusals.append(
            decisions.Refusal(decisions.Reason.ALREADY_HELD, "already in line for this title")
        )
    borrowed = session.exec(
        select(Item.barcode)
        .join(Loan, col(Loan.item_id) == col(Item.id))
        .where(
            Item.record_id == record_id,
            Loan.patron_id == patron_id,
            col(Loan.returned_at).is_(None),
        )
    ).first()
    if borrowed is not None:
        refusals.append(
            decisions.Refusal(
                decisions.Reason.ALREADY_BORROWED, f"already has a copy on loan ({borrowed})"
            )
        )
    if item is not None and item.record_id != record_id:
        refusals.append(
            decisions.Refusal(
                decisions.Reason.NOT_OF_RECORD, f"item {item.barcode} is a copy of another title"
            )
        )
    elif not _may_be_lent(session, [item] if item else None, record_id, patron, pickup):
        refusals.append(
            decisions.Refusal(
                decisions.Reason.NO_LOANABLE_COPY, "no copy of this title could be lent to them"
            )
        )
    if refusals:
        session.rollback()
        raise CirculationRefused("hold", refusals)
    hold = Hold(
        patron_id=patron_id,
        record_id=record_id,
        item_id=item_id,
        pickup_branch=pickup,
        placed_at=desk.now,
    )
    session.add(hold)
    session.flush()
    position = next(p.position for p in queue(session, record_id) if p.hold.id == hold.id)
    changes = {"record_id": record_id, "item_id": item_id, "pickup_branch": pickup}
    audit(session, desk.actor, "hold.placed", "hold", hold.id, changes, now=desk.now)
    session.commit()
    live = [_message("HoldPlaced", hold, record.title, position=position)]
    return HoldDone(hold, record.title, live)


def _may_be_lent(
    session: Session, copies: list[Item] | None, record_id: int, patron: Patron, pickup: str
) -> bool:
    """Whether one of the copies (all of the record's when None) could ever be lent to them."""
    if copies is None:
        copies = list(session.exec(select(Item).where(Item.record_id == record_id)).all())
    matrix = rule_matrix(session)
    return any(
        c.status not in UNHOLDABLE
        and matrix.rule_for(pickup, patron.category, c.item_type).for_loan
        for c in copies
    )


def queue(session: Session, record_id: int) -> list[QueuePlace]:
    """The record's open holds in the order they are served: trapped ones, then the line."""
    holds = session.exec(
        select(Hold)
        .where(Hold.record_id == record_id, col(Hold.state).in_(ACTIVE))
        .order_by(col(Hold.placed_at), col(Hold.id))
    ).all()
    ordered = [h for h in holds if h.state in TRAPPED] + [
        h for h in holds if h.state not in TRAPPED
    ]
    return [QueuePlace(n, hold) for n, hold in enumerate(ordered, start=1)]


def titles(session: Session, record_ids: set[int]) -> dict[int, str]:
    if not record_ids:
        return {}
    rows = session.exec(select(Record.id, Record.title).where(col(Record.id).in_(record_ids)))
    return {record_id: title for record_id, title in rows if record_id is not None}


def holds_of(session: Session, patron_id: int) -> list[QueuePlace]:
    """The patron's open holds, each with its place in its record's queue, oldest first."""
    _patron(session, patron_id)
    mine = session.exec(
        select(Hold)
        .where(Hold.patron_id == patron_id, col(Hold.state).in_(ACTIVE))
        .order_by(col(Hold.placed_at), col(Hold.id))
    ).all()
    places = []
    for hold in mine:
        place = next(p for p in queue(session, hold.record_id) if p.hold.id == hold.id)
        places.append(place)
    return places


def cancel_hold(
    session: Session, hold_id: int, desk: Desk, *, patron_id: int | None = None, reason: str = ""
) -> HoldDone:
    """Take the hold out of line; an item waiting for it goes to the next hold or the shelf.

    `patron_id` (a patron cancelling on the portal or a kiosk) must be the holder's.
    """
    found = session.get(Hold, hold_id)
    if found is None or (patron_id is not None and found.patron_id != patron_id):
        raise CirculationNotFound(f"no hold {hold_id}" + (" of yours" if patron_id else ""))
    return _close(session, found, "cancelled", desk, note=reason)


def expire_holds(
    session: Session, now: datetime, tz: tzinfo, policy: Policy = DEFAULT_POLICY
) -> list[dict[str, Any]]:
    """Let ready holds lapse whose pickup deadline has passed; their items move on.

    Each hold lapses in its own transaction, so one that fails leaves the others done. Run
    by the server every minute; safe for several servers at once (the item's row is locked
    and the hold read again before it changes).
    """
    due = session.exec(
        select(Hold.id)
        .where(Hold.state == "ready", col(Hold.pickup_by) < now)
        .order_by(col(Hold.pickup_by), col(Hold.id))
    ).all()
    live: list[dict[str, Any]] = []
    for hold_id in due:
        hold = session.get(Hold, hold_id)
        if hold is None:
            continue
        desk = Desk(hold.pickup_branch, SYSTEM, now, tz, policy)
        try:
            live.extend(_close(session, hold, "expired", desk).live)
        except CirculationRefused:  # another server let it lapse a moment ago
            continue
    return live


def _close(session: Session, hold: Hold, state: str, desk: Desk, note: str = "") -> HoldDone:
    assert hold.id is not None
    if hold.trapped_item_id is not None:
        lock(session, Item, hold.trapped_item_id)  # as check-in does: the item first
    hold = lock(session, Hold, hold.id)
    if hold.state not in ACTIVE or (
        state == "expired" and (hold.state != "ready" or not _lapsed(hold, desk.now))
    ):
        session.rollback()
        raise _refused(decisions.Reason.HOLD_CLOSED, f"the hold is {hold.state}, not open")
    was = hold.state
    hold.state, hold.closed_at = state, desk.now
    session.add(hold)
    session.flush()
    record = session.get(Record, hold.record_id)
    title = record.title if record else ""
    live = [_message("HoldExpired" if state == "expired" else "HoldCancelled", hold, title)]
    changes: dict[str, Any] = {"state": [was, state]}
    if note.strip():
        changes["reason"] = note.strip()
    item = session.get(Item, hold.trapped_item_id) if hold.trapped_item_id else None
    if item is not None and was == "ready":
        # on this branch's hold shelf: route it from here as if it had just come back
        session.refresh(item)
        at_pickup = replace(desk, branch=hold.pickup_branch)
        today = desk.now.astimezone(desk.tz).date()
        routed, trapped = route(
            session, item, at_pickup, calendars(session, today).of(hold.pickup_branch)
        )
        changes |= {"item": item.barcode, "routed": routed.status.value}
        live.extend(trapped)
    # an item still in transit for the hold is routed again when it arrives (check-in)
    audit(session, desk.actor, f"hold.{state}", "hold", hold.id, changes, now=desk.now)
    session.commit()
    return HoldDone(hold, title, live)


def _lapsed(hold: Hold, now: datetime) -> bool:
    return hold.pickup_by is not None and hold.pickup_by < now
