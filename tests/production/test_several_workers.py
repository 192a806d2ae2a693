"""Several gunicorn workers for real, on a MongoDB server: 3 worker processes of 8 threads
each, every request over HTTP, every check through the API and the contract's invariants.

Races across processes have exactly the winners the seats allow; the expiry job running in all
three workers at once expires each hold exactly once; a worker killed with SIGKILL in the
middle of a storm leaves nothing that one sweep does not repair.
"""

import json
import logging
import os
import random
import signal
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from slotkeeper.jobs.expiry_job import run_expiry
from tests.conftest import TEST_DB
from tests.invariants import assert_all_invariants, assert_slot_invariants
from tests.production.conftest import needs_server, server_uri
from tests.production.test_gunicorn import BOOT_SECONDS, Gunicorn, wait_for

pytestmark = needs_server

WORKERS, THREADS = 3, 8
CLIENTS = 32  # client threads: more than the 24 request threads, so every worker stays busy
START = datetime(2099, 3, 2, 9, tzinfo=UTC)
HOLDS = 30  # expired by the three workers' sweeps


def cluster(tmp_path, **settings: str) -> Gunicorn:
    server = Gunicorn(
        tmp_path / "gunicorn.log",
        MONGODB_URI=server_uri(),
        MONGODB_DB=TEST_DB,
        WEB_CONCURRENCY=str(WORKERS),
        WEB_THREADS=str(THREADS),
        WEB_TIMEOUT="60",
        MIGRATE_ON_START="false",
        **settings,
    )
    try:
        wait_for(lambda: len(server.worker_pids()) >= WORKERS, BOOT_SECONDS, "three workers")
        wait_for(server.healthy, BOOT_SECONDS, "healthy answer")
    except BaseException:
        server.stop()  # a cluster that did not come up is not left running
        raise
    return server


@pytest.fixture(scope="module")
def workers(tmp_path_factory):
    """Three workers, no expiry job (the storms count seats exactly)."""
    server = cluster(tmp_path_factory.mktemp("workers"), EXPIRY_JOB_ENABLED="false")
    yield server
    server.stop()


class Client:
    """HTTP to the cluster: one keep-alive session per client thread, or with `keep_alive`
    off a connection per request (then the kernel hands each to whichever worker accepts
    first, where kept-alive connections may all have gone to one busy worker)."""

    def __init__(self, url: str, keep_alive: bool = True):
        self.url = url + "/api/v1"
        self.keep_alive = keep_alive
        self._local = threading.local()

    def _session(self) -> requests.Session:
        if not hasattr(self._local, "session"):
            self._local.session = requests.Session()
        return self._local.session

    def call(self, method: str, path: str, json=None) -> requests.Response:
        if not self.keep_alive:
            return requests.request(method, self.url + path, json=json, timeout=60)
        return self._session().request(method, self.url + path, json=json, timeout=60)

    def created(self, path: str, body: dict) -> dict:
        response = self.call("POST", path, body)
        assert response.status_code == 201, response.text
        return response.json()

    def slots(self, *capacities: int) -> list[dict]:
        service = self.created("/services", {"name": "Dr. Storm"})
        return [
            self.created(
                "/slots",
                {
                    "serviceId": service["id"],
                    "capacity": capacity,
                    "startTime": (START + timedelta(hours=i)).isoformat(),
                    "endTime": (START + timedelta(hours=i, minutes=30)).isoformat(),
                },
            )
            for i, capacity in enumerate(capacities)
        ]

    def take(self, verb: str, slot_id: str, user: str, seats: int = 1) -> requests.Response:
        return self.call(
            "POST", f"/appointments/{verb}", {"slotId": slot_id, "userId": user, "seats": seats}
        )

    def slot(self, slot_id: str) -> dict:
        return self.call("GET", f"/slots/{slot_id}").json()


def race(call, count: int, threads: int = CLIENTS) -> list:
    with ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(call, range(count)))


