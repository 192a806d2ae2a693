"""The waiting list: join a full slot, freed seats offered in join order, never to a newcomer."""

from datetime import timedelta

import pytest

from slotkeeper.service_layer.expiry import sweep
from tests.conftest import NOW
from tests.invariants import assert_all_invariants

UNKNOWN_ID = "0123456789abcdef01234567"
TTL = timedelta(seconds=120)  # the hold time of the test settings, and so of an offer


def join(api, slot_id, user="w1", seats=1, **extra):
    return api.client.post(
        f"/api/v1/slots/{slot_id}/waitlist", json={"userId": user, "seats": seats, **extra}
    )


def joined(api, slot_id, user="w1", seats=1) -> dict:
    response = join(api, slot_id, user, seats)
    assert response.status_code == 201, response.json
    return response.json


def entry(api, entry_id) -> dict:
    response = api.client.get(f"/api/v1/waitlist/{entry_id}")
    assert response.status_code == 200, response.json
    return response.json


def leave(api, entry_id):
    return api.client.delete(f"/api/v1/waitlist/{entry_id}")


def cancel(api, appointment_id) -> dict:
    response = api.client.patch(f"/api/v1/appointments/{appointment_id}/cancel")
    assert response.status_code == 200, response.json
    return response.json


def appointment(api, appointment_id) -> dict:
    return api.client.get(f"/api/v1/appointments/{appointment_id}").json


@pytest.fixture
def full(api):
    """A slot of 2 seats, both booked by "b1" and "b2": (slot, [their appointments])."""
    slot = api.slot(capacity=2)
    booked = [api.book(slot["id"], user).json for user in ("b1", "b2")]
    return slot, booked


def test_joining_a_full_slot_waits_first_in_line(api, full, check):
    slot, _ = full
    first = joined(api, slot["id"], "w1")
    assert first["status"] == "WAITING" and first["position"] == 1
    assert first["appointmentId"] is None and first["slotId"] == slot["id"]
    assert first["serviceId"] == slot["serviceId"] and first["seats"] == 1
    check.utc(first["createdAt"])
    second = joined(api, slot["id"], "w2", seats=2)
    assert second["position"] == 2
    shown = api.get_slot(slot["id"])
    assert (shown["availableSeats"], shown["waitingSeats"]) == (0, 3)
    assert_all_invariants()


def test_a_slot_with_seats_for_this_user_is_refused_slot_available(api, check):
    slot = api.slot(capacity=2)
    api.book(slot["id"], "b1")
    check.error(join(api, slot["id"], "w1"), 409, "SLOT_AVAILABLE")
    assert joined(api, slot["id"], "w2", seats=2)["position"] == 1  # two do not fit
    assert api.get_slot(slot["id"])["waitingSeats"] == 2


def test_joining_twice_is_already_waiting(api, full, check):
    slot, _ = full
    joined(api, slot["id"], "w1")
    check.error(join(api, slot["id"], "w1"), 409, "ALREADY_WAITING")
    assert api.get_slot(slot["id"])["waitingSeats"] == 1


def test_a_user_holding_seats_cannot_wait_for_more(api, full, check):
    slot, _ = full
    check.error(join(api, slot["id"], "b1"), 409, "DUPLICATE_BOOKING")


def test_a_slot_that_has_started_cannot_be_waited_for(api, clock, check):
    slot = api.slot(start=NOW + timedelta(minutes=5))
    api.book(slot["id"], "b1")
    clock.advance(minutes=10)
    check.error(join(api, slot["id"], "w1"), 409, "SLOT_IN_PAST")


def test_unknown_slot_bad_seats_and_unknown_fields_change_nothing(api, full, check):
    slot, _ = full
    check.error(join(api, UNKNOWN_ID), 404)
    check.error(join(api, "not-an-id"), 404)
    check.invalid(join(api, slot["id"], seats=3), "json", "seats")
    check.invalid(join(api, slot["id"], seats=0), "json", "seats")
    check.invalid(join(api, slot["id"], color="red"), "json", "color")
    check.invalid(
        api.client.post(f"/api/v1/slots/{slot['id']}/waitlist", json={}), "json", "userId"
    )
    assert api.get_slot(slot["id"])["waitingSeats"] == 0


