"""Opening hours and closures (API.md, second part): a weekly schedule lays a service's slots
up to its horizon, closures keep slots out, and neither ever removes seats anyone holds."""

from datetime import UTC, datetime, timedelta

import pytest

from slotkeeper.context import current_repos
from slotkeeper.jobs.horizon_job import JOB_ID, run_horizon
from slotkeeper.models import Slot
from slotkeeper.service_layer.opening_hours import extend_horizons
from tests.conftest import NOW
from tests.invariants import assert_all_invariants

pytestmark = pytest.mark.usefixtures("no_server_errors")

# NOW is Tuesday 2030-01-01 12:00 UTC; Berlin is UTC+1 in January
MONDAY = datetime(2030, 1, 7, tzinfo=UTC)
MORNINGS = {"1": [{"start": "09:00", "end": "12:00"}]}  # Mondays 09:00-12:00 local


def schedule_path(service: dict) -> str:
    return f"/api/v1/services/{service['id']}/schedule"


def closures_path(service: dict) -> str:
    return f"/api/v1/services/{service['id']}/closures"


@pytest.fixture
def service(api) -> dict:
    return api.service(timezone="Europe/Berlin")


@pytest.fixture
def put(client, service):
    def put(weekly=None, target=None, **fields):
        body = {"weekly": MORNINGS if weekly is None else weekly, "slotMinutes": 60, **fields}
        return client.put(schedule_path(target or service), json=body)

    return put


def slots_of(client, service: dict) -> list[dict]:
    query = {"serviceId": service["id"], "page_size": 100}
    response = client.get("/api/v1/slots", query_string=query)
    assert response.status_code == 200 and "next_page" not in response.headers["X-Pagination"]
    return response.json


def starts(client, service: dict) -> list[str]:
    return [s["startTime"] for s in slots_of(client, service)]


def close(client, service, start: datetime, end: datetime, **fields):
    body = {"from": start.isoformat(), "to": end.isoformat(), **fields}
    return client.post(closures_path(service), json=body)


# PUT /services/{id}/schedule


def test_writing_a_schedule_lays_its_slots_in_local_time_up_to_the_horizon(
    client, put, check, service
):
    response = put(horizonDays=14)
    assert response.status_code == 200, response.json
    assert response.json["created"] == 6 and response.json["removed"] == 0
    assert response.json["skipped"] == 0
    assert response.json["kept"] == []
    assert response.json["schedule"] == {
        "weekly": MORNINGS,
        "slotMinutes": 60,
        "gapMinutes": 0,
        "capacity": 1,
        "horizonDays": 14,
    }
    laid = [check.utc(s) for s in starts(client, service)]
    mondays = [MONDAY, MONDAY + timedelta(days=7)]
    assert laid == [day + timedelta(hours=h) for day in mondays for h in (8, 9, 10)]


def test_the_schedule_lays_slots_as_generate_does_with_gap_and_capacity(client, put, service):
    response = put(
        weekly={"1": [{"start": "09:00", "end": "11:00"}]},
        slotMinutes=25,
        gapMinutes=5,
        capacity=3,
        horizonDays=7,
    )
    assert response.status_code == 200
    slots = slots_of(client, service)
    assert [(s["startTime"][11:16], s["endTime"][11:16], s["capacity"]) for s in slots] == [
        ("08:00", "08:25", 3),
        ("08:30", "08:55", 3),
        ("09:00", "09:25", 3),
        ("09:30", "09:55", 3),
    ]


def test_the_schedule_follows_the_clocks_across_a_daylight_saving_change(client, service, clock):
    clock.now = datetime(2030, 3, 20, tzinfo=UTC)
    body = {"weekly": {"7": [{"start": "09:00", "end": "10:00"}]}, "slotMinutes": 60}
    # Sundays 2030-03-24 (UTC+1) and 2030-03-31 (UTC+2, the clocks went forward that night)
    response = client.put(schedule_path(service), json={**body, "horizonDays": 14})
    assert response.status_code == 200, response.json
    assert [s[:16] for s in starts(client, service)] == ["2030-03-24T08:00", "2030-03-31T07:00"]


