"""Console forms: a refusal is shown at the field the service names, never by its text,
and a refused form leaves nothing half-written."""

from __future__ import annotations

from fastapi import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from spacegate.db import transaction
from spacegate.errors import Conflict, InvalidInput
from spacegate.runtime import Runtime
from spacegate.spaces.models import Space
from spacegate.web.forms import Refusal, form_errors, submit
from tests.factories import new_account


def test_the_named_field_gets_the_message() -> None:
    error = InvalidInput("The description mentions a tag name.", field="value")
    assert form_errors(error) == {"value": "The description mentions a tag name."}


def test_no_field_falls_back_to_the_default() -> None:
    error = Conflict("The limit is reached.")
    assert form_errors(error) == {"form": "The limit is reached."}
    assert form_errors(error, default="url") == {"url": "The limit is reached."}


def test_a_form_may_call_the_field_otherwise() -> None:
    error = InvalidInput("The duration must be longer than zero.", field="duration")
    renamed = {"duration": "duration_minutes"}
    assert form_errors(error, renamed=renamed) == {
        "duration_minutes": "The duration must be longer than zero."
    }


def test_the_field_stays_out_of_the_api_body() -> None:
    error = InvalidInput("Bad.", field="name")
    assert error.field == "name" and error.details == {}


def test_several_fields_are_reported_at_once() -> None:
    error = InvalidInput(
        "Two fields are not valid.",
        details={"fields": {"account_id": "Enter the AWS account ID.", "name": "Enter a name."}},
    )
    assert form_errors(error, renamed=lambda field: f"detail-{field}") == {
        "detail-account_id": "Enter the AWS account ID.",
        "detail-name": "Enter a name.",
    }


def test_a_refused_form_leaves_nothing_half_written(runtime: Runtime) -> None:
    """The action wrote before it was refused: the page drawn again reads the state of
    before, and nothing of the action is left to commit."""
    admin = new_account(runtime, "acme", "ada@example.com")
    with transaction(runtime.sessions) as db:
        refused_after_writing(db, admin.account_id)
    with transaction(runtime.sessions) as db:
        assert list(db.scalars(select(Space.name))) == []


def refused_after_writing(db: Session, account_id: int) -> None:
    seen: list[list[str]] = []

    def names() -> list[str]:
        return list(db.scalars(select(Space.name).where(Space.account_id == account_id)))

    def action() -> None:
        db.add(Space(account_id=account_id, name="half", name_key="half", color="blue"))
        db.flush()
        assert names() == ["half"]
        raise Conflict("Refused after writing.", field="name")

    def redisplay(refusal: Refusal) -> Response:
        seen.append(names())
        return Response(refusal.errors["name"], status_code=refusal.status_code)

    response = submit(db, action, redisplay)
    assert isinstance(response, Response)
    assert (response.status_code, response.body) == (409, b"Refused after writing.")
    assert seen == [[]]


def test_an_accepted_form_returns_the_result(runtime: Runtime) -> None:
    def never(refusal: Refusal) -> Response:
        raise AssertionError(f"not refused: {refusal}")

    with transaction(runtime.sessions) as db:
        assert submit(db, lambda: 42, never) == 42