def test_a_cancellation_offers_the_seat_to_the_first_in_line(api, full, check):
    slot, booked = full
    first, second = joined(api, slot["id"], "w1"), joined(api, slot["id"], "w2")
    cancel(api, booked[0]["id"])
    offered = entry(api, first["id"])
    assert offered["status"] == "OFFERED" and offered["position"] is None
    offer = appointment(api, offered["appointmentId"])
    assert offer["status"] == "PENDING" and offer["userId"] == "w1"
    assert check.utc(offer["expiresAt"]) == NOW + TTL
    assert entry(api, second["id"])["position"] == 1
    shown = api.get_slot(slot["id"])
    assert (shown["heldSeats"], shown["availableSeats"], shown["waitingSeats"]) == (1, 0, 1)
    assert_all_invariants()


def test_a_newcomer_never_gets_the_seats_the_line_waits_for(api, clock, check):
    slot = api.slot(capacity=2)
    b1, _ = api.book(slot["id"], "b1").json, api.book(slot["id"], "b2").json
    joined(api, slot["id"], "w1", seats=2)
    cancel(api, b1["id"])  # one seat free, the first in line asks two: nobody is offered
    shown = api.get_slot(slot["id"])
    assert (shown["availableSeats"], shown["waitingSeats"]) == (1, 2)
    check.error(api.book(slot["id"], "newcomer"), 409, "SLOT_UNAVAILABLE")
    check.error(api.hold(slot["id"], "newcomer"), 409, "SLOT_UNAVAILABLE")
    available = api.client.get("/api/v1/slots", query_string={"available": "true"}).json
    assert slot["id"] not in [s["id"] for s in available]
    unavailable = api.client.get("/api/v1/slots", query_string={"available": "false"}).json
    assert slot["id"] in [s["id"] for s in unavailable]
    assert_all_invariants()


def test_offers_follow_join_order_strictly(api, clock):
    slot = api.slot(capacity=3)
    booked = [api.book(slot["id"], f"b{n}").json for n in range(3)]
    big = joined(api, slot["id"], "big", seats=2)
    small = joined(api, slot["id"], "small", seats=1)
    cancel(api, booked[0]["id"])  # one seat: it fits "small", but "big" is first
    assert entry(api, big["id"])["status"] == "WAITING"
    assert entry(api, small["id"])["status"] == "WAITING"
    cancel(api, booked[1]["id"])  # two seats: "big" first
    assert entry(api, big["id"])["status"] == "OFFERED"
    assert entry(api, small["id"])["position"] == 1
    cancel(api, booked[2]["id"])
    assert entry(api, small["id"])["status"] == "OFFERED"
    assert api.get_slot(slot["id"])["heldSeats"] == 3
    assert_all_invariants()


def test_one_release_offers_to_every_entry_it_can(api):
    slot = api.slot(capacity=3)
    booked = api.book(slot["id"], "b1", seats=3).json
    entries = [joined(api, slot["id"], f"w{n}") for n in range(4)]
    cancel(api, booked["id"])
    assert [entry(api, e["id"])["status"] for e in entries] == ["OFFERED"] * 3 + ["WAITING"]
    assert entry(api, entries[3]["id"])["position"] == 1
    assert_all_invariants()


def test_confirming_the_offer_accepts_the_entry(api, full):
    slot, booked = full
    first = joined(api, slot["id"], "w1")
    cancel(api, booked[0]["id"])
    offer_id = entry(api, first["id"])["appointmentId"]
    response = api.client.post(f"/api/v1/appointments/{offer_id}/confirm")
    assert response.status_code == 200 and response.json["status"] == "BOOKED"
    assert entry(api, first["id"])["status"] == "ACCEPTED"
    listed = api.client.get("/api/v1/waitlist", query_string={"status": "ACCEPTED"}).json
    assert [e["id"] for e in listed] == [first["id"]]
    assert_all_invariants()


