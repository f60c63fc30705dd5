"""The console walked through as its four users would, on a laptop and on a 390 px
phone, with axe-core on every page: the Account Admin from "Administration", a
re-invite that merges, a keyboard user in a role dropdown, a Space Member launching
from a phone and following the launch to Active (and its end to Ended) without a
reload, a repository synced on connect. Every page at both widths: test_console_every_page.

One account (tenant) per test on the module's shared server, as in test_browser.py.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select

from spacegate.db import transaction
from spacegate.invitations.models import Invitation
from spacegate.invitations.terms import terms_of
from spacegate.runtime import Runtime
from tests.blueprints.gitrepo import example_origin
from tests.environments.factories import new_launchable
from tests.factories import add_member, new_account, new_space, new_user
from tests.web.axe import Axe
from tests.web.browsing import PHONE, NewPage, Shoot, fits, named, sign_in
from tests.web.live import CHROMIUM, NO_CHROMIUM

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason=NO_CHROMIUM)

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
expect = sync_api.expect

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page


def row_of(page: Page, text: str) -> Locator:
    return page.get_by_role("row").filter(has_text=text)


def pending_roles(runtime: Runtime, account_id: int, email: str) -> tuple[str, list[str]]:
    """The account role and spaces of the address's pending invitation, as stored."""
    with transaction(runtime.sessions, write=False) as session:
        invitation = session.scalars(
            select(Invitation).where(
                Invitation.account_id == account_id,
                Invitation.email == email,
                Invitation.state == "pending",
            )
        ).one()
        terms = terms_of(session, account_id, [invitation])[invitation.id]
        return terms.account_role, [f"{g.space_name}: {g.space_role}" for g in terms.spaces]


# --- an Account Admin, new, on a laptop: the seed's procedure from "Administration" -------


def test_a_new_account_admin_invites_from_administration(
    new_page: NewPage, live_runtime: Runtime, axe: Axe, shoot: Shoot
) -> None:
    admin = named(live_runtime, new_account(live_runtime, "first", "ada@first.example"), "Ada", "L")
    page = new_page()
    sign_in(page, "first", admin.email)

    # An empty account: a getting-started list, not "ask an admin".
    start = page.get_by_role("region", name="Getting started")
    expect(start.get_by_role("link", name="Create a space")).to_be_visible()
    expect(start.get_by_role("link", name="Invite people")).to_be_visible()
    expect(page.get_by_text("Ask a Space Admin")).to_have_count(0)
    axe.check(page)
    shoot(page, "home-getting-started")
    start.get_by_role("link", name="Create a space").click()
    page.get_by_label("Name", exact=True).fill("dev")
    page.get_by_role("button", name="Create space").click()
    expect(page.get_by_role("status")).to_contain_text("Created the space dev.")

    # "Open the Administration page", "go to the Users tab", "click Invite User".
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Administration").click()
    expect(page.get_by_role("heading", name="Administration", level=1)).to_be_visible()
    tabs = page.get_by_role("navigation", name="Administration")
    expect(tabs.get_by_role("link")).to_have_text(
        [
            "Users",
            "Groups",
            "Roles",
            "Spaces",
            "Cloud Accounts",
            "Tags",
            "Identity provider",
            "Audit log",
        ]
    )
    axe.check(page)
    shoot(page, "administration")
    tabs.get_by_role("link", name="Users").click()
    expect(row_of(page, admin.email)).to_contain_text("This is you")  # no Remove on oneself
    expect(
        row_of(page, admin.email).get_by_role("button", name=re.compile("Remove"))
    ).to_have_count(0)
    expect(page.get_by_label(f"Account role of {admin.email}")).to_have_value("Admin")
    expect(
        page.get_by_label(f"Account role of {admin.email}").locator("option:checked")
    ).to_have_text("Account Admin")
    axe.check(page)
    page.get_by_role("link", name="Invite User").click()
    page.get_by_label("Email address").fill("grace@first.example")
    page.get_by_label("Space 1", exact=True).fill("dev")
    page.get_by_label("Space role 1", exact=True).select_option("Space Developer")
    axe.check(page)
    page.get_by_role("button", name="Send Invitation").click()
    expect(page.get_by_role("status")).to_contain_text(
        "grace@first.example: invitation sent (Account Member; dev: Space Developer)."
    )
    axe.check(page)


# --- re-inviting never narrows silently ----------------------------------------------------


