"""POST /appointments/book and /hold: what they answer and every way they refuse."""

from datetime import datetime, timedelta

import pytest

from slotkeeper import create_app
from tests.conftest import NOW, Api, test_settings
from tests.invariants import assert_slot_invariants

BOOK = "/api/v1/appointments/book"
HOLD = "/api/v1/appointments/hold"
UNKNOWN_ID = "0123456789abcdef01234567"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def refused(response, code: int, reason: str | None = None) -> None:
    assert response.status_code == code, response.json
    assert response.json["code"] == code
    assert response.json["message"]
    if reason:
        assert response.json["reason"] == reason


def test_booking_answers_201_booked_with_no_expiry(api):
    slot = api.slot(capacity=2)
    response = api.book(slot["id"], user="alice", seats=2)
    assert response.status_code == 201
    body = response.json
    assert body["status"] == "BOOKED"
    assert body["expiresAt"] is None and body["cancelledAt"] is None
    assert (body["slotId"], body["serviceId"]) == (slot["id"], slot["serviceId"])
    assert (body["userId"], body["seats"]) == ("alice", 2)
    assert at(body["createdAt"]) == at(body["updatedAt"]) == NOW


def test_booking_takes_the_seats_as_booked(api, app):
    slot = api.slot(capacity=3)
    api.book(slot["id"], seats=2)
    after = api.get_slot(slot["id"])
    assert (after["bookedSeats"], after["heldSeats"], after["availableSeats"]) == (2, 0, 1)
    assert after["status"] == "AVAILABLE"
    with app.app_context():
        assert_slot_invariants(slot["id"])


def test_booking_every_seat_makes_the_slot_booked(api):
    slot = api.slot(capacity=1)
    api.book(slot["id"])
    assert api.get_slot(slot["id"])["status"] == "BOOKED"


def test_holding_answers_201_pending_until_now_plus_the_hold_time(api):
    slot = api.slot()
    response = api.hold(slot["id"])
    assert response.status_code == 201
    assert response.json["status"] == "PENDING"
    assert at(response.json["expiresAt"]) == NOW + timedelta(seconds=120)


def test_holding_takes_the_seats_as_held_and_locks_a_full_slot(api, app):
    slot = api.slot(capacity=2)
    api.hold(slot["id"], seats=2)
    after = api.get_slot(slot["id"])
    assert (after["bookedSeats"], after["heldSeats"], after["availableSeats"]) == (0, 2, 0)
    assert after["status"] == "LOCKED"
    with app.app_context():
        assert_slot_invariants(slot["id"])


def test_the_hold_time_follows_the_hold_ttl_setting(clock):
    app = create_app(test_settings(hold_ttl_seconds=5), clock=clock)
    api = Api(app.test_client())
    response = api.hold(api.slot()["id"])
    assert response.status_code == 201
    assert at(response.json["expiresAt"]) == NOW + timedelta(seconds=5)


def test_dates_in_answers_are_utc(api):
    body = api.hold(api.slot()["id"]).json
    for name in ("expiresAt", "createdAt", "updatedAt"):
        assert body[name].endswith(("Z", "+00:00")), body[name]


@pytest.mark.parametrize("path", [BOOK, HOLD])
def test_answers_embed_the_current_service_and_slot(api, path):
    service = api.service(name="Dr. Strange", category="Surgery")
    slot = api.slot(service["id"], capacity=4)
    body = api.client.post(path, json={"slotId": slot["id"], "userId": "u1", "seats": 3}).json
    assert body["service"]["id"] == service["id"]
    assert body["service"]["name"] == "Dr. Strange"
    assert body["slot"]["id"] == slot["id"]
    assert body["slot"]["availableSeats"] == 1  # the slot as it is after the seats were taken


def test_user_name_and_email_are_kept(api):
    slot = api.slot()
    response = api.client.post(
        BOOK,
        json={
            "slotId": slot["id"],
            "userId": "u1",
            "userName": "Grace Hopper",
            "userEmail": "grace@example.com",
        },
    )
    assert response.status_code == 201
    assert (response.json["userName"], response.json["userEmail"]) == (
        "Grace Hopper",
        "grace@example.com",
    )


def test_seats_default_to_one(api):
    slot = api.slot(capacity=3)
    response = api.client.post(BOOK, json={"slotId": slot["id"], "userId": "u1"})
    assert response.status_code == 201 and response.json["seats"] == 1


