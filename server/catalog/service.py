"""Use cases of the catalogue: records and items, search, and intake by barcode.

Each function is one transaction and writes its audit entry in it. Importing whole files
in batches is the other use case, in batch.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from server.auth.service import audit
from server.catalog import isbn, search
from server.catalog.models import Item, Record, RecordIsbn
from server.catalog.shapes import ItemIn, ItemStatus, RecordIn, reason_of

MAX_PAGE = 100
RECORD_FIELDS = ("control_number", "title", "authors", "publisher", "year", "subjects")
RECORD_FIELDS += ("language", "call_number")
ITEM_FIELDS = tuple(ItemIn.model_fields)
Shape = TypeVar("Shape", RecordIn, ItemIn)


class RecordNotFound(LookupError):
    """No record (or item) with that id; the message says which."""


class CatalogConflict(Exception):
    """The change would make a duplicate (control number, ISBN, barcode or tag)."""


class CatalogInvalid(ValueError):
    """A change the record's or item's rules refuse; the message names each field."""


@dataclass(frozen=True)
class RecordDetail:
    record: Record
    isbns: list[str]
    items: list[Item]


@dataclass(frozen=True)
class Hit:
    record: Record
    isbns: list[str]
    items: int
    available: int


@dataclass(frozen=True)
class SearchPage:
    hits: list[Hit]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


@dataclass(frozen=True)
class Scan:
    """What a scanned code is: a known item, a known book, a new ISBN, or nothing we know."""

    code: str
    item: Item | None = None
    record: Record | None = None
    isbn: isbn.IsbnForms | None = None

    @property
    def outcome(self) -> str:
        if self.item is not None:
            return "item"
        if self.record is not None:
            return "record"
        return "new_isbn" if self.isbn is not None else "unknown"


def get_record(session: Session, record_id: int) -> RecordDetail:
    record = session.get(Record, record_id)
    if record is None:
        raise RecordNotFound(f"no record {record_id}")
    items = session.exec(
        select(Item).where(Item.record_id == record_id).order_by(col(Item.barcode))
    ).all()
    return RecordDetail(record, isbns_of(session, record_id), list(items))


def isbns_of(session: Session, record_id: int) -> list[str]:
    return list(
        session.exec(
            select(RecordIsbn.isbn)
            .where(RecordIsbn.record_id == record_id)
            .order_by(col(RecordIsbn.position))
        ).all()
    )


def get_item(session: Session, item_id: int) -> Item:
    item = session.get(Item, item_id)
    if item is None:
        raise RecordNotFound(f"no item {item_id}")
    return item


def item_by_barcode(session: Session, barcode: str) -> Item | None:
    return session.exec(select(Item).where(Item.barcode == barcode.strip())).first()


def record_by_isbn(session: Session, isbn13: str) -> Record | None:
    found = session.exec(select(Record).join(RecordIsbn).where(RecordIsbn.isbn == isbn13)).first()
    return found


def create_record(
    session: Session, data: RecordIn, items: Sequence[ItemIn], *, actor: str, now: datetime
) -> RecordDetail:
    _refuse_duplicates(session, data, items, record_id=None)
    record = Record(**data.model_dump(include=set(RECORD_FIELDS)), created_at=now, updated_at=now)
    session.add(record)
    session.flush()
    assert record.id is not None
    _set_isbns(session, record.id, data.isbns)
    made = [_new_item(session, record.id, item, now) for item in items]
    audit(session, actor, "record.created", "record", record.id, _created(data), now=now)
    for item in made:
        audit(session, actor, "item.created", "item", item.id, _item_created(item), now=now)
    _commit(session, record.id)
    return get_record(session, record.id)


def update_record(
    session: Session, record_id: int, changes: dict[str, Any], *, actor: str, now: datetime
) -> RecordDetail:
    """Apply the given fields; the record they make must pass RecordIn's rules."""
    current = get_record(session, record_id)
    record = current.record
    merged = _valid(
        RecordIn,
        {**record.model_dump(include=set(RECORD_FIELDS)), "isbns": current.isbns, **changes},
    )
    _refuse_duplicates(session, merged, [], record_id=record_id)
    diff: dict[str, Any] = {}
    for name in RECORD_FIELDS:
        new = getattr(merged, name)
        if name in changes and new != getattr(record, name):
            diff[name] = [getattr(record, name), new]
            setattr(record, name, new)
    if "isbns" in changes and merged.isbns != current.isbns:
        diff["isbns"] = [current.isbns, merged.isbns]
        _set_isbns(session, record_id, merged.isbns, replace=True)
    if diff:
        record.updated_at = now
        session.add(record)
        audit(session, actor, "record.changed", "record", record_id, diff, now=now)
        _commit(session, record_id)
    return get_record(session, record_id)


