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
from spacegate.web.admin_resources import MAX_FIELD
from spacegate.web.forms import prefixed_fields

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
# Credential fields that identify rather than authenticate: a form keeps what was typed
# in them when it comes back with an error (the secrets beside them are asked again).
NOT_SECRET = frozenset({"access_key_id", "role_arn", "client_id"})
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
    secret: bool = True  # a credential typed into a password field, never shown again


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
        return FieldView(spec.name, label, hint, is_required, spec.name not in NOT_SECRET)

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


async def posted_details(request: Request) -> dict[str, str]:
    return await prefixed_fields(request, DETAIL_PREFIX, max_length=MAX_FIELD, strip=False)


async def posted_credentials(request: Request) -> dict[str, str]:
    return await prefixed_fields(request, CREDENTIAL_PREFIX, max_length=MAX_FIELD, strip=False)


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


def kept_credentials(credentials: dict[str, str]) -> dict[str, str]:
    """What a form shows again of the credentials just typed: the fields that are not
    secret (an access key id, a role ARN), never a secret."""
    return {key: value for key, value in credentials.items() if key in NOT_SECRET}


def missing_fields(
    form: ProviderForm, name: str | None, details: dict[str, str], credentials: dict[str, str]
) -> dict[str, str]:
    """Every empty required field of the form at once, by its element's key, in the
    words of its label (the service, which checks them one by one, would name one)."""
    missing: dict[str, str] = {}
    if name is not None and not name.strip():
        missing["name"] = "Enter a name."
    for field in form.details:
        if field.required and not details.get(field.key, "").strip():
            missing[f"detail-{field.key}"] = f"Enter the {field.label}."
    if not any(
        all(credentials.get(f.key, "").strip() for f in shape.fields if f.required)
        for shape in form.shapes
    ):
        # The shape begun (or the first): each of its required fields left empty.
        begun = next(
            (s for s in form.shapes if any(credentials.get(f.key) for f in s.fields)),
            form.shapes[0],
        )
        for field in begun.fields:
            if field.required and not credentials.get(field.key, "").strip():
                missing[f"credential-{field.key}"] = f"Enter the {field.label}."
    return missing


def speak(message: str, provider: Provider | None) -> str:
    """A service's sentence in the form's words: a field's label for its id
    (`'account_id'` becomes “AWS account ID”), the provider's name for its code."""
    for key, label in FIELD_LABELS.items():
        message = message.replace(f"'{key}'", f"“{label}”")
    if provider is not None:
        title = PROVIDER_TITLES[provider]
        article = "An" if title[0] in "AEIOU" else "A"
        message = message.replace(
            f"A {provider.value} cloud account", f"{article} {title} cloud account"
        )
        message = message.replace(
            f"a {provider.value} cloud account", f"{article.lower()} {title} cloud account"
        )
    return message
