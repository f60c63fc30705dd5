"""Cloud accounts and Kubernetes compute services: account-wide objects that an Account
Admin allows in chosen spaces.

Credentials and tokens are write-only. They are validated, sealed with the
installation's `SecretBox` and stored; no read, audit event or log line carries them
(the audit says only that they were set or changed). `open_credentials` is for the code
that deploys environments (the runner), `open_token` likewise; never for a response.

What the two kinds share (names, spaces, the audit, refusing to delete what live
environments use) is `resources.ResourceKind`, and the functions here that take a kind
(`CLOUD` or `COMPUTE`) are the same for both; the rest is each one's own fields.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from spacegate.cloudaccounts.models import (
    CloudAccount,
    CloudAccountSpace,
    ComputeService,
    ComputeServiceSpace,
)
from spacegate.cloudaccounts.providers import (
    MAX_CREDENTIAL_LENGTH,
    Provider,
    clean_credentials,
    clean_details,
    parse_provider,
)
from spacegate.cloudaccounts.resources import Resource, ResourceKind, ResourceView, resolve_spaces
from spacegate.crypto import SecretBox
from spacegate.db import utcnow
from spacegate.errors import InvalidInput
from spacegate.grants.context import Access
from spacegate.outbound import AddressPolicy
from spacegate.spaces.models import Space

CLOUD_ACCOUNT_IN_USE = "cloud-account-in-use"
"""Asked (`spacegate.consult.ask`) with a cloud account before deleting it: the
environments not yet ended that were launched with it."""
COMPUTE_SERVICE_IN_USE = "compute-service-in-use"
"""Asked with a compute service before deleting it: the environments running on it."""

# -- what both kinds have alike ------------------------------------------------------------


def list_resources(
    session: Session, kind: ResourceKind[Resource], account_id: int
) -> list[ResourceView[Resource]]:
    """The account's resources of `kind`, by name, with their spaces."""
    return kind.views(session, kind.of_account(session, account_id))


def get_resource(
    session: Session, kind: ResourceKind[Resource], account_id: int, name: str
) -> ResourceView[Resource]:
    """Raises NotFound (404) for a name the account has no resource of `kind` by."""
    return kind.views(session, [kind.get(session, account_id, name)])[0]


def resources_in_space(
    session: Session, kind: ResourceKind[Resource], space: Space
) -> list[Resource]:
    """The resources of `kind` allowed in `space`."""
    return kind.in_space(session, space)


def delete_resource(
    session: Session, access: Access, kind: ResourceKind[Resource], name: str
) -> None:
    """Raises NotFound (404) for no such resource, Conflict (409) while a live environment
    uses it."""
    view = get_resource(session, kind, access.caller.account_id, name)
    kind.delete(session, access, view.item, view.spaces)


# -- cloud accounts ------------------------------------------------------------------------


def _cloud_snapshot(cloud_account: CloudAccount, spaces: list[str]) -> dict[str, Any]:
    return {
        "name": cloud_account.name,
        "provider": cloud_account.provider,
        "details": dict(cloud_account.details),
        "spaces": spaces,
    }


CLOUD = ResourceKind(
    model=CloudAccount,
    link=CloudAccountSpace,
    link_owner=CloudAccountSpace.cloud_account_id,
    noun="cloud account",
    audit_type="cloud_account",
    secret="credentials",
    snapshot=_cloud_snapshot,
    in_use=CLOUD_ACCOUNT_IN_USE,
)


def create_cloud_account(
    session: Session,
    access: Access,
    box: SecretBox,
    *,
    name: str,
    provider: str,
    details: Mapping[str, Any],
    spaces: list[str],
    credentials: Mapping[str, str],
) -> ResourceView[CloudAccount]:
    """Raises InvalidInput (422) for a bad provider, details, credentials or space name,
    Conflict (409) for a name already taken."""
    account_id = access.caller.account_id
    name = CLOUD.clean_name(name)
    kind = parse_provider(provider)
    cleaned = clean_details(kind, details)
    credentials_kind, plaintext = clean_credentials(kind, credentials)
    allowed = resolve_spaces(session, account_id, spaces)
    CLOUD.ensure_free_name(session, account_id, name)
    cloud_account = CloudAccount(
        account_id=account_id,
        name=name,
        name_key=name.lower(),
        provider=kind.value,
        details=cleaned,
        credentials_sealed=box.seal(plaintext),
        credentials_kind=credentials_kind,
    )
    space_names = CLOUD.add(session, access, cloud_account, allowed)
    return ResourceView(cloud_account, space_names)


