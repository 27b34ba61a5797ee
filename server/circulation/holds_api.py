"""HTTP routes of a circulation desk beyond lending: holds, a patron's loans and fees, claims.

Refusals are answered like check-outs' (409 with every reason and its code, 404 for what
is not there) by the handler api.py registers for service.CirculationRefused.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, status
from pydantic import BaseModel, Field
from sqlalchemy.engine import Engine
from sqlmodel import Session

from contracts import Name
from server.auth.deps import requires
from server.auth.models import Account
from server.auth.permissions import Permission
from server.circulation import claims, fees, holds, service
from server.circulation.api import Barcode, LoanOut, desk
from server.circulation.models import Fee, Hold
from server.config import ServerSettings
from server.deps import SessionDep, SettingsDep
from server.jobs import Job

if TYPE_CHECKING:
    from server.link import ServerLink

router = APIRouter(prefix="/api/circulation", tags=["circulation"])

Circulator = Annotated[Account, Depends(requires(Permission.CIRCULATE))]
Reader = Annotated[Account, Depends(requires(Permission.PATRONS_READ))]
Cashier = Annotated[Account, Depends(requires(Permission.FEES_MANAGE))]
Cents = Annotated[int, Field(gt=0, le=10_000_000)]
MAX_ID = 2_147_483_647  # an integer column's largest value on PostgreSQL
Id = Annotated[int, Field(gt=0, le=MAX_ID)]
PathId = Annotated[int, Path(gt=0, le=MAX_ID)]
QueryId = Annotated[int | None, Query(gt=0, le=MAX_ID)]


class HoldIn(BaseModel):
    patron_id: Id
    record_id: Id
    item_id: Id | None = None  # a hold on this copy only
    pickup_branch: Name | None = None  # the server's own branch when left out


class CancelIn(BaseModel):
    reason: str = Field(default="", max_length=300)


class HoldOut(BaseModel):
    hold_id: int
    patron_id: int
    record_id: int
    item_id: int | None
    title: str
    pickup_branch: str
    placed_at: datetime
    state: str
    position: int | None  # place in line while open (1: next), None once closed
    trapped_item_id: int | None
    pickup_by: datetime | None

    @classmethod
    def of(cls, hold: Hold, title: str, position: int | None) -> HoldOut:
        assert hold.id is not None
        return cls(
            hold_id=hold.id,
            patron_id=hold.patron_id,
            record_id=hold.record_id,
            item_id=hold.item_id,
            title=title,
            pickup_branch=hold.pickup_branch,
            placed_at=hold.placed_at,
            state=hold.state,
            position=position,
            trapped_item_id=hold.trapped_item_id,
            pickup_by=hold.pickup_by,
        )


class OpenLoanOut(BaseModel):
    loan_id: int
    barcode: str
    title: str
    checked_out_at: datetime
    due_at: datetime
    renewals: int
    renewals_left: int
    state: str  # out, claims_returned, lost
    overdue: bool


class FeeLineOut(BaseModel):
    fee_id: int
    loan_id: int | None
    kind: str
    amount_cents: int  # owed (+) or settled (-)
    at: datetime
    actor: str
    note: str

    @classmethod
    def of(cls, line: Fee) -> FeeLineOut:
        assert line.id is not None
        return cls(
            fee_id=line.id,
            loan_id=line.loan_id,
            kind=line.kind,
            amount_cents=line.amount_cents,
            at=line.at,
            actor=line.actor,
            note=line.note,
        )


class LedgerOut(BaseModel):
    patron_id: int
    balance_cents: int
    lines: list[FeeLineOut]  # newest first


class PaymentIn(BaseModel):
    amount_cents: Cents
    note: str = Field(default="", max_length=300)


class WaiverIn(BaseModel):
    amount_cents: Cents
    reason: str = Field(min_length=1, max_length=300, pattern=r"\S")


class ChargeIn(BaseModel):
    amount_cents: Cents
    note: str = Field(min_length=1, max_length=300, pattern=r"\S")  # what it is for


class FeeDoneOut(BaseModel):
    line: FeeLineOut
    balance_cents: int


class ClaimIn(BaseModel):
    barcode: Barcode
    note: str = Field(default="", max_length=300)


class LostIn(ClaimIn):
    charge_cents: int = Field(default=0, ge=0, le=10_000_000)  # the item's price, if charged


def _now() -> datetime:
    return datetime.now(UTC)


@router.post("/holds", response_model=HoldOut, status_code=status.HTTP_201_CREATED)
def place_hold(
    body: HoldIn, request: Request, session: SessionDep, settings: SettingsDep, account: Circulator
) -> HoldOut:
    done = holds.place_hold(
        session,
        body.patron_id,
        body.record_id,
        desk(settings, account, None),
        item_id=body.item_id,
        pickup_branch=body.pickup_branch,
    )
    request.app.state.link.publish_live(done.live)
    return HoldOut.of(done.hold, done.title, done.live[0]["position"])


@router.post("/holds/{hold_id}/cancel", response_model=HoldOut)
def cancel_hold(
    hold_id: PathId,
    body: CancelIn,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    account: Circulator,
) -> HoldOut:
    done = holds.cancel_hold(session, hold_id, desk(settings, account, None), reason=body.reason)
    request.app.state.link.publish_live(done.live)
    return HoldOut.of(done.hold, done.title, None)


@router.get("/holds", response_model=list[HoldOut])
def list_holds(
    session: SessionDep,
    account: Reader,
    record_id: QueryId = None,
    patron_id: QueryId = None,
) -> list[HoldOut]:
    """A title's queue (`record_id`) or a patron's open holds (`patron_id`), in order."""
    if (record_id is None) == (patron_id is None):
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "give record_id or patron_id")
    if record_id is not None:
        places = holds.queue(session, record_id)
    else:
        assert patron_id is not None
        places = holds.holds_of(session, patron_id)
    titles = holds.titles(session, {p.hold.record_id for p in places})
    return [HoldOut.of(p.hold, titles.get(p.hold.record_id, ""), p.position) for p in places]


@router.get("/patrons/{patron_id}/loans", response_model=list[OpenLoanOut])
def patron_loans(patron_id: PathId, session: SessionDep, account: Reader) -> list[OpenLoanOut]:
    """The patron's open loans, soonest due first, with renewals left."""
    return [OpenLoanOut(**view.__dict__) for view in service.loans_of(session, patron_id, _now())]


