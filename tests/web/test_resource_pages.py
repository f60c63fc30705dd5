"""Administration > Cloud Accounts and a space's Catalog, Blueprints and Repositories
through the TestClient, then each page once in a real browser.

The issue's "done when", played in the console: an Account Admin adds a cloud account
allowed in a space; a Space Admin connects a real git repository, syncs it and
publishes a blueprint; a Space Member sees it in the Catalog with its inputs. Secrets
(cloud credentials, the compute service's token, the repository's token) never appear
in any page, not even one showing an error about them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response

from spacegate.runtime import Runtime
from tests.blueprints.factories import new_blueprint, new_repository
from tests.blueprints.gitrepo import Origin, example_origin
from tests.cloudaccounts.factories import (
    AWS_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY,
    K8S_TOKEN,
    Team,
    new_cloud_account,
    new_team,
)
from tests.factories import PASSWORD, add_member, new_account, new_space, new_user
from tests.web.browsing import NewPage, Shoot
from tests.web.live import CHROMIUM, NO_CHROMIUM, LiveServer
from tests.web.page_support import field_error, sign_in, submit, table_rows, text_of

if TYPE_CHECKING:
    from playwright.sync_api import Page

REPO_TOKEN = "ghp_consoleRepositoryToken0123456789abcdef"
NEW_SECRET = "bPxRfiCYEXAMPLEKEYwJalrXUtnFEMI/K7MDENG0"  # 40 characters, a valid shape
# The access key id is not among them: it identifies the key, and a form that comes back
# with an error keeps what was typed in it (it is never shown once stored, though).
SECRETS = (AWS_SECRET_ACCESS_KEY, NEW_SECRET, K8S_TOKEN, REPO_TOKEN)
BROKEN_YAML = "spec_version: 2\ngrains:\n  app: [kind: helm\n"
CSRF_REFUSAL = "This form has expired or came from another site"


@pytest.fixture
def team(runtime: Runtime) -> Team:
    return new_team(runtime)


@pytest.fixture
def origin(tmp_path_factory: pytest.TempPathFactory) -> Origin:
    """The example repository, plus a broken blueprint file."""
    origin = example_origin(tmp_path_factory.mktemp("origin") / "platform")
    origin.commit({"blueprints/broken.yaml": BROKEN_YAML}, "a broken blueprint")
    return origin


class Pages:
    """The client, remembering every page it was answered, to search them for secrets."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.seen: list[Response] = []

    def get(self, url: str, params: dict[str, str] | None = None) -> Response:
        response = self.client.get(url, params=params)
        self.seen.append(response)
        return response

    def post(
        self, url: str, token: str, data: Mapping[str, str | list[str]] | None = None
    ) -> Response:
        response = submit(self.client, url, token, dict(data or {}))
        self.seen.append(response)
        return response

    def follow(self, response: Response) -> Response:
        assert response.status_code == 303, response.text
        return self.get(response.headers["location"])

    def assert_no_secret(self) -> None:
        assert self.seen
        for response in self.seen:
            for secret in SECRETS:
                assert secret not in response.text, (response.url, secret)
                assert secret not in text_of(response.text), (response.url, secret)
                assert secret not in str(response.headers), (response.url, secret)


@pytest.fixture
def pages(client: TestClient) -> Iterator[Pages]:
    recorder = Pages(client)
    yield recorder
    recorder.assert_no_secret()


def _aws_form(**overrides: str | list[str]) -> dict[str, str | list[str]]:
    form: dict[str, str | list[str]] = {
        "name": "aws-prod",
        "provider": "aws",
        "details.account_id": "123456789012",
        "details.default_region": "eu-west-1",
        "credentials.access_key_id": AWS_ACCESS_KEY_ID,
        "credentials.secret_access_key": AWS_SECRET_ACCESS_KEY,
        "spaces": ["dev"],
    }
    form.update(overrides)
    return form


def _inputs(html: str) -> dict[str, dict[str, str]]:
    """The inputs table of the first catalog card, by input name."""
    rows = table_rows(html, "inputs-1")
    header = [text.lower() for _, text in rows[0]]
    return {
        row[0][1].split(" ")[0]: dict(zip(header, (t for _, t in row), strict=True))
        for row in rows[1:]
    }


