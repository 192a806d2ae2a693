"""A real server going away under traffic and coming back: a SecantusDB server of the test's
own (its own port and data directory) is stopped, or killed with SIGKILL, while threads book;
every request in the outage is a 503 in the error shape within about MONGODB_TIMEOUT_MS,
health says "unavailable", the expiry job logs one line; started again on the same data
directory, the same app answers again without a restart and no booking answered 201 is lost."""

import logging
import threading
import time
from collections import Counter

import mongoengine
import pytest

from slotkeeper import create_app
from slotkeeper.jobs.expiry_job import run_expiry
from tests.conftest import Api, test_settings
from tests.invariants import assert_all_invariants
from tests.production.conftest import needs_server
from tests.secantus import SecantusServer

pytestmark = needs_server  # starts a server of its own; run with the server suite

TIMEOUT_MS = 500
# the client's timeoutMS, plus pymongo's half-second steps while it waits for a server to
# appear, plus room for a busy machine (two test runs side by side on two cores)
WITHIN = TIMEOUT_MS / 1000 + 0.5 + 1.0


def within(results: list, before: float) -> float:
    """WITHIN, plus twice the slowest answer while the server was up: on a machine busy enough
    that a booking waits for a core, a refusal waits as long (a baseline of the same run)."""
    healthy = [seconds for started, seconds, code, _ in results if started < before]
    return WITHIN + 2 * max(healthy, default=0.0)


TRAFFIC_THREADS = 4
MAX_REQUESTS = 3000  # per thread: a bound, never reached while the test steers the traffic


@pytest.fixture
def own_server(tmp_path):
    server = SecantusServer(data_dir=tmp_path / "data", log_path=tmp_path / "secantus.log")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def outage_app(own_server, clock):
    settings = test_settings().with_overrides(
        mongodb_uri=own_server.uri, mongodb_timeout_ms=TIMEOUT_MS
    )
    app = create_app(settings, clock=clock)
    yield app
    mongoengine.disconnect()  # the next test's app connects again


class Traffic:
    """Threads booking one seat each, for new users, until told to stop."""

    def __init__(self, app, slot_id: str):
        self.app, self.slot_id = app, slot_id
        self.results: list[tuple[float, float, int, dict]] = []  # started, seconds, status, body
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.threads = [
            threading.Thread(target=self._run, args=(n,), daemon=True)
            for n in range(TRAFFIC_THREADS)
        ]

    def _run(self, n: int) -> None:
        client = self.app.test_client()
        for i in range(MAX_REQUESTS):
            if self.stopped.is_set():
                return
            started = time.monotonic()
            response = client.post(
                "/api/v1/appointments/book",
                json={"slotId": self.slot_id, "userId": f"user-{n}-{i}"},
            )
            with self.lock:
                self.results.append(
                    (started, time.monotonic() - started, response.status_code, response.json)
                )

    def count(self, status: int, since: float = 0.0) -> int:
        with self.lock:
            return sum(
                1 for started, _, code, _ in self.results if code == status and started >= since
            )

    def wait_for(self, status: int, count: int, since: float = 0.0, seconds: float = 60):
        deadline = time.monotonic() + seconds
        while self.count(status, since) < count:
            assert time.monotonic() < deadline, (
                f"fewer than {count} answers {status} within {seconds} s: {self.summary()}"
            )
            time.sleep(0.02)

    def summary(self) -> Counter:
        with self.lock:
            return Counter(code for _, _, code, _ in self.results)

    def __enter__(self) -> "Traffic":
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopped.set()
        for thread in self.threads:
            thread.join(timeout=30)


@pytest.mark.parametrize("how", ["stop", "kill"])
def test_a_server_that_goes_away_under_traffic_is_503s_then_recovered_without_losing_a_booking(
    outage_app, own_server, clock, caplog, how
):
    api = Api(outage_app.test_client())
    slot = api.slot(capacity=10_000)
    with Traffic(outage_app, slot["id"]) as traffic:
        traffic.wait_for(201, 20)
        down = time.monotonic()
        getattr(own_server, how)()  # SIGTERM, or SIGKILL in the middle of writes
        traffic.wait_for(503, 3 * TRAFFIC_THREADS, since=down)

        started = time.monotonic()
        health = api.client.get("/api/v1/health")
        assert time.monotonic() - started < within(traffic.results, down)
        assert (health.status_code, health.json["database"]) == (503, "unavailable")
        with caplog.at_level(logging.WARNING, logger="slotkeeper.jobs.expiry_job"):
            run_expiry(outage_app)
        assert [r.getMessage() for r in caplog.records if r.name.endswith("expiry_job")] == [
            "expiry sweep skipped, the database is unavailable: ServerSelectionTimeoutError"
        ]

        own_server.start()  # same port, same data directory
        up = time.monotonic()
        traffic.wait_for(201, 1, since=up)
        recovered = min(s + t for s, t, code, _ in traffic.results if code == 201 and s >= up) - up
    assert api.client.get("/api/v1/health").status_code == 200

    codes = traffic.summary()
    assert set(codes) == {201, 503}, codes
    unavailable = [
        (seconds, body) for started, seconds, code, body in traffic.results if code == 503
    ]
    for _, body in unavailable:
        assert body["code"] == 503 and body["status"] == "Service Unavailable" and body["message"]
    slowest = max(seconds for seconds, _ in unavailable)
    assert slowest < within(traffic.results, down)

    booked = [body["id"] for _, _, code, body in traffic.results if code == 201]
    for appointment_id in booked:  # every booking answered 201 is still there
        response = api.client.get(f"/api/v1/appointments/{appointment_id}")
        assert (response.status_code, response.json["status"]) == (200, "BOOKED")
    assert api.get_slot(slot["id"])["bookedSeats"] >= len(booked)
    clock.advance(hours=1)  # a booking cut off between its writes is due for repair
    run_expiry(outage_app)
    with outage_app.app_context():
        assert_all_invariants()
    print(
        f"{how}: {dict(codes)}; slowest 503 {slowest:.2f} s (timeout {TIMEOUT_MS} ms); "
        f"first 201 {recovered:.2f} s after the server answered again; "
        f"{len(booked)} bookings answered 201, all kept"
    )
