"""The Idempotency-Key header on POST /appointments/book and /hold."""

from datetime import timedelta

import pytest

from slotkeeper.service_layer.booking import BookingRequest
from slotkeeper.service_layer.idempotency import fingerprint
from tests.conftest import NOW
from tests.invariants import assert_slot_invariants

KEY = "Idempotency-Key"


def key(value: str) -> dict:
    return {KEY: value}


def taken(api, slot_id) -> int:
    slot = api.get_slot(slot_id)
    return slot["bookedSeats"] + slot["heldSeats"]


def appointments_of(api, user: str) -> list:
    return api.client.get("/api/v1/appointments", query_string={"userId": user}).json


def mismatch(response) -> None:
    assert response.status_code == 422, response.json
    assert response.json["reason"] == "IDEMPOTENCY_MISMATCH"
    assert KEY in response.json["errors"]["headers"]


@pytest.mark.parametrize("take", ["hold", "book"])
def test_a_repeat_with_the_same_key_returns_the_original_and_takes_no_more_seats(
    api, app, clock, take
):
    slot = api.slot(capacity=5)
    first = getattr(api, take)(slot["id"], seats=2, **key("k-1"))
    clock.advance(seconds=30)
    again = getattr(api, take)(slot["id"], seats=2, **key("k-1"))
    assert first.status_code == again.status_code == 201
    assert again.json["id"] == first.json["id"]
    assert again.json["status"] == first.json["status"]
    assert again.json["expiresAt"] == first.json["expiresAt"]
    assert again.json["service"]["id"] == slot["serviceId"]  # populated like the original
    assert taken(api, slot["id"]) == 2
    assert len(appointments_of(api, "u1")) == 1
    with app.app_context():
        assert_slot_invariants(slot["id"])


def test_a_repeat_returns_the_appointment_as_it_is_now(api):
    slot = api.slot()
    hold = api.hold(slot["id"], **key("k-1")).json
    api.client.post(f"/api/v1/appointments/{hold['id']}/confirm")
    again = api.hold(slot["id"], **key("k-1"))
    assert again.status_code == 201
    assert (again.json["id"], again.json["status"]) == (hold["id"], "BOOKED")


def test_a_repeat_after_the_slot_filled_up_still_returns_the_original(api):
    slot = api.slot(capacity=1)
    first = api.book(slot["id"], **key("k-1")).json
    again = api.book(slot["id"], **key("k-1"))
    assert again.status_code == 201 and again.json["id"] == first["id"]


@pytest.mark.parametrize("change", [{"seats": 2}, {"slotId": "other"}, {"userName": "Eve"}])
def test_the_same_key_with_a_different_body_is_422_idempotency_mismatch(api, change):
    service = api.service()
    slot = api.slot(service["id"], capacity=3)
    other = api.slot(service["id"], start=NOW + timedelta(days=2), capacity=3)
    first = api.book(slot["id"], **key("k-1")).json
    body = {"slotId": slot["id"], "userId": "u1", "seats": 1, **change}
    body["slotId"] = other["id"] if body["slotId"] == "other" else body["slotId"]
    mismatch(api.client.post("/api/v1/appointments/book", json=body, headers=key("k-1")))
    assert taken(api, slot["id"]) == 1 and taken(api, other["id"]) == 0
    assert [a["id"] for a in appointments_of(api, "u1")] == [first["id"]]


def test_a_key_used_to_book_is_a_mismatch_when_used_to_hold(api):
    slot = api.slot(capacity=3)
    api.book(slot["id"], **key("k-1"))
    mismatch(api.hold(slot["id"], **key("k-1")))
    assert taken(api, slot["id"]) == 1


def test_a_key_used_to_hold_is_a_mismatch_when_used_to_book(api):
    slot = api.slot(capacity=3)
    api.hold(slot["id"], **key("k-1"))
    mismatch(api.book(slot["id"], **key("k-1")))
    assert taken(api, slot["id"]) == 1


def test_the_same_key_from_another_user_is_another_key(api):
    slot = api.slot(capacity=3)
    alice = api.book(slot["id"], user="alice", **key("k-1"))
    bob = api.book(slot["id"], user="bob", **key("k-1"))
    assert alice.status_code == bob.status_code == 201
    assert alice.json["id"] != bob.json["id"]
    assert taken(api, slot["id"]) == 2


def test_different_keys_are_different_requests(api):
    slot = api.slot(capacity=3)
    api.hold(slot["id"], **key("k-1"))
    assert api.hold(slot["id"], **key("k-2")).json["reason"] == "DUPLICATE_BOOKING"


