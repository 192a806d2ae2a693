"""Calendar rules that hold for every service (API.md, second part): no slot starts in the
past, the slots of one service never overlap, a hold never outlives its slot's start."""

from datetime import timedelta

import pytest

from slotkeeper.domain.errors import REASONS
from slotkeeper.repositories.calendar_repository import Span
from slotkeeper.service_layer import expiry
from tests.conftest import NOW

pytestmark = pytest.mark.usefixtures("no_server_errors")

TOMORROW = NOW + timedelta(days=1)


def slot_body(service_id: str, start, minutes: int = 30) -> dict:
    return {
        "serviceId": service_id,
        "startTime": start.isoformat(),
        "endTime": (start + timedelta(minutes=minutes)).isoformat(),
    }


@pytest.fixture
def service(api) -> dict:
    return api.service()


def test_a_slot_starting_in_the_past_is_refused_naming_start_time(client, service, check):
    before = check.state()
    response = client.post("/api/v1/slots", json=slot_body(service["id"], NOW - timedelta(hours=1)))
    check.invalid(response, "json", "startTime")
    assert check.state() == before


def test_a_slot_starting_exactly_now_counts_as_past(client, service, check):
    check.invalid(
        client.post("/api/v1/slots", json=slot_body(service["id"], NOW)), "json", "startTime"
    )


def test_a_slot_starting_a_second_from_now_is_created(client, service):
    response = client.post(
        "/api/v1/slots", json=slot_body(service["id"], NOW + timedelta(seconds=1))
    )
    assert response.status_code == 201


def test_a_slot_overlapping_another_of_the_service_is_a_409_slot_overlap(
    client, api, service, check
):
    api.slot(service["id"], start=TOMORROW, minutes=30)  # 12:00-12:30
    before = check.state()
    later = client.post(
        "/api/v1/slots", json=slot_body(service["id"], TOMORROW + timedelta(minutes=10))
    )
    earlier = client.post(
        "/api/v1/slots", json=slot_body(service["id"], TOMORROW - timedelta(minutes=10))
    )
    around = client.post(
        "/api/v1/slots", json=slot_body(service["id"], TOMORROW - timedelta(minutes=5), 60)
    )
    for response in (later, earlier, around):
        check.error(response, 409, "SLOT_OVERLAP")
    assert check.state() == before


def test_a_slot_inside_a_longer_one_overlaps_it(client, api, service, check):
    api.slot(service["id"], start=TOMORROW, minutes=120)
    inside = slot_body(service["id"], TOMORROW + timedelta(minutes=30), 15)
    check.error(client.post("/api/v1/slots", json=inside), 409, "SLOT_OVERLAP")


def test_the_same_start_time_stays_slot_exists_whatever_the_length(client, api, service, check):
    api.slot(service["id"], start=TOMORROW, minutes=30)
    again = slot_body(service["id"], TOMORROW, 45)
    check.error(client.post("/api/v1/slots", json=again), 409, "SLOT_EXISTS")


def test_back_to_back_slots_do_not_overlap(client, api, service):
    api.slot(service["id"], start=TOMORROW, minutes=30)
    after = slot_body(service["id"], TOMORROW + timedelta(minutes=30))
    before = slot_body(service["id"], TOMORROW - timedelta(minutes=30))
    assert client.post("/api/v1/slots", json=after).status_code == 201
    assert client.post("/api/v1/slots", json=before).status_code == 201


def test_slots_of_two_services_may_overlap(client, api, service):
    api.slot(service["id"], start=TOMORROW)
    other = api.service(name="Dr. No")
    response = client.post(
        "/api/v1/slots", json=slot_body(other["id"], TOMORROW + timedelta(minutes=10))
    )
    assert response.status_code == 201


def test_a_deleted_slot_no_longer_blocks_its_time(client, api, service):
    slot = api.slot(service["id"], start=TOMORROW)
    assert client.delete(f"/api/v1/slots/{slot['id']}").status_code == 204
    response = client.post(
        "/api/v1/slots", json=slot_body(service["id"], TOMORROW + timedelta(minutes=10))
    )
    assert response.status_code == 201


