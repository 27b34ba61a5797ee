"""catalogue records and items

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# The full-text index lives only in SQL: FTS5 on SQLite, a tsvector with a GIN index on
# PostgreSQL. Its rowid / record_id is the record's id; server/catalog/search.py fills it.
SQLITE_FTS = (
    "CREATE VIRTUAL TABLE catalog_fts USING fts5("
    "title, authors, subjects, codes, tokenize = 'unicode61 remove_diacritics 2')"
)
POSTGRES_FTS = [
    "CREATE TABLE catalog_fts ("
    "record_id integer PRIMARY KEY REFERENCES bib_record (id) ON DELETE CASCADE, "
    "document tsvector NOT NULL)",
    "CREATE INDEX ix_catalog_fts_document ON catalog_fts USING gin (document)",
]


def upgrade() -> None:
    op.create_table(
        "bib_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("control_number", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("authors", sa.JSON(), nullable=False),
        sa.Column("publisher", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("subjects", sa.JSON(), nullable=False),
        sa.Column("language", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("call_number", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("control_number"),
    )
    op.create_table(
        "bib_isbn",
        sa.Column("isbn", sqlmodel.sql.sqltypes.AutoString(length=13), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["record_id"], ["bib_record.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("isbn"),
    )
    with op.batch_alter_table("bib_isbn", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bib_isbn_record_id"), ["record_id"], unique=False)

    op.create_table(
        "item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("barcode", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("rfid_tag", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("home_branch", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("zone", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("stack", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("shelf", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("collection", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("item_type", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("parts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["record_id"], ["bib_record.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("barcode"),
        sa.UniqueConstraint("rfid_tag"),
    )
    with op.batch_alter_table("item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_item_record_id"), ["record_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_item_status"), ["status"], unique=False)

    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute(SQLITE_FTS)
    elif dialect == "postgresql":
        for statement in POSTGRES_FTS:
            op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS catalog_fts")
    with op.batch_alter_table("item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_item_status"))
        batch_op.drop_index(batch_op.f("ix_item_record_id"))

    op.drop_table("item")
    with op.batch_alter_table("bib_isbn", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bib_isbn_record_id"))

    op.drop_table("bib_isbn")
    op.drop_table("bib_record")
