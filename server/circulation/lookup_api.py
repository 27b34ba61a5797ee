"""A desk's look-up of the patron behind a scanned card: who, blocked or not, owing, holding.

Read only; the desk shows it before lending so staff see trouble before the first item.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from sqlmodel import Session, col, select

from server.auth.deps import requires
from server.auth.models import Account
from server.auth.permissions import Permission
from server.catalog.models import Item, Record
from server.circulation.models import Loan
from server.circulation.service import CirculationNotFound, balance_cents
from server.deps import SessionDep, SettingsDep
from server.patrons import self_service
from server.patrons.models import PatronCategory
from server.patrons.service import blocks_now

router = APIRouter(prefix="/api/circulation", tags=["circulation"])

Circulator = Annotated[Account, Depends(requires(Permission.CIRCULATE))]


class BlockOut(BaseModel):
    kind: str
    reason: str


class HeldLoanOut(BaseModel):
    loan_id: int
    barcode: str
    title: str
    due_at: datetime
    renewals: int
    overdue: bool


class PatronAtDesk(BaseModel):
    patron_id: int
    name: str
    category: str
    category_name: str
    home_branch: str
    expires_on: date
    blocks: list[BlockOut]
    balance_cents: int
    loans: list[HeldLoanOut]


def patron_at_desk(session: Session, card: str, now: datetime, today: date) -> PatronAtDesk:
    """The card's holder as a desk shows them; an unknown or retired card is not found."""
    patron = self_service.find_by_card(session, card.strip())
    if patron is None or patron.anonymised_at is not None or patron.id is None:
        raise CirculationNotFound(f"no patron holds card {card!r} (unknown or retired)")
    rows = session.exec(
        select(Loan, Item.barcode, Record.title)
        .join(Item, col(Item.id) == col(Loan.item_id))
        .join(Record, col(Record.id) == col(Item.record_id))
        .where(Loan.patron_id == patron.id, col(Loan.returned_at).is_(None))
        .order_by(col(Loan.due_at), col(Loan.id))
    ).all()
    loans = [
        HeldLoanOut(
            loan_id=loan.id or 0,
            barcode=barcode,
            title=title,
            due_at=loan.due_at,
            renewals=loan.renewals,
            overdue=loan.state == "out" and loan.due_at < now,
        )
        for loan, barcode, title in rows
    ]
    balance = balance_cents(session, patron.id)
    blocks = blocks_now(
        session,
        patron,
        today,
        fines_owed=Decimal(balance) / 100,
        overdue_count=sum(1 for loan in loans if loan.overdue),
    )
    category = session.get(PatronCategory, patron.category)
    return PatronAtDesk(
        patron_id=patron.id,
        name=patron.name,
        category=patron.category,
        category_name=category.name if category else patron.category,
        home_branch=patron.home_branch,
        expires_on=patron.expires_on,
        blocks=[BlockOut(kind=b.kind.value, reason=b.reason) for b in blocks],
        balance_cents=balance,
        loans=loans,
    )


@router.get("/patron", response_model=PatronAtDesk)
def patron(
    session: SessionDep,
    settings: SettingsDep,
    account: Circulator,
    card: Annotated[str, Query(min_length=1, max_length=32)],
) -> PatronAtDesk:
    now = datetime.now(UTC)
    return patron_at_desk(session, card, now, now.astimezone(settings.zone).date())
