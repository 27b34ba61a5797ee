"""Use cases of the patrons context: register, change and find patrons, their cards and blocks.

Each function is one transaction and writes its audit entry in it. The other use cases sit
beside it: categories.py, self_service.py (card lookup, PIN) and privacy.py (export, erase).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, or_, select

from server.auth.hashing import hash_secret
from server.auth.service import audit
from server.patrons import search, validation
from server.patrons.models import Patron, PatronBlock, PatronCard, PatronCategory
from server.patrons.rules import Block, Limits, blocks_of
from server.patrons.validation import CardTaken, PatronInvalid

MAX_PAGE = 100


class PatronNotFound(LookupError):
    """No such patron (or card, or block of that patron); the message says which."""


class PatronConflict(Exception):
    """A change that cannot be made in the patron's present state; the message says why."""


@dataclass(frozen=True)
class Standing:
    """What rules.blocks_of needs to know about a patron."""

    expires_on: date
    blocks: list[PatronBlock]


@dataclass(frozen=True)
class PatronPage:
    items: list[Patron]
    total: int
    page: int
    per_page: int


def checked(field: str, check: Any, *args: Any) -> Any:
    """Run one validation function; its ValueError becomes a PatronInvalid naming `field`."""
    try:
        return check(*args)
    except PatronInvalid:
        raise
    except ValueError as error:
        raise PatronInvalid(field, str(error)) from error


def _category(session: Session, code: str) -> PatronCategory:
    category = session.get(PatronCategory, code)
    if category is None:
        known = ", ".join(session.exec(select(PatronCategory.code)).all())
        raise PatronInvalid("category", f"unknown category {code!r}; known: {known}")
    return category


def _check_cards_free(session: Session, numbers: Iterable[str]) -> None:
    numbers = list(numbers)
    if not numbers:
        return
    taken = session.exec(select(PatronCard).where(col(PatronCard.number).in_(numbers))).first()
    if taken is None:
        return
    if taken.retired_at is not None:
        raise CardTaken(
            "cards", f"card {taken.number} was issued before and retired; numbers are never reused"
        )
    raise CardTaken("cards", f"card {taken.number} already belongs to patron {taken.patron_id}")


def _commit_cards(session: Session) -> None:
    """Commit; two desks issuing one card number at once: the unique index decides."""
    try:
        session.commit()
    except IntegrityError as error:
        session.rollback()
        raise CardTaken("cards", "that card number was just issued to another patron") from error


def reindex(session: Session, patron: Patron) -> None:
    """Bring the patron's row in the search index up to date, in the same transaction."""
    assert patron.id is not None
    connection = session.connection()
    if patron.anonymised_at is not None:
        search.forget(connection, [patron.id])
    else:
        search.index(connection, [search.Entry(patron.id, patron.name, patron.email, patron.phone)])


def get_patron(session: Session, patron_id: int) -> Patron:
    patron = session.get(Patron, patron_id)
    if patron is None:
        raise PatronNotFound(f"no patron {patron_id}")
    return patron


def _changeable(session: Session, patron_id: int) -> Patron:
    patron = get_patron(session, patron_id)
    if patron.anonymised_at is not None:
        raise PatronConflict(f"patron {patron_id} has been anonymised and cannot be changed")
    return patron


