"""Importing files into a real database (SQLite and PostgreSQL): counts, re-import, rejects."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from server.auth.models import AuditEntry
from server.catalog import service
from server.catalog.models import Item, Record
from smartlib.importer import import_file
from tests.catalog.marcdata import (
    book,
    isbn_for,
    marc8_record,
    raw_record,
    write_csv,
    write_marc,
    write_marcxml,
)

SF = b"\x1f"


def count(engine: Engine, table: type) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(table)).one()


def rejects(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def test_marc_import_counts_and_reimport_updates(engine: Engine, tmp_path: Path) -> None:
    records = [book(n) for n in range(1, 26)]
    records.append(book(26, barcodes=("B26-1", "B26-2", "B26-3")))
    path = write_marc(
        tmp_path / "books.mrc",
        [*records, marc8_record("m8", b"Caf\xe2e society", isbn_for(90), "B90")],
    )
    first = import_file(engine, path, batch_size=10)
    assert (first.read, first.result.created, first.result.updated) == (27, 27, 0)
    assert first.result.items_created == 25 + 3 + 1
    assert first.rejects_file is None
    again = import_file(engine, path, batch_size=7)
    assert (again.result.created, again.result.updated, again.result.items_created) == (0, 27, 0)
    assert again.result.items_updated == 29
    assert count(engine, Record) == 27
    assert count(engine, Item) == 29
    with Session(engine) as session:
        audits = session.exec(select(AuditEntry).where(AuditEntry.actor == "import")).all()
        assert sum(a.action == "record.created" for a in audits) == 27
        assert sum(a.action == "item.created" for a in audits) == 29
        assert not any(a.action.endswith(".changed") for a in audits)  # nothing changed
        found = service.find(session, "café")
        assert [h.record.title for h in found.hits] == ["Café society"]


def test_marcxml_import_matches_binary_records(engine: Engine, tmp_path: Path) -> None:
    import_file(engine, write_marc(tmp_path / "a.mrc", [book(n) for n in range(1, 6)]))
    changed = [book(n, title=f"Revised {n}") for n in range(1, 6)]
    summary = import_file(engine, write_marcxml(tmp_path / "a.xml", [*changed, book(6)]))
    assert (summary.result.created, summary.result.updated) == (1, 5)
    assert count(engine, Record) == 6
    with Session(engine) as session:
        assert service.find(session, "revised").total == 5
        changes = session.exec(
            select(AuditEntry).where(AuditEntry.action == "record.changed")
        ).all()
        assert len(changes) == 5
        assert changes[0].changes["title"] == ["Book number 1", "Revised 1"]


def test_match_on_isbn_when_the_control_number_is_new(engine: Engine, tmp_path: Path) -> None:
    import_file(engine, write_marc(tmp_path / "a.mrc", [book(1, control="")]))
    summary = import_file(engine, write_marc(tmp_path / "b.mrc", [book(1, control="KOHA-1")]))
    assert (summary.result.created, summary.result.updated) == (0, 1)
    with Session(engine) as session:
        [record] = session.exec(select(Record)).all()
        assert record.control_number == "KOHA-1"


def test_bad_records_are_rejected_and_good_ones_stored(engine: Engine, tmp_path: Path) -> None:
    good = [book(n).as_marc() for n in range(1, 6)]
    bad = [
        good[0][:70],  # truncated: the rest of the record is missing
        b"xx" + good[1][2:],  # bad leader
        good[2][:27] + b"9999" + good[2][31:],  # bad directory
        book(40, isbn="0306406153").as_marc(),  # invalid ISBN
        raw_record([("001", b"huge"), ("245", b"10" + SF + b"a" + b"x" * 8000)]),
        raw_record([("001", b"enc"), ("245", b"10" + SF + b"aCaf\xe9")], leader9=b"a"),
        book(41, barcodes=("310000000001",)).as_marc(),  # another book's barcode
    ]
    stream = [good[0], bad[0], good[1], *bad[1:], *good[2:]]
    path = write_marc(tmp_path / "mixed.mrc", stream)
    summary = import_file(engine, path, batch_size=3)
    assert summary.result.created == 5
    assert len(summary.result.rejected) == 7
    assert count(engine, Record) == 5
    assert count(engine, Item) == 5
    rows = rejects(summary.rejects_file)
    reasons = " | ".join(r["reason"] for r in rows)
    for expected in (
        "truncated",
        "leader",
        "does not end where",
        "check digit",
        "title: String should have at most 1000",
        "says UTF-8",
        "barcode: '310000000001' is",
    ):
        assert expected in reasons
    assert [int(r["number"]) for r in rows] == [2, 4, 5, 6, 7, 8, 9]
    assert next(r for r in rows if "check digit" in r["reason"])["control_number"] == "ctl000040"


def test_csv_import_one_row_per_item(engine: Engine, tmp_path: Path) -> None:
    rows = [
        {
            "control_number": "c1",
            "title": "Dune",
            "authors": "Frank Herbert",
            "isbn": "0441172717",
            "barcode": "D-1",
            "rfid_tag": "E004000000000001",
            "home_branch": "main",
            "zone": "A",
            "stack": "3",
            "shelf": "2",
            "status": "available",
            "parts": "1",
        },
        {
            "control_number": "c1",
            "title": "Dune",
            "authors": "Frank Herbert",
            "isbn": "0441172717",
            "barcode": "D-2",
            "home_branch": "east",
            "status": "missing",
        },
        {"control_number": "c2", "title": "Two-part atlas", "barcode": "AT-1", "parts": "2"},
        {"control_number": "c3", "title": "", "barcode": "X-1"},
        {
            "control_number": "c4",
            "title": "Bad tag",
            "barcode": "X-2",
            "rfid_tag": "E004000000000001",
        },
    ]
    path = write_csv(tmp_path / "items.csv", rows)
    summary = import_file(engine, path)
    assert (summary.result.created, summary.result.updated) == (2, 1)
    assert summary.result.items_created == 3
    assert [r["number"] for r in rejects(summary.rejects_file)] == ["5", "6"]
    again = import_file(engine, path)
    assert (again.result.created, again.result.updated, again.result.items_created) == (0, 3, 0)
    with Session(engine) as session:
        dune = service.find(session, "herbert").hits[0]
        assert (dune.items, dune.available) == (2, 1)
        atlas = service.item_by_barcode(session, "AT-1")
        assert atlas is not None
        assert atlas.parts == 2


def test_an_unreadable_csv_is_refused_whole(engine: Engine, tmp_path: Path) -> None:
    from smartlib.importer import UnreadableFile

    path = tmp_path / "x.csv"
    path.write_text("name,colour\nDune,red\n")
    with pytest.raises(UnreadableFile, match="unknown columns"):
        import_file(engine, path)


def test_a_csv_row_in_another_encoding_is_rejected(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes(b"title,barcode\nCaf\xe9,B1\nFine,B2\n")
    summary = import_file(engine, path)
    assert summary.result.created == 1
    assert "not UTF-8" in rejects(summary.rejects_file)[0]["reason"]
