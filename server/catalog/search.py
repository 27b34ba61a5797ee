"""The catalogue's full-text index: FTS5 on SQLite, tsvector + GIN on PostgreSQL.

One row per record (title, authors, subjects, and "codes": ISBN-13 and ISBN-10 forms and
the barcodes of its items). Queries always go through the index, never LIKE scans; each
word of a query must match, as a prefix, so "hobb tolk" finds "The Hobbit" by Tolkien.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from server.catalog import isbn

_WORD = re.compile(r"\w+", re.UNICODE)


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


def terms(query: str) -> list[str]:
    """The words to look for: an ISBN in any form becomes its ISBN-13, the rest words."""
    found: list[str] = []
    for word in query.split():
        if isbn.looks_like_isbn(word):
            try:
                found.append(isbn.normalise(word))
                continue
            except ValueError:
                pass
        found += [w.lower() for w in _WORD.findall(word)]
    return list(dict.fromkeys(found))[:16]


def index(connection: Connection, documents: Iterable[Document]) -> None:
    """Write (or rewrite) the index rows of these records."""
    rows = list(documents)
    if not rows:
        return
    if connection.dialect.name == "postgresql":
        connection.execute(
            sa.text(
                "INSERT INTO catalog_fts (record_id, document) VALUES (:id, "
                "setweight(to_tsvector('simple', :title), 'A') || "
                "setweight(to_tsvector('simple', :authors), 'B') || "
                "setweight(to_tsvector('simple', :subjects), 'C') || "
                "setweight(to_tsvector('simple', :codes), 'A')) "
                "ON CONFLICT (record_id) DO UPDATE SET document = excluded.document"
            ),
            [_params(d) for d in rows],
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
        [_params(d) for d in rows],
    )


def _params(document: Document) -> dict[str, object]:
    return {
        "id": document.record_id,
        "title": document.title,
        "authors": " ; ".join(document.authors),
        "subjects": " ; ".join(document.subjects),
        "codes": document.codes(),
    }


def find(connection: Connection, query: str, *, offset: int, limit: int) -> tuple[list[int], int]:
    """Record ids matching every word of `query`, best first, and how many match in all."""
    words = terms(query)
    if not words:
        return [], 0
    if connection.dialect.name == "postgresql":
        # words are \w+ or ISBN digits, so nothing in them is tsquery syntax
        tsquery = " & ".join(f"{w}:*" for w in words)
        where = "document @@ to_tsquery('simple', :q)"
        total = connection.execute(
            sa.text(f"SELECT count(*) FROM catalog_fts WHERE {where}"), {"q": tsquery}
        ).scalar_one()
        ids = connection.execute(
            sa.text(
                f"SELECT record_id FROM catalog_fts WHERE {where} "
                "ORDER BY ts_rank(document, to_tsquery('simple', :q)) DESC, record_id "
                "LIMIT :limit OFFSET :offset"
            ),
            {"q": tsquery, "limit": limit, "offset": offset},
        ).scalars()
        return list(ids), total
    match = " ".join('"{}"*'.format(w.replace('"', "")) for w in words)
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
