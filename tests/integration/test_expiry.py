"""The expiry sweep on the configured engine, and the scheduler job that runs it."""

from datetime import timedelta

import pytest

from slotkeeper import create_app
from slotkeeper.database.connection import drop_all
from slotkeeper.jobs.expiry_job import JOB_ID
from slotkeeper.models import Appointment, Calendar
from slotkeeper.service_layer.expiry import sweep
from tests.conftest import Api, test_settings
from tests.invariants import assert_all_invariants, assert_slot_invariants


def status_of(appointment_id) -> str:
    return Appointment.objects.get(id=appointment_id).status


def seats(api, slot_id) -> tuple[int, int, str]:
    slot = api.get_slot(slot_id)
    return slot["bookedSeats"], slot["heldSeats"], slot["status"]


def test_the_sweep_expires_holds_past_their_deadline_and_frees_their_seats(api, repos, clock):
    slot = api.slot(capacity=3)
    first = api.hold(slot["id"], user="a", seats=2).json
    second = api.hold(slot["id"], user="b", seats=1).json
    clock.advance(seconds=120)
    report = sweep(repos, clock.now)
    assert report.expired == 2
    assert status_of(first["id"]) == status_of(second["id"]) == "EXPIRED"
    assert Appointment.objects.get(id=first["id"]).expires_at is None
    assert seats(api, slot["id"]) == (0, 0, "AVAILABLE")
    assert_slot_invariants(slot["id"])


def test_sweeping_twice_returns_the_seats_once(api, repos, clock):
    slot = api.slot(capacity=3)
    api.book(slot["id"], user="keeper")
    hold = api.hold(slot["id"], user="a", seats=2).json
    clock.advance(seconds=121)
    assert [sweep(repos, clock.now).expired for _ in range(2)] == [1, 0]
    assert status_of(hold["id"]) == "EXPIRED"
    assert seats(api, slot["id"]) == (1, 0, "AVAILABLE")
    assert_slot_invariants(slot["id"])


def test_a_hold_not_yet_expired_is_untouched(api, repos, clock):
    slot = api.slot(capacity=1)
    hold = api.hold(slot["id"]).json
    clock.advance(seconds=119)
    assert sweep(repos, clock.now).expired == 0
    assert status_of(hold["id"]) == "PENDING"
    assert seats(api, slot["id"]) == (0, 1, "LOCKED")
    assert api.client.post(f"/api/v1/appointments/{hold['id']}/confirm").status_code == 200
    assert_slot_invariants(slot["id"])


def test_bookings_are_untouched_however_late_it_is(api, repos, clock):
    slot = api.slot(capacity=2)
    booking = api.book(slot["id"], user="a").json
    confirmed = api.hold(slot["id"], user="b").json
    api.client.post(f"/api/v1/appointments/{confirmed['id']}/confirm")
    clock.advance(days=2)  # past every deadline and past the slot itself
    assert sweep(repos, clock.now).expired == 0
    assert status_of(booking["id"]) == status_of(confirmed["id"]) == "BOOKED"
    assert seats(api, slot["id"]) == (2, 0, "BOOKED")
    assert_slot_invariants(slot["id"])


def test_cancelled_appointments_are_untouched(api, repos, clock):
    slot = api.slot(capacity=1)
    hold = api.hold(slot["id"]).json
    api.client.patch(f"/api/v1/appointments/{hold['id']}/cancel")
    clock.advance(seconds=121)
    assert sweep(repos, clock.now).expired == 0
    assert status_of(hold["id"]) == "CANCELLED"
    assert seats(api, slot["id"]) == (0, 0, "AVAILABLE")
    assert_slot_invariants(slot["id"])


def test_the_sweep_only_expires_what_is_due(api, repos, clock):
    early_slot, late_slot = api.slot(capacity=2), api.slot(capacity=2)
    early = api.hold(early_slot["id"], user="a").json
    clock.advance(seconds=60)
    late = api.hold(late_slot["id"], user="b").json
    clock.advance(seconds=60)
    assert sweep(repos, clock.now).expired == 1
    assert (status_of(early["id"]), status_of(late["id"])) == ("EXPIRED", "PENDING")
    clock.advance(seconds=60)
    assert sweep(repos, clock.now).expired == 1
    assert status_of(late["id"]) == "EXPIRED"
    assert_all_invariants()


