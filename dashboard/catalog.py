"""Catalogue pages for librarians: search, a record with its copies, an item, and intake.

Intake is made for keyboard-wedge scanners: the code input is focused and a scanner's
Enter submits it. A known item barcode opens the item; a known ISBN opens its record with
the add-a-copy form focused; an unknown ISBN opens a new-record form with the ISBN filled.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError
from sqlmodel import Session

from dashboard.pages import render
from server.auth.deps import requires
from server.auth.models import Account
from server.auth.permissions import Permission, Role, allowed
from server.catalog import api, isbn, service
from server.catalog.shapes import ItemIn, RecordIn
from server.deps import SessionDep

router = APIRouter(include_in_schema=False)

Reader = Annotated[Account, Depends(requires(Permission.CATALOG_READ))]
Writer = Annotated[Account, Depends(requires(Permission.CATALOG_WRITE))]
Text = Annotated[str, Form(max_length=2000)]
ITEM_FORM = ("barcode", "rfid_tag", "home_branch", "zone", "stack", "shelf", "collection")
ITEM_FORM += ("item_type", "parts")


def _errors(error: ValidationError | service.CatalogConflict) -> dict[str, str]:
    if isinstance(error, service.CatalogConflict):
        field, _, message = str(error).partition(": ")
        return {field: message or str(error)}
    found: dict[str, str] = {}
    for problem in error.errors():
        field = str(problem["loc"][0]) if problem["loc"] else "form"
        found.setdefault(field, str(problem["msg"]).removeprefix("Value error, "))
    return found


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.replace("\n", "|").split("|") if part.strip()]


def _record_page(
    request: Request,
    session: Session,
    account: Account,
    record_id: int,
    *,
    errors: dict[str, str] | None = None,
    typed: dict[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    try:
        detail = service.get_record(session, record_id)
    except service.RecordNotFound as error:
        raise api.refused(error) from error
    return render(
        request,
        "catalog_record.html",
        account=account,
        status_code=status_code,
        detail=detail,
        isbn_forms=[isbn.forms(i) for i in detail.isbns],
        can_write=allowed(Role(account.role), Permission.CATALOG_WRITE),
        focus_copy=request.query_params.get("add") == "1" or bool(errors),
        errors=errors or {},
        typed=typed or {"home_branch": "main", "item_type": "book", "parts": "1"},
    )


@router.get("/catalog", response_class=HTMLResponse)
def catalog_page(
    request: Request, session: SessionDep, account: Reader, q: str = "", page: int = 1
) -> HTMLResponse:
    found = service.find(session, q[:200], page=max(1, min(page, 100_000)), per_page=20)
    return render(request, "catalog.html", account=account, q=q, found=found)


@router.get("/catalog/intake", response_class=HTMLResponse, response_model=None)
def intake_page(
    request: Request, session: SessionDep, account: Writer, code: str = ""
) -> HTMLResponse | RedirectResponse:
    code = code.strip()[:64]
    if not code:
        return render(request, "catalog_intake.html", account=account, code="", scan=None)
    scan = service.scan(session, code)
    if scan.item is not None:
        return RedirectResponse(f"/catalog/items/{scan.item.id}?scanned=1", status_code=303)
    if scan.record is not None:
        return RedirectResponse(f"/catalog/records/{scan.record.id}?add=1", status_code=303)
    if scan.isbn is not None:
        return _new_record_page(request, account, {"isbns": scan.isbn.isbn13}, scan.isbn, {})
    return render(
        request, "catalog_intake.html", account=account, code=code, scan=scan, status_code=404
    )


def _new_record_page(
    request: Request,
    account: Account,
    typed: dict[str, Any],
    forms: isbn.IsbnForms | None,
    errors: dict[str, str],
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "catalog_new.html",
        account=account,
        typed={"home_branch": "main", **typed},
        forms=forms,
        errors=errors,
        status_code=status_code,
    )


@router.get("/catalog/records/new", response_class=HTMLResponse)
def new_record_page(
    request: Request,
    account: Writer,
    isbn_code: Annotated[str, Query(alias="isbn", max_length=64)] = "",
) -> HTMLResponse:
    forms = None
    try:
        forms = isbn.forms(isbn.normalise(isbn_code)) if isbn_code else None
    except ValueError:
        forms = None
    return _new_record_page(request, account, {"isbns": forms.isbn13 if forms else ""}, forms, {})


@router.post("/catalog/records/new", response_model=None)
def create_record(
    request: Request,
    session: SessionDep,
    account: Writer,
    title: Text = "",
    authors: Text = "",
    isbns: Text = "",
    publisher: Text = "",
    year: Text = "",
    subjects: Text = "",
    language: Text = "",
    call_number: Text = "",
    barcode: Text = "",
    home_branch: Text = "main",
) -> HTMLResponse | RedirectResponse:
    typed = {
        "title": title,
        "authors": authors,
        "isbns": isbns,
        "publisher": publisher,
        "year": year,
        "subjects": subjects,
        "language": language,
        "call_number": call_number,
        "barcode": barcode,
        "home_branch": home_branch,
    }
    try:
        record = RecordIn(
            title=title,
            authors=_split(authors),
            isbns=_split(isbns),
            publisher=publisher,
            year=year.strip() or None,  # type: ignore[arg-type]
            subjects=_split(subjects),
            language=language,
            call_number=call_number,
        )
        items = [ItemIn(barcode=barcode, home_branch=home_branch)] if barcode.strip() else []
        detail = service.create_record(
            session, record, items, actor=account.username, now=datetime.now(UTC)
        )
    except (ValidationError, service.CatalogConflict) as error:
        forms = None
        if isbns.strip():
            try:
                forms = isbn.forms(isbn.normalise(_split(isbns)[0]))
            except ValueError:
                forms = None
        return _new_record_page(request, account, typed, forms, _errors(error), status_code=422)
    return RedirectResponse(f"/catalog/records/{detail.record.id}", status_code=303)


@router.get("/catalog/records/{record_id}", response_class=HTMLResponse)
def record_page(
    request: Request, record_id: int, session: SessionDep, account: Reader
) -> HTMLResponse:
    return _record_page(request, session, account, record_id)


@router.post("/catalog/records/{record_id}/items", response_model=None)
def add_copy(
    request: Request,
    record_id: int,
    session: SessionDep,
    account: Writer,
    barcode: Text = "",
    rfid_tag: Text = "",
    home_branch: Text = "main",
    zone: Text = "",
    stack: Text = "",
    shelf: Text = "",
    collection: Text = "",
    item_type: Text = "book",
    parts: Text = "1",
) -> HTMLResponse | RedirectResponse:
    typed = dict(
        zip(
            ITEM_FORM,
            (barcode, rfid_tag, home_branch, zone, stack, shelf, collection, item_type, parts),
            strict=True,
        )
    )
    try:
        values = {k: v for k, v in typed.items() if v.strip()}
        service.add_item(
            session,
            record_id,
            ItemIn.model_validate(values),
            actor=account.username,
            now=datetime.now(UTC),
        )
    except service.RecordNotFound as error:
        raise api.refused(error) from error
    except (ValidationError, service.CatalogConflict) as error:
        return _record_page(
            request,
            session,
            account,
            record_id,
            errors=_errors(error),
            typed=typed,
            status_code=422,
        )
    return RedirectResponse(
        f"/catalog/records/{record_id}?added={barcode.strip()}&add=1", status_code=303
    )


@router.get("/catalog/items/{item_id}", response_class=HTMLResponse)
def item_page(request: Request, item_id: int, session: SessionDep, account: Reader) -> HTMLResponse:
    try:
        item = service.get_item(session, item_id)
        detail = service.get_record(session, item.record_id)
    except service.RecordNotFound as error:
        raise api.refused(error) from error
    return render(
        request,
        "catalog_item.html",
        account=account,
        item=item,
        record=detail.record,
        scanned=request.query_params.get("scanned") == "1",
    )