def test_a_refused_request_does_not_burn_its_key(api, app):
    slot = api.slot(capacity=1)
    blocker = api.book(slot["id"], user="other").json
    refused = api.hold(slot["id"], **key("k-1"))
    assert refused.status_code == 409 and refused.json["reason"] == "SLOT_UNAVAILABLE"
    api.client.patch(f"/api/v1/appointments/{blocker['id']}/cancel")
    retried = api.hold(slot["id"], **key("k-1"))
    assert retried.status_code == 201
    assert api.hold(slot["id"], **key("k-1")).json["id"] == retried.json["id"]
    assert taken(api, slot["id"]) == 1
    with app.app_context():
        assert_slot_invariants(slot["id"])


def test_a_request_refused_as_invalid_does_not_burn_its_key(api):
    slot = api.slot(capacity=1)
    assert api.book(slot["id"], seats=2, **key("k-1")).status_code == 422
    other = api.slot(capacity=1)  # a fresh request under the same key is not a mismatch
    assert api.book(other["id"], **key("k-1")).status_code == 201


@pytest.mark.parametrize("value", ["", "k" * 256])
def test_a_key_outside_1_to_255_characters_is_422(api, value):
    slot = api.slot()
    response = api.book(slot["id"], **key(value))
    assert response.status_code == 422, response.json
    assert KEY in response.json["errors"]["headers"]
    assert taken(api, slot["id"]) == 0


def test_a_key_of_255_characters_is_accepted(api):
    slot = api.slot()
    first = api.book(slot["id"], **key("k" * 255))
    assert first.status_code == 201
    assert api.book(slot["id"], **key("k" * 255)).json["id"] == first.json["id"]


def test_a_key_is_remembered_for_24_hours(api, clock):
    slot = api.slot(start=NOW + timedelta(days=3), capacity=3)
    first = api.hold(slot["id"], **key("k-1")).json
    clock.advance(hours=23, minutes=59, seconds=59)
    again = api.hold(slot["id"], **key("k-1"))
    assert (again.status_code, again.json["id"]) == (201, first["id"])


def test_after_24_hours_a_key_is_forgotten(api, app, clock):
    slot = api.slot(start=NOW + timedelta(days=3), capacity=3)
    first = api.hold(slot["id"], **key("k-1")).json
    clock.advance(hours=24, seconds=1)
    again = api.hold(slot["id"], **key("k-1"))
    assert again.status_code == 201
    assert again.json["id"] != first["id"]
    assert again.json["status"] == "PENDING"
    assert taken(api, slot["id"]) == 1  # the first hold expired long ago
    with app.app_context():
        assert_slot_invariants(slot["id"])


def test_after_24_hours_a_key_may_carry_a_different_body(api, clock):
    slot = api.slot(start=NOW + timedelta(days=3), capacity=3)
    api.book(slot["id"], user="u1", **key("k-1"))
    clock.advance(hours=24, seconds=1)
    assert (
        api.hold(slot["id"], user="u1", seats=2, **key("k-1")).json["reason"] == "DUPLICATE_BOOKING"
    )  # judged as a new request, not as a mismatch


def test_a_repeat_while_the_first_is_unfinished_is_409_and_a_late_one_finishes_it(
    api, repos, clock
):
    slot = api.slot(capacity=2)
    # the first request claimed the key, then its process died before taking any seat
    request = BookingRequest(slot_id=slot["id"], user_id="u1", seats=1)
    record = repos.idempotency.add(
        {
            "user_id": "u1",
            "key": "k-1",
            "fingerprint": fingerprint("hold", request),
            "appointment_id": repos.appointments.new_id(),
            "claim_id": repos.appointments.new_id(),
            "created_at": clock.now,
        }
    )
    clock.advance(seconds=59)
    busy = api.hold(slot["id"], **key("k-1"))
    assert (busy.status_code, busy.json["reason"]) == (409, "IDEMPOTENCY_IN_PROGRESS")
    assert taken(api, slot["id"]) == 0
    clock.advance(seconds=1)
    resumed = api.hold(slot["id"], **key("k-1"))
    assert resumed.status_code == 201
    assert resumed.json["id"] == str(record.appointment_id)  # never two appointments per key
    assert api.hold(slot["id"], **key("k-1")).json["id"] == resumed.json["id"]
    assert taken(api, slot["id"]) == 1


def test_a_replayed_answer_says_so_in_idempotent_replayed_and_a_first_one_does_not(api):
    slot = api.slot(capacity=3)
    first = api.book(slot["id"], **key("k-replay"))
    again = api.book(slot["id"], **key("k-replay"))
    assert (first.status_code, again.status_code) == (201, 201)
    assert "Idempotent-Replayed" not in first.headers
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json["id"] == first.json["id"]
    fresh = api.hold(slot["id"], user="u2", **key("k-replay"))  # another user's key: new
    assert "Idempotent-Replayed" not in fresh.headers


def test_the_replay_header_is_in_the_openapi_document(client):
    paths = client.get("/openapi.json").json["paths"]
    for path in ("/api/v1/appointments/book", "/api/v1/appointments/hold"):
        assert "Idempotent-Replayed" in paths[path]["post"]["responses"]["201"]["headers"]
