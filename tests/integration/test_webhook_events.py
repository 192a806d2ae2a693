"""Every use case that changes an appointment emits its event, once, to a real receiver; a
refused request or a repeat that changes nothing emits none."""

import json
from datetime import timedelta

import pytest

from slotkeeper import create_app
from slotkeeper.context import current_repos
from slotkeeper.database.connection import drop_all
from slotkeeper.jobs.expiry_job import run_expiry
from slotkeeper.jobs.webhook_job import run_webhooks
from slotkeeper.models import Appointment
from tests.conftest import test_settings
from tests.receiver import Receiver

HOOKS = "/api/v1/webhooks"
APPOINTMENTS = "/api/v1/appointments"


@pytest.fixture
def app(clock):
    app = create_app(test_settings(webhook_allow_private_networks=True), clock=clock)
    with app.app_context():
        drop_all()
    return app


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


@pytest.fixture
def follow(app, api, receiver):
    """Subscribe the receiver; then each call runs the job and returns the events it got."""
    response = api.client.post(HOOKS, json={"url": receiver.url})
    assert response.status_code == 201, response.json
    seen = 0

    def new_events() -> list[dict]:
        nonlocal seen
        run_webhooks(app)
        events = [json.loads(r.body) for r in receiver.received[seen:]]
        seen = len(receiver.received)
        return events

    return new_events


def kinds(events) -> list[tuple[str, str]]:
    return [(e["type"], e["data"]["status"]) for e in events]


def test_hold_then_confirm_emit_held_then_booked(api, follow):
    held = api.hold(api.slot()["id"]).json
    [event] = follow()
    assert (event["type"], event["data"]["status"]) == ("appointment.held", "PENDING")
    assert event["data"]["expiresAt"] == held["expiresAt"]
    confirmed = api.client.post(f"{APPOINTMENTS}/{held['id']}/confirm")
    assert confirmed.status_code == 200
    [event] = follow()
    assert (event["type"], event["data"]["status"]) == ("appointment.booked", "BOOKED")
    assert event["data"]["expiresAt"] is None and event["data"]["id"] == held["id"]
    assert api.client.post(f"{APPOINTMENTS}/{held['id']}/confirm").status_code == 200
    assert follow() == [], "confirming a booking changes nothing, so tells nothing"


def test_book_emits_booked_and_cancel_emits_cancelled_once(api, follow):
    booked = api.book(api.slot()["id"]).json
    assert kinds(follow()) == [("appointment.booked", "BOOKED")]
    for _ in range(2):
        assert api.client.patch(f"{APPOINTMENTS}/{booked['id']}/cancel").status_code == 200
    [event] = follow()
    assert (event["type"], event["data"]["status"]) == ("appointment.cancelled", "CANCELLED")
    assert event["data"]["cancelledAt"]


def test_reschedule_emits_rescheduled_with_the_previous_slot(api, follow, clock):
    service = api.service()
    old = api.slot(service["id"])
    new = api.slot(service["id"], start=clock.now + timedelta(days=2))
    booked = api.book(old["id"]).json
    follow()
    moved = api.client.post(f"{APPOINTMENTS}/{booked['id']}/reschedule", json={"slotId": new["id"]})
    assert moved.status_code == 200
    [event] = follow()
    assert event["type"] == "appointment.rescheduled"
    assert event["data"]["previousSlotId"] == old["id"]
    assert event["data"]["slotId"] == new["id"] == event["data"]["slot"]["id"]
    assert event["data"]["status"] == "BOOKED"


def test_the_sweep_expiring_a_hold_emits_expired(app, api, follow, clock):
    api.hold(api.slot()["id"])
    follow()
    clock.advance(seconds=121)
    run_expiry(app)
    [event] = follow()
    assert (event["type"], event["data"]["status"]) == ("appointment.expired", "EXPIRED")
    run_expiry(app)
    assert follow() == [], "a second sweep changes nothing, so tells nothing"


