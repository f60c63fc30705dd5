"""Single sign-on in Chromium, through the console of the real server: an Account Admin
connects a real OpenID provider and maps a group on the Identity provider and Groups
pages; a colleague clicks "Sign in with SSO", signs in at the provider, and lands with
the group's roles, which go when the provider takes them out of the group."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from spacegate.runtime import Runtime
from tests.factories import new_account, new_space
from tests.sso.oidc_provider import CLIENT_ID, CLIENT_SECRET, Provider, running_provider
from tests.web.browsing import NewPage, Shoot
from tests.web.live import CHROMIUM, NO_CHROMIUM
from tests.web.test_browser import main_nav, sign_in

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason=NO_CHROMIUM)

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
expect = sync_api.expect

if TYPE_CHECKING:
    from playwright.sync_api import Page


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    with running_provider() as running:
        yield running


def sso_sign_in(page: Page, provider: Provider, account: str, sub: str) -> None:
    page.goto(f"/login?account={account}")
    page.get_by_role("link", name="Sign in with SSO").click()
    expect(page).to_have_url(re.compile(re.escape(provider.issuer)))
    page.get_by_placeholder("sub").fill(sub)
    page.get_by_role("button", name="Authorize").click()
    expect(page.get_by_role("navigation", name="Account")).to_be_visible()


def admin_area(page: Page, name: str) -> None:
    """Open an area of Administration: the menu's link, then the area's tab."""
    main_nav(page).get_by_role("link", name="Administration").click()
    page.get_by_role("navigation", name="Administration").get_by_role("link", name=name).click()


def test_an_admin_connects_oidc_and_a_colleague_signs_in_with_sso(
    new_page: NewPage, live_runtime: Runtime, provider: Provider, shoot: Shoot
) -> None:
    admin = new_account(live_runtime, "initech", "admin@initech.example")
    new_space(live_runtime, admin.account_id, "payroll")

    page = new_page()
    sign_in(page, "initech", admin.email)
    admin_area(page, "Identity provider")
    page.get_by_label("Issuer URL").fill(provider.issuer)
    page.get_by_label("Client id").fill(CLIENT_ID)
    page.get_by_label("Client secret").fill(CLIENT_SECRET)
    page.locator("#oidc-domains").fill("initech.example")
    page.locator("#oidc-jit").check()
    page.get_by_role("button", name="Save OIDC").click()
    expect(page.get_by_role("status")).to_contain_text("The identity provider is connected.")
    expect(page.locator("#idp-status")).to_contain_text(provider.issuer)
    shoot(page, "admin-identity-provider")

    admin_area(page, "Groups")
    page.get_by_label("Name", exact=True).fill("Payroll team")
    page.get_by_label("Identity provider group").fill("payroll")
    page.get_by_role("button", name="Create group").click()
    expect(page.get_by_role("heading", name="Group Payroll team")).to_be_visible()
    page.get_by_label("Space 1", exact=True).fill("payroll")
    page.get_by_label("Space role 1", exact=True).select_option("Space Developer")
    page.get_by_role("button", name="Save group").click()
    expect(page.get_by_role("status")).to_contain_text("is saved")
    shoot(page, "admin-group")

    provider.set_user(
        "milton", email="milton@initech.example", given_name="Milton", groups=["payroll"]
    )
    colleague = new_page()
    sso_sign_in(colleague, provider, "initech", "milton")
    expect(main_nav(colleague).get_by_role("link", name="payroll")).to_be_visible()
    colleague.goto("/profile")
    expect(colleague.locator("dl.details")).to_contain_text("milton@initech.example")
    expect(colleague.locator("#my-groups")).to_contain_text(
        "Payroll team; payroll: Space Developer"
    )

    page.reload()
    expect(page.locator("#members")).to_contain_text("milton@initech.example")

    # The provider takes milton out of the group: at his next sign-in the space is gone.
    provider.set_user("milton", email="milton@initech.example", groups=[])
    again = new_page()
    sso_sign_in(again, provider, "initech", "milton")
    expect(main_nav(again).get_by_text("No spaces yet")).to_be_visible()


def test_a_domain_that_is_not_allowed_is_refused_in_the_browser(
    new_page: NewPage, live_runtime: Runtime, provider: Provider
) -> None:
    admin = new_account(live_runtime, "hooli", "admin@hooli.example")
    page = new_page()
    sign_in(page, "hooli", admin.email)
    page.goto("/admin/idp")
    page.get_by_label("Issuer URL").fill(provider.issuer)
    page.get_by_label("Client id").fill(CLIENT_ID)
    page.get_by_label("Client secret").fill(CLIENT_SECRET)
    page.locator("#oidc-domains").fill("hooli.example")
    page.locator("#oidc-jit").check()
    page.get_by_role("button", name="Save OIDC").click()
    expect(page.get_by_role("status")).to_contain_text("connected")

    provider.set_user("gavin", email="gavin@piedpiper.example")
    stranger = new_page()
    stranger.goto("/login?account=hooli")
    stranger.get_by_role("link", name="Sign in with SSO").click()
    stranger.get_by_placeholder("sub").fill("gavin")
    stranger.get_by_role("button", name="Authorize").click()
    expect(stranger.get_by_role("alert")).to_contain_text(
        "not open to addresses at piedpiper.example"
    )