def add_item(session: Session, record_id: int, data: ItemIn, *, actor: str, now: datetime) -> Item:
    get_record(session, record_id)
    _refuse_item_duplicates(session, [data], item_id=None)
    item = _new_item(session, record_id, data, now)
    audit(session, actor, "item.created", "item", item.id, _item_created(item), now=now)
    _commit(session, record_id)
    session.refresh(item)
    return item


def update_item(
    session: Session, item_id: int, changes: dict[str, Any], *, actor: str, now: datetime
) -> Item:
    item = get_item(session, item_id)
    merged = _valid(ItemIn, {**item.model_dump(include=set(ITEM_FIELDS)), **changes})
    _refuse_item_duplicates(session, [merged], item_id=item_id)
    diff: dict[str, Any] = {}
    for name in ITEM_FIELDS:
        new = getattr(merged, name)
        if name in changes and new != getattr(item, name):
            diff[name] = [getattr(item, name), new]
            setattr(item, name, new)
    if diff:
        item.updated_at = now
        session.add(item)
        audit(session, actor, "item.changed", "item", item_id, diff, now=now)
        _commit(session, item.record_id)
        session.refresh(item)
    return item


def find(session: Session, query: str, *, page: int = 1, per_page: int = 20) -> SearchPage:
    """Records matching every word of the query (title, author, subject, ISBN, barcode).

    An empty query lists the newest records.
    """
    per_page = max(1, min(per_page, MAX_PAGE))
    page = max(page, 1)
    offset = (page - 1) * per_page
    connection = session.connection()
    if query.strip():
        ids, total = search.find(connection, query, offset=offset, limit=per_page)
    else:
        total = session.exec(select(func.count()).select_from(Record)).one()
        ids = list(
            session.exec(
                select(Record.id).order_by(col(Record.id).desc()).offset(offset).limit(per_page)
            ).all()
        )
    records = {r.id: r for r in session.exec(select(Record).where(col(Record.id).in_(ids))).all()}
    isbns: dict[int, list[str]] = {}
    for row in session.exec(
        select(RecordIsbn).where(col(RecordIsbn.record_id).in_(ids)).order_by(RecordIsbn.position)
    ).all():
        isbns.setdefault(row.record_id, []).append(row.isbn)
    counts: dict[int, tuple[int, int]] = {}
    for record_id, status, count in session.exec(
        select(Item.record_id, Item.status, func.count())
        .where(col(Item.record_id).in_(ids))
        .group_by(Item.record_id, Item.status)
    ).all():
        total_items, available = counts.get(record_id, (0, 0))
        counts[record_id] = (
            total_items + count,
            available + (count if status == ItemStatus.AVAILABLE else 0),
        )
    hits = [Hit(records[i], isbns.get(i, []), *counts.get(i, (0, 0))) for i in ids if i in records]
    return SearchPage(hits, total, page, per_page)


