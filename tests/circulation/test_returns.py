"""Check-in routing: back on the shelf, home in a van, or trapped for the next hold."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

from server.catalog.shapes import ItemStatus
from server.circulation.calendar import OpeningCalendar
from server.circulation.decisions import Hold, ItemState
from server.circulation.returns import BackOnShelf, InTransit, OnHoldShelf, after_return
from server.circulation.rules import Policy

TZ = ZoneInfo("Europe/Berlin")
TUESDAY = datetime(2026, 3, 10, 16, 30, tzinfo=TZ)
OPEN = OpeningCalendar()
BOOK = ItemState(status=ItemStatus.ON_LOAN, item_type="book", home_branch="main", borrower_id=1)


def test_an_item_nobody_waits_for_goes_back_on_its_shelf() -> None:
    outcome = after_return(BOOK, branch="main", at=TUESDAY, calendar=OPEN, tz=TZ)
    assert outcome == BackOnShelf("main")
    assert outcome.status == ItemStatus.AVAILABLE


def test_an_item_returned_at_another_branch_travels_home() -> None:
    outcome = after_return(BOOK, branch="east", at=TUESDAY, calendar=OPEN, tz=TZ)
    assert outcome == InTransit("main", hold=None)
    assert outcome.status == ItemStatus.IN_TRANSIT


def test_an_item_is_trapped_on_the_hold_shelf_for_the_first_in_line() -> None:
    item = replace(BOOK, holds=(Hold(7, "main", hold_id=70), Hold(8, "main", hold_id=80)))
    outcome = after_return(item, branch="main", at=TUESDAY, calendar=OPEN, tz=TZ)
    assert isinstance(outcome, OnHoldShelf)
    assert outcome.status == ItemStatus.ON_HOLD_SHELF
    assert outcome.hold == Hold(7, "main", hold_id=70)
    pickup_by = outcome.pickup_by.astimezone(TZ)
    assert pickup_by.date() == date(2026, 3, 17)
    assert (pickup_by.hour, pickup_by.minute) == (23, 59)


def test_the_pickup_deadline_lands_on_an_open_day() -> None:
    closed_tuesdays = OpeningCalendar(closed_weekdays={1}, closed_dates={date(2026, 3, 18)})
    item = replace(BOOK, holds=(Hold(7, "main"),))
    outcome = after_return(
        item, branch="main", at=TUESDAY, calendar=closed_tuesdays, tz=TZ, policy=Policy()
    )
    assert isinstance(outcome, OnHoldShelf)
    assert outcome.pickup_by.astimezone(TZ).date() == date(2026, 3, 19)


def test_the_hold_shelf_days_come_from_the_policy() -> None:
    item = replace(BOOK, holds=(Hold(7, "main"),))
    outcome = after_return(
        item, branch="main", at=TUESDAY, calendar=OPEN, tz=TZ, policy=Policy(hold_shelf_days=3)
    )
    assert isinstance(outcome, OnHoldShelf)
    assert outcome.pickup_by.astimezone(TZ).date() == date(2026, 3, 13)


def test_an_item_held_for_pickup_elsewhere_travels_to_the_pickup_branch() -> None:
    item = replace(BOOK, holds=(Hold(7, "east"), Hold(8, "main")))
    outcome = after_return(item, branch="main", at=TUESDAY, calendar=OPEN, tz=TZ)
    assert outcome == InTransit("east", Hold(7, "east"))


def test_an_item_in_transit_arriving_at_its_pickup_branch_goes_on_the_hold_shelf() -> None:
    travelling = replace(
        BOOK, status=ItemStatus.IN_TRANSIT, borrower_id=None, holds=(Hold(7, "east"),)
    )
    outcome = after_return(travelling, branch="east", at=TUESDAY, calendar=OPEN, tz=TZ)
    assert isinstance(outcome, OnHoldShelf)
    assert outcome.branch == "east"
    going_home = replace(travelling, holds=())
    assert after_return(going_home, branch="main", at=TUESDAY, calendar=OPEN, tz=TZ) == (
        BackOnShelf("main")
    )