# -- the "done when" ---------------------------------------------------------------


def test_admin_adds_a_cloud_account_space_admin_publishes_member_browses(
    client: TestClient, pages: Pages, team: Team, origin: Origin
) -> None:
    # An Account Admin adds a cloud account allowed in the space `dev`.
    token = sign_in(client, team.admin.email)
    administration = pages.get("/admin")
    assert re.search(r'<a href="/admin/cloudaccounts"[^>]*>Cloud Accounts</a>', administration.text)
    listing = pages.get("/admin/cloudaccounts")
    assert listing.status_code == 200, listing.text
    assert 'aria-current="page">Cloud Accounts</a>' in listing.text
    assert "No cloud accounts yet" in listing.text

    step1 = pages.get("/admin/cloudaccounts/new")
    assert step1.status_code == 200
    assert '<select id="provider" name="provider"' in step1.text
    assert "details." not in step1.text and "credentials." not in step1.text
    step2 = pages.get("/admin/cloudaccounts/new", params={"provider": "aws"})
    assert '<option value="aws" selected>AWS</option>' in step2.text
    assert 'name="details.account_id"' in step2.text
    for field in ("secret_access_key", "external_id"):
        assert re.search(rf'<input type="password" [^>]*name="credentials.{field}"', step2.text)
    for field in ("access_key_id", "role_arn"):  # identify, do not authenticate
        assert re.search(rf'<input type="text" [^>]*name="credentials.{field}"', step2.text)
    assert 'name="spaces" value="dev"' in step2.text
    assert pages.get("/admin/cloudaccounts/new", params={"provider": "ibm"}).status_code == 422

    # A mistake in the details: the form comes back with it, without the credentials.
    bad = pages.post(
        "/admin/cloudaccounts/new", token, _aws_form(**{"details.account_id": "12345"})
    )
    assert bad.status_code == 422
    # In the form's words: its label, not the field's id.
    assert "“AWS account ID” must be" in field_error(bad.text, "detail-account_id")
    assert "account_id" not in field_error(bad.text, "detail-account_id")
    assert 'value="aws-prod"' in bad.text and 'value="12345"' in bad.text
    # The access key id is kept; the secret beside it is asked again.
    assert f'value="{AWS_ACCESS_KEY_ID}"' in bad.text
    assert AWS_SECRET_ACCESS_KEY not in bad.text
    # Every empty field is reported at once.
    empty = pages.post(
        "/admin/cloudaccounts/new",
        token,
        _aws_form(
            name="",
            **{"details.account_id": "", "credentials.secret_access_key": ""},
        ),
    )
    assert empty.status_code == 422
    assert field_error(empty.text, "name") == "Enter a name."
    assert field_error(empty.text, "detail-account_id") == "Enter the AWS account ID."
    assert field_error(empty.text, "credential-secret_access_key") == (
        "Enter the Secret access key."
    )
    assert re.search(r'name="spaces" value="dev" checked', bad.text)
    # A mistake in the credentials: named, never echoed.
    bad_secret = pages.post(
        "/admin/cloudaccounts/new",
        token,
        _aws_form(**{"credentials.secret_access_key": AWS_SECRET_ACCESS_KEY[:-3]}),
    )
    assert bad_secret.status_code == 422
    assert "Secret access key" in field_error(bad_secret.text, "credential-secret_access_key")

    added = pages.post("/admin/cloudaccounts/new", token, _aws_form())
    listing = pages.follow(added)
    assert "Added the cloud account aws-prod (allowed in dev)." in listing.text
    assert AWS_ACCESS_KEY_ID not in listing.text
    assert AWS_ACCESS_KEY_ID not in pages.get("/admin/cloudaccounts/aws-prod/edit").text
    [_, row] = table_rows(listing.text, "cloudaccounts")
    cells = [text for _, text in row]
    assert cells[:2] == ["aws-prod", "AWS"]
    assert "123456789012" in cells[2] and "eu-west-1" in cells[2]
    assert cells[3] == "dev"
    taken = pages.post("/admin/cloudaccounts/new", token, _aws_form(name="AWS-PROD"))
    assert taken.status_code == 409
    assert "already exists" in field_error(taken.text, "name")

    # A Space Admin connects the repository, syncs it and publishes a blueprint.
    token = sign_in(client, team.space_admin.email)
    space = pages.get("/spaces/dev")
    tabs = re.search(r'<nav class="tabs" aria-label="Space">(.*?)</nav>', space.text, re.S)
    assert tabs is not None
    assert text_of(tabs.group(1)) == (
        "Overview Catalog Environments Blueprints Repositories Cost Settings"
    )
    assert "Cloud Accounts" not in space.text
    assert pages.get("/admin/cloudaccounts").status_code == 403

    repositories = pages.get("/spaces/dev/repositories")
    assert repositories.status_code == 200
    assert 'aria-current="page">Repositories</a>' in repositories.text
    connected = pages.post(
        "/spaces/dev/repositories",
        token,
        {"name": "platform", "url": origin.url, "branch": "main", "token": REPO_TOKEN},
    )
    repositories = pages.follow(connected)
    # Connecting syncs at once: its blueprints are read.
    assert "Connected the repository platform. Synced platform at " in repositories.text
    [_, row] = table_rows(repositories.text, "repositories")
    assert row[0][1] == "platform with access token"
    assert row[3][1].startswith("synced ")

    synced = pages.post("/spaces/dev/repositories/platform/sync", token)
    repositories = pages.follow(synced)
    flash = re.search(r'<p class="flash" role="status">(.*?)</p>', repositories.text)
    assert flash is not None
    assert flash.group(1).startswith("Synced platform at ")
    assert "4 blueprint files read, 1 with errors." in flash.group(1)
    [_, row] = table_rows(repositories.text, "repositories")
    assert row[2][1] == "4"
    assert row[3][1].startswith("synced ")

    listed = pages.get("/spaces/dev/blueprints")
    rows = {row[0][1].split(" ")[0]: row for row in table_rows(listed.text, "blueprints")[1:]}
    assert sorted(rows) == ["broken", "nightly-cleanup", "s3-bucket", "web-app"]
    assert [text for _, text in rows["s3-bucket"][1:4]] == ["platform", "no", "Valid"]
    assert rows["broken"][3][1] != "Valid"

    refused = pages.post(
        "/spaces/dev/blueprints/publish",
        token,
        {"blueprint_name": "broken", "repository_name": "platform"},
    )
    assert refused.status_code == 409
    assert "cannot be published" in refused.text
    assert 'role="alert" id="refusal"' in refused.text

    published = pages.post(
        "/spaces/dev/blueprints/publish",
        token,
        {"blueprint_name": "s3-bucket", "repository_name": "platform"},
    )
    listed = pages.follow(published)
    assert "Published s3-bucket to the catalog of dev." in listed.text
    rows = {row[0][1].split(" ")[0]: row for row in table_rows(listed.text, "blueprints")[1:]}
    assert rows["s3-bucket"][2][1] == "yes"
    assert 'aria-label="Unpublish s3-bucket from platform"' in listed.text

    # A Space Member sees it in the catalog with its inputs, and nothing more.
    token = sign_in(client, team.member.email)
    space = pages.get("/spaces/dev")
    tabs = re.search(r'<nav class="tabs" aria-label="Space">(.*?)</nav>', space.text, re.S)
    assert tabs is not None and text_of(tabs.group(1)) == "Overview Catalog Environments Cost"
    catalog = pages.get("/spaces/dev/catalog")
    assert catalog.status_code == 200
    assert '<h2 id="bp-1">s3-bucket</h2>' in catalog.text
    assert "A private S3 bucket with versioning" in catalog.text
    assert "web-app" not in catalog.text and "broken" not in catalog.text
    inputs = _inputs(catalog.text)
    assert sorted(inputs) == ["bucket_name", "kms_key_arn", "region", "versioning"]
    assert inputs["region"]["type"] == "string"
    assert inputs["region"]["default"] == "eu-west-1"
    assert inputs["region"]["allowed values"] == "eu-west-1 eu-central-1 us-east-1"
    assert inputs["bucket_name"]["default"] == "none: required"
    assert inputs["kms_key_arn"]["default"] == "•••••• sensitive"
    assert "arn:aws:kms" not in catalog.text  # the sensitive default never reaches the page

    for url in ("/spaces/dev/blueprints", "/spaces/dev/repositories"):
        denied = pages.get(url)
        assert denied.status_code == 403, url
        assert "You can&#39;t do that here" in denied.text
    for url, data in (
        ("/spaces/dev/blueprints/publish", {"blueprint_name": "web-app"}),
        ("/spaces/dev/blueprints/unpublish", {"blueprint_name": "s3-bucket"}),
        ("/spaces/dev/repositories", {"name": "mine", "url": origin.url}),
        ("/spaces/dev/repositories/platform/sync", {}),
        ("/spaces/dev/repositories/platform/remove", {}),
        ("/admin/cloudaccounts/new", _aws_form(name="sneaky")),
    ):
        assert pages.post(url, token, data).status_code == 403, url
    assert pages.get("/admin/cloudaccounts").status_code == 403


