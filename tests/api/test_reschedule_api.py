"""POST /appointments/{id}/reschedule: move the seats, keep the status, or change nothing."""

from datetime import timedelta

import pytest

from tests.conftest import NOW
from tests.invariants import assert_all_invariants

UNKNOWN_ID = "0123456789abcdef01234567"
TOMORROW = NOW + timedelta(days=1)


def reschedule(api, appointment_id, slot_id):
    return api.client.post(
        f"/api/v1/appointments/{appointment_id}/reschedule", json={"slotId": slot_id}
    )


def read(api, appointment_id) -> dict:
    return api.client.get(f"/api/v1/appointments/{appointment_id}").json


def seats(api, slot_id) -> tuple[int, int, int]:
    slot = api.get_slot(slot_id)
    return slot["bookedSeats"], slot["heldSeats"], slot["availableSeats"]


def refused(response, code: int, reason: str | None = None) -> None:
    assert response.status_code == code, response.json
    assert response.json["code"] == code
    if reason:
        assert response.json["reason"] == reason


@pytest.fixture
def two_slots(api):
    """Two slots of one service, an hour apart, with 3 seats each."""
    service = api.service()
    return (
        api.slot(service["id"], start=TOMORROW, capacity=3),
        api.slot(service["id"], start=TOMORROW + timedelta(hours=1), capacity=3),
    )


def test_rescheduling_a_booking_moves_its_seats_and_keeps_it_booked(api, app, two_slots):
    old, new = two_slots
    booking = api.book(old["id"], seats=2).json
    response = reschedule(api, booking["id"], new["id"])
    assert response.status_code == 200
    body = response.json
    assert (body["id"], body["status"], body["seats"]) == (booking["id"], "BOOKED", 2)
    assert body["slotId"] == new["id"] and body["slot"]["id"] == new["id"]
    assert body["expiresAt"] is None
    assert seats(api, old["id"]) == (0, 0, 3)
    assert seats(api, new["id"]) == (2, 0, 1)
    assert read(api, booking["id"])["slotId"] == new["id"]
    with app.app_context():
        assert_all_invariants()


def test_rescheduling_a_hold_moves_its_seats_and_keeps_it_pending_until_the_same_time(
    api, app, clock, two_slots
):
    old, new = two_slots
    hold = api.hold(old["id"], seats=2).json
    clock.advance(seconds=30)
    response = reschedule(api, hold["id"], new["id"])
    assert response.status_code == 200
    assert (response.json["status"], response.json["seats"]) == ("PENDING", 2)
    assert response.json["expiresAt"] == hold["expiresAt"]
    assert seats(api, old["id"]) == (0, 0, 3)
    assert seats(api, new["id"]) == (0, 2, 1)
    with app.app_context():
        assert_all_invariants()


def test_a_moved_hold_can_be_confirmed_on_its_new_slot(api, app, two_slots):
    old, new = two_slots
    hold = api.hold(old["id"]).json
    reschedule(api, hold["id"], new["id"])
    response = api.client.post(f"/api/v1/appointments/{hold['id']}/confirm")
    assert response.status_code == 200 and response.json["status"] == "BOOKED"
    assert seats(api, new["id"]) == (1, 0, 2)
    assert seats(api, old["id"]) == (0, 0, 3)
    with app.app_context():
        assert_all_invariants()


def test_cancelling_a_moved_booking_frees_the_new_slot(api, app, two_slots):
    old, new = two_slots
    booking = api.book(old["id"]).json
    reschedule(api, booking["id"], new["id"])
    assert api.client.patch(f"/api/v1/appointments/{booking['id']}/cancel").status_code == 200
    assert seats(api, new["id"]) == (0, 0, 3)
    assert seats(api, old["id"]) == (0, 0, 3)
    with app.app_context():
        assert_all_invariants()


def test_the_old_slot_is_free_for_the_same_user_after_a_move(api, two_slots):
    old, new = two_slots
    booking = api.book(old["id"], user="alice").json
    reschedule(api, booking["id"], new["id"])
    assert api.book(old["id"], user="alice").status_code == 201


