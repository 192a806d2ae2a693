"""Opening hours under concurrency: layers racing each other (the horizon job in several
processes, schedules written at once), closures racing slot creation and bookings."""

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

from slotkeeper.context import current_repos
from slotkeeper.service_layer.opening_hours import extend_horizons
from tests.concurrency.test_calendar_races import _overlapping_pairs
from tests.conftest import on_a_server
from tests.invariants import assert_all_invariants

MONDAY = datetime(2030, 1, 7, tzinfo=UTC)
WEEKDAYS = {str(d): [{"start": "09:00", "end": "12:00"}] for d in range(1, 6)}


def codes(responses) -> Counter:
    return Counter(r.status_code for r in responses)


def put_schedule(server, service_id: str, body: dict):
    url = f"{server.url}/services/{service_id}/schedule"
    return server.session().put(url, json=body, timeout=30)


def test_eight_horizon_jobs_at_once_lay_every_slot_exactly_once(app, api, client, clock):
    services = [api.service(name=f"Dr. {i}", timezone="Europe/Berlin") for i in range(3)]
    for service in services:
        body = {"weekly": WEEKDAYS, "slotMinutes": 30, "horizonDays": 7}
        assert (
            client.put(f"/api/v1/services/{service['id']}/schedule", json=body).status_code == 200
        )
    clock.advance(days=7)  # a week more to lay: 5 weekdays x 6 slots per service
    created, barrier = [], threading.Barrier(8)

    def job():
        with app.app_context():
            barrier.wait()
            created.append(extend_horizons(current_repos(), clock.now).created)

    threads = [threading.Thread(target=job) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sum(created) == 3 * 5 * 6, created
    for service in services:
        slots = client.get(
            "/api/v1/slots", query_string={"serviceId": service["id"], "page_size": 100}
        ).json
        assert len(slots) == 10 * 6  # Jan 2-4, 7-11, 14-15
        assert len({s["startTime"] for s in slots}) == len(slots)
    with app.app_context():
        assert_all_invariants()


def test_twenty_writes_of_one_schedule_at_once_lay_each_slot_once(app, api, live_server):
    service = api.service(timezone="America/New_York")
    body = {"weekly": WEEKDAYS, "slotMinutes": 20, "gapMinutes": 10, "horizonDays": 14}
    responses = live_server.race(lambda i: put_schedule(live_server, service["id"], body), 20)
    assert codes(responses) == {200: 20}
    assert sum(r.json()["created"] for r in responses) == 10 * 6
    assert all(r.json()["removed"] == 0 and r.json()["kept"] == [] for r in responses)
    assert len(live_server.get("/slots", serviceId=service["id"], page_size=100).json()) == 60
    assert _overlapping_pairs(live_server, service["id"]) == []
    with app.app_context():
        assert_all_invariants()


def test_schedules_written_at_once_leave_exactly_the_slots_of_the_last(app, api, live_server):
    bodies = [
        {"weekly": WEEKDAYS, "slotMinutes": 30, "horizonDays": 14},
        {"weekly": {"1": [{"start": "10:00", "end": "13:00"}]}, "slotMinutes": 45},
        {"weekly": WEEKDAYS, "slotMinutes": 60, "capacity": 2, "horizonDays": 10},
        {"weekly": {"3": [{"start": "08:15", "end": "18:00"}]}, "slotMinutes": 25},
    ]
    # each round lays hundreds of slots eight times over: seconds of round trips on a server
    for round_ in range(2 if on_a_server() else 5):
        service = api.service(name=f"Dr. {round_}", timezone="Europe/Berlin")
        responses = live_server.race(
            lambda i, service=service: put_schedule(live_server, service["id"], bodies[i % 4]),
            8,
            threads=8,
        )
        assert codes(responses) == {200: 8}
        assert _overlapping_pairs(live_server, service["id"]) == []
        last = live_server.get(f"/services/{service['id']}/schedule").json()
        again = put_schedule(live_server, service["id"], last).json()
        assert (again["created"], again["removed"], again["kept"]) == (0, 0, []), round_
    with app.app_context():
        assert_all_invariants()


def test_a_closure_and_a_slot_created_inside_it_at_once_never_leave_the_slot(app, api, live_server):
    closed_from = MONDAY + timedelta(hours=9)
    for round_ in range(20):
        service = api.service(name=f"Dr. {round_}")

        def call(i, service=service):
            if i == 0:
                return live_server.post(
                    f"/services/{service['id']}/closures",
                    {
                        "from": closed_from.isoformat(),
                        "to": (closed_from + timedelta(hours=1)).isoformat(),
                    },
                )
            start = closed_from + timedelta(minutes=20)
            return live_server.post(
                "/slots",
                {
                    "serviceId": service["id"],
                    "startTime": start.isoformat(),
                    "endTime": (start + timedelta(minutes=30)).isoformat(),
                },
            )

        closure, slot = live_server.race(call, 2, threads=2)
        assert closure.status_code == 201, closure.json()
        assert slot.status_code in (201, 409), slot.json()
        if slot.status_code == 409:
            assert slot.json()["reason"] == "SERVICE_CLOSED"
        # either the slot came first and the closure removed it, or the closure refused it
        assert closure.json()["removed"] == (slot.status_code == 201), round_
        assert live_server.get("/slots", serviceId=service["id"]).json() == []
    with app.app_context():
        assert_all_invariants()


def test_a_closure_racing_bookings_keeps_exactly_the_booked_slots(app, api, client, live_server):
    service = api.service()
    body = {"weekly": {"1": [{"start": "08:00", "end": "12:00"}]}, "slotMinutes": 15}
    assert (
        client.put(f"/api/v1/services/{service['id']}/schedule", json={**body}).status_code == 200
    )
    slots = live_server.get("/slots", serviceId=service["id"], page_size=100).json()
    monday = [s for s in slots if s["startTime"].startswith("2030-01-07")]
    assert len(monday) == 16

    def call(i):
        if i == len(monday):
            return live_server.post(
                f"/services/{service['id']}/closures",
                {"from": MONDAY.isoformat(), "to": (MONDAY + timedelta(days=1)).isoformat()},
            )
        return live_server.book(monday[i]["id"], f"user-{i}")

    *bookings, closure = live_server.race(call, len(monday) + 1, threads=len(monday) + 1)
    assert closure.status_code == 201
    booked = {monday[i]["id"] for i, r in enumerate(bookings) if r.status_code == 201}
    assert all(r.status_code in (201, 404) for r in bookings), codes(bookings)
    assert {s["id"] for s in closure.json()["kept"]} == booked
    assert closure.json()["removed"] == len(monday) - len(booked)
    left = live_server.get("/slots", serviceId=service["id"], page_size=100).json()
    assert {s["id"] for s in left if s["startTime"].startswith("2030-01-07")} == booked
    with app.app_context():
        assert_all_invariants()
