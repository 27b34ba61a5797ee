"""Tables of the ingest context: every event once, gateway sequence tracking, dead letters."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from server.sql import UTCDateTime


class EventRecord(SQLModel, table=True):
    """An event as received from a gateway; its id is the idempotency key."""

    __tablename__ = "event"
    __table_args__ = (sa.Index("ix_event_stream", "site", "gateway", "seq"),)

    id: uuid.UUID = Field(primary_key=True)
    site: str = Field(max_length=64)
    gateway: str = Field(max_length=64)
    device: str = Field(max_length=64)
    kind: str = Field(max_length=32)
    seq: int = Field(sa_type=sa.BigInteger)
    ts: datetime = Field(sa_type=UTCDateTime)
    received_at: datetime = Field(sa_type=UTCDateTime, index=True)
    data: dict[str, Any] = Field(sa_type=sa.JSON)


class GatewayStream(SQLModel, table=True):
    """Per gateway: the seq range seen and how many distinct events arrived in it.

    `missing` = high - low + 1 - received: a gap in seq shows as a positive number.
    Updated with atomic upserts, so several servers can share the work.
    """

    __tablename__ = "gateway_stream"

    site: str = Field(primary_key=True, max_length=64)
    gateway: str = Field(primary_key=True, max_length=64)
    low_seq: int = Field(sa_type=sa.BigInteger)
    high_seq: int = Field(sa_type=sa.BigInteger)
    received: int = Field(sa_type=sa.BigInteger)
    duplicates: int = Field(default=0, sa_type=sa.BigInteger)
    updated_at: datetime = Field(sa_type=UTCDateTime)

    @property
    def missing(self) -> int:
        return self.high_seq - self.low_seq + 1 - self.received


class DeadLetter(SQLModel, table=True):
    """A message that could not be applied, kept with the reason."""

    __tablename__ = "dead_letter"

    id: int | None = Field(default=None, primary_key=True)
    received_at: datetime = Field(sa_type=UTCDateTime, index=True)
    topic: str = Field(max_length=512)
    payload: str = Field(sa_type=sa.Text)
    reason: str = Field(sa_type=sa.Text)
