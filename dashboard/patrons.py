"""Patron pages for librarians: search, a patron's record with cards and blocks, new patron.

Plain HTML forms posting to these routes; a refused field is shown next to its input.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError
from sqlmodel import Session

from dashboard.pages import render
from server.auth.deps import requires
from server.auth.models import Account
from server.auth.permissions import Permission
from server.deps import SessionDep
from server.patrons import api, categories, service
from server.patrons.validation import PatronInvalid

router = APIRouter(include_in_schema=False)

Reader = Annotated[Account, Depends(requires(Permission.PATRONS_READ))]
Writer = Annotated[Account, Depends(requires(Permission.PATRONS_WRITE))]
Text = Annotated[str, Form(max_length=400)]
FIELDS = ("name", "category", "home_branch", "email", "phone", "birth_date", "expires_on", "pin")


def _errors(error: ValidationError | PatronInvalid) -> dict[str, str]:
    if isinstance(error, PatronInvalid):
        return {error.field: error.message}
    found: dict[str, str] = {}
    for problem in error.errors():
        field = str(problem["loc"][0]) if problem["loc"] else "form"
        found.setdefault(field, problem["msg"].removeprefix("Value error, "))
    return found


def _form(values: dict[str, str]) -> dict[str, Any]:
    """What a person typed, as the API's shapes expect it: empty inputs mean nothing."""
    return {field: value.strip() or None for field, value in values.items()}


