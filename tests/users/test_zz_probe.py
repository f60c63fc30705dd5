import pytest
from fastapi.testclient import TestClient
from tests.factories import Person


@pytest.mark.parametrize("i", range(40))
def test_fixture_only(client: TestClient, admin: Person, i: int) -> None:
    pass


@pytest.mark.parametrize("i", range(40))
def test_ten_requests(client: TestClient, admin: Person, i: int) -> None:
    for _ in range(10):
        client.get("/api/me", headers=admin.headers)
