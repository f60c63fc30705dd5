"""Arranging space policies directly, as the service stores them (already compiled)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from spacegate.db import transaction
from spacegate.policies import rego
from spacegate.policies.models import SpacePolicy
from spacegate.runtime import Runtime
from spacegate.spaces.models import Space

TEMPLATES = Path(__file__).resolve().parents[2] / "examples" / "policies"

MAX_DURATION_REGO = """package spacegate.max_duration

deny contains msg if {
    input.duration_minutes > data.max_duration_minutes
    msg := sprintf("Sandboxes may run at most %d minutes; %d were asked.",
        [data.max_duration_minutes, input.duration_minutes])
}
"""


def new_policy(
    runtime: Runtime,
    space_id: int,
    name: str = "max-duration",
    *,
    source: str = MAX_DURATION_REGO,
    data: dict[str, Any] | None = None,
    enabled: bool = True,
) -> None:
    package = rego.package_of(source)
    assert package is not None
    with transaction(runtime.sessions) as session:
        space = session.get(Space, space_id)
        assert space is not None
        session.add(
            SpacePolicy(
                account_id=space.account_id,
                space_id=space_id,
                name=name,
                name_key=name.lower(),
                description="",
                rego=source,
                data=data if data is not None else {"max_duration_minutes": 120},
                package=package,
                enabled=enabled,
                updated_by="owner@acme.example",
            )
        )