@pytest.mark.parametrize("path", [BOOK, HOLD])
def test_more_seats_than_the_capacity_is_422_and_takes_nothing(api, path):
    slot = api.slot(capacity=2)
    response = api.client.post(path, json={"slotId": slot["id"], "userId": "u1", "seats": 3})
    refused(response, 422)
    assert "seats" in response.json["errors"]["json"]
    assert api.get_slot(slot["id"])["availableSeats"] == 2


@pytest.mark.parametrize("seats", [0, -1, "1", 1.5, None, True, 10**30])
@pytest.mark.parametrize("path", [BOOK, HOLD])
def test_seats_that_are_not_a_positive_integer_are_422(api, path, seats):
    slot = api.slot(capacity=3)
    response = api.client.post(path, json={"slotId": slot["id"], "userId": "u1", "seats": seats})
    refused(response, 422)
    assert "seats" in response.json["errors"]["json"]
    assert api.get_slot(slot["id"])["availableSeats"] == 3


@pytest.mark.parametrize("path", [BOOK, HOLD])
def test_an_unknown_slot_is_404(api, path):
    refused(api.client.post(path, json={"slotId": UNKNOWN_ID, "userId": "u1"}), 404)


@pytest.mark.parametrize("slot_id", ["nope", "0123456789abcdef0123456z", 42, None, ""])
@pytest.mark.parametrize("path", [BOOK, HOLD])
def test_a_malformed_slot_id_is_422_on_the_slot_id_field(api, path, slot_id):
    response = api.client.post(path, json={"slotId": slot_id, "userId": "u1"})
    refused(response, 422)
    assert "slotId" in response.json["errors"]["json"]


@pytest.mark.parametrize(
    "body, field",
    [
        ({"userId": "u1"}, "slotId"),
        ({}, "userId"),
        ({"userId": ""}, "userId"),
        ({"userId": "x" * 201}, "userId"),
        ({"userId": 7}, "userId"),
        ({"userId": "u1", "userEmail": "not-an-email"}, "userEmail"),
        ({"userId": "u1", "userName": "x" * 201}, "userName"),
        ({"userId": "u1", "colour": "blue"}, "colour"),
    ],
)
def test_invalid_bodies_are_422_naming_the_field(api, body, field):
    slot = api.slot()
    body = {"slotId": slot["id"], **body} if field != "slotId" else body
    response = api.client.post(BOOK, json=body)
    refused(response, 422)
    assert field in response.json["errors"]["json"]


def test_a_body_that_is_not_json_is_400(api):
    refused(api.client.post(HOLD, data="{not json", content_type="application/json"), 400)


@pytest.mark.parametrize("raw", ["[1, 2]", '"text"', "null"])
def test_json_that_is_not_an_object_is_422(api, raw):
    refused(api.client.post(HOLD, data=raw, content_type="application/json"), 422)


def test_a_body_in_another_format_is_415(api):
    response = api.client.post(
        HOLD, data="slotId=1", content_type="application/x-www-form-urlencoded"
    )
    refused(response, 415)


@pytest.mark.parametrize("path", [BOOK, HOLD])
def test_too_few_free_seats_is_409_slot_unavailable(api, path):
    slot = api.slot(capacity=3)
    api.book(slot["id"], user="first", seats=2)
    response = api.client.post(path, json={"slotId": slot["id"], "userId": "u2", "seats": 2})
    refused(response, 409, "SLOT_UNAVAILABLE")
    assert api.get_slot(slot["id"])["availableSeats"] == 1


def test_a_held_seat_is_as_taken_as_a_booked_one(api):
    slot = api.slot(capacity=1)
    api.hold(slot["id"], user="first")
    refused(api.book(slot["id"], user="second"), 409, "SLOT_UNAVAILABLE")


@pytest.mark.parametrize("path", [BOOK, HOLD])
def test_a_slot_that_has_started_is_409_slot_in_past(api, clock, path):
    slot = api.slot(start=NOW + timedelta(hours=1))
    clock.advance(hours=1)  # exactly at startTime: it has started
    response = api.client.post(path, json={"slotId": slot["id"], "userId": "u1"})
    refused(response, 409, "SLOT_IN_PAST")
    assert api.get_slot(slot["id"])["availableSeats"] == 1


def test_a_slot_starting_in_a_second_can_still_be_booked(api, clock):
    slot = api.slot(start=NOW + timedelta(hours=1))
    clock.advance(minutes=59, seconds=59)
    assert api.book(slot["id"]).status_code == 201