def test_a_span_left_by_a_crash_blocks_only_until_the_write_grace_ends(
    client, service, repos, clock, check
):
    # a process died between reserving a span and inserting its slot
    assert repos.calendars.reserve(
        service["id"],
        Span(TOMORROW, TOMORROW + timedelta(hours=1), repos.slots.new_id()),
        clock.now,
    )
    body = slot_body(service["id"], TOMORROW + timedelta(minutes=10))
    check.error(client.post("/api/v1/slots", json=body), 409, "SLOT_OVERLAP")
    clock.advance(seconds=61)
    assert client.post("/api/v1/slots", json=body).status_code == 201


def test_generate_skips_nothing_for_a_span_left_by_a_crash_once_the_grace_is_over(
    client, service, repos, clock
):
    start = NOW.replace(hour=9, minute=0) + timedelta(days=6)  # Monday 2030-01-07 09:00 UTC
    repos.calendars.reserve(
        service["id"], Span(start, start + timedelta(hours=2), repos.slots.new_id()), clock.now
    )
    clock.advance(seconds=61)
    body = {
        "serviceId": service["id"],
        "fromDate": "2030-01-07",
        "toDate": "2030-01-07",
        "dayStart": "09:00",
        "dayEnd": "11:00",
        "durationMinutes": 30,
    }
    assert client.post("/api/v1/slots/generate", json=body).json["created"] == 4


def test_a_hold_ends_at_the_slot_start_when_that_comes_first(api, service, check):
    slot = api.slot(service["id"], start=NOW + timedelta(seconds=19))
    hold = api.hold(slot["id"])
    assert hold.status_code == 201
    assert check.utc(hold.json["expiresAt"]) == NOW + timedelta(seconds=19)


def test_a_hold_far_from_the_start_keeps_the_hold_time(api, service, check):
    slot = api.slot(service["id"], start=TOMORROW)
    assert check.utc(api.hold(slot["id"]).json["expiresAt"]) == NOW + timedelta(seconds=120)


def test_confirming_after_the_slot_started_is_slot_in_past(client, api, service, clock, check):
    slot = api.slot(service["id"], start=NOW + timedelta(seconds=19))
    hold = api.hold(slot["id"]).json
    clock.advance(seconds=20)
    check.error(client.post(f"/api/v1/appointments/{hold['id']}/confirm"), 409, "SLOT_IN_PAST")
    assert api.get_slot(slot["id"])["heldSeats"] == 0


def test_slot_in_past_wins_over_hold_expired_after_the_sweep_too(
    client, api, service, clock, repos, check
):
    slot = api.slot(service["id"], start=NOW + timedelta(seconds=19))
    hold = api.hold(slot["id"]).json
    clock.advance(minutes=5)
    expiry.sweep(repos, clock.now)
    check.error(client.post(f"/api/v1/appointments/{hold['id']}/confirm"), 409, "SLOT_IN_PAST")


def test_a_hold_expired_before_the_start_is_still_hold_expired(client, api, service, clock, check):
    slot = api.slot(service["id"], start=TOMORROW)
    hold = api.hold(slot["id"]).json
    clock.advance(seconds=121)
    check.error(client.post(f"/api/v1/appointments/{hold['id']}/confirm"), 409, "HOLD_EXPIRED")


def test_every_refusal_reason_is_in_the_openapi_reason_enum(client):
    document = client.get("/openapi.json").json
    reason = document["components"]["schemas"]["Conflict"]["properties"]["reason"]
    for name in ("SLOT_OVERLAP", "SLOT_IN_PAST", "SLOT_EXISTS", "HOLD_EXPIRED"):
        assert name in reason["enum"]
    assert set(REASONS) == set(reason["enum"])


def test_the_readme_lists_every_refusal_reason():
    from pathlib import Path

    readme = (Path(__file__).parents[2] / "README.md").read_text()
    missing = [reason for reason in REASONS if f"`{reason}`" not in readme]
    assert not missing, missing
