"""The circulation desk: scan a card and items to lend, return or renew, and print a receipt.

The page itself is a shell; desk.js sends each scan to /api/circulation so a scanner's
Enter never reloads the page. The receipt is rendered here from the loans themselves.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.responses import HTMLResponse
from sqlmodel import col, select

from dashboard.pages import render
from server.auth.deps import requires
from server.auth.models import Account
from server.auth.permissions import Permission
from server.catalog.models import Item, Record
from server.circulation.lookup_api import patron_at_desk
from server.circulation.models import Loan
from server.circulation.service import CirculationNotFound
from server.deps import SessionDep, SettingsDep

router = APIRouter(include_in_schema=False)

Circulator = Annotated[Account, Depends(requires(Permission.CIRCULATE))]
MAX_RECEIPT_LOANS = 200


@router.get("/circulation/desk", response_class=HTMLResponse)
def desk_page(request: Request, settings: SettingsDep, account: Circulator) -> HTMLResponse:
    return render(
        request,
        "desk.html",
        account=account,
        branch=settings.branch,
        timezone=settings.timezone,
    )


def _loan_ids(text: str) -> list[int]:
    try:
        ids = [int(part) for part in text.split(",") if part.strip()]
    except ValueError as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "loans: ids") from error
    return ids[:MAX_RECEIPT_LOANS]


@router.get("/circulation/desk/receipt", response_class=HTMLResponse)
def receipt_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    account: Circulator,
    card: Annotated[str, Query(min_length=1, max_length=32)],
    loans: Annotated[str, Query(max_length=2000)] = "",
) -> HTMLResponse:
    """This patron's loans made or renewed at the desk just now, with their due dates."""
    now = datetime.now(UTC)
    try:
        patron = patron_at_desk(session, card, now, now.astimezone(settings.zone).date())
    except CirculationNotFound as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from error
    ids = _loan_ids(loans)
    rows = session.exec(
        select(Loan, Item.barcode, Record.title)
        .join(Item, col(Item.id) == col(Loan.item_id))
        .join(Record, col(Record.id) == col(Item.record_id))
        .where(col(Loan.id).in_(ids), Loan.patron_id == patron.patron_id)
        .order_by(col(Loan.checked_out_at), col(Loan.id))
    ).all()
    zone = settings.zone
    return render(
        request,
        "desk_receipt.html",
        account=account,
        patron=patron,
        branch=settings.branch,
        printed=now.astimezone(zone),
        lines=[
            {
                "title": title,
                "barcode": barcode,
                "due": loan.due_at.astimezone(zone),
                "returned": loan.returned_at is not None,
            }
            for loan, barcode, title in rows
        ],
    )