def test_a_read_that_settles_a_stale_hold_emits_expired(api, follow, clock):
    held = api.hold(api.slot()["id"]).json
    follow()
    clock.advance(seconds=121)
    assert api.client.get(f"{APPOINTMENTS}/{held['id']}").json["status"] == "EXPIRED"
    assert kinds(follow()) == [("appointment.expired", "EXPIRED")]


def test_refused_requests_emit_nothing(api, follow):
    slot = api.slot()
    booked = api.book(slot["id"]).json
    follow()
    assert api.book(slot["id"], user="u2").status_code == 409  # SLOT_UNAVAILABLE
    assert api.book(slot["id"]).status_code == 409  # DUPLICATE_BOOKING
    assert (
        api.client.post(
            f"{APPOINTMENTS}/{booked['id']}/reschedule", json={"slotId": slot["id"]}
        ).status_code
        == 200
    )  # to where it is
    assert follow() == []


def test_events_of_changes_made_before_the_job_runs_come_in_order_as_each_change_left_it(
    api, follow, clock
):
    service = api.service()
    old = api.slot(service["id"])
    new = api.slot(service["id"], start=clock.now + timedelta(days=2))
    held = api.hold(old["id"]).json
    api.client.post(f"{APPOINTMENTS}/{held['id']}/reschedule", json={"slotId": new["id"]})
    api.client.post(f"{APPOINTMENTS}/{held['id']}/confirm")
    api.client.patch(f"{APPOINTMENTS}/{held['id']}/cancel")
    events = follow()
    assert [(e["type"], e["data"]["status"], e["data"]["slotId"]) for e in events] == [
        ("appointment.held", "PENDING", old["id"]),
        ("appointment.rescheduled", "PENDING", new["id"]),
        ("appointment.booked", "BOOKED", new["id"]),
        ("appointment.cancelled", "CANCELLED", new["id"]),
    ]
    assert events[1]["data"]["expiresAt"] == held["expiresAt"]
    assert len({e["id"] for e in events}) == 4


def test_a_webhook_gets_only_the_types_it_follows_and_an_inactive_one_nothing(app, api, clock):
    with Receiver() as cancels, Receiver() as paused:
        api.client.post(HOOKS, json={"url": cancels.url, "events": ["appointment.cancelled"]})
        hook = api.client.post(HOOKS, json={"url": paused.url}).json
        api.client.patch(f"{HOOKS}/{hook['id']}", json={"active": False})
        booked = api.book(api.slot()["id"]).json
        api.client.patch(f"{APPOINTMENTS}/{booked['id']}/cancel")
        run_webhooks(app)
        assert [json.loads(r.body)["type"] for r in cancels.received] == ["appointment.cancelled"]
        assert paused.received == []


def test_the_outbox_empties_once_events_are_handed_over(app, api, follow):
    api.book(api.slot()["id"])
    follow()
    with app.app_context():
        assert current_repos().appointments.with_events(10) == []
        assert all(not a.outbox for a in Appointment.objects)


def test_an_offer_to_the_waiting_list_emits_held_and_waitlist_offered_with_the_entry(api, follow):
    slot = api.slot()
    booked = api.book(slot["id"], "b1").json
    joined = api.client.post(f"/api/v1/slots/{slot['id']}/waitlist", json={"userId": "w1"}).json
    follow()  # the booking's event
    api.client.patch(f"{APPOINTMENTS}/{booked['id']}/cancel")
    events = follow()  # in order for each appointment, in no order between the two
    offer_events = [e for e in events if e["type"] != "appointment.cancelled"]
    assert [e["type"] for e in events if e not in offer_events] == ["appointment.cancelled"]
    assert [e["type"] for e in offer_events] == ["appointment.held", "waitlist.offered"]
    held, offered = offer_events[0]["data"], offer_events[1]["data"]
    assert offered["id"] == joined["id"] and offered["status"] == "OFFERED"
    assert offered["userId"] == "w1" and offered["position"] is None
    assert offered["appointment"]["status"] == "PENDING"
    assert offered["appointmentId"] == offered["appointment"]["id"] == held["id"]
    assert follow() == []
