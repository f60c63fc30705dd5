"""The outbox: messages are queued in the caller's transaction and delivered later.

Delivery claims due messages (pending, attempt time reached) by stamping them with a
claim id in one UPDATE, so two workers never take the same message. Messages the
server accepted are marked `sent` in small groups (every `SENT_GROUP` messages or
`SENT_GROUP_SECONDS`, and before any retry is recorded): one commit per message would
cap delivery at the database's commit rate. A message whose worker died mid-send, or
before its group was recorded, stays `sending`; after a lease it is marked failed
("outcome unknown") rather than sent again, because sending twice is the worse failure
for an invitation.
"""

from __future__ import annotations

import logging
import secrets
import smtplib
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from spacegate.crypto import SecretBox
from spacegate.db import notify_after_commit, transaction, utcnow
from spacegate.mail import backends
from spacegate.mail.models import OutboxMessage, OutboxStatus
from spacegate.settings import Settings

log = logging.getLogger("spacegate.mail")

BATCH = 200
SENT_GROUP = 50
SENT_GROUP_SECONDS = 1.0
MAIL_QUEUED = "mail-queued"  # the topic that wakes the worker after the commit
SENDING_LEASE = timedelta(minutes=10)
_SEPARATOR = "\x00--html--\x00"


@dataclass(frozen=True)
class Mail:
    recipient: str
    subject: str
    text: str
    html: str


def enqueue(
    session: Session,
    box: SecretBox,
    mail: Mail,
    *,
    account_id: int | None,
    invitation_id: int | None = None,
) -> OutboxMessage:
    """Queue `mail` (sealed at rest) in the caller's transaction; the worker
    delivers it after the commit. Raises no domain error."""
    message = OutboxMessage(
        account_id=account_id,
        invitation_id=invitation_id,
        message_id=make_msgid(domain="spacegate"),
        recipient=mail.recipient,
        subject=mail.subject,
        sealed_body=box.seal(mail.text + _SEPARATOR + mail.html),
        status=OutboxStatus.PENDING.value,
        next_attempt_at=utcnow(),
    )
    # Written with the session's next flush: many messages queued in one transaction
    # go out in one multi-row INSERT.
    session.add(message)
    notify_after_commit(session, MAIL_QUEUED)
    return message


def cancel_pending(session: Session, invitation_id: int) -> None:
    """Drop the not-yet-sent messages of an invitation (its link was replaced or revoked)."""
    session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.invitation_id == invitation_id,
            OutboxMessage.status == OutboxStatus.PENDING.value,
        )
        .values(status=OutboxStatus.CANCELLED.value, sealed_body=None)
    )


def waiting(session: Session) -> int:
    """How many messages wait for delivery (pending, or claimed by a worker)."""
    statuses = (OutboxStatus.PENDING.value, OutboxStatus.SENDING.value)
    count = session.scalar(
        select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status.in_(statuses))
    )
    return int(count or 0)


@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    retried: int = 0


