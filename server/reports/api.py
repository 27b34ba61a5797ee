"""HTTP routes of the reports: each report as JSON, and as CSV for a spreadsheet.

A date that is not a date, or a window that ends before it starts, answers 422 with
FastAPI's error shape, `loc` naming the query parameter.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, status
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from server.auth.deps import requires
from server.auth.permissions import Permission
from server.deps import SessionDep
from server.reports import export, service

router = APIRouter(prefix="/api/reports", tags=["reports"])
READ = [Depends(requires(Permission.REPORTS_READ))]

Since = Annotated[date | None, Query(description="first day, YYYY-MM-DD (UTC)")]
Until = Annotated[date | None, Query(description="last day, included; default today")]


class CollectionRowPublic(BaseModel):
    home_branch: str
    item_type: str
    counts: dict[str, int]
    total: int


class CollectionPublic(BaseModel):
    statuses: list[str]
    rows: list[CollectionRowPublic]
    by_status: dict[str, int]
    by_branch: dict[str, int]
    by_type: dict[str, int]
    total: int


class NewItemPublic(BaseModel):
    item_id: int
    record_id: int
    barcode: str
    title: str
    home_branch: str
    item_type: str
    collection: str
    status: str
    created_at: datetime


class NewItemsPublic(BaseModel):
    since: date
    until: date
    items: list[NewItemPublic]
    total: int
    page: int
    per_page: int
    pages: int


class PatronCountsPublic(BaseModel):
    patrons: int
    expired: int
    blocked: int
    anonymised: int


class CategoryCountsPublic(PatronCountsPublic):
    category: str
    name: str


class BranchCountsPublic(PatronCountsPublic):
    home_branch: str


class PatronsPublic(BaseModel):
    today: date
    by_category: list[CategoryCountsPublic]
    by_branch: list[BranchCountsPublic]
    total: PatronCountsPublic


def _today() -> date:
    return datetime.now(UTC).date()


def refused(error: service.ReportInvalid) -> HTTPException:
    detail = [{"loc": ["query", error.field], "msg": error.message, "type": "value_error"}]
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail)


def window(since: date | None, until: date | None) -> tuple[date, date]:
    """The days asked for; by default the last 30 days, today included."""
    try:
        return service.window(since, until, _today())
    except service.ReportInvalid as error:
        raise refused(error) from error


def csv_response(chunks: Iterator[bytes], report: str) -> StreamingResponse:
    return StreamingResponse(
        chunks,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{export.filename(report)}"'},
    )


def counts_of(counts: service.PatronCounts) -> dict[str, int]:
    return {
        "patrons": counts.patrons,
        "expired": counts.expired,
        "blocked": counts.blocked,
        "anonymised": counts.anonymised,
    }


@router.get("/collection", response_model=CollectionPublic, dependencies=READ)
def collection(session: SessionDep) -> CollectionPublic:
    """Items by branch, item type and status, with totals by each."""
    report = service.collection(session)
    return CollectionPublic(
        statuses=report.statuses,
        rows=[
            CollectionRowPublic(
                home_branch=row.home_branch,
                item_type=row.item_type,
                counts=row.counts,
                total=row.total,
            )
            for row in report.rows
        ],
        by_status=report.by_status,
        by_branch=report.by_branch,
        by_type=report.by_type,
        total=report.total,
    )


@router.get("/collection.csv", response_class=StreamingResponse, dependencies=READ)
def collection_csv(session: SessionDep) -> StreamingResponse:
    return csv_response(export.collection(service.collection(session)), "collection")


@router.get("/new-items", response_model=NewItemsPublic, dependencies=READ)
def new_items(
    session: SessionDep,
    since: Since = None,
    until: Until = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=service.MAX_PAGE)] = 50,
) -> NewItemsPublic:
    """Items added from `since` to `until` (both included; default the last 30 days)."""
    first, last = window(since, until)
    found = service.new_items(session, first, last, page=page, per_page=per_page)
    return NewItemsPublic(
        since=found.since,
        until=found.until,
        items=[NewItemPublic(**vars(item)) for item in found.items],
        total=found.total,
        page=found.page,
        per_page=found.per_page,
        pages=found.pages,
    )


@router.get("/new-items.csv", response_class=StreamingResponse, dependencies=READ)
def new_items_csv(
    session: SessionDep, since: Since = None, until: Until = None
) -> StreamingResponse:
    """Every item added in the window, oldest first, streamed."""
    first, last = window(since, until)
    return csv_response(export.new_items(service.each_new_item(session, first, last)), "new-items")


@router.get("/patrons", response_model=PatronsPublic, dependencies=READ)
def patrons(session: SessionDep) -> PatronsPublic:
    """Patrons by category and by branch: on file, expired cards, blocked, anonymised."""
    report = service.patrons(session, _today())
    return PatronsPublic(
        today=report.today,
        by_category=[
            CategoryCountsPublic(
                category=c.key, name=report.category_names.get(c.key, c.key), **counts_of(c)
            )
            for c in report.by_category
        ],
        by_branch=[BranchCountsPublic(home_branch=b.key, **counts_of(b)) for b in report.by_branch],
        total=PatronCountsPublic(**counts_of(report.total)),
    )


@router.get("/patrons.csv", response_class=StreamingResponse, dependencies=READ)
def patrons_csv(
    session: SessionDep, by: Literal["category", "branch"] = "category"
) -> StreamingResponse:
    report = service.patrons(session, _today())
    return csv_response(export.patrons(report, by), f"patrons-by-{by}")
