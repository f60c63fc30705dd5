"""Helpers of the invitation tests: a real SMTP server on loopback, and API shortcuts."""

from __future__ import annotations

import re
import socket
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from spacegate.db import Base, transaction
from spacegate.runtime import Runtime
from tests.factories import Person

PUBLIC_URL = "http://spacegate.test"
_LINK = re.compile(re.escape(PUBLIC_URL) + r"/signup\?secret=([A-Za-z0-9_\-]+)")


def secret_in(text: str) -> str:
    """The secret of the sign-up link in `text`."""
    found = _LINK.search(text)
    assert found is not None, f"no sign-up link in:\n{text}"
    return found.group(1)


@dataclass(frozen=True)
class Received:
    """One message as the SMTP server got it."""

    envelope_to: list[str]
    message: EmailMessage

    @property
    def text(self) -> str:
        part = self.message.get_body(("plain",))
        assert part is not None, "the message has a text part"
        return str(part.get_content())

    @property
    def html(self) -> str:
        part = self.message.get_body(("html",))
        assert part is not None, "the message has an HTML part"
        return str(part.get_content())

    @property
    def secret(self) -> str:
        return secret_in(self.text)


@dataclass
class _Collector:
    """aiosmtpd handler: keeps every message it accepts."""

    received: list[Received] = field(default_factory=list)
    refused: set[str] = field(default_factory=set)  # recipients answered 550

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address in self.refused:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.received.append(Received(list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


class SMTPServer:
    """A real SMTP server on 127.0.0.1:`port`, started and stopped on demand."""

    def __init__(self, port: int) -> None:
        self.port = port
        self._collector = _Collector()
        self._controller: Controller | None = None

    @property
    def received(self) -> list[Received]:
        return self._collector.received

    @property
    def refused(self) -> set[str]:
        """Recipients this server refuses (550), as a mailbox that does not exist."""
        return self._collector.refused

    def to(self, email: str) -> list[Received]:
        return [r for r in self.received if email in r.envelope_to]

    def start(self) -> None:
        assert self._controller is None
        self._controller = Controller(
            self._collector, hostname="127.0.0.1", port=self.port, enable_SMTPUTF8=True
        )
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


def free_port() -> int:
    """A port the OS says is free on loopback (nothing listens on it afterwards)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def invite(client: TestClient, who: Person, emails: list[str], **body: Any) -> dict[str, Any]:
    response = client.post(
        "/api/accounts/invitations", json={"emails": emails, **body}, headers=who.headers
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def invitations(client: TestClient, who: Person) -> dict[str, dict[str, Any]]:
    response = client.get("/api/accounts/invitations", headers=who.headers)
    assert response.status_code == 200, response.text
    return {row["email"]: row for row in response.json()}


def count_rows(runtime: Runtime, model: type[Base], **where: Any) -> int:
    """Rows of `model`'s table, optionally only those with the given column values."""
    with transaction(runtime.sessions, write=False) as session:
        query = select(func.count()).select_from(model)
        for column, value in where.items():
            query = query.where(getattr(model, column) == value)
        return int(session.scalar(query) or 0)


def login(client: TestClient, account: str, email: str, password: str) -> dict[str, str]:
    response = client.post(
        f"/api/accounts/{account}/login", json={"email": email, "password": password}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


NEW_PASSWORD = "a long and unusual passphrase"


def signup(
    client: TestClient, secret: str, password: str = NEW_PASSWORD, **names: str
) -> dict[str, Any]:
    """Accept an invitation through the API; the answer (201) as JSON."""
    body = {"secret": secret, "password": password, "first_name": "New", "last_name": "Person"}
    response = client.post("/api/accounts/signup", json={**body, **names})
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def me(client: TestClient, token: str) -> dict[str, Any]:
    response = client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def space_roles(profile: dict[str, Any]) -> dict[str, str | None]:
    """`/api/me`'s spaces as {space_name: space_role}, for the spaces with a role."""
    return {s["space_name"]: s["space_role"] for s in profile["spaces"] if s["space_role"]}


_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def submit_signup_form(client: TestClient, secret: str, **fields: str) -> Any:
    """Open the sign-up page like a browser and post its form (with its hidden fields,
    such as the CSRF token, and the client's cookies); the response of the POST."""
    page = client.get(f"/signup?secret={secret}")
    assert page.status_code == 200, page.text
    hidden = dict(_HIDDEN.findall(page.text))
    assert hidden.get("secret") == secret
    return client.post("/signup", data={**hidden, **fields})
