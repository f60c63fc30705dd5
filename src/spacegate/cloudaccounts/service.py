"""Cloud accounts and Kubernetes compute services: account-wide objects that an Account
Admin allows in chosen spaces.

Credentials and tokens are write-only. They are validated, sealed with the
installation's `SecretBox` and stored; no read, audit event or log line carries them
(the audit says only that they were set or changed). `open_credentials` and
`open_token` are for the code that will deploy environments, not for any response.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import delete, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from spacegate.access.context import Access
from spacegate.audit import service as audit
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
from spacegate.crypto import SecretBox
from spacegate.db import utcnow
from spacegate.environments.live import live_environment_names
from spacegate.environments.models import Environment
from spacegate.errors import Conflict, InvalidInput, NotFound
from spacegate.names import clean_name
from spacegate.spaces.models import Space


@dataclass(frozen=True)
class CloudAccountView:
    cloud_account: CloudAccount
    spaces: list[str]


@dataclass(frozen=True)
class ComputeServiceView:
    compute_service: ComputeService
    spaces: list[str]


# -- spaces a resource is allowed in ------------------------------------------------------


def _resolve_spaces(session: Session, account_id: int, names: Iterable[str]) -> list[Space]:
    """The account's spaces with these names, once each. Raises InvalidInput for a name
    that is not a space of the account."""
    found: dict[int, Space] = {}
    for name in names:
        space = session.scalar(
            select(Space).where(Space.account_id == account_id, Space.name_key == name.lower())
        )
        if space is None:
            raise InvalidInput(f"There is no space named '{name}' in this account.")
        found[space.id] = space
    return sorted(found.values(), key=lambda space: space.name_key)


def _space_names(
    session: Session,
    owner: InstrumentedAttribute[int],
    space: InstrumentedAttribute[int],
    ids: Sequence[int],
) -> dict[int, list[str]]:
    names: dict[int, list[str]] = {owner_id: [] for owner_id in ids}
    if not ids:
        return names
    rows = session.execute(
        select(owner, Space.name)
        .join(Space, Space.id == space)
        .where(owner.in_(ids))
        .order_by(Space.name_key)
    )
    for owner_id, name in rows:
        names[owner_id].append(name)
    return names


# -- cloud accounts ------------------------------------------------------------------------


def environments_using_cloud_account(session: Session, cloud_account: CloudAccount) -> list[str]:
    """Names (with ids) of the environments not yet ended that were launched with this
    cloud account. Deleting a cloud account is refused (409) while this list is not
    empty."""
    return live_environment_names(session, Environment.cloud_account_id == cloud_account.id)


def find_cloud_account(session: Session, account_id: int, name: str) -> CloudAccount | None:
    return session.scalar(
        select(CloudAccount).where(
            CloudAccount.account_id == account_id, CloudAccount.name_key == name.strip().lower()
        )
    )


def _get_cloud_account(session: Session, account_id: int, name: str) -> CloudAccount:
    found = find_cloud_account(session, account_id, name)
    if found is None:
        raise NotFound(f"There is no cloud account named '{name}'.")
    return found


def _cloud_views(session: Session, accounts: Sequence[CloudAccount]) -> list[CloudAccountView]:
    names = _space_names(
        session,
        CloudAccountSpace.cloud_account_id,
        CloudAccountSpace.space_id,
        [a.id for a in accounts],
    )
    return [CloudAccountView(a, names[a.id]) for a in accounts]


def list_cloud_accounts(session: Session, account_id: int) -> list[CloudAccountView]:
    accounts = session.scalars(
        select(CloudAccount)
        .where(CloudAccount.account_id == account_id)
        .order_by(CloudAccount.name_key)
    ).all()
    return _cloud_views(session, accounts)


def get_cloud_account(session: Session, account_id: int, name: str) -> CloudAccountView:
    """Raises NotFound (404) for a name the account does not have."""
    return _cloud_views(session, [_get_cloud_account(session, account_id, name)])[0]


def cloud_accounts_in_space(session: Session, space: Space) -> list[CloudAccount]:
    """The cloud accounts allowed in `space`."""
    return list(
        session.scalars(
            select(CloudAccount)
            .join(CloudAccountSpace, CloudAccountSpace.cloud_account_id == CloudAccount.id)
            .where(CloudAccountSpace.space_id == space.id)
            .order_by(CloudAccount.name_key)
        )
    )


def _ensure_free_cloud_name(
    session: Session, account_id: int, name: str, except_id: int | None = None
) -> None:
    existing = find_cloud_account(session, account_id, name)
    if existing is not None and existing.id != except_id:
        raise Conflict(f"A cloud account named '{existing.name}' already exists.")


def _set_cloud_spaces(session: Session, cloud_account: CloudAccount, spaces: list[Space]) -> None:
    session.execute(
        delete(CloudAccountSpace).where(CloudAccountSpace.cloud_account_id == cloud_account.id)
    )
    session.add_all(
        CloudAccountSpace(cloud_account_id=cloud_account.id, space_id=space.id) for space in spaces
    )
    session.flush()


def _cloud_snapshot(cloud_account: CloudAccount, spaces: list[str]) -> dict[str, Any]:
    return {
        "name": cloud_account.name,
        "provider": cloud_account.provider,
        "details": dict(cloud_account.details),
        "spaces": spaces,
    }


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
) -> CloudAccountView:
    """Raises InvalidInput (422) for a bad provider, details, credentials or space name,
    Conflict (409) for a name already taken."""
    account_id = access.caller.account_id
    name = clean_name(name, "cloud account")
    kind = parse_provider(provider)
    cleaned = clean_details(kind, details)
    credentials_kind, plaintext = clean_credentials(kind, credentials)
    allowed = _resolve_spaces(session, account_id, spaces)
    _ensure_free_cloud_name(session, account_id, name)
    cloud_account = CloudAccount(
        account_id=account_id,
        name=name,
        name_key=name.lower(),
        provider=kind.value,
        details=cleaned,
        credentials_sealed=box.seal(plaintext),
        credentials_kind=credentials_kind,
    )
    session.add(cloud_account)
    session.flush()
    _set_cloud_spaces(session, cloud_account, allowed)
    space_names = [space.name for space in allowed]
    audit.record(
        session,
        access.caller.actor,
        "cloud_account.create",
        target_type="cloud_account",
        target=name,
        after={**_cloud_snapshot(cloud_account, space_names), "credentials": "set"},
    )
    return CloudAccountView(cloud_account, space_names)


def update_cloud_account(
    session: Session,
    access: Access,
    name: str,
    *,
    new_name: str | None,
    details: Mapping[str, Any] | None,
    spaces: list[str] | None,
) -> CloudAccountView:
    """Rename, replace the details (validated for the account's provider) or the allowed
    spaces; what is None stays. The provider and credentials are not changed here."""
    view = get_cloud_account(session, access.caller.account_id, name)
    cloud_account = view.cloud_account
    before = _cloud_snapshot(cloud_account, view.spaces)
    if new_name is not None:
        new_name = clean_name(new_name, "cloud account")
        _ensure_free_cloud_name(session, cloud_account.account_id, new_name, cloud_account.id)
        cloud_account.name, cloud_account.name_key = new_name, new_name.lower()
    if details is not None:
        cloud_account.details = clean_details(Provider(cloud_account.provider), details)
    space_names = view.spaces
    if spaces is not None:
        allowed = _resolve_spaces(session, cloud_account.account_id, spaces)
        _set_cloud_spaces(session, cloud_account, allowed)
        space_names = [space.name for space in allowed]
    after = _cloud_snapshot(cloud_account, space_names)
    if after != before:
        cloud_account.updated_at = utcnow()
        audit.record(
            session,
            access.caller.actor,
            "cloud_account.update",
            target_type="cloud_account",
            target=cloud_account.name,
            before=before,
            after=after,
        )
    session.flush()
    return CloudAccountView(cloud_account, space_names)


def rotate_credentials(
    session: Session, access: Access, box: SecretBox, name: str, credentials: Mapping[str, str]
) -> CloudAccountView:
    """Replace the credentials (any accepted shape of the account's provider)."""
    view = get_cloud_account(session, access.caller.account_id, name)
    cloud_account = view.cloud_account
    kind, plaintext = clean_credentials(Provider(cloud_account.provider), credentials)
    cloud_account.credentials_sealed = box.seal(plaintext)
    cloud_account.credentials_kind = kind
    cloud_account.credentials_changed_at = cloud_account.updated_at = utcnow()
    session.flush()
    audit.record(
        session,
        access.caller.actor,
        "cloud_account.credentials",
        target_type="cloud_account",
        target=cloud_account.name,
        after={"credentials": "changed", "credentials_kind": kind},
    )
    return view


def delete_cloud_account(session: Session, access: Access, name: str) -> None:
    """Raises Conflict (409) while an active environment uses the cloud account."""
    view = get_cloud_account(session, access.caller.account_id, name)
    cloud_account = view.cloud_account
    using = environments_using_cloud_account(session, cloud_account)
    if using:
        raise Conflict(
            f"Cloud account '{cloud_account.name}' is used by active environments "
            f"({', '.join(using)}); end them first.",
            details={"environments": using},
        )
    audit.record(
        session,
        access.caller.actor,
        "cloud_account.delete",
        target_type="cloud_account",
        target=cloud_account.name,
        before=_cloud_snapshot(cloud_account, view.spaces),
    )
    session.delete(cloud_account)
    session.flush()


def open_credentials(box: SecretBox, cloud_account: CloudAccount) -> dict[str, str]:
    """The plaintext credentials, for deploying; never for a response."""
    opened: dict[str, str] = json.loads(box.open(cloud_account.credentials_sealed))
    return opened


# -- Kubernetes compute services -----------------------------------------------------------

_NAMESPACE = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


def environments_using_compute_service(
    session: Session, compute_service: ComputeService
) -> list[str]:
    """Names (with ids) of the environments not yet ended that run on this compute
    service (see `environments_using_cloud_account`)."""
    return live_environment_names(session, Environment.compute_service_id == compute_service.id)


def _clean_api_server(value: str) -> str:
    url = value.strip()
    parts = urlsplit(url)
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
            "'https://k8s.example.com:6443', without credentials, query or fragment."
        )
    return url.rstrip("/")


def _clean_namespace(value: str) -> str:
    namespace = value.strip()
    if not _NAMESPACE.match(namespace):
        raise InvalidInput(
            f"The namespace '{namespace}' is not a Kubernetes namespace name: 1 to 63 "
            "lowercase letters, digits or '-', starting and ending with a letter or digit."
        )
    return namespace


def _clean_token(value: str) -> str:
    token = value.strip()
    if not token or len(token) > MAX_CREDENTIAL_LENGTH or any(ch.isspace() for ch in token):
        raise InvalidInput(
            "The token must be a Kubernetes service-account token: not empty, no spaces, "
            f"at most {MAX_CREDENTIAL_LENGTH} characters."
        )
    return token


def find_compute_service(session: Session, account_id: int, name: str) -> ComputeService | None:
    return session.scalar(
        select(ComputeService).where(
            ComputeService.account_id == account_id,
            ComputeService.name_key == name.strip().lower(),
        )
    )


def _get_compute_service(session: Session, account_id: int, name: str) -> ComputeService:
    found = find_compute_service(session, account_id, name)
    if found is None:
        raise NotFound(f"There is no compute service named '{name}'.")
    return found


def _compute_views(
    session: Session, services: Sequence[ComputeService]
) -> list[ComputeServiceView]:
    names = _space_names(
        session,
        ComputeServiceSpace.compute_service_id,
        ComputeServiceSpace.space_id,
        [s.id for s in services],
    )
    return [ComputeServiceView(s, names[s.id]) for s in services]


def list_compute_services(session: Session, account_id: int) -> list[ComputeServiceView]:
    services = session.scalars(
        select(ComputeService)
        .where(ComputeService.account_id == account_id)
        .order_by(ComputeService.name_key)
    ).all()
    return _compute_views(session, services)


def get_compute_service(session: Session, account_id: int, name: str) -> ComputeServiceView:
    """Raises NotFound (404) for a name the account does not have."""
    return _compute_views(session, [_get_compute_service(session, account_id, name)])[0]


def compute_services_in_space(session: Session, space: Space) -> list[ComputeService]:
    """The compute services allowed in `space`."""
    return list(
        session.scalars(
            select(ComputeService)
            .join(ComputeServiceSpace, ComputeServiceSpace.compute_service_id == ComputeService.id)
            .where(ComputeServiceSpace.space_id == space.id)
            .order_by(ComputeService.name_key)
        )
    )


def _ensure_free_compute_name(
    session: Session, account_id: int, name: str, except_id: int | None = None
) -> None:
    existing = find_compute_service(session, account_id, name)
    if existing is not None and existing.id != except_id:
        raise Conflict(f"A compute service named '{existing.name}' already exists.")


def _set_compute_spaces(
    session: Session, compute_service: ComputeService, spaces: list[Space]
) -> None:
    session.execute(
        delete(ComputeServiceSpace).where(
            ComputeServiceSpace.compute_service_id == compute_service.id
        )
    )
    session.add_all(
        ComputeServiceSpace(compute_service_id=compute_service.id, space_id=space.id)
        for space in spaces
    )
    session.flush()


def _compute_snapshot(compute_service: ComputeService, spaces: list[str]) -> dict[str, Any]:
    return {
        "name": compute_service.name,
        "api_server": compute_service.api_server,
        "namespace": compute_service.namespace,
        "spaces": spaces,
    }


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
) -> ComputeServiceView:
    """Raises InvalidInput (422) for a bad field or space name, Conflict (409) for a
    name already taken."""
    account_id = access.caller.account_id
    name = clean_name(name, "compute service")
    server = _clean_api_server(api_server)
    ns = _clean_namespace(namespace)
    sealed = box.seal(_clean_token(token))
    allowed = _resolve_spaces(session, account_id, spaces)
    _ensure_free_compute_name(session, account_id, name)
    compute_service = ComputeService(
        account_id=account_id,
        name=name,
        name_key=name.lower(),
        kind="kubernetes",
        api_server=server,
        namespace=ns,
        token_sealed=sealed,
    )
    session.add(compute_service)
    session.flush()
    _set_compute_spaces(session, compute_service, allowed)
    space_names = [space.name for space in allowed]
    audit.record(
        session,
        access.caller.actor,
        "compute_service.create",
        target_type="compute_service",
        target=name,
        after={**_compute_snapshot(compute_service, space_names), "token": "set"},
    )
    return ComputeServiceView(compute_service, space_names)


