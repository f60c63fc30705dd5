"""Secrets: random bearer secrets (tokens, invitation and setup links) and their hashes,
and symmetric encryption of secrets at rest, keyed from the installation secret.

A fast hash is right for bearer secrets (unlike passwords): they are uniformly random,
so there is nothing to guess, and lookups by hash must be cheap on every request.
"""

from __future__ import annotations

import base64
import hashlib
import secrets

from cryptography.fernet import Fernet, InvalidToken

TOKEN_PREFIX = "sg_"


def new_secret() -> str:
    """A random bearer secret: 256 bits, shown once."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    """What is stored of a bearer secret: its SHA-256."""
    return hashlib.sha256(secret.encode()).hexdigest()


class SecretBox:
    """Fernet (AES-128-CBC + HMAC-SHA256) with a key derived from the installation
    secret, so anything sealed is unreadable without it."""

    def __init__(self, installation_secret: str) -> None:
        digest = hashlib.sha256(
            b"spacegate:secret-box:v1\x00" + installation_secret.encode()
        ).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(digest))

    def seal(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def open(self, sealed: str) -> str:
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken as error:
            raise ValueError("sealed with another installation secret, or corrupted") from error