def test_moving_back_and_forth_returns_to_the_first_slot(api, app, two_slots):
    old, new = two_slots
    booking = api.book(old["id"]).json
    reschedule(api, booking["id"], new["id"])
    response = reschedule(api, booking["id"], old["id"])
    assert response.status_code == 200 and response.json["slotId"] == old["id"]
    assert seats(api, old["id"]) == (1, 0, 2)
    assert seats(api, new["id"]) == (0, 0, 3)
    with app.app_context():
        assert_all_invariants()


def test_rescheduling_to_the_same_slot_answers_200_unchanged(api, two_slots):
    old, _ = two_slots
    booking = api.book(old["id"]).json
    response = reschedule(api, booking["id"], old["id"])
    assert response.status_code == 200
    assert {k: response.json[k] for k in ("slotId", "status", "updatedAt")} == {
        k: booking[k] for k in ("slotId", "status", "updatedAt")
    }
    assert seats(api, old["id"]) == (1, 0, 2)


def test_rescheduling_to_another_services_slot_is_422_and_changes_nothing(api, two_slots):
    old, _ = two_slots
    elsewhere = api.slot(api.service(name="Dr. No")["id"], capacity=3)
    booking = api.book(old["id"]).json
    response = reschedule(api, booking["id"], elsewhere["id"])
    refused(response, 422)
    assert "slotId" in response.json["errors"]["json"]
    assert seats(api, old["id"]) == (1, 0, 2)
    assert seats(api, elsewhere["id"]) == (0, 0, 3)


@pytest.mark.parametrize("take", ["hold", "book"])
def test_rescheduling_to_a_full_slot_is_409_and_the_old_seats_stay_untouched(
    api, app, two_slots, take
):
    old, new = two_slots
    api.book(new["id"], user="other", seats=2)
    appointment = getattr(api, take)(old["id"], seats=2).json
    refused(reschedule(api, appointment["id"], new["id"]), 409, "SLOT_UNAVAILABLE")
    after = read(api, appointment["id"])
    assert (after["slotId"], after["status"]) == (old["id"], appointment["status"])
    assert seats(api, old["id"]) == ((2, 0, 1) if take == "book" else (0, 2, 1))
    assert seats(api, new["id"]) == (2, 0, 1)
    with app.app_context():
        assert_all_invariants()


def test_expired_holds_on_the_new_slot_do_not_block_a_move(api, clock, two_slots):
    old, new = two_slots
    booking = api.book(old["id"], user="me", seats=3).json
    api.hold(new["id"], user="other", seats=3)
    clock.advance(seconds=121)
    assert reschedule(api, booking["id"], new["id"]).status_code == 200


def test_rescheduling_to_a_slot_that_has_started_is_409_slot_in_past(api, clock):
    service = api.service()
    soon = api.slot(service["id"], start=NOW + timedelta(minutes=10))
    later = api.slot(service["id"], start=TOMORROW)
    booking = api.book(later["id"]).json
    clock.advance(minutes=10)
    refused(reschedule(api, booking["id"], soon["id"]), 409, "SLOT_IN_PAST")
    assert seats(api, later["id"]) == (1, 0, 0)


def test_rescheduling_onto_a_slot_the_user_already_has_is_409_duplicate_booking(api, two_slots):
    old, new = two_slots
    api.book(new["id"], user="alice")
    booking = api.book(old["id"], user="alice").json
    refused(reschedule(api, booking["id"], new["id"]), 409, "DUPLICATE_BOOKING")
    assert seats(api, old["id"]) == (1, 0, 2)
    assert seats(api, new["id"]) == (1, 0, 2)


def test_rescheduling_more_seats_than_the_new_capacity_is_422(api, app):
    service = api.service()
    big = api.slot(service["id"], start=TOMORROW, capacity=3)
    small = api.slot(service["id"], start=TOMORROW + timedelta(hours=1), capacity=1)
    booking = api.book(big["id"], seats=2).json
    refused(reschedule(api, booking["id"], small["id"]), 422)
    assert seats(api, big["id"]) == (2, 0, 1)


