"""Confirm (POST /appointments/{id}/confirm) and cancel (PATCH /appointments/{id}/cancel)."""

from datetime import datetime

import pytest

from slotkeeper.service_layer.expiry import sweep
from tests.conftest import NOW
from tests.invariants import assert_slot_invariants

UNKNOWN_ID = "0123456789abcdef01234567"


def confirm(api, appointment_id):
    return api.client.post(f"/api/v1/appointments/{appointment_id}/confirm")


def cancel(api, appointment_id):
    return api.client.patch(f"/api/v1/appointments/{appointment_id}/cancel")


def read(api, appointment_id) -> dict:
    return api.client.get(f"/api/v1/appointments/{appointment_id}").json


def seats(api, slot_id) -> tuple[int, int, int, str]:
    slot = api.get_slot(slot_id)
    return slot["bookedSeats"], slot["heldSeats"], slot["availableSeats"], slot["status"]


def refused(response, code: int, reason: str | None = None) -> None:
    assert response.status_code == code, response.json
    assert response.json["code"] == code
    if reason:
        assert response.json["reason"] == reason


# confirm


def test_confirming_a_hold_books_it(api, app, clock):
    slot = api.slot(capacity=2)
    hold = api.hold(slot["id"], seats=2).json
    clock.advance(seconds=30)
    response = confirm(api, hold["id"])
    assert response.status_code == 200
    assert response.json["status"] == "BOOKED"
    assert response.json["expiresAt"] is None
    assert datetime.fromisoformat(response.json["updatedAt"]) == clock.now
    assert response.json["slot"]["bookedSeats"] == 2
    assert seats(api, slot["id"]) == (2, 0, 0, "BOOKED")
    assert read(api, hold["id"])["status"] == "BOOKED"
    with app.app_context():
        assert_slot_invariants(slot["id"])


def test_confirming_a_second_before_expiry_still_books(api, clock):
    hold = api.hold(api.slot()["id"]).json
    clock.advance(seconds=119)
    assert confirm(api, hold["id"]).json["status"] == "BOOKED"


def test_confirming_twice_answers_200_unchanged(api, clock):
    slot = api.slot(capacity=3)
    hold = api.hold(slot["id"]).json
    first = confirm(api, hold["id"]).json
    clock.advance(seconds=500)  # even after the hold's old deadline
    second = confirm(api, hold["id"])
    assert second.status_code == 200
    assert second.json["status"] == "BOOKED"
    assert second.json["updatedAt"] == first["updatedAt"]
    assert seats(api, slot["id"]) == (1, 0, 2, "AVAILABLE")


def test_confirming_a_booking_answers_200_unchanged(api):
    slot = api.slot(capacity=2)
    booking = api.book(slot["id"]).json
    response = confirm(api, booking["id"])
    assert response.status_code == 200
    assert {k: response.json[k] for k in ("status", "updatedAt")} == {
        k: booking[k] for k in ("status", "updatedAt")
    }
    assert seats(api, slot["id"])[:2] == (1, 0)


@pytest.mark.parametrize("late_by", [0, 1, 3600])
def test_confirming_after_expires_at_is_409_hold_expired_and_frees_the_seats(
    api, app, clock, late_by
):
    slot = api.slot(capacity=1)
    hold = api.hold(slot["id"]).json
    clock.advance(seconds=120 + late_by)
    refused(confirm(api, hold["id"]), 409, "HOLD_EXPIRED")
    assert read(api, hold["id"])["status"] == "EXPIRED"
    assert seats(api, slot["id"]) == (0, 0, 1, "AVAILABLE")
    with app.app_context():
        assert_slot_invariants(slot["id"])


def test_confirming_a_hold_the_sweep_expired_is_409_hold_expired(api, repos, clock):
    slot = api.slot(capacity=1)
    hold = api.hold(slot["id"]).json
    clock.advance(seconds=121)
    sweep(repos, clock.now)
    assert read(api, hold["id"])["status"] == "EXPIRED"
    refused(confirm(api, hold["id"]), 409, "HOLD_EXPIRED")
    assert seats(api, slot["id"]) == (0, 0, 1, "AVAILABLE")