def scan(session: Session, code: str) -> Scan:
    """Intake: a barcode we know shows its item; an ISBN we know, its record; else a new one."""
    code = code.strip()[:64]
    item = item_by_barcode(session, code) if code else None
    if item is not None:
        return Scan(code, item=item)
    if isbn.looks_like_isbn(code):
        try:
            isbn13 = isbn.normalise(code)
        except ValueError:
            return Scan(code)
        record = record_by_isbn(session, isbn13)
        return Scan(code, record=record, isbn=isbn.forms(isbn13))
    return Scan(code)


def document_of(session: Session, record: Record) -> search.Document:
    assert record.id is not None
    barcodes = session.exec(select(Item.barcode).where(Item.record_id == record.id)).all()
    return search.Document(
        record.id,
        record.title,
        record.authors,
        record.subjects,
        isbns_of(session, record.id),
        list(barcodes),
    )


def _valid(shape: type[Shape], values: dict[str, Any]) -> Shape:
    try:
        return shape.model_validate(values)
    except ValidationError as error:
        raise CatalogInvalid(reason_of(error)) from error


def _commit(session: Session, record_id: int) -> None:
    try:
        session.flush()
        record = session.get(Record, record_id)
        assert record is not None
        search.index(session.connection(), [document_of(session, record)])
        session.commit()
    except IntegrityError as error:
        session.rollback()
        raise CatalogConflict(
            "that would duplicate a barcode, tag, ISBN or control number"
        ) from error


def _set_isbns(
    session: Session, record_id: int, isbns: Sequence[str], *, replace: bool = False
) -> None:
    if replace:
        for row in session.exec(select(RecordIsbn).where(RecordIsbn.record_id == record_id)):
            session.delete(row)
        session.flush()
    for position, value in enumerate(isbns):
        session.add(RecordIsbn(isbn=value, record_id=record_id, position=position))


def _new_item(session: Session, record_id: int, data: ItemIn, now: datetime) -> Item:
    item = Item(**data.model_dump(), record_id=record_id, created_at=now, updated_at=now)
    session.add(item)
    session.flush()
    return item


def _refuse_duplicates(
    session: Session, data: RecordIn, items: Sequence[ItemIn], *, record_id: int | None
) -> None:
    if data.control_number:
        other = session.exec(
            select(Record.id).where(Record.control_number == data.control_number)
        ).first()
        if other is not None and other != record_id:
            raise CatalogConflict(
                f"control_number: {data.control_number!r} is already record {other}"
            )
    if data.isbns:
        for value, other in session.exec(
            select(RecordIsbn.isbn, RecordIsbn.record_id).where(
                col(RecordIsbn.isbn).in_(data.isbns)
            )
        ).all():
            if other != record_id:
                raise CatalogConflict(f"isbns: {value} is already on record {other}")
    _refuse_item_duplicates(session, items, item_id=None)


def _refuse_item_duplicates(
    session: Session, items: Sequence[ItemIn], *, item_id: int | None
) -> None:
    barcodes = [i.barcode for i in items]
    if len(set(barcodes)) != len(barcodes):
        raise CatalogConflict("barcode: the same barcode is given twice")
    for item in items:
        other = item_by_barcode(session, item.barcode)
        if other is not None and other.id != item_id:
            raise CatalogConflict(
                f"barcode: {item.barcode!r} is already item {other.id} of record {other.record_id}"
            )
        if item.rfid_tag:
            tagged = session.exec(select(Item).where(Item.rfid_tag == item.rfid_tag)).first()
            if tagged is not None and tagged.id != item_id:
                raise CatalogConflict(
                    f"rfid_tag: {item.rfid_tag} is already on item {tagged.barcode!r}"
                )


def _created(data: RecordIn) -> dict[str, Any]:
    return {"title": data.title, "control_number": data.control_number, "isbns": data.isbns}


def _item_created(item: Item) -> dict[str, Any]:
    return {"barcode": item.barcode, "record_id": item.record_id, "status": item.status}
