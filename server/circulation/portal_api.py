"""The patron portal's HTTP routes: sign in with card and PIN, see loans and fines, renew.

A patron signs in with a card and its PIN (five wrong PINs lock it, as at a kiosk) and
gets a session like staff do, on an account of role patron that belongs to them; every
other route answers only for that patron's own records.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Request, Response, status
from pydantic import BaseModel, Field

from server.auth import service as auth
from server.auth.deps import COOKIE, requires
from server.auth.models import Account
from server.auth.permissions import Permission
from server.circulation import holds, service
from server.deps import SessionDep, SettingsDep
from server.patrons.models import Patron
from server.patrons.self_service import PinOutcome, verify_pin
from server.patrons.service import blocks_now

router = APIRouter(prefix="/api/portal", tags=["portal"])

PatronAccount = Annotated[Account, Depends(requires(Permission.PORTAL))]

REFUSED = {
    PinOutcome.UNKNOWN_CARD: "unknown card number",
    PinOutcome.NOT_SET: "this card has no PIN yet: ask at the desk",
    PinOutcome.LOCKED: "too many wrong PINs: the PIN is locked, ask at the desk",
}


class PortalSignIn(BaseModel):
    card: str = Field(min_length=1, max_length=32)
    pin: str = Field(min_length=1, max_length=12)


class PortalSession(BaseModel):
    token: str
    expires_in_s: int
    name: str


class LoanOut(BaseModel):
    loan_id: int
    barcode: str
    title: str
    checked_out_at: datetime
    due_at: datetime
    renewals: int
    renewals_left: int
    state: str
    overdue: bool


class HoldOut(BaseModel):
    hold_id: int
    record_id: int
    title: str
    state: str  # waiting, in_transit, ready
    position: int  # 1: next to be served
    pickup_branch: str
    pickup_by: datetime | None


class Me(BaseModel):
    name: str
    category: str
    expires_on: date
    blocks: list[str]
    balance_cents: int
    loans: list[LoanOut]
    holds: list[HoldOut]


class HoldIn(BaseModel):
    record_id: int = Field(gt=0, le=2_147_483_647)


class RenewIn(BaseModel):
    barcode: str = Field(min_length=1, max_length=32)


def patron_of(session: SessionDep, account: PatronAccount) -> Patron:
    patron = session.get(Patron, account.patron_id) if account.patron_id else None
    if patron is None or patron.anonymised_at is not None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "this account holds no patron record")
    return patron


OwnPatron = Annotated[Patron, Depends(patron_of)]


def sign_in_patron(session: SessionDep, card: str, pin: str) -> tuple[str, Account]:
    """Check card and PIN; a session for the patron, or 401 saying what went wrong."""
    now = datetime.now(UTC)
    check = verify_pin(session, card, pin, now=now)
    if check.outcome is PinOutcome.WRONG:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, f"wrong PIN: {check.attempts_left} tries left"
        )
    if not check.ok or check.patron_id is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, REFUSED[check.outcome])
    try:
        return auth.sign_in_patron(session, check.patron_id, now)
    except auth.SignInRefused as refused:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, str(refused)) from refused


@router.post("/sign-in", response_model=PortalSession)
def sign_in(form: PortalSignIn, session: SessionDep, response: Response) -> PortalSession:
    token, account = sign_in_patron(session, form.card, form.pin)
    patron = session.get(Patron, account.patron_id)
    ttl = int(auth.SESSION_TTL.total_seconds())
    response.set_cookie(COOKIE, token, max_age=ttl, httponly=True, samesite="lax")
    return PortalSession(token=token, expires_in_s=ttl, name=patron.name if patron else "")


def summary(session: SessionDep, settings: SettingsDep, patron: Patron) -> Me:
    assert patron.id is not None
    now = datetime.now(UTC)
    loans = service.loans_of(session, patron.id, now)
    balance = service.balance_cents(session, patron.id)
    overdue = sum(loan.overdue for loan in loans)
    today = now.astimezone(settings.zone).date()
    blocks = blocks_now(session, patron, today, Decimal(balance) / 100, overdue)
    places = holds.holds_of(session, patron.id)
    titles = holds.titles(session, {place.hold.record_id for place in places})
    return Me(
        name=patron.name,
        category=patron.category,
        expires_on=patron.expires_on,
        blocks=[block.reason for block in blocks],
        balance_cents=balance,
        loans=[LoanOut.model_validate(loan, from_attributes=True) for loan in loans],
        holds=[
            HoldOut(
                hold_id=place.hold.id or 0,
                record_id=place.hold.record_id,
                title=titles.get(place.hold.record_id, ""),
                state=place.hold.state,
                position=place.position,
                pickup_branch=place.hold.pickup_branch,
                pickup_by=place.hold.pickup_by,
            )
            for place in places
        ],
    )


@router.get("/me", response_model=Me)
def me(session: SessionDep, settings: SettingsDep, patron: OwnPatron) -> Me:
    return summary(session, settings, patron)


@router.post("/renew", response_model=LoanOut)
def renew(
    body: RenewIn, request: Request, session: SessionDep, patron: OwnPatron, desk: OwnDesk
) -> LoanOut:
    assert patron.id is not None
    done = service.renew(session, body.barcode, desk, patron_id=patron.id)
    request.app.state.link.publish_live(done.live)
    (view,) = [
        v for v in service.loans_of(session, patron.id, desk.now) if v.loan_id == done.loan.id
    ]
    return LoanOut.model_validate(view, from_attributes=True)


def own_desk(settings: SettingsDep, patron: OwnPatron) -> service.Desk:
    """A patron acting for themselves, at the server's branch."""
    return service.Desk(settings.branch, f"patron-{patron.id}", datetime.now(UTC), settings.zone)


OwnDesk = Annotated[service.Desk, Depends(own_desk)]


@router.post("/holds", response_model=HoldOut, status_code=status.HTTP_201_CREATED)
def place_hold(
    body: HoldIn, request: Request, session: SessionDep, patron: OwnPatron, desk: OwnDesk
) -> HoldOut:
    assert patron.id is not None
    done = holds.place_hold(session, patron.id, body.record_id, desk)
    request.app.state.link.publish_live(done.live)
    return _hold_out(session, patron.id, done.hold.id)


@router.post("/holds/{hold_id}/cancel", status_code=status.HTTP_204_NO_CONTENT)
def cancel_hold(
    hold_id: Annotated[int, Path(gt=0, le=2_147_483_647)],
    request: Request,
    session: SessionDep,
    patron: OwnPatron,
    desk: OwnDesk,
) -> None:
    done = holds.cancel_hold(session, hold_id, desk, patron_id=patron.id)
    request.app.state.link.publish_live(done.live)


def _hold_out(session: SessionDep, patron_id: int, hold_id: int | None) -> HoldOut:
    (place,) = [p for p in holds.holds_of(session, patron_id) if p.hold.id == hold_id]
    hold = place.hold
    return HoldOut(
        hold_id=hold.id or 0,
        record_id=hold.record_id,
        title=holds.titles(session, {hold.record_id}).get(hold.record_id, ""),
        state=hold.state,
        position=place.position,
        pickup_branch=hold.pickup_branch,
        pickup_by=hold.pickup_by,
    )
