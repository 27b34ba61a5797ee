"""Checks and normal forms for each field of a patron; each raises ValueError saying why.

Email syntax is checked by email-validator (no DNS lookups) and phone numbers by
phonenumbers (Google's libphonenumber data), not by hand-written patterns.
"""

from __future__ import annotations

import re
from datetime import date

import phonenumbers
from email_validator import EmailNotValidError, validate_email

CARD_PATTERN = re.compile(r"^[0-9A-Z]{4,32}$")  # as card readers send it (contracts.CardRead)
PIN_PATTERN = re.compile(r"^[0-9]{4,8}$")
CATEGORY_PATTERN = re.compile(r"^[a-z][a-z0-9_-]{1,31}$")
OLDEST = 130  # years: a birth date further back is a typing mistake
DEFAULT_PHONE_REGION = "US"


class PatronInvalid(ValueError):
    """A field of a patron that cannot be accepted: `field` names it, the message says why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class CardTaken(PatronInvalid):
    """A card number that already belongs to a patron (retired cards included)."""


def name(value: str) -> str:
    cleaned = " ".join(value.split())
    if not cleaned:
        raise ValueError("name is required")
    if len(cleaned) > 120:
        raise ValueError("name is too long: use at most 120 characters")
    if any(not ch.isprintable() for ch in cleaned):
        raise ValueError("name contains control characters")
    return cleaned


def email(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    try:
        return validate_email(value.strip(), check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise ValueError(f"not a valid email address: {error}") from error


def phone(value: str | None, region: str = DEFAULT_PHONE_REGION) -> str | None:
    """The number in E.164 form (+8613800138000); national numbers are read in `region`."""
    if value is None or not value.strip():
        return None
    try:
        parsed = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException as error:
        raise ValueError(f"not a phone number: {error}") from error
    if not phonenumbers.is_valid_number(parsed):
        raise ValueError(
            f"not a valid phone number for region {region}; "
            "write it with its country code, like +44 20 7946 0958"
        )
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def card(value: str) -> str:
    """Card numbers are kept as readers send them: upper case, no spaces or dashes."""
    cleaned = re.sub(r"[\s-]", "", value).upper()
    if not CARD_PATTERN.match(cleaned):
        raise ValueError(f"card number {value!r} must be 4 to 32 letters or digits")
    return cleaned


def cards(values: list[str]) -> list[str]:
    cleaned = [card(value) for value in values]
    twice = sorted({number for number in cleaned if cleaned.count(number) > 1})
    if twice:
        raise ValueError(f"card number {', '.join(twice)} is listed twice")
    return cleaned


def pin(value: str | None) -> str | None:
    if value is None:
        return None
    if not PIN_PATTERN.match(value):
        raise ValueError("PIN must be 4 to 8 digits")
    return value


def birth_date(value: date | None, today: date) -> date | None:
    if value is None:
        return None
    if value > today:
        raise ValueError("birth date cannot be in the future")
    if value.year < today.year - OLDEST:
        raise ValueError(f"birth date is more than {OLDEST} years ago")
    return value


def expiry(expires_on: date, registered_on: date) -> date:
    if expires_on <= registered_on:
        raise ValueError(
            f"expiry date must be after the registration date ({registered_on.isoformat()})"
        )
    return expires_on


def category_code(value: str) -> str:
    if not CATEGORY_PATTERN.match(value):
        raise ValueError(
            "category code must be 2 to 32 lower-case letters, digits, '-' or '_', "
            "starting with a letter"
        )
    return value