def codes(responses) -> Counter:
    return Counter(r.status_code for r in responses)


def reasons(responses) -> set:
    return {r.json().get("reason") for r in responses if r.status_code == 409}


def serving_processes(server: Gunicorn, path: str) -> set[int]:
    """The worker pids whose access log shows a request to `path`."""
    pids = set()
    for line in server.output().splitlines():
        if '"slotkeeper.access"' in line and path in line:
            pids.add(json.loads(line)["process"])
    return pids


def test_150_bookings_of_five_seats_across_three_workers_have_exactly_five_winners(app, workers):
    http = Client(workers.url, keep_alive=False)
    [slot] = http.slots(5)
    responses = race(lambda i: http.take("book", slot["id"], f"user-{i}"), 150)
    assert codes(responses) == {201: 5, 409: 145}
    assert reasons(responses) == {"SLOT_UNAVAILABLE"}
    assert http.slot(slot["id"])["bookedSeats"] == 5
    assert len(serving_processes(workers, "/appointments/book")) >= 2  # really several processes
    with app.app_context():
        assert_slot_invariants(slot["id"])


def test_150_holds_on_ten_seats_across_three_workers_hold_exactly_ten(app, workers):
    http = Client(workers.url)
    [slot] = http.slots(10)
    responses = race(lambda i: http.take("hold", slot["id"], f"user-{i}"), 150)
    assert codes(responses) == {201: 10, 409: 140}
    assert reasons(responses) == {"SLOT_UNAVAILABLE"}
    assert http.slot(slot["id"])["heldSeats"] == 10
    with app.app_context():
        assert_slot_invariants(slot["id"])


def test_40_reschedules_into_seven_seats_across_three_workers_move_exactly_seven(app, workers):
    http = Client(workers.url)
    here, there = http.slots(40, 7)
    booked = race(lambda i: http.take("book", here["id"], f"user-{i}"), 40)
    assert codes(booked) == {201: 40}
    moves = race(
        lambda i: http.call(
            "POST", f"/appointments/{booked[i].json()['id']}/reschedule", {"slotId": there["id"]}
        ),
        40,
    )
    assert codes(moves) == {200: 7, 409: 33}
    assert reasons(moves) == {"SLOT_UNAVAILABLE"}
    moved = {r.json()["id"] for r in moves if r.status_code == 200}
    for response in booked:
        appointment = http.call("GET", f"/appointments/{response.json()['id']}").json()
        assert appointment["slotId"] == (there if appointment["id"] in moved else here)["id"]
        assert appointment["status"] == "BOOKED"
    assert (http.slot(here["id"])["bookedSeats"], http.slot(there["id"])["bookedSeats"]) == (33, 7)
    with app.app_context():
        assert_all_invariants()


def metric(url: str, name: str) -> float:
    text = requests.get(url + "/metrics", timeout=10).text
    return sum(
        s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == name
    )


def sweep_lines(server: Gunicorn) -> list[dict]:
    return [
        entry
        for entry in map(
            json.loads, (line for line in server.output().splitlines() if line.startswith("{"))
        )
        if entry.get("event") == "sweep"
    ]


def test_the_expiry_job_in_three_workers_at_once_expires_each_hold_exactly_once(app, tmp_path):
    server = cluster(
        tmp_path,
        EXPIRY_JOB_ENABLED="true",
        EXPIRY_SWEEP_SECONDS="1",
        HOLD_TTL_SECONDS="2",
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"),
    )
    try:
        http = Client(server.url)
        slots = http.slots(10, 10, 10)
        holds = race(lambda i: http.take("hold", slots[i % 3]["id"], f"user-{i}"), HOLDS)
        assert codes(holds) == {201: HOLDS}

        def expired_so_far() -> int:
            return sum(entry["expired"] for entry in sweep_lines(server))

        wait_for(
            lambda: (
                expired_so_far() >= HOLDS
                and all(http.slot(s["id"])["heldSeats"] == 0 for s in slots)
            ),
            120,
            "every hold expired",
        )
        lines = sweep_lines(server)
        assert expired_so_far() == HOLDS  # counted in the decisions the three workers logged
        assert metric(server.url, "slotkeeper_expirations_total") == HOLDS  # and in metrics
        by_worker = Counter()
        for entry in lines:
            by_worker[entry["process"]] += entry["expired"]
        print(f"expirations by worker: {dict(by_worker)} in {len(lines)} sweep line(s)")
        statuses = Counter(
            http.call("GET", f"/appointments/{h.json()['id']}").json()["status"] for h in holds
        )
        assert statuses == {"EXPIRED": HOLDS}
        assert {http.slot(s["id"])["availableSeats"] for s in slots} == {10}
        with app.app_context():
            assert_all_invariants()
    finally:
        server.stop()


