"""Fixtures shared by every test layer.

The database is the configured engine: embedded by default, a real MongoDB when MONGODB_URI
is set (a database named slotkeeper_test is emptied before each test).
"""

import os
from datetime import UTC, datetime, timedelta

import pytest

from slotkeeper import create_app
from slotkeeper.config import Settings
from slotkeeper.database.connection import drop_all

NOW = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime = NOW):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def test_settings(**overrides) -> Settings:
    return Settings(
        mongodb_uri=os.environ.get("MONGODB_URI") or None,
        mongodb_db="slotkeeper_test",
        expiry_job_enabled=False,
        migrate_on_start=True,
        log_level="WARNING",
        **overrides,
    )


test_settings.__test__ = False  # a helper, not a test


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def app(clock):
    app = create_app(test_settings(), clock=clock)
    with app.app_context():
        drop_all()
    yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def repos(app):
    from slotkeeper.context import current_repos

    with app.app_context():
        yield current_repos()


class Api:
    """Small helpers over the test client for building state through the real API."""

    def __init__(self, client):
        self.client = client

    def service(self, **fields) -> dict:
        response = self.client.post("/api/v1/services", json={"name": "Dr. Who", **fields})
        assert response.status_code == 201, response.json
        return response.json

    def slot(
        self,
        service_id: str | None = None,
        start: datetime | None = None,
        minutes: int = 30,
        capacity: int = 1,
    ) -> dict:
        service_id = service_id or self.service()["id"]
        start = start or NOW + timedelta(days=1)
        body = {
            "serviceId": service_id,
            "startTime": start.isoformat(),
            "endTime": (start + timedelta(minutes=minutes)).isoformat(),
            "capacity": capacity,
        }
        response = self.client.post("/api/v1/slots", json=body)
        assert response.status_code == 201, response.json
        return response.json

    def hold(self, slot_id: str, user: str = "u1", seats: int = 1, **headers):
        return self.client.post(
            "/api/v1/appointments/hold",
            headers=headers,
            json={"slotId": slot_id, "userId": user, "seats": seats},
        )

    def book(self, slot_id: str, user: str = "u1", seats: int = 1, **headers):
        return self.client.post(
            "/api/v1/appointments/book",
            headers=headers,
            json={"slotId": slot_id, "userId": user, "seats": seats},
        )

    def get_slot(self, slot_id: str) -> dict:
        return self.client.get(f"/api/v1/slots/{slot_id}").json


@pytest.fixture
def api(client) -> Api:
    return Api(client)
