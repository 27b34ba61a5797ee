"""Pure rules about patrons: which blocks stop a patron borrowing today, and why.

No I/O: circulation passes in the fines owed and overdue count it knows about.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Protocol


class BlockKind(StrEnum):
    MANUAL = "manual"  # set by a librarian, with a reason, until lifted
    EXPIRED = "expired"  # the card's expiry date has passed
    FINES = "fines"  # owes more than the fines limit
    OVERDUES = "overdues"  # has more overdue items than allowed


@dataclass(frozen=True)
class Limits:
    """The most a patron may owe, and the most overdue items they may hold, and still borrow."""

    max_fines: Decimal = Decimal("10.00")
    max_overdues: int = 3


@dataclass(frozen=True)
class Block:
    kind: BlockKind
    reason: str
    since: date | None = None
    block_id: int | None = None  # the manual block's row, so it can be lifted


class ManualBlockFacts(Protocol):
    id: int | None
    reason: str
    created_at: datetime
    lifted_at: datetime | None


class PatronFacts(Protocol):
    expires_on: date
    blocks: Sequence[ManualBlockFacts]


def blocks_of(
    patron: PatronFacts,
    today: date,
    fines_owed: Decimal | int = 0,
    overdue_count: int = 0,
    limits: Limits | None = None,
) -> list[Block]:
    """Every reason `patron` may not borrow on `today`; an empty list means they may."""
    limits = limits or Limits()
    found = [
        Block(BlockKind.MANUAL, block.reason, block.created_at.date(), block.id)
        for block in sorted(patron.blocks, key=lambda b: b.created_at)
        if block.lifted_at is None
    ]
    if today > patron.expires_on:
        found.append(
            Block(
                BlockKind.EXPIRED,
                f"card expired on {patron.expires_on.isoformat()}",
                patron.expires_on,
            )
        )
    owed = Decimal(fines_owed)
    if owed > limits.max_fines:
        found.append(
            Block(
                BlockKind.FINES, f"owes {owed:.2f} in fines, over the limit of {limits.max_fines}"
            )
        )
    if overdue_count > limits.max_overdues:
        found.append(
            Block(
                BlockKind.OVERDUES,
                f"{overdue_count} items overdue, more than the {limits.max_overdues} allowed",
            )
        )
    return found
