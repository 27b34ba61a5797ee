"""May this patron borrow or renew this item? Every refusal comes with its reason.

Pure functions over plain facts the service reads from the database. Staff may override
refusals by naming their codes; the decision then says which ones were set aside, so the
caller can audit them with the staff member's reason.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from enum import StrEnum

from server.catalog.shapes import ItemStatus
from server.circulation.calendar import local_day
from server.circulation.rules import DEFAULT_POLICY, LoanRule, Policy


class Reason(StrEnum):
    """Why a checkout or renewal is refused: the code pages translate and staff override."""

    PATRON_BLOCKED = "patron_blocked"
    CARD_EXPIRED = "card_expired"
    FINES_OVER_LIMIT = "fines_over_limit"
    ALREADY_ON_LOAN = "already_on_loan"
    WITHDRAWN = "withdrawn"
    NOT_FOR_LOAN = "not_for_loan"
    ON_HOLD_FOR_OTHER = "on_hold_for_other"
    LIMIT_REACHED = "limit_reached"
    NO_RENEWALS_LEFT = "no_renewals_left"
    OVERDUE = "overdue"
    # holds, fees, lost and claimed items
    ALREADY_HELD = "already_held"
    ALREADY_BORROWED = "already_borrowed"
    NOT_OF_RECORD = "not_of_record"
    NO_LOANABLE_COPY = "no_loanable_copy"
    HOLD_CLOSED = "hold_closed"
    LOAN_NOT_OUT = "loan_not_out"
    OVERPAID = "overpaid"
    NOTHING_OWED = "nothing_owed"


@dataclass(frozen=True)
class Refusal:
    code: Reason
    message: str


@dataclass(frozen=True)
class Allowed:
    """Go ahead; `overridden` lists the refusals staff set aside (empty when none)."""

    overridden: tuple[Refusal, ...] = ()

    @property
    def allowed(self) -> bool:
        return True


@dataclass(frozen=True)
class Refused:
    """Not allowed, for every reason in `reasons`; `overridden` were set aside but not enough."""

    reasons: tuple[Refusal, ...]
    overridden: tuple[Refusal, ...] = ()

    @property
    def allowed(self) -> bool:
        return False

    @property
    def codes(self) -> list[Reason]:
        return [reason.code for reason in self.reasons]


Decision = Allowed | Refused


@dataclass(frozen=True)
class Hold:
    """A patron waiting for an item, and the branch they will collect it at."""

    patron_id: int
    pickup_branch: str
    hold_id: int | None = None


@dataclass(frozen=True)
class PatronStanding:
    """What circulation needs to know of a patron.

    `blocked_reasons` are the blocks other than an expired card and fines (which are
    checked here from `card_expires` and `fines_owed_cents`): manual blocks, too many
    overdues.
    """

    patron_id: int
    category: str
    home_branch: str
    card_expires: date  # the card is valid through this day
    blocked_reasons: tuple[str, ...] = ()
    fines_owed_cents: int = 0


@dataclass(frozen=True)
class ItemState:
    """What circulation needs to know of an item (copy).

    `holds` are the holds this copy may fill, first in line first; the hold a copy is
    trapped for comes first.
    """

    status: str  # an ItemStatus value
    item_type: str
    home_branch: str
    holds: tuple[Hold, ...] = ()
    borrower_id: int | None = None  # the patron who has it, while on loan


@dataclass(frozen=True)
class LoanState:
    """A loan being renewed."""

    due_at: datetime
    renewals_used: int = 0


def may_checkout(
    patron: PatronStanding,
    item: ItemState,
    rule: LoanRule,
    loans_count: int,
    *,
    today: date,
    policy: Policy = DEFAULT_POLICY,
    overrides: Collection[str] = (),
) -> Decision:
    """Whether `patron` may borrow `item` under `rule` on `today` (the library's date).

    `loans_count` is how many loans the patron holds under the same matrix row as this
    one (RuleMatrix.loans_under). An item marked missing that is being borrowed has been
    found, so it is lent.
    """
    refusals = patron_refusals(patron, today, policy)
    if item.status == ItemStatus.ON_LOAN:
        if item.borrower_id == patron.patron_id:
            message = "already on loan to this patron: renew it instead"
        else:
            message = "on loan to another patron: check it in first"
        refusals.append(Refusal(Reason.ALREADY_ON_LOAN, message))
    elif item.status == ItemStatus.WITHDRAWN:
        refusals.append(Refusal(Reason.WITHDRAWN, "withdrawn from the collection"))
    if not rule.for_loan:
        refusals.append(
            Refusal(Reason.NOT_FOR_LOAN, f"{item.item_type} items are for use in the library")
        )
    if _waiting_for_others(item.holds, patron.patron_id):
        refusals.append(Refusal(Reason.ON_HOLD_FOR_OTHER, "on hold for another patron"))
    if rule.for_loan and loans_count >= rule.max_items:
        refusals.append(
            Refusal(
                Reason.LIMIT_REACHED,
                f"{loans_count} such items on loan already, the most allowed is {rule.max_items}",
            )
        )
    return _decided(refusals, overrides)


def may_renew(
    patron: PatronStanding,
    item: ItemState,
    loan: LoanState,
    rule: LoanRule,
    *,
    now: datetime,
    tz: tzinfo,
    policy: Policy = DEFAULT_POLICY,
    overrides: Collection[str] = (),
) -> Decision:
    """Whether `patron` may renew their `loan` of `item` at `now` (library zone `tz`)."""
    refusals = patron_refusals(patron, local_day(now, tz), policy)
    if not rule.for_loan:
        refusals.append(
            Refusal(Reason.NOT_FOR_LOAN, f"{item.item_type} items are for use in the library")
        )
    elif loan.renewals_used >= rule.renewals:
        refusals.append(
            Refusal(
                Reason.NO_RENEWALS_LEFT,
                f"renewed {loan.renewals_used} times, the most allowed is {rule.renewals}",
            )
        )
    if rule.holds_block_renewal and any(h.patron_id != patron.patron_id for h in item.holds):
        refusals.append(Refusal(Reason.ON_HOLD_FOR_OTHER, "another patron is waiting for it"))
    if now > loan.due_at and not policy.renew_overdue:
        refusals.append(
            Refusal(
                Reason.OVERDUE,
                f"overdue since {local_day(loan.due_at, tz).isoformat()}: return it",
            )
        )
    return _decided(refusals, overrides)


def renewals_left(rule: LoanRule, loan: LoanState) -> int:
    return max(0, rule.renewals - loan.renewals_used) if rule.for_loan else 0


def patron_refusals(patron: PatronStanding, today: date, policy: Policy) -> list[Refusal]:
    refusals = [Refusal(Reason.PATRON_BLOCKED, reason) for reason in patron.blocked_reasons]
    if today > patron.card_expires:
        refusals.append(
            Refusal(Reason.CARD_EXPIRED, f"card expired on {patron.card_expires.isoformat()}")
        )
    if patron.fines_owed_cents > policy.max_fines_cents:
        refusals.append(
            Refusal(
                Reason.FINES_OVER_LIMIT,
                f"owes {_money(patron.fines_owed_cents)} in fines, "
                f"over the limit of {_money(policy.max_fines_cents)}",
            )
        )
    return refusals


def _waiting_for_others(holds: Iterable[Hold], patron_id: int) -> bool:
    """Someone else is first in line: the patron's own place further back does not count."""
    first = next(iter(holds), None)
    return first is not None and first.patron_id != patron_id


def _decided(refusals: list[Refusal], overrides: Collection[str]) -> Decision:
    set_aside_codes = {Reason(code) for code in overrides}
    kept = tuple(r for r in refusals if r.code not in set_aside_codes)
    set_aside = tuple(r for r in refusals if r.code in set_aside_codes)
    return Refused(kept, set_aside) if kept else Allowed(set_aside)


def _money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"
