"""Password hashing with argon2id, and the password policy."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from spacegate.errors import InvalidInput

MIN_LENGTH = 10
MAX_LENGTH = 256
# The most common passwords of public breach lists that pass the length rule; a
# short list on purpose: length does most of the work.
_COMMON = frozenset(
    {
        "1234567890",
        "12345678910",
        "1q2w3e4r5t",
        "qwertyuiop",
        "password12",
        "password123",
        "password1234",
        "iloveyou12",
        "administrator",
        "qwerty12345",
        "1qaz2wsx3edc",
        "0987654321",
        "1111111111",
        "abcdefghij",
        "letmein123",
        "welcome123",
        "changeme123",
        "passw0rd123",
        "zaq12wsxcde",
        "qwerty123456",
    }
)


class Passwords:
    """argon2id hashing; the cost parameters come from the settings (tests lower them)."""

    def __init__(self, *, time_cost: int, memory_cost_kib: int) -> None:
        self._hasher = PasswordHasher(
            time_cost=time_cost, memory_cost=memory_cost_kib, parallelism=1
        )
        # Verifying against this keeps a login for an unknown email as slow as a real one.
        self._dummy_hash = self._hasher.hash("spacegate-timing-equaliser")

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash or self._dummy_hash, password) and (
                password_hash is not None
            )
        except (VerificationError, InvalidHashError):
            return False


def check_password_policy(password: str, *, email: str) -> None:
    """Raise InvalidInput with a sentence when `password` is too weak."""
    if len(password) < MIN_LENGTH:
        raise InvalidInput(f"The password must be at least {MIN_LENGTH} characters long.")
    if len(password) > MAX_LENGTH:
        raise InvalidInput(f"The password must be at most {MAX_LENGTH} characters long.")
    lowered = password.lower()
    if lowered in (email.lower(), email.split("@")[0].lower()):
        raise InvalidInput("The password must not be your email address.")
    if lowered in _COMMON or len(set(password)) < 4:
        raise InvalidInput("This password is too common; choose a less predictable one.")
