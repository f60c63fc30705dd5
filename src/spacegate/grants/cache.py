"""The per-account index cache, and how it learns about changes.

- In this process: services mark the account changed on the session (`mark_changed`);
  after the outer commit (`spacegate.db.notify_after_commit`, never at a savepoint) the
  account's index is dropped, so the next request rebuilds it (read-your-writes).
- In other processes sharing the database: every change also bumps
  `accounts.authz_version` in its transaction; a poller thread compares versions every
  `authz_poll_seconds` and drops stale indexes, well within a second.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from spacegate.accounts.models import Account
from spacegate.authz import AccountIndex
from spacegate.db import notify_after_commit, subscribe
from spacegate.grants.loader import load_index

log = logging.getLogger(__name__)

GRANTS_CHANGED = "grants-changed"
"""The topic a committed grant change is announced on; the payload is the account id."""


def mark_changed(session: Session, account_id: int) -> None:
    """Record, in this transaction, that the account's grants changed.

    The UPDATE also takes the account row's lock until commit, which serialises
    concurrent grant changes of one account; the last-admin rule relies on it.
    """
    session.execute(
        update(Account)
        .where(Account.id == account_id)
        .values(authz_version=Account.authz_version + 1)
    )
    notify_after_commit(session, GRANTS_CHANGED, account_id)


class IndexCache:
    def __init__(self, factory: sessionmaker[Session], *, poll_seconds: float) -> None:
        self._factory = factory
        self._poll_seconds = poll_seconds
        self._lock = threading.Lock()
        self._entries: dict[int, tuple[int, AccountIndex]] = {}
        # Bumped by every invalidation: an index whose load overlapped one is not kept,
        # since it may hold grants read before the change committed.
        self._epoch = 0
        self._generations: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.loads = 0  # how many indexes were built (observability and tests)
        # Committed sessions of this factory drop the indexes of what they changed.
        subscribe(factory, GRANTS_CHANGED, self._grants_changed)

    def get(self, session: Session, account_id: int) -> AccountIndex:
        entry = self._entries.get(account_id)
        if entry is not None:
            return entry[1]
        with self._lock:
            before = (self._epoch, self._generations.get(account_id, 0))
        version, index = load_index(session, account_id)
        with self._lock:
            self.loads += 1
            if before == (self._epoch, self._generations.get(account_id, 0)):
                self._entries[account_id] = (version, index)
        return index

    def invalidate(self, account_ids: set[int] | None = None) -> None:
        with self._lock:
            if account_ids is None:
                self._epoch += 1
                self._entries.clear()
            else:
                for account_id in account_ids:
                    self._generations[account_id] = self._generations.get(account_id, 0) + 1
                    self._entries.pop(account_id, None)

    def _grants_changed(self, account_id: int) -> None:
        self.invalidate({account_id})

    # -- cross-process freshness ----------------------------------------------------------

    def poll_once(self) -> None:
        with self._factory() as session:
            versions = dict(session.execute(select(Account.id, Account.authz_version)).all())
        with self._lock:
            stale = {
                account_id
                for account_id, (version, _index) in self._entries.items()
                if versions.get(account_id) != version
            }
            for account_id in stale:
                del self._entries[account_id]
                self._generations[account_id] = self._generations.get(account_id, 0) + 1

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="authz-poller", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self._poll_seconds):
            _log_errors(self.poll_once)


def _log_errors(step: Callable[[], None]) -> None:
    try:
        step()
    except Exception:  # the poller must outlive a database hiccup
        log.exception("authz poll failed; will retry")
