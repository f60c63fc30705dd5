"""Validation of the names and emails that identify things in paths."""

from __future__ import annotations

import unicodedata

from email_validator import EmailNotValidError, validate_email

from spacegate.errors import InvalidInput

MAX_NAME = 64


def clean_name(value: str, what: str, *, field: str = "name") -> str:
    """A display name that is also a path key: trimmed, 1..64 printable characters, no '/'.
    A refusal names `field`."""
    name = value.strip()
    if not name:
        raise InvalidInput(f"The {what} name must not be empty.", field=field)
    if len(name) > MAX_NAME:
        raise InvalidInput(
            f"The {what} name must be at most {MAX_NAME} characters long.", field=field
        )
    if "/" in name or any(unicodedata.category(ch).startswith("C") for ch in name):
        raise InvalidInput(
            f"The {what} name must not contain '/' or control characters.", field=field
        )
    return name


def clean_email(value: str, *, field: str = "email") -> str:
    """The address as the user wrote it, validated (syntax only, no DNS lookup). A
    refusal names `field`."""
    try:
        return validate_email(
            value.strip(), check_deliverability=False, globally_deliverable=False
        ).normalized
    except EmailNotValidError as error:
        raise InvalidInput(
            f"'{value}' is not a valid email address: {error}", field=field
        ) from error


def unix_newlines(source: str) -> str:
    """`\n` line ends: browsers and some clients send `\r\n`, and a Rego `package` line
    must not end with `\r`."""
    return source.replace("\r\n", "\n").replace("\r", "\n")
