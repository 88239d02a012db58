"""Password hashing and verification through one passlib CryptContext (libpass).

Argon2id is the scheme; a hash made with an older scheme or older parameters is replaced on the
next successful sign-in (verify_and_update). An unknown user is checked against a decoy hash, so
that it takes as long as a wrong password.
"""

from __future__ import annotations

import functools
import secrets

from passlib.context import CryptContext

MIN_LENGTH = 12
MAX_LENGTH = 1000  # passlib refuses passwords past 4096 bytes; 1000 characters stay below that

CONTEXT = CryptContext(
    schemes=["argon2", "pbkdf2_sha256"],
    deprecated=["pbkdf2_sha256"],
    # OWASP's recommended Argon2id parameters: 19 MiB, 2 passes, 1 lane.
    argon2__memory_cost=19456, argon2__time_cost=2, argon2__parallelism=1, argon2__type="ID",
)


@functools.cache
def _decoy() -> str:
    """A hash of a random password, made on first use (not at import: it takes tens of ms)."""
    return CONTEXT.hash(secrets.token_urlsafe(16))


class WeakPassword(ValueError):
    """A password the policy refuses."""


def check_policy(password: object) -> str:
    """The password, when it is a string of at least MIN_LENGTH characters."""
    if not isinstance(password, str) or len(password) < MIN_LENGTH:
        raise WeakPassword(f"Password must be a string of at least {MIN_LENGTH} characters.")
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"Password must be at most {MAX_LENGTH} characters long.")
    if not _encodable(password):
        raise WeakPassword("Password must be valid Unicode text (no unpaired surrogates).")
    return password


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def hash_password(password: str) -> str:
    """A salted Argon2id hash of a password that meets the policy."""
    return CONTEXT.hash(check_policy(password))


def verify(password: str, stored: str | None) -> tuple[bool, str | None]:
    """(matches, new hash to store or None); with no stored hash, or a password longer than any
    that can be set, spend the same time and fail."""
    if stored is None or len(password) > MAX_LENGTH or not _encodable(password):
        CONTEXT.verify(password[:MAX_LENGTH].encode("utf-8", "replace"), _decoy())
        return False, None
    try:
        return CONTEXT.verify_and_update(password, stored)
    except ValueError:  # not a hash this context knows
        CONTEXT.verify(password, _decoy())
        return False, None


def generate_password() -> str:
    """A strong random password (24 characters)."""
    return secrets.token_urlsafe(18)