def _patron_page(
    request: Request,
    session: Session,
    account: Account,
    patron_id: int,
    *,
    errors: dict[str, str] | None = None,
    typed: dict[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    patron = service.get_patron(session, patron_id)
    return render(
        request,
        "patron.html",
        account=account,
        status_code=status_code,
        patron=api.detail(session, patron),
        categories=categories.list_categories(session),
        errors=errors or {},
        typed=typed or {},
    )


@router.get("/patrons", response_class=HTMLResponse)
def patrons_page(
    request: Request, session: SessionDep, account: Reader, q: str = "", page: int = 1
) -> HTMLResponse:
    found = service.search_patrons(session, q[:200], page=max(page, 1), per_page=25)
    return render(request, "patrons.html", account=account, q=q, found=found)


@router.get("/patrons/new", response_class=HTMLResponse)
def new_patron_page(request: Request, session: SessionDep, account: Writer) -> HTMLResponse:
    return render(
        request,
        "patron_new.html",
        account=account,
        categories=categories.list_categories(session),
        errors={},
        typed={"category": "adult", "home_branch": "main"},
    )


@router.post("/patrons/new", response_model=None)
def create_patron(
    request: Request,
    session: SessionDep,
    account: Writer,
    name: Text = "",
    category: Text = "",
    home_branch: Text = "",
    email: Text = "",
    phone: Text = "",
    birth_date: Text = "",
    card: Text = "",
    pin: Text = "",
) -> HTMLResponse | RedirectResponse:
    typed = _form(
        {
            "name": name,
            "category": category,
            "home_branch": home_branch,
            "email": email,
            "phone": phone,
            "birth_date": birth_date,
            "pin": pin,
        }
    )
    try:
        form = api.PatronCreate.model_validate({**typed, "cards": [card] if card.strip() else []})
        patron = service.create_patron(
            session,
            **form.model_dump(),
            actor=account.username,
            now=datetime.now(UTC),
            phone_region=api.phone_region(request.app.state.settings),
        )
    except (ValidationError, PatronInvalid) as error:
        return render(
            request,
            "patron_new.html",
            account=account,
            status_code=422,
            categories=categories.list_categories(session),
            errors={"card" if k == "cards" else k: v for k, v in _errors(error).items()},
            typed=typed | {"card": card},
        )
    return RedirectResponse(f"/patrons/{patron.id}", status_code=303)


@router.get("/patrons/{patron_id}", response_class=HTMLResponse)
def patron_page(
    request: Request, patron_id: int, session: SessionDep, account: Reader
) -> HTMLResponse:
    try:
        return _patron_page(request, session, account, patron_id)
    except service.PatronNotFound as error:
        raise api.refused(error) from error


@router.post("/patrons/{patron_id}", response_model=None)
def update_patron(
    request: Request,
    patron_id: int,
    session: SessionDep,
    account: Writer,
    name: Text = "",
    category: Text = "",
    home_branch: Text = "",
    email: Text = "",
    phone: Text = "",
    birth_date: Text = "",
    expires_on: Text = "",
    pin: Text = "",
) -> HTMLResponse | RedirectResponse:
    typed = _form(
        {
            "name": name,
            "category": category,
            "home_branch": home_branch,
            "email": email,
            "phone": phone,
            "birth_date": birth_date,
            "expires_on": expires_on,
            "pin": pin,
        }
    )
    try:
        form = api.PatronUpdate.model_validate(typed)
        fields = form.model_dump()
        for required in ("name", "category", "home_branch", "expires_on"):
            if fields[required] is None:
                raise PatronInvalid(required, f"{required} cannot be empty")
        if fields["pin"] is None:
            del fields["pin"]  # an empty PIN box keeps the PIN
        service.update_patron(
            session,
            patron_id,
            actor=account.username,
            now=datetime.now(UTC),
            phone_region=api.phone_region(request.app.state.settings),
            **{k: v for k, v in fields.items() if k != "unlock_pin"},
        )
    except (ValidationError, PatronInvalid) as error:
        return _patron_page(
            request,
            session,
            account,
            patron_id,
            errors=_errors(error),
            typed=typed,
            status_code=422,
        )
    except api.REFUSALS as error:
        raise api.refused(error) from error
    return RedirectResponse(f"/patrons/{patron_id}", status_code=303)


@router.post("/patrons/{patron_id}/blocks", response_model=None)
def add_block(
    request: Request, patron_id: int, session: SessionDep, account: Writer, reason: Text = ""
) -> HTMLResponse | RedirectResponse:
    try:
        service.add_block(session, patron_id, reason, actor=account.username, now=datetime.now(UTC))
    except PatronInvalid as error:
        return _patron_page(
            request, session, account, patron_id, errors=_errors(error), status_code=422
        )
    except api.REFUSALS as error:
        raise api.refused(error) from error
    return RedirectResponse(f"/patrons/{patron_id}", status_code=303)


@router.post("/patrons/{patron_id}/blocks/{block_id}/lift")
def lift_block(
    patron_id: int, block_id: int, session: SessionDep, account: Writer
) -> RedirectResponse:
    try:
        service.lift_block(
            session, patron_id, block_id, actor=account.username, now=datetime.now(UTC)
        )
    except api.REFUSALS as error:
        raise api.refused(error) from error
    return RedirectResponse(f"/patrons/{patron_id}", status_code=303)


@router.post("/patrons/{patron_id}/cards", response_model=None)
def add_card(
    request: Request, patron_id: int, session: SessionDep, account: Writer, number: Text = ""
) -> HTMLResponse | RedirectResponse:
    try:
        service.add_card(session, patron_id, number, actor=account.username, now=datetime.now(UTC))
    except PatronInvalid as error:
        errors = {"card": error.message}
        return _patron_page(request, session, account, patron_id, errors=errors, status_code=422)
    except api.REFUSALS as error:
        raise api.refused(error) from error
    return RedirectResponse(f"/patrons/{patron_id}", status_code=303)


@router.post("/patrons/{patron_id}/cards/{number}/retire")
def retire_card(
    patron_id: int, number: str, session: SessionDep, account: Writer, reason: Text = "lost"
) -> RedirectResponse:
    try:
        service.retire_card(
            session, patron_id, number, reason, actor=account.username, now=datetime.now(UTC)
        )
    except api.REFUSALS as error:
        raise api.refused(error) from error
    return RedirectResponse(f"/patrons/{patron_id}", status_code=303)