def test_an_offer_that_expires_passes_to_the_next_in_line(api, full, repos, clock):
    slot, booked = full
    first, second = joined(api, slot["id"], "w1"), joined(api, slot["id"], "w2")
    cancel(api, booked[0]["id"])
    clock.advance(seconds=121)
    sweep(repos, clock.now)
    assert entry(api, first["id"])["status"] == "EXPIRED"
    assert appointment(api, entry(api, first["id"])["appointmentId"])["status"] == "EXPIRED"
    assert entry(api, second["id"])["status"] == "OFFERED"
    assert_all_invariants()


def test_an_expired_offer_shows_expired_before_any_sweep(api, full, clock):
    slot, booked = full
    first = joined(api, slot["id"], "w1")
    cancel(api, booked[0]["id"])
    clock.advance(seconds=121)
    assert entry(api, first["id"])["status"] == "EXPIRED"
    listed = api.client.get("/api/v1/waitlist", query_string={"status": "EXPIRED"}).json
    assert [e["id"] for e in listed] == [first["id"]]


def test_an_offer_never_outlives_the_slot_start(api, clock):
    slot = api.slot(start=NOW + timedelta(seconds=30))
    booked = api.book(slot["id"], "b1").json
    first = joined(api, slot["id"], "w1")
    cancel(api, booked["id"])
    offer = appointment(api, entry(api, first["id"])["appointmentId"])
    assert offer["expiresAt"] == slot["startTime"]


def test_no_offer_is_made_once_the_slot_has_started(api, clock):
    slot = api.slot(start=NOW + timedelta(minutes=5))
    booked = api.book(slot["id"], "b1").json
    first = joined(api, slot["id"], "w1")
    clock.advance(minutes=10)
    cancel(api, booked["id"])
    assert entry(api, first["id"])["status"] == "WAITING"


def test_leaving_gives_up_the_place_and_those_behind_move_up(api, full):
    slot, _ = full
    first, second = joined(api, slot["id"], "w1"), joined(api, slot["id"], "w2")
    assert leave(api, first["id"]).status_code == 204
    assert entry(api, first["id"])["status"] == "LEFT"
    assert entry(api, first["id"])["position"] is None
    assert entry(api, second["id"])["position"] == 1
    assert leave(api, first["id"]).status_code == 204  # twice: nothing more
    assert api.get_slot(slot["id"])["waitingSeats"] == 1
    assert_all_invariants()


def test_leaving_in_front_of_an_entry_that_now_fits_offers_it_the_seats(api):
    slot = api.slot(capacity=2)
    b1 = api.book(slot["id"], "b1").json
    api.book(slot["id"], "b2")
    big, small = joined(api, slot["id"], "big", seats=2), joined(api, slot["id"], "small")
    cancel(api, b1["id"])  # one seat free, held up by "big"
    assert leave(api, big["id"]).status_code == 204
    assert entry(api, small["id"])["status"] == "OFFERED"
    assert_all_invariants()


def test_leaving_an_offer_cancels_its_hold_and_passes_the_seats_on(api, full):
    slot, booked = full
    first, second = joined(api, slot["id"], "w1"), joined(api, slot["id"], "w2")
    cancel(api, booked[0]["id"])
    offer_id = entry(api, first["id"])["appointmentId"]
    assert leave(api, first["id"]).status_code == 204
    assert entry(api, first["id"])["status"] == "LEFT"
    assert appointment(api, offer_id)["status"] == "CANCELLED"
    assert entry(api, second["id"])["status"] == "OFFERED"
    assert_all_invariants()


def test_an_accepted_or_expired_entry_cannot_leave(api, full, clock, check):
    slot, booked = full
    first, second = joined(api, slot["id"], "w1"), joined(api, slot["id"], "w2")
    cancel(api, booked[0]["id"])
    api.client.post(f"/api/v1/appointments/{entry(api, first['id'])['appointmentId']}/confirm")
    check.error(leave(api, first["id"]), 409, "INVALID_TRANSITION")
    cancel(api, booked[1]["id"])
    clock.advance(seconds=121)
    check.error(leave(api, second["id"]), 409, "INVALID_TRANSITION")
    assert entry(api, first["id"])["status"] == "ACCEPTED"


def test_a_declined_offer_is_left(api, full):
    slot, booked = full
    first = joined(api, slot["id"], "w1")
    cancel(api, booked[0]["id"])
    cancel(api, entry(api, first["id"])["appointmentId"])
    assert entry(api, first["id"])["status"] == "LEFT"
    assert_all_invariants()