@router.get("/patrons/{patron_id}/fees", response_model=LedgerOut)
def patron_fees(patron_id: PathId, session: SessionDep, account: Reader) -> LedgerOut:
    ledger = fees.ledger(session, patron_id)
    return LedgerOut(
        patron_id=patron_id,
        balance_cents=ledger.balance_cents,
        lines=[FeeLineOut.of(line) for line in ledger.lines],
    )


def _fee_done(request: Request, done: fees.FeeDone) -> FeeDoneOut:
    request.app.state.link.publish_live(done.live)
    return FeeDoneOut(line=FeeLineOut.of(done.line), balance_cents=done.balance_cents)


@router.post(
    "/patrons/{patron_id}/payments", response_model=FeeDoneOut, status_code=status.HTTP_201_CREATED
)
def pay(
    patron_id: PathId, body: PaymentIn, request: Request, session: SessionDep, account: Cashier
) -> FeeDoneOut:
    done = fees.pay(
        session, patron_id, body.amount_cents, actor=account.username, now=_now(), note=body.note
    )
    return _fee_done(request, done)


@router.post(
    "/patrons/{patron_id}/waivers", response_model=FeeDoneOut, status_code=status.HTTP_201_CREATED
)
def waive(
    patron_id: PathId, body: WaiverIn, request: Request, session: SessionDep, account: Cashier
) -> FeeDoneOut:
    done = fees.waive(
        session,
        patron_id,
        body.amount_cents,
        reason=body.reason,
        actor=account.username,
        now=_now(),
    )
    return _fee_done(request, done)


@router.post(
    "/patrons/{patron_id}/charges", response_model=FeeDoneOut, status_code=status.HTTP_201_CREATED
)
def charge(
    patron_id: PathId, body: ChargeIn, request: Request, session: SessionDep, account: Cashier
) -> FeeDoneOut:
    done = fees.charge(
        session, patron_id, body.amount_cents, note=body.note, actor=account.username, now=_now()
    )
    return _fee_done(request, done)


@router.post("/claims-returned", response_model=LoanOut)
def claim_returned(
    body: ClaimIn, request: Request, session: SessionDep, settings: SettingsDep, account: Cashier
) -> LoanOut:
    done = claims.claim_returned(
        session, body.barcode, desk(settings, account, None), note=body.note
    )
    request.app.state.link.publish_live(done.live)
    return LoanOut.of(done)


@router.post("/lost", response_model=LoanOut)
def mark_lost(
    body: LostIn, request: Request, session: SessionDep, settings: SettingsDep, account: Cashier
) -> LoanOut:
    done = claims.mark_lost(
        session,
        body.barcode,
        desk(settings, account, None),
        charge_cents=body.charge_cents,
        note=body.note,
    )
    request.app.state.link.publish_live(done.live)
    return LoanOut.of(done)


def expiry_job(settings: ServerSettings, engine: Engine, link: ServerLink) -> Job:
    """Lets ready holds past their pickup deadline go, telling the live stream."""

    def run(now: datetime) -> None:
        with Session(engine) as session:
            link.publish_live(holds.expire_holds(session, now, settings.zone))

    return Job("hold-expiry", settings.hold_expiry_every_s, run)
