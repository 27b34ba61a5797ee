"""Use cases for a patron's privacy rights: export everything held on them, and erase them.

Erasing anonymises: personal data goes, the row stays with its category, home branch and
registration year so loans and statistics that point at it remain countable.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, delete, select

from server.auth.models import AuditEntry
from server.auth.service import audit
from server.patrons.models import Patron, PatronBlock, PatronCard, PatronCategory
from server.patrons.service import PatronConflict, blocks_rows, cards_of, get_patron, reindex

FORMAT = "smartlib.patron-export/1"
PERSONAL = ["name", "email", "phone", "birth_date", "pin", "cards", "blocks", "registered_on"]

# Other contexts add what they hold on a patron (circulation: "loans", "holds", "fines"):
# a function (session, patron_id) -> JSON-ready value, registered under its section name.
ExportSection = Callable[[Session, int], Any]
EXPORT_SECTIONS: dict[str, ExportSection] = {}


def register_export_section(name: str, section: ExportSection) -> None:
    if name in EXPORT_SECTIONS or name in {"patron", "category", "cards", "blocks", "audit"}:
        raise ValueError(f"export section {name!r} is taken")
    EXPORT_SECTIONS[name] = section


def _audit_about(session: Session, patron_id: int) -> list[AuditEntry]:
    return list(
        session.exec(
            select(AuditEntry)
            .where(AuditEntry.entity == "patron", AuditEntry.entity_id == str(patron_id))
            .order_by(col(AuditEntry.id))
        ).all()
    )


def export_patron(session: Session, patron_id: int, *, actor: str, now: datetime) -> dict:
    """Everything held on one patron, as JSON-ready data; the export itself is audited."""
    patron = get_patron(session, patron_id)
    record = patron.model_dump(mode="json", exclude={"pin_hash"})
    record["pin_set"] = patron.pin_hash is not None
    category = session.get(PatronCategory, patron.category)
    exported: dict[str, Any] = {
        "format": FORMAT,
        "exported_at": now.isoformat(),
        "patron": record,
        "category": category.model_dump(mode="json") if category else None,
        "cards": [card.model_dump(mode="json") for card in cards_of(session, patron_id)],
        "blocks": [block.model_dump(mode="json") for block in blocks_rows(session, patron_id)],
        "audit": [entry.model_dump(mode="json") for entry in _audit_about(session, patron_id)],
    }
    for name, section in EXPORT_SECTIONS.items():
        exported[name] = section(session, patron_id)
    audit(session, actor, "patron.exported", "patron", patron_id, {}, now=now)
    session.commit()
    return exported


def anonymise_patron(session: Session, patron_id: int, *, actor: str, now: datetime) -> Patron:
    """Remove name, contact, birth date, PIN, cards and blocks; keep the countable shape.

    Earlier audit entries about the patron keep who did what and when, but their values
    (old names, addresses, card numbers) are erased too.
    """
    patron = get_patron(session, patron_id)
    if patron.anonymised_at is not None:
        raise PatronConflict(f"patron {patron_id} was already anonymised")
    cards = session.exec(delete(PatronCard).where(col(PatronCard.patron_id) == patron_id))
    blocks = session.exec(delete(PatronBlock).where(col(PatronBlock.patron_id) == patron_id))
    patron.name, patron.email, patron.phone, patron.birth_date = "", None, None, None
    patron.pin_hash, patron.pin_failures, patron.pin_locked_at = None, 0, None
    patron.registered_on = date(patron.registered_on.year, 1, 1)
    patron.anonymised_at = patron.updated_at = now
    session.add(patron)
    reindex(session, patron)
    for entry in _audit_about(session, patron_id):
        if entry.changes:
            entry.changes = {field: "erased" for field in entry.changes}
            session.add(entry)
    audit(
        session,
        actor,
        "patron.anonymised",
        "patron",
        patron_id,
        {"erased": PERSONAL, "cards": cards.rowcount, "blocks": blocks.rowcount},
        now=now,
    )
    session.commit()
    session.refresh(patron)
    return patron
