"""Alembic environment: migrations run from code (server.db.migrate) on a given connection."""

from __future__ import annotations

from alembic import context

from server.models import metadata
from server.sql import UTCDateTime

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through server.db.migrate(), which passes a connection")


def render_item(type_: str, obj: object, autogen_context: object) -> str | bool:
    # migrations hold plain column types, not our Python-side decorator
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


context.configure(
    render_item=render_item,
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