def test_re_inviting_merges_unless_replace_is_chosen(
    new_page: NewPage, live_runtime: Runtime, axe: Axe, shoot: Shoot
) -> None:
    admin = new_account(live_runtime, "merge", "ada@merge.example")
    new_space(live_runtime, admin.account_id, "dev")
    new_space(live_runtime, admin.account_id, "prod")
    new_user(live_runtime, admin.account_id, "bob@merge.example")
    page = new_page()
    sign_in(page, "merge", admin.email)

    def invite(emails: str, space: str, role: str, *, replace: bool = False) -> None:
        page.goto("/admin/users/invite")
        page.get_by_label("Email address").fill(emails)
        page.get_by_label("Space 1", exact=True).fill(space)
        page.get_by_label("Space role 1", exact=True).select_option(role)
        if replace:
            page.get_by_label("Replace its roles with these").check()
        page.get_by_role("button", name="Send Invitation").click()

    invite("carol@merge.example", "dev", "Space Developer")
    expect(page.get_by_role("status")).to_contain_text("carol@merge.example: invitation sent")

    # The form shows the pending invitation's roles as the address is typed.
    page.goto("/admin/users/invite")
    page.get_by_label("Email address").fill("carol@merge.example")
    expect(page.locator("#pending-note")).to_contain_text(
        "carol@merge.example (Account Member; dev: Space Developer)"
    )
    expect(page.get_by_label("Add these roles to its pending invitation")).to_be_checked()
    shoot(page, "invite-user")

    # Merged by default: dev stays, prod is added; said per address.
    invite("carol@merge.example, bob@merge.example", "prod", "Space Admin")
    status = page.get_by_role("status")
    expect(status).to_contain_text(
        "carol@merge.example: merged into the pending invitation, sent again "
        "(Account Member; dev: Space Developer, prod: Space Admin)."
    )
    expect(status).to_contain_text("bob@merge.example: already a user: added.")
    assert pending_roles(live_runtime, admin.account_id, "carol@merge.example") == (
        "Member",
        ["dev: Space Developer", "prod: Space Admin"],
    )
    axe.check(page)

    # Replace only when chosen.
    invite("carol@merge.example", "prod", "Space Member", replace=True)
    expect(page.get_by_role("status")).to_contain_text("pending invitation replaced")
    assert pending_roles(live_runtime, admin.account_id, "carol@merge.example") == (
        "Member",
        ["prod: Space Member"],
    )

    # A partial failure keeps only the addresses that failed.
    invite("dan@merge.example, not-an-address", "dev", "Space Member")
    expect(page.get_by_role("alert").first).to_contain_text("dan@merge.example: invitation sent")
    expect(page.get_by_label("Email address")).to_have_value("not-an-address")
    axe.check(page)
    shoot(page, "invite-user-partial")


# --- no change of access without an explicit action -----------------------------------------


def test_a_keyboard_user_changes_no_role_until_save(
    new_page: NewPage, live_runtime: Runtime, axe: Axe
) -> None:
    admin = new_account(live_runtime, "keys", "ada@keys.example")
    dev = new_space(live_runtime, admin.account_id, "dev")
    lead = new_user(live_runtime, admin.account_id, "sam@keys.example")
    add_member(live_runtime, dev, lead.user_id, "Space Admin")
    member = new_user(live_runtime, admin.account_id, "mia@keys.example")
    add_member(live_runtime, dev, member.user_id, "Space Member")

    page = new_page()
    sign_in(page, "keys", lead.email)
    # "In a space, select Settings from the left menu."
    page.get_by_role("navigation", name="Main").get_by_role("link", name="dev").click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    expect(page).to_have_url(re.compile(r"/spaces/dev/settings/users$"))
    axe.check(page)

    role = page.get_by_label(f"Space role of {member.email}")
    role.focus()
    page.keyboard.press("ArrowUp")  # one arrow key: another role is chosen...
    expect(role).not_to_have_value("Space Member")
    page.keyboard.press("Tab")
    page.goto("/spaces/dev/settings/users")  # ...and nothing was saved
    expect(role).to_have_value("Space Member")

    # Save asks first when the role gives more; declining changes nothing.
    role.select_option("Space Admin")
    save = page.get_by_role("button", name=f"Save role for {member.email}")
    asked: list[str] = []

    def decline(dialog: object) -> None:
        asked.append(dialog.message)  # type: ignore[attr-defined]
        dialog.dismiss()  # type: ignore[attr-defined]

    page.once("dialog", decline)
    save.click()
    assert asked and "Space Admin" in asked[0]
    page.goto("/spaces/dev/settings/users")
    expect(role).to_have_value("Space Member")

    # Confirmed: saved, and the focus comes back to the role changed.
    role.select_option("Space Admin")
    page.once("dialog", lambda dialog: dialog.accept())
    save.click()
    expect(page.get_by_role("status")).to_contain_text(f"{member.email} is now Space Admin.")
    expect(page.get_by_label(f"Space role of {member.email}")).to_be_focused()

    # Removing a member asks too.
    page.once("dialog", lambda dialog: dialog.dismiss())
    row_of(page, member.email).get_by_role("button", name=re.compile("Remove")).click()
    page.goto("/spaces/dev/settings/users")
    expect(row_of(page, member.email)).to_have_count(1)


