"""The per-account index cache, and how it learns about changes.

Every change of an account's grants (`mark_changed`, in the changing transaction) bumps
`accounts.authz_version` — which also takes the account row's lock until the commit and
so serialises the account's changes — and becomes a `Change`, announced:

- in this process, after the outer commit (`spacegate.db.notify_after_commit`, never at
  a savepoint), so that the next request sees it (read-your-writes);
- to the other processes sharing a PostgreSQL database, with `NOTIFY` in the same
  transaction (delivered at the commit; `spacegate.grants.feed` listens);
- and, as the safety net for a missed notification (or SQLite, which has none), by the
  version poll: a thread compares every account's version with what this process has
  applied every `authz_poll_seconds`.

Applying a change drops what this process keeps about the account (its index, and
through `on_change` the callers cached for its tokens); the next request loads it
again. What a reader started before a change may not be kept after it: an index or a
caller is stored only when read at (or after) the newest version applied.
"""

from __future__ import annotations

import gc
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import anyio.to_thread
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from spacegate import metrics
from spacegate.accounts.models import Account
from spacegate.authz import AccountIndex
from spacegate.db import is_sqlite, notify_after_commit, subscribe
from spacegate.grants.loader import (
    load_group,
    load_index,
    load_role,
    load_space_name,
    load_user,
)

log = logging.getLogger(__name__)

FREEZE_AFTER_USERS = 10_000
"""An index of this many users or more is moved out of the cyclic collector's sight."""

GRANTS_CHANGED = "grants-changed"
"""The topic a committed grant change is announced on in this process (a `Change`)."""
NOTIFY_CHANNEL = "spacegate_grants"
"""The PostgreSQL channel a committed grant change is announced on to other processes."""

ChangeKind = Literal["account", "user", "space", "role", "group", "token"]


@dataclass(frozen=True, slots=True)
class Change:
    """One committed change of an account's grants: the account's version it made, and
    what it was about (the kind of thing and its id; "account": anything)."""

    account_id: int
    version: int
    kind: ChangeKind = "account"
    entity_id: int | None = None
    committed_at: float = 0.0  # when it was announced (time.time()), for the lag

    def encode(self) -> str:
        return json.dumps(
            [self.account_id, self.version, self.kind, self.entity_id, self.committed_at]
        )

    @classmethod
    def decode(cls, payload: str) -> Change:
        account_id, version, kind, entity_id, committed_at = json.loads(payload)
        return cls(int(account_id), int(version), kind, entity_id, float(committed_at))


def mark_changed(
    session: Session, account_id: int, kind: ChangeKind = "account", entity_id: int | None = None
) -> Change:
    """Record, in this transaction, that the account's grants changed.

    The UPDATE also takes the account row's lock until commit, which serialises
    concurrent grant changes of one account; the last-admin rule relies on it.
    """
    version = session.scalar(
        update(Account)
        .where(Account.id == account_id)
        .values(authz_version=Account.authz_version + 1)
        .returning(Account.authz_version)
    )
    change = Change(account_id, version or 0, kind, entity_id, time.time())
    bind = session.get_bind()
    if not is_sqlite(bind):  # type: ignore[arg-type]
        # Delivered to every listener when (and only if) the transaction commits.
        session.execute(select(func.pg_notify(NOTIFY_CHANNEL, change.encode())))
    notify_after_commit(session, GRANTS_CHANGED, change)
    return change


@dataclass(slots=True)
class _Entry:
    version: int  # read before the rest: the index holds every change up to it
    index: AccountIndex


@dataclass(slots=True)
class _Stream:
    """The changes of one account this process has applied: every version up to
    `upto`, and those in `ahead` (arrived out of order; a gap means one is missing)."""

    upto: int
    ahead: set[int] = field(default_factory=set)

    def seen(self, version: int) -> bool:
        return version <= self.upto or version in self.ahead

    def add(self, version: int) -> None:
        self.ahead.add(version)
        while self.upto + 1 in self.ahead:
            self.upto += 1
            self.ahead.discard(self.upto)

    @property
    def newest(self) -> int:
        return max(self.ahead, default=self.upto)