def update_compute_service(
    session: Session,
    access: Access,
    name: str,
    *,
    new_name: str | None,
    api_server: str | None,
    namespace: str | None,
    spaces: list[str] | None,
) -> ComputeServiceView:
    """Change what is given; the token is changed by `rotate_token` only."""
    view = get_compute_service(session, access.caller.account_id, name)
    service = view.compute_service
    before = _compute_snapshot(service, view.spaces)
    if new_name is not None:
        new_name = clean_name(new_name, "compute service")
        _ensure_free_compute_name(session, service.account_id, new_name, service.id)
        service.name, service.name_key = new_name, new_name.lower()
    if api_server is not None:
        service.api_server = _clean_api_server(api_server)
    if namespace is not None:
        service.namespace = _clean_namespace(namespace)
    space_names = view.spaces
    if spaces is not None:
        allowed = _resolve_spaces(session, service.account_id, spaces)
        _set_compute_spaces(session, service, allowed)
        space_names = [space.name for space in allowed]
    after = _compute_snapshot(service, space_names)
    if after != before:
        service.updated_at = utcnow()
        audit.record(
            session,
            access.caller.actor,
            "compute_service.update",
            target_type="compute_service",
            target=service.name,
            before=before,
            after=after,
        )
    session.flush()
    return ComputeServiceView(service, space_names)