def test_the_schedule_lays_nothing_that_has_started(client, put, check, service, clock):
    clock.now = MONDAY + timedelta(hours=9, minutes=30)  # 10:30 in Berlin
    assert put(horizonDays=1).json["created"] == 1  # 11:00; 09:00 and 10:00 have started
    assert put(horizonDays=8).json["created"] == 3  # next Monday
    assert all(check.utc(s) > clock.now for s in starts(client, service))


def test_writing_the_same_schedule_again_changes_nothing(client, put, service):
    put(horizonDays=14)
    before = starts(client, service)
    again = put(horizonDays=14)
    assert (again.json["created"], again.json["removed"]) == (0, 0)
    assert starts(client, service) == before


def test_a_new_schedule_removes_the_laid_slots_it_would_not_lay(client, put, service):
    put(horizonDays=7)
    response = put(weekly={"1": [{"start": "10:00", "end": "12:00"}]}, horizonDays=7)
    assert (response.json["created"], response.json["removed"]) == (0, 1)
    assert [s[11:16] for s in starts(client, service)] == ["09:00", "10:00"]


def test_a_new_capacity_lays_the_idle_slots_again_with_it(client, put, service):
    put(horizonDays=7)
    response = put(capacity=4, horizonDays=7)
    assert (response.json["created"], response.json["removed"]) == (3, 3)
    slots = slots_of(client, service)
    assert [s["capacity"] for s in slots] == [4, 4, 4]


def test_a_shorter_horizon_removes_the_laid_slots_beyond_it(client, put, service):
    put(horizonDays=14)
    response = put(horizonDays=7)
    assert (response.json["created"], response.json["removed"]) == (0, 3)
    assert len(starts(client, service)) == 3


def test_laid_slots_with_live_appointments_stay_and_are_listed(put, api, client, check, service):
    put(horizonDays=7)
    first, second, third = slots_of(client, service)
    assert api.book(first["id"], user="ada").status_code == 201
    assert api.hold(second["id"], user="bob").status_code == 201
    response = put(weekly={"2": [{"start": "09:00", "end": "10:00"}]}, horizonDays=7)
    assert response.status_code == 200
    assert response.json["removed"] == 1
    kept = response.json["kept"]
    assert [s["id"] for s in kept] == [first["id"], second["id"]]
    assert [(s["bookedSeats"], s["heldSeats"]) for s in kept] == [(1, 0), (0, 1)]
    check.error(client.get(f"/api/v1/slots/{third['id']}"), 404)


def test_a_kept_slot_is_removed_by_the_next_schedule_once_its_appointment_is_cancelled(
    put, api, client, service
):
    put(horizonDays=7)
    first = slots_of(client, service)[0]
    booking = api.book(first["id"], user="ada").json
    other = {"2": [{"start": "09:00", "end": "10:00"}]}
    assert put(weekly=other, horizonDays=7).json["kept"][0]["id"] == first["id"]
    client.patch(f"/api/v1/appointments/{booking['id']}/cancel")
    again = put(weekly=other, horizonDays=7)
    assert (again.json["removed"], again.json["kept"]) == (1, [])


def test_an_expired_hold_does_not_keep_a_slot(client, put, api, service, clock):
    put(horizonDays=7)
    first = slots_of(client, service)[0]
    assert api.hold(first["id"], user="ada").status_code == 201
    clock.advance(seconds=121)
    response = put(weekly={"2": [{"start": "09:00", "end": "10:00"}]}, horizonDays=7)
    assert (response.json["removed"], response.json["kept"]) == (3, [])


