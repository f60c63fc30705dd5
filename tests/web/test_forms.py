"""form_errors: a refusal is shown at the field the service names, never by its text."""

from __future__ import annotations

from spacegate.errors import Conflict, InvalidInput
from spacegate.web.forms import form_errors


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
