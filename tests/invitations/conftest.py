"""Invitation tests run against a real SMTP server on loopback (aiosmtpd): the runtime's
settings are switched to the `smtp` backend pointing at a free port, and the server on
that port is started by the `smtp` fixture (or later, by a test of the server being down)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from spacegate.db import transaction
from spacegate.runtime import Runtime
from spacegate.settings import Settings
from spacegate.users.models import User
from tests.factories import Person, new_account, new_space
from tests.invitations.support import PUBLIC_URL, SMTPServer, free_port


@pytest.fixture
def smtp_port() -> int:
    return free_port()


@pytest.fixture
def settings(settings: Settings, smtp_port: int) -> Settings:
    """The suite's settings, sending through SMTP to loopback `smtp_port`."""
    return settings.model_copy(
        update={
            "mail_backend": "smtp",
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp_port,
            "smtp_security": "none",
            "smtp_timeout_seconds": 5,
            "public_url": PUBLIC_URL,
            "mail_from": "spacegate <no-reply@spacegate.test>",
        }
    )


@pytest.fixture
def smtp_server(smtp_port: int) -> Iterator[SMTPServer]:
    """The SMTP server of `smtp_port`, not running yet (a test may start it late)."""
    server = SMTPServer(smtp_port)
    yield server
    server.stop()


@pytest.fixture
def smtp(smtp_server: SMTPServer) -> SMTPServer:
    """The SMTP server, running."""
    smtp_server.start()
    return smtp_server


@pytest.fixture
def admin(runtime: Runtime) -> Person:
    """The Account Admin of account `acme` (named, so emails show a name), with spaces
    `dev` and `prod`."""
    person = new_account(runtime)
    with transaction(runtime.sessions) as session:
        user = session.get(User, person.user_id)
        assert user is not None
        user.first_name, user.last_name = "Ada", "Lovelace"
    new_space(runtime, person.account_id, "dev")
    new_space(runtime, person.account_id, "prod")
    return person
