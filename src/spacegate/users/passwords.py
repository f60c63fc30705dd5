"""Password hashing with argon2id, and the password policy: a length, and a strength
estimate by zxcvbn (dictionaries of common passwords, names and words, keyboard
patterns, dates, l33t substitutions), which says why a password is refused."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

from spacegate.errors import InvalidInput

MIN_LENGTH = 10
MAX_LENGTH = 256
MIN_SCORE = 3
"""zxcvbn's score a password needs (0-4; 3: safely unguessable against an online attack,
and a fair margin against an offline one on argon2id)."""
_ESTIMATED_LENGTH = 100  # zxcvbn's time grows with length; past this, length is plenty


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
    """Raise InvalidInput with a sentence, naming the field `password`, when `password`
    is too weak: too short or too long, the email address, or too easy to guess (with
    zxcvbn's reason and suggestion)."""
    if len(password) < MIN_LENGTH:
        raise InvalidInput(
            f"The password must be at least {MIN_LENGTH} characters long.", field="password"
        )
    if len(password) > MAX_LENGTH:
        raise InvalidInput(
            f"The password must be at most {MAX_LENGTH} characters long.", field="password"
        )
    lowered = password.lower()
    local_part = email.split("@")[0].lower()
    if lowered in (email.lower(), local_part):
        raise InvalidInput("The password must not be your email address.", field="password")
    estimate = zxcvbn(password[:_ESTIMATED_LENGTH], user_inputs=[email, local_part])
    if estimate["score"] < MIN_SCORE:
        feedback = estimate.get("feedback") or {}
        reasons = [str(feedback.get("warning") or "").strip()]
        reasons += [str(s).strip() for s in (feedback.get("suggestions") or [])[:1]]
        why = " ".join(_sentence(reason) for reason in reasons if reason)
        raise InvalidInput(
            "This password is too easy to guess"
            + (f": {why}" if why else ". Use a longer passphrase of uncommon words."),
            field="password",
        )


def _sentence(text: str) -> str:
    return text if text.endswith((".", "!", "?")) else f"{text}."
