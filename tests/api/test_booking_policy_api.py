"""Booking policy of a service (API.md, second part): minimum notice, how far ahead, the
cancel cutoff, and their defaults; PATCH merges, null resets."""

from datetime import timedelta

import pytest

from tests.conftest import NOW

pytestmark = pytest.mark.usefixtures("no_server_errors")

DEFAULTS = {
    "minNoticeMinutes": 0,
    "maxAdvanceDays": None,
    "cancelCutoffMinutes": 0,
    "maxActivePerUser": None,
}


def with_policy(client, api, **policy) -> dict:
    service = api.service()
    response = client.patch(f"/api/v1/services/{service['id']}", json={"policy": policy})
    assert response.status_code == 200, response.json
    return response.json


def test_a_new_service_shows_the_default_policy(api):
    assert api.service()["policy"] == DEFAULTS


def test_a_service_may_be_created_with_a_policy(api):
    service = api.service(policy={"minNoticeMinutes": 30})
    assert service["policy"] == {**DEFAULTS, "minNoticeMinutes": 30}


def test_patch_merges_the_given_fields_and_null_resets_one(client, api):
    service = with_policy(client, api, minNoticeMinutes=60, maxAdvanceDays=30)
    path = f"/api/v1/services/{service['id']}"
    merged = client.patch(path, json={"policy": {"cancelCutoffMinutes": 120}}).json
    assert merged["policy"] == {
        **DEFAULTS,
        "minNoticeMinutes": 60,
        "maxAdvanceDays": 30,
        "cancelCutoffMinutes": 120,
    }
    reset = client.patch(path, json={"policy": {"minNoticeMinutes": None}}).json
    assert reset["policy"] == {**DEFAULTS, "maxAdvanceDays": 30, "cancelCutoffMinutes": 120}
    assert client.get(path).json["policy"] == reset["policy"]


def test_patch_of_other_fields_keeps_the_policy(client, api):
    service = with_policy(client, api, maxActivePerUser=2)
    renamed = client.patch(f"/api/v1/services/{service['id']}", json={"name": "Dr. Who II"}).json
    assert renamed["policy"]["maxActivePerUser"] == 2


@pytest.mark.parametrize(
    "policy, field",
    [
        ({"minNoticeMinutes": -1}, "minNoticeMinutes"),
        ({"minNoticeMinutes": "5"}, "minNoticeMinutes"),
        ({"maxAdvanceDays": 0}, "maxAdvanceDays"),
        ({"cancelCutoffMinutes": 1.5}, "cancelCutoffMinutes"),
        ({"maxActivePerUser": 0}, "maxActivePerUser"),
        ({"maxActivePerUser": 10**30}, "maxActivePerUser"),
        ({"bufferMinutes": 5}, "bufferMinutes"),
    ],
)
def test_an_invalid_policy_is_a_422_naming_the_field_and_changes_nothing(
    client, api, check, policy, field
):
    service = api.service()
    response = client.patch(f"/api/v1/services/{service['id']}", json={"policy": policy})
    body = check.error(response, 422)
    assert field in body["errors"]["json"]["policy"], body
    assert client.get(f"/api/v1/services/{service['id']}").json == service


def test_a_policy_that_is_not_an_object_is_a_422(client, api, check):
    service = api.service()
    check.invalid(
        client.patch(f"/api/v1/services/{service['id']}", json={"policy": [1]}), "json", "policy"
    )


@pytest.mark.parametrize("take", ["book", "hold"])
def test_taking_a_slot_sooner_than_the_minimum_notice_is_notice_too_short(client, api, check, take):
    service = with_policy(client, api, minNoticeMinutes=60)
    soon = api.slot(service["id"], start=NOW + timedelta(minutes=59), minutes=1)
    enough = api.slot(service["id"], start=NOW + timedelta(minutes=60))
    before = check.state()
    check.error(getattr(api, take)(soon["id"]), 409, "NOTICE_TOO_SHORT")
    assert check.state() == before
    assert getattr(api, take)(enough["id"]).status_code == 201