def update_cloud_account(
    session: Session,
    access: Access,
    name: str,
    *,
    new_name: str | None,
    details: Mapping[str, Any] | None,
    spaces: list[str] | None,
) -> ResourceView[CloudAccount]:
    """Rename, replace the details (validated for the account's provider) or the allowed
    spaces; what is None stays. The provider and credentials are not changed here."""
    view = get_resource(session, CLOUD, access.caller.account_id, name)
    cloud_account = view.item
    before = _cloud_snapshot(cloud_account, view.spaces)
    if new_name is not None:
        CLOUD.rename(session, cloud_account, new_name)
    if details is not None:
        cloud_account.details = clean_details(Provider(cloud_account.provider), details)
    space_names = view.spaces
    if spaces is not None:
        allowed = resolve_spaces(session, cloud_account.account_id, spaces)
        space_names = CLOUD.allow_in(session, cloud_account, allowed)
    CLOUD.record_update(session, access, cloud_account, before, space_names)
    return ResourceView(cloud_account, space_names)


def rotate_credentials(
    session: Session, access: Access, box: SecretBox, name: str, credentials: Mapping[str, str]
) -> ResourceView[CloudAccount]:
    """Replace the credentials (any accepted shape of the account's provider)."""
    view = get_resource(session, CLOUD, access.caller.account_id, name)
    cloud_account = view.item
    kind, plaintext = clean_credentials(Provider(cloud_account.provider), credentials)
    cloud_account.credentials_sealed = box.seal(plaintext)
    cloud_account.credentials_kind = kind
    cloud_account.credentials_changed_at = cloud_account.updated_at = utcnow()
    CLOUD.record_rotation(session, access, cloud_account, credentials_kind=kind)
    return view


def open_credentials(box: SecretBox, cloud_account: CloudAccount) -> dict[str, str]:
    """The plaintext credentials, for deploying; never for a response."""
    opened: dict[str, str] = json.loads(box.open(cloud_account.credentials_sealed))
    return opened


# -- Kubernetes compute services -----------------------------------------------------------

_NAMESPACE = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


def _compute_snapshot(compute_service: ComputeService, spaces: list[str]) -> dict[str, Any]:
    return {
        "name": compute_service.name,
        "api_server": compute_service.api_server,
        "namespace": compute_service.namespace,
        "spaces": spaces,
    }


COMPUTE = ResourceKind(
    model=ComputeService,
    link=ComputeServiceSpace,
    link_owner=ComputeServiceSpace.compute_service_id,
    noun="compute service",
    audit_type="compute_service",
    secret="token",
    snapshot=_compute_snapshot,
    in_use=COMPUTE_SERVICE_IN_USE,
)


def _clean_api_server(value: str, policy: AddressPolicy) -> str:
    url = value.strip()
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (a port that is not a number raises here)
    except ValueError:
        raise InvalidInput("The api_server is not a valid URL.", field="api_server") from None
    if (
        parts.scheme not in ("https", "http")
        or not parts.hostname
        or parts.username is not None
        or parts.query
        or parts.fragment
        or len(url) > 500
    ):
        raise InvalidInput(
            "The api_server must be the cluster's API URL, such as "
            "'https://k8s.example.com:6443', without credentials, query or fragment.",
            field="api_server",
        )
    if policy.literal_refused(parts.hostname):
        raise InvalidInput(
            "The api_server names a loopback, private, link-local or otherwise internal "
            "address, which this installation does not connect to.",
            field="api_server",
        )
    return url.rstrip("/")


