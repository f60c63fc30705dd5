"""Failed-login limits: per (account, email) and per client address, sliding window.

Kept in process memory: one server process (the default) sees every attempt. Several
replicas each keep their own counts, which multiplies the limit by the replica count.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable

from spacegate.errors import RateLimited


class FailureWindow:
    def __init__(self, limit: int, window_seconds: float, clock: Callable[[], float]) -> None:
        self.limit = limit
        self.window = window_seconds
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, key: str) -> deque[float]:
        now = self._clock()
        failures = self._failures.get(key)
        if failures is None:
            return deque()
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        if not failures:
            del self._failures[key]
        return failures

    def retry_after(self, key: str) -> int | None:
        failures = self._recent(key)
        if len(failures) < self.limit:
            return None
        return max(1, math.ceil(failures[0] + self.window - self._clock()))

    def record(self, key: str) -> None:
        self._failures.setdefault(key, deque()).append(self._clock())

    def clear(self, key: str) -> None:
        self._failures.pop(key, None)


class LoginLimiter:
    def __init__(
        self,
        *,
        per_email: int,
        per_client: int,
        window_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._lock = threading.Lock()
        self._by_email = FailureWindow(per_email, window_seconds, clock)
        self._by_client = FailureWindow(per_client, window_seconds, clock)

    def ensure_allowed(self, account: str, email: str, client: str | None) -> None:
        """Raise RateLimited (429, Retry-After) while either window is full."""
        with self._lock:
            waits = [self._by_email.retry_after(_email_key(account, email))]
            if client:
                waits.append(self._by_client.retry_after(client))
        wait = max((w for w in waits if w is not None), default=None)
        if wait is not None:
            raise RateLimited(
                f"Too many failed sign-in attempts; try again in {wait} seconds.",
                retry_after=wait,
            )

    def record_failure(self, account: str, email: str, client: str | None) -> None:
        with self._lock:
            self._by_email.record(_email_key(account, email))
            if client:
                self._by_client.record(client)

    def record_success(self, account: str, email: str) -> None:
        with self._lock:
            self._by_email.clear(_email_key(account, email))


def _email_key(account: str, email: str) -> str:
    return f"{account.lower()}\x00{email.lower()}"
