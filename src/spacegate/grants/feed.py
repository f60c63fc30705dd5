"""Grant changes of other processes, as PostgreSQL delivers them (`LISTEN`).

`mark_changed` sends each change with `NOTIFY` in the changing transaction; PostgreSQL
delivers it to every listening connection when (and only if) the transaction commits,
in commit order. This thread keeps one such connection per process and applies each
change to the index cache as it arrives, usually within milliseconds of the commit.
The version poll stays the safety net: while the connection is down (or notifications
are lost) the poll finds the newer versions and applies them itself.
"""

from __future__ import annotations

import logging
import threading
import time

import psycopg
from sqlalchemy import Engine

from spacegate import metrics
from spacegate.grants.cache import NOTIFY_CHANNEL, Change, IndexCache

log = logging.getLogger(__name__)


def libpq_url(engine: Engine) -> str:
    """The engine's database as a URL psycopg understands (no SQLAlchemy driver name)."""
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


class ChangeFeed:
    """The listening connection and its thread; a no-op on SQLite (no notifications)."""

    def __init__(self, engine: Engine, cache: IndexCache, *, retry_seconds: float = 1.0) -> None:
        self._url = libpq_url(engine) if engine.dialect.name == "postgresql" else None
        self._cache = cache
        self._retry_seconds = retry_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._connection: psycopg.Connection[object] | None = None
        self.received = 0

    @property
    def enabled(self) -> bool:
        return self._url is not None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self._url is None or self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="grants-feed", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _run(self) -> None:
        assert self._url is not None
        while not self._stop.is_set():
            try:
                with psycopg.connect(self._url, autocommit=True) as connection:
                    connection.execute(f"LISTEN {NOTIFY_CHANNEL}")
                    self._cache.notifications_live = True
                    while not self._stop.is_set():
                        # A short wait: stopping (each test's server, a worker's shutdown)
                        # is never held up by more than this.
                        for notify in connection.notifies(timeout=0.05):
                            self._received(notify.payload)
            except Exception:
                if not self._stop.is_set():
                    log.warning("grant notifications interrupted; retrying", exc_info=True)
            finally:
                self._cache.notifications_live = False
            self._stop.wait(self._retry_seconds)

    def _received(self, payload: str) -> None:
        try:
            change = Change.decode(payload)
        except (ValueError, TypeError):
            log.warning("ignored a grant notification that is not a change: %.200s", payload)
            return
        self.received += 1
        self._cache.apply(change, source="notification")
        if change.committed_at:
            metrics.PROPAGATION_SECONDS.observe(max(0.0, time.time() - change.committed_at))