# -- cloud accounts and compute services ---------------------------------------------------


def test_edit_rotate_and_delete_a_cloud_account(
    client: TestClient, pages: Pages, team: Team, runtime: Runtime
) -> None:
    new_cloud_account(runtime, team.admin.account_id, "aws-prod", (team.space_id,))
    token = sign_in(client, team.admin.email)
    form = pages.get("/admin/cloudaccounts/aws-prod/edit")
    assert form.status_code == 200
    assert 'value="123456789012"' in form.text
    assert "The current credentials (access key, set" in form.text
    assert not re.search(r'type="password"[^>]*value=', form.text)

    saved = pages.post(
        "/admin/cloudaccounts/aws-prod/edit",
        token,
        {"name": "aws-main", "details.account_id": "210987654321", "spaces": ["dev"]},
    )
    listing = pages.follow(saved)
    assert "Saved the cloud account aws-main." in listing.text
    [_, row] = table_rows(listing.text, "cloudaccounts")
    assert row[0][1] == "aws-main" and "210987654321" in row[2][1] and row[3][1] == "dev"

    missing = pages.post(
        "/admin/cloudaccounts/aws-main/edit", token, {"name": "aws-main", "spaces": ["dev"]}
    )
    assert missing.status_code == 422
    assert "AWS account ID" in field_error(missing.text, "detail-account_id")
    unknown_space = pages.post(
        "/admin/cloudaccounts/aws-main/edit",
        token,
        {"name": "aws-main", "details.account_id": "210987654321", "spaces": ["nowhere"]},
    )
    assert unknown_space.status_code == 422
    assert "nowhere" in field_error(unknown_space.text, "spaces")

    half = pages.post(
        "/admin/cloudaccounts/aws-main/credentials",
        token,
        {"credentials.access_key_id": AWS_ACCESS_KEY_ID},
    )
    assert half.status_code == 422
    assert "needs credentials" in field_error(half.text, "credentials")
    rotated = pages.post(
        "/admin/cloudaccounts/aws-main/credentials",
        token,
        {
            "credentials.access_key_id": AWS_ACCESS_KEY_ID,
            "credentials.secret_access_key": NEW_SECRET,
        },
    )
    assert "Replaced the credentials of the cloud account aws-main." in pages.follow(rotated).text

    confirm = pages.get("/admin/cloudaccounts/aws-main/delete")
    assert "Delete cloud account aws-main?" in confirm.text
    assert "It is allowed in dev" in confirm.text
    deleted = pages.post("/admin/cloudaccounts/aws-main/delete", token)
    listing = pages.follow(deleted)
    assert "Deleted the cloud account aws-main." in listing.text
    assert "No cloud accounts yet" in listing.text
    assert pages.get("/admin/cloudaccounts/aws-main/edit").status_code == 404


