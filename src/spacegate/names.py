"""Validation of the names and emails that identify things in paths."""

from __future__ import annotations

import unicodedata
from collections.abc import Collection

import email_validator
from email_validator import EmailNotValidError, ValidatedEmail, validate_email

from spacegate.errors import InvalidInput
from spacegate.lookalikes import normal_name

MAX_NAME = 64

# email-validator refuses special-use domains (`.local`, `localhost`, `.test`, `.arpa`,
# ...) even without its deliverability checks, because it assumes globally
# routable mail. Enterprises run mail on such domains (Active Directory's `corp.local`),
# so spacegate accepts every syntactically valid address and leaves refusals to the
# operator's `refused_email_domains`. The library documents this list as the setting
# to change; spacegate validates every address through this module.
email_validator.SPECIAL_USE_DOMAIN_NAMES = []


def clean_name(value: str, what: str, *, field: str = "name") -> str:
    """A display name that is also a path key: in its normal form (NFKC, runs of
    whitespace as one space, trimmed), 1..64 printable characters, no '/'. A refusal
    names `field`."""
    name = normal_name(value)
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


def clean_email(value: str, refused_domains: Collection[str], *, field: str = "email") -> str:
    """The address as the user wrote it, normalised (Unicode NFC, the domain lower-cased)
    and validated: syntax only, no DNS lookup, so internal domains (`corp.local`,
    `eng.internal`, a single label) and internationalised ones are accepted. Raises
    InvalidInput, naming `field`, for bad syntax or a domain in `refused_domains` (ASCII
    forms, as `domain_key` gives them)."""
    try:
        result = _validate(value)
    except EmailNotValidError as error:
        raise InvalidInput(
            f"'{value}' is not a valid email address: {error}", field=field
        ) from error
    _refuse_listed(value, result.ascii_domain, refused_domains, field)
    return result.normalized


def email_key(value: str, refused_domains: Collection[str] = (), *, field: str = "email") -> str:
    """The key users and invitations are found by: the address normalised as
    `clean_email` does, lower-cased. An address that is not valid gives its trimmed,
    lower-cased self (it matches no one). Raises InvalidInput, naming `field`, for a
    valid address on a domain in `refused_domains`; the default refuses none, for the
    paths that manage existing users whatever their domain."""
    address = value.strip()
    if address.isascii() and "xn--" not in address.lower():
        # An ASCII address without Punycode normalises to itself, save the domain's
        # case: skip the validator, which the decision API would otherwise run per check.
        local, at, domain = address.rpartition("@")
        if local and at:
            _refuse_listed(value, domain.lower(), refused_domains, field)
        return address.lower()
    try:
        result = _validate(address)
    except EmailNotValidError:
        return address.lower()
    _refuse_listed(value, result.ascii_domain, refused_domains, field)
    return result.normalized.lower()


def domain_key(domain: str) -> str:
    """A domain as `clean_email` compares it: IDNA-encoded ASCII, lower-cased (a leading
    `@` or `.` is dropped). Raises ValueError for a domain no address can have."""
    bare = domain.strip().lstrip("@.")
    try:
        return _validate(f"postmaster@{bare}").ascii_domain
    except EmailNotValidError as error:
        raise ValueError(f"'{domain}' is not a valid email domain: {error}") from error


def _validate(address: str) -> ValidatedEmail:
    return validate_email(address.strip(), check_deliverability=False, globally_deliverable=False)


def _refuse_listed(
    value: str, ascii_domain: str, refused_domains: Collection[str], field: str
) -> None:
    for refused in refused_domains:
        if ascii_domain == refused or ascii_domain.endswith("." + refused):
            raise InvalidInput(
                f"'{value.strip()}' is refused: this server does not accept addresses at "
                f"{refused} or its subdomains.",
                field=field,
            )


def unix_newlines(source: str) -> str:
    """`\n` line ends: browsers and some clients send `\r\n`, and a Rego `package` line
    must not end with `\r`."""
    return source.replace("\r\n", "\n").replace("\r", "\n")
