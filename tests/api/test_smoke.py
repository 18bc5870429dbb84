from fastapi.testclient import TestClient

from tests.factories import bearer


def test_me(client: TestClient, admin_token: str) -> None:
    response = client.get("/v1/me", headers=bearer(admin_token))
    assert response.status_code == 200
    assert response.json()["role"] == "admin"
