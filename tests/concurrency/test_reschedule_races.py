"""Reschedules, cancels, confirms and archives racing over real HTTP, round after round.

Each test repeats its storm for a bounded time (and a bounded number of rounds) and checks
after every round that the answers are only those a client may get and that the books are
exact: never more seats sold than a slot has, every count equal to its appointments.
"""

import random
import time
from collections import Counter
from datetime import timedelta

from tests.conftest import NOW
from tests.invariants import assert_all_invariants

SECONDS = 3.0  # each storm repeats this long
MAX_ROUNDS = 12


def rounds(most: int = MAX_ROUNDS):
    until = time.monotonic() + SECONDS
    for number in range(most):
        yield number
        if time.monotonic() > until:
            return


def slots_of_one_service(api, count: int, capacity: int) -> list[dict]:
    service = api.service()
    return [
        api.slot(service["id"], start=NOW + timedelta(days=1, hours=i), capacity=capacity)
        for i in range(count)
    ]


def test_a_storm_of_reschedules_of_one_appointment_never_oversells(app, api, live_server):
    for _ in rounds():
        x, y = slots_of_one_service(api, 2, capacity=3)
        appointment = api.book(x["id"], "ann", seats=2).json
        path = f"/appointments/{appointment['id']}/reschedule"
        answers = live_server.race(
            lambda i, x=x, y=y, path=path: live_server.post(path, {"slotId": (x, y)[i % 2]["id"]}),
            64,
            threads=32,
        )
        assert set(Counter(r.status_code for r in answers)) <= {200, 409}
        with app.app_context():
            assert_all_invariants()
        final = live_server.get(f"/appointments/{appointment['id']}").json()
        there, other = (x, y) if final["slotId"] == x["id"] else (y, x)
        assert (final["status"], api.get_slot(there["id"])["bookedSeats"]) == ("BOOKED", 2)
        assert api.get_slot(other["id"])["bookedSeats"] == 0
        assert api.book(there["id"], "bob", seats=2).status_code == 409  # 1 seat is left
        assert api.book(there["id"], "bob", seats=1).status_code == 201


def test_many_bookings_moved_back_and_forth_keep_both_slots_exact(app, api, live_server):
    for round_ in rounds():
        a, b = slots_of_one_service(api, 2, capacity=24)
        ids = [api.book(a["id"], f"user-{i}", seats=1 + i % 2).json["id"] for i in range(16)]
        rng = random.Random(round_)
        moves = [(rng.choice(ids), rng.choice((a, b))["id"]) for _ in range(96)]
        answers = live_server.race(
            lambda i, moves=moves: live_server.post(
                f"/appointments/{moves[i][0]}/reschedule", {"slotId": moves[i][1]}
            ),
            len(moves),
        )
        assert set(Counter(r.status_code for r in answers)) <= {200, 409}
        with app.app_context():
            assert_all_invariants()
        booked = api.get_slot(a["id"])["bookedSeats"] + api.get_slot(b["id"])["bookedSeats"]
        assert booked == sum(1 + i % 2 for i in range(16))


def test_cancel_racing_reschedule_always_ends_cancelled_with_every_seat_back(app, api, live_server):
    pairs = 12  # appointments per round, each with a cancel and a reschedule sent at once
    for round_ in rounds(most=30):
        x, y = slots_of_one_service(api, 2, capacity=2 * pairs)
        ids = [api.book(x["id"], f"user-{round_}-{i}", seats=2).json["id"] for i in range(pairs)]
        calls = [
            (lambda a=a: live_server.patch(f"/appointments/{a}/cancel"))
            if i % 2
            else (
                lambda a=a, y=y: live_server.post(
                    f"/appointments/{a}/reschedule", {"slotId": y["id"]}
                )
            )
            for a in ids
            for i in range(2)
        ]
        answers = live_server.race(
            lambda i, calls=calls: calls[i](), len(calls), threads=len(calls)
        )
        for move, cancel in zip(answers[::2], answers[1::2], strict=True):
            assert cancel.status_code == 200 and move.status_code in (200, 409)
            if move.status_code == 200:  # the move came first: it moved a booking, then cancel
                assert (move.json()["status"], move.json()["slotId"]) == ("BOOKED", y["id"])
                assert cancel.json()["slotId"] == y["id"]
        assert {live_server.get(f"/appointments/{a}").json()["status"] for a in ids} == {
            "CANCELLED"
        }
        with app.app_context():
            assert_all_invariants()
        assert api.get_slot(x["id"])["availableSeats"] == 2 * pairs
        assert api.get_slot(y["id"])["availableSeats"] == 2 * pairs


