"""A space's Environments, Cost, Settings > Tags and Settings > Policies, a blueprint's
tags, and Administration > Tags, through the TestClient, then each page once in a real
browser.

The issue's "done when", played in the console: a Space Member launches a sandbox from
the Catalog, sees it become Active with tagged resources and a cost, and cannot touch
production; a Space Developer manages a production environment; a policy written by a
Space Admin stops an over-long launch, and the Member reads its message on the form.
"""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape
from typing import TYPE_CHECKING

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import select

from spacegate.db import transaction, utcnow
from spacegate.environments.models import Environment, EnvironmentStatus
from spacegate.runtime import Runtime
from spacegate.settings import Settings
from tests.blueprints.factories import new_blueprint, new_repository
from tests.cloudaccounts.factories import Team, new_team
from tests.environments.factories import new_environment, new_launchable
from tests.factories import PASSWORD, Person, add_member, new_account, new_space, new_user
from tests.policies.factories import new_policy
from tests.tags.factories import blueprint_id, new_tag, set_blueprint_value, set_space_value
from tests.web.browsing import NewPage, Shoot
from tests.web.live import CHROMIUM, NO_CHROMIUM, LiveServer
from tests.web.page_support import field_error, sign_in, submit, table_rows, text_of

if TYPE_CHECKING:
    from playwright.sync_api import Page