def test_a_waiting_user_cannot_book_around_the_line(api, full, check):
    slot, _ = full
    joined(api, slot["id"], "w1")
    check.error(api.book(slot["id"], "w1"), 409, "ALREADY_WAITING")


def test_a_reschedule_away_offers_the_old_seats(api):
    service = api.service()
    slot = api.slot(service["id"], capacity=1)
    other = api.slot(service["id"], start=NOW + timedelta(days=2))
    booked = api.book(slot["id"], "b1").json
    first = joined(api, slot["id"], "w1")
    response = api.client.post(
        f"/api/v1/appointments/{booked['id']}/reschedule", json={"slotId": other["id"]}
    )
    assert response.status_code == 200, response.json
    assert entry(api, first["id"])["status"] == "OFFERED"
    assert_all_invariants()


def test_an_expired_hold_passes_to_the_line_when_the_sweep_returns_it(api, repos, clock):
    slot = api.slot()
    api.hold(slot["id"], "h1")
    first = joined(api, slot["id"], "w1")
    clock.advance(seconds=121)
    sweep(repos, clock.now)
    assert entry(api, first["id"])["status"] == "OFFERED"
    assert_all_invariants(as_of=clock.now)


def test_an_expired_hold_never_keeps_anyone_waiting(api, clock, check):
    slot = api.slot()
    api.hold(slot["id"], "h1")
    clock.advance(seconds=121)
    check.error(join(api, slot["id"], "w1"), 409, "SLOT_AVAILABLE")


def test_the_lists_newest_first_and_the_slot_list_in_join_order(api, full):
    slot, _ = full
    other = api.slot(capacity=1)
    api.book(other["id"], "b9")
    first, second = joined(api, slot["id"], "w1"), joined(api, slot["id"], "w2")
    third = joined(api, other["id"], "w1")
    everything = api.client.get("/api/v1/waitlist").json
    assert [e["id"] for e in everything] == [third["id"], second["id"], first["id"]]
    mine = api.client.get("/api/v1/waitlist", query_string={"userId": "w1"}).json
    assert [e["id"] for e in mine] == [third["id"], first["id"]]
    of_slot = api.client.get("/api/v1/waitlist", query_string={"slotId": slot["id"]}).json
    assert [e["id"] for e in of_slot] == [second["id"], first["id"]]
    waiting = api.client.get("/api/v1/waitlist", query_string={"status": "WAITING"}).json
    assert len(waiting) == 3
    line = api.client.get(f"/api/v1/slots/{slot['id']}/waitlist").json
    assert [(e["id"], e["position"]) for e in line] == [(first["id"], 1), (second["id"], 2)]


def test_unknown_entries_and_slots_are_404(api, check):
    check.error(api.client.get(f"/api/v1/waitlist/{UNKNOWN_ID}"), 404)
    check.error(api.client.get("/api/v1/waitlist/nope"), 404)
    check.error(leave(api, UNKNOWN_ID), 404)
    check.error(api.client.get(f"/api/v1/slots/{UNKNOWN_ID}/waitlist"), 404)
    check.invalid(
        api.client.get("/api/v1/waitlist", query_string={"status": "SLEEPING"}), "query", "status"
    )
    check.invalid(
        api.client.get("/api/v1/waitlist", query_string={"color": "red"}), "query", "color"
    )


def test_a_slot_people_wait_for_cannot_be_deleted_until_they_leave(api, clock, check):
    slot = api.slot(start=NOW + timedelta(minutes=5))
    booked = api.book(slot["id"], "b1").json
    first = joined(api, slot["id"], "w1")
    clock.advance(minutes=10)
    cancel(api, booked["id"])  # the slot has started: no offer, w1 still waits
    refused = api.client.delete(f"/api/v1/slots/{slot['id']}")
    check.error(refused, 409, "HAS_ACTIVE_APPOINTMENTS")
    assert leave(api, first["id"]).status_code == 204
    assert api.client.delete(f"/api/v1/slots/{slot['id']}").status_code == 204


# the user limit of a service (maxActivePerUser): a place in line counts, as its offer will


