"""The callers behind bearer secrets, kept in memory like the grant index.

Authenticating a request is then a SHA-256 and a dict lookup: the token's row, its user
and its account are read from the database once per token and process, the first time
the token is used (concurrent first uses wait for one read, not one each). What could
make a cached caller wrong — the token revoked, its user deactivated or removed — is a
grant change of the account (`spacegate.grants.cache.mark_changed`): the index cache
drops the account's index and, through `IndexCache.on_drop`, its cached callers, in this
process after the commit and in the others through the same notifications and version
poll. Expiry is checked on every use.

A token's last use is bookkeeping, not a decision: it is noted in memory, and a
background thread writes the notes every few seconds in one short transaction of its
own, so that no request ever waits on it (nor on another request's write of it).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import anyio.to_thread
from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from spacegate.accounts.models import Account
from spacegate.auth.models import BEARER_KINDS, Token, TokenKind
from spacegate.authz import Permission
from spacegate.authz.masks import mask_of
from spacegate.crypto import hash_secret
from spacegate.errors import Unauthorized
from spacegate.grants.cache import Change, IndexCache
from spacegate.grants.context import Caller
from spacegate.users.models import User, UserStatus

log = logging.getLogger(__name__)

# A token's last use is written at most this often: not a write per request.
LAST_USED_RESOLUTION_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class CachedCaller:
    """A token as the request edge needs it: who it stands for, and until when."""

    caller: Caller
    kind: str
    user_active: bool
    expires_at: float | None  # a POSIX timestamp; None: never
    last_used_at: float | None  # a POSIX timestamp
    version: int  # the account's grant version it was read at


def read_caller(session: Session, token_hash: str) -> tuple[int, CachedCaller] | None:
    """The token with this hash, its user and account, as (account id, entry)."""
    row = session.execute(
        select(Token, User.email, User.status, Account.name, Account.authz_version)
        .join(User, User.id == Token.user_id)
        .join(Account, Account.id == Token.account_id)
        .where(Token.token_hash == token_hash)
    ).first()
    if row is None:
        return None
    token, email, status, account_name, version = row
    caller = Caller(
        user_id=token.user_id,
        account_id=token.account_id,
        account_name=account_name,
        email=email,
        token_id=token.id,
        token_kind=token.kind,
        token_mask=mask_of(Permission(p) for p in token.permissions)
        if token.permissions is not None
        else None,
        token_space_ids=frozenset(token.space_ids) if token.space_ids is not None else None,
    )
    entry = CachedCaller(
        caller=caller,
        kind=token.kind,
        user_active=status == UserStatus.ACTIVE.value,
        expires_at=token.expires_at.timestamp() if token.expires_at else None,
        last_used_at=token.last_used_at.timestamp() if token.last_used_at else None,
        version=version,
    )
    return token.account_id, entry


def admit(entry: CachedCaller | None, kinds: frozenset[str], now: float) -> Caller:
    """The caller of a token of one of `kinds`, or Unauthorized saying why not."""
    if entry is None:
        raise Unauthorized("The token is not valid; sign in again.")
    if entry.kind == TokenKind.REFRESH.value:
        raise Unauthorized(
            "A refresh token cannot be used to call the API; trade it for an access token."
        )
    if entry.kind not in kinds:
        raise Unauthorized("This kind of token is not accepted here; sign in again.")
    if entry.expires_at is not None and entry.expires_at <= now:
        raise Unauthorized("The token has expired; sign in again.")
    if not entry.user_active:
        raise Unauthorized("This user is deactivated.")
    return entry.caller


class CallerCache:
    """Token hash -> `CachedCaller`, for every account of the installation."""

    def __init__(
        self, factory: sessionmaker[Session], grants: IndexCache, *, flush_seconds: float = 5.0
    ) -> None:
        self._factory = factory
        self._grants = grants
        self._flush_seconds = flush_seconds
        self._lock = threading.Lock()
        self._entries: dict[str, CachedCaller] = {}
        self._by_account: dict[int, set[str]] = {}
        self._loading: dict[str, threading.Event] = {}
        self._uses: dict[int, float] = {}  # token id -> a last use not yet written
        self._noted: dict[int, float] = {}  # token id -> the last use noted
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.reads = 0  # database reads of tokens (observability and tests)
        grants.on_change(self.apply)

    # -- the request edge ---------------------------------------------------------------

    def known(
        self, secret: str, kinds: frozenset[str] = BEARER_KINDS, client: str | None = None
    ) -> Caller | None:
        """`authenticate` for a token already cached (None when it is not: then await
        `authenticate`); raises Unauthorized as it would."""
        token_hash = hash_secret(secret)
        entry = self._entries.get(token_hash)
        if entry is None:
            return None
        return self._admit(entry, kinds, client)

    def _admit(
        self, entry: CachedCaller | None, kinds: frozenset[str], client: str | None
    ) -> Caller:
        stamp = time.time()
        caller = admit(entry, kinds, stamp)
        assert entry is not None
        self.note_use(entry, stamp)
        return caller.at(client) if client else caller

    async def authenticate(
        self, secret: str, kinds: frozenset[str] = BEARER_KINDS, client: str | None = None
    ) -> Caller:
        """The caller behind `secret`, or Unauthorized. No database access once the
        token is cached; the first use reads it in a worker thread."""
        token_hash = hash_secret(secret)
        entry = self._entries.get(token_hash)
        if entry is None:
            entry = await anyio.to_thread.run_sync(self.load, token_hash)
        return self._admit(entry, kinds, client)

    def authenticate_sync(
        self, secret: str, kinds: frozenset[str] = BEARER_KINDS, client: str | None = None
    ) -> Caller:
        """`authenticate` for code that runs in a thread (the CLI, tests)."""
        return self._admit(self.load(hash_secret(secret)), kinds, client)

    def load(self, token_hash: str) -> CachedCaller | None:
        """The cached caller, or one read of the database for all the threads asking
        at the same moment. A token that does not exist is not cached."""
        while True:
            cached = self._entries.get(token_hash)
            if cached is not None:
                return cached
            with self._lock:
                waiting = self._loading.get(token_hash)
                if waiting is None:
                    done = self._loading[token_hash] = threading.Event()
            if waiting is not None:
                waiting.wait(timeout=30)
                if token_hash in self._entries:
                    continue
                # The first reader found nothing (or failed): read for ourselves.
            try:
                return self._read(token_hash)
            finally:
                if waiting is None:
                    with self._lock:
                        self._loading.pop(token_hash, None)
                    done.set()

    def _read(self, token_hash: str) -> CachedCaller | None:
        with self._factory() as session:
            found = read_caller(session, token_hash)
        self.reads += 1
        if found is None:
            return None
        account_id, entry = found
        with self._lock:
            # Read before a change this process has applied since: not kept.
            applied = self._grants.applied_version(account_id)
            if applied is None or entry.version >= applied:
                self._entries[token_hash] = entry
                self._by_account.setdefault(account_id, set()).add(token_hash)
        return entry

    def apply(self, change: Change) -> None:
        """A committed change of the account: forget the callers it may have made wrong
        (a revoked token's; a changed user's, who may be deactivated or removed; every
        caller of the account when it does not say). Their next request reads again."""
        if change.kind in ("role", "group"):
            return  # callers hold no grants: the index answers for those
        with self._lock:
            hashes = self._by_account.get(change.account_id)
            if not hashes:
                return
            for token_hash in list(hashes):
                entry = self._entries.get(token_hash)
                caller = entry.caller if entry is not None else None
                if (
                    change.kind == "account"
                    or change.entity_id is None
                    or caller is None
                    or (change.kind == "user" and caller.user_id == change.entity_id)
                    or (change.kind == "token" and caller.token_id == change.entity_id)
                    # A token narrowed to a deleted space must not keep its id, which
                    # SQLite may give to the next space created.
                    or (
                        change.kind == "space"
                        and caller.token_space_ids is not None
                        and change.entity_id in caller.token_space_ids
                    )
                ):
                    self._entries.pop(token_hash, None)
                    hashes.discard(token_hash)

    # -- last use -----------------------------------------------------------------------

    def note_use(self, entry: CachedCaller, stamp: float) -> None:
        """Remember that the token was used (at POSIX time `stamp`), when its last known
        use is old enough to be worth a write."""
        token_id = entry.caller.token_id
        last = self._noted.get(token_id, entry.last_used_at)
        if last is None or stamp - last > LAST_USED_RESOLUTION_SECONDS:
            self._noted[token_id] = stamp
            self._uses[token_id] = stamp

    def flush_uses(self) -> int:
        """Write the noted last uses, in one short transaction; how many were written. A
        token deleted meanwhile is simply not updated; a failure only loses timestamps."""
        with self._lock:
            uses, self._uses = self._uses, {}
        if not uses:
            return 0
        try:
            with self._factory() as session, session.begin():
                for token_id, stamp in uses.items():
                    used_at = datetime.fromtimestamp(stamp, UTC)
                    session.execute(
                        update(Token).where(Token.id == token_id).values(last_used_at=used_at),
                        execution_options={"synchronize_session": False},
                    )
        except SQLAlchemyError:
            log.warning("could not record the last use of %d tokens", len(uses), exc_info=True)
            return 0
        return len(uses)

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="token-uses", daemon=True)
        self._thread.start()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self.flush_uses()

    def _run(self) -> None:
        while not self._stop.wait(self._flush_seconds):
            self.flush_uses()
