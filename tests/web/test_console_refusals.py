"""Errors where the action was: a refused row action comes back to its page as an alert;
an invitation link that no longer works says why and what to do; a question comes
before a change of access or a deletion made without the page's script."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import update

from spacegate.crypto import hash_secret
from spacegate.db import transaction, utcnow
from spacegate.invitations.models import Invitation
from spacegate.runtime import Runtime
from tests.factories import new_account, new_space, new_user
from tests.web.page_support import field_error, sign_in, submit, text_of

LINK = "a-link-secret-for-this-test"


def test_demoting_the_last_account_admin_is_refused_on_the_users_page(
    client: TestClient, runtime: Runtime
) -> None:
    admin = new_account(runtime)
    token = sign_in(client, admin.email)
    refused = submit(
        client, "/admin/users/role", token, {"email": admin.email, "account_role": "Member"}
    )
    assert refused.status_code == 303
    assert refused.headers["location"].startswith("/admin/users#account-role-")
    page = client.get(refused.headers["location"])
    assert '<p class="flash refused" role="alert">' in page.text
    assert "last active Account Admin" in text_of(page.text)
    # The page offers no way to do it in the first place.
    assert f'aria-label="Remove {admin.email}"' not in page.text
    assert f'aria-label="Deactivate {admin.email}"' not in page.text


def test_removing_asks_first_without_the_script(client: TestClient, runtime: Runtime) -> None:
    admin = new_account(runtime)
    bob = new_user(runtime, admin.account_id, "bob@example.com")
    token = sign_in(client, admin.email)
    asked = submit(client, "/admin/users/remove", token, {"email": bob.email})
    assert asked.status_code == 200
    assert "Remove bob@example.com?" in asked.text
    assert 'name="confirmed" value="yes"' in asked.text
    assert "bob@example.com" in client.get("/admin/users").text  # still there
    done = submit(client, "/admin/users/remove", token, {"email": bob.email, "confirmed": "yes"})
    assert done.status_code == 303
    assert "bob@example.com was removed" in text_of(client.get(done.headers["location"]).text)


def _invited(client: TestClient, runtime: Runtime) -> None:
    """An invitation of carol@example.com whose link is LINK."""
    admin = new_account(runtime)
    response = client.post(
        "/api/accounts/invitations", json={"emails": ["carol@example.com"]}, headers=admin.headers
    )
    assert response.status_code == 200, response.text
    _set(runtime, secret_hash=hash_secret(LINK))


def _set(runtime: Runtime, **values: object) -> None:
    with transaction(runtime.sessions) as session:
        session.execute(
            update(Invitation).where(Invitation.email == "carol@example.com").values(**values)
        )


def test_a_link_that_no_longer_works_says_why(client: TestClient, runtime: Runtime) -> None:
    _invited(client, runtime)
    assert client.get(f"/signup?secret={LINK}").status_code == 200

    _set(runtime, expires_at=utcnow() - timedelta(minutes=1))
    expired = client.get(f"/signup?secret={LINK}")
    assert expired.status_code == 404
    assert "This invitation has expired" in expired.text
    assert "Ask the person who invited you to send it again" in text_of(expired.text)

    _set(runtime, expires_at=utcnow() + timedelta(days=1), state="revoked")
    assert "This invitation was withdrawn" in client.get(f"/signup?secret={LINK}").text

    _set(runtime, state="accepted")
    used = client.get(f"/signup?secret={LINK}")
    assert "This invitation was already accepted" in used.text
    assert '<a class="button" href="/login?account=acme">Sign in</a>' in used.text

    # Sent again: the old link's secret is no longer stored; the page says it may have
    # been replaced.
    replaced = client.get("/signup?secret=an-older-link-of-a-resent-invitation")
    assert replaced.status_code == 404
    assert "It may have been replaced" in text_of(replaced.text)
    assert "Sign in</a>" not in replaced.text


def test_forms_report_every_empty_field_at_once(client: TestClient, runtime: Runtime) -> None:
    admin = new_account(runtime)
    new_space(runtime, admin.account_id, "dev")
    token = sign_in(client, admin.email)

    compute = submit(client, "/admin/cloudaccounts/kubernetes/new", token, {"spaces": ["dev"]})
    assert compute.status_code == 422
    assert {field: field_error(compute.text, field) for field in FIELDS} == {
        "name": "Enter a name.",
        "api_server": "Enter the API server's URL.",
        "namespace": "Enter a namespace.",
        "token": "Enter the service-account token.",
    }
    assert 'name="spaces" value="dev" checked' in compute.text  # what was chosen stays

    repository = submit(client, "/spaces/dev/repositories", token, {"branch": "main"})
    assert repository.status_code == 422
    assert field_error(repository.text, "name") == "Enter a name."
    assert field_error(repository.text, "url") == "Enter the git URL."
    assert field_error(repository.text, "branch") == ""


FIELDS = ("name", "api_server", "namespace", "token")