def test_each_provider_shows_its_own_fields(client: TestClient, pages: Pages, team: Team) -> None:
    token = sign_in(client, team.admin.email)
    azure = pages.get("/admin/cloudaccounts/new", params={"provider": "azure"})
    for name in ("details.subscription_id", "details.tenant_id"):
        assert f'name="{name}"' in azure.text
    assert re.search(r'type="password"[^>]*name="credentials.client_secret"', azure.text)
    assert 'name="details.account_id"' not in azure.text
    gcp = pages.get("/admin/cloudaccounts/new", params={"provider": "gcp"})
    assert 'name="details.project_id"' in gcp.text
    assert re.search(r'type="password"[^>]*name="credentials.service_account_key"', gcp.text)

    bad_key = pages.post(
        "/admin/cloudaccounts/new",
        token,
        {
            "name": "gcp-data",
            "provider": "gcp",
            "details.project_id": "acme-data-1",
            "credentials.service_account_key": '{"type": "user", "secret": "' + K8S_TOKEN + '"}',
        },
    )
    assert bad_key.status_code == 422
    assert "service account key" in field_error(bad_key.text, "credential-service_account_key")
    unknown = pages.post("/admin/cloudaccounts/new", token, _aws_form(provider="ibm"))
    assert unknown.status_code == 422
    assert "not a cloud provider" in field_error(unknown.text, "provider")


