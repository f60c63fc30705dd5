"""Role names that look like others are refused (finding 10 of the security review):
names are normalised (NFKC, whitespace collapsed), and a name whose characters are
confusable with an existing role's (a built-in one's included) is refused."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from spacegate.lookalikes import normal_name, skeleton
from tests.api_helpers import error_of
from tests.factories import Person

ROLES = "/api/settings/roles"
CYRILLIC_S, CYRILLIC_A, CYRILLIC_O = "\u0405", "\u0410", "\u043e"


def _create(client: TestClient, admin: Person, name: str, level: str = "space") -> object:
    return client.post(
        ROLES,
        json={"name": name, "level": level, "permissions": ["VIEW_SPACE"]},
        headers=admin.headers,
    )


@pytest.mark.parametrize(
    "name",
    [
        "Space\u00a0Admin",
        "Space  Admin",
        " Space Admin\u2003",
        f"{CYRILLIC_S}pace {CYRILLIC_A}dmin",
        "".join(chr(ord(ch) + 0xFEE0) if ch != " " else ch for ch in "SPACE ADMIN"),  # fullwidth
        "Space Adm\u0131n",  # dotless i
    ],
)
def test_a_name_that_looks_like_a_built_in_role_is_refused(
    client: TestClient, admin: Person, name: str
) -> None:
    refused = _create(client, admin, name)
    message = error_of(refused, 409)["message"]
    assert "space admin" in message.lower()
    assert client.get(ROLES, headers=admin.headers).json()[-1]["name"] != name


def test_a_name_that_looks_like_a_custom_role_is_refused(client: TestClient, admin: Person) -> None:
    assert _create(client, admin, "Deployer").status_code == 201
    error_of(_create(client, admin, f"Dep l{CYRILLIC_O}yer".replace(" ", "")), 409)
    # Renaming another role into a lookalike is refused the same way.
    assert _create(client, admin, "Viewer").status_code == 201
    renamed = client.put(
        f"{ROLES}/Viewer", json={"name": f"Depl{CYRILLIC_O}yer"}, headers=admin.headers
    )
    error_of(renamed, 409)
    # A name is stored in its normal form.
    created = _create(client, admin, "Release\u00a0\u00a0Manager")
    assert created.json()["name"] == "Release Manager"  # type: ignore[attr-defined]


def test_skeletons() -> None:
    assert normal_name(" a\u00a0\u00a0b ") == "a b"
    assert skeleton(f"{CYRILLIC_S}pace {CYRILLIC_A}dmin") == skeleton("Space Admin")
    assert skeleton("Space Admin") != skeleton("Space Member")
