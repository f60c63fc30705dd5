"""What a cloud account of each provider holds: its non-secret details and the shapes of
credentials it accepts. Pure validation, no I/O.

Error messages name fields, never their values: a credential must not be echoed back,
not even in a complaint about it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from spacegate.errors import InvalidInput

MAX_CREDENTIAL_LENGTH = 16_384

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


class Provider(StrEnum):
    AWS = "aws"
    AZURE = "azure"
    GCP = "gcp"


@dataclass(frozen=True)
class Field:
    name: str
    pattern: re.Pattern[str]
    rule: str  # what the pattern means, for the error message


@dataclass(frozen=True)
class Shape:
    """One accepted shape of credentials: its kind (shown), required and optional keys."""

    kind: str
    required: tuple[Field, ...]
    optional: tuple[Field, ...] = ()

    @property
    def keys(self) -> frozenset[str]:
        return frozenset(f.name for f in (*self.required, *self.optional))


def _f(name: str, pattern: str | re.Pattern[str], rule: str) -> Field:
    return Field(name, re.compile(pattern) if isinstance(pattern, str) else pattern, rule)


_ANY = r"^\S(.*\S)?$"
_REGION = {
    Provider.AWS: _f("default_region", r"^[a-z]{2}(-[a-z]+)+-\d{1,2}$", "an AWS region"),
    Provider.AZURE: _f("default_region", r"^[a-z][a-z0-9]{2,39}$", "an Azure region"),
    Provider.GCP: _f("default_region", r"^[a-z]+-[a-z]+\d{1,2}$", "a GCP region"),
}

DETAILS: dict[Provider, tuple[tuple[Field, ...], tuple[Field, ...]]] = {
    Provider.AWS: ((_f("account_id", r"^\d{12}$", "12 digits"),), (_REGION[Provider.AWS],)),
    Provider.AZURE: (
        (_f("subscription_id", _UUID, "a UUID"), _f("tenant_id", _UUID, "a UUID")),
        (_REGION[Provider.AZURE],),
    ),
    Provider.GCP: (
        (
            _f(
                "project_id",
                r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$",
                "6 to 30 lowercase letters, digits or hyphens, starting with a letter",
            ),
        ),
        (_REGION[Provider.GCP],),
    ),
}

CREDENTIALS: dict[Provider, tuple[Shape, ...]] = {
    Provider.AWS: (
        Shape(
            "access_key",
            (
                _f("access_key_id", r"^(AKIA|ASIA)[A-Z0-9]{16}$", "an AWS access key id"),
                _f("secret_access_key", r"^[A-Za-z0-9/+=]{40}$", "40 characters"),
            ),
        ),
        Shape(
            "role",
            (_f("role_arn", r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$", "a role ARN"),),
            (_f("external_id", r"^[\w+=,.@:/-]{2,1224}$", "2 to 1224 characters"),),
        ),
    ),
    Provider.AZURE: (
        Shape(
            "client_secret",
            (_f("client_id", _UUID, "a UUID"), _f("client_secret", _ANY, "not empty")),
        ),
    ),
    Provider.GCP: (
        Shape(
            "service_account_key",
            (_f("service_account_key", _ANY, "a service account key (JSON)"),),
        ),
    ),
}


def parse_provider(value: str) -> Provider:
    try:
        return Provider(value.strip().lower())
    except ValueError:
        choices = ", ".join(p.value for p in Provider)
        raise InvalidInput(f"'{value}' is not a cloud provider; choose one of {choices}.") from None


def clean_details(provider: Provider, details: Mapping[str, Any]) -> dict[str, str]:
    """The details of a `provider` account: required ids and an optional default region.

    Raises InvalidInput (422) for a missing, unknown or malformed field."""
    required, optional = DETAILS[provider]
    known = {f.name for f in (*required, *optional)}
    unknown = sorted(set(details) - known)
    if unknown:
        raise InvalidInput(
            f"Unknown detail '{unknown[0]}' for a {provider.value} cloud account; "
            f"expected: {', '.join(sorted(known))}.",
            field=f"details.{unknown[0]}",
        )
    cleaned: dict[str, str] = {}
    for spec in (*required, *optional):
        value = details.get(spec.name)
        if value is None or value == "":
            if spec in required:
                raise InvalidInput(
                    f"A {provider.value} cloud account needs the detail '{spec.name}'.",
                    field=f"details.{spec.name}",
                )
            continue
        if not isinstance(value, str):
            raise InvalidInput(
                f"The detail '{spec.name}' must be a string ({spec.rule}).",
                field=f"details.{spec.name}",
            )
        value = value.strip()
        if not spec.pattern.match(value):
            raise InvalidInput(
                f"The detail '{spec.name}' must be {spec.rule}; got '{value}'.",
                field=f"details.{spec.name}",
            )
        cleaned[spec.name] = value
    return cleaned


def clean_credentials(provider: Provider, credentials: Mapping[str, str]) -> tuple[str, str]:
    """Match `credentials` to one of the provider's shapes; return its kind and the
    credentials as JSON text, ready to be sealed.

    Raises InvalidInput (422) naming the fields at fault, never their values."""
    shapes = CREDENTIALS[provider]
    given = {key for key, value in credentials.items() if value}
    shape = next((s for s in shapes if {f.name for f in s.required} <= given), None)
    if shape is None:
        accepted = " or ".join("{" + ", ".join(f.name for f in s.required) + "}" for s in shapes)
        raise InvalidInput(
            f"A {provider.value} cloud account needs credentials {accepted}.",
            field="credentials",
        )
    unknown = sorted(given - shape.keys)
    if unknown:
        raise InvalidInput(
            f"Unknown credential field '{unknown[0]}' for {provider.value} "
            f"{shape.kind} credentials; expected: {', '.join(sorted(shape.keys))}.",
            field=f"credentials.{unknown[0]}",
        )
    cleaned: dict[str, str] = {}
    for spec in (*shape.required, *shape.optional):
        value = credentials.get(spec.name)
        if not value:
            continue
        value = value.strip()
        if len(value) > MAX_CREDENTIAL_LENGTH or not spec.pattern.match(value):
            raise InvalidInput(
                f"The credential field '{spec.name}' must be {spec.rule}.",
                field=f"credentials.{spec.name}",
            )
        cleaned[spec.name] = value
    if shape.kind == "service_account_key":
        _check_service_account_key(cleaned["service_account_key"])
    return shape.kind, json.dumps(cleaned, sort_keys=True)


def _check_service_account_key(text: str) -> None:
    try:
        key = json.loads(text)
    except ValueError:
        key = None
    if (
        not isinstance(key, dict)
        or key.get("type") != "service_account"
        or not key.get("client_email")
        or not key.get("private_key")
    ):
        raise InvalidInput(
            "The credential field 'service_account_key' must be a GCP service account key: "
            "JSON with type 'service_account', client_email and private_key.",
            field="credentials.service_account_key",
        )
