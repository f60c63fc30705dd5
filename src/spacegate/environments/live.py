"""Which environments are still running: what blocks deleting the things they use.

Spaces, cloud accounts and compute services are lower domains that do not know about
environments; before deleting one they ask (`spacegate.consult`), and the runtime has
these functions answer."""

from __future__ import annotations

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from spacegate.cloudaccounts.models import CloudAccount, ComputeService
from spacegate.environments.models import LIVE_STATUSES, Environment
from spacegate.spaces.models import Space


def live_environment_names(session: Session, condition: ColumnElement[bool]) -> list[str]:
    """Names (with ids) of the environments matching `condition` not yet ended."""
    rows = session.execute(
        select(Environment.name, Environment.public_id)
        .where(condition, Environment.status.in_([s.value for s in LIVE_STATUSES]))
        .order_by(Environment.id)
    )
    return [f"{name} ({public_id})" for name, public_id in rows]


def environments_in_space(session: Session, space: Space) -> list[str]:
    """The answer to `spaces.service.SPACE_DELETION`."""
    return live_environment_names(session, Environment.space_id == space.id)


def environments_using_cloud_account(session: Session, cloud_account: CloudAccount) -> list[str]:
    """The answer to `cloudaccounts.service.CLOUD_ACCOUNT_IN_USE`: the environments not
    yet ended that were launched with the cloud account."""
    return live_environment_names(session, Environment.cloud_account_id == cloud_account.id)


def environments_using_compute_service(
    session: Session, compute_service: ComputeService
) -> list[str]:
    """The answer to `cloudaccounts.service.COMPUTE_SERVICE_IN_USE`."""
    return live_environment_names(session, Environment.compute_service_id == compute_service.id)
