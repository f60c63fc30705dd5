"""One process runs the background workers (outbox delivery, environments), elected
through the database.

Every server process (worker of `spacegate serve --workers N`, or replica behind a load
balancer) serves requests; only the elected one also delivers mail and runs launches,
ends and the scheduler. The others try again every few seconds, so that when the
elected one stops, another takes over.

- PostgreSQL: a session-level advisory lock, held by a connection of its own for as long
  as the process is elected. The lock dies with that connection, so a process that
  crashes or is cut off loses its election at once.
- SQLite: an exclusive `flock` on a file in the data directory, released by the
  operating system when the process ends.

The workers claim their work with atomic updates and leases anyway, so two elected
processes (a network partition) would not send a message or run a launch twice; the
election saves the needless polling.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO

import psycopg
from sqlalchemy import Engine

log = logging.getLogger(__name__)

# A fixed 63-bit key for pg_try_advisory_lock: "spacegate workers".
ADVISORY_KEY = 0x5370_6163_6567_6174 & 0x7FFF_FFFF_FFFF_FFFF
LOCK_FILE = "workers.lock"


class Election:
    """Tries to be elected; while elected, keeps `on_elected`'s workers running."""

    def __init__(
        self,
        engine: Engine,
        data_dir: Path,
        *,
        on_elected: Callable[[], None],
        on_deposed: Callable[[], None],
        retry_seconds: float = 5.0,
    ) -> None:
        self._postgres = engine.dialect.name == "postgresql"
        self._url = (
            engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
            if self._postgres
            else None
        )
        self._lock_path = data_dir / LOCK_FILE
        self._on_elected = on_elected
        self._on_deposed = on_deposed
        self._retry_seconds = retry_seconds
        self._connection: psycopg.Connection[object] | None = None
        self._file: IO[bytes] | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.elected = False

    def start(self) -> None:
        """A first attempt at once (so a single server starts its workers before it
        answers), then a thread that keeps trying, or keeps checking the lock."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._attempt()
        self._thread = threading.Thread(target=self._run, name="election", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self._resign()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        while not self._stop.wait(self._retry_seconds):
            self._attempt()

    def _attempt(self) -> None:
        try:
            if self.elected:
                if not self._still_holding():
                    log.warning("lost the election of the background workers; stopping them")
                    self._resign()
                return
            if self._acquire():
                self.elected = True
                log.info("elected to run the background workers")
                self._on_elected()
        except Exception:
            log.exception("the election of the background workers failed; will retry")
            self._resign()

    def _acquire(self) -> bool:
        if self._postgres:
            assert self._url is not None
            connection = psycopg.connect(self._url, autocommit=True)
            got = connection.execute("SELECT pg_try_advisory_lock(%s)", (ADVISORY_KEY,)).fetchone()
            if got and got[0]:
                self._connection = connection
                return True
            connection.close()
            return False
        self._lock_path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self._lock_path, "ab")  # noqa: SIM115 - held open while elected
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        self._file = handle
        return True

    def _still_holding(self) -> bool:
        if not self._postgres:
            return self._file is not None
        if self._connection is None:
            return False
        try:
            self._connection.execute("SELECT 1")
        except psycopg.Error:
            return False
        return True

    def _resign(self) -> None:
        was_elected, self.elected = self.elected, False
        if was_elected:
            self._on_deposed()
        if self._connection is not None:
            with contextlib.suppress(psycopg.Error):
                self._connection.close()  # the advisory lock ends with its session
            self._connection = None
        if self._file is not None:
            self._file.close()  # and the flock with its file
            self._file = None
