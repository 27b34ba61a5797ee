"""Holds on both databases: refusals, queue order, trapping for the right patron, lapsing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from server.auth.models import AuditEntry
from server.catalog.models import Item
from server.circulation import holds, service
from server.circulation.decisions import Reason
from server.circulation.models import Fee, Hold
from server.circulation.service import CirculationNotFound, CirculationRefused
from server.patrons import service as patrons
from tests.circulation.test_service import MONDAY, OSLO, book, desk, patron, status

DAY = timedelta(days=1)


def codes(refused: pytest.ExceptionInfo[CirculationRefused]) -> list[Reason]:
    return [r.code for r in refused.value.reasons]


def item_id(session: Session, barcode: str) -> int:
    found = session.exec(select(Item.id).where(Item.barcode == barcode)).one()
    assert found is not None
    return found


def state(session: Session, hold: Hold) -> str:
    session.refresh(hold)
    return hold.state


def test_holds_queue_first_placed_first_served_and_the_return_traps_for_the_first(
    session,
) -> None:
    borrower, first, second = (patron(session, f"P000{n}") for n in (1, 2, 3))
    record = book(session, "B1")
    service.checkout(session, "P0001", "B1", desk())
    placed = holds.place_hold(session, first, record, desk(MONDAY + DAY))
    later = holds.place_hold(session, second, record, desk(MONDAY + 2 * DAY), pickup_branch="east")
    assert placed.live[0]["type"] == "HoldPlaced"
    assert (placed.live[0]["position"], later.live[0]["position"]) == (1, 2)
    line = holds.queue(session, record)
    assert [(p.position, p.hold.patron_id) for p in line] == [(1, first), (2, second)]
    back = service.checkin(session, "B1", desk(MONDAY + 3 * DAY))
    assert isinstance(back, service.Done)
    assert back.loan.patron_id == borrower
    assert status(session, "B1") == "on_hold_shelf"  # the first hold picks up here, at main
    trapped = back.live[1]
    assert (trapped["type"], trapped["hold_id"], trapped["patron_id"]) == (
        "HoldTrapped",
        placed.hold.id,
        first,
    )
    assert state(session, placed.hold) == "ready"
    assert placed.hold.pickup_by is not None
    assert placed.hold.pickup_by.astimezone(OSLO).date() == (MONDAY + 10 * DAY).date()
    assert state(session, later.hold) == "waiting"
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "hold.placed")).first()
    assert entry is not None
    assert entry.changes["record_id"] == record


def test_an_item_hold_waits_for_that_copy_only(session) -> None:
    patron(session, "P0001")
    waiting = patron(session, "P0002")
    record = book(session, "B1", "B2")
    service.checkout(session, "P0001", "B1", desk())
    service.checkout(session, "P0001", "B2", desk())
    hold = holds.place_hold(session, waiting, record, desk(), item_id=item_id(session, "B2"))
    service.checkin(session, "B1", desk(MONDAY + DAY))
    assert status(session, "B1") == "available"
    assert state(session, hold.hold) == "waiting"
    service.checkin(session, "B2", desk(MONDAY + DAY))
    assert status(session, "B2") == "on_hold_shelf"
    assert state(session, hold.hold) == "ready"


def test_holds_are_refused_with_every_reason(session) -> None:
    reader = patron(session, "P0001")
    record = book(session, "B1")
    other = book(session, "X1")
    reference = book(session, "R1", item_type="reference")
    service.checkout(session, "P0001", "B1", desk())
    with pytest.raises(CirculationRefused) as borrowed:
        holds.place_hold(session, reader, record, desk())
    assert codes(borrowed) == [Reason.ALREADY_BORROWED]
    with pytest.raises(CirculationRefused) as not_lent:
        holds.place_hold(session, reader, reference, desk())
    assert codes(not_lent) == [Reason.NO_LOANABLE_COPY]
    with pytest.raises(CirculationRefused) as wrong_copy:
        holds.place_hold(session, reader, record, desk(), item_id=item_id(session, "X1"))
    assert codes(wrong_copy) == [Reason.ALREADY_BORROWED, Reason.NOT_OF_RECORD]
    holds.place_hold(session, reader, other, desk())
    with pytest.raises(CirculationRefused) as twice:
        holds.place_hold(session, reader, other, desk())
    assert codes(twice) == [Reason.ALREADY_HELD]
    blocked = patron(session, "P0002")
    patrons.add_block(session, blocked, reason="lost a book", actor="lin", now=MONDAY)
    session.add(Fee(patron_id=blocked, kind="manual", amount_cents=1500, at=MONDAY, actor="lin"))
    session.commit()
    with pytest.raises(CirculationRefused) as standing:
        holds.place_hold(session, blocked, other, desk(MONDAY.replace(year=2028)))
    assert codes(standing) == [
        Reason.PATRON_BLOCKED,
        Reason.CARD_EXPIRED,
        Reason.FINES_OVER_LIMIT,
    ]
    with pytest.raises(CirculationNotFound, match="no record 999"):
        holds.place_hold(session, reader, 999, desk())
    with pytest.raises(CirculationNotFound, match="no patron 999"):
        holds.place_hold(session, 999, other, desk())
    assert len(session.exec(select(Hold)).all()) == 1


def test_a_lapsed_hold_expires_and_its_item_goes_to_the_next_in_line(session) -> None:
    patron(session, "P0001")
    first, second, third = (patron(session, f"P000{n}") for n in (2, 3, 4))
    record = book(session, "B1")
    service.checkout(session, "P0001", "B1", desk())
    one = holds.place_hold(session, first, record, desk()).hold
    two = holds.place_hold(session, second, record, desk(MONDAY + DAY)).hold
    east = desk(MONDAY + 2 * DAY)
    three = holds.place_hold(session, third, record, east, pickup_branch="east").hold
    service.checkin(session, "B1", desk(MONDAY + 3 * DAY))
    session.refresh(one)
    assert one.pickup_by is not None
    assert holds.expire_holds(session, one.pickup_by - timedelta(minutes=1), OSLO) == []
    assert state(session, one) == "ready"
    live = holds.expire_holds(session, one.pickup_by + timedelta(minutes=1), OSLO)
    assert [(m["type"], m["hold_id"]) for m in live] == [
        ("HoldExpired", one.id),
        ("HoldTrapped", two.id),
    ]
    assert (state(session, one), state(session, two), state(session, three)) == (
        "expired",
        "ready",
        "waiting",
    )
    assert status(session, "B1") == "on_hold_shelf"
    assert two.trapped_item_id == item_id(session, "B1")
    assert two.pickup_by is not None
    assert two.pickup_by > one.pickup_by
    # the second lapses too: the third picks up at east, so the item travels there
    live = holds.expire_holds(session, two.pickup_by + timedelta(minutes=1), OSLO)
    assert [(m["type"], m["hold_id"], m["state"]) for m in live] == [
        ("HoldExpired", two.id, "expired"),
        ("HoldTrapped", three.id, "in_transit"),
    ]
    assert status(session, "B1") == "in_transit"
    actions = session.exec(
        select(AuditEntry.action).where(AuditEntry.action == "hold.expired")
    ).all()
    assert actions == ["hold.expired", "hold.expired"]
    arrived = service.checkin(session, "B1", desk(two.pickup_by + 2 * DAY, branch="east"))
    assert arrived.status == "on_hold_shelf"
    assert state(session, three) == "ready"


def test_cancelling_a_ready_hold_sends_its_item_on_and_only_the_holder_may(session) -> None:
    patron(session, "P0001")
    first, second = patron(session, "P0002"), patron(session, "P0003")
    record = book(session, "B1")
    service.checkout(session, "P0001", "B1", desk())
    one = holds.place_hold(session, first, record, desk()).hold
    assert one.id is not None
    service.checkin(session, "B1", desk(MONDAY + DAY))
    assert status(session, "B1") == "on_hold_shelf"
    with pytest.raises(CirculationNotFound):
        holds.cancel_hold(session, one.id, desk(), patron_id=second)
    done = holds.cancel_hold(session, one.id, desk(MONDAY + 2 * DAY), reason="moved away")
    assert [m["type"] for m in done.live] == ["HoldCancelled"]
    assert status(session, "B1") == "available"  # nobody else waits: back on the shelf
    assert state(session, one) == "cancelled"
    with pytest.raises(CirculationRefused) as again:
        holds.cancel_hold(session, one.id, desk(MONDAY + 2 * DAY))
    assert codes(again) == [Reason.HOLD_CLOSED]
    two = holds.place_hold(session, second, record, desk(MONDAY + 3 * DAY)).hold
    assert two.id is not None
    assert holds.cancel_hold(session, two.id, desk(), patron_id=second).hold.state == "cancelled"
    assert holds.queue(session, record) == []
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "hold.cancelled")).first()
    assert entry is not None
    assert entry.changes == {
        "state": ["ready", "cancelled"],
        "reason": "moved away",
        "item": "B1",
        "routed": "available",
    }


def test_a_patrons_holds_show_their_place_in_line(session) -> None:
    first, second = patron(session, "P0001"), patron(session, "P0002")
    one, two = book(session, "B1"), book(session, "B2")
    holds.place_hold(session, first, one, desk())
    holds.place_hold(session, second, one, desk(MONDAY + DAY))
    holds.place_hold(session, second, two, desk(MONDAY + DAY))
    places = holds.holds_of(session, second)
    assert [(p.hold.record_id, p.position) for p in places] == [(one, 2), (two, 1)]