def test_kubernetes_compute_services(client: TestClient, pages: Pages, team: Team) -> None:
    token = sign_in(client, team.admin.email)
    form = pages.get("/admin/cloudaccounts/kubernetes/new")
    assert form.status_code == 200
    assert re.search(r'<input id="token" name="token" type="password"', form.text)
    body: dict[str, str | list[str]] = {
        "name": "eks-dev",
        "api_server": "https://k8s.acme.example:6443",
        "namespace": "Torque_Sandboxes",
        "token": K8S_TOKEN,
        "spaces": ["dev"],
    }
    bad = pages.post("/admin/cloudaccounts/kubernetes/new", token, body)
    assert bad.status_code == 422
    assert "namespace" in field_error(bad.text, "namespace")
    assert 'value="https://k8s.acme.example:6443"' in bad.text

    added = pages.post(
        "/admin/cloudaccounts/kubernetes/new", token, {**body, "namespace": "torque-sandboxes"}
    )
    listing = pages.follow(added)
    assert "Added the compute service eks-dev (allowed in dev)." in listing.text
    [_, row] = table_rows(listing.text, "computeservices")
    assert [text for _, text in row[:4]] == [
        "eks-dev",
        "https://k8s.acme.example:6443",
        "torque-sandboxes",
        "dev",
    ]

    edit = pages.get("/admin/cloudaccounts/kubernetes/eks-dev/edit")
    assert 'value="torque-sandboxes"' in edit.text
    saved = pages.post(
        "/admin/cloudaccounts/kubernetes/eks-dev/edit",
        token,
        # Another port is another server: its token comes with it (a token is only sent
        # to the server it was given for).
        {
            "name": "eks-dev",
            "api_server": "https://k8s.acme.example",
            "namespace": "prod",
            "token": "token-for-the-new-server",
        },
    )
    listing = pages.follow(saved)
    [_, row] = table_rows(listing.text, "computeservices")
    assert row[2][1] == "prod" and row[3][1] == "None"
    blank = pages.post(
        "/admin/cloudaccounts/kubernetes/eks-dev/token", token, {"token": "with spaces in it"}
    )
    assert blank.status_code == 422
    assert "token" in field_error(blank.text, "new-token")
    rotated = pages.post(
        "/admin/cloudaccounts/kubernetes/eks-dev/token", token, {"token": K8S_TOKEN + "x"}
    )
    assert "Replaced the token" in pages.follow(rotated).text
    confirm = pages.get("/admin/cloudaccounts/kubernetes/eks-dev/delete")
    assert "Delete compute service eks-dev?" in confirm.text
    deleted = pages.post("/admin/cloudaccounts/kubernetes/eks-dev/delete", token)
    assert "Deleted the compute service eks-dev." in pages.follow(deleted).text


def test_a_cloud_account_named_like_a_page_still_has_its_own(
    client: TestClient, pages: Pages, team: Team, runtime: Runtime
) -> None:
    """`kubernetes` and `new` are names like any other: their pages do not collide."""
    for name in ("kubernetes", "new"):
        new_cloud_account(runtime, team.admin.account_id, name)
    sign_in(client, team.admin.email)
    for name in ("kubernetes", "new"):
        edit = pages.get(f"/admin/cloudaccounts/{name}/edit")
        assert edit.status_code == 200
        assert f"Edit cloud account {name}" in edit.text
    assert "Add Kubernetes compute service" in pages.get("/admin/cloudaccounts/kubernetes/new").text


