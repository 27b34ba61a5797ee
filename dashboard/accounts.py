"""Staff account pages for administrators: the list, a new account, and one account's changes.

Each form posts to a page route that calls the same auth service functions as the JSON
API, with the API's shapes; the service audits every change.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError
from sqlmodel import Session

from dashboard.forms import Posted, errors_of
from dashboard.pages import render
from server.auth import service
from server.auth.api import AccountCreate, AccountUpdate
from server.auth.deps import requires
from server.auth.models import Account
from server.auth.permissions import Permission, Role
from server.deps import SessionDep

router = APIRouter(include_in_schema=False)

Admin = Annotated[Account, Depends(requires(Permission.ACCOUNTS_MANAGE))]
CREATE_FIELDS = ("username", "display_name", "role", "password")
UPDATE_FIELDS = ("display_name", "role", "active", "password", "unlock")


def _accounts_page(
    request: Request,
    session: Session,
    admin: Account,
    *,
    errors: dict[str, str] | None = None,
    typed: dict[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "accounts.html",
        account=admin,
        status_code=status_code,
        accounts=service.list_accounts(session),
        roles=list(Role),
        now=datetime.now(UTC),
        errors=errors or {},
        typed=typed or {"role": Role.LIBRARIAN},
    )


def _account_page(
    request: Request,
    session: Session,
    admin: Account,
    account_id: int,
    *,
    errors: dict[str, str] | None = None,
    typed: dict[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    try:
        shown = service.get_account(session, account_id)
    except service.AccountNotFound as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from error
    typed = {k: v for k, v in (typed or {}).items() if k in ("display_name", "role")}
    return render(
        request,
        "account.html",
        account=admin,
        status_code=status_code,
        shown=shown,
        roles=list(Role),
        now=datetime.now(UTC),
        errors=errors or {},
        typed={"display_name": shown.display_name, "role": shown.role} | typed,
    )


@router.get("/accounts", response_class=HTMLResponse)
def accounts_page(request: Request, session: SessionDep, admin: Admin) -> HTMLResponse:
    return _accounts_page(request, session, admin)


@router.post("/accounts", response_model=None)
def create_account(
    request: Request, session: SessionDep, admin: Admin, typed: Posted
) -> HTMLResponse | RedirectResponse:
    values = {k: v if k == "password" else v.strip() for k, v in typed.items()}
    try:
        form = AccountCreate.model_validate({k: values.get(k, "") for k in CREATE_FIELDS})
        made = service.create_account(
            session, **form.model_dump(), actor=admin.username, now=datetime.now(UTC)
        )
    except (ValidationError, service.AccountError) as error:
        values.pop("password", None)  # never sent back into a page
        errors = errors_of(error, CREATE_FIELDS)
        return _accounts_page(request, session, admin, errors=errors, typed=values, status_code=422)
    return RedirectResponse(f"/accounts/{made.id}", status_code=303)


@router.get("/accounts/{account_id}", response_class=HTMLResponse)
def account_page(
    request: Request, account_id: int, session: SessionDep, admin: Admin
) -> HTMLResponse:
    return _account_page(request, session, admin, account_id)


@router.post("/accounts/{account_id}", response_model=None)
def update_account(
    request: Request, account_id: int, session: SessionDep, admin: Admin, typed: Posted
) -> HTMLResponse | RedirectResponse:
    """Each form on the account page posts only its own inputs; only those change."""
    values = {k: v if k == "password" else v.strip() for k, v in typed.items()}
    try:
        account = service.get_account(session, account_id)
        form = AccountUpdate.model_validate(values)
        service.update_account(
            session,
            account,
            actor=admin.username,
            now=datetime.now(UTC),
            **form.model_dump(exclude_unset=True),
        )
    except service.AccountNotFound as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from error
    except (ValidationError, service.AccountError) as error:
        errors = errors_of(error, UPDATE_FIELDS)
        return _account_page(
            request, session, admin, account_id, errors=errors, typed=values, status_code=422
        )
    return RedirectResponse(f"/accounts/{account_id}?saved=1", status_code=303)
