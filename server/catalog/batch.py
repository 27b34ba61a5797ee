"""Importing many records at once: one transaction per batch, one audit entry per change.

A record matches an existing one on its control number (MARC 001), then on any ISBN; an
item matches on its barcode. Re-importing a file therefore updates instead of
duplicating. A record that cannot be stored is rejected with its reason and the rest of
the batch goes in; should the database still refuse the batch, it is rolled back and
its records are stored one transaction each, so no record is ever stored in part.
An item already in circulation (on loan, in transit, on the hold shelf) keeps its status.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from server.auth.models import AuditEntry
from server.catalog import search
from server.catalog.marc import Parsed
from server.catalog.models import Item, Record, RecordIsbn
from server.catalog.service import ITEM_FIELDS, RECORD_FIELDS
from server.catalog.shapes import ItemStatus, RecordIn

log = logging.getLogger(__name__)

AUDIT = AuditEntry.__table__  # type: ignore[attr-defined]
ISBNS = RecordIsbn.__table__  # type: ignore[attr-defined]
IN_CIRCULATION = {ItemStatus.ON_LOAN, ItemStatus.IN_TRANSIT, ItemStatus.ON_HOLD_SHELF}


@dataclass
class BatchResult:
    created: int = 0  # records new to the catalogue
    updated: int = 0  # records that were there already (changed or not)
    items_created: int = 0
    items_updated: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (number in file, reason)

    def merge(self, other: BatchResult) -> None:
        self.created += other.created
        self.updated += other.updated
        self.items_created += other.items_created
        self.items_updated += other.items_updated
        self.rejected += other.rejected


@dataclass
class _Plan:
    record: Record
    isbns: list[str]
    new: bool
    changes: dict[str, Any] = field(default_factory=dict)
    barcodes: set[str] = field(default_factory=set)


def import_batch(
    session: Session, entries: Sequence[tuple[int, Parsed]], *, actor: str, now: datetime
) -> BatchResult:
    """Store a batch of parsed records in one transaction (see the module docstring)."""
    try:
        result = _store(session, entries, actor, now)
        session.commit()
        return result
    except SQLAlchemyError as error:
        session.rollback()
        if len(entries) == 1:
            reason = str(getattr(error, "orig", error)).splitlines()[0]
            return BatchResult(rejected=[(entries[0][0], f"the database refused it: {reason}")])
        log.warning("batch of %d refused (%s); storing one by one", len(entries), error)
    result = BatchResult()
    for entry in entries:
        result.merge(import_batch(session, [entry], actor=actor, now=now))
    return result


def _store(
    session: Session, entries: Sequence[tuple[int, Parsed]], actor: str, now: datetime
) -> BatchResult:
    result = BatchResult()
    controls = {p.record.control_number for _, p in entries if p.record.control_number}
    isbn_list = {i for _, p in entries for i in p.record.isbns}
    barcodes = {i.barcode for _, p in entries for i in p.items}
    tags = {i.rfid_tag for _, p in entries for i in p.items if i.rfid_tag}
    by_control = dict(
        session.exec(
            select(Record.control_number, Record.id).where(col(Record.control_number).in_(controls))
        ).all()
    )
    by_isbn = dict(
        session.exec(
            select(RecordIsbn.isbn, RecordIsbn.record_id).where(col(RecordIsbn.isbn).in_(isbn_list))
        ).all()
    )
    items = {
        i.barcode: i for i in session.exec(select(Item).where(col(Item.barcode).in_(barcodes)))
    }
    tagged = dict(
        session.exec(select(Item.rfid_tag, Item.barcode).where(col(Item.rfid_tag).in_(tags))).all()
    )
    wanted = set(by_control.values()) | set(by_isbn.values())
    records = {r.id: r for r in session.exec(select(Record).where(col(Record.id).in_(wanted)))}
    isbns_now: dict[int, list[str]] = {}
    for row in session.exec(
        select(RecordIsbn)
        .where(col(RecordIsbn.record_id).in_(wanted))
        .order_by(RecordIsbn.position)
    ):
        isbns_now.setdefault(row.record_id, []).append(row.isbn)
    all_barcodes: dict[int, set[str]] = {}
    for record_id, barcode in session.exec(
        select(Item.record_id, Item.barcode).where(col(Item.record_id).in_(wanted))
    ):
        all_barcodes.setdefault(record_id, set()).add(barcode)

    plans: dict[object, _Plan] = {}  # by record id, or by a key of a record new in this batch
    claimed_isbn: dict[str, object] = {}
    claimed_control: dict[str, object] = {}
    claimed_barcode: dict[str, object] = {}
    claimed_tag: dict[str, str] = {}
    new_items: list[tuple[_Plan, Item]] = []
    audits: list[dict[str, Any]] = []
    for number, parsed in entries:
        data = parsed.record
        key: object | None = None
        if data.control_number:
            key = by_control.get(data.control_number) or claimed_control.get(data.control_number)
        if key is None:
            key = next(
                (
                    by_isbn.get(i) or claimed_isbn.get(i)
                    for i in data.isbns
                    if i in by_isbn or i in claimed_isbn
                ),
                None,
            )
        conflict = _conflict(data.isbns, key, by_isbn, claimed_isbn)
        if conflict is None and isinstance(key, int) and data.control_number:
            known = records[key].control_number
            if known and known != data.control_number:
                conflict = (
                    f"isbns: on record {key}, whose control number is {known!r}, "
                    f"not {data.control_number!r}"
                )
        target = key if key is not None else ("new", number)
        for item in parsed.items:
            if conflict:
                break
            existing = items.get(item.barcode)
            owner = claimed_barcode.get(item.barcode)
            if existing is not None and existing.id is not None and existing.record_id != key:
                conflict = (
                    f"barcode: {item.barcode!r} is already item {existing.id} "
                    f"of record {existing.record_id}"
                )
            elif owner is not None and owner != target:
                conflict = f"barcode: {item.barcode!r} is on another record in this file"
            elif item.rfid_tag and tagged.get(item.rfid_tag, item.barcode) != item.barcode:
                conflict = f"rfid_tag: {item.rfid_tag} is already on item {tagged[item.rfid_tag]!r}"
            elif item.rfid_tag and claimed_tag.get(item.rfid_tag, item.barcode) != item.barcode:
                conflict = f"rfid_tag: {item.rfid_tag} is on another item in this file"
        if conflict:
            result.rejected.append((number, conflict))
            continue

        plan = plans.get(target)
        if plan is not None:
            result.updated += 1
        elif isinstance(key, int):
            plan = _Plan(records[key], list(isbns_now.get(key, [])), new=False)
            plan.barcodes = set(all_barcodes.get(key, set()))
            result.updated += 1
        else:
            values = data.model_dump(include=set(RECORD_FIELDS))
            plan = _Plan(Record(**values, created_at=now, updated_at=now), [], new=True)
            session.add(plan.record)
            result.created += 1
        plans[target] = plan
        _apply_record(plan, data, now)
        for value in data.isbns:
            claimed_isbn[value] = target
        if data.control_number:
            claimed_control[data.control_number] = target
        for incoming in parsed.items:
            claimed_barcode[incoming.barcode] = target
            if incoming.rfid_tag:
                claimed_tag[incoming.rfid_tag] = incoming.barcode
            plan.barcodes.add(incoming.barcode)
            existing = items.get(incoming.barcode)
            if existing is None:
                made = Item(**incoming.model_dump(), record_id=0, created_at=now, updated_at=now)
                items[incoming.barcode] = made
                new_items.append((plan, made))
                result.items_created += 1
                continue
            diff = _apply_item(existing, incoming.model_dump(), now)
            if existing.id is None:
                continue  # new in this batch: its creation is audited below
            result.items_updated += 1
            if diff:
                audits.append(_audit(actor, "item.changed", "item", existing.id, diff, now))

    session.flush()  # new records get their ids
    for plan, made in new_items:
        made.record_id = plan.record.id  # type: ignore[assignment]
        session.add(made)
    session.flush()
    isbn_rows: list[dict[str, Any]] = []
    replaced: list[int] = []
    for plan in plans.values():
        record_id = plan.record.id
        assert record_id is not None
        if plan.new:
            created = {"title": plan.record.title, "control_number": plan.record.control_number}
            created["isbns"] = plan.isbns
            audits.append(_audit(actor, "record.created", "record", record_id, created, now))
        elif plan.changes:
            audits.append(_audit(actor, "record.changed", "record", record_id, plan.changes, now))
        if plan.new or "isbns" in plan.changes:
            replaced.append(record_id)
            isbn_rows += [
                {"isbn": v, "record_id": record_id, "position": n} for n, v in enumerate(plan.isbns)
            ]
    for _plan, made in new_items:
        audits.append(
            _audit(actor, "item.created", "item", made.id, {"barcode": made.barcode}, now)
        )
    connection = session.connection()
    if replaced:
        connection.execute(sa.delete(ISBNS).where(ISBNS.c.record_id.in_(replaced)))
    if isbn_rows:
        connection.execute(sa.insert(ISBNS), isbn_rows)
    if audits:
        connection.execute(sa.insert(AUDIT), audits)
    search.index(
        connection,
        (
            search.Document(
                p.record.id,  # type: ignore[arg-type]
                p.record.title,
                p.record.authors,
                p.record.subjects,
                p.isbns,
                sorted(p.barcodes),
            )
            for p in plans.values()
        ),
    )
    return result


def _conflict(
    isbns: Sequence[str],
    key: object | None,
    by_isbn: dict[str, int],
    claimed: dict[str, object],
) -> str | None:
    for value in isbns:
        owner = by_isbn.get(value) or claimed.get(value)
        if owner is not None and key is not None and owner != key:
            where = f"record {owner}" if isinstance(owner, int) else "another record in this file"
            return f"isbns: {value} is already on {where}"
    return None


def _apply_record(plan: _Plan, data: RecordIn, now: datetime) -> None:
    record = plan.record
    for name in RECORD_FIELDS:
        new, old = getattr(data, name), getattr(record, name)
        if new == old or (name == "control_number" and new is None):
            continue
        if not plan.new:
            first = plan.changes.get(name, [old])[0]
            plan.changes[name] = [first, new]
        setattr(record, name, new)
        record.updated_at = now
    merged = list(dict.fromkeys([*plan.isbns, *data.isbns]))
    if merged != plan.isbns:
        if not plan.new:
            plan.changes["isbns"] = [plan.changes.get("isbns", [plan.isbns])[0], merged]
        plan.isbns = merged


def _apply_item(item: Item, values: dict[str, Any], now: datetime) -> dict[str, Any]:
    diff: dict[str, Any] = {}
    for name in ITEM_FIELDS:
        new, old = values[name], getattr(item, name)
        if name == "status" and old in IN_CIRCULATION:
            continue
        if new != old:
            diff[name] = [old, new]
            setattr(item, name, new)
    if diff:
        item.updated_at = now
    return diff


def _audit(
    actor: str, action: str, entity: str, entity_id: object, changes: dict, now: datetime
) -> dict[str, Any]:
    return {
        "at": now,
        "actor": actor,
        "action": action,
        "entity": entity,
        "entity_id": str(entity_id),
        "changes": changes,
    }