def _storm_step(http: Client, slots: list[dict], rng: random.Random, mine: list) -> int | None:
    """One random request; None when the connection broke (its worker was killed)."""
    action = rng.choice(["hold", "book", "confirm", "cancel", "reschedule"])
    try:
        if action in ("hold", "book") or not mine:
            response = http.take(
                "hold" if action not in ("hold", "book") else action,
                rng.choice(slots)["id"],
                f"user-{rng.randrange(400)}",
                seats=rng.choice([1, 1, 2]),
            )
            if response.status_code == 201:
                mine.append(response.json()["id"])
            return response.status_code
        appointment = rng.choice(mine)
        if action == "confirm":
            return http.call("POST", f"/appointments/{appointment}/confirm").status_code
        if action == "cancel":
            return http.call("PATCH", f"/appointments/{appointment}/cancel").status_code
        return http.call(
            "POST", f"/appointments/{appointment}/reschedule", {"slotId": rng.choice(slots)["id"]}
        ).status_code
    except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError):
        return None


def test_a_worker_killed_mid_storm_leaves_nothing_one_sweep_does_not_repair(
    app, workers, clock, caplog
):
    http = Client(workers.url)
    slots = http.slots(6, 6, 6, 6)
    steps, kill_after, done = 8, 80, Counter()
    guard, killed = threading.Lock(), []
    victim = workers.worker_pids()[-1]

    def client(i):
        rng, mine, results = random.Random(i), [], []
        for _ in range(steps):
            results.append(_storm_step(http, slots, rng, mine))
            with guard:
                done["steps"] += 1
                if done["steps"] == kill_after:
                    os.kill(victim, signal.SIGKILL)
                    killed.append(victim)
        return results

    results = [code for codes_ in race(client, CLIENTS) for code in codes_]
    assert killed == [victim] and len(results) == CLIENTS * steps
    answered = Counter(code for code in results if code is not None)
    assert all(code < 500 for code in answered), answered
    assert set(answered) <= {200, 201, 409}
    wait_for(
        lambda: len(set(workers.worker_pids()) - {victim}) >= WORKERS,
        BOOT_SECONDS,
        "a replacement worker",
    )

    with app.app_context():
        broken = []
        for slot in slots:
            try:
                assert_slot_invariants(slot["id"])
            except AssertionError:
                broken.append(slot["id"])
        clock.now = datetime.now(UTC) + timedelta(days=1)  # every hold and repair is due
        with caplog.at_level(logging.INFO, logger="slotkeeper.jobs.expiry_job"):
            run_expiry(app)
        assert_all_invariants()
        first = [r.getMessage() for r in caplog.records if r.name.endswith("expiry_job")]
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="slotkeeper.jobs.expiry_job"):
            run_expiry(app)
        assert not [r for r in caplog.records if r.name.endswith("expiry_job")], (
            "a second sweep found something to do"
        )
    print(
        f"kill storm: {len(results)} requests, {results.count(None)} cut by the kill, answered "
        f"{dict(answered)}; slots inconsistent before the sweep: {len(broken)} of {len(slots)}; "
        f"the sweep: {first}"
    )
    assert http.call("GET", "/services").status_code == 200
