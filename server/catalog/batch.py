"""Importing many records at once: one transaction per batch, one audit entry per change.

A record matches an existing one on its control number (MARC 001), then on any ISBN; an
item matches on its barcode. Re-importing a file therefore updates instead of
duplicating. A record that cannot be stored is rejected with its reason and the rest of
the batch goes in; should the database still refuse the batch, it is rolled back and
its records are stored one transaction each, so no record is ever stored in part.
An item already in circulation (on loan, in transit, on the hold shelf) keeps its status.

Rows are written with statements over whole batches, not ORM objects: a batch is a few
statements whatever its size. On PostgreSQL new rows go in through COPY, their ids drawn
from the sequence beforehand (COPY is PostgreSQL's cheapest way in, for the server and
for psycopg, which formats the rows in C).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from server.auth.models import AuditEntry
from server.catalog import search
from server.catalog.marc import Parsed
from server.catalog.models import Item, Record, RecordIsbn
from server.catalog.service import ITEM_FIELDS, RECORD_FIELDS
from server.catalog.shapes import ItemStatus

log = logging.getLogger(__name__)

AUDIT = AuditEntry.__table__  # type: ignore[attr-defined]
ISBNS = RecordIsbn.__table__  # type: ignore[attr-defined]
RECORDS = Record.__table__  # type: ignore[attr-defined]
ITEMS = Item.__table__  # type: ignore[attr-defined]
IN_CIRCULATION = {ItemStatus.ON_LOAN, ItemStatus.IN_TRANSIT, ItemStatus.ON_HOLD_SHELF}
SQLITE_VARIABLES = 20_000  # values in one IN (...), below SQLite's limit of 32,766


@dataclass(slots=True)
class Incoming:
    """One parsed record as plain values: what the writer stores, small to send between
    processes (pydantic models pickle several times larger and slower)."""

    record: dict[str, Any]  # RECORD_FIELDS
    isbns: list[str]
    items: list[dict[str, Any]]  # ITEM_FIELDS

    @classmethod
    def of(cls, parsed: Parsed) -> Incoming:
        record = {name: getattr(parsed.record, name) for name in RECORD_FIELDS}
        items = []
        for item in parsed.items:
            values = {name: getattr(item, name) for name in ITEM_FIELDS}
            values["status"] = item.status.value
            items.append(values)
        return cls(record, list(parsed.record.isbns), items)


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
    record: dict[str, Any]  # RECORD_FIELDS as they will be stored
    isbns: list[str]
    new: bool
    id: int | None = None  # None until a new record is inserted
    changes: dict[str, Any] = field(default_factory=dict)
    barcodes: set[str] = field(default_factory=set)
    row_changed: bool = False
    indexed_changed: bool = False  # what the search index holds for it changed


@dataclass
class _Item:
    values: dict[str, Any]  # ITEM_FIELDS
    plan: _Plan | None  # the record a new item goes to
    id: int | None = None
    record_id: int | None = None
    diff: dict[str, Any] = field(default_factory=dict)


def import_batch(
    connection: Connection, entries: Sequence[tuple[int, Incoming]], *, actor: str, now: datetime
) -> BatchResult:
    """Store a batch of parsed records in one transaction (see the module docstring)."""
    try:
        result = _store(connection, entries, actor, now)
        connection.commit()
        return result
    except SQLAlchemyError as error:
        connection.rollback()
        if len(entries) == 1:
            reason = str(getattr(error, "orig", error)).splitlines()[0]
            return BatchResult(rejected=[(entries[0][0], f"the database refused it: {reason}")])
        log.warning("batch of %d refused (%s); storing one by one", len(entries), error)
    result = BatchResult()
    for entry in entries:
        result.merge(import_batch(connection, [entry], actor=actor, now=now))
    return result


def _store(
    connection: Connection, entries: Sequence[tuple[int, Incoming]], actor: str, now: datetime
) -> BatchResult:
    result = BatchResult()
    controls = {e.record["control_number"] for _, e in entries if e.record["control_number"]}
    isbn_list = {i for _, e in entries for i in e.isbns}
    barcodes = {i["barcode"] for _, e in entries for i in e.items}
    tags = {i["rfid_tag"] for _, e in entries for i in e.items if i["rfid_tag"]}
    r, i = RECORDS.c, ITEMS.c
    by_control = dict(_rows(connection, [r.control_number, r.id], r.control_number, controls))
    by_isbn = dict(_rows(connection, [ISBNS.c.isbn, ISBNS.c.record_id], ISBNS.c.isbn, isbn_list))
    items: dict[str, _Item] = {}
    item_columns = [i.id, i.record_id, *(i[n] for n in ITEM_FIELDS)]
    for row in _rows(connection, item_columns, i.barcode, barcodes):
        values = {n: row._mapping[n] for n in ITEM_FIELDS}
        items[row.barcode] = _Item(values, None, id=row.id, record_id=row.record_id)
    tagged = dict(_rows(connection, [i.rfid_tag, i.barcode], i.rfid_tag, tags))
    wanted = set(by_control.values()) | set(by_isbn.values())
    records = {
        row.id: {n: row._mapping[n] for n in RECORD_FIELDS}
        for row in _rows(connection, [r.id, *(r[n] for n in RECORD_FIELDS)], r.id, wanted)
    }
    isbns_now: dict[int, list[str]] = {}
    isbn_columns = [ISBNS.c.record_id, ISBNS.c.isbn, ISBNS.c.position]
    rows = _rows(connection, isbn_columns, ISBNS.c.record_id, wanted)
    for record_id, number, _position in sorted(rows, key=lambda row: (row[0], row[2])):
        isbns_now.setdefault(record_id, []).append(number)
    all_barcodes: dict[int, set[str]] = {}
    for record_id, barcode in _rows(connection, [i.record_id, i.barcode], i.record_id, wanted):
        all_barcodes.setdefault(record_id, set()).add(barcode)

    plans: dict[object, _Plan] = {}  # by record id, or by a key of a record new in this batch
    claimed_isbn: dict[str, object] = {}
    claimed_control: dict[str, object] = {}
    claimed_barcode: dict[str, object] = {}
    claimed_tag: dict[str, str] = {}
    new_items: list[_Item] = []
    changed_items: list[_Item] = []
    for number, incoming in entries:
        data = incoming.record
        control = data["control_number"]
        key: object | None = None
        if control:
            key = by_control.get(control) or claimed_control.get(control)
        if key is None:
            key = next(
                (
                    by_isbn.get(v) or claimed_isbn.get(v)
                    for v in incoming.isbns
                    if v in by_isbn or v in claimed_isbn
                ),
                None,
            )
        conflict = _conflict(incoming.isbns, key, by_isbn, claimed_isbn)
        if conflict is None and isinstance(key, int) and control:
            known = records[key]["control_number"]
            if known and known != control:
                conflict = (
                    f"isbns: on record {key}, whose control number is {known!r}, not {control!r}"
                )
        target = key if key is not None else ("new", number)
        for item in incoming.items:
            if conflict:
                break
            barcode, tag = item["barcode"], item["rfid_tag"]
            existing = items.get(barcode)
            owner = claimed_barcode.get(barcode)
            if existing is not None and existing.id is not None and existing.record_id != key:
                conflict = (
                    f"barcode: {barcode!r} is already item {existing.id} "
                    f"of record {existing.record_id}"
                )
            elif owner is not None and owner != target:
                conflict = f"barcode: {barcode!r} is on another record in this file"
            elif tag and tagged.get(tag, barcode) != barcode:
                conflict = f"rfid_tag: {tag} is already on item {tagged[tag]!r}"
            elif tag and claimed_tag.get(tag, barcode) != barcode:
                conflict = f"rfid_tag: {tag} is on another item in this file"
        if conflict:
            result.rejected.append((number, conflict))
            continue

        plan = plans.get(target)
        if plan is not None:
            result.updated += 1
        elif isinstance(key, int):
            plan = _Plan(dict(records[key]), list(isbns_now.get(key, [])), new=False, id=key)
            plan.barcodes = set(all_barcodes.get(key, set()))
            result.updated += 1
        else:
            plan = _Plan(dict(data), [], new=True, indexed_changed=True)
            result.created += 1
        plans[target] = plan
        _apply_record(plan, data, incoming.isbns)
        for value in incoming.isbns:
            claimed_isbn[value] = target
        if control:
            claimed_control[control] = target
        for values in incoming.items:
            barcode = values["barcode"]
            claimed_barcode[barcode] = target
            if values["rfid_tag"]:
                claimed_tag[values["rfid_tag"]] = barcode
            if barcode not in plan.barcodes:
                plan.barcodes.add(barcode)
                plan.indexed_changed = True
            existing = items.get(barcode)
            if existing is None:
                made = _Item(dict(values), plan)
                items[barcode] = made
                new_items.append(made)
                result.items_created += 1
                continue
            diff = _apply_item(existing.values, values)
            if existing.id is None:
                continue  # new in this batch: its creation is audited below
            result.items_updated += 1
            if diff and not existing.diff:
                changed_items.append(existing)
            for name, (old, new) in diff.items():
                existing.diff[name] = [existing.diff.get(name, [old])[0], new]
    _write(connection, list(plans.values()), new_items, changed_items, actor, now)
    return result


def _write(
    connection: Connection,
    plans: list[_Plan],
    new_items: list[_Item],
    changed_items: list[_Item],
    actor: str,
    now: datetime,
) -> None:
    created = [p for p in plans if p.new]
    stamps = {"created_at": now, "updated_at": now}
    ids = _insert(connection, RECORDS, [{**p.record, **stamps} for p in created], ids=True)
    for plan, new_id in zip(created, ids, strict=True):
        plan.id = new_id
    _update(connection, RECORDS, [(p.id, p.record) for p in plans if p.row_changed], now)
    for made in new_items:
        made.record_id = made.plan.id  # type: ignore[union-attr]
    rows = [{**m.values, "record_id": m.record_id, **stamps} for m in new_items]
    for made, new_id in zip(new_items, _insert(connection, ITEMS, rows, ids=True), strict=True):
        made.id = new_id
    _update(connection, ITEMS, [(m.id, m.values) for m in changed_items], now)

    audits: list[dict[str, Any]] = []
    replaced: list[int] = []
    isbn_rows: list[dict[str, Any]] = []
    for plan in plans:
        if plan.new or "isbns" in plan.changes:
            replaced.append(plan.id)  # type: ignore[arg-type]
            isbn_rows += [
                {"isbn": v, "record_id": plan.id, "position": n} for n, v in enumerate(plan.isbns)
            ]
        if plan.new:
            shown = {key: plan.record[key] for key in ("title", "control_number")}
            shown["isbns"] = plan.isbns
            audits.append(_audit(actor, "record.created", "record", plan.id, shown, now))
        elif plan.changes:
            audits.append(_audit(actor, "record.changed", "record", plan.id, plan.changes, now))
    for changed in changed_items:
        audits.append(_audit(actor, "item.changed", "item", changed.id, changed.diff, now))
    for made in new_items:
        barcode = {"barcode": made.values["barcode"]}
        audits.append(_audit(actor, "item.created", "item", made.id, barcode, now))
    old = [p.id for p in plans if not p.new and "isbns" in p.changes]
    for start in range(0, len(old), SQLITE_VARIABLES):
        chunk = old[start : start + SQLITE_VARIABLES]
        connection.execute(sa.delete(ISBNS).where(ISBNS.c.record_id.in_(chunk)))
    _insert(connection, ISBNS, isbn_rows)
    _insert(connection, AUDIT, audits)
    search.index(
        connection,
        (
            search.Document(
                p.id,  # type: ignore[arg-type]
                p.record["title"],
                p.record["authors"],
                p.record["subjects"],
                p.isbns,
                sorted(p.barcodes),
            )
            for p in plans
            if p.indexed_changed
        ),
    )


def _rows(
    connection: Connection, columns: list[sa.ColumnElement], key: sa.Column, values: Iterable[Any]
) -> list[sa.Row]:
    """The rows whose `key` is one of `values`."""
    values = list(values)
    if not values:
        return []
    if connection.dialect.name == "postgresql":
        array = sa.bindparam("values", values, type_=postgresql.ARRAY(key.type))
        return list(connection.execute(sa.select(*columns).where(key == sa.any_(array))))
    # SQLite: the values as one JSON parameter, not thousands of bound ones
    listed = sa.select(sa.column("value")).select_from(sa.func.json_each(sa.bindparam("values")))
    statement = sa.select(*columns).where(key.in_(listed.scalar_subquery()))
    return list(connection.execute(statement, {"values": json.dumps(values)}))


def _insert(
    connection: Connection, table: sa.Table, rows: list[dict[str, Any]], *, ids: bool = False
) -> list[int]:
    """Insert `rows`; with `ids`, return the new rows' ids in the order of `rows`."""
    if not rows:
        return []
    if connection.dialect.name != "postgresql":
        new_ids: list[int] = []
        if ids:
            # The ids SQLite would give, decided here so one executemany inserts them all.
            # Should another writer take one meanwhile, the primary key refuses the batch
            # and it is stored again a record at a time.
            last = connection.execute(sa.select(sa.func.max(table.c.id))).scalar() or 0
            new_ids = list(range(last + 1, last + 1 + len(rows)))
            rows = [{**row, "id": new_id} for row, new_id in zip(rows, new_ids, strict=True)]
        names = list(rows[0])
        columns = [_bound(connection, table.c[name], [row[name] for row in rows]) for name in names]
        connection.exec_driver_sql(
            f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
            list(zip(*columns, strict=True)),
        )
        return new_ids
    new_ids = []
    if ids:
        new_ids = list(
            connection.execute(
                sa.text(
                    "SELECT nextval(pg_get_serial_sequence(:table, 'id')) "
                    "FROM generate_series(1, :n)"
                ),
                {"table": table.name, "n": len(rows)},
            ).scalars()
        )
        rows = [{**row, "id": new_id} for row, new_id in zip(rows, new_ids, strict=True)]
    names = list(rows[0])
    json_columns = {name for name in names if isinstance(table.c[name].type, sa.JSON)}
    quote = connection.dialect.identifier_preparer.quote
    driver = connection.connection.driver_connection  # psycopg, in this transaction
    with (
        driver.cursor() as cursor,  # type: ignore[union-attr]
        cursor.copy(f"COPY {table.name} ({', '.join(quote(n) for n in names)}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row([json.dumps(row[n]) if n in json_columns else row[n] for n in names])
    return new_ids


def _bound(connection: Connection, column: sa.Column, values: list[Any]) -> list[Any]:
    """Values as the column's type hands them to the driver (JSON text, UTC timestamps),
    converted once per distinct timestamp: SQLAlchemy would convert every row's again."""
    convert = column.type.dialect_impl(connection.dialect).bind_processor(connection.dialect)
    if convert is None:
        return values
    if isinstance(column.type, sa.JSON):
        return [convert(value) for value in values]
    done: dict[Any, Any] = {}
    return [done[v] if v in done else done.setdefault(v, convert(v)) for v in values]


def _update(
    connection: Connection,
    table: sa.Table,
    rows: list[tuple[int | None, dict[str, Any]]],
    now: datetime,
) -> None:
    """Rewrite these rows' values (id, values), stamping them updated now."""
    if not rows:
        return
    names = list(rows[0][1])
    statement = (
        sa.update(table)
        .where(table.c.id == sa.bindparam("row_id"))
        .values({name: sa.bindparam(f"new_{name}") for name in [*names, "updated_at"]})
    )
    connection.execute(
        statement,
        [
            {"row_id": row_id, "new_updated_at": now, **{f"new_{n}": values[n] for n in names}}
            for row_id, values in rows
        ],
    )


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


def _apply_record(plan: _Plan, data: dict[str, Any], isbns: list[str]) -> None:
    record = plan.record
    for name in RECORD_FIELDS:
        new, old = data[name], record[name]
        if new == old or (name == "control_number" and new is None):
            continue
        if not plan.new:
            first = plan.changes.get(name, [old])[0]
            plan.changes[name] = [first, new]
            plan.row_changed = True
            plan.indexed_changed |= name in ("title", "authors", "subjects")
        record[name] = new
    merged = list(dict.fromkeys([*plan.isbns, *isbns]))
    if merged != plan.isbns:
        if not plan.new:
            plan.changes["isbns"] = [plan.changes.get("isbns", [plan.isbns])[0], merged]
        plan.isbns = merged
        plan.indexed_changed = True


def _apply_item(item: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    diff: dict[str, Any] = {}
    for name in ITEM_FIELDS:
        new, old = values[name], item[name]
        if name == "status" and old in IN_CIRCULATION:
            continue
        if new != old:
            diff[name] = [old, new]
            item[name] = new
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
