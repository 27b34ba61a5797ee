"""Test files made at test time: MARC 21 (UTF-8 and MARC-8), MARCXML and CSV.

`write_marc8` lays out the leader and directory by hand because pymarc writes UTF-8 only;
it is also how the broken records (bad leader, bad directory) are made.
"""

from __future__ import annotations

import csv
from pathlib import Path

import isbnlib
from pymarc import Field, Indicators, Leader, Record, Subfield, XMLWriter

FT, RT, SF = b"\x1e", b"\x1d", b"\x1f"


def isbn_for(n: int) -> str:
    """A valid ISBN-13 per number (978-1-...)."""
    stem = f"9781{n:08d}"
    return stem + isbnlib.check_digit13(stem)


def book(
    n: int,
    *,
    title: str | None = None,
    author: str = "Ursula K. Le Guin",
    subject: str = "Fantasy fiction",
    isbn: str | None = None,
    barcodes: tuple[str, ...] | None = None,
    control: str | None = None,
) -> Record:
    record = Record(leader=Leader("00000nam a2200000 a 4500"))
    if control != "":  # "" makes a record without a 001
        record.add_field(Field(tag="001", data=control or f"ctl{n:06d}"))
    record.add_field(Field(tag="008", data="200101s2001    xxu           000 1 eng d"))
    record.add_field(
        Field(
            tag="020",
            indicators=Indicators(" ", " "),
            subfields=[Subfield("a", isbn or isbn_for(n))],
        )
    )
    record.add_field(
        Field(tag="100", indicators=Indicators("1", " "), subfields=[Subfield("a", author + ",")])
    )
    record.add_field(
        Field(
            tag="245",
            indicators=Indicators("1", "0"),
            subfields=[Subfield("a", (title or f"Book number {n}") + " /"), Subfield("c", author)],
        )
    )
    record.add_field(
        Field(
            tag="264",
            indicators=Indicators(" ", "1"),
            subfields=[
                Subfield("a", "New York :"),
                Subfield("b", "Ace Books,"),
                Subfield("c", "2001."),
            ],
        )
    )
    record.add_field(
        Field(tag="650", indicators=Indicators(" ", "0"), subfields=[Subfield("a", subject + ".")])
    )
    record.add_field(
        Field(tag="082", indicators=Indicators("0", "4"), subfields=[Subfield("a", "813.54")])
    )
    for barcode in barcodes if barcodes is not None else (f"3100{n:08d}",):
        record.add_field(
            Field(
                tag="952",
                indicators=Indicators(" ", " "),
                subfields=[
                    Subfield("a", "main"),
                    Subfield("c", "ADULT"),
                    Subfield("j", "S12"),
                    Subfield("o", "813.54 LEG"),
                    Subfield("p", barcode),
                    Subfield("y", "BK"),
                    Subfield("8", "FIC"),
                ],
            )
        )
    return record


def write_marc(path: Path, records: list[Record | bytes]) -> Path:
    with path.open("wb") as file:
        for record in records:
            file.write(record if isinstance(record, bytes) else record.as_marc())
    return path


def write_marcxml(path: Path, records: list[Record]) -> Path:
    with path.open("wb") as file:
        writer = XMLWriter(file)
        for record in records:
            writer.write(record)
        writer.close(close_fh=False)
    return path


def raw_record(fields: list[tuple[str, bytes]], *, leader9: bytes = b" ") -> bytes:
    """A binary record laid out by hand: (tag, field bytes without the terminator)."""
    directory, body = b"", b""
    for tag, data in fields:
        data += FT
        directory += tag.encode() + b"%04d%05d" % (len(data), len(body))
        body += data
    base = 24 + len(directory) + 1
    length = base + len(body) + 1
    leader = b"%05dnam %s22%05d   4500" % (length, leader9, base)
    return leader + directory + FT + body + RT


def marc8_record(control: str, title: bytes, isbn: str, barcode: str) -> bytes:
    """A MARC-8 record (leader 09 blank); `title` holds ANSEL bytes, e.g. b"Caf\\xe2e"."""
    return raw_record(
        [
            ("001", control.encode()),
            ("020", b"  " + SF + b"a" + isbn.encode()),
            ("245", b"10" + SF + b"a" + title),
            ("952", b"  " + SF + b"amain" + SF + b"p" + barcode.encode()),
        ]
    )


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    columns = list(dict.fromkeys(k for row in rows for k in row))
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.DictWriter(file, columns)
        writer.writeheader()
        writer.writerows(rows)
    return path