CSRF_REFUSAL = "This form has expired or came from another site"
SECRET_INPUT = "hunter2-very-secret"
MAX_60 = """package spacegate.max_duration

deny contains msg if {
    input.duration_minutes > data.max_minutes
    msg := sprintf("Sandboxes in dev may run at most %d minutes; %d were asked.",
        [data.max_minutes, input.duration_minutes])
}
"""
BROKEN_REGO = "package spacegate.broken\n\ndeny contains msg if {\n    msg = := 1\n}\n"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The environment worker polls quickly; every grain runs with the local executor."""
    return settings.model_copy(update={"environment_poll_seconds": 0.05, "executor": "local"})


@pytest.fixture
def team(runtime: Runtime) -> Team:
    return new_team(runtime)


def _tabs(html: str) -> str:
    found = re.search(r'<nav class="tabs" aria-label="Space">(.*?)</nav>', html, re.S)
    assert found is not None
    return text_of(found.group(1))


def _subtabs(html: str) -> str:
    found = re.search(r'<nav class="subtabs" aria-label="Settings">(.*?)</nav>', html, re.S)
    assert found is not None
    return text_of(found.group(1))


def _flash(response: Response) -> str:
    found = re.search(r'<p class="flash" role="status">(.*?)</p>', response.text, re.S)
    return unescape(found.group(1)) if found else ""


def _follow(client: TestClient, response: Response) -> Response:
    assert response.status_code == 303, response.text
    return client.get(response.headers["location"])


def _launch_form(**overrides: str) -> dict[str, str | list[str]]:
    form: dict[str, str | list[str]] = {
        "blueprint_name": "web-app",
        "repository_name": "platform",
        "environment_name": "demo",
        "duration_minutes": "30",
        "inputs.image_tag": "latest",
        "inputs.replicas": "2",
        "inputs.hostname": "web.example.com",
        "inputs.db_password": SECRET_INPUT,
    }
    form.update(overrides)
    return form


def _environment_id(response: Response) -> str:
    assert response.status_code == 303, response.text
    found = re.fullmatch(r"/spaces/dev/environments/(\w+)", response.headers["location"])
    assert found, response.headers["location"]
    return found.group(1)


def _summary(html: str) -> dict[str, str]:
    found = re.search(r'<dl class="details" id="summary">(.*?)</dl>', html, re.S)
    assert found is not None
    pairs = re.findall(r"<dt>(.*?)</dt><dd[^>]*>(.*?)</dd>", found.group(1), re.S)
    return {text_of(dt): text_of(dd) for dt, dd in pairs}


# -- the "done when" -----------------------------------------------------------------


def test_a_space_member_launches_a_sandbox_from_the_catalog(
    client: TestClient, runtime: Runtime, team: Team
) -> None:
    new_launchable(runtime, team.space_id)
    new_tag(runtime, team.admin.account_id, "team", possible_values=("red", "blue"))
    new_tag(runtime, team.admin.account_id, "cost-center", scope="space", value="rnd")
    token = sign_in(client, team.member.email)
    assert _tabs(client.get("/spaces/dev").text) == "Overview Catalog Environments Cost"

    # The Catalog's card has a Launch button to the form, with the blueprint's inputs.
    catalog = client.get("/spaces/dev/catalog")
    launch_url = "/spaces/dev/environments/new?blueprint=web-app&amp;repository=platform"
    assert f'<a class="button small" href="{launch_url}"' in catalog.text
    form = client.get(unescape(launch_url))
    assert form.status_code == 200, form.text
    assert 'aria-current="page">Environments</a>' in form.text
    assert 'name="production"' not in form.text  # no production option for a member
    assert re.search(r'<select id="input-2" name="inputs.replicas"', form.text)
    assert re.search(r'<option value="2" selected>2</option>', form.text)
    assert 'value="latest"' in form.text  # a default fills its field
    assert re.search(r'<input type="password" id="input-4" name="inputs.db_password"', form.text)
    assert "s3cret-default" not in form.text  # a sensitive default never reaches the page
    assert re.search(r'<select id="tag-1" name="tags.team"', form.text)
    assert "cost-center" not in form.text  # scope space: not settable at launch

    # A mistake comes back on the form, values kept, the sensitive one asked again.
    missing = submit(
        client,
        "/spaces/dev/environments/new",
        token,
        _launch_form(**{"inputs.hostname": ""}),
    )
    assert missing.status_code == 422
    assert field_error(missing.text, "input-3") == "Enter a value for hostname."
    assert 'value="demo"' in missing.text
    assert SECRET_INPUT not in missing.text
    bad_tag = submit(
        client, "/spaces/dev/environments/new", token, _launch_form(**{"tags.team": "green"})
    )
    assert bad_tag.status_code == 422
    assert "not a possible value of tag 'team'" in field_error(bad_tag.text, "tags")
    production = submit(
        client, "/spaces/dev/environments/new", token, _launch_form(production="true")
    )
    assert production.status_code == 403
    assert "Manage production environments" in text_of(production.text)

    launched = submit(
        client, "/spaces/dev/environments/new", token, _launch_form(**{"tags.team": "red"})
    )
    environment_id = _environment_id(launched)
    page = _follow(client, launched)
    assert _flash(page) == "Launching the sandbox demo from web-app."
    runtime.environments.wait_idle()

    page = client.get(f"/spaces/dev/environments/{environment_id}")
    assert page.status_code == 200
    assert '<span class="status env-active" id="status">Active</span>' in page.text
    summary = _summary(page.text)
    assert summary["Owner"] == team.member.email
    # One precision for every amount, to the cent; a few seconds' cost still shows.
    assert re.match(r"(< USD 0\.01|USD 0\.\d\d) \(USD 0\.75 an hour\)$", summary["Cost so far"])
    inputs = {row[0][1]: row[1][1] for row in table_rows(page.text, "inputs")[1:]}
    assert inputs == {
        "image_tag": "latest",
        "replicas": "2",
        "hostname": "web.example.com",
        "db_password": "•••••• sensitive",
    }
    assert SECRET_INPUT not in page.text
    resources = table_rows(page.text, "resources")[1:]
    assert [row[0][1] for row in resources] == ["db", "app"]
    for row in resources:
        assert row[2][1] == "local"
        assert "team=red" in row[4][1] and "cost-center=rnd" in row[4][1]
        assert f"spacegate-owner-email={team.member.email}" in row[4][1]
    assert [row[3][1] for row in resources] == ["USD 0.25", "USD 0.50"]
    outputs = table_rows(page.text, "outputs")
    assert outputs[1][1][1] == "https://web.example.com/"
    assert "Executor log" not in page.text  # shown when it failed
    # The owner of a sandbox may end and extend it.
    assert ">End environment</button>" in page.text and 'name="end_time"' in page.text

    listing = client.get("/spaces/dev/environments")
    [header, row] = table_rows(listing.text, "environments")
    assert [text for _, text in header] == [
        "Name",
        "Blueprint",
        "Owner",
        "Status",
        "Kind",
        "Started",
        "Scheduled end",
        "Cost so far",
    ]
    cells = [text for _, text in row]
    assert cells[:5] == ["demo", "web-app platform", team.member.email, "Active", "sandbox"]
    assert re.match(r"(< USD 0\.01|USD 0\.\d\d)$", cells[7])
    assert "demo" in client.get("/spaces/dev/environments?show=mine").text

    # The Member cannot touch someone's production environment.
    other = new_environment(runtime, team.space_id, team.developer, name="prod", production=True)
    theirs = client.get(f"/spaces/dev/environments/{other}")
    assert theirs.status_code == 200
    assert 'name="end_time"' not in theirs.text and "/end" not in theirs.text
    for action, data in (("end", {}), ("extend", {"end_time": "2099-01-01T00:00"})):
        refused = submit(client, f"/spaces/dev/environments/{other}/{action}", token, data)
        assert refused.status_code == 403, action
        assert "Manage production environments" in text_of(refused.text)

    # They end their own sandbox.
    later = utcnow() + timedelta(hours=5)
    extended = submit(
        client,
        f"/spaces/dev/environments/{environment_id}/extend",
        token,
        {"end_time": later.strftime("%Y-%m-%dT%H:%M")},
    )
    assert _flash(_follow(client, extended)) == (
        f"demo now ends {later.strftime('%Y-%m-%d %H:%M')} UTC."
    )
    past = submit(
        client,
        f"/spaces/dev/environments/{environment_id}/extend",
        token,
        {"end_time": "2020-01-01T00:00"},
    )
    assert past.status_code == 422 and "in the future" in past.text
    ended = submit(client, f"/spaces/dev/environments/{environment_id}/end", token)
    assert "Ending demo" in _flash(_follow(client, ended))
    runtime.environments.wait_idle()
    page = client.get(f"/spaces/dev/environments/{environment_id}")
    assert ">Ended</span>" in page.text and ">End environment</button>" not in page.text
    assert "demo" not in text_of(client.get("/spaces/dev/environments").text)
    ended_rows = table_rows(client.get("/spaces/dev/environments?show=ended").text, "environments")
    assert [row[0][1] for row in ended_rows[1:]] == ["demo"]


def test_a_space_developer_manages_a_production_environment(
    client: TestClient, runtime: Runtime, team: Team
) -> None:
    new_launchable(runtime, team.space_id)
    token = sign_in(client, team.developer.email)
    form = client.get("/spaces/dev/environments/new", params={"blueprint": "web-app"})
    assert '<input type="checkbox" id="production" name="production" value="true"' in form.text
    launched = submit(
        client,
        "/spaces/dev/environments/new",
        token,
        _launch_form(environment_name="shop", duration_minutes="", production="true"),
    )
    environment_id = _environment_id(launched)
    assert _flash(_follow(client, launched)) == (
        "Launching the production environment shop from web-app."
    )
    runtime.environments.wait_idle()
    page = client.get(f"/spaces/dev/environments/{environment_id}")
    assert '<span class="chip production">production</span>' in page.text
    assert _summary(page.text)["Scheduled end"] == "runs until ended"
    later = utcnow() + timedelta(days=3)
    extended = submit(
        client,
        f"/spaces/dev/environments/{environment_id}/extend",
        token,
        {"end_time": later.strftime("%Y-%m-%dT%H:%M")},
    )
    assert _flash(_follow(client, extended)) == (
        f"shop now ends {later.strftime('%Y-%m-%d %H:%M')} UTC."
    )
    ended = submit(client, f"/spaces/dev/environments/{environment_id}/end", token)
    assert _follow(client, ended).status_code == 200
    runtime.environments.wait_idle()
    page = client.get(f"/spaces/dev/environments/{environment_id}")
    assert ">Ended</span>" in page.text
    assert _summary(page.text)["Ended"].endswith(f"by {team.developer.email}")
    again = submit(client, f"/spaces/dev/environments/{environment_id}/end", token)
    assert again.status_code == 409
    assert "already ended" in text_of(again.text)


def test_a_space_admins_policy_stops_an_over_long_launch(
    client: TestClient, runtime: Runtime, team: Team
) -> None:
    new_launchable(runtime, team.space_id)
    token = sign_in(client, team.space_admin.email)
    settings_page = client.get("/spaces/dev/settings/users")
    assert _subtabs(settings_page.text) == "Users Tags Policies"
    assert 'aria-current="page">Users</a>' in settings_page.text
    listing = client.get("/spaces/dev/settings/policies")
    assert listing.status_code == 200 and "No policies yet" in listing.text
    assert _subtabs(listing.text) == "Users Tags Policies"
    assert 'aria-current="page">Policies</a>' in listing.text
    assert 'aria-current="page">Settings</a>' in listing.text
    new = client.get("/spaces/dev/settings/policies/new")
    assert "package spacegate.max_duration" in new.text

    policy = {
        "name": "max-hour",
        "description": "Sandboxes run at most an hour.",
        "rego": BROKEN_REGO,
        "data": '{"max_minutes": 60}',
        "enabled": "true",
    }
    broken = submit(client, "/spaces/dev/settings/policies/new", token, policy)
    assert broken.status_code == 422
    assert field_error(broken.text, "rego").startswith("The policy does not compile:")
    assert "msg = := 1" in broken.text  # the module stays in its field
    bad_data = submit(
        client, "/spaces/dev/settings/policies/new", token, {**policy, "rego": MAX_60, "data": "["}
    )
    assert bad_data.status_code == 422
    assert "not valid JSON" in field_error(bad_data.text, "data")
    # As a browser sends a textarea: with \r\n line ends.
    crlf = MAX_60.replace("\n", "\r\n")
    added = submit(client, "/spaces/dev/settings/policies/new", token, {**policy, "rego": crlf})
    listing = _follow(client, added)
    assert _flash(listing) == "Added the policy max-hour."
    [_, row] = table_rows(listing.text, "policies")
    assert [text for _, text in row[:3]] == [
        "max-hour Sandboxes run at most an hour.",
        "spacegate.max_duration",
        "enabled",
    ]

    # The Member launches for ten hours: the form shows the policy's message.
    # (A second client, without the lifespan: the first one runs the workers.)
    member_client = TestClient(client.app, raise_server_exceptions=False)
    member_token = sign_in(member_client, team.member.email)
    refused = submit(
        member_client,
        "/spaces/dev/environments/new",
        member_token,
        _launch_form(duration_minutes="600"),
    )
    assert refused.status_code == 403
    found = re.search(r'<ul id="policy-messages">(.*?)</ul>', refused.text, re.S)
    assert found is not None
    assert text_of(found.group(1)) == (
        "Sandboxes in dev may run at most 60 minutes; 600 were asked."
    )
    assert 'value="600"' in refused.text and 'value="web.example.com"' in refused.text
    assert SECRET_INPUT not in refused.text
    assert "Sensitive inputs are never sent back" in refused.text

    # Disabled, the policy no longer refuses.
    disabled = submit(
        client, "/spaces/dev/settings/policies/max-hour/enabled", token, {"enabled": "false"}
    )
    assert "max-hour is disabled" in _flash(_follow(client, disabled))
    allowed = submit(
        member_client,
        "/spaces/dev/environments/new",
        member_token,
        _launch_form(duration_minutes="600"),
    )
    assert allowed.status_code == 303, allowed.text
    runtime.environments.wait_idle()

    # Edit: a compile error keeps the form; a good change saves; then delete.
    edit = client.get("/spaces/dev/settings/policies/max-hour/edit")
    assert 'id="enabled" name="enabled" value="true" >' in edit.text  # unchecked
    assert "&#34;max_minutes&#34;: 60" in edit.text or '"max_minutes": 60' in edit.text
    wrong = submit(
        client, "/spaces/dev/settings/policies/max-hour/edit", token, {**policy, "name": "x"}
    )
    assert wrong.status_code == 422 and "does not compile" in field_error(wrong.text, "rego")
    saved = submit(
        client,
        "/spaces/dev/settings/policies/max-hour/edit",
        token,
        {**policy, "name": "max-two-hours", "rego": MAX_60, "data": '{"max_minutes": 120}'},
    )
    assert _flash(_follow(client, saved)) == "Saved the policy max-two-hours."
    deleted = submit(client, "/spaces/dev/settings/policies/max-two-hours/delete", token)
    listing = _follow(client, deleted)
    assert _flash(listing) == "Deleted the policy max-two-hours."
    assert "No policies yet" in listing.text
    assert client.get("/spaces/dev/settings/policies/max-two-hours/edit").status_code == 404


def _failed_environment(runtime: Runtime, space_id: int, owner: Person) -> str:
    """A sandbox whose launch failed part-way, as the worker leaves one."""
    status = EnvironmentStatus.ACTIVE_WITH_ERROR
    failed = new_environment(runtime, space_id, owner, name="broken", status=status)
    with transaction(runtime.sessions) as session:
        environment = session.scalar(select(Environment).where(Environment.public_id == failed))
        assert environment is not None
        environment.errors = [{"message": "helm install failed: timeout", "grain": "app"}]
        environment.log = "[local] db: created\n[helm] app: timeout after 300s\n"
    return failed


def test_a_failed_environment_shows_its_errors_and_log(
    client: TestClient, runtime: Runtime, team: Team
) -> None:
    failed = _failed_environment(runtime, team.space_id, team.member)
    sign_in(client, team.developer.email)
    page = client.get(f"/spaces/dev/environments/{failed}")
    assert page.status_code == 200
    assert '<span class="status env-active-with-error" id="status">Active With Error</span>' in (
        page.text
    )
    errors = re.search(r'<ul class="problems" id="errors">(.*?)</ul>', page.text, re.S)
    assert errors is not None
    assert text_of(errors.group(1)) == "app: helm install failed: timeout"
    log = re.search(r'<pre id="log" tabindex="0">(.*?)</pre>', page.text, re.S)
    assert log is not None and "[helm] app: timeout after 300s" in unescape(log.group(1))
    # A developer (Manage production environments) may end someone's sandbox.
    assert ">End environment</button>" in page.text
    assert client.get("/spaces/dev/environments/nope").status_code == 404
    assert client.get("/spaces/dev/environments", params={"show": "weird"}).status_code == 422


# -- tags and policies per role -------------------------------------------------------------


def test_account_tags_in_administration(client: TestClient, team: Team) -> None:
    token = sign_in(client, team.admin.email)
    administration = client.get("/admin")
    assert re.search(r'<a href="/admin/tags"[^>]*>Tags</a>', administration.text)
    listing = client.get("/admin/tags")
    assert listing.status_code == 200
    assert 'aria-current="page">Tags</a>' in listing.text
    assert "No tags yet" in listing.text
    assert "uses 0 of its 45 tags" in text_of(listing.text)

    tag = {
        "name": "team",
        "value": "purple",
        "scope": "environment",
        "description": "Who pays.",
        "possible_values": "red\nblue\n\n",
    }
    bad = submit(client, "/admin/tags/new", token, tag)
    assert bad.status_code == 422
    assert "not among its possible values" in field_error(bad.text, "value")
    assert "red\nblue" in bad.text
    reserved = submit(client, "/admin/tags/new", token, {**tag, "name": "spacegate-x"})
    assert reserved.status_code == 422 and "reserved" in field_error(reserved.text, "name")
    created = submit(client, "/admin/tags/new", token, {**tag, "value": "red"})
    listing = _follow(client, created)
    assert _flash(listing) == "Defined the tag team (scope environment)."
    [_, row] = table_rows(listing.text, "tags")
    assert [text for _, text in row[:4]] == ["team Who pays.", "red", "environment", "red blue"]
    taken = submit(client, "/admin/tags/new", token, {**tag, "name": "TEAM", "value": ""})
    assert taken.status_code == 409 and "already has a tag" in field_error(taken.text, "name")

    edit = client.get("/admin/tags/team/edit")
    assert '<option value="environment" selected>' in edit.text
    saved = submit(
        client,
        "/admin/tags/team/edit",
        token,
        {**tag, "value": "", "scope": "space", "possible_values": "red\nblue\ngreen"},
    )
    listing = _follow(client, saved)
    assert _flash(listing) == "Saved the tag team."
    [_, row] = table_rows(listing.text, "tags")
    assert [text for _, text in row[:4]] == ["team Who pays.", "none", "space", "red blue green"]

    too_low = submit(client, "/admin/tags/limit", token, {"value": "0"})
    assert too_low.status_code == 422 and "between 1 and 1000" in field_error(too_low.text, "limit")
    limited = submit(client, "/admin/tags/limit", token, {"value": "1"})
    listing = _follow(client, limited)
    assert _flash(listing) == "The account may now define up to 1 tags (1 in use)."
    full = submit(client, "/admin/tags/new", token, {**tag, "name": "owner", "value": ""})
    assert full.status_code == 409 and "limit of 1 tags" in full.text

    deleted = submit(client, "/admin/tags/team/delete", token)
    assert "Deleted the tag team" in _flash(_follow(client, deleted))
    assert client.get("/admin/tags/team/edit").status_code == 404


def test_tag_and_policy_pages_per_role(client: TestClient, runtime: Runtime, team: Team) -> None:
    team_tag = new_tag(
        runtime, team.admin.account_id, "team", scope="blueprint", possible_values=("red", "blue")
    )
    new_tag(runtime, team.admin.account_id, "cost-center", scope="space", value="rnd")
    new_tag(runtime, team.admin.account_id, "company", scope="account", value="acme")
    repository = new_repository(runtime, team.space_id)
    new_blueprint(runtime, repository, "web-app")
    new_policy(runtime, team.space_id, "max-duration")

    # A Space Admin sets and clears the space's values; account tags are not theirs.
    token = sign_in(client, team.space_admin.email)
    assert client.get("/admin/tags").status_code == 403
    assert "/admin/tags" not in client.get("/").text
    page = client.get("/spaces/dev/settings/tags")
    assert page.status_code == 200
    assert _subtabs(page.text) == "Users Tags Policies"
    rows = {row[0][1].split(" ")[0]: row for row in table_rows(page.text, "tag-values")[1:]}
    assert sorted(rows) == ["cost-center", "team"]  # scope account: not settable here
    assert rows["cost-center"][2][1] == "rnd account default"
    assert re.search(r'<select id="tag-\d" name="value" aria-label="Value of team"', page.text)
    refused = submit(client, "/spaces/dev/settings/tags/set", token, {"name": "team", "value": "x"})
    assert refused.status_code == 422
    assert "not a possible value" in text_of(refused.text)
    done = submit(client, "/spaces/dev/settings/tags/set", token, {"name": "team", "value": "red"})
    page = _follow(client, done)
    assert _flash(page) == "Tag team is now red in dev."
    rows = {row[0][1].split(" ")[0]: row for row in table_rows(page.text, "tag-values")[1:]}
    assert rows["team"][2][1] == "red set here"
    cleared = submit(client, "/spaces/dev/settings/tags/clear", token, {"name": "team"})
    assert _flash(_follow(client, cleared)) == "Cleared tag team in dev: back to no value."
    again = submit(client, "/spaces/dev/settings/tags/clear", token, {"name": "team"})
    assert again.status_code == 404

    # A Space Developer manages blueprint tags, not the space's, nor its policies.
    set_space_value(runtime, team.space_id, team_tag, "blue")
    token = sign_in(client, team.developer.email)
    space = client.get("/spaces/dev")
    assert _tabs(space.text) == "Overview Catalog Environments Blueprints Cost"
    for url in ("/spaces/dev/settings/tags", "/spaces/dev/settings/policies"):
        assert client.get(url).status_code == 403, url
    blueprints_page = client.get("/spaces/dev/blueprints")
    link = "/spaces/dev/blueprints/platform/web-app/tags"
    assert f'href="{link}"' in blueprints_page.text
    page = client.get(link)
    assert page.status_code == 200
    assert 'aria-current="page">Blueprints</a>' in page.text
    [_, row] = table_rows(page.text, "tag-values")
    assert row[0][1].startswith("team") and row[2][1] == "blue from the space"
    done = submit(client, f"{link}/set", token, {"name": "team", "value": "red"})
    assert _flash(_follow(client, done)) == "Tag team is now red on web-app."
    cost_center = submit(client, f"{link}/set", token, {"name": "cost-center", "value": "ops"})
    assert cost_center.status_code == 422 and "scope 'space'" in text_of(cost_center.text)
    cleared = submit(client, f"{link}/clear", token, {"name": "team"})
    assert "the space's value applies" in _flash(_follow(client, cleared))
    for url, data in (
        ("/spaces/dev/settings/tags/set", {"name": "team", "value": "red"}),
        ("/spaces/dev/settings/policies/max-duration/delete", {}),
        ("/spaces/dev/settings/policies/new", {"name": "p", "rego": MAX_60}),
        ("/admin/tags/new", {"name": "x", "scope": "space"}),
    ):
        assert submit(client, url, token, data).status_code == 403, url

    # A Space Member: no settings, no blueprint tags; the cost page is theirs.
    bp = blueprint_id(runtime, team.space_id, "platform", "web-app")
    set_blueprint_value(runtime, bp, team_tag, "red")
    token = sign_in(client, team.member.email)
    for url in (link, "/spaces/dev/settings/tags", "/spaces/dev/settings/policies"):
        assert client.get(url).status_code == 403, url
    assert submit(client, f"{link}/clear", token, {"name": "team"}).status_code == 403
    assert client.get("/spaces/dev/cost").status_code == 200

    # Someone without a role in the space does not see it.
    sign_in(client, team.outsider.email)
    for url in ("/spaces/dev/environments", "/spaces/dev/cost", "/spaces/dev/settings/tags"):
        assert client.get(url).status_code == 404, url


def test_the_cost_page(client: TestClient, runtime: Runtime, team: Team) -> None:
    new_tag(runtime, team.admin.account_id, "team")
    new_environment(
        runtime,
        team.space_id,
        team.member,
        name="red-one",
        cost_per_hour=2.0,
        tags={"team": "red"},
        launched_hours_ago=3,
    )
    new_environment(runtime, team.space_id, team.developer, name="untagged", cost_per_hour=1.0)
    sign_in(client, team.member.email)
    page = client.get("/spaces/dev/cost")
    assert page.status_code == 200
    assert 'aria-current="page">Cost</a>' in page.text
    rows = table_rows(page.text, "cost")
    assert [text for _, text in rows[0]] == [
        "Environment",
        "Estimated",
        "Ingested",
        "Total",
        "Currency",
    ]
    assert [row[0][1].split(" ")[0] for row in rows[1:]] == ["red-one", "untagged"]
    assert rows[1][3][1].startswith("6.0") and rows[1][4][1] == "USD"
    assert "Total: USD 7.0" in text_of(page.text)

    by_tag = client.get("/spaces/dev/cost", params={"group_by": "tag:team"})
    assert '<option value="tag:team" selected>Tag: team</option>' in by_tag.text
    rows = table_rows(by_tag.text, "cost")
    assert rows[0][0][1] == "Tag: team"
    assert [row[0][1] for row in rows[1:]] == ["red", "(no value)"]
    by_owner = client.get("/spaces/dev/cost", params={"group_by": "owner"})
    owners = [row[0][1] for row in table_rows(by_owner.text, "cost")[1:]]
    assert owners == [team.member.email, team.developer.email]

    backwards = client.get("/spaces/dev/cost", params={"from": "2025-02-01", "to": "2025-01-01"})
    assert backwards.status_code == 422
    assert "must not be after" in field_error(backwards.text, "from")
    assert 'id="cost"' not in backwards.text
    nonsense = client.get("/spaces/dev/cost", params={"from": "yesterday", "group_by": "colour"})
    assert nonsense.status_code == 422
    assert "not a date" in field_error(nonsense.text, "from")
    assert "group_by must be one of" in field_error(nonsense.text, "group_by")
    empty = client.get("/spaces/dev/cost", params={"from": "2020-01-01", "to": "2020-01-31"})
    assert "No cost in these days." in empty.text


def test_posts_without_the_csrf_token_are_refused(
    client: TestClient, runtime: Runtime, team: Team
) -> None:
    new_launchable(runtime, team.space_id)
    new_tag(runtime, team.admin.account_id, "team", scope="blueprint")
    new_policy(runtime, team.space_id, "max-duration")
    mine = new_environment(runtime, team.space_id, team.admin, name="mine")
    sign_in(client, team.admin.email)
    for url, data in (
        ("/spaces/dev/environments/new", _launch_form()),
        (f"/spaces/dev/environments/{mine}/end", {}),
        (f"/spaces/dev/environments/{mine}/extend", {"end_time": "2099-01-01T00:00"}),
        ("/spaces/dev/settings/tags/set", {"name": "team", "value": "red"}),
        ("/spaces/dev/settings/tags/clear", {"name": "team"}),
        ("/spaces/dev/settings/policies/new", {"name": "p", "rego": MAX_60}),
        ("/spaces/dev/settings/policies/max-duration/edit", {"name": "x", "rego": MAX_60}),
        ("/spaces/dev/settings/policies/max-duration/enabled", {"enabled": "false"}),
        ("/spaces/dev/settings/policies/max-duration/delete", {}),
        ("/spaces/dev/blueprints/platform/web-app/tags/set", {"name": "team", "value": "r"}),
        ("/admin/tags/new", {"name": "sneaky", "scope": "space"}),
        ("/admin/tags/team/edit", {"name": "renamed", "scope": "space"}),
        ("/admin/tags/team/delete", {}),
        ("/admin/tags/limit", {"value": "5"}),
    ):
        response = client.post(url, data=data, follow_redirects=False)
        assert response.status_code == 403, url
        assert CSRF_REFUSAL in response.text, url
        wrong = client.post(url, data={**data, "csrf_token": "forged"}, follow_redirects=False)
        assert wrong.status_code == 403, url
    assert "sneaky" not in client.get("/admin/tags").text
    assert (
        '<span class="status active">enabled</span>'
        in client.get("/spaces/dev/settings/policies").text
    )
    assert ">Active</span>" in client.get(f"/spaces/dev/environments/{mine}").text


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
) -> None:
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    expect = sync_api.expect
    admin = new_account(live_runtime, "orbit", "ada@orbit.example.com")
    dev = new_space(live_runtime, admin.account_id, "dev")
    lead = new_user(live_runtime, admin.account_id, "sam@orbit.example.com")
    add_member(live_runtime, dev, lead.user_id, "Space Admin")
    member = new_user(live_runtime, admin.account_id, "mia@orbit.example.com")
    add_member(live_runtime, dev, member.user_id, "Space Member")
    new_launchable(live_runtime, dev)
    new_tag(live_runtime, admin.account_id, "team", possible_values=("red", "blue"))
    new_tag(live_runtime, admin.account_id, "cost-center", scope="space", value="rnd")
    new_policy(live_runtime, dev, "max-duration", source=MAX_60, data={"max_minutes": 60})

    # Administration > Tags.
    page = new_page()
    _browser_sign_in(page, "orbit", admin.email)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Administration").click()
    page.get_by_role("navigation", name="Administration").get_by_role("link", name="Tags").click()
    expect(page.get_by_role("heading", name="Tags", level=1)).to_be_visible()
    shoot(page, "admin-tags")
    page.get_by_role("link", name="New tag").click()
    page.get_by_label("Name", exact=True).fill("owner team")
    page.get_by_label("Scope").select_option("blueprint")
    page.get_by_label("Possible values").fill("platform\nweb")
    page.get_by_label("Default value").fill("nobody")
    page.get_by_role("button", name="Create tag").click()
    expect(page.locator("#value-error")).to_contain_text("not among its possible values")
    shoot(page, "admin-tag-form")
    page.get_by_label("Default value").fill("platform")
    page.get_by_role("button", name="Create tag").click()
    expect(page.get_by_role("status")).to_contain_text("Defined the tag owner team")

    # A Space Admin: Settings > Tags and > Policies, with a compile error on the way.
    lead_page = new_page()
    _browser_sign_in(lead_page, "orbit", lead.email)
    lead_page.goto("/spaces/dev")
    lead_page.get_by_role("navigation", name="Space").get_by_role("link", name="Settings").click()
    lead_page.get_by_role("navigation", name="Settings").get_by_role("link", name="Tags").click()
    lead_page.get_by_label("Value of cost-center").fill("ops")
    lead_page.get_by_role("button", name="Set cost-center").click()
    expect(lead_page.get_by_role("status")).to_contain_text("Tag cost-center is now ops")
    shoot(lead_page, "space-settings-tags")
    lead_page.get_by_role("navigation", name="Settings").get_by_role(
        "link", name="Policies"
    ).click()
    shoot(lead_page, "space-settings-policies")
    lead_page.get_by_role("link", name="New policy").click()
    lead_page.get_by_label("Name", exact=True).fill("broken")
    lead_page.get_by_label("Rego module").fill(BROKEN_REGO)
    lead_page.get_by_role("button", name="Add policy").click()
    expect(lead_page.locator("#rego-error")).to_contain_text("does not compile")
    shoot(lead_page, "space-policy-form")
    lead_page.goto("/spaces/dev/blueprints/platform/web-app/tags")
    expect(lead_page.get_by_role("heading", name="Tags of blueprint web-app")).to_be_visible()
    shoot(lead_page, "space-blueprint-tags")

    # A Space Member launches from the Catalog: first too long (the policy's message),
    # then within the hour; the environment becomes Active.
    reader = new_page()
    _browser_sign_in(reader, "orbit", member.email)
    reader.goto("/spaces/dev/catalog")
    shoot(reader, "space-catalog-launch")
    reader.get_by_role("link", name="Launch web-app from platform").click()
    expect(reader.get_by_role("heading", name="Launch web-app")).to_be_visible()
    expect(reader.get_by_label("Production environment")).to_have_count(0)
    reader.get_by_label("Environment name").fill("demo")
    reader.get_by_label("Duration").fill("600")
    reader.get_by_label("hostname").fill("web.example.com")
    reader.get_by_label("db_password").fill(SECRET_INPUT)
    reader.get_by_label("team").select_option("red")
    reader.get_by_role("button", name="Launch", exact=True).click()
    expect(reader.get_by_role("alert")).to_contain_text("at most 60 minutes; 600 were asked")
    expect(reader.get_by_label("hostname")).to_have_value("web.example.com")
    expect(reader.get_by_label("db_password")).to_have_value("")
    shoot(reader, "space-environment-launch-refused")
    reader.get_by_label("Duration").fill("45")
    reader.get_by_label("db_password").fill(SECRET_INPUT)
    reader.get_by_role("button", name="Launch", exact=True).click()
    expect(reader.get_by_role("status")).to_contain_text("Launching the sandbox demo")
    # Followed to Active by the page itself, without a reload.
    expect(reader.locator("#status")).to_have_text("Active", timeout=30_000)
    expect(reader.locator("#resources")).to_contain_text("team=red")
    shoot(reader, "space-environment")
    assert SECRET_INPUT not in reader.content()
    reader.get_by_role("navigation", name="Space").get_by_role("link", name="Environments").click()
    expect(reader.locator("#environments")).to_contain_text("demo")
    shoot(reader, "space-environments")
    reader.get_by_role("navigation", name="Space").get_by_role("link", name="Cost").click()
    reader.get_by_label("Group by").select_option("tag:team")
    reader.get_by_role("button", name="Show").click()
    expect(reader.locator("#cost")).to_contain_text("red")
    shoot(reader, "space-cost")
    failed = _failed_environment(live_runtime, dev, member)
    reader.goto(f"/spaces/dev/environments/{failed}")
    expect(reader.locator("#log")).to_contain_text("timeout after 300s")
    shoot(reader, "space-environment-failed")
    assert "Traceback" not in live_server.output()
