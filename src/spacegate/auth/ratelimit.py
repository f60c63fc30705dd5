"""Failed-login limits, kept so that an attacker cannot lock someone else out:

- per (account, email, client address): after `per_email` failures within the window,
  each attempt waits a delay that doubles with every further failure (60 s, 120 s, ...,
  at most the window). A guesser slows down only themselves: the person signing in
  from their own address is not held back by failures from elsewhere.
- per client address, across emails: a sliding window (`per_client`), against one
  client trying many accounts.
- per (account, email), across clients: a sliding window with a high ceiling
  (`per_email_all_clients`), against guessing one password from many addresses.

The client address is the connection's peer, or what a proxy listed in
SPACEGATE_TRUSTED_PROXIES says it is (see `spacegate serve`): forwarded headers from
anyone else are ignored, so rotating X-Forwarded-For values changes nothing.

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

    def backoff(self, key: str, first_delay: float) -> int | None:
        """Once `limit` failures are in the window, the wait after the last one:
        `first_delay`, doubled for each failure beyond, at most the window."""
        failures = self._recent(key)
        if len(failures) < self.limit:
            return None
        delay = min(self.window, first_delay * 2 ** (len(failures) - self.limit))
        remaining = failures[-1] + delay - self._clock()
        return math.ceil(remaining) if remaining > 0 else None

    def record(self, key: str) -> None:
        self._failures.setdefault(key, deque()).append(self._clock())

    def clear(self, key: str) -> None:
        self._failures.pop(key, None)


FIRST_DELAY_SECONDS = 60.0


class LoginLimiter:
    def __init__(
        self,
        *,
        per_email: int,
        per_client: int,
        window_seconds: float,
        per_email_all_clients: int = 100,
        first_delay_seconds: float = FIRST_DELAY_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._lock = threading.Lock()
        self._first_delay = first_delay_seconds
        self._by_attempt = FailureWindow(per_email, window_seconds, clock)
        self._by_email = FailureWindow(per_email_all_clients, window_seconds, clock)
        self._by_client = FailureWindow(per_client, window_seconds, clock)

    def ensure_allowed(self, account: str, email: str, client: str | None) -> None:
        """Raise RateLimited (429, Retry-After) while a backoff runs or a window is full."""
        key = _email_key(account, email)
        with self._lock:
            waits = [
                self._by_attempt.backoff(_attempt_key(key, client), self._first_delay),
                self._by_email.retry_after(key),
            ]
            if client:
                waits.append(self._by_client.retry_after(client))
        wait = max((w for w in waits if w is not None), default=None)
        if wait is not None:
            raise RateLimited(
                f"Too many failed sign-in attempts; try again in {wait} seconds.",
                retry_after=wait,
            )

    def record_failure(self, account: str, email: str, client: str | None) -> None:
        key = _email_key(account, email)
        with self._lock:
            self._by_attempt.record(_attempt_key(key, client))
            self._by_email.record(key)
            if client:
                self._by_client.record(client)

    def record_success(self, account: str, email: str, client: str | None = None) -> None:
        key = _email_key(account, email)
        with self._lock:
            self._by_attempt.clear(_attempt_key(key, client))
            self._by_email.clear(key)


def _email_key(account: str, email: str) -> str:
    return f"{account.lower()}\x00{email.lower()}"


def _attempt_key(email_key: str, client: str | None) -> str:
    return f"{email_key}\x00{client or ''}"
