"""Where an item goes when it is checked in at a branch: the shelf, the hold shelf, or a van.

The first hold in line traps the item: it waits on the hold shelf until a pickup deadline
when it is at the hold's pickup branch, or travels there. An item nobody waits for goes
back on the shelf at home, or travels home. The same routing applies when an item in
transit arrives at a branch.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import ClassVar

from server.catalog.shapes import ItemStatus
from server.circulation.calendar import OpeningCalendar, pickup_deadline
from server.circulation.decisions import Hold, ItemState
from server.circulation.rules import DEFAULT_POLICY, Policy


@dataclass(frozen=True)
class BackOnShelf:
    branch: str

    status: ClassVar[ItemStatus] = ItemStatus.AVAILABLE


@dataclass(frozen=True)
class InTransit:
    """On its way to `to_branch`: to fill `hold`, or home when `hold` is None."""

    to_branch: str
    hold: Hold | None = None

    status: ClassVar[ItemStatus] = ItemStatus.IN_TRANSIT


@dataclass(frozen=True)
class OnHoldShelf:
    """Trapped for `hold` at its pickup branch; the hold lapses after `pickup_by`."""

    branch: str
    hold: Hold
    pickup_by: datetime

    status: ClassVar[ItemStatus] = ItemStatus.ON_HOLD_SHELF


ReturnOutcome = BackOnShelf | InTransit | OnHoldShelf


def after_return(
    item: ItemState,
    *,
    branch: str,
    at: datetime,
    calendar: OpeningCalendar,
    tz: tzinfo,
    policy: Policy = DEFAULT_POLICY,
) -> ReturnOutcome:
    """What happens to `item` checked in at `branch` at `at`.

    `item.holds` are the holds it may fill, first in line first; `calendar` is `branch`'s,
    used for the pickup deadline when the item is trapped here.
    """
    if item.holds:
        hold = item.holds[0]
        if hold.pickup_branch != branch:
            return InTransit(hold.pickup_branch, hold)
        return OnHoldShelf(branch, hold, pickup_deadline(at, policy.hold_shelf_days, calendar, tz))
    if item.home_branch != branch:
        return InTransit(item.home_branch)
    return BackOnShelf(branch)
