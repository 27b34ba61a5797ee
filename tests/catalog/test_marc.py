"""Parsing one record is pure: MARC (UTF-8, MARC-8, broken), MARCXML and CSV rows, ISBNs."""

from __future__ import annotations

import io

import pytest

from server.catalog import csvrows, isbn, marc
from server.catalog.marc import Parsed, Rejected
from tests.catalog.marcdata import book, isbn_for, marc8_record, raw_record, write_marcxml

SF = b"\x1f"


@pytest.mark.parametrize(
    ("typed", "isbn13"),
    [
        ("0306406152", "9780306406157"),
        ("0-306-40615-2", "9780306406157"),
        ("978-0-306-40615-7", "9780306406157"),
        ("9780306406157", "9780306406157"),
        ("0306406152 (pbk.)", "9780306406157"),
        ("979-10-90636-07-1", "9791090636071"),
    ],
)
def test_isbns_are_normalised_to_isbn13(typed: str, isbn13: str) -> None:
    assert isbn.normalise(typed) == isbn13


@pytest.mark.parametrize("typed", ["0306406153", "9780306406158", "123", "", "abcdefghij"])
def test_invalid_isbns_say_so(typed: str) -> None:
    with pytest.raises(ValueError, match="ISBN"):
        isbn.normalise(typed)


def test_isbn_forms_for_a_new_record() -> None:
    forms = isbn.forms("9780306406157")
    assert (forms.isbn10, forms.hyphenated) == ("0306406152", "978-0-306-40615-7")
    assert isbn.forms("9791090636071").isbn10 is None


def test_a_utf8_record_maps_to_record_and_items() -> None:
    parsed = marc.parse_marc(book(7, title="Ein Buch über Café 中文").as_marc())
    assert isinstance(parsed, Parsed)
    record = parsed.record
    assert record.control_number == "ctl000007"
    assert record.title == "Ein Buch über Café 中文"
    assert record.authors == ["Ursula K. Le Guin"]
    assert record.isbns == [isbn_for(7)]
    assert (record.publisher, record.year, record.language) == ("Ace Books", 2001, "eng")
    assert record.subjects == ["Fantasy fiction"]
    assert record.call_number == "813.54"
    [item] = parsed.items
    assert (item.barcode, item.home_branch, item.zone, item.stack) == (
        "310000000007",
        "main",
        "ADULT",
        "S12",
    )
    assert (item.item_type, item.collection, item.status) == ("BK", "FIC", "available")


def test_a_marc8_record_is_decoded_by_its_leader() -> None:
    parsed = marc.parse_marc(marc8_record("m8", b"Caf\xe2e society", isbn_for(1), "B1"))
    assert isinstance(parsed, Parsed)
    assert parsed.record.title == "Café society"


def test_utf8_bytes_under_a_marc8_leader_are_read_as_utf8() -> None:
    data = raw_record([("001", b"x"), ("245", b"10" + SF + "aCafé 中文".encode())])
    parsed = marc.parse_marc(data)
    assert isinstance(parsed, Parsed)
    assert parsed.record.title == "Café 中文"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (book(1).as_marc()[:60], "truncated"),
        (b"abcde" + book(1).as_marc()[5:], "leader"),
        (book(1).as_marc()[:24] + b"2?5" + book(1).as_marc()[27:], "directory entry"),
        (book(1).as_marc()[:27] + b"9999" + book(1).as_marc()[31:], "does not end where"),
        (raw_record([("001", b"x"), ("245", b"10" + SF + b"aCaf\xe9")], leader9=b"a"), "UTF-8"),
        (raw_record([("001", b"x"), ("245", b"10" + SF + b"a   ")]), "title: empty"),
        (raw_record([("001", b"x")]), "title: missing"),
        (raw_record([("001", b"x"), ("245", b"10" + SF + b"a" + b"x" * 5000)]), "title"),
        (raw_record([("245", b"10" + SF + b"aT"), ("020", b"  " + SF + b"a0306406153")]), "isbns"),
        (
            raw_record([("245", b"10" + SF + b"aT"), ("952", b"  " + SF + b"p" + b"bad code")]),
            "item 1",
        ),
    ],
)
def test_broken_records_are_rejected_with_a_reason(data: bytes, reason: str) -> None:
    outcome = marc.parse_marc(data)
    assert isinstance(outcome, Rejected)
    assert reason in outcome.reason


def test_one_bad_length_does_not_swallow_the_next_record() -> None:
    good, bad = book(1).as_marc(), book(2).as_marc()
    stream = io.BytesIO(good + b"99999" + bad[5:] + book(3).as_marc())
    outcomes = [marc.parse_marc(chunk) for chunk in marc.split_marc(stream, chunk_size=64)]
    assert [type(o).__name__ for o in outcomes] == ["Parsed", "Rejected", "Parsed"]


def test_marcxml_records_and_a_broken_document(tmp_path) -> None:
    path = write_marcxml(tmp_path / "b.xml", [book(1), book(2)])
    text = path.read_bytes()
    cut = text[: text.rindex(b"<record")] + b"<record><datafield tag='245'"
    chunks = list(marc.split_marcxml(io.BytesIO(cut)))
    assert isinstance(marc.parse_marcxml(chunks[0]), Parsed)
    assert isinstance(chunks[-1], Rejected)
    assert "XML is broken" in chunks[-1].reason


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ({"title": "", "barcode": "B1"}, "title"),
        ({"title": "T", "isbn": "12345"}, "isbns"),
        ({"title": "T", "year": "soon"}, "year"),
        ({"title": "T", "barcode": "B1", "status": "lent"}, "status"),
        ({"title": "T", "barcode": "B1", "parts": "0"}, "parts"),
        ({"title": "x" * 20_000}, "title"),
    ],
)
def test_bad_csv_rows_name_the_column(row: dict, reason: str) -> None:
    outcome = csvrows.parse_row(row)
    assert isinstance(outcome, Rejected)
    assert outcome.reason.startswith(reason)


def test_a_csv_row_with_an_item() -> None:
    outcome = csvrows.parse_row(
        {
            "title": "Dune",
            "authors": "Frank Herbert | Someone Else",
            "isbn": "0-441-17271-7",
            "barcode": "B-1",
            "rfid_tag": "e004015012345678",
            "shelf": "3",
            "parts": "2",
        }
    )
    assert isinstance(outcome, Parsed)
    assert outcome.record.authors == ["Frank Herbert", "Someone Else"]
    assert outcome.record.isbns == ["9780441172719"]
    assert outcome.items[0].rfid_tag == "E004015012345678"
    assert outcome.items[0].parts == 2
