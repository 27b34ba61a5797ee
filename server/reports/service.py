"""Reports for librarians: the collection by branch, type and status, new items, patrons.

Every figure is counted by the database with GROUP BY; rows are never loaded to be
counted, so a report over a million items is one scan. Days are UTC days.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from server.catalog.models import Item, Record
from server.catalog.shapes import ItemStatus
from server.patrons.models import Patron, PatronBlock, PatronCategory

MAX_PAGE = 100
NEW_ITEMS_DAYS = 30  # the new-items report's default window: today and the 29 days before
LAST_DAY = date(9998, 12, 31)  # the day after it must still be a date
EXPORT_BATCH = 1000  # rows fetched at a time while a CSV export streams


class ReportInvalid(ValueError):
    """A report asked for with values that make no sense; names the field and says why."""

    def __init__(self, field: str, code: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.code = code  # "order" or "range": pages translate it
        self.message = message


@dataclass(frozen=True)
class CollectionRow:
    """Items of one item type at one branch, by status."""

    home_branch: str
    item_type: str
    counts: dict[str, int]  # every status of the report, zeros included
    total: int


@dataclass(frozen=True)
class Collection:
    statuses: list[str]  # the columns: the known statuses in order, then any other found
    rows: list[CollectionRow]  # by branch, then item type
    by_status: dict[str, int]
    by_branch: dict[str, int]
    by_type: dict[str, int]
    total: int


@dataclass(frozen=True)
class NewItem:
    item_id: int
    record_id: int
    barcode: str
    title: str
    home_branch: str
    item_type: str
    collection: str
    status: str
    created_at: datetime


@dataclass(frozen=True)
class NewItemsPage:
    since: date
    until: date
    items: list[NewItem]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


@dataclass(frozen=True)
class PatronCounts:
    """Patrons of one category or branch. Expired and blocked count only patrons on file."""

    key: str  # the category code or the branch
    patrons: int = 0  # on file: not anonymised
    expired: int = 0  # card expired before today
    blocked: int = 0  # with a block set by staff and not lifted
    anonymised: int = 0  # erased on request, kept for statistics

    def plus(self, other: PatronCounts) -> PatronCounts:
        return PatronCounts(
            self.key,
            self.patrons + other.patrons,
            self.expired + other.expired,
            self.blocked + other.blocked,
            self.anonymised + other.anonymised,
        )


@dataclass(frozen=True)
class Patrons:
    today: date
    by_category: list[PatronCounts]  # every category, those without patrons too
    by_branch: list[PatronCounts]
    total: PatronCounts
    category_names: dict[str, str] = field(default_factory=dict)


def collection(session: Session) -> Collection:
    """Items by branch, item type and status, with the totals of each."""
    found = session.exec(
        select(Item.home_branch, Item.item_type, Item.status, func.count())
        .group_by(col(Item.home_branch), col(Item.item_type), col(Item.status))
        .order_by(col(Item.home_branch), col(Item.item_type), col(Item.status))
    ).all()
    known = [str(status) for status in ItemStatus]
    statuses = known + sorted({status for _, _, status, _ in found} - set(known))
    cells: dict[tuple[str, str], dict[str, int]] = {}
    by_status = dict.fromkeys(statuses, 0)
    by_branch: dict[str, int] = {}
    by_type: dict[str, int] = {}
    for branch, item_type, status, count in found:
        cells.setdefault((branch, item_type), dict.fromkeys(statuses, 0))[status] = count
        by_status[status] += count
        by_branch[branch] = by_branch.get(branch, 0) + count
        by_type[item_type] = by_type.get(item_type, 0) + count
    rows = [
        CollectionRow(branch, item_type, counts, sum(counts.values()))
        for (branch, item_type), counts in sorted(cells.items())
    ]
    return Collection(
        statuses,
        rows,
        by_status,
        dict(sorted(by_branch.items())),
        dict(sorted(by_type.items())),
        sum(by_status.values()),
    )


def window(since: date | None, until: date | None, today: date) -> tuple[date, date]:
    """The days asked for: until defaults to today, since to NEW_ITEMS_DAYS days before it."""
    until = until or today
    if since is None:
        earliest = date.min + timedelta(days=NEW_ITEMS_DAYS)
        since = until - timedelta(days=NEW_ITEMS_DAYS - 1) if until >= earliest else date.min
    check_window(since, until)
    return since, until


def check_window(since: date, until: date) -> None:
    if until > LAST_DAY:
        raise ReportInvalid("until", "range", f"until: must be on or before {LAST_DAY}")
    if since > until:
        raise ReportInvalid("since", "order", f"since: {since} is after until ({until}); swap them")


def _added_in(since: date, until: date) -> tuple[sa.ColumnElement[bool], ...]:
    check_window(since, until)
    start = datetime.combine(since, time.min, tzinfo=UTC)
    end = datetime.combine(until + timedelta(days=1), time.min, tzinfo=UTC)
    return col(Item.created_at) >= start, col(Item.created_at) < end


def _new_items_query(since: date, until: date) -> sa.Select:
    return (
        sa.select(
            col(Item.id),
            col(Item.record_id),
            col(Item.barcode),
            col(Record.title),
            col(Item.home_branch),
            col(Item.item_type),
            col(Item.collection),
            col(Item.status),
            col(Item.created_at),
        )
        .join(Record, col(Record.id) == col(Item.record_id))
        .where(*_added_in(since, until))
    )


def new_items(
    session: Session, since: date, until: date, *, page: int = 1, per_page: int = 50
) -> NewItemsPage:
    """Items added from `since` to `until` (both days included), newest first."""
    page, per_page = max(page, 1), min(max(per_page, 1), MAX_PAGE)
    query = _new_items_query(since, until)
    total = session.exec(select(func.count()).where(*_added_in(since, until))).one()
    rows = session.exec(
        query.order_by(col(Item.created_at).desc(), col(Item.id).desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return NewItemsPage(since, until, [NewItem(*row) for row in rows], total, page, per_page)


def each_new_item(session: Session, since: date, until: date) -> Iterator[NewItem]:
    """Every item added in the window, oldest first, fetched a batch at a time for export."""
    query = _new_items_query(since, until).order_by(col(Item.created_at), col(Item.id))
    result = session.exec(query.execution_options(yield_per=EXPORT_BATCH))
    for row in result:
        yield NewItem(*row)


def patrons(session: Session, today: date) -> Patrons:
    """Patrons by category and by branch, with how many have expired cards or blocks."""
    blocked = (
        select(PatronBlock.patron_id)
        .where(col(PatronBlock.lifted_at).is_(None))
        .distinct()
        .subquery()
    )
    on_file = col(Patron.anonymised_at).is_(None)

    def count_if(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
        return func.coalesce(func.sum(sa.case((condition, 1), else_=0)), 0)

    found = session.exec(
        sa.select(
            col(Patron.category),
            col(Patron.home_branch),
            count_if(on_file),
            count_if(on_file & (col(Patron.expires_on) < today)),
            count_if(on_file & blocked.c.patron_id.is_not(None)),
            count_if(~on_file),
        )
        .outerjoin(blocked, blocked.c.patron_id == col(Patron.id))
        .group_by(col(Patron.category), col(Patron.home_branch))
    ).all()
    names = {c.code: c.name for c in session.exec(select(PatronCategory)).all()}
    by_category = {code: PatronCounts(code) for code in names}
    by_branch: dict[str, PatronCounts] = {}
    total = PatronCounts("")
    for category, branch, *counts in found:
        part = PatronCounts("", *(int(n) for n in counts))
        by_category[category] = by_category.get(category, PatronCounts(category)).plus(part)
        by_branch[branch] = by_branch.get(branch, PatronCounts(branch)).plus(part)
        total = total.plus(part)
    return Patrons(
        today,
        [by_category[code] for code in sorted(by_category)],
        [by_branch[branch] for branch in sorted(by_branch)],
        total,
        names,
    )
