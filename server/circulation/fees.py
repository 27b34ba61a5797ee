"""A patron's fee ledger: fines and charges owed, payments and waivers that settle them.

Every line is a row of the Fee table in whole cents: what is owed is positive (an overdue
fine, a lost item, a charge staff make), what settles it negative (a payment, a waiver).
The balance is their sum; owing more than the policy allows stops borrowing, renewing and
placing holds (decisions.patron_refusals).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlmodel import Session, col, select

from server.auth.service import audit
from server.circulation import decisions
from server.circulation.models import Fee
from server.circulation.service import CirculationNotFound, CirculationRefused, balance_cents, lock
from server.patrons.models import Patron


class FeeKind(StrEnum):
    OVERDUE = "overdue"  # charged at check-in (service.checkin)
    LOST = "lost"  # the price of an item marked lost (claims.mark_lost)
    MANUAL = "manual"  # a charge staff make: a damaged item, a replacement card
    PAYMENT = "payment"
    WAIVER = "waiver"


@dataclass(frozen=True)
class Ledger:
    """What a patron owes and every line that makes it up, newest first."""

    patron_id: int
    balance_cents: int
    lines: list[Fee]


@dataclass(frozen=True)
class FeeDone:
    """The line a use case wrote, the balance after it, and what to tell the live stream."""

    line: Fee
    balance_cents: int
    live: list[dict[str, Any]] = field(default_factory=list)


def _patron(session: Session, patron_id: int) -> Patron:
    patron = session.get(Patron, patron_id)
    if patron is None:
        raise CirculationNotFound(f"no patron {patron_id}")
    return patron


def balance(session: Session, patron_id: int) -> int:
    """What the patron owes in cents (negative: in credit)."""
    _patron(session, patron_id)
    return balance_cents(session, patron_id)


def ledger(session: Session, patron_id: int) -> Ledger:
    _patron(session, patron_id)
    lines = session.exec(
        select(Fee)
        .where(Fee.patron_id == patron_id)
        .order_by(col(Fee.at).desc(), col(Fee.id).desc())
    ).all()
    return Ledger(patron_id, sum(line.amount_cents for line in lines), list(lines))


def pay(
    session: Session,
    patron_id: int,
    amount_cents: int,
    *,
    actor: str,
    now: datetime,
    note: str = "",
) -> FeeDone:
    """Take a payment: never more than is owed, never nothing."""
    return _settle(session, patron_id, amount_cents, FeeKind.PAYMENT, actor, now, note)


def waive(
    session: Session, patron_id: int, amount_cents: int, *, reason: str, actor: str, now: datetime
) -> FeeDone:
    """Forgive part or all of what is owed, saying why (the reason is kept on the line)."""
    if not reason.strip():
        raise ValueError("a waiver needs a reason")
    return _settle(session, patron_id, amount_cents, FeeKind.WAIVER, actor, now, reason)


def charge(
    session: Session,
    patron_id: int,
    amount_cents: int,
    *,
    note: str,
    actor: str,
    now: datetime,
    kind: FeeKind = FeeKind.MANUAL,
    loan_id: int | None = None,
) -> FeeDone:
    """Add what the patron owes for something other than lateness; `note` says what."""
    if amount_cents <= 0:
        raise ValueError("a charge is a positive number of cents")
    _patron(session, patron_id)
    lock(session, Patron, patron_id)
    line = Fee(
        patron_id=patron_id,
        loan_id=loan_id,
        kind=kind,
        amount_cents=amount_cents,
        at=now,
        actor=actor,
        note=note.strip()[:300],
    )
    return _write(session, line, "FeeCharged")


def _settle(
    session: Session,
    patron_id: int,
    amount_cents: int,
    kind: FeeKind,
    actor: str,
    now: datetime,
    note: str,
) -> FeeDone:
    _patron(session, patron_id)
    lock(session, Patron, patron_id)  # two desks taking money at once are served in turn
    owed = balance_cents(session, patron_id)
    action = "payment" if kind == FeeKind.PAYMENT else "waiver"
    if amount_cents <= 0 or owed <= 0:
        session.rollback()
        message = "nothing is owed" if owed <= 0 else "the amount must be more than 0"
        raise CirculationRefused(
            action, [decisions.Refusal(decisions.Reason.NOTHING_OWED, message)]
        )
    if amount_cents > owed:
        session.rollback()
        raise CirculationRefused(
            action,
            [
                decisions.Refusal(
                    decisions.Reason.OVERPAID,
                    f"{_money(amount_cents)} is more than the {_money(owed)} owed",
                )
            ],
        )
    line = Fee(
        patron_id=patron_id,
        kind=kind,
        amount_cents=-amount_cents,
        at=now,
        actor=actor,
        note=note.strip()[:300],
    )
    return _write(session, line, "FeePaid" if kind == FeeKind.PAYMENT else "FeeWaived")


def _write(session: Session, line: Fee, message: str) -> FeeDone:
    session.add(line)
    session.flush()
    after = balance_cents(session, line.patron_id)
    changes = {
        "patron_id": line.patron_id,
        "kind": line.kind,
        "amount_cents": line.amount_cents,
        "balance_cents": after,
        "note": line.note,
    }
    audit(session, line.actor, f"fee.{line.kind}", "fee", line.id, changes, now=line.at)
    session.commit()
    live = {
        "type": message,
        "fee_id": line.id,
        "patron_id": line.patron_id,
        "kind": line.kind,
        "amount_cents": line.amount_cents,
        "balance_cents": after,
    }
    return FeeDone(line, after, [live])


def _money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"
