"""HTTP routes of the circulation context: check out, check in and renew.

A refusal answers 409 with every reason and its code, `{"detail": {"action": ...,
"reasons": [{"code": ..., "message": ...}]}}`, so a desk can show them and, with the
override permission, lend anyway by naming the codes and a reason.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from fastapi.exception_handlers import http_exception_handler
from pydantic import BaseModel, Field

from contracts import Name
from server.auth.deps import requires
from server.auth.models import Account
from server.auth.permissions import Permission, Role, allowed
from server.circulation import returns, service
from server.circulation.decisions import Reason
from server.config import ServerSettings
from server.deps import SessionDep, SettingsDep

router = APIRouter(prefix="/api/circulation", tags=["circulation"])

Circulator = Annotated[Account, Depends(requires(Permission.CIRCULATE))]
Barcode = Annotated[str, Field(min_length=1, max_length=32)]
Card = Annotated[str, Field(min_length=1, max_length=32)]


class Overridable(BaseModel):
    overrides: list[Reason] = Field(default_factory=list, max_length=10)
    override_reason: str = Field(default="", max_length=300)


class CheckoutIn(Overridable):
    card: Card
    barcode: Barcode
    branch: Name | None = None  # the server's own branch when left out


class CheckinIn(BaseModel):
    barcode: Barcode
    branch: Name | None = None


class RenewIn(Overridable):
    barcode: Barcode


class RefusalOut(BaseModel):
    code: Reason
    message: str


class LoanOut(BaseModel):
    loan_id: int
    item_id: int
    barcode: str
    title: str
    patron_id: int
    branch: str
    checked_out_at: datetime
    due_at: datetime
    renewals: int
    returned_at: datetime | None
    overridden: list[RefusalOut] = []
    fine_cents: int = 0

    @classmethod
    def of(cls, done: service.Done) -> LoanOut:
        loan, item = done.loan, done.item
        assert loan.id is not None
        assert item.id is not None
        return cls(
            loan_id=loan.id,
            item_id=item.id,
            barcode=item.barcode,
            title=done.title,
            patron_id=loan.patron_id,
            branch=loan.branch,
            checked_out_at=loan.checked_out_at,
            due_at=loan.due_at,
            renewals=loan.renewals,
            returned_at=loan.returned_at,
            overridden=[RefusalOut(code=r.code, message=r.message) for r in done.overridden],
            fine_cents=done.fine_cents,
        )


class CheckinOut(BaseModel):
    loan: LoanOut | None  # None: the item was not on loan (arrived from another branch, ...)
    item_status: str
    route_to: str  # the branch the item goes to now
    hold_id: int | None  # the hold it was trapped for


def desk(settings: ServerSettings, account: Account, branch: str | None) -> service.Desk:
    return service.Desk(
        branch or settings.branch, account.username, datetime.now(UTC), settings.zone
    )


def _may_override(account: Account, wanted: Overridable) -> None:
    if wanted.overrides and not allowed(Role(account.role), Permission.CIRCULATION_OVERRIDE):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            f"a {account.role} account may not override refusals "
            f"({Permission.CIRCULATION_OVERRIDE})",
        )


def _publish(request: Request, done: service.Done) -> None:
    request.app.state.link.publish_live(done.live)


@router.post("/checkout", response_model=LoanOut, status_code=status.HTTP_201_CREATED)
def checkout(
    body: CheckoutIn,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    account: Circulator,
) -> LoanOut:
    _may_override(account, body)
    done = service.checkout(
        session,
        body.card,
        body.barcode,
        desk(settings, account, body.branch),
        overrides=body.overrides,
        override_reason=body.override_reason,
    )
    _publish(request, done)
    return LoanOut.of(done)


@router.post("/checkin", response_model=CheckinOut)
def checkin(
    body: CheckinIn,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    account: Circulator,
) -> CheckinOut:
    done = service.checkin(session, body.barcode, desk(settings, account, body.branch))
    if isinstance(done, service.Done):
        _publish(request, done)
        routed, loan = done.routed, LoanOut.of(done)
    else:
        routed, loan = done, None
    assert routed is not None
    hold = getattr(routed, "hold", None)
    return CheckinOut(
        loan=loan,
        item_status=routed.status.value,
        route_to=routed.to_branch if isinstance(routed, returns.InTransit) else routed.branch,
        hold_id=hold.hold_id if hold else None,
    )


@router.post("/renew", response_model=LoanOut)
def renew(
    body: RenewIn,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    account: Circulator,
) -> LoanOut:
    _may_override(account, body)
    done = service.renew(
        session,
        body.barcode,
        desk(settings, account, None),
        overrides=body.overrides,
        override_reason=body.override_reason,
    )
    _publish(request, done)
    return LoanOut.of(done)


REFUSALS = (service.CirculationNotFound, service.CirculationRefused)


async def answer_refusal(request: Request, error: Exception) -> Response:
    """Registered on the app for REFUSALS: 404 for what is not there, 409 for the rules."""
    if isinstance(error, service.CirculationRefused):
        reasons = [{"code": r.code.value, "message": r.message} for r in error.reasons]
        answer = HTTPException(
            status.HTTP_409_CONFLICT, {"action": error.action, "reasons": reasons}
        )
    else:
        answer = HTTPException(status.HTTP_404_NOT_FOUND, str(error))
    return await http_exception_handler(request, answer)
