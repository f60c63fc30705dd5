"""Where messages go: the log (console) or an SMTP server."""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from typing import Protocol

from spacegate.settings import Settings

log = logging.getLogger("spacegate.mail")


class Connection(Protocol):
    def send(self, message: EmailMessage) -> None: ...


class ConsoleConnection:
    def send(self, message: EmailMessage) -> None:
        text = message.get_body(("plain",))
        content = text.get_content() if text is not None else ""
        log.warning("Email to %s — %s\n\n%s", message["To"], message["Subject"], content.rstrip())


class SMTPConnection:
    def __init__(self, client: smtplib.SMTP) -> None:
        self._client = client

    def send(self, message: EmailMessage) -> None:
        self._client.send_message(message)


@contextmanager
def connect(settings: Settings) -> Iterator[Connection]:
    """One connection for a batch of messages (an SMTP session is reused across them)."""
    if settings.mail_backend == "console":
        yield ConsoleConnection()
        return
    context = ssl.create_default_context()
    client: smtplib.SMTP
    if settings.smtp_security == "tls":
        client = smtplib.SMTP_SSL(
            settings.smtp_host,
            settings.smtp_port,
            timeout=settings.smtp_timeout_seconds,
            context=context,
        )
    else:
        client = smtplib.SMTP(
            settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_seconds
        )
    try:
        if settings.smtp_security == "starttls":
            client.starttls(context=context)
        if settings.smtp_username:
            client.login(settings.smtp_username, settings.smtp_password or "")
        yield SMTPConnection(client)
    finally:
        try:
            client.quit()
        except (smtplib.SMTPException, OSError):
            client.close()
