"""Pure rules and field checks of the patrons context, without a database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from server.patrons import validation
from server.patrons.rules import BlockKind, Limits, blocks_of

TODAY = date(2026, 3, 10)


@dataclass
class Manual:
    id: int
    reason: str
    created_at: datetime
    lifted_at: datetime | None = None


@dataclass
class Facts:
    expires_on: date = date(2027, 1, 1)
    blocks: list[Manual] = field(default_factory=list)


def test_a_patron_in_good_standing_has_no_blocks() -> None:
    assert blocks_of(Facts(), TODAY) == []


def test_the_card_is_valid_through_its_expiry_day_and_blocked_after() -> None:
    assert blocks_of(Facts(expires_on=TODAY), TODAY) == []
    [block] = blocks_of(Facts(expires_on=date(2026, 3, 9)), TODAY)
    assert block.kind is BlockKind.EXPIRED
    assert block.reason == "card expired on 2026-03-09"
    assert block.since == date(2026, 3, 9)


def test_fines_block_only_over_the_limit() -> None:
    limits = Limits(max_fines=Decimal("5.00"), max_overdues=3)
    assert blocks_of(Facts(), TODAY, fines_owed=Decimal("5.00"), limits=limits) == []
    [block] = blocks_of(Facts(), TODAY, fines_owed=Decimal("5.01"), limits=limits)
    assert block.kind is BlockKind.FINES
    assert block.reason == "owes 5.01 in fines, over the limit of 5.00"


def test_too_many_overdues_block() -> None:
    limits = Limits(max_overdues=2)
    assert blocks_of(Facts(), TODAY, overdue_count=2, limits=limits) == []
    [block] = blocks_of(Facts(), TODAY, overdue_count=3, limits=limits)
    assert block.kind is BlockKind.OVERDUES
    assert "3 items overdue" in block.reason


def test_manual_blocks_count_until_lifted_and_every_reason_is_listed() -> None:
    at = datetime(2026, 2, 1, 9, tzinfo=UTC)
    facts = Facts(
        expires_on=date(2026, 1, 1),
        blocks=[
            Manual(1, "damaged three books", at),
            Manual(2, "lifted already", at, lifted_at=at),
        ],
    )
    found = blocks_of(facts, TODAY, fines_owed=100, overdue_count=10)
    assert [b.kind for b in found] == [
        BlockKind.MANUAL,
        BlockKind.EXPIRED,
        BlockKind.FINES,
        BlockKind.OVERDUES,
    ]
    assert (found[0].reason, found[0].block_id, found[0].since) == (
        "damaged three books",
        1,
        date(2026, 2, 1),
    )


@pytest.mark.parametrize(
    ("check", "value", "message"),
    [
        (validation.name, "   ", "name is required"),
        (validation.name, "x" * 121, "at most 120 characters"),
        (validation.name, "Ada\x00", "control characters"),
        (validation.email, "ada@", "not a valid email address"),
        (validation.email, "ada example.org", "not a valid email address"),
        (validation.phone, "12", "not a valid phone number"),
        (validation.phone, "call me", "not a phone number"),
        (validation.card, "12", "must be 4 to 32 letters or digits"),
        (validation.card, "ABC$1234", "must be 4 to 32 letters or digits"),
        (validation.pin, "123", "PIN must be 4 to 8 digits"),
        (validation.pin, "123456789", "PIN must be 4 to 8 digits"),
        (validation.pin, "12a4", "PIN must be 4 to 8 digits"),
        (validation.category_code, "A", "category code must be"),
    ],
)
def test_every_field_check_says_what_is_wrong(check, value, message) -> None:
    with pytest.raises(ValueError, match=message):
        check(value)


def test_fields_are_kept_in_one_normal_form() -> None:
    assert validation.name("  Ada   Lovelace ") == "Ada Lovelace"
    assert validation.email("Ada@Example.ORG") == "Ada@example.org"
    assert validation.email("  ") is None
    assert validation.phone("+44 20 7946 0958") == "+442079460958"
    assert validation.phone("(202) 555-0143", "US") == "+12025550143"
    assert validation.phone("138 0013 8000", "CN") == "+8613800138000"
    assert validation.card(" 0004-123 456 ") == "0004123456"
    assert validation.card("e004abcd") == "E004ABCD"
    assert validation.pin("0042") == "0042"


def test_cards_listed_twice_are_refused() -> None:
    with pytest.raises(ValueError, match="card number 1234 is listed twice"):
        validation.cards(["1234", " 12-34"])


def test_dates_are_checked_against_today_and_registration() -> None:
    with pytest.raises(ValueError, match="birth date cannot be in the future"):
        validation.birth_date(date(2026, 3, 11), TODAY)
    with pytest.raises(ValueError, match="more than 130 years ago"):
        validation.birth_date(date(1890, 1, 1), TODAY)
    assert validation.birth_date(TODAY, TODAY) == TODAY
    with pytest.raises(ValueError, match="expiry date must be after the registration date"):
        validation.expiry(TODAY, TODAY)
    assert validation.expiry(date(2026, 3, 11), TODAY) == date(2026, 3, 11)
