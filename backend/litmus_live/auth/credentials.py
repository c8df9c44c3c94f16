"""Credential secrets: random tokens kept only as SHA-256 digests, passwords as argon2id hashes.

A token has 256 random bits, so a fast digest is the right way to store it; a password is
chosen by a person, so it gets argon2id (OWASP's first choice), slow on purpose.
"""

from __future__ import annotations

import functools
import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

TOKEN_PREFIX = "llt_"
_hasher = PasswordHasher()


@functools.cache
def _dummy() -> str:
    """Checked when the name is unknown too, so a wrong name costs as long as a wrong password."""
    return _hasher.hash("not a password anyone has")


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def new_session() -> str:
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def is_password(password: str, stored: str | None) -> bool:
    """Whether `password` matches the stored hash (None: the user has no password yet)."""
    try:
        return _hasher.verify(stored or _dummy(), password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False
