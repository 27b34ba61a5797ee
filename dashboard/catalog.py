"""Catalogue pages for librarians: search, a record with its copies, an item, and intake.

Intake is made for keyboard-wedge scanners: the code input is focused and a scanner's
Enter submits it. A known item barcode opens the item; a known ISBN opens its record with
the add-a-copy form focused; an unknown ISBN opens a new-record form with the ISBN filled.
A record's and an item's fields are changed on their pages, through the same service
functions as the JSON API; a refused field is shown beside its input.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError
from sqlmodel import Session

from dashboard.forms import Posted, errors_of
from dashboard.pages import render
from server.auth.deps import requires
from server.auth.models import Account
from server.auth.permissions import Permission, Role, allowed
from server.catalog import isbn, service
from server.catalog.models import Item, Record
from server.catalog.shapes import ItemIn, ItemStatus, RecordIn
from server.deps import SessionDep

router = APIRouter(include_in_schema=False)

Reader = Annotated[Account, Depends(requires(Permission.CATALOG_READ))]
Writer = Annotated[Account, Depends(requires(Permission.CATALOG_WRITE))]
RECORD_FORM = ("title", "authors", "isbns", "publisher", "year", "subjects", "language")
RECORD_FORM += ("call_number",)
ITEM_FORM = ("barcode", "rfid_tag", "home_branch", "zone", "stack", "shelf", "collection")
ITEM_FORM += ("item_type", "parts")
ITEM_EDIT = (*ITEM_FORM, "status")
LISTS = ("authors", "isbns", "subjects")  # typed as one line, separated by |
REFUSED = (ValidationError, service.CatalogConflict, service.CatalogInvalid)


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.replace("\n", "|").split("|") if part.strip()]


def _record_in(typed: dict[str, str]) -> RecordIn:
    """The record form as RecordIn: lists split at |, an empty year for none."""
    values: dict[str, Any] = {name: typed.get(name, "") for name in RECORD_FORM}
    for name in LISTS:
        values[name] = _split(values[name])
    values["year"] = values["year"].strip() or None
    return RecordIn.model_validate(values)


def _record_typed(detail: service.RecordDetail) -> dict[str, Any]:
    """What the edit form shows before anyone types: the record as it is."""
    record = detail.record
    shown: dict[str, Any] = record.model_dump(include=set(RECORD_FORM))
    shown |= {"authors": " | ".join(record.authors), "subjects": " | ".join(record.subjects)}
    return shown | {"isbns": " | ".join(detail.isbns), "year": record.year or ""}


def _item_typed(item: Item) -> dict[str, Any]:
    return item.model_dump(include=set(ITEM_EDIT)) | {"rfid_tag": item.rfid_tag or ""}


def _record_page(
    request: Request,
    session: Session,
    account: Account,
    record_id: int,
    *,
    errors: dict[str, str] | None = None,
    typed: dict[str, Any] | None = None,
    record_errors: dict[str, str] | None = None,
    record_typed: dict[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    detail = service.get_record(session, record_id)
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
        record_errors=record_errors or {},
        record_typed=record_typed or _record_typed(detail),
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
    request: Request, session: SessionDep, account: Writer, typed: Posted
) -> HTMLResponse | RedirectResponse:
    barcode, home_branch = typed.get("barcode", ""), typed.get("home_branch", "") or "main"
    try:
        record = _record_in(typed)
        items = [ItemIn(barcode=barcode, home_branch=home_branch)] if barcode.strip() else []
        detail = service.create_record(
            session, record, items, actor=account.username, now=datetime.now(UTC)
        )
    except REFUSED as error:
        forms = None
        if typed.get("isbns", "").strip():
            try:
                forms = isbn.forms(isbn.normalise(_split(typed["isbns"])[0]))
            except ValueError:
                forms = None
        errors = errors_of(error, (*RECORD_FORM, "barcode", "home_branch"))
        return _new_record_page(request, account, typed, forms, errors, status_code=422)
    return RedirectResponse(f"/catalog/records/{detail.record.id}", status_code=303)


@router.get("/catalog/records/{record_id}", response_class=HTMLResponse)
def record_page(
    request: Request, record_id: int, session: SessionDep, account: Reader
) -> HTMLResponse:
    return _record_page(request, session, account, record_id)


@router.post("/catalog/records/{record_id}", response_model=None)
def update_record(
    request: Request, record_id: int, session: SessionDep, account: Writer, typed: Posted
) -> HTMLResponse | RedirectResponse:
    try:
        record = _record_in(typed)
        service.update_record(
            session,
            record_id,
            record.model_dump(include=set(RECORD_FORM)),
            actor=account.username,
            now=datetime.now(UTC),
        )
    except REFUSED as error:
        return _record_page(
            request,
            session,
            account,
            record_id,
            record_errors=errors_of(error, RECORD_FORM),
            record_typed=typed,
            status_code=422,
        )
    return RedirectResponse(f"/catalog/records/{record_id}?saved=1", status_code=303)


@router.post("/catalog/records/{record_id}/items", response_model=None)
def add_copy(
    request: Request, record_id: int, session: SessionDep, account: Writer, typed: Posted
) -> HTMLResponse | RedirectResponse:
    try:
        values = {k: v for k in ITEM_FORM if (v := typed.get(k, "")).strip()}
        added = service.add_item(
            session,
            record_id,
            ItemIn.model_validate(values),
            actor=account.username,
            now=datetime.now(UTC),
        )
    except REFUSED as error:
        return _record_page(
            request,
            session,
            account,
            record_id,
            errors=errors_of(error, ITEM_FORM),
            typed=typed,
            status_code=422,
        )
    return RedirectResponse(
        f"/catalog/records/{record_id}?added={added.barcode}&add=1", status_code=303
    )


def _item_page(
    request: Request,
    session: Session,
    account: Account,
    item: Item,
    *,
    errors: dict[str, str] | None = None,
    typed: dict[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    record: Record = service.get_record(session, item.record_id).record
    return render(
        request,
        "catalog_item.html",
        account=account,
        status_code=status_code,
        item=item,
        record=record,
        scanned=request.query_params.get("scanned") == "1",
        can_write=allowed(Role(account.role), Permission.CATALOG_WRITE),
        statuses=list(ItemStatus),
        errors=errors or {},
        typed=typed or _item_typed(item),
    )


@router.get("/catalog/items/{item_id}", response_class=HTMLResponse)
def item_page(request: Request, item_id: int, session: SessionDep, account: Reader) -> HTMLResponse:
    return _item_page(request, session, account, service.get_item(session, item_id))


@router.post("/catalog/items/{item_id}", response_model=None)
def update_item(
    request: Request, item_id: int, session: SessionDep, account: Writer, typed: Posted
) -> HTMLResponse | RedirectResponse:
    item = service.get_item(session, item_id)
    try:
        values: dict[str, Any] = {name: typed.get(name, "") for name in ITEM_EDIT}
        values["rfid_tag"] = values["rfid_tag"].strip() or None
        changed = ItemIn.model_validate(values)
        service.update_item(
            session,
            item_id,
            changed.model_dump(),
            actor=account.username,
            now=datetime.now(UTC),
        )
    except REFUSED as error:
        errors = errors_of(error, ITEM_EDIT)
        return _item_page(
            request, session, account, item, errors=errors, typed=typed, status_code=422
        )
    return RedirectResponse(f"/catalog/items/{item_id}?saved=1", status_code=303)