def test_confirm_racing_reschedule_ends_booked_on_one_slot_only(app, api, live_server):
    pairs = 12  # holds per round, each with a confirm and a reschedule sent at once
    for round_ in rounds(most=30):
        x, y = slots_of_one_service(api, 2, capacity=2 * pairs)
        ids = [api.hold(x["id"], f"user-{round_}-{i}", seats=2).json["id"] for i in range(pairs)]
        calls = [
            (lambda a=a: live_server.post(f"/appointments/{a}/confirm"))
            if i % 2
            else (
                lambda a=a, y=y: live_server.post(
                    f"/appointments/{a}/reschedule", {"slotId": y["id"]}
                )
            )
            for a in ids
            for i in range(2)
        ]
        answers = live_server.race(
            lambda i, calls=calls: calls[i](), len(calls), threads=len(calls)
        )
        for move, confirm in zip(answers[::2], answers[1::2], strict=True):
            assert confirm.status_code == 200 and move.status_code in (200, 409)
            if move.status_code == 200:  # each answer is the appointment as its step left it
                moved_a_booking = move.json()["status"] == "BOOKED"
                assert moved_a_booking == (confirm.json()["slotId"] == x["id"])
        finals = [live_server.get(f"/appointments/{a}").json() for a in ids]
        assert {f["status"] for f in finals} == {"BOOKED"}
        with app.app_context():
            assert_all_invariants()
        on_y = sum(f["slotId"] == y["id"] for f in finals)
        assert api.get_slot(y["id"])["bookedSeats"] == 2 * on_y
        assert api.get_slot(x["id"])["bookedSeats"] == 2 * (pairs - on_y)


def test_bookings_never_see_a_refused_archive(app, api, live_server):
    for _ in rounds():
        first, *others = slots_of_one_service(api, 9, capacity=6)  # a seat for every booking
        api.book(first["id"], "keeper")  # a live booking: every archive must be refused
        service = first["serviceId"]

        def call(i, others=others, service=service):
            if i % 4 == 0:
                return live_server.session().delete(
                    f"{live_server.url}/services/{service}", timeout=30
                )
            return live_server.book(others[i % len(others)]["id"], f"user-{i}")

        answers = live_server.race(call, 48, threads=24)
        archives = [r for i, r in enumerate(answers) if i % 4 == 0]
        bookings = [r for i, r in enumerate(answers) if i % 4 != 0]
        assert {r.status_code for r in archives} == {409}
        assert {r.json()["reason"] for r in archives} == {"HAS_ACTIVE_APPOINTMENTS"}
        assert {r.status_code for r in bookings} == {201}, Counter(
            r.json().get("reason") for r in bookings
        )
        assert api.client.get(f"/api/v1/services/{service}").json["active"] is True
        with app.app_context():
            assert_all_invariants()


def test_an_archive_and_bookings_racing_are_never_both_accepted(app, api, live_server):
    for _ in rounds(most=40):
        slots = slots_of_one_service(api, 4, capacity=4)  # a seat for every booking
        service = slots[0]["serviceId"]

        def call(i, slots=slots, service=service):
            if i == 7:
                return live_server.session().delete(
                    f"{live_server.url}/services/{service}", timeout=30
                )
            return live_server.book(slots[i % len(slots)]["id"], f"user-{i}")

        answers = live_server.race(call, 16, threads=16)
        archive = answers[7]
        booked = [r for i, r in enumerate(answers) if i != 7 and r.status_code == 201]
        assert archive.status_code in (204, 409)
        refused = {
            r.json()["reason"] for i, r in enumerate(answers) if i != 7 and r.status_code != 201
        }
        if archive.status_code == 204:  # then every booking that stands came before it: none
            assert booked == [] and refused == {"SERVICE_INACTIVE"}
            assert sum(api.get_slot(s["id"])["bookedSeats"] for s in slots) == 0
        else:
            assert booked and refused <= set()
        with app.app_context():
            assert_all_invariants()
