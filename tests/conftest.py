"""Fixtures shared by every test layer.

The database is the configured engine: embedded by default, a real MongoDB when MONGODB_URI
is set (a database named slotkeeper_test is emptied before each test).
"""
import ipaddress
import os
import socket
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
    return Settings(mongodb_uri=os.environ.get("MONGODB_URI") or None,
                    mongodb_db="slotkeeper_test", expiry_job_enabled=False, migrate_on_start=True,
                    log_level="WARNING", **overrides)


test_settings.__test__ = False  # a helper, not a test

PUBLIC_EXAMPLE_ADDRESS = "93.184.215.14"


def offline_resolve(host: str, port: int) -> list[str]:
    """Name resolution without a DNS query: an address stands for itself, localhost is
    127.0.0.1, example.com and its subdomains are a public address; any other name does not
    resolve. Tests send traffic to 127.0.0.1 only, and look nothing up."""
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        pass
    if host == "localhost":
        return ["127.0.0.1"]
    if host == "example.com" or host.endswith(".example.com"):
        return [PUBLIC_EXAMPLE_ADDRESS]
    raise socket.gaierror(socket.EAI_NONAME, f"{host} is not known to the tests")


@pytest.fixture(autouse=True, scope="session")
def _no_dns_lookups():
    """Webhook destinations are resolved by offline_resolve in every test."""
    from slotkeeper.outbound import network
    real, network.resolve = network.resolve, offline_resolve
    yield
    network.resolve = real


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

    def slot(self, service_id: str | None = None, start: datetime | None = None,
             minutes: int = 30, capacity: int = 1) -> dict:
        service_id = service_id or self.service()["id"]
        start = start or NOW + timedelta(days=1)
        body = {"serviceId": service_id, "startTime": start.isoformat(),
                "endTime": (start + timedelta(minutes=minutes)).isoformat(), "capacity": capacity}
        response = self.client.post("/api/v1/slots", json=body)
        assert response.status_code == 201, response.json
        return response.json

    def hold(self, slot_id: str, user: str = "u1", seats: int = 1, **headers):
        return self.client.post("/api/v1/appointments/hold", headers=headers,
                                json={"slotId": slot_id, "userId": user, "seats": seats})

    def book(self, slot_id: str, user: str = "u1", seats: int = 1, **headers):
        return self.client.post("/api/v1/appointments/book", headers=headers,
                                json={"slotId": slot_id, "userId": user, "seats": seats})

    def get_slot(self, slot_id: str) -> dict:
        return self.client.get(f"/api/v1/slots/{slot_id}").json


@pytest.fixture
def api(client) -> Api:
    return Api(client)
