"""Use cases for patron categories (adult, child, ...): librarians list, add and change them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from server.auth.service import audit
from server.patrons import validation
from server.patrons.models import PatronCategory
from server.patrons.service import PatronConflict, PatronNotFound, checked


def list_categories(session: Session) -> list[PatronCategory]:
    return list(session.exec(select(PatronCategory).order_by(col(PatronCategory.code))).all())


def create_category(
    session: Session,
    *,
    code: str,
    name: str,
    needs_pin: bool,
    card_validity_days: int,
    actor: str,
    now: datetime,
) -> PatronCategory:
    code = checked("code", validation.category_code, code)
    if session.get(PatronCategory, code) is not None:
        raise PatronConflict(f"category {code!r} exists already")
    category = PatronCategory(
        code=code,
        name=checked("name", validation.name, name),
        needs_pin=needs_pin,
        card_validity_days=card_validity_days,
    )
    session.add(category)
    audit(
        session, actor, "category.created", "patron_category", code, category.model_dump(), now=now
    )
    session.commit()
    session.refresh(category)
    return category


def update_category(
    session: Session, code: str, *, actor: str, now: datetime, **fields: Any
) -> PatronCategory:
    category = session.get(PatronCategory, code)
    if category is None:
        raise PatronNotFound(f"no category {code!r}")
    if "name" in fields:
        fields["name"] = checked("name", validation.name, fields["name"])
    changes = {
        field: [getattr(category, field), value]
        for field, value in fields.items()
        if getattr(category, field) != value
    }
    if changes:
        for field, (_old, new) in changes.items():
            setattr(category, field, new)
        session.add(category)
        audit(session, actor, "category.changed", "patron_category", code, changes, now=now)
        session.commit()
        session.refresh(category)
    return category