def create_patron(
    session: Session,
    *,
    name: str,
    category: str,
    home_branch: str,
    actor: str,
    now: datetime,
    email: str | None = None,
    phone: str | None = None,
    birth_date: date | None = None,
    cards: Iterable[str] = (),
    pin: str | None = None,
    registered_on: date | None = None,
    expires_on: date | None = None,
    phone_region: str = validation.DEFAULT_PHONE_REGION,
) -> Patron:
    today = now.date()
    registered_on = registered_on or today
    kind = _category(session, category)
    expires_on = expires_on or registered_on + timedelta(days=kind.card_validity_days)
    numbers = checked("cards", validation.cards, list(cards))
    patron = Patron(
        name=checked("name", validation.name, name),
        email=checked("email", validation.email, email),
        phone=checked("phone", validation.phone, phone, phone_region),
        birth_date=checked("birth_date", validation.birth_date, birth_date, today),
        category=kind.code,
        home_branch=home_branch,
        registered_on=registered_on,
        expires_on=checked("expires_on", validation.expiry, expires_on, registered_on),
        pin_hash=hash_secret(checked("pin", validation.pin, pin)) if pin is not None else None,
        created_at=now,
        updated_at=now,
    )
    _check_cards_free(session, numbers)
    session.add(patron)
    session.flush()
    reindex(session, patron)
    for number in numbers:
        session.add(PatronCard(patron_id=patron.id, number=number, issued_at=now))
    changes: dict[str, Any] = {
        "name": patron.name,
        "category": patron.category,
        "home_branch": patron.home_branch,
        "email": patron.email,
        "phone": patron.phone,
        "birth_date": patron.birth_date.isoformat() if patron.birth_date else None,
        "registered_on": patron.registered_on.isoformat(),
        "expires_on": patron.expires_on.isoformat(),
        "cards": numbers,
    }
    if pin is not None:
        changes["pin"] = "set"
    audit(session, actor, "patron.created", "patron", patron.id, changes, now=now)
    _commit_cards(session)
    session.refresh(patron)
    return patron


def _shown(value: object) -> object:
    return value.isoformat() if isinstance(value, date) else value


def update_patron(
    session: Session,
    patron_id: int,
    *,
    actor: str,
    now: datetime,
    phone_region: str = validation.DEFAULT_PHONE_REGION,
    **fields: Any,
) -> Patron:
    """Change the given fields (None clears email, phone, birth_date); `pin`, `unlock_pin`."""
    patron = _changeable(session, patron_id)
    today = now.date()
    wanted: dict[str, Any] = {}
    for field, value in fields.items():
        if field == "name":
            wanted[field] = checked(field, validation.name, value)
        elif field == "email":
            wanted[field] = checked(field, validation.email, value)
        elif field == "phone":
            wanted[field] = checked(field, validation.phone, value, phone_region)
        elif field == "birth_date":
            wanted[field] = checked(field, validation.birth_date, value, today)
        elif field == "category":
            wanted[field] = _category(session, value).code
        elif field == "home_branch":
            wanted[field] = value
        elif field == "expires_on":
            wanted[field] = checked(field, validation.expiry, value, patron.registered_on)
        elif field not in ("pin", "unlock_pin"):
            raise PatronInvalid(field, f"{field} cannot be changed")
    changes: dict[str, Any] = {}
    for field, value in wanted.items():
        if getattr(patron, field) != value:
            changes[field] = [_shown(getattr(patron, field)), _shown(value)]
            setattr(patron, field, value)
    if fields.get("pin") is not None:
        patron.pin_hash = hash_secret(checked("pin", validation.pin, fields["pin"]))
        patron.pin_failures, patron.pin_locked_at = 0, None
        changes["pin"] = "changed"
    elif fields.get("unlock_pin") and (patron.pin_locked_at or patron.pin_failures):
        patron.pin_failures, patron.pin_locked_at = 0, None
        changes["pin"] = "unlocked"
    if changes:
        patron.updated_at = now
        session.add(patron)
        if changes.keys() & {"name", "email", "phone"}:
            reindex(session, patron)
        audit(session, actor, "patron.changed", "patron", patron.id, changes, now=now)
        session.commit()
        session.refresh(patron)
    return patron


def cards_of(session: Session, patron_id: int) -> list[PatronCard]:
    return list(
        session.exec(
            select(PatronCard)
            .where(PatronCard.patron_id == patron_id)
            .order_by(col(PatronCard.issued_at), col(PatronCard.id))
        ).all()
    )


def add_card(
    session: Session, patron_id: int, number: str, *, actor: str, now: datetime
) -> PatronCard:
    patron = _changeable(session, patron_id)
    number = checked("number", validation.card, number)
    _check_cards_free(session, [number])
    card = PatronCard(patron_id=patron.id, number=number, issued_at=now)
    session.add(card)
    audit(session, actor, "patron.card_added", "patron", patron.id, {"card": number}, now=now)
    _commit_cards(session)
    session.refresh(card)
    return card


