"""The long-lived objects of one running installation, built once from the settings."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from spacegate.accounts.service import SetupGate
from spacegate.auth.callers import CallerCache
from spacegate.auth.ratelimit import LoginLimiter
from spacegate.auth.service import revoke_all_for_user
from spacegate.cloudaccounts.service import CLOUD_ACCOUNT_IN_USE, COMPUTE_SERVICE_IN_USE
from spacegate.consult import answer
from spacegate.crypto import SecretBox
from spacegate.db import make_engine, make_session_factory, subscribe
from spacegate.environments import live
from spacegate.environments.worker import ENVIRONMENT_QUEUED, EnvironmentWorker
from spacegate.grants.cache import IndexCache
from spacegate.grants.feed import ChangeFeed
from spacegate.groups.views import group_role_holders, group_role_scopes
from spacegate.mail.outbox import MAIL_QUEUED, Deliverer
from spacegate.migrate import upgrade
from spacegate.operations.access_log import AccessLog
from spacegate.operations.election import Election
from spacegate.policies.sandbox import PolicyEvaluator
from spacegate.roles.service import ROLE_HOLDERS, ROLE_SCOPES
from spacegate.settings import Settings
from spacegate.spaces.members import space_role_holders, space_role_scopes
from spacegate.spaces.service import SPACE_DELETION
from spacegate.users.passwords import Passwords
from spacegate.users.service import (
    USER_DEACTIVATED,
    account_role_holders,
    account_role_scopes,
)


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    authz: IndexCache
    passwords: Passwords
    login_limiter: LoginLimiter
    setup_gate: SetupGate
    box: SecretBox
    mail: Deliverer
    # Built from the fields above (see __post_init__), so that callers need not.
    environments: EnvironmentWorker = field(init=False)
    callers: CallerCache = field(init=False)
    feed: ChangeFeed = field(init=False)
    election: Election = field(init=False)
    access_log: AccessLog = field(init=False)
    policies: PolicyEvaluator = field(init=False)

    @classmethod
    def start(cls, settings: Settings, *, migrate: bool = True) -> Runtime:
        if settings.resolved_database_url.startswith("sqlite"):
            make_private_data_dir(settings)
        engine = make_engine(settings.resolved_database_url)
        if migrate:
            upgrade(engine)
        sessions = make_session_factory(engine)
        box = SecretBox(settings.resolved_secret_key())
        return cls(
            settings=settings,
            engine=engine,
            sessions=sessions,
            authz=IndexCache(sessions, poll_seconds=settings.authz_poll_seconds),
            passwords=Passwords(
                time_cost=settings.argon2_time_cost,
                memory_cost_kib=settings.argon2_memory_cost_kib,
            ),
            login_limiter=LoginLimiter(
                per_email=settings.login_max_failures_per_email,
                per_client=settings.login_max_failures_per_client,
                per_email_all_clients=settings.login_max_failures_per_email_all_clients,
                window_seconds=settings.login_failure_window_seconds,
            ),
            setup_gate=SetupGate(),
            box=box,
            mail=Deliverer(sessions, settings, box),
        )

    def __post_init__(self) -> None:
        self.environments = EnvironmentWorker(self.sessions, self.settings, self.box)
        self.callers = CallerCache(
            self.sessions, self.authz, flush_seconds=self.settings.token_use_flush_seconds
        )
        self.feed = ChangeFeed(self.engine, self.authz)
        self.election = Election(
            self.engine,
            self.settings.data_dir,
            on_elected=self._start_workers,
            on_deposed=self._stop_workers,
        )
        self.access_log = AccessLog(write_lines=self.settings.access_log)
        self.policies = PolicyEvaluator(
            workers=self.settings.policy_workers,
            timeout_seconds=self.settings.policy_timeout_seconds,
            memory_mib=self.settings.policy_memory_mib,
        )
        # A committed transaction that queued mail or environment work wakes its worker.
        subscribe(self.sessions, MAIL_QUEUED, lambda _: self.mail.wake())
        subscribe(self.sessions, ENVIRONMENT_QUEUED, lambda _: self.environments.wake())
        answer_for_the_domains_above(self.sessions)

    # -- background work ------------------------------------------------------------------

    def start_background(self) -> None:
        """What a serving process runs beside its requests: the grant caches' poll and
        notifications, the token-use flush, the request metrics and access log, and —
        when elected, or without an election — the mail and environment workers."""
        self.authz.start()
        self.feed.start()
        self.callers.start()
        self.access_log.start()
        if self.settings.worker_election:
            self.election.start()
        else:
            self._start_workers()

    def stop_background(self) -> None:
        self.election.stop()
        self._stop_workers()
        self.callers.stop()
        self.feed.stop()
        self.authz.stop()
        self.access_log.stop()

    def _start_workers(self) -> None:
        if self.settings.mail_worker:
            self.mail.start()
        if self.settings.environment_worker:
            self.environments.start()

    def _stop_workers(self) -> None:
        self.environments.stop()
        self.mail.stop()

    def close(self) -> None:
        self.stop_background()
        self.policies.close()
        self.engine.dispose()


def make_private_data_dir(settings: Settings) -> None:
    """The data directory holds every account's data, the installation secret and the
    git cache: 0700, and the SQLite database 0600 before SQLite first opens it (its WAL
    and shared-memory files take the database file's mode)."""
    data_dir = settings.data_dir
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(data_dir, 0o700)
    url = settings.resolved_database_url
    database = Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None
    if database is None or str(database) in ("", ":memory:"):
        return
    os.close(os.open(database, os.O_CREAT | os.O_WRONLY, 0o600))
    for suffix in ("", "-wal", "-shm", "-journal"):
        path = Path(f"{database}{suffix}")
        if path.exists():
            os.chmod(path, 0o600)


def answer_for_the_domains_above(sessions: sessionmaker[Session]) -> None:
    """The rules of a domain that depend on a domain above it, which it cannot import
    (see `spacegate.consult`): what keeps a space, a cloud account, a compute service or a
    custom role from being deleted, and what a user's deactivation ends."""
    answer(sessions, SPACE_DELETION, live.environments_in_space)
    answer(sessions, CLOUD_ACCOUNT_IN_USE, live.environments_using_cloud_account)
    answer(sessions, COMPUTE_SERVICE_IN_USE, live.environments_using_compute_service)
    answer(sessions, ROLE_HOLDERS, account_role_holders)  # the account role first
    answer(sessions, ROLE_HOLDERS, space_role_holders)
    answer(sessions, ROLE_HOLDERS, group_role_holders)
    answer(sessions, ROLE_SCOPES, account_role_scopes)
    answer(sessions, ROLE_SCOPES, space_role_scopes)
    answer(sessions, ROLE_SCOPES, group_role_scopes)
    answer(sessions, USER_DEACTIVATED, revoke_all_for_user)
