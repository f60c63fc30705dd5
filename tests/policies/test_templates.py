"""The policy templates shipped under examples/policies compile, and each allows and
denies what it says."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from spacegate.policies import rego
from tests.policies.factories import TEMPLATES

BASE: dict[str, Any] = {
    "action": "launch",
    "user": {"email": "dev@acme.example", "account_role": "Member", "space_role": "Space Member"},
    "space": "dev",
    "blueprint": {"name": "web-app", "repository": "platform"},
    "inputs": {"instance_type": "t3.small"},
    "duration_minutes": 120,
    "production": False,
    "tags": {"cost-center": "rnd"},
    "cloud_account": "aws-prod",
    "active_sandboxes_of_user": 1,
}

# template -> (an input it allows, an input it denies, a phrase of the denial)
CASES: dict[str, tuple[dict[str, Any], dict[str, Any], str]] = {
    "max-duration": (
        {"action": "extend", "duration_minutes": 480},
        {"action": "extend", "duration_minutes": 481},
        "may run at most 480 minutes; 481 minutes were asked",
    ),
    "max-active-sandboxes-per-user": (
        {"active_sandboxes_of_user": 2},
        {"active_sandboxes_of_user": 3},
        "dev@acme.example already has 3 active sandboxes in space dev",
    ),
    "allowed-input-values": (
        {"inputs": {"instance_type": "t3.micro", "other": "anything"}},
        {"inputs": {"instance_type": "m5.24xlarge"}},
        "Input instance_type may only be one of",
    ),
    "production-only-from-blueprint": (
        {"production": True},
        {"production": True, "blueprint": {"name": "web-app", "repository": "forked"}},
        "can only be launched from",
    ),
}


def test_every_template_has_a_case() -> None:
    assert {path.stem for path in TEMPLATES.glob("*.rego")} == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_template_compiles_allows_and_denies(name: str) -> None:
    source = (TEMPLATES / f"{name}.rego").read_text()
    data = json.loads(Path(TEMPLATES / f"{name}.data.json").read_text())
    package = rego.check_module(source, data)
    allowed, denied, phrase = CASES[name]
    assert rego.deny_messages(source, package, data, {**BASE, **allowed}) == []
    [message] = rego.deny_messages(source, package, data, {**BASE, **denied})
    assert phrase in message and message.endswith(".")