def lock_account(session: Session, account_id: int) -> None:
    """Take the account row's lock until the end of the transaction, as `mark_changed`
    does, before what changes is known (the row of a thing not yet created): changes of
    one account's grants then run one after the other and each reads what the previous
    committed (the last-admin rule relies on it). On SQLite, write transactions hold
    the database's write lock from their start already."""
    session.execute(select(Account.id).where(Account.id == account_id).with_for_update())


class IndexCache:
    """The grant index of each account this process has served, kept up to date by
    applying each change as a delta (`AccountIndex.set_user`, `set_space`, ...)."""

    def __init__(
        self, factory: sessionmaker[Session], *, poll_seconds: float, grace_seconds: float = 1.0
    ) -> None:
        self._factory = factory
        self._poll_seconds = poll_seconds
        # While notifications arrive (PostgreSQL), a version the poll sees ahead is left
        # this long to its notification before the poll acts on it.
        self._grace_seconds = grace_seconds
        self.notifications_live = False  # set by the listener of `spacegate.grants.feed`
        self._lock = threading.Lock()  # guards the dicts below
        self._apply_lock = threading.RLock()  # one delta (or load's catch-up) at a time
        self._entries: dict[int, _Entry] = {}
        self._streams: dict[int, _Stream] = {}
        self._loading: dict[int, list[Change]] = {}  # changes heard during a load
        self._load_locks: dict[int, threading.Lock] = {}
        self._behind_since: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._listeners: list[Callable[[Change], None]] = []
        self.loads = 0  # how many indexes were built in full (observability and tests)
        self.deltas = 0  # how many changes were applied as deltas
        self.polled = False  # whether a poll has completed (readiness)
        # Committed sessions of this factory apply what they changed.
        subscribe(factory, GRANTS_CHANGED, self.apply)

    # -- reading ------------------------------------------------------------------------

    def get(self, session: Session, account_id: int) -> AccountIndex:
        """The account's index, loaded with `session` when this process has none. One
        load per account at a time: concurrent first requests wait for it."""
        entry = self._entries.get(account_id)
        if entry is not None:
            return entry.index
        with self._lock:
            load_lock = self._load_locks.setdefault(account_id, threading.Lock())
        with load_lock:
            entry = self._entries.get(account_id)
            if entry is not None:
                return entry.index
            with self._lock:
                self._loading[account_id] = []
            try:
                started = time.perf_counter()
                version, index = load_index(session, account_id)
                metrics.INDEX_LOAD_SECONDS.observe(time.perf_counter() - started)
                metrics.INDEX_LOADS.inc()
                self.loads += 1
                with self._apply_lock:
                    with self._lock:
                        heard = self._loading.pop(account_id, [])
                    # Changes committed while the rows were read may or may not be in
                    # them: applying one again changes nothing, so apply them all. One
                    # without a delta leaves this index unkept: the next request loads.
                    keep = all(
                        self._delta(index, change) is not None
                        for change in heard
                        if change.version > version
                    )
                    if keep:
                        with self._lock:
                            self._entries[account_id] = _Entry(version, index)
                if len(index.user_ids) >= FREEZE_AFTER_USERS:
                    # A large account's index is long-lived: out of the cyclic
                    # collector's sight, a full collection no longer walks it (13-19 ms
                    # at 520,000 grants, a pause for every request in flight). Its
                    # objects are acyclic, so dropping the index still frees them; what
                    # else lives now is frozen too, hence only for large indexes.
                    gc.freeze()
            finally:
                with self._lock:
                    self._loading.pop(account_id, None)
            return index

    def peek(self, account_id: int) -> AccountIndex | None:
        """The account's index if this process has it loaded, else None (no I/O)."""
        entry = self._entries.get(account_id)
        return entry.index if entry is not None else None

    async def aget(self, account_id: int) -> AccountIndex:
        """`get` for the event loop: a cached index at once, a load in a worker thread."""
        entry = self._entries.get(account_id)
        if entry is not None:
            return entry.index
        return await anyio.to_thread.run_sync(self._load_on_own_session, account_id)

    def _load_on_own_session(self, account_id: int) -> AccountIndex:
        with self._factory() as session:
            return self.get(session, account_id)

    def applied_version(self, account_id: int) -> int | None:
        """The newest version of the account this process has applied (None: none yet)."""
        stream = self._streams.get(account_id)
        return stream.newest if stream is not None else None

    # -- changes --------------------------------------------------------------------------

    def on_change(self, listener: Callable[[Change], None]) -> None:
        """Call `listener(change)` for every change applied, e.g. to drop what else was
        cached about the account."""
        self._listeners.append(listener)

    def apply(self, change: Change, source: str = "this process") -> bool:
        """Apply a committed change (from this process, a notification or the poll);
        False when it was applied already (a process hears its own notifications).

        Applications run one at a time, and a change counts as applied only once its
        delta is in: the thread that committed a change may hear "applied already"
        only after another thread (the notification listener) has finished applying
        it, so the request's answer, and the next request, see it."""
        account_id = change.account_id
        with self._apply_lock:
            with self._lock:
                stream = self._streams.get(account_id)
                if stream is not None and stream.seen(change.version):
                    return False
                loading = self._loading.get(account_id)
                if loading is not None:
                    loading.append(change)
                entry = self._entries.get(account_id)
            if (
                entry is not None
                and change.version > entry.version
                and self._delta(entry.index, change) is None
            ):
                with self._lock:  # no delta for it: load the account afresh
                    if self._entries.get(account_id) is entry:
                        del self._entries[account_id]
            with self._lock:
                if stream is None or change.kind == "account":
                    # Everything up to this version is in what is read from now on.
                    self._streams[account_id] = _Stream(change.version)
                else:
                    stream.add(change.version)
                self._behind_since.pop(account_id, None)
            for listener in self._listeners:
                listener(change)
        metrics.CHANGES_APPLIED.labels(source).inc()
        return True

    def _delta(self, index: AccountIndex, change: Change) -> AccountIndex | None:
        """Apply `change` to `index` (reading the changed thing as it is now); None
        when the change has no delta and the index must be loaded afresh."""
        entity = change.entity_id
        if change.kind == "token":
            return index  # callers only (see `on_change`)
        if entity is None or change.kind not in ("user", "space", "role", "group"):
            return None
        with self._factory() as session:
            if change.kind == "user":
                index.set_user(entity, load_user(session, change.account_id, entity))
            elif change.kind == "space":
                index.set_space(entity, load_space_name(session, change.account_id, entity))
            elif change.kind == "role":
                index.set_role(entity, load_role(session, change.account_id, entity))
            else:
                index.set_group(load_group(session, change.account_id, entity) or entity)
        self.deltas += 1
        return index

    def invalidate(self, account_ids: set[int] | None = None) -> None:
        """Forget the loaded indexes of these accounts (None: all); the next request
        loads them again. What was applied stays applied."""
        with self._lock:
            for account_id in list(self._entries) if account_ids is None else account_ids:
                self._entries.pop(account_id, None)

    # -- the safety net: the version poll ---------------------------------------------------

    def poll_once(self) -> None:
        with self._factory() as session:
            versions = dict(session.execute(select(Account.id, Account.authz_version)).all())
        now = time.monotonic()
        due: list[Change] = []
        with self._lock:
            for account_id, version in versions.items():
                stream = self._streams.get(account_id)
                if stream is None:
                    # First sight: anything read before is older than this version.
                    due.append(Change(account_id, version))
                elif version > stream.upto:
                    since = self._behind_since.setdefault(account_id, now)
                    grace = self._grace_seconds if self.notifications_live else 0.0
                    if now - since >= grace:
                        # A change was missed (or there are no notifications): read the
                        # account afresh rather than guess which one.
                        due.append(Change(account_id, version))
                else:
                    self._behind_since.pop(account_id, None)
        for change in due:
            self.apply(change, source="poll")
        self.polled = True

    def start(self) -> None:
        """A first poll at once (what this process starts from), then one every
        `poll_seconds` in a background thread."""
        if self._thread is not None:
            return
        _log_errors(self.poll_once)
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="authz-poller", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        while not self._stop.wait(self._poll_seconds):
            _log_errors(self.poll_once)


def _log_errors(step: Callable[[], None]) -> None:
    try:
        step()
    except Exception:  # the poller must outlive a database hiccup
        log.exception("authz poll failed; will retry")