# --- a Space Member on a phone: the catalog, a launch followed to Active ---------------------


def test_a_space_member_launches_from_a_phone(
    new_page: NewPage, live_runtime: Runtime, axe: Axe, shoot: Shoot
) -> None:
    admin = new_account(live_runtime, "pocket", "ada@pocket.example")
    dev = new_space(live_runtime, admin.account_id, "dev")
    member = new_user(live_runtime, admin.account_id, "mia@pocket.example")
    add_member(live_runtime, dev, member.user_id, "Space Member")
    new_launchable(live_runtime, dev)

    page = new_page(width=PHONE)
    sign_in(page, "pocket", member.email)
    fits(page)
    menu = page.get_by_role("navigation", name="Main")
    expect(menu).to_be_hidden()  # folded away behind the Menu button
    page.get_by_role("button", name="Menu").click()
    expect(menu).to_be_visible()
    axe.check(page)
    shoot(page, "phone-menu")
    menu.get_by_role("link", name="dev").click()
    page.get_by_role("navigation", name="Space").get_by_role("link", name="Catalog").click()
    page.wait_for_url(re.compile(r"/catalog"))
    fits(page)
    axe.check(page)
    page.get_by_role("link", name="Launch web-app from platform").click()
    page.get_by_label("Environment name").fill("pocket-demo")
    page.get_by_label("hostname").fill("web.example.com")
    page.get_by_label("db_password").fill("a secret value")
    fits(page)
    axe.check(page)
    page.get_by_role("button", name="Launch", exact=True).click()
    expect(page.get_by_role("status").first).to_contain_text("Launching the sandbox pocket-demo")
    # Followed by the page itself, grain by grain, to Active: no reload.
    page.evaluate("() => { window.notReloaded = true; }")
    expect(page.locator("#progress")).to_be_visible()
    expect(page.locator("#status")).to_have_text("Active", timeout=30_000)
    assert page.evaluate("() => window.notReloaded === true")
    expect(page.locator("#progress")).not_to_contain_text("waiting")
    fits(page)
    axe.check(page)
    shoot(page, "phone-environment")

    # Ending is followed the same way, to Ended.
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="End environment").click()
    expect(page.get_by_role("status").first).to_contain_text("Ending pocket-demo")
    page.evaluate("() => { window.notReloaded = true; }")
    expect(page.locator("#status")).to_have_text("Ended", timeout=30_000)
    assert page.evaluate("() => window.notReloaded === true")


# --- long work shows progress: connect syncs at once, Sync says "Syncing…" --------------------


def test_a_repository_syncs_on_connect_and_sync_shows_progress(
    new_page: NewPage, live_runtime: Runtime, axe: Axe, tmp_path: Path
) -> None:
    admin = new_account(live_runtime, "gitty", "ada@gitty.example")
    dev = new_space(live_runtime, admin.account_id, "dev")
    lead = new_user(live_runtime, admin.account_id, "sam@gitty.example")
    add_member(live_runtime, dev, lead.user_id, "Space Admin")
    origin = example_origin(tmp_path / "platform")

    page = new_page()
    sign_in(page, "gitty", lead.email)
    page.goto("/spaces/dev/repositories")
    page.get_by_label("Name", exact=True).fill("platform")
    page.get_by_label("Git URL").fill(origin.url)
    page.get_by_role("button", name="Connect repository").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Connected the repository platform. Synced platform at"
    )
    axe.check(page)

    # While the sync runs the button says so and cannot be pressed again. (The form is
    # stopped from leaving here, after the page's own handler ran, to look at it then.)
    page.evaluate(
        "() => document.querySelector('form[action$=\"/platform/sync\"]')"
        ".addEventListener('submit', event => event.preventDefault())"
    )
    sync = page.get_by_role("button", name="Sync platform")
    sync.click()
    expect(sync).to_be_disabled()
    expect(sync).to_have_text("Syncing…")
    page.reload()
    page.get_by_role("button", name="Sync platform").click()
    expect(page.get_by_role("status")).to_contain_text("Synced platform at")
    expect(page.get_by_role("button", name="Sync platform")).to_be_enabled()
