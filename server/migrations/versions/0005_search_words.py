"""search words: a patron index, and catalogue words folded the same way on both databases

Revision ID: 0005
Revises: 0004

Both indexes are filled from the words server/fts.py makes (case and diacritics folded,
Chinese, Japanese and Korean as overlapping pairs), so the catalogue index is rebuilt.
"""

from __future__ import annotations

from alembic import op

from server.catalog import search as catalog_search
from server.patrons import search as patron_search

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name == "postgresql":
        for statement in patron_search.POSTGRES_TABLE:
            op.execute(statement)
    else:
        op.execute(patron_search.SQLITE_TABLE)
    patron_search.rebuild(connection)
    catalog_search.rebuild(connection)


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS patron_fts")
