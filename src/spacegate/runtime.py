"""The long-lived objects of one running installation, built once from the settings."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from spacegate.accounts.service import SetupGate
from spacegate.auth.passwords import Passwords
from spacegate.auth.ratelimit import LoginLimiter
from spacegate.crypto import SecretBox
from spacegate.db import make_engine, make_session_factory, subscribe
from spacegate.environments.worker import ENVIRONMENT_QUEUED, EnvironmentWorker
from spacegate.grants.cache import IndexCache
from spacegate.mail.outbox import MAIL_QUEUED, Deliverer
from spacegate.migrate import upgrade
from spacegate.settings import Settings


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

    @classmethod
    def start(cls, settings: Settings, *, migrate: bool = True) -> Runtime:
        engine = make_engine(settings.resolved_database_url)
        if settings.resolved_database_url.startswith("sqlite"):
            settings.data_dir.mkdir(parents=True, exist_ok=True)
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
                window_seconds=settings.login_failure_window_seconds,
            ),
            setup_gate=SetupGate(),
            box=box,
            mail=Deliverer(sessions, settings, box),
        )

    def __post_init__(self) -> None:
        self.environments = EnvironmentWorker(self.sessions, self.settings, self.box)
        # A committed transaction that queued mail or environment work wakes its worker.
        subscribe(self.sessions, MAIL_QUEUED, lambda _: self.mail.wake())
        subscribe(self.sessions, ENVIRONMENT_QUEUED, lambda _: self.environments.wake())

    def close(self) -> None:
        self.environments.stop()
        self.mail.stop()
        self.authz.stop()
        self.engine.dispose()
