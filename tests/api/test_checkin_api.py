"""Check-in and no-show (API.md, second part): BOOKED -> ATTENDED or NO_SHOW, both final,
both keeping their seats counted."""

from datetime import timedelta

import pytest

from tests.conftest import NOW

pytestmark = pytest.mark.usefixtures("no_server_errors")

START = NOW + timedelta(hours=2)  # slots last 30 minutes


@pytest.fixture
def booked(api) -> dict:
    slot = api.slot(start=START, capacity=2)
    response = api.book(slot["id"])
    assert response.status_code == 201
    return response.json


def attend(client, appointment: dict):
    return client.post(f"/api/v1/appointments/{appointment['id']}/attend")


def no_show(client, appointment: dict):
    return client.post(f"/api/v1/appointments/{appointment['id']}/no-show")


def test_a_booking_is_attended_from_an_hour_before_the_start(client, api, clock, booked):
    clock.now = START - timedelta(hours=1)
    response = attend(client, booked)
    assert response.status_code == 200
    assert response.json["status"] == "ATTENDED"
    slot = api.get_slot(booked["slotId"])
    assert (slot["bookedSeats"], slot["availableSeats"]) == (1, 1)


def test_attending_twice_answers_200_unchanged(client, clock, booked):
    clock.now = START
    first = attend(client, booked).json
    clock.advance(minutes=1)
    again = attend(client, booked)
    assert again.status_code == 200 and again.json == first


def test_attending_earlier_than_an_hour_before_is_too_early(client, clock, booked, check):
    clock.now = START - timedelta(hours=1, seconds=1)
    before = check.state()
    check.error(attend(client, booked), 409, "TOO_EARLY")
    assert check.state() == before


def test_attending_after_the_end_is_too_late(client, clock, booked, check):
    clock.now = START + timedelta(minutes=30)
    before = check.state()
    check.error(attend(client, booked), 409, "TOO_LATE")
    assert check.state() == before


def test_a_no_show_is_recorded_once_the_slot_has_started(client, api, clock, booked):
    clock.now = START
    response = no_show(client, booked)
    assert response.status_code == 200 and response.json["status"] == "NO_SHOW"
    assert api.get_slot(booked["slotId"])["bookedSeats"] == 1
    again = no_show(client, booked)
    assert again.status_code == 200 and again.json == response.json


def test_a_no_show_before_the_start_is_too_early(client, clock, booked, check):
    clock.now = START - timedelta(seconds=1)
    check.error(no_show(client, booked), 409, "TOO_EARLY")


def test_a_no_show_after_the_end_is_still_recorded(client, clock, booked):
    clock.now = START + timedelta(days=1)
    assert no_show(client, booked).json["status"] == "NO_SHOW"


@pytest.mark.parametrize("other", [attend, no_show])
def test_attended_and_no_show_are_final_for_each_other(client, clock, booked, check, other):
    clock.now = START + timedelta(minutes=1)
    first = no_show if other is attend else attend
    assert first(client, booked).status_code == 200
    check.error(other(client, booked), 409, "INVALID_TRANSITION")


@pytest.mark.parametrize("use", [attend, no_show])
def test_cancel_and_reschedule_of_a_used_booking_are_invalid_transition(
    client, api, clock, booked, check, use
):
    other = api.slot(booked["serviceId"], start=START + timedelta(days=1))
    clock.now = START + timedelta(minutes=1)
    assert use(client, booked).status_code == 200
    before = check.state()
    check.error(
        client.patch(f"/api/v1/appointments/{booked['id']}/cancel"), 409, "INVALID_TRANSITION"
    )
    check.error(
        client.post(
            f"/api/v1/appointments/{booked['id']}/reschedule", json={"slotId": other["id"]}
        ),
        409,
        "INVALID_TRANSITION",
    )
    check.error(
        client.post(f"/api/v1/appointments/{booked['id']}/confirm"), 409, "INVALID_TRANSITION"
    )
    assert check.state() == before


@pytest.mark.parametrize("use", [attend, no_show])
def test_only_a_booking_can_be_used(client, api, clock, check, use):
    slot = api.slot(start=START, capacity=3)
    held = api.hold(slot["id"], user="held").json
    cancelled = api.book(slot["id"], user="gone").json
    client.patch(f"/api/v1/appointments/{cancelled['id']}/cancel")
    clock.now = START + timedelta(seconds=1)
    for appointment in (held, cancelled):
        check.error(use(client, appointment), 409, "INVALID_TRANSITION")


@pytest.mark.parametrize("use", [attend, no_show])
def test_an_unknown_appointment_is_a_404(client, check, use):
    check.error(use(client, {"id": "not-an-id"}), 404)
    check.error(use(client, {"id": "6b0f004a027e876751c69b61"}), 404)


def test_used_bookings_are_listed_by_their_status(client, clock, booked, check):
    clock.now = START
    attend(client, booked)
    listed = check.listing("/api/v1/appointments", status="ATTENDED")
    assert [a["id"] for a in listed] == [booked["id"]]


def test_a_slot_with_a_used_booking_cannot_be_deleted(client, clock, booked, check):
    clock.now = START
    attend(client, booked)
    check.error(client.delete(f"/api/v1/slots/{booked['slotId']}"), 409, "HAS_ACTIVE_APPOINTMENTS")


def test_check_in_and_no_show_record_their_events_for_the_webhooks(app, client, clock, api):
    from slotkeeper.models import Appointment

    first, second = (
        api.book(api.slot(start=START + timedelta(hours=h))["id"]).json for h in (0, 1)
    )
    clock.now = START + timedelta(minutes=5)
    assert attend(client, first).status_code == 200
    clock.now = START + timedelta(hours=1, minutes=5)
    assert no_show(client, second).status_code == 200
    with app.app_context():
        types = {str(a.id): [e["type"] for e in a.outbox] for a in Appointment.objects}
    assert types[first["id"]][-1] == "appointment.attended"
    assert types[second["id"]][-1] == "appointment.no_show"


def test_an_attended_booking_on_a_slot_not_yet_started_does_not_block_archiving(
    client, api, clock, booked
):
    # ATTENDED is history, not a live appointment: only PENDING and BOOKED ones block
    clock.now = START - timedelta(minutes=30)
    assert attend(client, booked).status_code == 200
    response = client.delete(f"/api/v1/services/{booked['serviceId']}")
    assert response.status_code == 204, response.json
    assert client.get(f"/api/v1/services/{booked['serviceId']}").json["active"] is False


def test_a_booking_beside_an_attended_one_still_blocks_archiving(client, api, clock, booked, check):
    clock.now = START - timedelta(minutes=30)
    other = api.book(booked["slotId"], user="u2").json
    assert attend(client, booked).status_code == 200
    check.error(
        client.delete(f"/api/v1/services/{booked['serviceId']}"), 409, "HAS_ACTIVE_APPOINTMENTS"
    )
    client.patch(f"/api/v1/appointments/{other['id']}/cancel")
    assert client.delete(f"/api/v1/services/{booked['serviceId']}").status_code == 204