@pytest.mark.parametrize("first", ["hold", "book"])
@pytest.mark.parametrize("second", ["hold", "book"])
def test_the_same_user_twice_on_a_slot_is_409_duplicate_booking(api, first, second):
    slot = api.slot(capacity=5)
    assert getattr(api, first)(slot["id"], user="alice").status_code == 201
    refused(getattr(api, second)(slot["id"], user="alice"), 409, "DUPLICATE_BOOKING")
    assert api.get_slot(slot["id"])["availableSeats"] == 4


def test_other_users_may_share_a_slot(api, app):
    slot = api.slot(capacity=3)
    assert api.hold(slot["id"], user="alice").status_code == 201
    assert api.book(slot["id"], user="bob").status_code == 201
    assert api.get_slot(slot["id"])["availableSeats"] == 1
    with app.app_context():
        assert_slot_invariants(slot["id"])


@pytest.mark.parametrize("first", ["hold", "book"])
def test_the_same_user_may_book_again_after_cancelling(api, first):
    slot = api.slot(capacity=2)
    appointment = getattr(api, first)(slot["id"], user="alice").json
    api.client.patch(f"/api/v1/appointments/{appointment['id']}/cancel")
    again = api.book(slot["id"], user="alice")
    assert again.status_code == 201 and again.json["id"] != appointment["id"]


@pytest.mark.parametrize("second", ["hold", "book"])
def test_the_same_user_may_take_seats_again_after_the_hold_expired(api, app, clock, second):
    slot = api.slot(capacity=2)
    first = api.hold(slot["id"], user="alice").json
    clock.advance(seconds=120)
    assert getattr(api, second)(slot["id"], user="alice").status_code == 201
    assert api.client.get(f"/api/v1/appointments/{first['id']}").json["status"] == "EXPIRED"
    with app.app_context():
        assert_slot_invariants(slot["id"])


@pytest.mark.parametrize("user", ["a.b", "$where", "x" * 200, "ünï cödé", "user@example.com"])
def test_any_user_id_of_1_to_200_characters_is_kept_as_given(api, user):
    slot = api.slot(capacity=2)
    response = api.book(slot["id"], user=user)
    assert response.status_code == 201 and response.json["userId"] == user
    assert api.book(slot["id"], user=user).json["reason"] == "DUPLICATE_BOOKING"


def test_an_expired_hold_never_blocks_another_user(api, app, clock):
    slot = api.slot(capacity=1)
    stale = api.hold(slot["id"], user="alice").json
    clock.advance(seconds=121)
    response = api.book(slot["id"], user="bob")
    assert response.status_code == 201
    assert api.client.get(f"/api/v1/appointments/{stale['id']}").json["status"] == "EXPIRED"
    after = api.get_slot(slot["id"])
    assert (after["bookedSeats"], after["heldSeats"], after["status"]) == (1, 0, "BOOKED")
    with app.app_context():
        assert_slot_invariants(slot["id"])


def test_a_hold_expires_exactly_at_expires_at(api, clock):
    slot = api.slot(capacity=1)
    api.hold(slot["id"], user="alice")
    clock.advance(seconds=119)
    refused(api.hold(slot["id"], user="bob"), 409, "SLOT_UNAVAILABLE")
    clock.advance(seconds=1)
    assert api.hold(slot["id"], user="bob").status_code == 201


def test_expired_holds_free_enough_seats_for_a_larger_request(api, clock):
    slot = api.slot(capacity=4)
    api.hold(slot["id"], user="a", seats=2)
    api.hold(slot["id"], user="b", seats=1)
    clock.advance(seconds=121)
    assert api.book(slot["id"], user="c", seats=4).status_code == 201


@pytest.mark.parametrize("path", [BOOK, HOLD])
def test_an_archived_service_takes_no_new_appointments(api, client, path):
    slot = api.slot()
    assert client.delete(f"/api/v1/services/{slot['serviceId']}").status_code == 204
    response = client.post(path, json={"slotId": slot["id"], "userId": "u1"})
    refused(response, 409, "SERVICE_INACTIVE")


@pytest.mark.parametrize("path", [BOOK, HOLD])
def test_a_full_slot_of_an_archived_service_refuses_as_the_service_inactive(
    api, client, repos, path
):
    slot = api.slot(capacity=1)
    assert api.book(slot["id"], user="first").status_code == 201
    # an archive finds the booking and is refused: the service is archived behind its back
    assert repos.services.begin_closing(slot["serviceId"], "token")
    assert repos.services.finish_closing(slot["serviceId"], "token", NOW)
    response = client.post(path, json={"slotId": slot["id"], "userId": "u2"})
    refused(response, 409, "SERVICE_INACTIVE")
    assert api.get_slot(slot["id"])["bookedSeats"] == 1
