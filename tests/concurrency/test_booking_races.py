"""Many threads racing over real HTTP: never oversold, invariants exact after every storm."""

import random
from collections import Counter

from tests.invariants import assert_all_invariants, assert_slot_invariants


def codes(responses) -> Counter:
    return Counter(r.status_code for r in responses)


def test_200_parallel_bookings_of_one_seat_have_exactly_one_winner(app, api, live_server):
    slot = api.slot(capacity=1)
    responses = live_server.race(lambda i: live_server.book(slot["id"], f"user-{i}"), 200)
    assert codes(responses) == {201: 1, 409: 199}
    assert {r.json()["reason"] for r in responses if r.status_code == 409} == {"SLOT_UNAVAILABLE"}
    assert api.get_slot(slot["id"])["status"] == "BOOKED"
    with app.app_context():
        assert_slot_invariants(slot["id"])


def test_500_parallel_holds_on_ten_seats_hold_exactly_ten(app, api, live_server):
    slot = api.slot(capacity=10)
    responses = live_server.race(lambda i: live_server.hold(slot["id"], f"user-{i}"), 500)
    assert codes(responses) == {201: 10, 409: 490}
    assert api.get_slot(slot["id"])["heldSeats"] == 10
    with app.app_context():
        assert_slot_invariants(slot["id"])


def test_the_same_user_racing_for_one_slot_gets_it_once(app, api, live_server):
    slot = api.slot(capacity=50)
    responses = live_server.race(lambda i: live_server.book(slot["id"], "same-user"), 60)
    assert codes(responses) == {201: 1, 409: 59}
    assert {r.json()["reason"] for r in responses if r.status_code == 409} == {"DUPLICATE_BOOKING"}
    with app.app_context():
        assert_slot_invariants(slot["id"])


def _storm_step(server, slot_id: str, rng: random.Random, mine: list) -> int:
    action = rng.choice(["hold", "book", "confirm", "cancel", "cancel", "confirm"])
    if action in ("hold", "book") or not mine:
        response = getattr(server, action if action in ("hold", "book") else "hold")(
            slot_id, f"user-{rng.randrange(1000)}", seats=rng.choice([1, 1, 2, 3])
        )
        if response.status_code == 201:
            mine.append(response.json()["id"])
        return response.status_code
    appointment = rng.choice(mine)
    if action == "confirm":
        return server.post(f"/appointments/{appointment}/confirm").status_code
    return server.patch(f"/appointments/{appointment}/cancel").status_code


def test_a_mixed_storm_on_seven_seats_keeps_the_books_exact(app, api, live_server):
    slot = api.slot(capacity=7)

    def worker(i):
        rng, mine = random.Random(i), []
        return [_storm_step(live_server, slot["id"], rng, mine) for _ in range(12)]

    results = [code for codes_ in live_server.race(worker, 50) for code in codes_]
    assert len(results) == 600
    assert all(code < 500 for code in results), Counter(results)
    assert set(results) <= {200, 201, 409}
    final = api.get_slot(slot["id"])
    assert 0 <= final["bookedSeats"] + final["heldSeats"] <= 7
    with app.app_context():
        assert_slot_invariants(slot["id"])


def test_sixteen_parallel_cancels_return_the_seats_once(app, api, live_server):
    slot = api.slot(capacity=3)
    appointment = api.book(slot["id"], "u1", seats=2).json
    api.book(slot["id"], "u2", seats=1)
    responses = live_server.race(
        lambda _: live_server.patch(f"/appointments/{appointment['id']}/cancel"), 16, threads=16
    )
    assert codes(responses) == {200: 16}
    assert {r.json()["status"] for r in responses} == {"CANCELLED"}
    after = api.get_slot(slot["id"])
    assert (after["bookedSeats"], after["availableSeats"]) == (1, 2)
    with app.app_context():
        assert_slot_invariants(slot["id"])


def test_confirm_racing_cancel_always_ends_consistent(app, api, live_server):
    slot = api.slot(capacity=2)
    for round_ in range(30):
        hold = api.hold(slot["id"], f"user-{round_}").json
        paths = [f"/appointments/{hold['id']}/confirm", f"/appointments/{hold['id']}/cancel"]
        confirm, cancel = live_server.race(
            lambda i, paths=paths: (live_server.post if i == 0 else live_server.patch)(paths[i]),
            2,
            threads=2,
        )
        assert cancel.status_code == 200
        assert confirm.status_code in (200, 409)
        final = live_server.get(f"/appointments/{hold['id']}").json()
        assert final["status"] == "CANCELLED"
        with app.app_context():
            assert_slot_invariants(slot["id"])
    assert api.get_slot(slot["id"])["availableSeats"] == 2


def test_parallel_replays_of_one_idempotency_key_make_one_appointment(app, api, live_server):
    slot = api.slot(capacity=5)
    responses = live_server.race(
        lambda _: live_server.book(slot["id"], "u1", **{"Idempotency-Key": "k-1"}), 20, threads=20
    )
    assert set(codes(responses)) <= {201, 409}
    created = {r.json()["id"] for r in responses if r.status_code == 201}
    assert len(created) == 1
    busy = {r.json()["reason"] for r in responses if r.status_code == 409}
    assert busy <= {"IDEMPOTENCY_IN_PROGRESS"}
    assert api.get_slot(slot["id"])["bookedSeats"] == 1
    with app.app_context():
        assert_all_invariants()