def limited_full(api, limit: int = 1) -> tuple[dict, dict, dict]:
    """A service allowing `limit` live appointments per user: (service, a full slot booked
    by "b1", another slot a day later with a free seat)."""
    service = api.service(policy={"maxActivePerUser": limit})
    slot = api.slot(service["id"], capacity=1)
    assert api.book(slot["id"], "b1").status_code == 201
    other = api.slot(service["id"], start=NOW + timedelta(days=2))
    return service, slot, other


def live_of(api, user: str) -> list[dict]:
    mine = api.client.get("/api/v1/appointments", query_string={"userId": user}).json
    return [a for a in mine if a["status"] in ("PENDING", "BOOKED")]


def test_a_user_at_the_limit_cannot_join_a_waiting_list(api, check):
    _, slot, other = limited_full(api)
    assert api.book(other["id"], "ann").status_code == 201
    check.error(join(api, slot["id"], "ann"), 409, "USER_LIMIT_REACHED")
    assert api.get_slot(slot["id"])["waitingSeats"] == 0
    assert api.client.get("/api/v1/waitlist", query_string={"userId": "ann"}).json == []
    assert_all_invariants()


def test_a_place_in_line_counts_so_an_offer_never_takes_a_user_past_the_limit(api, check):
    _, slot, other = limited_full(api)
    first = joined(api, slot["id"], "ann")
    check.error(api.book(other["id"], "ann"), 409, "USER_LIMIT_REACHED")
    check.error(api.hold(other["id"], "ann"), 409, "USER_LIMIT_REACHED")
    cancel(api, api.client.get(f"/api/v1/slots/{slot['id']}/appointments").json[0]["id"])
    assert entry(api, first["id"])["status"] == "OFFERED"
    assert len(live_of(api, "ann")) == 1
    assert_all_invariants()


def test_leaving_the_line_frees_the_place_at_once(api, check):
    _, slot, other = limited_full(api)
    first = joined(api, slot["id"], "ann")
    check.error(api.book(other["id"], "ann"), 409, "USER_LIMIT_REACHED")
    assert leave(api, first["id"]).status_code == 204
    assert api.book(other["id"], "ann").status_code == 201
    assert_all_invariants()


def test_a_declined_offer_frees_the_place(api, check):
    _, slot, other = limited_full(api)
    first = joined(api, slot["id"], "ann")
    check.error(api.hold(other["id"], "ann"), 409, "USER_LIMIT_REACHED")
    cancel(api, api.client.get(f"/api/v1/slots/{slot['id']}/appointments").json[0]["id"])
    check.error(api.hold(other["id"], "ann"), 409, "USER_LIMIT_REACHED")
    cancel(api, entry(api, first["id"])["appointmentId"])
    assert api.hold(other["id"], "ann").status_code == 201
    assert_all_invariants()


def test_an_expired_offer_frees_the_place(api, clock, check):
    _, slot, other = limited_full(api)
    first = joined(api, slot["id"], "ann")
    check.error(api.hold(other["id"], "ann"), 409, "USER_LIMIT_REACHED")
    cancel(api, api.client.get(f"/api/v1/slots/{slot['id']}/appointments").json[0]["id"])
    check.error(api.book(other["id"], "ann"), 409, "USER_LIMIT_REACHED")
    clock.advance(seconds=121)
    assert entry(api, first["id"])["status"] == "EXPIRED"
    assert api.book(other["id"], "ann").status_code == 201


def test_an_accepted_offer_keeps_counting_though_the_user_was_counted_before(api, check):
    service, slot, other = limited_full(api)
    earlier = api.slot(service["id"], start=NOW + timedelta(days=3))
    cancel(api, api.book(earlier["id"], "ann").json["id"])  # ann's tally exists already
    first = joined(api, slot["id"], "ann")
    cancel(api, api.client.get(f"/api/v1/slots/{slot['id']}/appointments").json[0]["id"])
    offer_id = entry(api, first["id"])["appointmentId"]
    assert api.client.post(f"/api/v1/appointments/{offer_id}/confirm").status_code == 200
    check.error(api.book(other["id"], "ann"), 409, "USER_LIMIT_REACHED")