def test_a_hold_expired_by_a_request_is_not_expired_again_by_the_sweep(api, repos, clock):
    slot = api.slot(capacity=1)
    stale = api.hold(slot["id"], user="a").json
    clock.advance(seconds=121)
    assert api.book(slot["id"], user="b").status_code == 201  # reclaims the stale hold
    assert sweep(repos, clock.now).expired == 0
    assert status_of(stale["id"]) == "EXPIRED"
    assert seats(api, slot["id"]) == (1, 0, "BOOKED")
    assert_slot_invariants(slot["id"])


def test_a_rescheduled_hold_expires_on_its_new_slot(api, repos, clock):
    service = api.service()
    old = api.slot(service["id"], capacity=2)
    new = api.slot(service["id"], start=clock.now + timedelta(days=2), capacity=2)
    hold = api.hold(old["id"]).json
    api.client.post(f"/api/v1/appointments/{hold['id']}/reschedule", json={"slotId": new["id"]})
    clock.advance(seconds=121)
    assert sweep(repos, clock.now).expired == 1
    assert status_of(hold["id"]) == "EXPIRED"
    assert seats(api, old["id"]) == seats(api, new["id"]) == (0, 0, "AVAILABLE")
    assert_all_invariants()


# the scheduler wiring


def test_one_sweep_works_through_more_stale_holds_than_a_batch(api, repos, clock, monkeypatch):
    from slotkeeper.service_layer import expiry

    monkeypatch.setattr(expiry, "BATCH", 3)
    service = api.service()
    slots = [
        api.slot(service["id"], start=clock.now + timedelta(days=1, hours=h)) for h in range(8)
    ]
    for slot in slots:
        api.hold(slot["id"], user="a")
    clock.advance(seconds=121)
    assert sweep(repos, clock.now).expired == 8
    assert Appointment.objects(status="PENDING").count() == 0
    assert_all_invariants()


@pytest.fixture
def scheduled_app(clock):
    settings = test_settings(expiry_sweep_seconds=1).with_overrides(expiry_job_enabled=True)
    app = create_app(settings, clock=clock)
    with app.app_context():
        drop_all()
    yield app
    app.apscheduler.shutdown()  # waits for a run in progress, so none outlives the test


def test_no_job_is_scheduled_when_the_expiry_job_is_disabled(app):
    assert getattr(app, "apscheduler", None) is None


def test_the_app_schedules_the_sweep_every_expiry_sweep_seconds(scheduled_app):
    scheduler = scheduled_app.apscheduler
    job = scheduler.get_job(JOB_ID)
    assert scheduler.running
    assert job is not None
    assert job.trigger.interval == timedelta(seconds=1)
    assert job.max_instances == 1


def test_the_scheduled_job_sweeps_with_the_apps_clock(scheduled_app, clock):
    api = Api(scheduled_app.test_client())
    slot = api.slot(capacity=1)
    hold = api.hold(slot["id"]).json
    clock.advance(seconds=121)
    job = scheduled_app.apscheduler.get_job(JOB_ID)
    job.func(*job.args, **job.kwargs)  # one run, now, instead of waiting for the timer
    with scheduled_app.app_context():
        assert status_of(hold["id"]) == "EXPIRED"
        assert_slot_invariants(slot["id"])
    assert seats(api, slot["id"]) == (0, 0, "AVAILABLE")


def test_a_closure_keeps_its_calendar_on_the_sweeps_list_only_until_one_visit_after_its_check(
    api, client, repos, clock
):
    service = api.service()
    start = (clock.now + timedelta(days=2)).isoformat()
    end = (clock.now + timedelta(days=3)).isoformat()
    body = {"from": start, "to": end}
    assert client.post(f"/api/v1/services/{service['id']}/closures", json=body).status_code == 201
    assert repos.calendars.due(clock.now, 10) == []  # its writer settled it; due at the grace
    later = clock.now + timedelta(minutes=1)
    assert [str(i) for i in repos.calendars.due(later, 10)] == [service["id"]]
    assert sweep(repos, later).calendars_checked == 1
    assert repos.calendars.due(later + timedelta(days=9), 10) == []
    assert "due" not in Calendar._get_collection().find_one({})
    assert sweep(repos, later).calendars_checked == 0


def test_laying_slots_puts_no_calendar_on_the_sweeps_list(api, client, repos, clock):
    service = api.service()
    schedule = {"weekly": {str(d): [{"start": "09:00", "end": "12:00"}] for d in range(1, 8)}}
    response = client.put(
        f"/api/v1/services/{service['id']}/schedule", json={**schedule, "slotMinutes": 60}
    )
    assert response.status_code == 200 and response.json["created"] > 0
    assert "due" not in Calendar._get_collection().find_one({})
    assert sweep(repos, clock.now + timedelta(days=1)).calendars_checked == 0
