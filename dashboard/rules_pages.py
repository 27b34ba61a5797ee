"""Loan rules and the opening calendar as librarians keep them: the matrix and closed days.

Reading needs REPORTS_READ; changing needs RULES_MANAGE. Every change goes through
server/circulation/admin.py, which checks it against the pure rules and audits it; a
refused value is shown beside its input. Fines are typed as amounts (0.20), kept in cents.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError
from sqlmodel import Session

from dashboard.forms import Posted, errors_of
from dashboard.i18n import pick_language, translate
from dashboard.pages import render
from server.auth.deps import requires
from server.auth.models import Account
from server.auth.permissions import Permission
from server.circulation import admin
from server.circulation.rules import ANY, RuleKey
from server.circulation.service import rule_matrix
from server.config import ServerSettings
from server.deps import SessionDep, SettingsDep
from server.patrons.categories import list_categories

router = APIRouter(include_in_schema=False)

Reader = Annotated[Account, Depends(requires(Permission.REPORTS_READ))]
Manager = Annotated[Account, Depends(requires(Permission.RULES_MANAGE))]
Pick = Annotated[str, Query(max_length=64)]
COUNTS = ("loan_days", "renewals", "max_items", "grace_days")
MONEY = {"fine_per_day": "fine_per_day_cents", "fine_cap": "fine_cap_cents"}
FLAGS = ("for_loan", "holds_block_renewal")
KEY = ("branch", "category", "item_type")
FIELDS = (*KEY, *COUNTS, *MONEY, *FLAGS)
WEEK = range(7)


def _row_id(key: RuleKey) -> str:
    return f"{key.branch}/{key.category}/{key.item_type}"


def _cents(text: str) -> int | str | None:
    """An amount typed as 0.20 in cents; "" is no amount; anything else is left for pydantic."""
    text = text.strip().replace(",", ".")
    if not text:
        return None
    try:
        amount = Decimal(text)
    except InvalidOperation:
        return text
    cents = amount * 100
    return int(cents) if cents == cents.to_integral_value() and amount.is_finite() else text


def _rule_form(typed: dict[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {name: typed.get(name, "").strip() for name in (*KEY, *COUNTS)}
    for name, field in MONEY.items():
        values[field] = _cents(typed.get(name, ""))
    if values["fine_per_day_cents"] is None:
        values["fine_per_day_cents"] = 0
    for name in FLAGS:
        values[name] = typed.get(name) == "on"
    return values


def _amount(cents: int | None) -> str:
    return "" if cents is None else f"{Decimal(cents) / 100:.2f}"


def _shown(key: RuleKey, rule: Any) -> dict[str, str]:
    """A matrix row as the form's inputs hold it."""
    return {
        "branch": key.branch,
        "category": key.category,
        "item_type": key.item_type,
        **{name: str(getattr(rule, name)) for name in COUNTS},
        "fine_per_day": _amount(rule.fine_per_day_cents),
        "fine_cap": _amount(rule.fine_cap_cents),
        **{name: "on" if getattr(rule, name) else "" for name in FLAGS},
    }


def _rules_page(
    request: Request,
    session: Session,
    settings: ServerSettings,
    account: Account,
    *,
    picked: dict[str, str] | None = None,
    failed: str = "",
    typed: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> HTMLResponse:
    matrix = rule_matrix(session)
    rows = []
    for key, rule in matrix.rows():
        row_id = _row_id(key)
        rows.append(
            {
                "id": row_id,
                "key": key,
                "rule": rule,
                "default": admin.is_default(key),
                "typed": typed if failed == row_id and typed else _shown(key, rule),
                "errors": errors if failed == row_id and errors else {},
            }
        )
    picked = picked or {}
    match = None
    if all(picked.get(name) for name in KEY):
        match = matrix.match(picked["branch"], picked["category"], picked["item_type"])
    adding = failed == "add"
    return render(
        request,
        "loan_rules.html",
        account=account,
        status_code=422 if errors else 200,
        rows=rows,
        match=match,
        match_id=_row_id(match.key) if match else "",
        picked=picked,
        branches=admin.branches(session, settings.branch),
        categories=list_categories(session),
        item_types=admin.item_types(session),
        add_typed=typed if adding and typed else _shown(RuleKey(), matrix.rules[RuleKey()]),
        add_errors=errors if adding and errors else {},
        form_error=(errors or {}).get("form", ""),
        any=ANY,
    )


@router.get("/circulation/rules", response_class=HTMLResponse)
def rules_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    account: Reader,
    branch: Pick = "",
    category: Pick = "",
    item_type: Pick = "",
) -> HTMLResponse:
    picked = {"branch": branch, "category": category, "item_type": item_type}
    return _rules_page(request, session, settings, account, picked=picked)


def _save(
    request: Request,
    session: Session,
    settings: ServerSettings,
    account: Account,
    typed: dict[str, str],
    *,
    adding: bool,
) -> HTMLResponse | RedirectResponse:
    values = _rule_form(typed)
    try:
        form = admin.RuleIn.model_validate(values)
        admin.save_rule(session, form, adding=adding, actor=account.username, now=datetime.now(UTC))
    except (ValidationError, admin.AdminInvalid) as error:
        session.rollback()
        failed = "add" if adding else "/".join(typed.get(name, "").strip() for name in KEY)
        found = errors_of(error, FIELDS + tuple(MONEY.values()))
        if isinstance(error, admin.AdminInvalid):
            found = {error.field: error.message}
        wanted = {field: name for name, field in MONEY.items()}
        found = {wanted.get(field, field): why for field, why in found.items()}
        return _rules_page(
            request, session, settings, account, failed=failed, typed=typed, errors=found
        )
    except admin.AdminNotFound as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from error
    return RedirectResponse("/circulation/rules", status_code=303)


