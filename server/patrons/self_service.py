"""Use cases for card taps at kiosks and desks: who holds this card, and is this their PIN.

Five wrong PINs in a row lock the PIN until staff set a new one or unlock it: a four-digit
PIN guessed a few times an hour would otherwise fall within days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlmodel import Session, col, select

from server.auth.hashing import hash_secret, needs_rehash, verify_secret
from server.auth.service import audit
from server.patrons import validation
from server.patrons.models import Patron, PatronCard

LOCK_AFTER = 5  # wrong PINs in a row


class PinOutcome(StrEnum):
    ACCEPTED = "accepted"
    WRONG = "wrong"
    LOCKED = "locked"  # too many wrong PINs: staff must unlock or set a new one
    NOT_SET = "not_set"  # the patron has no PIN yet
    UNKNOWN_CARD = "unknown_card"  # no such card, or a retired one


@dataclass(frozen=True)
class PinCheck:
    outcome: PinOutcome
    patron_id: int | None = None
    attempts_left: int | None = None

    @property
    def ok(self) -> bool:
        return self.outcome is PinOutcome.ACCEPTED


def _holder(session: Session, card: str, *, lock: bool = False) -> Patron | None:
    try:
        number = validation.card(card)
    except ValueError:
        return None
    query = (
        select(Patron)
        .join(PatronCard, col(PatronCard.patron_id) == col(Patron.id))
        .where(PatronCard.number == number, col(PatronCard.retired_at).is_(None))
    )
    if lock:
        query = query.with_for_update(of=Patron)  # type: ignore[arg-type]
    return session.exec(query).first()


def find_by_card(session: Session, card: str) -> Patron | None:
    """The patron holding this card, or None for an unknown or retired card (one index hit)."""
    return _holder(session, card)


def verify_pin(session: Session, card: str, pin: str, *, now: datetime) -> PinCheck:
    """Check a PIN typed at a kiosk; counts wrong ones and locks after LOCK_AFTER in a row."""
    patron = _holder(session, card, lock=True)
    if patron is None:
        verify_secret(None, pin)  # as long as a wrong PIN takes
        session.rollback()
        return PinCheck(PinOutcome.UNKNOWN_CARD)
    if patron.pin_locked_at is not None:
        session.rollback()
        return PinCheck(PinOutcome.LOCKED, patron.id, 0)
    if patron.pin_hash is None:
        session.rollback()
        return PinCheck(PinOutcome.NOT_SET, patron.id)
    if verify_secret(patron.pin_hash, pin):
        if patron.pin_failures or needs_rehash(patron.pin_hash):
            patron.pin_failures = 0
            patron.pin_hash = hash_secret(pin)
            session.add(patron)
        session.commit()
        return PinCheck(PinOutcome.ACCEPTED, patron.id)
    patron.pin_failures += 1
    outcome = PinOutcome.WRONG
    if patron.pin_failures >= LOCK_AFTER:
        patron.pin_locked_at, outcome = now, PinOutcome.LOCKED
        audit(
            session,
            "system",
            "patron.pin_locked",
            "patron",
            patron.id,
            {"pin_failures": patron.pin_failures},
            now=now,
        )
    session.add(patron)
    session.commit()
    return PinCheck(outcome, patron.id, max(LOCK_AFTER - patron.pin_failures, 0))