# -- repositories --------------------------------------------------------------------------


def test_connect_errors_sync_failure_and_removal(
    client: TestClient, pages: Pages, team: Team, origin: Origin, runtime: Runtime
) -> None:
    token = sign_in(client, team.space_admin.email)
    bad = pages.post(
        "/spaces/dev/repositories",
        token,
        {"name": "platform", "url": origin.url, "branch": "bad..branch", "token": REPO_TOKEN},
    )
    assert bad.status_code == 422
    assert "branch" in field_error(bad.text, "branch")
    assert f'value="{origin.url}"' in bad.text

    wrong_branch = pages.post(
        "/spaces/dev/repositories",
        token,
        {"name": "platform", "url": origin.url, "branch": "nope", "token": REPO_TOKEN},
    )
    assert wrong_branch.status_code == 303
    failed = pages.follow(pages.post("/spaces/dev/repositories/platform/sync", token))
    assert "Sync of platform failed:" in failed.text
    [_, row] = table_rows(failed.text, "repositories")
    assert row[3][1].startswith("sync failed")
    taken = pages.post("/spaces/dev/repositories", token, {"name": "PLATFORM", "url": origin.url})
    assert taken.status_code == 409
    assert "already has a repository" in field_error(taken.text, "name")

    # A published blueprint leaves the catalog with its repository.
    repository = new_repository(runtime, team.space_id, "extra")
    new_blueprint(runtime, repository, "web-app", published=True)
    confirm = pages.get("/spaces/dev/repositories/extra/remove")
    assert "Remove repository extra?" in confirm.text
    assert "web-app leaves the catalog" in confirm.text
    assert "web-app" in pages.get("/spaces/dev/catalog").text
    removed = pages.follow(pages.post("/spaces/dev/repositories/extra/remove", token))
    assert "Removed the repository extra" in removed.text
    assert "web-app" not in pages.get("/spaces/dev/catalog").text
    assert pages.get("/spaces/dev/repositories/extra/remove").status_code == 404


def test_unpublish_and_blueprint_tag_managers(
    client: TestClient, pages: Pages, team: Team, runtime: Runtime
) -> None:
    repository = new_repository(runtime, team.space_id)
    new_blueprint(runtime, repository, "web-app", published=True)
    token = sign_in(client, team.space_admin.email)
    gone = pages.follow(
        pages.post(
            "/spaces/dev/blueprints/unpublish",
            token,
            {"blueprint_name": "web-app", "repository_name": "platform", "confirmed": "yes"},
        )
    )
    assert "Took web-app out of the catalog of dev." in gone.text
    again = pages.post(
        "/spaces/dev/blueprints/unpublish",
        token,
        {"blueprint_name": "web-app", "repository_name": "platform", "confirmed": "yes"},
    )
    assert again.status_code == 404
    assert "no published blueprint named" in again.text

    # A Space Developer manages blueprint tags: sees every blueprint, publishes none.
    token = sign_in(client, team.developer.email)
    space = pages.get("/spaces/dev")
    tabs = re.search(r'<nav class="tabs" aria-label="Space">(.*?)</nav>', space.text, re.S)
    assert tabs is not None and text_of(tabs.group(1)) == (
        "Overview Catalog Environments Blueprints Cost"
    )
    listed = pages.get("/spaces/dev/blueprints")
    assert listed.status_code == 200
    [header, row] = table_rows(listed.text, "blueprints")
    assert len(header) == 4 and row[0][1].startswith("web-app") and row[2][1] == "no"
    assert ">Publish</button>" not in listed.text and "/blueprints/publish" not in listed.text
    publish = {"blueprint_name": "web-app", "repository_name": "platform"}
    assert pages.post("/spaces/dev/blueprints/publish", token, publish).status_code == 403


def test_another_accounts_spaces_and_cloud_accounts_are_not_found(
    client: TestClient, pages: Pages, team: Team, runtime: Runtime
) -> None:
    new_cloud_account(runtime, team.admin.account_id, "aws-prod")
    sign_in(client, team.stranger.email, account="globex")
    for url in (
        "/spaces/dev/catalog",
        "/spaces/dev/blueprints",
        "/spaces/dev/repositories",
        "/admin/cloudaccounts/aws-prod/edit",
    ):
        assert pages.get(url).status_code == 404, url
    assert "aws-prod" not in pages.get("/admin/cloudaccounts").text


