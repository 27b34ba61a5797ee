"""The circulation feed's first rows: the latest loans, returns and renewals, from the audit log.

Afterwards the page follows the live stream (LoanMade, LoanReturned, LoanRenewed,
HoldTrapped); these rows have the same shape, so one renderer serves both.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from server.auth.models import AuditEntry
from server.catalog.models import Item, Record

KINDS = {"loan.created": "LoanMade", "loan.returned": "LoanReturned", "loan.renewed": "LoanRenewed"}


def recent(session: Session, limit: int = 20) -> list[dict[str, Any]]:
    """The latest circulation transactions, newest first, as live messages."""
    entries = session.exec(
        select(AuditEntry)
        .where(col(AuditEntry.action).in_(KINDS))
        .order_by(col(AuditEntry.at).desc(), col(AuditEntry.id).desc())
        .limit(limit)
    ).all()
    barcodes = {str(e.changes.get("item", "")) for e in entries}
    titles = dict(
        session.exec(
            select(Item.barcode, Record.title)
            .join(Record, col(Record.id) == col(Item.record_id))
            .where(col(Item.barcode).in_(barcodes))
        ).all()
    )
    return [
        {
            "type": KINDS[entry.action],
            "at": entry.at.isoformat(),
            "loan_id": int(entry.entity_id),
            "barcode": entry.changes.get("item", ""),
            "title": titles.get(entry.changes.get("item", ""), ""),
            "actor": entry.actor,
        }
        for entry in entries
    ]
