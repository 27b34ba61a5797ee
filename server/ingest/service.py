"""Applying a batch of gateway messages in one transaction, each event at most once.

The MQTT worker and any other entrypoint call `apply_messages`; it returns what changed
so the caller can acknowledge the broker and tell the live stream.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy.engine import Connection

from contracts import Event, GatewayStatus, parse_event, parse_topic
from server.devices import service as devices
from server.ingest.models import DeadLetter, EventRecord, GatewayStream
from server.sql import UTCDateTime, insert_for

log = logging.getLogger(__name__)

EVENTS = EventRecord.__table__  # type: ignore[attr-defined]
STREAMS = GatewayStream.__table__  # type: ignore[attr-defined]
DEAD = DeadLetter.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class Message:
    topic: str
    payload: bytes


@dataclass
class IngestResult:
    applied: list[Event] = field(default_factory=list)
    duplicates: int = 0
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (topic, reason)
    live: list[dict[str, Any]] = field(default_factory=list)

    def merge(self, other: IngestResult) -> None:
        self.applied += other.applied
        self.duplicates += other.duplicates
        self.rejected += other.rejected
        self.live += other.live


def apply_messages(
    connection: Connection,
    messages: Sequence[Message],
    now: datetime,
    throttle: devices.SeenThrottle | None = None,
) -> IngestResult:
    """Validate, dedup and store; the caller owns the transaction."""
    result = IngestResult()
    events: dict[UUID, Event] = {}
    statuses: list[tuple[str, str, bool]] = []
    dups: Counter[tuple[str, str]] = Counter()
    for message in messages:
        try:
            _classify(message, events, statuses, dups)
        except (ValueError, ValidationError) as error:
            reason = _reason(error)
            result.rejected.append((message.topic, reason))
            dead_letter(connection, message, reason, now)
    new = _store_events(connection, list(events.values()), now)
    new_ids = {e.id for e in new}
    dups.update((e.site, e.gateway) for e in events.values() if e.id not in new_ids)
    result.duplicates = sum(dups.values())
    result.applied = new
    if new or dups:
        _track_streams(connection, new, dups, now)
    if new:
        result.live += [{"type": "EventReceived", "event": e.model_dump(mode="json")} for e in new]
        result.live += devices.apply_events(connection, new, now, throttle)
    for site, gateway, online in statuses:
        result.live += devices.set_gateway_status(connection, site, gateway, online, now)
    return result


def dead_letter(connection: Connection, message: Message, reason: str, now: datetime) -> None:
    """Keep a message that cannot be applied, with the reason, as text any database stores."""
    connection.execute(
        sa.insert(DEAD).values(
            received_at=now,
            topic=_printable(message.topic.encode())[:512],
            payload=_printable(message.payload[:65536]),
            reason=_printable(reason.encode()),
        )
    )


def _classify(
    message: Message,
    events: dict[UUID, Event],
    statuses: list[tuple[str, str, bool]],
    dups: Counter[tuple[str, str]],
) -> None:
    topic = parse_topic(message.topic)
    if topic.channel == "status":
        text = message.payload.decode("utf-8", "replace").strip()
        if text not in (GatewayStatus.ONLINE, GatewayStatus.OFFLINE):
            raise ValueError(f"status must be 'online' or 'offline', not {text[:40]!r}")
        statuses.append((topic.site, topic.gateway, text == GatewayStatus.ONLINE))
        return
    if topic.channel != "events":
        raise ValueError(f"servers do not consume {topic.channel!r} topics")
    event = parse_event(message.payload)
    if (event.site, event.gateway, event.kind) != (topic.site, topic.gateway, topic.kind):
        raise ValueError(
            f"event says {event.site}/{event.gateway} kind {event.kind} but came on {message.topic}"
        )
    if event.id in events:
        dups[(event.site, event.gateway)] += 1
    else:
        events[event.id] = event


# PostgreSQL gets the rows as arrays: one statement of fixed shape, which psycopg prepares
# once, instead of a many-VALUES statement it would parse again for every batch.
_INSERT_EVENTS_PG = sa.text(
    "INSERT INTO event (id, site, gateway, device, kind, seq, ts, received_at, data) "
    "SELECT * FROM unnest(CAST(:id AS uuid[]), CAST(:site AS varchar[]), "
    "CAST(:gateway AS varchar[]), CAST(:device AS varchar[]), CAST(:kind AS varchar[]), "
    "CAST(:seq AS bigint[]), CAST(:ts AS timestamptz[]), CAST(:received_at AS timestamptz[]), "
    "CAST(:data AS json[])) "
    "ON CONFLICT (id) DO NOTHING RETURNING id"
)

_TRACK_STREAM = sa.text(
    "INSERT INTO gateway_stream "
    "(site, gateway, low_seq, high_seq, received, duplicates, updated_at) "
    "VALUES (:site, :gateway, :low, :high, :received, :duplicates, :now) "
    "ON CONFLICT (site, gateway) DO UPDATE SET "
    "low_seq = CASE WHEN :received > 0 AND excluded.low_seq < gateway_stream.low_seq "
    "THEN excluded.low_seq ELSE gateway_stream.low_seq END, "
    "high_seq = CASE WHEN :received > 0 AND excluded.high_seq > gateway_stream.high_seq "
    "THEN excluded.high_seq ELSE gateway_stream.high_seq END, "
    "received = gateway_stream.received + excluded.received, "
    "duplicates = gateway_stream.duplicates + excluded.duplicates, "
    "updated_at = excluded.updated_at"
).bindparams(sa.bindparam("now", type_=UTCDateTime))


def _store_events(connection: Connection, events: list[Event], now: datetime) -> list[Event]:
    if not events:
        return []
    if connection.dialect.name == "postgresql":
        columns: dict[str, list[Any]] = {
            "id": [e.id for e in events],
            "site": [e.site for e in events],
            "gateway": [e.gateway for e in events],
            "device": [e.device for e in events],
            "kind": [e.kind for e in events],
            "seq": [e.seq for e in events],
            "ts": [e.ts for e in events],
            "received_at": [now] * len(events),
            "data": [e.data.model_dump_json() for e in events],
        }
        inserted = {row[0] for row in connection.execute(_INSERT_EVENTS_PG, columns)}
    else:
        rows = [
            {
                "id": e.id,
                "site": e.site,
                "gateway": e.gateway,
                "device": e.device,
                "kind": e.kind,
                "seq": e.seq,
                "ts": e.ts,
                "received_at": now,
                "data": e.data.model_dump(mode="json"),
            }
            for e in events
        ]
        statement = insert_for(connection, EVENTS).on_conflict_do_nothing(index_elements=["id"])
        inserted = {row[0] for row in connection.execute(statement.returning(EVENTS.c.id), rows)}
    return [e for e in events if e.id in inserted]


def _track_streams(
    connection: Connection, new: list[Event], dups: Counter[tuple[str, str]], now: datetime
) -> None:
    spans: dict[tuple[str, str], list[int]] = {}
    for event in new:
        span = spans.setdefault((event.site, event.gateway), [event.seq, event.seq, 0])
        span[0] = min(span[0], event.seq)
        span[1] = max(span[1], event.seq)
        span[2] += 1
    for key in set(spans) | set(dups):
        low, high, count = spans.get(key, (0, 0, 0))
        connection.execute(
            _TRACK_STREAM,
            {
                "site": key[0],
                "gateway": key[1],
                "low": low,
                "high": high,
                "received": count,
                "duplicates": dups[key],
                "now": now,
            },
        )


def _reason(error: Exception) -> str:
    if isinstance(error, ValidationError):
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "message"
        more = f" (+{error.error_count() - 1} more)" if error.error_count() > 1 else ""
        return f"invalid event: {where}: {first['msg']}{more}"
    return str(error)


def _printable(raw: bytes) -> str:
    """Text any database can store: bad UTF-8 and NUL bytes escaped, not dropped."""
    return raw.decode("utf-8", "backslashreplace").replace("\x00", "\\x00")