def test_a_place_taken_before_the_limit_was_set_counts(api, check):
    service = api.service()
    slot = api.slot(service["id"], capacity=1)
    other = api.slot(service["id"], start=NOW + timedelta(days=2))
    api.book(slot["id"], "b1")
    joined(api, slot["id"], "ann")
    path = f"/api/v1/services/{service['id']}"
    assert api.client.patch(path, json={"policy": {"maxActivePerUser": 1}}).status_code == 200
    check.error(api.book(other["id"], "ann"), 409, "USER_LIMIT_REACHED")


# an offer rescheduled to another slot: the entry has left the line of its slot


def test_an_offer_moved_to_another_slot_leaves_the_line_and_its_seat_passes_on(api):
    service = api.service()
    slot = api.slot(service["id"], capacity=1)
    other = api.slot(service["id"], start=NOW + timedelta(days=2))
    b1 = api.book(slot["id"], "b1").json
    first, second = joined(api, slot["id"], "w1"), joined(api, slot["id"], "w2")
    cancel(api, b1["id"])
    offer_id = entry(api, first["id"])["appointmentId"]
    moved = api.client.post(
        f"/api/v1/appointments/{offer_id}/reschedule", json={"slotId": other["id"]}
    )
    assert moved.status_code == 200, moved.json
    left = entry(api, first["id"])
    assert (left["status"], left["position"], left["appointmentId"]) == ("LEFT", None, offer_id)
    assert entry(api, second["id"])["status"] == "OFFERED"  # the seat went to the next in line
    listed = api.client.get("/api/v1/waitlist", query_string={"status": "LEFT"}).json
    assert [e["id"] for e in listed] == [first["id"]]
    assert_all_invariants()
    # leaving now changes nothing: the moved hold is no longer the line's
    assert leave(api, first["id"]).status_code == 204
    assert appointment(api, offer_id)["status"] == "PENDING"
    confirmed = api.client.post(f"/api/v1/appointments/{offer_id}/confirm")
    assert confirmed.status_code == 200 and confirmed.json["slotId"] == other["id"]
    assert entry(api, first["id"])["status"] == "LEFT"
    assert_all_invariants()


def test_an_offer_confirmed_then_moved_stays_accepted(api):
    service = api.service()
    slot = api.slot(service["id"], capacity=1)
    other = api.slot(service["id"], start=NOW + timedelta(days=2))
    b1 = api.book(slot["id"], "b1").json
    first = joined(api, slot["id"], "w1")
    cancel(api, b1["id"])
    offer_id = entry(api, first["id"])["appointmentId"]
    assert api.client.post(f"/api/v1/appointments/{offer_id}/confirm").status_code == 200
    moved = api.client.post(
        f"/api/v1/appointments/{offer_id}/reschedule", json={"slotId": other["id"]}
    )
    assert moved.status_code == 200, moved.json
    assert entry(api, first["id"])["status"] == "ACCEPTED"
    assert_all_invariants()


# archiving a service people wait for


def attended_full(api, clock) -> tuple[dict, dict]:
    """A service with a full slot whose seat was used (ATTENDED: it does not keep the
    service from being archived): (service, slot)."""
    service = api.service()
    slot = api.slot(service["id"], start=NOW + timedelta(minutes=30))
    booked = api.book(slot["id"], "b1").json
    attended = api.client.post(f"/api/v1/appointments/{booked['id']}/attend")
    assert attended.status_code == 200, attended.json
    return service, slot


def test_a_service_whose_slots_people_wait_for_cannot_be_archived(api, clock, check):
    service, slot = attended_full(api, clock)
    first = joined(api, slot["id"], "w1")
    path = f"/api/v1/services/{service['id']}"
    check.error(api.client.delete(path), 409, "HAS_ACTIVE_APPOINTMENTS")
    check.error(api.client.patch(path, json={"active": False}), 409, "HAS_ACTIVE_APPOINTMENTS")
    assert api.client.get(path).json["active"] is True
    assert entry(api, first["id"])["status"] == "WAITING"
    assert leave(api, first["id"]).status_code == 204
    assert api.client.delete(path).status_code == 204
    check.error(join(api, slot["id"], "w2"), 409, "SERVICE_INACTIVE")
