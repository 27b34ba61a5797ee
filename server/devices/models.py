"""Tables of the devices context: gateways, devices, and commands sent to them."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from server.sql import UTCDateTime


class GatewayRecord(SQLModel, table=True):
    __tablename__ = "gateway"

    site: str = Field(primary_key=True, max_length=64)
    gateway: str = Field(primary_key=True, max_length=64)
    online: bool = False
    status_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_seen: datetime | None = Field(default=None, sa_type=UTCDateTime)
    uptime_s: float | None = None
    stats: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)


class Device(SQLModel, table=True):
    __tablename__ = "device"

    site: str = Field(primary_key=True, max_length=64)
    gateway: str = Field(primary_key=True, max_length=64)
    device: str = Field(primary_key=True, max_length=64)
    kind: str | None = Field(default=None, max_length=32)
    online: bool = False
    status_reason: str = Field(default="", max_length=200)
    status_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_seen: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_event: str | None = Field(default=None, max_length=32)
    firmware: str | None = Field(default=None, max_length=64)


class CommandState(StrEnum):
    PENDING = "pending"  # stored, not yet published
    SENT = "sent"  # published, waiting for the gateway's ack
    DONE = "done"  # the gateway carried it out
    FAILED = "failed"  # the gateway answered that it could not
    UNANSWERED = "unanswered"  # retried until the attempts ran out


class CommandRecord(SQLModel, table=True):
    __tablename__ = "command"
    __table_args__ = (sa.Index("ix_command_due", "state", "next_attempt_at"),)

    id: uuid.UUID = Field(primary_key=True)
    site: str = Field(max_length=64)
    gateway: str = Field(max_length=64)
    device: str = Field(max_length=64)
    action: str = Field(max_length=32)
    payload: str = Field(sa_type=sa.Text)
    state: CommandState = Field(default=CommandState.PENDING, sa_type=sa.String(16))
    attempts: int = 0
    created_at: datetime = Field(sa_type=UTCDateTime)
    next_attempt_at: datetime = Field(sa_type=UTCDateTime)
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reason: str = Field(default="", max_length=200)
