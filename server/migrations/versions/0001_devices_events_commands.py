"""devices, events and commands

Revision ID: 0001
Revises:
Create Date: 2026-11-23 20:01:53.112760
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "command",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("site", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("gateway", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("device", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("command", schema=None) as batch_op:
        batch_op.create_index("ix_command_due", ["state", "next_attempt_at"], unique=False)

    op.create_table(
        "dead_letter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("topic", sqlmodel.sql.sqltypes.AutoString(length=512), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("dead_letter", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dead_letter_received_at"), ["received_at"], unique=False
        )

    op.create_table(
        "device",
        sa.Column("site", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("gateway", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("device", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("online", sa.Boolean(), nullable=False),
        sa.Column("status_reason", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("status_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_event", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("firmware", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.PrimaryKeyConstraint("site", "gateway", "device"),
    )
    op.create_table(
        "event",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("site", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("gateway", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("device", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_received_at"), ["received_at"], unique=False)
        batch_op.create_index("ix_event_stream", ["site", "gateway", "seq"], unique=False)

    op.create_table(
        "gateway",
        sa.Column("site", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("gateway", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("online", sa.Boolean(), nullable=False),
        sa.Column("status_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=True),
        sa.Column("uptime_s", sa.Float(), nullable=True),
        sa.Column("stats", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("site", "gateway"),
    )
    op.create_table(
        "gateway_stream",
        sa.Column("site", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("gateway", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("low_seq", sa.BigInteger(), nullable=False),
        sa.Column("high_seq", sa.BigInteger(), nullable=False),
        sa.Column("received", sa.BigInteger(), nullable=False),
        sa.Column("duplicates", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("site", "gateway"),
    )


def downgrade() -> None:
    op.drop_table("gateway_stream")
    op.drop_table("gateway")
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_index("ix_event_stream")
        batch_op.drop_index(batch_op.f("ix_event_received_at"))

    op.drop_table("event")
    op.drop_table("device")
    with op.batch_alter_table("dead_letter", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dead_letter_received_at"))

    op.drop_table("dead_letter")
    with op.batch_alter_table("command", schema=None) as batch_op:
        batch_op.drop_index("ix_command_due")

    op.drop_table("command")
