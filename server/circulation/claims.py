"""Loans that end without the item: the patron says it came back, or it is lost.

Either way the loan stays open, in state "claims_returned" or "lost", and its item is
marked missing: it fines no more and no longer counts as overdue. When the item turns up
and is checked in (or lent again) that loan closes without a fine (service.checkin).
"""

from __future__ import annotations

from sqlmodel import Session

from server.auth.service import audit
from server.catalog.models import Item
from server.catalog.shapes import ItemStatus
from server.circulation import decisions
from server.circulation.fees import FeeKind
from server.circulation.models import Fee
from server.circulation.service import (
    CirculationNotFound,
    CirculationRefused,
    Desk,
    Done,
    item_by_barcode,
    loan_message,
    lock,
    open_loan_of,
    title_of,
)
from server.patrons.models import Patron

CLAIMS_RETURNED = "claims_returned"
LOST = "lost"


def claim_returned(session: Session, barcode: str, desk: Desk, *, note: str = "") -> Done:
    """The borrower says they brought the item back; the library cannot find it."""
    return _end(session, barcode, desk, CLAIMS_RETURNED, ("out",), note=note)


def mark_lost(
    session: Session, barcode: str, desk: Desk, *, charge_cents: int = 0, note: str = ""
) -> Done:
    """The item is lost on loan: charge its price (when given) to the borrower's ledger."""
    if charge_cents < 0:
        raise ValueError("a charge is 0 or more cents")
    return _end(session, barcode, desk, LOST, ("out", CLAIMS_RETURNED), charge_cents, note)


def _end(
    session: Session,
    barcode: str,
    desk: Desk,
    state: str,
    allowed_from: tuple[str, ...],
    charge_cents: int = 0,
    note: str = "",
) -> Done:
    item = item_by_barcode(session, barcode)
    assert item.id is not None
    loan = open_loan_of(session, item.id)
    if loan is None:
        raise CirculationNotFound(f"{barcode!r} is not on loan")
    lock(session, Patron, loan.patron_id)
    item = lock(session, Item, item.id)
    session.refresh(loan)
    if loan.returned_at is not None:
        session.rollback()
        raise CirculationNotFound(f"{barcode!r} was returned a moment ago")
    if loan.state not in allowed_from:
        session.rollback()
        raise CirculationRefused(
            state,
            [
                decisions.Refusal(
                    decisions.Reason.LOAN_NOT_OUT, f"the loan of {item.barcode} is {loan.state}"
                )
            ],
        )
    before = loan.state
    loan.state = state
    item.status, item.updated_at = ItemStatus.MISSING, desk.now
    session.add_all([loan, item])
    if charge_cents:
        session.add(
            Fee(
                patron_id=loan.patron_id,
                loan_id=loan.id,
                kind=FeeKind.LOST,
                amount_cents=charge_cents,
                at=desk.now,
                actor=desk.actor,
                note=f"{item.barcode} lost",
            )
        )
    changes = {"item": item.barcode, "state": [before, state], "charge_cents": charge_cents}
    if note.strip():
        changes["note"] = note.strip()
    audit(session, desk.actor, f"loan.{state}", "loan", loan.id, changes, now=desk.now)
    session.commit()
    title = title_of(session, item)
    kind = "LoanClaimedReturned" if state == CLAIMS_RETURNED else "LoanLost"
    message = loan_message(kind, loan, item, title, state=state, charge_cents=charge_cents)
    return Done(loan, item, title, live=[message])
