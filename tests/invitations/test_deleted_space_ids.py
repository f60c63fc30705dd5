"""An invitation refers to its spaces by id, and SQLite gives a new row
the largest id + 1, so the id of the newest space, once deleted, goes to the next space
created. An invitation into the deleted space must not grant a role in that new one."""

from __future__ import annotations

from fastapi.testclient import TestClient

from spacegate.runtime import Runtime
from tests.factories import Person
from tests.invitations.support import SMTPServer, invite, me, signup, space_roles

CAROL = "carol@example.com"


def test_an_invitation_into_a_deleted_space_grants_nothing_in_a_later_space(
    client: TestClient, runtime: Runtime, admin: Person, smtp: SMTPServer
) -> None:
    created = client.post("/api/spaces", json={"name": "launch"}, headers=admin.headers)
    assert created.status_code == 201, created.text
    invite(client, admin, [CAROL], space_name="launch", space_role="Space Admin")
    runtime.mail.deliver_due()
    assert client.delete("/api/spaces/launch", headers=admin.headers).status_code == 204
    later = client.post("/api/spaces", json={"name": "finance"}, headers=admin.headers)
    assert later.status_code == 201, later.text

    accepted = signup(client, smtp.to(CAROL)[0].secret)

    assert accepted["notes"] == ["The space 'launch' was deleted; its role was skipped."]
    assert space_roles(me(client, accepted["access_token"])) == {}