def rotate_token(
    session: Session, access: Access, box: SecretBox, name: str, token: str
) -> ComputeServiceView:
    view = get_compute_service(session, access.caller.account_id, name)
    service = view.compute_service
    service.token_sealed = box.seal(_clean_token(token))
    service.token_changed_at = service.updated_at = utcnow()
    session.flush()
    audit.record(
        session,
        access.caller.actor,
        "compute_service.token",
        target_type="compute_service",
        target=service.name,
        after={"token": "changed"},
    )
    return view


def delete_compute_service(session: Session, access: Access, name: str) -> None:
    """Raises Conflict (409) while an active environment runs on the compute service."""
    view = get_compute_service(session, access.caller.account_id, name)
    service = view.compute_service
    using = environments_using_compute_service(session, service)
    if using:
        raise Conflict(
            f"Compute service '{service.name}' is used by active environments "
            f"({', '.join(using)}); end them first.",
            details={"environments": using},
        )
    audit.record(
        session,
        access.caller.actor,
        "compute_service.delete",
        target_type="compute_service",
        target=service.name,
        before=_compute_snapshot(service, view.spaces),
    )
    session.delete(service)
    session.flush()


def open_token(box: SecretBox, compute_service: ComputeService) -> str:
    """The plaintext token, for deploying; never for a response."""
    return box.open(compute_service.token_sealed)
