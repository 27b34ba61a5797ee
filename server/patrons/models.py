"""Tables of the patrons context: categories, patrons, their cards and manual blocks."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from server.sql import UTCDateTime


class PatronCategory(SQLModel, table=True):
    """Adult, child, student, staff, ...: librarians may add their own."""

    __tablename__ = "patron_category"

    code: str = Field(primary_key=True, max_length=32)
    name: str = Field(max_length=80)
    needs_pin: bool = True  # self-service asks for the PIN
    card_validity_days: int = 365  # a new patron's expiry, counted from registration


class Patron(SQLModel, table=True):
    """One person who may borrow. An anonymised patron keeps only what statistics need."""

    __tablename__ = "patron"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120, index=True)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=32)  # E.164
    birth_date: date | None = None
    category: str = Field(foreign_key="patron_category.code", max_length=32, index=True)
    home_branch: str = Field(max_length=64)
    registered_on: date
    expires_on: date
    pin_hash: str | None = Field(default=None, max_length=200)
    pin_failures: int = 0  # wrong PINs in a row
    pin_locked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    anonymised_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class PatronCard(SQLModel, table=True):
    """A card number, unique across all patrons; a retired card stays so it is never reissued."""

    __tablename__ = "patron_card"

    id: int | None = Field(default=None, primary_key=True)
    patron_id: int = Field(foreign_key="patron.id", index=True, ondelete="CASCADE")
    number: str = Field(max_length=32, unique=True, index=True)  # looked up on every tap
    issued_at: datetime = Field(sa_type=UTCDateTime)
    retired_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    retired_reason: str = Field(default="", max_length=200)


class PatronBlock(SQLModel, table=True):
    """A manual block: who set it, when and why, and when it was lifted (rows are kept)."""

    __tablename__ = "patron_block"

    id: int | None = Field(default=None, primary_key=True)
    patron_id: int = Field(foreign_key="patron.id", index=True, ondelete="CASCADE")
    reason: str = Field(max_length=500, sa_type=sa.String(500))
    created_by: str = Field(max_length=64)
    created_at: datetime = Field(sa_type=UTCDateTime)
    lifted_by: str | None = Field(default=None, max_length=64)
    lifted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
