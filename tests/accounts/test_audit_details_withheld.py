"""The audit log shows a reader no more than direct reads would (finding 7 of the
security review): a policy's module and a cloud account's details are withheld from a
reader of the log who may not read them."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from spacegate.authz import Level, Permission
from spacegate.runtime import Runtime
from tests.api_helpers import audit_events
from tests.cloudaccounts.factories import aws_body
from tests.factories import add_member, new_account, new_custom_role, new_space, new_user

SECRET_RULE = 'input.user.email == "ceo@acme.example"'


def test_a_reader_without_the_permission_sees_that_something_changed_not_what(
    client: TestClient, runtime: Runtime
) -> None:
    admin = new_account(runtime, "acme", "admin@acme.example")
    dev = new_space(runtime, admin.account_id, "dev")
    new_custom_role(
        runtime, admin.account_id, "Auditor", Level.ACCOUNT, [Permission.ACCESS_ADMINISTRATION]
    )
    auditor = new_user(
        runtime, admin.account_id, "auditor@acme.example", custom_account_role="Auditor"
    )
    policy = {
        "name": "vip",
        "rego": f'package spacegate.vip\ndeny contains "no" if {SECRET_RULE}\n',
        "data": {"vips": ["ceo@acme.example"]},
    }
    created = client.post("/api/spaces/dev/policies", json=policy, headers=admin.headers)
    assert created.status_code == 201, created.text
    cloud = client.post(
        "/api/settings/cloudaccounts", json=aws_body("aws-prod", ["dev"]), headers=admin.headers
    )
    assert cloud.status_code == 201, cloud.text

    direct = client.get("/api/spaces/dev/policies/vip", headers=auditor.headers)
    assert direct.status_code in (403, 404)
    seen = audit_events(client, auditor)
    by_action = {event["action"]: event for event in seen}
    for action in ("policy.create", "cloud_account.create"):
        event = by_action[action]
        assert event["actor"] == admin.email and event["target"]
        assert set(event["after"]) == {"withheld"}, event
    assert "ceo@acme.example" not in json.dumps(seen)
    assert "123456789012" not in json.dumps(seen)  # the AWS account id of the details

    # The Account Admin reads everything; a Space Admin of `dev` with the log would read
    # the policy (its space), not the cloud account.
    full = {event["action"]: event for event in audit_events(client, admin)}
    assert "ceo@acme.example" in json.dumps(full["policy.create"]["after"])
    add_member(runtime, dev, auditor.user_id, "Space Admin")
    partly = {event["action"]: event for event in audit_events(client, auditor)}
    assert "ceo@acme.example" in json.dumps(partly["policy.create"]["after"])
    assert set(partly["cloud_account.create"]["after"]) == {"withheld"}


def test_the_console_withholds_them_too(client: TestClient, runtime: Runtime) -> None:
    from tests.web.page_support import sign_in

    admin = new_account(runtime, "acme", "admin@acme.example")
    new_space(runtime, admin.account_id, "dev")
    new_custom_role(
        runtime, admin.account_id, "Auditor", Level.ACCOUNT, [Permission.ACCESS_ADMINISTRATION]
    )
    new_user(runtime, admin.account_id, "auditor@acme.example", custom_account_role="Auditor")
    cloud = client.post(
        "/api/settings/cloudaccounts", json=aws_body("aws-prod", ["dev"]), headers=admin.headers
    )
    assert cloud.status_code == 201, cloud.text
    sign_in(client, "auditor@acme.example")
    page = client.get("/admin/audit")
    assert page.status_code == 200
    assert "cloud_account.create" in page.text or "aws-prod" in page.text
    assert "123456789012" not in page.text