class Deliverer:
    """Delivers due outbox messages; `deliver_due` is one pass (what `spacegate mail
    deliver` runs), `start` runs passes in a background thread."""

    def __init__(self, sessions: sessionmaker[Session], settings: Settings, box: SecretBox) -> None:
        self._sessions = sessions
        self._settings = settings
        self._box = box
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pass_lock = threading.Lock()

    def wake(self) -> None:
        self._wake.set()

    def deliver_due(self) -> DeliveryReport:
        report = DeliveryReport()
        with self._pass_lock:
            # Only what was due when the pass began: a message that fails in this pass
            # waits for a later one, even when its retry delay is shorter than the pass.
            started = utcnow()
            self._expire_stale_claims()
            while True:
                batch = self._claim(started)
                if not batch:
                    return report
                self._send_batch(batch, report)

    def _expire_stale_claims(self) -> None:
        with transaction(self._sessions) as session:
            session.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.status == OutboxStatus.SENDING.value,
                    OutboxMessage.claimed_at < utcnow() - SENDING_LEASE,
                )
                .values(
                    status=OutboxStatus.FAILED.value,
                    sealed_body=None,
                    last_error="The worker stopped while sending; the outcome is unknown. "
                    "Resend if needed.",
                )
            )

    def _claim(self, due_by: datetime) -> list[OutboxMessage]:
        claim = secrets.token_hex(16)
        now = utcnow()
        with transaction(self._sessions) as session:
            due = (
                select(OutboxMessage.id)
                .where(
                    OutboxMessage.status == OutboxStatus.PENDING.value,
                    OutboxMessage.next_attempt_at <= due_by,
                )
                .order_by(OutboxMessage.id)
                .limit(BATCH)
            )
            ids = list(session.scalars(due))
            if not ids:
                return []
            session.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.id.in_(ids), OutboxMessage.status == OutboxStatus.PENDING.value
                )
                .values(status=OutboxStatus.SENDING.value, claim=claim, claimed_at=now)
            )
            return list(
                session.scalars(
                    select(OutboxMessage)
                    .where(OutboxMessage.claim == claim)
                    .order_by(OutboxMessage.id)
                )
            )

    def _send_batch(self, batch: list[OutboxMessage], report: DeliveryReport) -> None:
        sent: list[OutboxMessage] = []  # accepted by the server, not yet recorded
        since = time.monotonic()
        try:
            with backends.connect(self._settings) as connection:
                for index, message in enumerate(batch):
                    try:
                        connection.send(self._compose(message))
                    except (OSError, smtplib.SMTPException) as error:
                        self._record_sent(sent, report)
                        if isinstance(error, smtplib.SMTPServerDisconnected | ConnectionError):
                            self._retry_all(batch[index:], error, report)
                            return
                        self._retry_all([message], error, report)
                        continue
                    if not sent:
                        since = time.monotonic()
                    sent.append(message)
                    if len(sent) >= SENT_GROUP or time.monotonic() - since >= SENT_GROUP_SECONDS:
                        self._record_sent(sent, report)
                self._record_sent(sent, report)
        except (OSError, smtplib.SMTPException) as error:
            # Could not connect at all: every message of the batch waits for a retry.
            self._record_sent(sent, report)
            self._retry_all(
                [m for m in batch if m.status == OutboxStatus.SENDING.value], error, report
            )
        finally:
            self._record_sent(sent, report)  # on any other error too: they did go out

    def _compose(self, message: OutboxMessage) -> EmailMessage:
        assert message.sealed_body is not None, "a claimed message has its body"
        text, html = self._box.open(message.sealed_body).split(_SEPARATOR, 1)
        email = EmailMessage()
        email["From"] = self._settings.mail_from
        email["To"] = message.recipient
        email["Subject"] = message.subject
        email["Message-ID"] = message.message_id
        email["Date"] = formatdate(localtime=False)
        email.set_content(text)
        email.add_alternative(html, subtype="html")
        return email

    def _record_sent(self, sent: list[OutboxMessage], report: DeliveryReport) -> None:
        """Mark `sent` (and empty the list): one UPDATE and one commit for the group."""
        if not sent:
            return
        group = list(sent)
        sent.clear()
        with transaction(self._sessions) as session:
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_([message.id for message in group]))
                .values(
                    status=OutboxStatus.SENT.value,
                    sent_at=utcnow(),
                    sealed_body=None,
                    last_error=None,
                    claim=None,
                )
            )
        for message in group:
            message.status = OutboxStatus.SENT.value
        report.sent += len(group)

    def _retry_all(
        self, messages: list[OutboxMessage], error: Exception, report: DeliveryReport
    ) -> None:
        reason = f"{type(error).__name__}: {error}"[:1000]
        with transaction(self._sessions) as session:
            for message in messages:
                message.status = OutboxStatus.PENDING.value
                attempts = message.attempts + 1
                gave_up = attempts >= self._settings.mail_max_attempts
                delay = min(
                    self._settings.mail_retry_base_seconds * 2 ** (attempts - 1),
                    self._settings.mail_retry_max_seconds,
                )
                session.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id == message.id)
                    .values(
                        status=OutboxStatus.FAILED.value if gave_up else OutboxStatus.PENDING.value,
                        attempts=attempts,
                        last_error=reason,
                        next_attempt_at=utcnow() + timedelta(seconds=delay),
                        claim=None,
                        sealed_body=None if gave_up else message.sealed_body,
                    )
                )
                if gave_up:
                    report.failed += 1
                else:
                    report.retried += 1
        log.warning("mail delivery failed for %d message(s): %s", len(messages), reason)

    # -- background worker --------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="mail-worker", daemon=True)
        self._thread.start()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.deliver_due()
            except Exception:  # the worker must outlive a database or mail hiccup
                log.exception("mail delivery pass failed; will retry")
            self._wake.wait(self._settings.mail_poll_seconds)
            self._wake.clear()