@pytest.mark.parametrize("take", ["hold", "book"])
def test_confirming_a_cancelled_appointment_is_409_invalid_transition(api, take):
    slot = api.slot()
    appointment = getattr(api, take)(slot["id"]).json
    cancel(api, appointment["id"])
    refused(confirm(api, appointment["id"]), 409, "INVALID_TRANSITION")
    assert read(api, appointment["id"])["status"] == "CANCELLED"
    assert seats(api, slot["id"]) == (0, 0, 1, "AVAILABLE")


@pytest.mark.parametrize("appointment_id", [UNKNOWN_ID, "nope", "0" * 25])
def test_confirming_an_unknown_or_malformed_id_is_404(api, appointment_id):
    refused(confirm(api, appointment_id), 404)


# cancel


@pytest.mark.parametrize("take", ["hold", "book"])
def test_cancelling_answers_200_cancelled_and_gives_the_seats_back_at_once(api, app, clock, take):
    slot = api.slot(capacity=3)
    appointment = getattr(api, take)(slot["id"], seats=2).json
    clock.advance(seconds=10)
    response = cancel(api, appointment["id"])
    assert response.status_code == 200
    assert response.json["status"] == "CANCELLED"
    assert datetime.fromisoformat(response.json["cancelledAt"]) == NOW.replace(second=10)
    assert response.json["expiresAt"] is None
    assert response.json["slot"]["availableSeats"] == 3
    assert seats(api, slot["id"]) == (0, 0, 3, "AVAILABLE")
    with app.app_context():
        assert_slot_invariants(slot["id"])


def test_cancelling_a_confirmed_hold_gives_back_booked_seats(api):
    slot = api.slot(capacity=1)
    hold = api.hold(slot["id"]).json
    confirm(api, hold["id"])
    assert cancel(api, hold["id"]).status_code == 200
    assert seats(api, slot["id"]) == (0, 0, 1, "AVAILABLE")


@pytest.mark.parametrize("take", ["hold", "book"])
def test_cancelling_twice_answers_200_and_returns_the_seats_once(api, app, clock, take):
    slot = api.slot(capacity=3)
    api.book(slot["id"], user="other")
    appointment = getattr(api, take)(slot["id"], user="me").json
    first = cancel(api, appointment["id"]).json
    clock.advance(seconds=5)
    second = cancel(api, appointment["id"])
    assert second.status_code == 200
    assert second.json["status"] == "CANCELLED"
    assert second.json["cancelledAt"] == first["cancelledAt"]
    assert seats(api, slot["id"]) == (1, 0, 2, "AVAILABLE")
    with app.app_context():
        assert_slot_invariants(slot["id"])


def test_a_freed_seat_can_be_taken_by_someone_else_at_once(api):
    slot = api.slot(capacity=1)
    booking = api.book(slot["id"], user="alice").json
    cancel(api, booking["id"])
    assert api.hold(slot["id"], user="bob").status_code == 201


@pytest.mark.parametrize("swept", [False, True])
def test_cancelling_an_expired_hold_is_409_invalid_transition(api, repos, app, clock, swept):
    slot = api.slot(capacity=2)
    hold = api.hold(slot["id"]).json
    clock.advance(seconds=121)
    if swept:
        sweep(repos, clock.now)
    refused(cancel(api, hold["id"]), 409, "INVALID_TRANSITION")
    assert read(api, hold["id"])["status"] == "EXPIRED"
    assert read(api, hold["id"])["cancelledAt"] is None
    assert seats(api, slot["id"]) == (0, 0, 2, "AVAILABLE")
    with app.app_context():
        assert_slot_invariants(slot["id"])


@pytest.mark.parametrize("appointment_id", [UNKNOWN_ID, "nope"])
def test_cancelling_an_unknown_or_malformed_id_is_404(api, appointment_id):
    refused(cancel(api, appointment_id), 404)


def test_cancel_is_a_patch_only(api):
    booking = api.book(api.slot()["id"]).json
    assert api.client.post(f"/api/v1/appointments/{booking['id']}/cancel").status_code == 405
