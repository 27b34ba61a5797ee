"""The catalogue's full-text index: FTS5 on SQLite, tsvector + GIN on PostgreSQL.

One row per record (title, authors, subjects, and "codes": ISBN-13 and ISBN-10 forms and
the barcodes of its items), in the words server/fts.py makes. Queries always go through
the index, never LIKE scans; each word of a query must match, as a prefix, so
"hobb tolk" finds "The Hobbit" by Tolkien, and any part of a Chinese title finds it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from server import fts
from server.catalog import isbn


@dataclass(frozen=True, slots=True)
class Document:
    record_id: int
    title: str
    authors: Sequence[str]
    subjects: Sequence[str]
    isbns: Sequence[str]  # ISBN-13
    barcodes: Sequence[str]

    def codes(self) -> str:
        terms = [t for i in self.isbns for t in isbn.search_terms(i)]
        return " ".join([*terms, *self.barcodes])


def terms(query: str) -> list[fts.Term]:
    """What to look for: an ISBN in any form becomes its ISBN-13, the rest words."""
    isbns: list[str] = []
    rest: list[str] = []
    for word in query.split():
        if isbn.looks_like_isbn(word):
            try:
                isbns.append(isbn.normalise(word))
                continue
            except ValueError:
                pass
        rest.append(word)
    return fts.terms(" ".join(rest), exact=isbns)


def index(connection: Connection, documents: Iterable[Document]) -> None:
    """Write (or rewrite) the index rows of these records."""
    rows = list(documents)
    if not rows:
        return
    if connection.dialect.name == "postgresql":
        connection.execute(
            sa.text(
                "INSERT INTO catalog_fts (record_id, document) "
                "VALUES (:id, CAST(:document AS tsvector)) "
                "ON CONFLICT (record_id) DO UPDATE SET document = excluded.document"
            ),
            [{"id": d.record_id, "document": _tsvector(d)} for d in rows],
        )
        return
    ids = [d.record_id for d in rows]
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        connection.execute(
            sa.text("DELETE FROM catalog_fts WHERE rowid IN :ids").bindparams(
                sa.bindparam("ids", expanding=True)
            ),
            {"ids": chunk},
        )
    connection.execute(
        sa.text(
            "INSERT INTO catalog_fts (rowid, title, authors, subjects, codes) "
            "VALUES (:id, :title, :authors, :subjects, :codes)"
        ),
        [_columns(d) for d in rows],
    )


def _fields(document: Document) -> dict[str, str]:
    return {
        "title": document.title,
        "authors": " ; ".join(document.authors),
        "subjects": " ; ".join(document.subjects),
        "codes": document.codes(),
    }


def _columns(document: Document) -> dict[str, object]:
    words = {name: " ".join(fts.words(text)) for name, text in _fields(document).items()}
    return {"id": document.record_id, **words}


WEIGHTS = {"title": "A", "authors": "B", "subjects": "C", "codes": "A"}


def _tsvector(document: Document) -> str:
    return fts.tsvector((text, WEIGHTS[name]) for name, text in _fields(document).items())


def find(connection: Connection, query: str, *, offset: int, limit: int) -> tuple[list[int], int]:
    """Record ids matching every word of `query`, best first, and how many match in all."""
    found = terms(query)
    if not found:
        return [], 0
    if connection.dialect.name == "postgresql":
        tsquery = fts.tsquery(found)
        where = "document @@ CAST(:q AS tsquery)"
        total = connection.execute(
            sa.text(f"SELECT count(*) FROM catalog_fts WHERE {where}"), {"q": tsquery}
        ).scalar_one()
        ids = connection.execute(
            sa.text(
                f"SELECT record_id FROM catalog_fts WHERE {where} "
                "ORDER BY ts_rank(document, CAST(:q AS tsquery)) DESC, record_id "
                "LIMIT :limit OFFSET :offset"
            ),
            {"q": tsquery, "limit": limit, "offset": offset},
        ).scalars()
        return list(ids), total
    match = fts.sqlite_match(found)
    total = connection.execute(
        sa.text("SELECT count(*) FROM catalog_fts WHERE catalog_fts MATCH :q"), {"q": match}
    ).scalar_one()
    ids = connection.execute(
        sa.text(
            "SELECT rowid FROM catalog_fts WHERE catalog_fts MATCH :q "
            "ORDER BY bm25(catalog_fts, 10.0, 5.0, 2.0, 10.0), rowid "
            "LIMIT :limit OFFSET :offset"
        ),
        {"q": match, "limit": limit, "offset": offset},
    ).scalars()
    return list(ids), total


def rebuild(connection: Connection, *, batch: int = 2000) -> None:
    """Index every record again, in batches (after a migration changed how words are made)."""
    record = sa.table(
        "bib_record",
        sa.column("id"),
        sa.column("title"),
        sa.column("authors", sa.JSON),
        sa.column("subjects", sa.JSON),
    )
    isbns = sa.table("bib_isbn", sa.column("isbn"), sa.column("record_id"), sa.column("position"))
    item = sa.table("item", sa.column("barcode"), sa.column("record_id"))
    last = 0
    while True:
        rows = connection.execute(
            sa.select(record).where(record.c.id > last).order_by(record.c.id).limit(batch)
        ).all()
        if not rows:
            return
        span = (rows[0].id, rows[-1].id)
        codes: dict[int, tuple[list[str], list[str]]] = {row.id: ([], []) for row in rows}
        for record_id, number in connection.execute(
            sa.select(isbns.c.record_id, isbns.c.isbn)
            .where(isbns.c.record_id.between(*span))
            .order_by(isbns.c.record_id, isbns.c.position)
        ):
            codes[record_id][0].append(number)
        for record_id, barcode in connection.execute(
            sa.select(item.c.record_id, item.c.barcode).where(item.c.record_id.between(*span))
        ):
            codes[record_id][1].append(barcode)
        index(
            connection,
            [
                Document(row.id, row.title, row.authors or [], row.subjects or [], *codes[row.id])
                for row in rows
            ],
        )
        last = rows[-1].id
