"""Small SQL helpers that differ between SQLite and PostgreSQL."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection


def insert_for(connection: Connection, table: sa.Table):  # type: ignore[no-untyped-def]
    """An INSERT that supports ON CONFLICT on the connection's dialect."""
    if connection.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def greatest(a: sa.ColumnElement, b: sa.ColumnElement) -> sa.ColumnElement:
    return sa.case((a > b, a), else_=b)


def least(a: sa.ColumnElement, b: sa.ColumnElement) -> sa.ColumnElement:
    return sa.case((a < b, a), else_=b)