def test_rescheduling_to_an_unknown_slot_is_404(api, two_slots):
    old, _ = two_slots
    booking = api.book(old["id"]).json
    refused(reschedule(api, booking["id"], UNKNOWN_ID), 404)
    assert seats(api, old["id"]) == (1, 0, 2)


@pytest.mark.parametrize(
    "body", [{}, {"slotId": "nope"}, {"slotId": 5}, {"slotId": UNKNOWN_ID, "extra": 1}]
)
def test_an_invalid_reschedule_body_is_422(api, two_slots, body):
    booking = api.book(two_slots[0]["id"]).json
    response = api.client.post(f"/api/v1/appointments/{booking['id']}/reschedule", json=body)
    refused(response, 422)


@pytest.mark.parametrize("appointment_id", [UNKNOWN_ID, "nope"])
def test_rescheduling_an_unknown_or_malformed_appointment_is_404(api, two_slots, appointment_id):
    refused(reschedule(api, appointment_id, two_slots[1]["id"]), 404)


@pytest.mark.parametrize("take", ["hold", "book"])
def test_rescheduling_a_cancelled_appointment_is_409_invalid_transition(api, two_slots, take):
    old, new = two_slots
    appointment = getattr(api, take)(old["id"]).json
    api.client.patch(f"/api/v1/appointments/{appointment['id']}/cancel")
    refused(reschedule(api, appointment["id"], new["id"]), 409, "INVALID_TRANSITION")
    assert read(api, appointment["id"])["slotId"] == old["id"]
    assert seats(api, new["id"]) == (0, 0, 3)


def test_rescheduling_an_expired_hold_is_409_hold_expired_and_frees_its_seats(
    api, app, clock, two_slots
):
    old, new = two_slots
    hold = api.hold(old["id"]).json
    clock.advance(seconds=120)
    refused(reschedule(api, hold["id"], new["id"]), 409, "HOLD_EXPIRED")
    after = read(api, hold["id"])
    assert (after["slotId"], after["status"]) == (old["id"], "EXPIRED")
    assert seats(api, old["id"]) == seats(api, new["id"]) == (0, 0, 3)
    with app.app_context():
        assert_all_invariants()


def test_a_hold_moved_to_a_slot_starting_before_its_deadline_ends_at_that_start(api, app, clock):
    # a hold never outlives its slot's start: expiresAt = min(its deadline, the new start)
    service = api.service()
    later = api.slot(service["id"], start=TOMORROW)
    soon = api.slot(service["id"], start=NOW + timedelta(seconds=60))
    held = api.hold(later["id"]).json
    assert held["expiresAt"] == (NOW + timedelta(seconds=120)).isoformat()
    moved = reschedule(api, held["id"], soon["id"])
    assert moved.status_code == 200, moved.json
    assert moved.json["expiresAt"] == soon["startTime"]
    assert read(api, held["id"])["expiresAt"] == soon["startTime"]
    clock.advance(seconds=61)  # the new slot has started; the old deadline has not passed
    from slotkeeper.context import current_repos
    from slotkeeper.service_layer.expiry import sweep

    with app.app_context():
        assert sweep(current_repos(), clock.now).expired == 1
        assert_all_invariants()
    assert read(api, held["id"])["status"] == "EXPIRED"
    assert seats(api, soon["id"]) == (0, 0, 1)


def test_a_hold_moved_to_a_later_slot_keeps_its_deadline(api):
    service = api.service()
    first = api.slot(service["id"], start=TOMORROW)
    second = api.slot(service["id"], start=TOMORROW + timedelta(hours=1))
    held = api.hold(first["id"]).json
    moved = reschedule(api, held["id"], second["id"]).json
    assert moved["expiresAt"] == held["expiresAt"]
