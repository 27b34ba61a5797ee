"""Tables of the circulation context: loans, holds, the fee ledger, rules and the calendar.

One item is never on loan twice: a unique index over the item of every open loan (one with
no `returned_at`) makes the database refuse a second one, whichever server tries it.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from server.sql import UTCDateTime

OPEN = sa.text("returned_at IS NULL")


class Loan(SQLModel, table=True):
    __tablename__ = "loan"
    __table_args__ = (
        sa.Index(
            "ux_loan_open_item", "item_id", unique=True, sqlite_where=OPEN, postgresql_where=OPEN
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="item.id", index=True)
    patron_id: int = Field(foreign_key="patron.id", index=True)
    branch: str = Field(max_length=64)  # where it was checked out
    checked_out_at: datetime = Field(sa_type=UTCDateTime)
    due_at: datetime = Field(sa_type=UTCDateTime, index=True)
    renewals: int = 0
    state: str = Field(default="out", max_length=16)  # LoanState
    returned_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Hold(SQLModel, table=True):
    """A patron waits for any copy of a record (or for one item); first placed, first served."""

    __tablename__ = "hold"

    id: int | None = Field(default=None, primary_key=True)
    patron_id: int = Field(foreign_key="patron.id", index=True)
    record_id: int = Field(foreign_key="bib_record.id", index=True)
    item_id: int | None = Field(default=None, foreign_key="item.id")  # an item-level hold
    pickup_branch: str = Field(max_length=64)
    placed_at: datetime = Field(sa_type=UTCDateTime)
    state: str = Field(default="waiting", max_length=16, index=True)  # HoldState
    trapped_item_id: int | None = Field(default=None, foreign_key="item.id", index=True)
    ready_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    pickup_by: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Fee(SQLModel, table=True):
    """A line of a patron's ledger in cents: fines and charges owed (+), payments, waivers (-)."""

    __tablename__ = "fee"

    id: int | None = Field(default=None, primary_key=True)
    patron_id: int = Field(foreign_key="patron.id", index=True)
    loan_id: int | None = Field(default=None, foreign_key="loan.id", index=True)
    kind: str = Field(max_length=16)  # FeeKind
    amount_cents: int
    at: datetime = Field(sa_type=UTCDateTime)
    actor: str = Field(max_length=64)
    note: str = Field(default="", max_length=300)


class LoanRuleRow(SQLModel, table=True):
    """One cell of the rule matrix; "*" in a key matches anything."""

    __tablename__ = "loan_rule"

    branch: str = Field(primary_key=True, max_length=64)
    category: str = Field(primary_key=True, max_length=32)
    item_type: str = Field(primary_key=True, max_length=32)
    for_loan: bool = True
    loan_days: int
    renewals: int
    max_items: int
    fine_per_day_cents: int
    fine_cap_cents: int | None = None  # None: no cap
    grace_days: int
    holds_block_renewal: bool = True


class ClosedDay(SQLModel, table=True):
    """A holiday: no loan falls due on it. Branch "*" is every branch."""

    __tablename__ = "closed_day"

    branch: str = Field(primary_key=True, max_length=64)
    day: date = Field(primary_key=True)
    reason: str = Field(default="", max_length=120)


class ClosedWeekday(SQLModel, table=True):
    """A day of the week a branch is closed (0 Monday … 6 Sunday). Branch "*" is every branch."""

    __tablename__ = "closed_weekday"

    branch: str = Field(primary_key=True, max_length=64)
    weekday: int = Field(primary_key=True, ge=0, le=6)
