"""HTTP routes of the catalogue: search, records and items, and intake scans.

The service's refusals (REFUSALS) reach the client through one app-level handler,
`answer_refusal`: unknown id 404, duplicate 409, a rule broken 422 naming the field.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response, status
from fastapi.exception_handlers import http_exception_handler
from pydantic import BaseModel, ConfigDict, Field

from server.auth.deps import requires
from server.auth.models import Account
from server.auth.permissions import Permission
from server.catalog import service
from server.catalog.models import Item
from server.catalog.shapes import ItemIn, ItemStatus, RecordIn
from server.deps import SessionDep

router = APIRouter(prefix="/api/catalog", tags=["catalog"])
READ = [Depends(requires(Permission.CATALOG_READ))]
Writer = Annotated[Account, Depends(requires(Permission.CATALOG_WRITE))]


class ItemCreate(ItemIn):
    pass


class RecordCreate(RecordIn):
    items: list[ItemCreate] = Field(default_factory=list, max_length=200)


class RecordUpdate(BaseModel):
    """Only the fields given change; each follows the same rules as on creation."""

    model_config = ConfigDict(extra="forbid")

    control_number: str | None = None
    title: str | None = None
    authors: list[str] | None = None
    isbns: list[str] | None = None
    publisher: str | None = None
    year: int | None = None
    subjects: list[str] | None = None
    language: str | None = None
    call_number: str | None = None


class ItemUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    barcode: str | None = None
    rfid_tag: str | None = None
    home_branch: str | None = None
    zone: str | None = None
    stack: str | None = None
    shelf: str | None = None
    collection: str | None = None
    item_type: str | None = None
    status: ItemStatus | None = None
    parts: int | None = None


class ItemPublic(BaseModel):
    id: int
    record_id: int
    barcode: str
    rfid_tag: str | None
    home_branch: str
    zone: str
    stack: str
    shelf: str
    collection: str
    item_type: str
    status: ItemStatus
    parts: int
    created_at: datetime
    updated_at: datetime


class RecordPublic(BaseModel):
    id: int
    control_number: str | None
    title: str
    authors: list[str]
    isbns: list[str]
    publisher: str
    year: int | None
    subjects: list[str]
    language: str
    call_number: str
    created_at: datetime
    updated_at: datetime
    items: list[ItemPublic]


class HitPublic(BaseModel):
    id: int
    title: str
    authors: list[str]
    isbns: list[str]
    year: int | None
    call_number: str
    items: int
    available: int


class SearchPublic(BaseModel):
    hits: list[HitPublic]
    total: int
    page: int
    per_page: int
    pages: int


class ScanPublic(BaseModel):
    code: str
    outcome: str = Field(description="item, record, new_isbn or unknown")
    item: ItemPublic | None
    record_id: int | None
    isbn13: str | None
    isbn10: str | None
    isbn_hyphenated: str | None


def refused(error: Exception) -> HTTPException:
    """A service's refusal as the HTTP answer that says the same."""
    if isinstance(error, service.RecordNotFound):
        return HTTPException(status.HTTP_404_NOT_FOUND, str(error))
    if isinstance(error, service.CatalogConflict):
        return HTTPException(status.HTTP_409_CONFLICT, str(error))
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(error))


REFUSALS = (service.RecordNotFound, service.CatalogConflict, service.CatalogInvalid)


async def answer_refusal(request: Request, error: Exception) -> Response:
    """Registered on the app for REFUSALS, so routes let the service's refusals through."""
    return await http_exception_handler(request, refused(error))


def record_public(detail: service.RecordDetail) -> RecordPublic:
    return RecordPublic(
        **detail.record.model_dump(),
        isbns=detail.isbns,
        items=[ItemPublic.model_validate(i, from_attributes=True) for i in detail.items],
    )


@router.get("/search", response_model=SearchPublic, dependencies=READ)
def search(
    session: SessionDep,
    q: Annotated[str, Query(max_length=200)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=service.MAX_PAGE)] = 20,
) -> SearchPublic:
    """Every word must match title, author, subject, ISBN (any form) or barcode."""
    found = service.find(session, q, page=page, per_page=per_page)
    return SearchPublic(
        hits=[
            HitPublic(
                **hit.record.model_dump(include={"id", "title", "authors", "year", "call_number"}),
                isbns=hit.isbns,
                items=hit.items,
                available=hit.available,
            )
            for hit in found.hits
        ],
        total=found.total,
        page=found.page,
        per_page=found.per_page,
        pages=found.pages,
    )


@router.post("/records", response_model=RecordPublic, status_code=status.HTTP_201_CREATED)
def create_record(form: RecordCreate, session: SessionDep, account: Writer) -> RecordPublic:
    detail = service.create_record(
        session,
        RecordIn.model_validate(form.model_dump(exclude={"items"})),
        form.items,
        actor=account.username,
        now=datetime.now(UTC),
    )
    return record_public(detail)


@router.get("/records/{record_id}", response_model=RecordPublic, dependencies=READ)
def record(record_id: int, session: SessionDep) -> RecordPublic:
    return record_public(service.get_record(session, record_id))


@router.patch("/records/{record_id}", response_model=RecordPublic)
def update_record(
    record_id: int, form: RecordUpdate, session: SessionDep, account: Writer
) -> RecordPublic:
    detail = service.update_record(
        session,
        record_id,
        form.model_dump(exclude_unset=True),
        actor=account.username,
        now=datetime.now(UTC),
    )
    return record_public(detail)


@router.post(
    "/records/{record_id}/items", response_model=ItemPublic, status_code=status.HTTP_201_CREATED
)
def add_item(record_id: int, form: ItemCreate, session: SessionDep, account: Writer) -> Item:
    return service.add_item(session, record_id, form, actor=account.username, now=datetime.now(UTC))


@router.get("/items", response_model=list[ItemPublic], dependencies=READ)
def items_by_barcode(
    session: SessionDep, barcode: Annotated[str, Query(min_length=1, max_length=64)]
) -> list[Item]:
    found = service.item_by_barcode(session, barcode)
    return [found] if found else []


@router.get("/items/{item_id}", response_model=ItemPublic, dependencies=READ)
def item(item_id: int, session: SessionDep) -> Item:
    return service.get_item(session, item_id)


@router.patch("/items/{item_id}", response_model=ItemPublic)
def update_item(item_id: int, form: ItemUpdate, session: SessionDep, account: Writer) -> Item:
    return service.update_item(
        session,
        item_id,
        form.model_dump(exclude_unset=True),
        actor=account.username,
        now=datetime.now(UTC),
    )


@router.get("/scan", response_model=ScanPublic, dependencies=READ)
def scan(session: SessionDep, code: Annotated[str, Query(min_length=1, max_length=64)]) -> Any:
    """What a scanned barcode or ISBN is: an item, a record to add a copy to, or a new book."""
    found = service.scan(session, code)
    forms = found.isbn
    return ScanPublic(
        code=found.code,
        outcome=found.outcome,
        item=ItemPublic.model_validate(found.item, from_attributes=True) if found.item else None,
        record_id=(
            found.record.id if found.record else found.item.record_id if found.item else None
        ),
        isbn13=forms.isbn13 if forms else None,
        isbn10=forms.isbn10 if forms else None,
        isbn_hyphenated=forms.hyphenated if forms else None,
    )
