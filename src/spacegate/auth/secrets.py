"""Random bearer secrets: 256 bits, shown once, stored as SHA-256.

A fast hash is right here (unlike passwords): the secret is uniformly random, so there
is nothing to guess, and lookups by hash must be cheap on every request.
"""

from __future__ import annotations

import hashlib
import secrets

TOKEN_PREFIX = "sg_"


def new_secret() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
