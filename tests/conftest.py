"""Fixtures shared by every test layer.

The database is the configured engine: embedded by default, a real MongoDB when MONGODB_URI
is set, or a SecantusDB server started for the run with `--secantusdb` (a database named
slotkeeper_test, or slotkeeper_test_gwN for pytest-xdist worker N, is emptied before each test).

The app with the default test settings is built once per session and reused: each test gets
it connected, on an empty database, with the clock back at NOW. A test that needs an app of
its own (other settings, fresh metrics) builds it with create_app, or asks for one with
`@pytest.mark.fresh_app`.
"""

import ipaddress
import os
import signal
import socket
from datetime import UTC, datetime, timedelta

import mongoengine
import pytest
from mongoengine.connection import DEFAULT_CONNECTION_NAME, get_connection

from slotkeeper import create_app
from slotkeeper.config import Settings
from slotkeeper.context import EXTENSION
from slotkeeper.database.connection import connect, drop_all

NOW = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
# one database per pytest-xdist worker, so workers sharing a server never meet
TEST_DB = "_".join(filter(None, ["slotkeeper_test", os.environ.get("PYTEST_XDIST_WORKER")]))


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
        mongodb_db=TEST_DB,
        expiry_job_enabled=False,
        migrate_on_start=True,
        log_level="WARNING",
        **overrides,
    )


test_settings.__test__ = False  # a helper, not a test


def on_a_server() -> bool:
    """Whether the tests run against a database server rather than the embedded engine."""
    return bool(os.environ.get("MONGODB_URI"))


def examples(n: int) -> int:
    """How many examples a generated test tries: n on the embedded engine, a quarter on a
    server, where each costs tens of round trips. What they vary is the input, not the engine:
    the embedded run covers the inputs, the server run the path to a real database."""
    return max(5, n // 4) if on_a_server() else n


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


def pytest_addoption(parser):
    parser.addoption(
        "--secantusdb",
        action="store_true",
        help="run against a SecantusDB server started for this run (free port, "
        "temporary data directory), instead of MONGODB_URI or the embedded "
        "engine",
    )


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "fresh_app: the test gets an app of its own rather than "
        "the session's (for instance to count metrics from 0)",
    )
    # with pytest-xdist every worker starts a server of its own (failpoints are server-wide,
    # and one server process is one core), and the controller, which runs no test, none
    controller = getattr(config.option, "numprocesses", None) and not hasattr(config, "workerinput")
    if config.getoption("secantusdb") and not controller:
        from tests.secantus import SecantusServer

        # SIGTERM (a CI timeout, say) ends the session like Ctrl-C, so the server is stopped too
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        server = SecantusServer()
        config.secantus_server = server  # stopped in pytest_unconfigure, also after failures
        server.start()
        os.environ["MONGODB_URI"] = server.uri


# Tests that never reach the configured database run in the embedded run only: the domain's
# unit tests, and the live, tooling and browser tests, whose servers (`make run`) always use the
# embedded engine. On a server they would repeat the embedded run exactly. So do the
# explorer's own tests: their calls match no document, and what they check is the order of
# the calls (every schedule of random programs: minutes of round trips on a server).
ENGINE_INDEPENDENT = (
    "tests/unit/",
    "tests/live/",
    "tests/tooling/",
    "tests/e2e/",
    "tests/integration/test_lockstep.py",
    # the embedded engine against plain mongomock, in process
    "tests/integration/test_embedded_engine.py",
    "tests/integration/test_embedded_queries.py",
    # gunicorn serving the embedded engine, whatever database the run uses
    "tests/production/test_gunicorn.py",
    # the slot planner's properties: pure functions
    "tests/fuzz/test_schedule_limit_properties.py",
)


def pytest_collection_modifyitems(config, items):
    if not config.getoption("secantusdb"):
        return
    independent = [i for i in items if i.nodeid.startswith(ENGINE_INDEPENDENT)]
    if independent:
        config.hook.pytest_deselected(items=independent)
        items[:] = [i for i in items if not i.nodeid.startswith(ENGINE_INDEPENDENT)]


def pytest_unconfigure(config):
    server = getattr(config, "secantus_server", None)
    if server is not None:
        server.close()


def pytest_report_header(config):
    uri = os.environ.get("MONGODB_URI")
    if config.getoption("secantusdb") and getattr(config, "secantus_server", None) is None:
        return "database: a SecantusDB server started by each pytest-xdist worker"
    if getattr(config, "secantus_server", None) is not None:
        return f"database: SecantusDB server at {uri} (data in {config.secantus_server.data_dir})"
    return f"database: {'MongoDB at ' + uri if uri else 'embedded engine'}"


@pytest.fixture(scope="session")
def session_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def clock(session_clock) -> FakeClock:
    session_clock.now = NOW
    return session_clock


class SessionApp:
    """The app with the default test settings, built once; `connected` gives it back the
    database connection when a test connected another app since (MongoEngine has one
    default connection per process)."""

    def __init__(self, clock: FakeClock, **overrides):
        self.app = create_app(test_settings(**overrides), clock=clock)
        self.client = get_connection()

    def connected(self):
        current = mongoengine.connection._connections.get(DEFAULT_CONNECTION_NAME)
        if current is not self.client:
            connect(self.app.extensions[EXTENSION].settings)
            self.client = get_connection()
        return self.app


@pytest.fixture(scope="session")
def session_app(session_clock) -> SessionApp:
    return SessionApp(session_clock)


@pytest.fixture
def app(request, session_app, clock):
    if request.node.get_closest_marker("fresh_app"):
        app = create_app(test_settings(), clock=clock)
    else:
        app = session_app.connected()
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
