"""Check out, check in and renew on both databases, with every refusal and its override."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, col, select

from server.auth.models import AuditEntry
from server.catalog import service as catalog
from server.catalog.models import Item
from server.catalog.shapes import ItemIn, RecordIn
from server.circulation import service
from server.circulation.decisions import Reason
from server.circulation.models import ClosedDay, Fee, Hold, Loan
from server.circulation.service import CirculationNotFound, CirculationRefused, Desk
from server.patrons import service as patrons

OSLO = ZoneInfo("Europe/Oslo")
MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def desk(now: datetime = MONDAY, branch: str = "main") -> Desk:
    return Desk(branch, "lin", now, OSLO)


def patron(session: Session, card: str, category: str = "adult") -> int:
    made = patrons.create_patron(
        session,
        name=f"Reader {card}",
        category=category,
        home_branch="main",
        actor="lin",
        now=MONDAY,
        cards=[card],
        registered_on=date(2026, 1, 1),
        expires_on=date(2027, 12, 31),
    )
    assert made.id is not None
    return made.id


def book(session: Session, *barcodes: str, item_type: str = "book", home: str = "main") -> int:
    made = catalog.create_record(
        session,
        RecordIn(title=f"Book {barcodes[0]}"),
        [ItemIn(barcode=b, item_type=item_type, home_branch=home) for b in barcodes],
        actor="lin",
        now=MONDAY,
    )
    assert made.record.id is not None
    return made.record.id


def status(session: Session, barcode: str) -> str:
    session.expire_all()
    return session.exec(select(Item.status).where(Item.barcode == barcode)).one()


def codes(refused: pytest.ExceptionInfo[CirculationRefused]) -> list[Reason]:
    return [r.code for r in refused.value.reasons]


def test_checkout_and_return_on_time(session) -> None:
    patron(session, "P0001")
    book(session, "B1")
    done = service.checkout(session, "P0001", "B1", desk())
    assert done.loan.due_at == datetime(2026, 12, 21, 23, 59, 59, tzinfo=OSLO)  # 28 days
    assert status(session, "B1") == "on_loan"
    assert done.live[0]["type"] == "LoanMade"
    back = service.checkin(session, "B1", desk(MONDAY + timedelta(days=3)))
    assert isinstance(back, service.Done)
    assert back.fine_cents == 0
    assert back.loan.returned_at is not None
    assert status(session, "B1") == "available"
    actions = session.exec(select(AuditEntry.action).where(AuditEntry.entity == "loan")).all()
    assert actions == ["loan.created", "loan.returned"]


def test_a_due_date_skips_closed_days(session) -> None:
    patron(session, "P0001")
    book(session, "B1")
    session.add(ClosedDay(branch="*", day=date(2026, 12, 21), reason="staff day"))
    session.add(ClosedDay(branch="main", day=date(2026, 12, 22)))
    session.commit()
    done = service.checkout(session, "P0001", "B1", desk())
    assert done.loan.due_at.astimezone(OSLO).date() == date(2026, 12, 23)


def test_one_item_is_never_lent_twice(session) -> None:
    patron(session, "P0001")
    patron(session, "P0002")
    book(session, "B1")
    service.checkout(session, "P0001", "B1", desk())
    with pytest.raises(CirculationRefused) as refused:
        service.checkout(session, "P0002", "B1", desk())
    assert codes(refused) == [Reason.ALREADY_ON_LOAN]
    with pytest.raises(CirculationRefused) as again:
        service.checkout(session, "P0001", "B1", desk())
    assert "renew it instead" in again.value.reasons[0].message


def test_late_returns_are_fined_per_the_rules(session) -> None:
    patron(session, "P0001")
    book(session, "B1")
    service.checkout(session, "P0001", "B1", desk())
    # due Mon 21 Dec; back Thu 31 Dec: 10 days late, 2 grace days, 20 cents a day
    back = service.checkin(session, "B1", desk(datetime(2026, 12, 31, 12, tzinfo=UTC)))
    assert isinstance(back, service.Done)
    assert back.fine_cents == 8 * 20
    fee = session.exec(select(Fee)).one()
    assert (fee.kind, fee.amount_cents, fee.loan_id) == ("overdue", 160, back.loan.id)


def test_every_patron_refusal_is_given_and_staff_may_override_with_a_reason(session) -> None:
    reader = patron(session, "P0001")
    book(session, "B1", "B2")
    patrons.add_block(session, reader, reason="lost a book", actor="lin", now=MONDAY)
    session.add(Fee(patron_id=reader, kind="manual", amount_cents=1500, at=MONDAY, actor="lin"))
    session.commit()
    late = desk(datetime(2028, 1, 2, 12, tzinfo=UTC))
    with pytest.raises(CirculationRefused) as refused:
        service.checkout(session, "P0001", "B1", late)
    assert codes(refused) == [Reason.PATRON_BLOCKED, Reason.CARD_EXPIRED, Reason.FINES_OVER_LIMIT]
    with pytest.raises(CirculationRefused, match="needs a reason"):
        service.checkout(session, "P0001", "B1", late, overrides=["patron_blocked"])
    overridden = service.checkout(
        session,
        "P0001",
        "B1",
        late,
        overrides=["patron_blocked", "card_expired", "fines_over_limit"],
        override_reason="renewing the card at the desk now",
    )
    assert [r.code for r in overridden.overridden] == codes(refused)
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "loan.created")).one()
    assert entry.changes["override_reason"] == "renewing the card at the desk now"


def test_reference_items_are_not_lent_and_limits_hold(session) -> None:
    patron(session, "C0001", category="child")
    book(session, "R1", item_type="reference")
    with pytest.raises(CirculationRefused) as refused:
        service.checkout(session, "C0001", "R1", desk())
    assert codes(refused) == [Reason.NOT_FOR_LOAN]
    book(session, *[f"D{n}" for n in range(4)], item_type="dvd")
    for n in range(3):  # a child may have 3 DVDs
        service.checkout(session, "C0001", f"D{n}", desk())
    with pytest.raises(CirculationRefused) as limit:
        service.checkout(session, "C0001", "D3", desk())
    assert codes(limit) == [Reason.LIMIT_REACHED]


def test_renewals_run_from_the_due_date_until_none_are_left(session) -> None:
    patron(session, "P0001")
    book(session, "B1", item_type="dvd")  # 7 days, 1 renewal
    due = service.checkout(session, "P0001", "B1", desk()).loan.due_at
    renewed = service.renew(session, "B1", desk(MONDAY + timedelta(days=2)))
    assert renewed.loan.due_at == due + timedelta(days=7)
    assert renewed.loan.renewals == 1
    with pytest.raises(CirculationRefused) as refused:
        service.renew(session, "B1", desk(MONDAY + timedelta(days=3)))
    assert codes(refused) == [Reason.NO_RENEWALS_LEFT]
    with pytest.raises(CirculationNotFound):
        service.renew(session, "B1", desk(), patron_id=999)


def test_returns_trap_items_for_holds_and_the_holder_collects(session) -> None:
    reader, waiting, other = (
        patron(session, "P0001"),
        patron(session, "P0002"),
        patron(session, "P0003"),
    )
    record = book(session, "B1")
    service.checkout(session, "P0001", "B1", desk())
    hold = Hold(patron_id=waiting, record_id=record, pickup_branch="east", placed_at=MONDAY)
    session.add(hold)
    session.commit()
    with pytest.raises(CirculationRefused) as refused:
        service.renew(session, "B1", desk(MONDAY + timedelta(days=1)))
    assert codes(refused) == [Reason.ON_HOLD_FOR_OTHER]
    back = service.checkin(session, "B1", desk(MONDAY + timedelta(days=2)))
    assert isinstance(back, service.Done)
    assert back.loan.patron_id == reader
    assert status(session, "B1") == "in_transit"  # to the pickup branch
    assert [m["type"] for m in back.live] == ["LoanReturned", "HoldTrapped"]
    arrived = service.checkin(session, "B1", desk(MONDAY + timedelta(days=3), branch="east"))
    assert arrived.status == "on_hold_shelf"
    session.refresh(hold)
    assert hold.state == "ready"
    assert hold.pickup_by is not None
    with pytest.raises(CirculationRefused) as not_yours:
        service.checkout(session, "P0003", "B1", desk(MONDAY + timedelta(days=4), branch="east"))
    assert codes(not_yours) == [Reason.ON_HOLD_FOR_OTHER]
    service.checkout(session, "P0002", "B1", desk(MONDAY + timedelta(days=4), branch="east"))
    session.refresh(hold)
    assert hold.state == "fulfilled"
    assert other  # P3 never got it
    open_loans = session.exec(select(Loan).where(col(Loan.returned_at).is_(None))).all()
    assert [loan.patron_id for loan in open_loans] == [waiting]


def test_unknown_cards_and_barcodes_are_said_plainly(session) -> None:
    patron(session, "P0001")
    with pytest.raises(CirculationNotFound, match="no patron holds card 'NOPE0'"):
        service.checkout(session, "NOPE0", "B1", desk())
    with pytest.raises(CirculationNotFound, match="no item has barcode 'B404'"):
        service.checkout(session, "P0001", "B404", desk())