def test_slots_made_by_hand_are_never_removed_and_laid_slots_skip_them(put, api, client, service):
    by_hand = api.slot(service["id"], start=MONDAY + timedelta(hours=8, minutes=30), minutes=60)
    generated = client.post(
        "/api/v1/slots/generate",
        json={
            "serviceId": service["id"],
            "fromDate": "2030-01-14",
            "toDate": "2030-01-14",
            "dayStart": "09:00",
            "dayEnd": "10:00",
            "durationMinutes": 60,
            "weekdays": [1],
        },
    )
    assert generated.json["created"] == 1
    response = put(horizonDays=14)
    # Monday 7th: 09:00 and 10:00 overlap the hand-made 09:30-10:30, 11:00 is laid;
    # Monday 14th: 09:00 exists (generated), 10:00 and 11:00 are laid
    assert (response.json["created"], response.json["skipped"]) == (3, 3)
    replaced = put(weekly={"3": [{"start": "09:00", "end": "10:00"}]}, horizonDays=14)
    assert replaced.json["removed"] == 3
    remaining = slots_of(client, service)
    assert by_hand["id"] in {s["id"] for s in remaining}
    assert [s["startTime"][:16] for s in remaining] == [
        "2030-01-02T08:00",  # Wednesdays, laid
        "2030-01-07T08:30",  # by hand
        "2030-01-09T08:00",
        "2030-01-14T08:00",  # generated
    ]


def test_a_schedule_that_lays_too_many_slots_is_refused_naming_horizon_days(put, check):
    before = check.state()
    every_day = {str(d): [{"start": "00:00", "end": "23:55"}] for d in range(1, 8)}
    response = put(weekly=every_day, slotMinutes=5, horizonDays=366)
    check.invalid(response, "json", "horizonDays")
    assert check.state() == before


@pytest.mark.parametrize(
    "body, field",
    [
        ({"weekly": MORNINGS}, "slotMinutes"),
        ({"slotMinutes": 4}, "slotMinutes"),
        ({"slotMinutes": 1441}, "slotMinutes"),
        ({"slotMinutes": "30"}, "slotMinutes"),
        ({"slotMinutes": 30, "gapMinutes": -1}, "gapMinutes"),
        ({"slotMinutes": 30, "capacity": 0}, "capacity"),
        ({"slotMinutes": 30, "capacity": 10001}, "capacity"),
        ({"slotMinutes": 30, "horizonDays": 0}, "horizonDays"),
        ({"slotMinutes": 30, "horizonDays": 367}, "horizonDays"),
        ({"slotMinutes": 30, "weekly": {"0": []}}, "weekly"),
        ({"slotMinutes": 30, "weekly": {"8": []}}, "weekly"),
        ({"slotMinutes": 30, "weekly": {"Mon": []}}, "weekly"),
        ({"slotMinutes": 30, "weekly": {"1": [{"start": "9:00", "end": "12:00"}]}}, "weekly"),
        ({"slotMinutes": 30, "weekly": {"1": [{"start": "09:00", "end": "24:00"}]}}, "weekly"),
        ({"slotMinutes": 30, "weekly": {"1": [{"start": "12:00", "end": "09:00"}]}}, "weekly"),
        ({"slotMinutes": 30, "weekly": {"1": [{"start": "09:00"}]}}, "weekly"),
        (
            {
                "slotMinutes": 30,
                "weekly": {
                    "1": [{"start": "09:00", "end": "12:00"}, {"start": "11:30", "end": "13:00"}]
                },
            },
            "weekly",
        ),
        ({"slotMinutes": 30, "weekly": []}, "weekly"),
        ({"slotMinutes": 30, "weekly": {"1": {"start": "09:00", "end": "12:00"}}}, "weekly"),
        ({"slotMinutes": 30, "timezone": "UTC"}, "timezone"),
    ],
)
def test_an_invalid_schedule_is_a_422_naming_the_field_and_changes_nothing(
    client, service, check, body, field
):
    before = check.state()
    response = client.put(schedule_path(service), json=body)
    check.invalid(response, "json", field)
    assert check.state() == before
    assert client.get(schedule_path(service)).status_code == 404


def test_overlapping_ranges_are_named_by_their_weekday(client, service, check):
    weekly = {"3": [{"start": "09:00", "end": "12:00"}, {"start": "08:00", "end": "09:30"}]}
    body = check.invalid(
        client.put(schedule_path(service), json={"slotMinutes": 30, "weekly": weekly}),
        "json",
        "weekly",
    )
    assert "3" in body["errors"]["json"]["weekly"]
    assert body["message"].startswith("weekly.3:")


