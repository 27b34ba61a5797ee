"""Tables of the catalogue: bibliographic records, their ISBNs, and items (copies).

The full-text index (`catalog_fts`) is not here: it is an FTS5 table on SQLite and a
tsvector table on PostgreSQL, made by the migration and kept by server/catalog/search.py.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from server.sql import UTCDateTime


class Record(SQLModel, table=True):
    """What a book is: title, authors, ISBNs, subjects; the same for every copy of it."""

    __tablename__ = "bib_record"

    id: int | None = Field(default=None, primary_key=True)
    control_number: str | None = Field(default=None, max_length=64, unique=True)  # MARC 001
    title: str = Field(max_length=1000)
    authors: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    publisher: str = Field(default="", max_length=300)
    year: int | None = None
    subjects: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    language: str = Field(default="", max_length=8)
    call_number: str = Field(default="", max_length=64)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class RecordIsbn(SQLModel, table=True):
    """An ISBN-13 belongs to one record: imports and intake find records by it."""

    __tablename__ = "bib_isbn"

    isbn: str = Field(primary_key=True, max_length=13)
    record_id: int = Field(foreign_key="bib_record.id", index=True, ondelete="CASCADE")
    position: int = 0  # the order the record lists its ISBNs in


class Item(SQLModel, table=True):
    """One copy: its barcode and RFID tag, where it is shelved, and whether it is there."""

    __tablename__ = "item"
    # what the collection report groups by
    __table_args__ = (sa.Index("ix_item_branch_type_status", "home_branch", "item_type", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    record_id: int = Field(foreign_key="bib_record.id", index=True, ondelete="CASCADE")
    barcode: str = Field(max_length=32, unique=True)
    rfid_tag: str | None = Field(default=None, max_length=64, unique=True)
    home_branch: str = Field(max_length=64)
    zone: str = Field(default="", max_length=32)
    stack: str = Field(default="", max_length=32)
    shelf: str = Field(default="", max_length=32)
    collection: str = Field(default="", max_length=64)
    item_type: str = Field(default="book", max_length=32)
    status: str = Field(default="available", max_length=16, index=True)
    parts: int = 1
    created_at: datetime = Field(sa_type=UTCDateTime, index=True)  # new items reports
    updated_at: datetime = Field(sa_type=UTCDateTime)