@pytest.mark.parametrize("take", ["book", "hold"])
def test_taking_a_slot_further_ahead_than_allowed_is_too_far_ahead(client, api, check, take):
    service = with_policy(client, api, maxAdvanceDays=7)
    far = api.slot(service["id"], start=NOW + timedelta(days=7, minutes=1))
    near = api.slot(service["id"], start=NOW + timedelta(days=7), minutes=1)
    before = check.state()
    check.error(getattr(api, take)(far["id"]), 409, "TOO_FAR_AHEAD")
    assert check.state() == before
    assert getattr(api, take)(near["id"]).status_code == 201


def test_rescheduling_to_a_slot_inside_the_notice_is_refused_and_keeps_the_old(client, api, check):
    service = with_policy(client, api, minNoticeMinutes=60)
    old = api.slot(service["id"], start=NOW + timedelta(days=1))
    soon = api.slot(service["id"], start=NOW + timedelta(minutes=30))
    far = api.slot(service["id"], start=NOW + timedelta(days=2))
    client.patch(f"/api/v1/services/{service['id']}", json={"policy": {"maxAdvanceDays": 1}})
    booked = api.book(old["id"]).json
    before = check.state()
    path = f"/api/v1/appointments/{booked['id']}/reschedule"
    check.error(client.post(path, json={"slotId": soon["id"]}), 409, "NOTICE_TOO_SHORT")
    check.error(client.post(path, json={"slotId": far["id"]}), 409, "TOO_FAR_AHEAD")
    assert check.state() == before


@pytest.mark.parametrize("take", ["book", "hold"])
def test_inside_the_cancel_cutoff_a_user_may_not_cancel(client, api, check, take):
    service = with_policy(client, api, cancelCutoffMinutes=200)
    slot = api.slot(service["id"], start=NOW + timedelta(minutes=199))
    appointment = getattr(api, take)(slot["id"]).json
    before = check.state()
    check.error(
        client.patch(f"/api/v1/appointments/{appointment['id']}/cancel"), 409, "CANCEL_CUTOFF"
    )
    assert check.state() == before


def test_before_the_cancel_cutoff_a_user_may_cancel(client, api, clock):
    service = with_policy(client, api, cancelCutoffMinutes=120)
    slot = api.slot(service["id"], start=NOW + timedelta(hours=3))
    booked = api.book(slot["id"]).json
    clock.advance(minutes=60)  # exactly 120 minutes before the start
    response = client.patch(f"/api/v1/appointments/{booked['id']}/cancel")
    assert response.status_code == 200 and response.json["status"] == "CANCELLED"


def test_inside_the_cancel_cutoff_a_user_may_not_reschedule(client, api, check, clock):
    service = with_policy(client, api, cancelCutoffMinutes=120)
    slot = api.slot(service["id"], start=NOW + timedelta(hours=1))
    other = api.slot(service["id"], start=NOW + timedelta(days=2))
    booked = api.book(slot["id"]).json
    before = check.state()
    response = client.post(
        f"/api/v1/appointments/{booked['id']}/reschedule", json={"slotId": other["id"]}
    )
    check.error(response, 409, "CANCEL_CUTOFF")
    assert check.state() == before


def test_cancelling_a_cancelled_appointment_inside_the_cutoff_still_changes_nothing(client, api):
    service = with_policy(client, api)
    slot = api.slot(service["id"], start=NOW + timedelta(hours=1))
    booked = api.book(slot["id"]).json
    path = f"/api/v1/appointments/{booked['id']}/cancel"
    assert client.patch(path).status_code == 200
    client.patch(f"/api/v1/services/{service['id']}", json={"policy": {"cancelCutoffMinutes": 90}})
    assert client.patch(path).json["status"] == "CANCELLED"


def limited(client, api, limit: int = 2, count: int = 4) -> tuple[dict, list]:
    """A service allowing `limit` live appointments per user, with `count` slots a day apart."""
    service = with_policy(client, api, maxActivePerUser=limit)
    slots = [api.slot(service["id"], start=NOW + timedelta(days=1 + i)) for i in range(count)]
    return service, slots


