"""HTTP routes of the auth context: signing in and out, accounts, the audit log."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response, status
from pydantic import AwareDatetime, BaseModel, Field

from server.auth import service
from server.auth.deps import COOKIE, SignedIn, requires, token_of
from server.auth.models import Account, AuditEntry
from server.auth.permissions import Permission, Role
from server.deps import SessionDep

router = APIRouter(prefix="/api", tags=["auth"])

Admin = Annotated[Account, Depends(requires(Permission.ACCOUNTS_MANAGE))]


class SignInForm(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=200)


class AccountPublic(BaseModel):
    id: int
    username: str
    display_name: str
    role: Role
    active: bool
    locked_until: datetime | None
    created_at: datetime


class SignedInPublic(BaseModel):
    token: str
    expires_in_s: int
    account: AccountPublic


class AccountCreate(BaseModel):
    username: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]{1,63}$")
    password: str = Field(min_length=service.MIN_PASSWORD, max_length=200)
    role: Role
    display_name: str = Field(default="", max_length=120)


class AccountUpdate(BaseModel):
    role: Role | None = None
    active: bool | None = None
    display_name: str | None = Field(default=None, max_length=120)
    password: str | None = Field(default=None, min_length=service.MIN_PASSWORD, max_length=200)
    unlock: bool = False


class AuditPublic(BaseModel):
    id: int
    at: datetime
    actor: str
    action: str
    entity: str
    entity_id: str
    changes: dict[str, Any]


@router.post("/auth/sign-in", response_model=SignedInPublic)
def sign_in(form: SignInForm, session: SessionDep, response: Response) -> SignedInPublic:
    try:
        token, account = service.sign_in(session, form.username, form.password, datetime.now(UTC))
    except service.SignInRefused as refused:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, str(refused)) from refused
    ttl = int(service.SESSION_TTL.total_seconds())
    response.set_cookie(COOKIE, token, max_age=ttl, httponly=True, samesite="lax")
    return SignedInPublic(
        token=token,
        expires_in_s=ttl,
        account=AccountPublic.model_validate(account, from_attributes=True),
    )


@router.post("/auth/sign-out", status_code=status.HTTP_204_NO_CONTENT)
def sign_out(request: Request, session: SessionDep, response: Response) -> None:
    token = token_of(request)
    if token:
        service.sign_out(session, token)
    response.delete_cookie(COOKIE)


@router.get("/auth/me", response_model=AccountPublic)
def me(account: SignedIn) -> Account:
    return account


@router.get("/accounts", response_model=list[AccountPublic])
def accounts(session: SessionDep, _admin: Admin) -> list[Account]:
    return service.list_accounts(session)


@router.post("/accounts", response_model=AccountPublic, status_code=status.HTTP_201_CREATED)
def create_account(form: AccountCreate, session: SessionDep, admin: Admin) -> Account:
    try:
        return service.create_account(
            session,
            username=form.username,
            password=form.password,
            role=form.role,
            display_name=form.display_name,
            actor=admin.username,
            now=datetime.now(UTC),
        )
    except service.AccountError as error:
        raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from error


@router.patch("/accounts/{account_id}", response_model=AccountPublic)
def update_account(
    account_id: int, form: AccountUpdate, session: SessionDep, admin: Admin
) -> Account:
    try:
        return service.update_account(
            session,
            service.get_account(session, account_id),
            actor=admin.username,
            now=datetime.now(UTC),
            **form.model_dump(exclude_unset=True),
        )
    except service.AccountNotFound as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from error
    except service.AccountError as error:
        raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from error


@router.get("/audit", response_model=list[AuditPublic])
def audit_log(
    session: SessionDep,
    _auditor: Annotated[Account, Depends(requires(Permission.AUDIT_READ))],
    limit: int = Query(100, ge=1, le=service.MAX_AUDIT_PAGE),
    entity: str | None = Query(None, max_length=64),
    entity_id: str | None = Query(None, max_length=128),
    actor: str | None = Query(None, max_length=64),
    since: AwareDatetime | None = None,
    before: AwareDatetime | None = None,
) -> list[AuditEntry]:
    """Newest first; `since` is inclusive, `before` exclusive."""
    return service.audit_log(
        session,
        actor=actor,
        entity=entity,
        entity_id=entity_id,
        since=since,
        before=before,
        per_page=limit,
    ).entries