def test_posts_without_the_csrf_token_are_refused(
    client: TestClient, team: Team, runtime: Runtime
) -> None:
    new_cloud_account(runtime, team.admin.account_id, "aws-prod")
    repository = new_repository(runtime, team.space_id)
    new_blueprint(runtime, repository, "web-app")
    sign_in(client, team.admin.email)
    for url, data in (
        ("/admin/cloudaccounts/new", _aws_form(name="sneaky")),
        ("/admin/cloudaccounts/aws-prod/delete", {}),
        ("/admin/cloudaccounts/aws-prod/edit", {"name": "renamed"}),
        ("/admin/cloudaccounts/kubernetes/new", {"name": "k", "token": K8S_TOKEN}),
        ("/spaces/dev/repositories", {"name": "sneaky", "url": "file:///tmp"}),
        ("/spaces/dev/repositories/platform/sync", {}),
        ("/spaces/dev/repositories/platform/remove", {}),
        ("/spaces/dev/blueprints/publish", {"blueprint_name": "web-app"}),
    ):
        response = client.post(url, data=data, follow_redirects=False)
        assert response.status_code == 403, url
        assert CSRF_REFUSAL in response.text
    listing = client.get("/admin/cloudaccounts")
    assert "aws-prod" in listing.text and "sneaky" not in listing.text
    assert "Never synced" in client.get("/spaces/dev/repositories").text


# -- in a real browser ---------------------------------------------------------------------


def _browser_sign_in(page: Page, account: str, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Account").fill(account)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/$"))


