"""HTTP routes of the ingest context: recent events and dead letters."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from sqlmodel import col, select

from server.auth.deps import requires
from server.auth.permissions import Permission
from server.deps import SessionDep
from server.ingest.models import DeadLetter, EventRecord

router = APIRouter(
    prefix="/api", tags=["ingest"], dependencies=[Depends(requires(Permission.EVENTS_READ))]
)


class EventPublic(BaseModel):
    id: uuid.UUID
    site: str
    gateway: str
    device: str
    kind: str
    seq: int
    ts: datetime
    received_at: datetime
    data: dict[str, Any]


class DeadLetterPublic(BaseModel):
    id: int
    received_at: datetime
    topic: str
    payload: str
    reason: str


@router.get("/events", response_model=list[EventPublic])
def recent_events(
    session: SessionDep,
    limit: int = Query(50, ge=1, le=1000),
    kind: str | None = Query(None, max_length=32),
) -> list[EventRecord]:
    """Newest first."""
    query = select(EventRecord).order_by(
        col(EventRecord.received_at).desc(), col(EventRecord.seq).desc()
    )
    if kind:
        query = query.where(EventRecord.kind == kind)
    return list(session.exec(query.limit(limit)).all())


@router.get("/dead-letters", response_model=list[DeadLetterPublic])
def dead_letters(session: SessionDep, limit: int = Query(50, ge=1, le=1000)) -> list[DeadLetter]:
    return list(
        session.exec(select(DeadLetter).order_by(col(DeadLetter.id).desc()).limit(limit)).all()
    )
