"""Secrets people type (passwords, PINs) stored as argon2 hashes, checked in constant shape."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# checked against when there is no stored hash (unknown user or card), so that case takes
# as long as a wrong secret does
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def hash_secret(secret: str) -> str:
    return _hasher.hash(secret)


def verify_secret(secret_hash: str | None, secret: str) -> bool:
    """True when `secret` matches; a missing hash costs the same time and is False."""
    try:
        return _hasher.verify(secret_hash or _DUMMY_HASH, secret) and secret_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(secret_hash: str) -> bool:
    """Hashed with weaker parameters than today's: hash again at the next right answer."""
    return _hasher.check_needs_rehash(secret_hash)