def test_ranges_that_touch_are_not_overlapping(put):
    weekly = {"1": [{"start": "09:00", "end": "10:00"}, {"start": "10:00", "end": "11:00"}]}
    response = put(weekly=weekly, horizonDays=7)
    assert response.status_code == 200 and response.json["created"] == 2


def test_a_schedule_of_an_unknown_or_archived_service_is_refused(client, api, put, check):
    assert put(target={"id": "6650f0c2a1b2c3d4e5f60799"}).status_code == 404
    assert put(target={"id": "not-an-id"}).status_code == 404
    archived = api.service(name="Closed down")
    client.delete(f"/api/v1/services/{archived['id']}")
    before = check.state()
    check.error(put(target=archived), 409, "SERVICE_INACTIVE")
    assert check.state() == before
    assert client.get(schedule_path(archived)).status_code == 404


# GET and DELETE /services/{id}/schedule


def test_a_service_without_a_schedule_has_none_to_read(client, service, check):
    check.error(client.get(schedule_path(service)), 404)
    check.error(client.get("/api/v1/services/6650f0c2a1b2c3d4e5f60799/schedule"), 404)


def test_the_schedule_reads_as_it_was_written(client, put, service):
    weekly = {
        "5": [{"start": "14:00", "end": "18:00"}, {"start": "08:00", "end": "12:00"}],
        "1": [{"start": "09:00", "end": "12:00"}],
    }
    put(weekly=weekly, slotMinutes=45, gapMinutes=15, capacity=2, horizonDays=30)
    assert client.get(schedule_path(service)).json == {
        "weekly": {
            "1": [{"start": "09:00", "end": "12:00"}],
            "5": [{"start": "08:00", "end": "12:00"}, {"start": "14:00", "end": "18:00"}],
        },
        "slotMinutes": 45,
        "gapMinutes": 15,
        "capacity": 2,
        "horizonDays": 30,
    }


def test_deleting_the_schedule_stops_laying_and_keeps_the_slots(
    app, client, put, check, service, clock
):
    put(horizonDays=7)
    assert client.delete(schedule_path(service)).status_code == 204
    assert client.get(schedule_path(service)).status_code == 404
    assert len(starts(client, service)) == 3
    clock.advance(days=7)
    with app.app_context():
        assert extend_horizons(current_repos(), clock.now).created == 0
    assert len(starts(client, service)) == 3
    assert client.delete(schedule_path(service)).status_code == 204  # none: 204 again
    check.error(client.delete("/api/v1/services/6650f0c2a1b2c3d4e5f60799/schedule"), 404)


# the horizon job


def test_the_horizon_job_lays_each_new_day_and_nothing_twice(
    client, app, put, check, service, clock
):
    put(horizonDays=7)
    assert len(starts(client, service)) == 3
    clock.advance(days=7)
    run_horizon(app)
    laid = [check.utc(s) for s in starts(client, service)]
    assert laid[3:] == [MONDAY + timedelta(days=7, hours=h) for h in (8, 9, 10)]
    run_horizon(app)
    assert len(starts(client, service)) == 6


def test_the_horizon_job_drops_the_spans_of_slots_that_ended_a_day_ago(
    app, client, put, service, clock
):
    put(horizonDays=7)
    clock.advance(days=6)
    run_horizon(app)  # Monday the 7th's slots ended a few hours ago: their spans stay
    with app.app_context():
        assert len(current_repos().calendars.read(service["id"]).spans) == 6
    clock.advance(days=1)
    run_horizon(app)
    with app.app_context():
        spans = current_repos().calendars.read(service["id"]).spans
        assert [s.start for s in spans] == [MONDAY + timedelta(days=7, hours=h) for h in (8, 9, 10)]
        assert_all_invariants()
    assert len(starts(client, service)) == 6  # the slots themselves stay, as history


