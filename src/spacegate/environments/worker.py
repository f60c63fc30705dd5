"""The environment worker: launches, ends, and the end of environments at their time.

Everything it does is read from the database, never from memory, so that work survives
a restart and spreads over replicas:

- an environment in `Launching` or `Terminating` that no worker holds is claimed (a
  random claim id stamped in one UPDATE, so two workers never take the same one) and
  run by the `Runner` in a thread pool; a claim whose worker stopped is taken up again
  after `SPACEGATE_ENVIRONMENT_LEASE_SECONDS`;
- an `Active` (or `Active With Error`) environment whose scheduled end has passed is
  moved to `Terminating`, and so ended like one ended by hand.

`start` runs passes in a background thread every `SPACEGATE_ENVIRONMENT_POLL_SECONDS`,
and at once when a transaction queued work (`ENVIRONMENT_QUEUED`); `wait_idle` waits
for the background work to settle.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, and_, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from spacegate.audit import service as audit
from spacegate.crypto import SecretBox
from spacegate.db import notify_after_commit, transaction, utcnow
from spacegate.environments.models import Environment, EnvironmentStatus
from spacegate.environments.runner import Job, Runner
from spacegate.grants.context import Actor
from spacegate.settings import Settings

log = logging.getLogger("spacegate.environments")

ENVIRONMENT_QUEUED = "environment-queued"  # the topic that wakes the worker
SCHEDULER = "scheduler"  # who ended an environment at its scheduled time
_WORK = (EnvironmentStatus.LAUNCHING.value, EnvironmentStatus.TERMINATING.value)
_RUNNING = (EnvironmentStatus.ACTIVE.value, EnvironmentStatus.ACTIVE_WITH_ERROR.value)
_EXPIRE_BATCH = 100


def queue(session: Session) -> None:
    """Wake the worker when `session`'s transaction commits."""
    notify_after_commit(session, ENVIRONMENT_QUEUED)


class EnvironmentWorker:
    def __init__(self, sessions: sessionmaker[Session], settings: Settings, box: SecretBox) -> None:
        self._sessions = sessions
        self._settings = settings
        self.runner = Runner(sessions, settings, box)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Condition()
        self._in_flight = 0

    # -- the database side ----------------------------------------------------------------

    def _lease_start(self) -> datetime:
        return utcnow() - timedelta(seconds=self._settings.environment_lease_seconds)

    def _claimable(self) -> ColumnElement[bool]:
        return and_(
            Environment.status.in_(_WORK),
            or_(Environment.claim.is_(None), Environment.claimed_at < self._lease_start()),
        )

    def _due(self) -> ColumnElement[bool]:
        return and_(
            Environment.status.in_(_RUNNING),
            Environment.scheduled_end_at <= utcnow(),
            Environment.claim.is_(None),
        )

    def _any(self, condition: ColumnElement[bool]) -> bool:
        """A read-only look first: an idle worker never takes SQLite's write lock."""
        with transaction(self._sessions, write=False) as session:
            return session.scalar(select(Environment.id).where(condition).limit(1)) is not None

    def expire_due(self) -> int:
        """Move environments past their scheduled end to `Terminating`; answers how many."""
        if not self._any(self._due()):
            return 0
        now = utcnow()
        with transaction(self._sessions) as session:
            due = session.scalars(
                select(Environment)
                .where(self._due())
                .order_by(Environment.scheduled_end_at)
                .limit(_EXPIRE_BATCH)
            ).all()
            for environment in due:
                environment.status = EnvironmentStatus.TERMINATING
                environment.end_requested_at = now
                environment.ended_by = SCHEDULER
                environment.updated_at = now
                audit.record(
                    session,
                    Actor(environment.account_id, SCHEDULER),
                    "environment.end",
                    target_type="environment",
                    target=environment.public_id,
                    after={"name": environment.name, "reason": "scheduled end time reached"},
                )
            return len(due)

    def claim_one(self) -> Job | None:
        """Claim the oldest unclaimed launch or end; None when there is none."""
        for _attempt in range(10):
            if not self._any(self._claimable()):
                return None
            with transaction(self._sessions) as session:
                candidate = session.scalar(
                    select(Environment.id)
                    .where(self._claimable())
                    .order_by(Environment.id)
                    .limit(1)
                )
                if candidate is None:
                    return None
                claim = secrets.token_hex(16)
                taken = cast(
                    CursorResult[Any],
                    session.execute(
                        update(Environment)
                        .where(Environment.id == candidate, self._claimable())
                        .values(claim=claim, claimed_at=utcnow())
                    ),
                )
                if taken.rowcount != 1:
                    continue  # another worker took it first
                status = session.scalar(
                    select(Environment.status).where(Environment.id == candidate)
                )
                assert status is not None
                return Job(candidate, claim, status)
        return None

    def has_work(self) -> bool:
        """Whether a launch or end waits, or an environment is past its end."""
        return self._any(or_(self._claimable(), self._due()))

    # -- the background worker ------------------------------------------------------------

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._pool = ThreadPoolExecutor(
            max_workers=self._settings.environment_workers, thread_name_prefix="environment"
        )
        self._thread = threading.Thread(
            target=self._loop, name="environment-scheduler", daemon=True
        )
        self._thread.start()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop claiming work; wait up to `timeout` seconds for running jobs (a job cut
        short is taken up again after its lease)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._in_flight and time.monotonic() < deadline:
                self._lock.wait(0.1)
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def wait_idle(self, timeout: float = 30.0) -> None:
        """Wait until no job runs and none waits (scheduled ends still in the future do
        not count). Raises TimeoutError."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                if self._in_flight == 0 and not self.has_work():
                    return
            if time.monotonic() > deadline:
                raise TimeoutError("the environment worker did not become idle in time")
            self._wake.set()
            time.sleep(0.02)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self._dispatch()
            except Exception:  # the worker must outlive a database hiccup
                log.exception("environment worker pass failed; will retry")
            self._wake.wait(self._settings.environment_poll_seconds)
            self._wake.clear()

    def _dispatch(self) -> None:
        self.expire_due()
        while not self._stop.is_set():
            with self._lock:
                if self._in_flight >= self._settings.environment_workers:
                    return
                job = self.claim_one()
                if job is None:
                    return
                self._in_flight += 1
            assert self._pool is not None
            self._pool.submit(self._run, job)

    def _run(self, job: Job) -> None:
        try:
            self.runner.run(job)
        finally:
            with self._lock:
                self._in_flight -= 1
                self._lock.notify_all()
            self._wake.set()