def test_a_user_past_the_limit_is_user_limit_reached_and_nothing_changes(client, api, check):
    _, slots = limited(client, api)
    assert api.book(slots[0]["id"]).status_code == 201
    assert api.hold(slots[1]["id"]).status_code == 201
    before = check.state()
    check.error(api.book(slots[2]["id"]), 409, "USER_LIMIT_REACHED")
    check.error(api.hold(slots[2]["id"]), 409, "USER_LIMIT_REACHED")
    assert check.state() == before


def test_other_users_and_other_services_have_limits_of_their_own(client, api):
    _, slots = limited(client, api, limit=1)
    assert api.book(slots[0]["id"]).status_code == 201
    assert api.book(slots[1]["id"], user="u2").status_code == 201
    assert api.book(api.slot(start=NOW + timedelta(days=1))["id"]).status_code == 201


def test_a_cancelled_appointment_no_longer_counts(client, api):
    _, slots = limited(client, api, limit=1)
    booked = api.book(slots[0]["id"]).json
    client.patch(f"/api/v1/appointments/{booked['id']}/cancel")
    assert api.book(slots[1]["id"]).status_code == 201


def test_an_expired_hold_no_longer_counts(client, api, clock):
    _, slots = limited(client, api, limit=1)
    assert api.hold(slots[0]["id"]).status_code == 201
    clock.advance(seconds=121)
    assert api.book(slots[1]["id"]).status_code == 201


def test_an_appointment_on_a_slot_that_has_started_no_longer_counts(client, api, clock):
    service = with_policy(client, api, maxActivePerUser=1)
    soon = api.slot(service["id"], start=NOW + timedelta(minutes=10))
    later = api.slot(service["id"], start=NOW + timedelta(days=1))
    assert api.book(soon["id"]).status_code == 201
    clock.advance(minutes=10)
    assert api.book(later["id"]).status_code == 201


def test_a_refused_booking_does_not_count(client, api):
    _, slots = limited(client, api, limit=1)
    assert api.book(slots[0]["id"], user="u2").status_code == 201
    assert api.book(slots[0]["id"]).status_code == 409  # SLOT_UNAVAILABLE
    assert api.book(slots[1]["id"]).status_code == 201


def test_a_rescheduled_appointment_counts_once(client, api):
    _, slots = limited(client, api, limit=2)
    booked = api.book(slots[0]["id"]).json
    moved = client.post(
        f"/api/v1/appointments/{booked['id']}/reschedule", json={"slotId": slots[1]["id"]}
    )
    assert moved.status_code == 200
    assert api.book(slots[2]["id"]).status_code == 201
    assert api.book(slots[3]["id"]).status_code == 409


def test_a_mark_left_by_a_crash_counts_only_until_the_write_grace_ends(
    client, api, check, repos, clock
):
    from slotkeeper.repositories.tally_repository import Mark
    from slotkeeper.service_layer.policies import user_tally

    service, slots = limited(client, api, limit=1)
    # a process died after marking the tally, before writing its appointment
    assert repos.tallies.create(
        user_tally(service["id"], "u1"),
        [Mark(repos.appointments.new_id(), NOW + timedelta(days=1))],
        clock.now,
    )
    check.error(api.book(slots[1]["id"]), 409, "USER_LIMIT_REACHED")
    clock.advance(seconds=61)
    assert api.book(slots[1]["id"]).status_code == 201


def test_lowering_the_limit_keeps_what_was_booked_and_refuses_more(client, api, check):
    service, slots = limited(client, api, limit=3)
    for slot in slots[:3]:
        assert api.book(slot["id"]).status_code == 201
    client.patch(f"/api/v1/services/{service['id']}", json={"policy": {"maxActivePerUser": 1}})
    check.error(api.book(slots[3]["id"]), 409, "USER_LIMIT_REACHED")


def test_appointments_made_before_the_limit_was_set_count(client, api, check):
    service = api.service()
    slots = [api.slot(service["id"], start=NOW + timedelta(days=1 + i)) for i in range(3)]
    assert api.book(slots[0]["id"]).status_code == 201
    assert api.hold(slots[1]["id"]).status_code == 201
    client.patch(f"/api/v1/services/{service['id']}", json={"policy": {"maxActivePerUser": 2}})
    check.error(api.book(slots[2]["id"]), 409, "USER_LIMIT_REACHED")
    assert api.book(slots[2]["id"], user="u2").status_code == 201
