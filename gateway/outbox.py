"""The gateway's outbox: every event is on disk before it is published.

A small SQLite file. Appending assigns the gateway's next `seq` in the same transaction
that stores the event, so seq order is commit order and survives restarts. A row leaves
only when the broker has acknowledged its publication. Commands already executed are
remembered here too, so a redelivered command is answered again, not run again.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from uuid import UUID

from contracts import Event, EventData, event_topic, make_event

SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY,
    topic TEXT NOT NULL,
    payload BLOB NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS handled_commands (
    id TEXT PRIMARY KEY,
    ok INTEGER NOT NULL,
    reason TEXT NOT NULL,
    at REAL NOT NULL
);
"""


class Outbox:
    """Thread-safe: readers append from their threads, the publisher reads and deletes."""

    def __init__(self, path: Path, site: str, gateway: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.site = site
        self.gateway = gateway
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        # FULL: a committed event survives a power cut, not only a process crash.
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA)
        row = self._db.execute("SELECT value FROM counters WHERE name='seq'").fetchone()
        self._last_seq = row[0] if row else 0

    @property
    def last_seq(self) -> int:
        return self._last_seq

    def append(self, items: Sequence[tuple[str, EventData]]) -> list[Event]:
        """Store events for (device, body) pairs in one transaction; return them with seqs."""
        if not items:
            return []
        with self._lock:
            seq = self._last_seq
            events = []
            for device, data in items:
                seq += 1
                events.append(make_event(self.site, self.gateway, device, seq, data))
            self._write(events, seq, [])
            self._last_seq = seq
        return events

    def append_command_result(
        self, device: str, command_id: UUID, ok: bool, reason: str, data: EventData
    ) -> Event:
        """Store the ack event and remember the command as handled, atomically."""
        with self._lock:
            seq = self._last_seq + 1
            event = make_event(self.site, self.gateway, device, seq, data)
            self._write([event], seq, [(str(command_id), int(ok), reason, time.time())])
            self._last_seq = seq
        return event

    def _write(self, events: list[Event], seq: int, handled: list[tuple]) -> None:
        now = time.time()
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            db.executemany(
                "INSERT INTO outbox (seq, topic, payload, created) VALUES (?, ?, ?, ?)",
                [
                    (e.seq, event_topic(e.site, e.gateway, e.kind), e.model_dump_json(), now)
                    for e in events
                ],
            )
            db.execute(
                "INSERT INTO counters (name, value) VALUES ('seq', ?) "
                "ON CONFLICT(name) DO UPDATE SET value = excluded.value",
                (seq,),
            )
            if handled:
                db.executemany(
                    "INSERT OR REPLACE INTO handled_commands VALUES (?, ?, ?, ?)", handled
                )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def handled(self, command_id: UUID) -> tuple[bool, str] | None:
        """(ok, reason) if this command was already executed, else None."""
        with self._lock:
            row = self._db.execute(
                "SELECT ok, reason FROM handled_commands WHERE id = ?", (str(command_id),)
            ).fetchone()
        return (bool(row[0]), row[1]) if row else None

    def after(self, seq: int, limit: int) -> list[tuple[int, str, bytes]]:
        """Up to `limit` stored events with a seq above `seq`, oldest first."""
        with self._lock:
            return self._db.execute(
                "SELECT seq, topic, payload FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?",
                (seq, limit),
            ).fetchall()

    def delete(self, seqs: Iterable[int]) -> None:
        seqs = list(seqs)
        if not seqs:
            return
        with self._lock:
            self._db.execute("BEGIN")
            self._db.executemany("DELETE FROM outbox WHERE seq = ?", [(s,) for s in seqs])
            self._db.execute("COMMIT")

    def pending(self) -> int:
        with self._lock:
            return self._db.execute("SELECT count(*) FROM outbox").fetchone()[0]

    def forget_commands_before(self, cutoff: float) -> None:
        with self._lock:
            self._db.execute("DELETE FROM handled_commands WHERE at < ?", (cutoff,))

    def close(self) -> None:
        with self._lock:
            self._db.close()
