"""Every console page on a laptop and on a 390 px phone: none scrolls sideways on the
phone (the document is no wider than the screen), and axe-core finds nothing serious or
critical on any of them, at either width, signed in or not."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

from spacegate.runtime import Runtime
from tests.environments.factories import new_environment, new_launchable
from tests.factories import Person, add_member, new_account, new_space, new_user
from tests.policies.factories import new_policy
from tests.tags.factories import new_tag
from tests.web.axe import Axe
from tests.web.browsing import PHONE, NewPage, Shoot, fits, named, sign_in
from tests.web.live import CHROMIUM, NO_CHROMIUM

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason=NO_CHROMIUM)

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
expect = sync_api.expect

if TYPE_CHECKING:
    pass

POLICY = """package spacegate.max_duration

deny contains msg if {
    input.duration_minutes > data.max_minutes
    msg := sprintf("At most %d minutes.", [data.max_minutes])
}
"""


# --- every console page: no sideways scroll at 390 px, and axe-clean at both widths ----------


@dataclass(frozen=True)
class Tour:
    account: str
    admin: Person
    environment: str


@pytest.fixture(scope="module")
def tour(live_runtime: Runtime) -> Tour:
    admin = named(
        live_runtime, new_account(live_runtime, "everywhere", "ada@everywhere.example"), "Ada", "L"
    )
    dev = new_space(live_runtime, admin.account_id, "dev")
    new_space(live_runtime, admin.account_id, "a-space-with-a-rather-long-name-for-phones")
    for index, role in enumerate(("Space Admin", "Space Developer", "Space Member")):
        person = new_user(live_runtime, admin.account_id, f"person-{index}@everywhere.example")
        add_member(live_runtime, dev, person.user_id, role)
    new_launchable(live_runtime, dev)
    new_tag(live_runtime, admin.account_id, "team", possible_values=("red", "blue"))
    new_policy(live_runtime, dev, "max-duration", source=POLICY, data={"max_minutes": 60})
    environment = new_environment(live_runtime, dev, admin, name="long-running", cost_per_hour=0.75)
    return Tour("everywhere", admin, environment)


PAGES = (
    "/",
    "/admin",
    "/admin/users",
    "/admin/users/invite",
    "/admin/roles",
    "/admin/roles/new",
    "/admin/spaces",
    "/admin/spaces/dev/rename",
    "/admin/spaces/dev/delete",
    "/admin/cloudaccounts",
    "/admin/cloudaccounts/new?provider=aws",
    "/admin/cloudaccounts/kubernetes/new",
    "/admin/tags",
    "/admin/tags/new",
    "/admin/audit",
    "/profile",
    "/spaces/dev",
    "/spaces/dev/catalog",
    "/spaces/dev/environments",
    "/spaces/dev/environments/new?blueprint=web-app",
    "/spaces/dev/blueprints",
    "/spaces/dev/blueprints/platform/web-app/tags",
    "/spaces/dev/repositories",
    "/spaces/dev/cost",
    "/spaces/dev/settings/users",
    "/spaces/dev/settings/users/add",
    "/spaces/dev/settings/tags",
    "/spaces/dev/settings/policies",
    "/spaces/dev/settings/policies/new",
    "/spaces/nowhere",  # a 404 in the console's layout
)


@pytest.mark.parametrize("width", [1280, PHONE], ids=["laptop", "phone"])
def test_every_console_page_fits_and_passes_axe(
    new_page: NewPage, tour: Tour, axe: Axe, shoot: Shoot, width: int
) -> None:
    page = new_page(width=width)
    sign_in(page, tour.account, tour.admin.email)
    for path in (*PAGES, f"/spaces/dev/environments/{tour.environment}"):
        response = page.goto(path)
        assert response is not None and response.status in (200, 404), (path, response.status)
        if width == PHONE:
            fits(page)
        axe.check(page)
    page.goto("/spaces/nowhere")
    # A refusal keeps the console around it: the menu and who is signed in.
    expect(page.locator("nav#menu[aria-label=Main]")).to_have_count(1)  # folded on a phone
    expect(page.locator(".usermenu")).to_contain_text("Ada L")
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    if width == PHONE:
        for path, name in (
            ("/admin/users", "phone-admin-users"),
            ("/spaces/dev/settings/users", "phone-space-users"),
        ):
            page.goto(path)
            shoot(page, name)
    signed_out = new_page(width=width)
    for path in ("/login", "/signup?secret=not-a-real-one"):
        signed_out.goto(path)
        if width == PHONE:
            fits(signed_out)
        axe.check(signed_out)