def _origin(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    default = 443 if parts.scheme == "https" else 80
    return (parts.scheme, (parts.hostname or "").lower(), parts.port or default)


def _clean_namespace(value: str) -> str:
    namespace = value.strip()
    if not _NAMESPACE.match(namespace):
        raise InvalidInput(
            f"The namespace '{namespace}' is not a Kubernetes namespace name: 1 to 63 "
            "lowercase letters, digits or '-', starting and ending with a letter or digit.",
            field="namespace",
        )
    return namespace


def _clean_token(value: str) -> str:
    token = value.strip()
    if not token or len(token) > MAX_CREDENTIAL_LENGTH or any(ch.isspace() for ch in token):
        raise InvalidInput(
            "The token must be a Kubernetes service-account token: not empty, no spaces, "
            f"at most {MAX_CREDENTIAL_LENGTH} characters.",
            field="token",
        )
    return token


def create_compute_service(
    session: Session,
    access: Access,
    box: SecretBox,
    *,
    name: str,
    api_server: str,
    namespace: str,
    token: str,
    spaces: list[str],
    policy: AddressPolicy,
) -> ResourceView[ComputeService]:
    """Raises InvalidInput (422) for a bad field or space name, Conflict (409) for a
    name already taken."""
    account_id = access.caller.account_id
    name = COMPUTE.clean_name(name)
    server = _clean_api_server(api_server, policy)
    ns = _clean_namespace(namespace)
    sealed = box.seal(_clean_token(token))
    allowed = resolve_spaces(session, account_id, spaces)
    COMPUTE.ensure_free_name(session, account_id, name)
    compute_service = ComputeService(
        account_id=account_id,
        name=name,
        name_key=name.lower(),
        kind="kubernetes",
        api_server=server,
        namespace=ns,
        token_sealed=sealed,
    )
    space_names = COMPUTE.add(session, access, compute_service, allowed)
    return ResourceView(compute_service, space_names)


def update_compute_service(
    session: Session,
    access: Access,
    box: SecretBox,
    name: str,
    *,
    new_name: str | None,
    api_server: str | None,
    namespace: str | None,
    spaces: list[str] | None,
    policy: AddressPolicy,
    token: str | None = None,
) -> ResourceView[ComputeService]:
    """Change what is given. A token is only ever sent to the server it was given for:
    moving to another API server (scheme, host or port) needs the token for it in the
    same change, otherwise InvalidInput (422); a token given with an unchanged server
    rotates it. Raises NotFound (404), InvalidInput (422) for a bad field, Conflict (409)
    for a name taken."""
    view = get_resource(session, COMPUTE, access.caller.account_id, name)
    service = view.item
    before = _compute_snapshot(service, view.spaces)
    if new_name is not None:
        COMPUTE.rename(session, service, new_name)
    if api_server is not None:
        server = _clean_api_server(api_server, policy)
        if _origin(server) != _origin(service.api_server) and token is None:
            raise InvalidInput(
                "A new API server needs its token in the same change: a token is only "
                "ever sent to the server it was given for.",
                field="token",
            )
        service.api_server = server
    if token is not None:
        service.token_sealed = box.seal(_clean_token(token))
        service.token_changed_at = utcnow()
        COMPUTE.record_rotation(session, access, service)
    if namespace is not None:
        service.namespace = _clean_namespace(namespace)
    space_names = view.spaces
    if spaces is not None:
        allowed = resolve_spaces(session, service.account_id, spaces)
        space_names = COMPUTE.allow_in(session, service, allowed)
    COMPUTE.record_update(session, access, service, before, space_names)
    return ResourceView(service, space_names)


def rotate_token(
    session: Session, access: Access, box: SecretBox, name: str, token: str
) -> ResourceView[ComputeService]:
    view = get_resource(session, COMPUTE, access.caller.account_id, name)
    service = view.item
    service.token_sealed = box.seal(_clean_token(token))
    service.token_changed_at = service.updated_at = utcnow()
    COMPUTE.record_rotation(session, access, service)
    return view


def open_token(box: SecretBox, compute_service: ComputeService) -> str:
    """The plaintext token, for deploying; never for a response."""
    return box.open(compute_service.token_sealed)
