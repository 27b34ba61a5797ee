"""patrons

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# Shipped categories; librarians add their own on /api/patron-categories.
DEFAULT_CATEGORIES = [
    {"code": "adult", "name": "Adult", "needs_pin": True, "card_validity_days": 1095},
    {"code": "child", "name": "Child", "needs_pin": False, "card_validity_days": 365},
    {"code": "student", "name": "Student", "needs_pin": True, "card_validity_days": 365},
    {"code": "staff", "name": "Staff", "needs_pin": True, "card_validity_days": 730},
]


def upgrade() -> None:
    category = op.create_table(
        "patron_category",
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("needs_pin", sa.Boolean(), nullable=False),
        sa.Column("card_validity_days", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.bulk_insert(category, DEFAULT_CATEGORIES)
    op.create_table(
        "patron",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True),
        sa.Column("phone", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("category", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("home_branch", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("registered_on", sa.Date(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.Column("pin_hash", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("pin_failures", sa.Integer(), nullable=False),
        sa.Column("pin_locked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("anonymised_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["category"], ["patron_category.code"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("patron", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_patron_category"), ["category"], unique=False)
        batch_op.create_index(batch_op.f("ix_patron_name"), ["name"], unique=False)

    op.create_table(
        "patron_block",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patron_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lifted_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("lifted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["patron_id"], ["patron.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("patron_block", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_patron_block_patron_id"), ["patron_id"], unique=False)

    op.create_table(
        "patron_card",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patron_id", sa.Integer(), nullable=False),
        sa.Column("number", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("retired_reason", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.ForeignKeyConstraint(["patron_id"], ["patron.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("patron_card", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_patron_card_number"), ["number"], unique=True)
        batch_op.create_index(batch_op.f("ix_patron_card_patron_id"), ["patron_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("patron_card", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_patron_card_patron_id"))
        batch_op.drop_index(batch_op.f("ix_patron_card_number"))

    op.drop_table("patron_card")
    with op.batch_alter_table("patron_block", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_patron_block_patron_id"))

    op.drop_table("patron_block")
    with op.batch_alter_table("patron", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_patron_name"))
        batch_op.drop_index(batch_op.f("ix_patron_category"))

    op.drop_table("patron")
    op.drop_table("patron_category")
