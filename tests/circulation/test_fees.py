"""The fee ledger, claims returned and lost items, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from server.auth.models import AuditEntry
from server.circulation import claims, fees, service
from server.circulation.decisions import Reason
from server.circulation.models import Fee, Loan
from server.circulation.service import CirculationNotFound, CirculationRefused
from server.patrons.models import Patron
from tests.circulation.test_service import MONDAY, book, desk, patron, status

LATE = datetime(2026, 12, 31, 12, tzinfo=UTC)  # due Mon 21 Dec: 8 open days charged, 160 cents


def test_a_fine_is_paid_in_part_and_waived_for_the_rest(session) -> None:
    reader = patron(session, "P0001")
    book(session, "B1")
    service.checkout(session, "P0001", "B1", desk())
    service.checkin(session, "B1", desk(LATE))
    assert fees.balance(session, reader) == 160
    paid = fees.pay(session, reader, 100, actor="lin", now=LATE, note="cash")
    assert paid.balance_cents == 60
    assert paid.live == [
        {
            "type": "FeePaid",
            "fee_id": paid.line.id,
            "patron_id": reader,
            "kind": "payment",
            "amount_cents": -100,
            "balance_cents": 60,
        }
    ]
    with pytest.raises(CirculationRefused) as too_much:
        fees.pay(session, reader, 61, actor="lin", now=LATE)
    assert [r.code for r in too_much.value.reasons] == [Reason.OVERPAID]
    assert "0.61 is more than the 0.60 owed" in str(too_much.value)
    with pytest.raises(CirculationRefused) as nothing:
        fees.pay(session, reader, 0, actor="lin", now=LATE)
    assert [r.code for r in nothing.value.reasons] == [Reason.NOTHING_OWED]
    with pytest.raises(ValueError, match="needs a reason"):
        fees.waive(session, reader, 60, reason=" ", actor="lin", now=LATE)
    waived = fees.waive(session, reader, 60, reason="first time late", actor="ada", now=LATE)
    assert (waived.balance_cents, waived.live[0]["type"]) == (0, "FeeWaived")
    with pytest.raises(CirculationRefused) as settled:
        fees.pay(session, reader, 1, actor="lin", now=LATE)
    assert [r.code for r in settled.value.reasons] == [Reason.NOTHING_OWED]
    ledger = fees.ledger(session, reader)
    assert ledger.balance_cents == 0
    assert sorted((line.kind, line.amount_cents) for line in ledger.lines) == [
        ("overdue", 160),
        ("payment", -100),
        ("waiver", -60),
    ]
    audited = session.exec(
        select(AuditEntry.action, AuditEntry.actor).where(AuditEntry.entity == "fee")
    ).all()
    assert sorted(audited) == [("fee.payment", "lin"), ("fee.waiver", "ada")]


def test_a_manual_charge_counts_toward_the_fines_limit(session) -> None:
    reader = patron(session, "P0001")
    book(session, "B1")
    charged = fees.charge(session, reader, 1200, note="water damage", actor="lin", now=MONDAY)
    assert (charged.line.kind, charged.balance_cents) == ("manual", 1200)
    with pytest.raises(CirculationRefused) as refused:
        service.checkout(session, "P0001", "B1", desk())
    assert [r.code for r in refused.value.reasons] == [Reason.FINES_OVER_LIMIT]
    fees.pay(session, reader, 300, actor="lin", now=MONDAY)
    assert service.checkout(session, "P0001", "B1", desk()).loan.patron_id == reader
    with pytest.raises(CirculationNotFound):
        fees.balance(session, 999)


def test_claims_returned_stops_fines_and_overdue_counting(session) -> None:
    reader = patron(session, "P0001")
    book(session, "B1", "B2")
    service.checkout(session, "P0001", "B1", desk())
    claimed = claims.claim_returned(session, "B1", desk(LATE), note="says it was in the box")
    assert claimed.loan.state == "claims_returned"
    assert claimed.live[0]["type"] == "LoanClaimedReturned"
    assert status(session, "B1") == "missing"
    # long after the due date: not overdue, so not blocked, and nothing owed
    holder = session.get(Patron, reader)
    assert holder is not None
    standing = service.standing(session, holder, desk(LATE))
    assert standing.blocked_reasons == ()
    assert service.loans_of(session, reader, LATE)[0].overdue is False
    with pytest.raises(CirculationRefused) as twice:
        claims.claim_returned(session, "B1", desk(LATE))
    assert [r.code for r in twice.value.reasons] == [Reason.LOAN_NOT_OUT]
    found = service.checkin(session, "B1", desk(LATE + timedelta(days=20)))
    assert isinstance(found, service.Done)
    assert (found.fine_cents, found.loan.state) == (0, "returned")
    assert status(session, "B1") == "available"
    assert session.exec(select(Fee)).all() == []
    with pytest.raises(CirculationNotFound, match="not on loan"):
        claims.claim_returned(session, "B2", desk())


def test_lost_then_found(session) -> None:
    reader = patron(session, "P0001")
    book(session, "B1")
    service.checkout(session, "P0001", "B1", desk())
    lost = claims.mark_lost(session, "B1", desk(LATE), charge_cents=2500)
    assert (lost.loan.state, lost.live[0]["type"], lost.live[0]["charge_cents"]) == (
        "lost",
        "LoanLost",
        2500,
    )
    assert status(session, "B1") == "missing"
    line = session.exec(select(Fee)).one()
    assert (line.kind, line.amount_cents, line.loan_id) == ("lost", 2500, lost.loan.id)
    assert fees.balance(session, reader) == 2500
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "loan.lost")).one()
    assert entry.changes == {"item": "B1", "state": ["out", "lost"], "charge_cents": 2500}
    found = service.checkin(session, "B1", desk(LATE + timedelta(days=30)))
    assert isinstance(found, service.Done)
    assert found.fine_cents == 0
    assert status(session, "B1") == "available"
    assert fees.balance(session, reader) == 2500  # the charge stands until staff waive it
    loan = session.exec(select(Loan)).one()
    assert (loan.state, loan.returned_at) == ("returned", LATE + timedelta(days=30))
    with pytest.raises(CirculationNotFound):
        claims.mark_lost(session, "B1", desk())


def test_a_claimed_item_may_then_be_declared_lost(session) -> None:
    patron(session, "P0001")
    book(session, "B1")
    service.checkout(session, "P0001", "B1", desk())
    claims.claim_returned(session, "B1", desk(LATE))
    lost = claims.mark_lost(session, "B1", desk(LATE + timedelta(days=60)))
    assert lost.loan.state == "lost"
    assert session.exec(select(Fee)).all() == []  # no price given: nothing charged