@router.post("/circulation/rules/add", response_model=None)
def add_rule(
    request: Request, session: SessionDep, settings: SettingsDep, account: Manager, typed: Posted
) -> HTMLResponse | RedirectResponse:
    return _save(request, session, settings, account, typed, adding=True)


@router.post("/circulation/rules/edit", response_model=None)
def edit_rule(
    request: Request, session: SessionDep, settings: SettingsDep, account: Manager, typed: Posted
) -> HTMLResponse | RedirectResponse:
    return _save(request, session, settings, account, typed, adding=False)


@router.post("/circulation/rules/remove", response_model=None)
def remove_rule(
    request: Request, session: SessionDep, settings: SettingsDep, account: Manager, typed: Posted
) -> HTMLResponse | RedirectResponse:
    try:
        key = admin.RuleKeyIn.model_validate({name: typed.get(name, "") for name in KEY}).key()
        admin.remove_rule(session, key, actor=account.username, now=datetime.now(UTC))
    except (ValidationError, admin.AdminInvalid) as error:
        session.rollback()
        language = pick_language(request, request.app.state.settings.default_language)
        message = translate(language, "circulation.rules.error.remove")
        if isinstance(error, admin.AdminInvalid) and error.field == "form":
            message = translate(language, "circulation.rules.error.default")
        return _rules_page(request, session, settings, account, errors={"form": message})
    except admin.AdminNotFound as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from error
    return RedirectResponse("/circulation/rules", status_code=303)


# The calendar


def _calendar_page(
    request: Request,
    session: Session,
    settings: ServerSettings,
    account: Account,
    branch: str,
    *,
    typed: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    failed: str = "",
) -> HTMLResponse:
    today = datetime.now(UTC).astimezone(settings.zone).date()
    known = admin.branches(session, settings.branch)
    if branch not in (*known, ANY):
        branch = settings.branch
    return render(
        request,
        "calendar.html",
        account=account,
        status_code=422 if errors else 200,
        branch=branch,
        branches=known,
        weekdays=admin.closed_weekdays(session),
        closed_days=admin.closed_days(session, today),
        days=admin.upcoming(session, branch, today),
        typed=typed or {"branch": ANY},
        errors=errors or {},
        failed=failed,
        week=WEEK,
        any=ANY,
    )


@router.get("/circulation/calendar", response_class=HTMLResponse)
def calendar_page(
    request: Request, session: SessionDep, settings: SettingsDep, account: Reader, branch: Pick = ""
) -> HTMLResponse:
    return _calendar_page(request, session, settings, account, branch or settings.branch)


@router.post("/circulation/calendar/weekdays", response_model=None)
def set_weekdays(
    request: Request, session: SessionDep, settings: SettingsDep, account: Manager, typed: Posted
) -> HTMLResponse | RedirectResponse:
    branch = typed.get("branch", "").strip()
    closed = {day for day in WEEK if typed.get(f"closed_{day}") == "on"}
    try:
        admin.set_weekdays(session, branch, closed, actor=account.username, now=datetime.now(UTC))
    except admin.AdminInvalid as error:
        session.rollback()
        return _calendar_page(
            request,
            session,
            settings,
            account,
            settings.branch,
            typed=typed,
            errors={error.field: error.message},
            failed=f"weekdays:{branch}",
        )
    return RedirectResponse(f"/circulation/calendar?{urlencode({'branch': branch})}", 303)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError as error:
        raise admin.AdminInvalid("day", "give a date as YYYY-MM-DD") from error


@router.post("/circulation/calendar/days", response_model=None)
def add_closed_day(
    request: Request, session: SessionDep, settings: SettingsDep, account: Manager, typed: Posted
) -> HTMLResponse | RedirectResponse:
    branch = typed.get("branch", "").strip()
    try:
        admin.add_closed_day(
            session,
            branch,
            _day(typed.get("day", "")),
            typed.get("reason", ""),
            actor=account.username,
            now=datetime.now(UTC),
        )
    except admin.AdminInvalid as error:
        session.rollback()
        return _calendar_page(
            request,
            session,
            settings,
            account,
            settings.branch,
            typed=typed,
            errors={error.field: error.message},
            failed="day",
        )
    shown = branch if branch != ANY else settings.branch
    return RedirectResponse(f"/circulation/calendar?{urlencode({'branch': shown})}", 303)


@router.post("/circulation/calendar/days/remove", response_model=None)
def remove_closed_day(
    request: Request, session: SessionDep, settings: SettingsDep, account: Manager, typed: Posted
) -> HTMLResponse | RedirectResponse:
    try:
        day = _day(typed.get("day", ""))
        admin.remove_closed_day(
            session, typed.get("branch", ""), day, actor=account.username, now=datetime.now(UTC)
        )
    except admin.AdminInvalid as error:
        return _calendar_page(
            request,
            session,
            settings,
            account,
            settings.branch,
            errors={error.field: error.message},
        )
    except admin.AdminNotFound as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from error
    return RedirectResponse("/circulation/calendar", status_code=303)
