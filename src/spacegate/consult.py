"""What a domain asks, or tells, the domains above it, inside the same transaction.

The domain services form layers, and a lower one never imports a higher one. Yet some of
a lower domain's rules depend on what the higher ones hold: a space is not deleted while
environments run in it, a custom role not while users hold it, and a deactivated user's
tokens (auth's table) end with the deactivation. The lower domain names the question
(`ask`) or the event (`tell`) by a topic of its own; the runtime, which builds the
installation, registers the higher domains' answers (`answer`) on its session factory,
so every session it opens carries them (as `spacegate.db.subscribe` does for what
follows a commit). Answers run at once, in the asking transaction, and may write in it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

Answer = Callable[[Session, Any], Sequence[str] | None]
"""Called with the session and the subject (a space, a role id, a user id...)."""

_ANSWERS = "spacegate.answers"


def answer(factory: sessionmaker[Session], topic: str, fn: Answer) -> None:
    """Have `fn` answer `topic` for every session `factory` opens from now on."""
    # The factory's `info` is copied (shallowly) into each session it opens, so all of
    # them share this one dict.
    info: dict[str, Any] = factory.kw.setdefault("info", {})
    answers: dict[str, list[Answer]] = info.setdefault(_ANSWERS, {})
    answers.setdefault(topic, []).append(fn)


def ask(session: Session, topic: str, subject: Any) -> list[str]:
    """Every answer to `topic` about `subject`, in the order they were registered: e.g.
    the sentences naming what blocks a deletion (none: nothing does)."""
    said: list[str] = []
    for fn in _answers(session, topic):
        said.extend(fn(session, subject) or ())
    return said


def tell(session: Session, topic: str, subject: Any) -> None:
    """Let the domains above act on `topic` about `subject`, in this transaction."""
    for fn in _answers(session, topic):
        fn(session, subject)


def _answers(session: Session, topic: str) -> list[Answer]:
    answers: dict[str, list[Answer]] = session.info.get(_ANSWERS, {})
    return answers.get(topic, [])
