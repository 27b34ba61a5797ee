"""Export everything held on a patron, and anonymise one, checked on the database rows."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from server.auth.models import AuditEntry
from server.patrons import privacy, service
from server.patrons.models import Patron, PatronBlock, PatronCard
from server.patrons.self_service import find_by_card

NOW = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)


def ada_and_grace(session: Session) -> tuple[Patron, Patron]:
    ada = service.create_patron(
        session,
        name="Ada Lovelace",
        email="ada@example.org",
        phone="+44 20 7946 0958",
        birth_date=date(1990, 12, 10),
        category="student",
        home_branch="east",
        cards=["0004123456", "E004AAAA"],
        pin="1815",
        registered_on=date(2025, 6, 1),
        actor="lin",
        now=NOW,
    )
    service.add_block(session, ada.id, "Ada's unpaid replacement", actor="lin", now=NOW)
    service.update_patron(session, ada.id, actor="lin", now=NOW, name="Augusta Ada King")
    grace = service.create_patron(
        session,
        name="Grace Hopper",
        email="grace@example.org",
        category="adult",
        home_branch="main",
        cards=["0004999999"],
        actor="lin",
        now=NOW,
    )
    service.add_block(session, grace.id, "Grace's block", actor="lin", now=NOW)
    return ada, grace


def test_the_export_holds_everything_on_the_patron_and_nothing_of_others(session) -> None:
    ada, _grace = ada_and_grace(session)
    exported = privacy.export_patron(session, ada.id, actor="admin", now=NOW)
    text = json.dumps(exported)  # JSON as it leaves the server
    assert exported["patron"]["name"] == "Augusta Ada King"
    assert exported["patron"]["email"] == "ada@example.org"
    assert exported["patron"]["birth_date"] == "1990-12-10"
    assert exported["patron"]["pin_set"] is True
    assert "pin_hash" not in exported["patron"]
    assert "$argon2" not in text
    assert exported["category"]["code"] == "student"
    assert sorted(c["number"] for c in exported["cards"]) == ["0004123456", "E004AAAA"]
    assert [b["reason"] for b in exported["blocks"]] == ["Ada's unpaid replacement"]
    assert [e["action"] for e in exported["audit"]] == [
        "patron.created",
        "patron.blocked",
        "patron.changed",
    ]
    for other in ("Grace", "grace@", "0004999999"):
        assert other not in text
    last = session.exec(select(AuditEntry).order_by(sa.desc("id"))).first()
    assert (last.actor, last.action, last.entity_id) == ("admin", "patron.exported", str(ada.id))


def test_other_contexts_add_their_sections_to_the_export(session, monkeypatch) -> None:
    ada, _grace = ada_and_grace(session)
    monkeypatch.setattr(privacy, "EXPORT_SECTIONS", {})
    privacy.register_export_section("loans", lambda _session, patron_id: [{"patron": patron_id}])
    with pytest.raises(ValueError, match="taken"):
        privacy.register_export_section("cards", lambda _session, _id: [])
    assert privacy.export_patron(session, ada.id, actor="admin", now=NOW)["loans"] == [
        {"patron": ada.id}
    ]


def test_anonymising_removes_personal_data_and_keeps_the_countable_shape(session) -> None:
    ada, grace = ada_and_grace(session)
    privacy.anonymise_patron(session, ada.id, actor="admin", now=NOW)
    session.expire_all()
    with session.get_bind().connect() as raw:
        row = raw.execute(sa.text("SELECT * FROM patron WHERE id = :id"), {"id": ada.id}).one()
        cards = raw.execute(
            sa.text("SELECT count(*) FROM patron_card WHERE patron_id = :id"), {"id": ada.id}
        ).scalar()
        blocks = raw.execute(
            sa.text("SELECT count(*) FROM patron_block WHERE patron_id = :id"), {"id": ada.id}
        ).scalar()
        audit_text = str(
            raw.execute(
                sa.text("SELECT changes FROM audit WHERE entity = 'patron' AND entity_id = :id"),
                {"id": str(ada.id)},
            ).all()
        )
        everything = str(raw.execute(sa.text("SELECT * FROM patron")).all())
    assert row.id == ada.id
    assert (row.category, row.home_branch) == ("student", "east")
    assert str(row.registered_on).startswith("2025-01-01")  # the year, for statistics
    assert (row.name, row.email, row.phone, row.birth_date, row.pin_hash) == (
        "",
        None,
        None,
        None,
        None,
    )
    assert row.anonymised_at is not None
    assert (cards, blocks) == (0, 0)
    for personal in ("Ada", "Augusta", "ada@example.org", "0004123456", "E004AAAA", "7946"):
        assert personal not in audit_text
        assert personal not in everything
    assert find_by_card(session, "0004123456") is None
    # the other patron is untouched
    assert session.get(Patron, grace.id).name == "Grace Hopper"
    assert session.exec(select(PatronCard).where(PatronCard.patron_id == grace.id)).one()
    assert session.exec(select(PatronBlock).where(PatronBlock.patron_id == grace.id)).one()


def test_who_anonymised_is_recorded_and_it_happens_once(session) -> None:
    ada, _grace = ada_and_grace(session)
    privacy.anonymise_patron(session, ada.id, actor="admin", now=NOW)
    last = session.exec(select(AuditEntry).where(AuditEntry.action == "patron.anonymised")).one()
    assert (last.actor, last.entity_id, last.at) == ("admin", str(ada.id), NOW)
    assert last.changes["cards"] == 2
    with pytest.raises(service.PatronConflict, match="already anonymised"):
        privacy.anonymise_patron(session, ada.id, actor="admin", now=NOW)
    with pytest.raises(service.PatronConflict, match="cannot be changed"):
        service.update_patron(session, ada.id, actor="lin", now=NOW, name="Ada again")
    assert service.search_patrons(session, "").total == 1
    assert service.search_patrons(session, "", include_anonymised=True).total == 2