def test_the_horizon_job_lays_nothing_for_an_archived_service(app, client, put, service):
    put(horizonDays=7)
    client.delete(f"/api/v1/services/{service['id']}")
    with app.app_context():
        Slot.objects(service_id=service["id"]).delete()
        report = extend_horizons(current_repos(), NOW)
    assert (report.services, report.created) == (0, 0)
    assert starts(client, service) == []


def test_the_app_schedules_the_horizon_job_every_horizon_job_seconds(clock):
    from slotkeeper import create_app
    from tests.conftest import test_settings

    settings = test_settings(horizon_job_seconds=86400).with_overrides(expiry_job_enabled=True)
    app = create_app(settings, clock=clock)
    try:
        job = app.apscheduler.get_job(JOB_ID)
        assert job.trigger.interval == timedelta(days=1)
        assert job.max_instances == 1
    finally:
        app.apscheduler.shutdown()


# closures


def test_a_closure_removes_idle_slots_inside_it_and_keeps_booked_ones(
    client, put, api, check, service
):
    put(horizonDays=14)
    by_hand = api.slot(service["id"], start=MONDAY + timedelta(hours=12))
    slots = slots_of(client, service)
    booking = api.book(slots[1]["id"], user="ada").json
    response = close(client, service, MONDAY, MONDAY + timedelta(days=1), note="Holiday")
    assert response.status_code == 201, response.json
    closure = response.json["closure"]
    assert closure["serviceId"] == service["id"] and closure["note"] == "Holiday"
    assert check.utc(closure["from"]) == MONDAY and check.utc(closure["to"]) == MONDAY + timedelta(
        days=1
    )
    assert check.utc(closure["createdAt"]) == NOW
    assert response.json["removed"] == 3  # two laid, one made by hand
    assert [s["id"] for s in response.json["kept"]] == [booking["slotId"]]
    remaining = slots_of(client, service)
    assert by_hand["id"] not in {s["id"] for s in remaining}
    assert [s["startTime"][:10] for s in remaining] == ["2030-01-07"] + ["2030-01-14"] * 3


def test_a_slot_overlapping_a_closure_at_all_is_inside_it(client, api, service, check):
    slot = api.slot(service["id"], start=MONDAY - timedelta(minutes=15), minutes=30)
    response = close(client, service, MONDAY, MONDAY + timedelta(hours=1))
    assert response.json["removed"] == 1
    check.error(client.get(f"/api/v1/slots/{slot['id']}"), 404)


def test_a_closure_leaves_slots_that_have_started(client, api, service, clock):
    slot = api.slot(service["id"], start=NOW + timedelta(hours=1))
    clock.advance(hours=2)
    response = close(client, service, NOW, NOW + timedelta(days=1))
    assert response.json["removed"] == 0
    assert client.get(f"/api/v1/slots/{slot['id']}").status_code == 200


def test_a_slot_inside_a_closure_is_a_409_service_closed(client, service, check):
    close(client, service, MONDAY, MONDAY + timedelta(days=1))
    before = check.state()
    for start, minutes in ((MONDAY + timedelta(hours=9), 30), (MONDAY - timedelta(minutes=5), 10)):
        body = {
            "serviceId": service["id"],
            "startTime": start.isoformat(),
            "endTime": (start + timedelta(minutes=minutes)).isoformat(),
        }
        check.error(client.post("/api/v1/slots", json=body), 409, "SERVICE_CLOSED")
    assert check.state() == before
    body = {
        "serviceId": service["id"],
        "startTime": (MONDAY - timedelta(minutes=30)).isoformat(),
        "endTime": MONDAY.isoformat(),  # ends as the closure begins: not inside
    }
    assert client.post("/api/v1/slots", json=body).status_code == 201