def retire_card(
    session: Session, patron_id: int, number: str, reason: str, *, actor: str, now: datetime
) -> PatronCard:
    """A lost or damaged card stops working at once; its number is never issued again."""
    _changeable(session, patron_id)
    card = session.exec(
        select(PatronCard).where(
            PatronCard.patron_id == patron_id,
            PatronCard.number == checked("number", validation.card, number),
        )
    ).first()
    if card is None:
        raise PatronNotFound(f"patron {patron_id} has no card {number}")
    if card.retired_at is not None:
        raise PatronConflict(f"card {card.number} was already retired")
    card.retired_at, card.retired_reason = now, reason.strip()
    session.add(card)
    audit(
        session,
        actor,
        "patron.card_retired",
        "patron",
        patron_id,
        {"card": card.number, "reason": card.retired_reason},
        now=now,
    )
    session.commit()
    session.refresh(card)
    return card


def blocks_rows(session: Session, patron_id: int) -> list[PatronBlock]:
    return list(
        session.exec(
            select(PatronBlock)
            .where(PatronBlock.patron_id == patron_id)
            .order_by(col(PatronBlock.created_at).desc(), col(PatronBlock.id).desc())
        ).all()
    )


def add_block(
    session: Session, patron_id: int, reason: str, *, actor: str, now: datetime
) -> PatronBlock:
    patron = _changeable(session, patron_id)
    reason = " ".join(reason.split())
    if not reason:
        raise PatronInvalid("reason", "say why the patron is blocked")
    block = PatronBlock(patron_id=patron.id, reason=reason, created_by=actor, created_at=now)
    session.add(block)
    session.flush()
    audit(
        session,
        actor,
        "patron.blocked",
        "patron",
        patron.id,
        {"block": block.id, "reason": reason},
        now=now,
    )
    session.commit()
    session.refresh(block)
    return block


def lift_block(
    session: Session, patron_id: int, block_id: int, *, actor: str, now: datetime
) -> PatronBlock:
    block = session.get(PatronBlock, block_id)
    if block is None or block.patron_id != patron_id:
        raise PatronNotFound(f"patron {patron_id} has no block {block_id}")
    if block.lifted_at is not None:
        raise PatronConflict(f"block {block_id} was already lifted by {block.lifted_by}")
    block.lifted_at, block.lifted_by = now, actor
    session.add(block)
    audit(session, actor, "patron.unblocked", "patron", patron_id, {"block": block_id}, now=now)
    session.commit()
    session.refresh(block)
    return block


def blocks_now(
    session: Session,
    patron: Patron,
    today: date,
    fines_owed: Decimal | int = 0,
    overdue_count: int = 0,
    limits: Limits | None = None,
) -> list[Block]:
    """The patron's blocks today: manual rows plus those computed by rules.blocks_of."""
    standing = Standing(patron.expires_on, blocks_rows(session, patron.id or 0))
    return blocks_of(standing, today, fines_owed, overdue_count, limits)


def search_patrons(
    session: Session,
    text: str = "",
    *,
    page: int = 1,
    per_page: int = 25,
    include_anonymised: bool = False,
) -> PatronPage:
    """Patrons with every word of `text` in their name or contact, or holding card `text`."""
    page, per_page = max(page, 1), min(max(per_page, 1), MAX_PAGE)
    query = select(Patron)
    if not include_anonymised:
        query = query.where(col(Patron.anonymised_at).is_(None))
    text = " ".join(text.split())
    if text:
        matches = []
        words = search.matching(session.get_bind().dialect.name, text)
        if words is not None:
            matches.append(col(Patron.id).in_(words))
        try:
            number = validation.card(text)
        except ValueError:
            pass
        else:
            holder = select(PatronCard.patron_id).where(PatronCard.number == number)
            matches.append(col(Patron.id).in_(holder))
        query = query.where(or_(*matches) if matches else sa.false())
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    items = session.exec(
        query.order_by(col(Patron.name), col(Patron.id))
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return PatronPage(list(items), total, page, per_page)