@pytest.mark.skipif(not CHROMIUM.exists(), reason=NO_CHROMIUM)
def test_the_pages_in_a_browser(
    new_page: NewPage,
    live_runtime: Runtime,
    live_server: LiveServer,
    shoot: Shoot,
    tmp_path: Path,
) -> None:
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    expect = sync_api.expect
    admin = new_account(live_runtime, "stellar", "ada@stellar.example.com")
    dev = new_space(live_runtime, admin.account_id, "dev")
    lead = new_user(live_runtime, admin.account_id, "sam@stellar.example.com")
    add_member(live_runtime, dev, lead.user_id, "Space Admin")
    member = new_user(live_runtime, admin.account_id, "mia@stellar.example.com")
    add_member(live_runtime, dev, member.user_id, "Space Member")
    origin = example_origin(tmp_path / "platform")
    origin.commit({"blueprints/broken.yaml": BROKEN_YAML}, "a broken blueprint")

    # Administration > Cloud Accounts: add an AWS account, choosing the provider first
    # (without JavaScript: the provider step is a GET).
    page = new_page(javascript=False)
    _browser_sign_in(page, "stellar", admin.email)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Administration").click()
    page.get_by_role("navigation", name="Administration").get_by_role(
        "link", name="Cloud Accounts"
    ).click()
    expect(page.get_by_role("heading", name="Cloud Accounts", level=1)).to_be_visible()
    page.get_by_role("link", name="Add cloud account").click()
    page.get_by_label("Provider").select_option("aws")
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Name", exact=True).fill("aws-prod")
    page.get_by_label("AWS account ID").fill("123456789012")
    page.get_by_label("Default region").fill("eu-west-1")
    page.get_by_label("Access key ID").fill(AWS_ACCESS_KEY_ID)
    page.get_by_label("Secret access key").fill(AWS_SECRET_ACCESS_KEY[:-1])  # a mistake
    page.get_by_label("dev", exact=True).check()
    page.get_by_role("button", name="Add cloud account").click()
    expect(page.locator("#credential-secret_access_key-error")).to_contain_text("40 characters")
    expect(page.get_by_label("Secret access key")).to_have_value("")
    shoot(page, "admin-cloudaccount-add")
    assert AWS_SECRET_ACCESS_KEY[:-1] not in page.content()
    page.get_by_label("Access key ID").fill(AWS_ACCESS_KEY_ID)
    page.get_by_label("Secret access key").fill(AWS_SECRET_ACCESS_KEY)
    page.get_by_role("button", name="Add cloud account").click()
    expect(page.get_by_role("status")).to_contain_text("Added the cloud account aws-prod")

    # With JavaScript too, choosing a provider changes nothing until Continue.
    scripted = new_page()
    _browser_sign_in(scripted, "stellar", admin.email)
    scripted.goto("/admin/cloudaccounts/new")
    scripted.get_by_label("Provider").select_option("azure")
    expect(scripted.get_by_label("Subscription ID")).to_have_count(0)
    scripted.get_by_role("button", name="Continue").click()
    expect(scripted.get_by_label("Subscription ID")).to_be_visible()
    scripted.goto("/admin/cloudaccounts/kubernetes/new")
    scripted.get_by_label("Name", exact=True).fill("eks-dev")
    scripted.get_by_label("API server").fill("https://k8s.stellar.example:6443")
    scripted.get_by_label("Namespace", exact=True).fill("torque-sandboxes")
    scripted.get_by_label("Service-account token").fill(K8S_TOKEN)
    scripted.get_by_label("dev", exact=True).check()
    shoot(scripted, "admin-computeservice-add")
    scripted.get_by_role("button", name="Add compute service").click()
    expect(scripted.get_by_role("status")).to_contain_text("Added the compute service eks-dev")
    shoot(scripted, "admin-cloudaccounts")
    scripted.goto("/admin/cloudaccounts/aws-prod/edit")
    expect(scripted.get_by_role("heading", name="Rotate credentials")).to_be_visible()
    shoot(scripted, "admin-cloudaccount-edit")

    # Space > Repositories: connect, sync; Blueprints: publish; then the Catalog.
    lead_page = new_page()
    _browser_sign_in(lead_page, "stellar", lead.email)
    lead_page.goto("/spaces/dev")
    space_tabs = lead_page.get_by_role("navigation", name="Space")
    space_tabs.get_by_role("link", name="Repositories").click()
    lead_page.get_by_label("Name", exact=True).fill("platform")
    lead_page.get_by_label("Git URL").fill(origin.url)
    lead_page.get_by_label("Access token").fill(REPO_TOKEN)
    lead_page.get_by_role("button", name="Connect repository").click()
    # Connected and synced at once.
    expect(lead_page.get_by_role("status")).to_contain_text(
        "Connected the repository platform. Synced platform at"
    )
    lead_page.get_by_role("button", name="Sync platform").click()
    expect(lead_page.get_by_role("status")).to_contain_text("Synced platform at")
    shoot(lead_page, "space-repositories")
    assert REPO_TOKEN not in lead_page.content()

    lead_page.get_by_role("navigation", name="Space").get_by_role("link", name="Blueprints").click()
    # A blueprint with errors cannot be published: its button says so by being disabled.
    expect(lead_page.get_by_role("button", name="Publish broken from platform")).to_be_disabled()
    lead_page.get_by_role("button", name="Publish s3-bucket from platform").click()
    expect(lead_page.get_by_role("status")).to_contain_text("Published s3-bucket")
    lead_page.get_by_role("button", name="Publish web-app from platform").click()
    expect(lead_page.get_by_role("status")).to_contain_text("Published web-app")
    shoot(lead_page, "space-blueprints")
    lead_page.goto("/spaces/dev/repositories/platform/remove")
    expect(lead_page.get_by_role("heading", name="Remove repository platform?")).to_be_visible()
    shoot(lead_page, "space-repository-remove")

    reader = new_page()
    _browser_sign_in(reader, "stellar", member.email)
    reader.goto("/spaces/dev")
    tabs = reader.get_by_role("navigation", name="Space")
    expect(tabs.get_by_role("link", name="Blueprints")).to_have_count(0)
    expect(tabs.get_by_role("link", name="Repositories")).to_have_count(0)
    tabs.get_by_role("link", name="Catalog").click()
    expect(reader.get_by_role("heading", name="s3-bucket")).to_be_visible()
    expect(reader.get_by_role("table", name="Inputs of s3-bucket")).to_contain_text("eu-central-1")
    shoot(reader, "space-catalog")
    assert "arn:aws:kms" not in reader.content()
    assert "Traceback" not in live_server.output()
