"""The patron index: names and contact details, FTS5 on SQLite, tsvector + GIN on PostgreSQL.

One row per patron, in the words server/fts.py makes: each word of a query matches a word
of the name, e-mail or phone as a prefix ("ada love" finds Ada Lovelace, "@example" her
address), and any part of a Chinese name finds it. Kept by the patron service in the same
transaction as the change; the migration that made the table filled it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql.selectable import TextualSelect

from server import fts

SQLITE_TABLE = (
    "CREATE VIRTUAL TABLE patron_fts USING fts5("
    "name, contact, tokenize = 'unicode61 remove_diacritics 2')"
)
POSTGRES_TABLE = [
    "CREATE TABLE patron_fts ("
    "patron_id integer PRIMARY KEY REFERENCES patron (id) ON DELETE CASCADE, "
    "document tsvector NOT NULL)",
    "CREATE INDEX ix_patron_fts_document ON patron_fts USING gin (document)",
]


@dataclass(frozen=True, slots=True)
class Entry:
    patron_id: int
    name: str
    email: str | None
    phone: str | None

    def contact(self) -> str:
        return f"{self.email or ''} {self.phone or ''}"


def index(connection: Connection, entries: Iterable[Entry]) -> None:
    """Write (or rewrite) these patrons' rows."""
    rows = list(entries)
    if not rows:
        return
    if connection.dialect.name == "postgresql":
        connection.execute(
            sa.text(
                "INSERT INTO patron_fts (patron_id, document) "
                "VALUES (:id, CAST(:document AS tsvector)) "
                "ON CONFLICT (patron_id) DO UPDATE SET document = excluded.document"
            ),
            [
                {"id": e.patron_id, "document": fts.tsvector([(e.name, "A"), (e.contact(), "B")])}
                for e in rows
            ],
        )
        return
    forget(connection, [e.patron_id for e in rows])
    connection.execute(
        sa.text("INSERT INTO patron_fts (rowid, name, contact) VALUES (:id, :name, :contact)"),
        [
            {
                "id": e.patron_id,
                "name": " ".join(fts.words(e.name)),
                "contact": " ".join(fts.words(e.contact())),
            }
            for e in rows
        ],
    )


def forget(connection: Connection, patron_ids: Sequence[int]) -> None:
    """Drop these patrons' rows (PostgreSQL would on delete; FTS5 has no foreign keys)."""
    key = "patron_id" if connection.dialect.name == "postgresql" else "rowid"
    for start in range(0, len(patron_ids), 500):
        connection.execute(
            sa.text(f"DELETE FROM patron_fts WHERE {key} IN :ids").bindparams(
                sa.bindparam("ids", expanding=True)
            ),
            {"ids": list(patron_ids[start : start + 500])},
        )


def matching(dialect: str, query: str) -> TextualSelect | None:
    """A SELECT of the ids of patrons matching every word of `query`; None if it has none."""
    found = fts.terms(query)
    if not found:
        return None
    if dialect == "postgresql":
        sql, words = (
            "SELECT patron_id FROM patron_fts WHERE document @@ CAST(:words AS tsquery)",
            fts.tsquery(found),
        )
    else:
        sql = "SELECT rowid FROM patron_fts WHERE patron_fts MATCH :words"
        words = fts.sqlite_match(found)
    return sa.text(sql).bindparams(words=words).columns(sa.column("id", sa.Integer))


def rebuild(connection: Connection) -> None:
    """Index every patron again, in batches (after a migration or a restore)."""
    patron = sa.table(
        "patron", sa.column("id"), sa.column("name"), sa.column("email"), sa.column("phone")
    )
    last = 0
    while True:
        rows = connection.execute(
            sa.select(patron.c.id, patron.c.name, patron.c.email, patron.c.phone)
            .where(patron.c.id > last)
            .order_by(patron.c.id)
            .limit(5000)
        ).all()
        if not rows:
            return
        index(connection, [Entry(*row) for row in rows])
        last = rows[-1][0]
