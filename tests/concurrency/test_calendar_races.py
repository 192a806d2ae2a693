"""Slots of one service laid at once over HTTP: never two that overlap."""

from collections import Counter
from datetime import timedelta
from itertools import combinations

from tests.conftest import NOW


def codes(responses) -> Counter:
    return Counter(r.status_code for r in responses)


def _create(server, service_id: str, start, minutes: int = 30):
    return server.post(
        "/slots",
        {
            "serviceId": service_id,
            "startTime": start.isoformat(),
            "endTime": (start + timedelta(minutes=minutes)).isoformat(),
        },
    )


def _overlapping_pairs(server, service_id: str) -> list:
    slots = server.get("/slots", serviceId=service_id, page_size=100).json()
    spans = [(s["startTime"], s["endTime"]) for s in slots]
    return [(a, b) for a, b in combinations(sorted(spans), 2) if b[0] < a[1]]


def test_forty_overlapping_slots_created_at_once_have_exactly_one_winner(api, live_server):
    service = api.service()
    start = NOW + timedelta(days=1)
    # every one starts within 30 minutes of every other, so each pair overlaps
    responses = live_server.race(
        lambda i: _create(live_server, service["id"], start + timedelta(seconds=40 * i)), 40
    )
    assert codes(responses) == {201: 1, 409: 39}
    assert {r.json()["reason"] for r in responses if r.status_code == 409} <= {
        "SLOT_OVERLAP",
        "SLOT_EXISTS",
    }
    assert len(live_server.get("/slots", serviceId=service["id"]).json()) == 1


def test_two_overlapping_slots_created_at_once_never_both_succeed(api, live_server):
    for round_ in range(20):
        service = api.service(name=f"Dr. {round_}")
        starts = [NOW + timedelta(days=1, minutes=10 * i) for i in range(2)]
        responses = live_server.race(
            lambda i, starts=starts, service=service: _create(
                live_server, service["id"], starts[i]
            ),
            2,
            threads=2,
        )
        assert codes(responses) == {201: 1, 409: 1}
        assert _overlapping_pairs(live_server, service["id"]) == []


def test_generate_racing_single_slots_never_lays_an_overlap(api, live_server):
    service = api.service()
    start = NOW.replace(hour=9) + timedelta(days=6)  # Monday 2030-01-07 09:00 UTC
    body = {
        "serviceId": service["id"],
        "fromDate": "2030-01-07",
        "toDate": "2030-01-07",
        "dayStart": "09:00",
        "dayEnd": "17:00",
        "durationMinutes": 30,
    }

    def call(i):
        if i % 4 == 0:
            return live_server.post("/slots/generate", body)
        return _create(live_server, service["id"], start + timedelta(minutes=7 * i), 20)

    responses = live_server.race(call, 40, threads=20)
    assert all(r.status_code in (201, 409) for r in responses), codes(responses)
    assert _overlapping_pairs(live_server, service["id"]) == []
