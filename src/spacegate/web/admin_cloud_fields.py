"""The provider-specific fields of a cloud account's forms: which details and
credential shapes each provider takes (drawn from `spacegate.cloudaccounts.providers`),
with the labels a person reads, and how a posted form carries them
(`details.<name>`, `credentials.<name>`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from spacegate.cloudaccounts.providers import CREDENTIALS, DETAILS, Field, Provider
from spacegate.errors import InvalidInput
from spacegate.web.admin_resources import MAX_FIELD

DETAIL_PREFIX = "details."
CREDENTIAL_PREFIX = "credentials."

PROVIDER_TITLES = {Provider.AWS: "AWS", Provider.AZURE: "Azure", Provider.GCP: "Google Cloud"}
SHAPE_TITLES = {
    "access_key": "Access key",
    "role": "IAM role",
    "client_secret": "Service principal (client secret)",
    "service_account_key": "Service account key",
}
FIELD_LABELS = {
    "account_id": "AWS account ID",
    "subscription_id": "Subscription ID",
    "tenant_id": "Tenant ID",
    "project_id": "Project ID",
    "default_region": "Default region",
    "access_key_id": "Access key ID",
    "secret_access_key": "Secret access key",
    "role_arn": "Role ARN",
    "external_id": "External ID",
    "client_id": "Client ID",
    "client_secret": "Client secret",
    "service_account_key": "Service account key (JSON)",
}
FIELD_HINTS = {
    "service_account_key": "Paste the whole JSON key file.",
    "client_secret": "",
}


# -- what the forms show for a provider ---------------------------------------------------


@dataclass(frozen=True)
class FieldView:
    key: str  # the provider's name for it, e.g. `account_id`
    label: str
    hint: str
    required: bool


@dataclass(frozen=True)
class ShapeView:
    """One accepted shape of credentials, drawn as a fieldset of password inputs."""

    kind: str
    title: str
    fields: tuple[FieldView, ...]


@dataclass(frozen=True)
class ProviderForm:
    provider: Provider
    title: str
    details: tuple[FieldView, ...]
    shapes: tuple[ShapeView, ...]


def _fields(required: Sequence[Field], optional: Sequence[Field]) -> tuple[FieldView, ...]:
    def view(spec: Field, is_required: bool) -> FieldView:
        label = FIELD_LABELS.get(spec.name, spec.name.replace("_", " ").capitalize())
        hint = FIELD_HINTS.get(spec.name, f"Must be {spec.rule}.")
        return FieldView(spec.name, label, hint, is_required)

    return (*(view(f, True) for f in required), *(view(f, False) for f in optional))


def provider_form(provider: Provider) -> ProviderForm:
    required, optional = DETAILS[provider]
    shapes = tuple(
        ShapeView(
            shape.kind,
            SHAPE_TITLES.get(shape.kind, shape.kind.replace("_", " ").capitalize()),
            _fields(shape.required, shape.optional),
        )
        for shape in CREDENTIALS[provider]
    )
    return ProviderForm(provider, PROVIDER_TITLES[provider], _fields(required, optional), shapes)


def parse_provider(value: str) -> Provider | None:
    try:
        return Provider(value.strip().lower())
    except ValueError:
        return None


# -- reading the provider-specific fields of a posted form --------------------------------


async def _prefixed(request: Request, prefix: str) -> dict[str, str]:
    """The non-empty `prefix<key>` fields of the posted form, by key. (verify_csrf has
    already parsed the form; Starlette keeps it, so this reads it again for free.)"""
    form = await request.form()
    found: dict[str, str] = {}
    for name, value in form.multi_items():
        if name.startswith(prefix) and isinstance(value, str) and value.strip():
            if len(value) > MAX_FIELD:
                raise InvalidInput(f"The field '{name.removeprefix(prefix)}' is too long.")
            found[name.removeprefix(prefix)] = value
    return found


async def posted_details(request: Request) -> dict[str, str]:
    return await _prefixed(request, DETAIL_PREFIX)


async def posted_credentials(request: Request) -> dict[str, str]:
    return await _prefixed(request, CREDENTIAL_PREFIX)


DetailsForm = Annotated[dict[str, str], Depends(posted_details)]
CredentialsForm = Annotated[dict[str, str], Depends(posted_credentials)]


# -- which field a refusal is about -------------------------------------------------------


def element(field: str) -> str:
    """The page's key for a posted field: `details.<name>` is shown as `detail-<name>`,
    `credentials.<name>` as `credential-<name>`."""
    for prefix, key in ((DETAIL_PREFIX, "detail-"), (CREDENTIAL_PREFIX, "credential-")):
        if field.startswith(prefix):
            return key + field.removeprefix(prefix)
    return field
