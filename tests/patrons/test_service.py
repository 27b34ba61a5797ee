"""Patron use cases on a real database (SQLite and PostgreSQL): validation, cards, blocks, PINs."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import Session, col, select

from server.auth.models import AuditEntry
from server.patrons import categories, service
from server.patrons.models import Patron, PatronCard, PatronCategory
from server.patrons.rules import BlockKind
from server.patrons.self_service import LOCK_AFTER, PinOutcome, find_by_card, verify_pin
from server.patrons.validation import CardTaken, PatronInvalid

NOW = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)


def register(session: Session, name: str = "Ada Lovelace", **fields) -> Patron:
    values = {"category": "adult", "home_branch": "main", "cards": ["0004123456"]} | fields
    return service.create_patron(session, name=name, actor="lin", now=NOW, **values)


def audit_of(session: Session, patron_id: int) -> list[AuditEntry]:
    return list(
        session.exec(
            select(AuditEntry)
            .where(AuditEntry.entity == "patron", AuditEntry.entity_id == str(patron_id))
            .order_by(col(AuditEntry.id))
        ).all()
    )


def test_the_migration_ships_default_categories(session) -> None:
    shipped = {c.code: c for c in session.exec(select(PatronCategory)).all()}
    assert {"adult", "child", "student", "staff"} <= set(shipped)
    assert shipped["adult"].needs_pin
    assert not shipped["child"].needs_pin


def test_a_new_patron_gets_its_categorys_card_validity_and_an_audit_entry(session) -> None:
    patron = register(session, email="Ada@Example.org", phone="+44 20 7946 0958")
    assert patron.registered_on == NOW.date()
    assert patron.expires_on == NOW.date() + timedelta(days=1095)
    assert (patron.email, patron.phone) == ("Ada@example.org", "+442079460958")
    [entry] = audit_of(session, patron.id)
    assert (entry.actor, entry.action) == ("lin", "patron.created")
    assert entry.changes["cards"] == ["0004123456"]
    assert entry.at == NOW


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"name": " "}, "name", "name is required"),
        ({"email": "ada@@example.org"}, "email", "not a valid email address"),
        ({"phone": "555"}, "phone", "not a valid phone number"),
        ({"birth_date": date(2026, 3, 11)}, "birth_date", "cannot be in the future"),
        ({"expires_on": date(2026, 3, 10)}, "expires_on", "must be after the registration"),
        ({"cards": ["12"]}, "cards", "4 to 32 letters or digits"),
        ({"cards": ["1234", "1234"]}, "cards", "listed twice"),
        ({"pin": "12"}, "pin", "PIN must be 4 to 8 digits"),
        ({"category": "wizard"}, "category", "unknown category 'wizard'"),
    ],
)
def test_each_bad_field_is_named_with_its_reason(session, fields, field, message) -> None:
    with pytest.raises(PatronInvalid, match=message) as refused:
        register(session, **fields)
    assert refused.value.field == field
    assert session.exec(select(Patron)).all() == []


def test_national_phone_numbers_are_read_in_the_configured_region(session) -> None:
    patron = register(session, phone="138 0013 8000", phone_region="CN")
    assert patron.phone == "+8613800138000"


def test_a_card_number_belongs_to_one_patron_only_even_once_retired(session) -> None:
    ada = register(session)
    with pytest.raises(CardTaken, match=f"card 0004123456 already belongs to patron {ada.id}"):
        register(session, "Grace Hopper", cards=["0004-123456"])
    grace = register(session, "Grace Hopper", cards=["0004999999"])
    with pytest.raises(CardTaken, match="already belongs"):
        service.add_card(session, grace.id, "0004123456", actor="lin", now=NOW)
    service.retire_card(session, ada.id, "0004123456", "lost", actor="lin", now=NOW)
    with pytest.raises(CardTaken, match="retired; numbers are never reused"):
        service.add_card(session, grace.id, "0004123456", actor="lin", now=NOW)


def test_a_patron_may_hold_several_cards_and_a_retired_one_stops_working(session) -> None:
    ada = register(session)
    service.add_card(session, ada.id, "e004aaaa", actor="lin", now=NOW)
    assert find_by_card(session, "0004123456").id == ada.id
    assert find_by_card(session, "E004AAAA").id == ada.id
    retired = service.retire_card(session, ada.id, "0004123456", "lost", actor="lin", now=NOW)
    assert (retired.retired_at, retired.retired_reason) == (NOW, "lost")
    assert find_by_card(session, "0004123456") is None
    assert find_by_card(session, "E004AAAA").id == ada.id
    assert find_by_card(session, "no such card!") is None
    with pytest.raises(service.PatronConflict, match="already retired"):
        service.retire_card(session, ada.id, "0004123456", "lost", actor="lin", now=NOW)
    actions = [e.action for e in audit_of(session, ada.id)]
    assert actions == ["patron.created", "patron.card_added", "patron.card_retired"]


def test_manual_blocks_are_rows_with_who_when_why_and_can_be_lifted(session) -> None:
    ada = register(session)
    block = service.add_block(session, ada.id, "  damaged   books ", actor="lin", now=NOW)
    assert (block.reason, block.created_by, block.created_at) == ("damaged books", "lin", NOW)
    [now_blocked] = service.blocks_now(session, ada, NOW.date())
    assert (now_blocked.kind, now_blocked.block_id) == (BlockKind.MANUAL, block.id)
    later = NOW + timedelta(days=1)
    lifted = service.lift_block(session, ada.id, block.id, actor="ada", now=later)
    assert (lifted.lifted_by, lifted.lifted_at) == ("ada", later)
    assert service.blocks_now(session, ada, NOW.date()) == []
    assert len(service.blocks_rows(session, ada.id)) == 1  # the history stays
    with pytest.raises(service.PatronConflict, match="already lifted"):
        service.lift_block(session, ada.id, block.id, actor="ada", now=later)
    with pytest.raises(PatronInvalid, match="say why"):
        service.add_block(session, ada.id, "   ", actor="lin", now=NOW)
    expired = service.blocks_now(session, ada, ada.expires_on + timedelta(days=1), fines_owed=50)
    assert [b.kind for b in expired] == [BlockKind.EXPIRED, BlockKind.FINES]
    actions = [e.action for e in audit_of(session, ada.id)]
    assert actions[-2:] == ["patron.blocked", "patron.unblocked"]


def test_changes_are_validated_and_audited_but_never_with_the_pin(session) -> None:
    ada = register(session, pin="1234")
    with pytest.raises(PatronInvalid, match="must be after the registration") as refused:
        service.update_patron(session, ada.id, actor="lin", now=NOW, expires_on=date(2026, 1, 1))
    assert refused.value.field == "expires_on"
    changed = service.update_patron(
        session, ada.id, actor="lin", now=NOW, email=None, category="staff", pin="987654"
    )
    assert changed.category == "staff"
    entry = audit_of(session, ada.id)[-1]
    assert entry.changes == {"category": ["adult", "staff"], "pin": "changed"}
    assert "987654" not in str([e.changes for e in audit_of(session, ada.id)])
    assert changed.pin_hash.startswith("$argon2id$")
    assert verify_pin(session, "0004123456", "987654", now=NOW).ok


def test_five_wrong_pins_lock_until_staff_unlock(session) -> None:
    ada = register(session, pin="2468")
    assert verify_pin(session, "0004123456", "2468", now=NOW).outcome is PinOutcome.ACCEPTED
    for attempt in range(1, LOCK_AFTER):
        check = verify_pin(session, "0004123456", "0000", now=NOW)
        assert (check.outcome, check.attempts_left) == (PinOutcome.WRONG, LOCK_AFTER - attempt)
    assert verify_pin(session, "0004123456", "0000", now=NOW).outcome is PinOutcome.LOCKED
    # even the right PIN is refused now
    assert verify_pin(session, "0004123456", "2468", now=NOW).outcome is PinOutcome.LOCKED
    assert audit_of(session, ada.id)[-1].action == "patron.pin_locked"
    service.update_patron(session, ada.id, actor="lin", now=NOW, unlock_pin=True)
    assert verify_pin(session, "0004123456", "2468", now=NOW).ok
    assert audit_of(session, ada.id)[-1].changes == {"pin": "unlocked"}


def test_a_right_pin_resets_the_count_and_unknown_cards_or_no_pin_are_said_plainly(
    session,
) -> None:
    register(session, pin="2468")
    register(session, "Grace Hopper", cards=["0004999999"])
    for _ in range(LOCK_AFTER - 1):
        verify_pin(session, "0004123456", "0000", now=NOW)
    assert verify_pin(session, "0004123456", "2468", now=NOW).ok
    assert verify_pin(session, "0004123456", "0000", now=NOW).attempts_left == LOCK_AFTER - 1
    assert verify_pin(session, "0004999999", "1234", now=NOW).outcome is PinOutcome.NOT_SET
    assert verify_pin(session, "7777777", "1234", now=NOW).outcome is PinOutcome.UNKNOWN_CARD


def test_search_finds_by_name_card_or_email_with_paging(session) -> None:
    for number in range(30):
        register(session, f"Reader {number:02}", cards=[f"9000{number:04}"])
    register(session, "Ada Lovelace", email="ada@example.org", cards=["E004AAAA"])
    first = service.search_patrons(session, "reader", page=1, per_page=25)
    assert (first.total, len(first.items)) == (30, 25)
    second = service.search_patrons(session, "READER", page=2, per_page=25)
    assert [p.name for p in second.items] == [f"Reader {n}" for n in range(25, 30)]
    assert [p.name for p in service.search_patrons(session, "e004aaaa").items] == ["Ada Lovelace"]
    assert [p.name for p in service.search_patrons(session, "@example").items] == ["Ada Lovelace"]
    assert service.search_patrons(session, "nobody").total == 0
    assert service.search_patrons(session, "").total == 31


def test_librarians_add_and_change_categories(session) -> None:
    made = categories.create_category(
        session,
        code="senior",
        name="Senior",
        needs_pin=False,
        card_validity_days=1825,
        actor="lin",
        now=NOW,
    )
    assert made.code == "senior"
    with pytest.raises(service.PatronConflict, match="exists already"):
        categories.create_category(
            session,
            code="senior",
            name="x",
            needs_pin=True,
            card_validity_days=1,
            actor="lin",
            now=NOW,
        )
    changed = categories.update_category(session, "senior", actor="lin", now=NOW, needs_pin=True)
    assert changed.needs_pin
    patron = register(session, category="senior")
    assert patron.expires_on == NOW.date() + timedelta(days=1825)
    entries = session.exec(select(AuditEntry).where(AuditEntry.entity == "patron_category")).all()
    assert [e.action for e in entries] == ["category.created", "category.changed"]


def test_cards_are_looked_up_by_a_unique_index(session) -> None:
    indexes = PatronCard.__table__.indexes  # type: ignore[attr-defined]
    [by_number] = [i for i in indexes if [c.name for c in i.columns] == ["number"]]
    assert by_number.unique
    engine = session.get_bind()
    names = {i["name"]: i for i in sa.inspect(engine).get_indexes("patron_card")}
    assert names["ix_patron_card_number"]["unique"]
