"""Identifiers that appear in topics: sites, gateways and devices."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import StringConstraints

NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"
_NAME = re.compile(NAME_PATTERN)

# Lower-case letters, digits, '-' and '_': safe as one MQTT topic level (no '/', '+', '#').
Name = Annotated[str, StringConstraints(pattern=NAME_PATTERN)]


def check_name(value: str, what: str) -> str:
    """Return `value` if it is a valid topic-level name, else raise ValueError saying why."""
    if not _NAME.match(value):
        raise ValueError(
            f"invalid {what} {value!r}: use 1-64 lower-case letters, digits, '-' or '_', "
            "starting with a letter or digit"
        )
    return value
