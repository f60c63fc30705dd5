"""Symmetric encryption of secrets at rest, keyed from the installation secret."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken


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
