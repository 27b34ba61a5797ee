"""circulation: loans, holds, the fee ledger, the loan rule matrix and closed days

Revision ID: 0006
Revises: 0005

The rule matrix starts as the rules the project ships (server/circulation/rules.py).
An account may now belong to a patron (their portal sign-in). Items get the indexes the
collection and new-items reports read.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

from server.circulation.rules import DEFAULT_RULES

RULE_FIELDS = (
    "for_loan",
    "loan_days",
    "renewals",
    "max_items",
    "fine_per_day_cents",
    "fine_cap_cents",
    "grace_days",
    "holds_block_renewal",
)


revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "closed_day",
        sa.Column("branch", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.PrimaryKeyConstraint("branch", "day"),
    )
    op.create_table(
        "closed_weekday",
        sa.Column("branch", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("branch", "weekday"),
    )
    op.create_table(
        "loan_rule",
        sa.Column("branch", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("category", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("item_type", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("for_loan", sa.Boolean(), nullable=False),
        sa.Column("loan_days", sa.Integer(), nullable=False),
        sa.Column("renewals", sa.Integer(), nullable=False),
        sa.Column("max_items", sa.Integer(), nullable=False),
        sa.Column("fine_per_day_cents", sa.Integer(), nullable=False),
        sa.Column("fine_cap_cents", sa.Integer(), nullable=True),
        sa.Column("grace_days", sa.Integer(), nullable=False),
        sa.Column("holds_block_renewal", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("branch", "category", "item_type"),
    )
    op.create_table(
        "hold",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patron_id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("pickup_branch", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("placed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("trapped_item_id", sa.Integer(), nullable=True),
        sa.Column("ready_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("pickup_by", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["item.id"],
        ),
        sa.ForeignKeyConstraint(
            ["patron_id"],
            ["patron.id"],
        ),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["bib_record.id"],
        ),
        sa.ForeignKeyConstraint(
            ["trapped_item_id"],
            ["item.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("hold", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hold_patron_id"), ["patron_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_hold_record_id"), ["record_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_hold_state"), ["state"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_hold_trapped_item_id"), ["trapped_item_id"], unique=False
        )

    op.create_table(
        "loan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("patron_id", sa.Integer(), nullable=False),
        sa.Column("branch", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("checked_out_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("renewals", sa.Integer(), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("returned_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["item.id"],
        ),
        sa.ForeignKeyConstraint(
            ["patron_id"],
            ["patron.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("loan", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_loan_due_at"), ["due_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_loan_item_id"), ["item_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_loan_patron_id"), ["patron_id"], unique=False)
        batch_op.create_index(
            "ux_loan_open_item",
            ["item_id"],
            unique=True,
            sqlite_where=sa.text("returned_at IS NULL"),
            postgresql_where=sa.text("returned_at IS NULL"),
        )

    op.create_table(
        "fee",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patron_id", sa.Integer(), nullable=False),
        sa.Column("loan_id", sa.Integer(), nullable=True),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["loan_id"],
            ["loan.id"],
        ),
        sa.ForeignKeyConstraint(
            ["patron_id"],
            ["patron.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("fee", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fee_loan_id"), ["loan_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_fee_patron_id"), ["patron_id"], unique=False)

    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("patron_id", sa.Integer(), nullable=True))
        batch_op.create_unique_constraint("uq_account_patron_id", ["patron_id"])
        batch_op.create_foreign_key("fk_account_patron_id", "patron", ["patron_id"], ["id"])

    with op.batch_alter_table("item", schema=None) as batch_op:
        batch_op.create_index("ix_item_created_at", ["created_at"], unique=False)
        batch_op.create_index(
            "ix_item_branch_type_status", ["home_branch", "item_type", "status"], unique=False
        )

    op.bulk_insert(
        sa.table(
            "loan_rule",
            *(sa.column(name) for name in ("branch", "category", "item_type", *RULE_FIELDS)),
        ),
        [
            {"branch": key.branch, "category": key.category, "item_type": key.item_type}
            | {name: getattr(rule, name) for name in RULE_FIELDS}
            for key, rule in DEFAULT_RULES.rows()
        ],
    )


def downgrade() -> None:
    with op.batch_alter_table("item", schema=None) as batch_op:
        batch_op.drop_index("ix_item_branch_type_status")
        batch_op.drop_index("ix_item_created_at")
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.drop_constraint("fk_account_patron_id", type_="foreignkey")
        batch_op.drop_constraint("uq_account_patron_id", type_="unique")
        batch_op.drop_column("patron_id")

    with op.batch_alter_table("fee", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fee_patron_id"))
        batch_op.drop_index(batch_op.f("ix_fee_loan_id"))

    op.drop_table("fee")
    with op.batch_alter_table("loan", schema=None) as batch_op:
        batch_op.drop_index(
            "ux_loan_open_item",
            sqlite_where=sa.text("returned_at IS NULL"),
            postgresql_where=sa.text("returned_at IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_loan_patron_id"))
        batch_op.drop_index(batch_op.f("ix_loan_item_id"))
        batch_op.drop_index(batch_op.f("ix_loan_due_at"))

    op.drop_table("loan")
    with op.batch_alter_table("hold", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hold_trapped_item_id"))
        batch_op.drop_index(batch_op.f("ix_hold_state"))
        batch_op.drop_index(batch_op.f("ix_hold_record_id"))
        batch_op.drop_index(batch_op.f("ix_hold_patron_id"))

    op.drop_table("hold")
    op.drop_table("loan_rule")
    op.drop_table("closed_weekday")
    op.drop_table("closed_day")