def test_generate_and_the_schedule_skip_closed_windows_and_count_them(client, put, service):
    close(client, service, MONDAY + timedelta(hours=8), MONDAY + timedelta(hours=9, minutes=1))
    generated = client.post(
        "/api/v1/slots/generate",
        json={
            "serviceId": service["id"],
            "fromDate": "2030-01-07",
            "toDate": "2030-01-07",
            "dayStart": "09:00",
            "dayEnd": "12:00",
            "durationMinutes": 60,
        },
    )
    assert (generated.json["created"], generated.json["skipped"]) == (1, 2)
    laid = put(horizonDays=14)
    # the 14th is laid; of the 7th, two windows are closed and one overlaps the generated slot
    assert (laid.json["created"], laid.json["skipped"]) == (3, 3)
    assert (put(horizonDays=14).json["created"], put(horizonDays=14).json["skipped"]) == (0, 3)
    assert [s[:13] for s in starts(client, service)] == [
        "2030-01-07T10",
        "2030-01-14T08",
        "2030-01-14T09",
        "2030-01-14T10",
    ]


def test_reopening_lays_the_schedule_again_at_once(client, put, check, service):
    put(horizonDays=7)
    closure = close(client, service, MONDAY, MONDAY + timedelta(days=1)).json["closure"]
    assert starts(client, service) == []
    assert client.delete(f"{closures_path(service)}/{closure['id']}").status_code == 204
    assert len(starts(client, service)) == 3
    assert client.get(closures_path(service)).json == []
    check.error(client.delete(f"{closures_path(service)}/{closure['id']}"), 404)


def test_closures_are_listed_by_from_and_paginated(client, service, check):
    for day in (9, 3, 6):
        start = datetime(2030, 2, day, tzinfo=UTC)
        assert close(client, service, start, start + timedelta(hours=1)).status_code == 201
    listed = client.get(closures_path(service), query_string={"page_size": 2})
    assert [c["from"][:10] for c in listed.json] == ["2030-02-03", "2030-02-06"]
    assert check.pagination(listed)["total"] == 3
    assert [c["from"][:10] for c in check.everything(closures_path(service))] == [
        "2030-02-03",
        "2030-02-06",
        "2030-02-09",
    ]
    check.error(client.get("/api/v1/services/6650f0c2a1b2c3d4e5f60799/closures"), 404)


@pytest.mark.parametrize(
    "body, field",
    [
        ({"to": "2030-01-08T00:00:00Z"}, "from"),
        ({"from": "2030-01-07T00:00:00Z"}, "to"),
        ({"from": "2030-01-07T00:00:00", "to": "2030-01-08T00:00:00Z"}, "from"),
        ({"from": "2030-01-08T00:00:00Z", "to": "2030-01-07T00:00:00Z"}, "to"),
        ({"from": "2030-01-07T00:00:00Z", "to": "2030-01-07T00:00:00Z"}, "to"),
        ({"from": "2030-01-07T00:00:00Z", "to": "2030-01-08T00:00:00Z", "note": "x" * 501}, "note"),
        ({"from": "2030-01-07T00:00:00Z", "to": "2030-01-08T00:00:00Z", "why": "x"}, "why"),
    ],
)
def test_an_invalid_closure_is_a_422_naming_the_field_and_changes_nothing(
    client, api, service, check, body, field
):
    api.slot(service["id"], start=MONDAY + timedelta(hours=1))
    before = check.state()
    check.invalid(client.post(closures_path(service), json=body), "json", field)
    assert check.state() == before
    assert client.get(closures_path(service)).json == []


def test_closures_of_unknown_services_and_unknown_closures_are_404(client, service, check):
    body = {"from": "2030-01-07T00:00:00Z", "to": "2030-01-08T00:00:00Z"}
    check.error(client.post("/api/v1/services/6650f0c2a1b2c3d4e5f60799/closures", json=body), 404)
    check.error(client.delete(f"{closures_path(service)}/6650f0c2a1b2c3d4e5f60799"), 404)
    check.error(client.delete(f"{closures_path(service)}/not-an-id"), 404)


def test_the_openapi_reasons_list_service_closed(client):
    document = client.get("/openapi.json").json
    reasons = document["components"]["schemas"]["Conflict"]["properties"]["reason"]["enum"]
    assert "SERVICE_CLOSED" in reasons
