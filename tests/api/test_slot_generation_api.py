"""POST /slots/generate: many slots from a daily window in the service's time zone
(API.md, "Slots", generate)."""

from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest

pytestmark = pytest.mark.usefixtures("no_server_errors")

GENERATE = "/api/v1/slots/generate"
MONDAY = "2030-01-07"
SUNDAY = "2030-01-13"


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def generate(client, api):
    """POST a plan for a fresh UTC service (or `serviceId`), one Monday 09:00-11:00 by default."""

    def post(**overrides):
        body = {
            "fromDate": MONDAY,
            "toDate": MONDAY,
            "dayStart": "09:00",
            "dayEnd": "11:00",
            "durationMinutes": 30,
            **overrides,
        }
        body.setdefault("serviceId", api.service()["id"])
        return client.post(GENERATE, json=body)

    return post


def windows(check, slots: list) -> list[tuple[datetime, datetime]]:
    return [(check.utc(s["startTime"]), check.utc(s["endTime"])) for s in slots]


def test_slots_are_laid_back_to_back_from_day_start_while_they_end_by_day_end(generate, check):
    response = generate()
    assert response.status_code == 201
    body = response.json
    assert (body["created"], body["skipped"]) == (4, 0)
    half_hours = [utc(2030, 1, 7, 9) + timedelta(minutes=30 * i) for i in range(5)]
    assert windows(check, body["slots"]) == list(pairwise(half_hours))
    assert check.listing("/api/v1/slots") == body["slots"]


def test_a_slot_that_would_end_after_day_end_is_not_made(generate, check):
    body = generate(dayEnd="10:45").json
    assert body["created"] == 3
    assert windows(check, body["slots"])[-1] == (utc(2030, 1, 7, 10), utc(2030, 1, 7, 10, 30))


def test_gap_minutes_separate_the_slots(generate, check):
    body = generate(gapMinutes=10).json
    assert [start for start, _ in windows(check, body["slots"])] == [
        utc(2030, 1, 7, 9, 0),
        utc(2030, 1, 7, 9, 40),
        utc(2030, 1, 7, 10, 20),
    ]
    assert all(end - start == timedelta(minutes=30) for start, end in windows(check, body["slots"]))


def test_generated_slots_are_new_and_free_with_the_given_capacity(generate, api):
    service = api.service()
    body = generate(serviceId=service["id"], capacity=4).json
    assert {
        (
            s["serviceId"],
            s["capacity"],
            s["bookedSeats"],
            s["heldSeats"],
            s["availableSeats"],
            s["status"],
        )
        for s in body["slots"]
    } == {(service["id"], 4, 0, 0, 4, "AVAILABLE")}


def test_generated_slots_have_one_seat_by_default(generate):
    assert {s["capacity"] for s in generate().json["slots"]} == {1}


def test_weekdays_default_to_monday_to_friday(generate, check):
    body = generate(toDate=SUNDAY, dayEnd="09:30").json
    assert [start for start, _ in windows(check, body["slots"])] == [
        utc(2030, 1, day, 9) for day in (7, 8, 9, 10, 11)
    ]


def test_weekdays_choose_the_days_by_iso_number(generate, check):
    body = generate(toDate=SUNDAY, dayEnd="09:30", weekdays=[6, 7, 3]).json
    assert [start for start, _ in windows(check, body["slots"])] == [
        utc(2030, 1, 9, 9),
        utc(2030, 1, 12, 9),
        utc(2030, 1, 13, 9),
    ]


def test_dates_are_inclusive_at_both_ends(generate, check):
    body = generate(fromDate="2030-01-08", toDate="2030-01-10", dayEnd="09:30").json
    assert [start.day for start, _ in windows(check, body["slots"])] == [8, 9, 10]


def test_generating_the_same_plan_again_creates_nothing_and_skips_everything(generate, api, check):
    service = api.service()
    first = generate(serviceId=service["id"], toDate=SUNDAY).json
    again = generate(serviceId=service["id"], toDate=SUNDAY).json
    assert (first["created"], first["skipped"]) == (20, 0)
    assert (again["created"], again["skipped"], again["slots"]) == (0, 20, [])
    assert len(check.everything("/api/v1/slots")) == 20


def test_start_times_the_service_already_has_are_skipped_and_left_alone(generate, api, check):
    service = api.service()
    existing = api.slot(service["id"], start=utc(2030, 1, 7, 9, 30), minutes=30, capacity=3)
    body = generate(serviceId=service["id"]).json
    assert (body["created"], body["skipped"]) == (3, 1)
    assert utc(2030, 1, 7, 9, 30) not in [start for start, _ in windows(check, body["slots"])]
    assert api.get_slot(existing["id"]) == existing


def test_windows_overlapping_a_slot_of_the_service_are_skipped(generate, api, check):
    service = api.service()
    existing = api.slot(service["id"], start=utc(2030, 1, 7, 9, 10), minutes=60)
    body = generate(serviceId=service["id"]).json
    assert (body["created"], body["skipped"]) == (1, 3)  # 09:00, 09:30, 10:00 overlap 09:10-10:10
    assert windows(check, body["slots"]) == [(utc(2030, 1, 7, 10, 30), utc(2030, 1, 7, 11))]
    assert api.get_slot(existing["id"]) == existing


def test_windows_that_start_in_the_past_are_skipped_and_counted(generate, clock):
    clock.now = utc(2030, 1, 7, 9, 45)
    body = generate().json
    assert (body["created"], body["skipped"]) == (2, 2)
    assert [s["startTime"][:16] for s in body["slots"]] == ["2030-01-07T10:00", "2030-01-07T10:30"]


def test_a_window_starting_exactly_now_counts_as_past(generate, clock):
    clock.now = utc(2030, 1, 7, 10)
    body = generate().json
    assert (body["created"], body["skipped"]) == (1, 3)
    assert [s["startTime"][:16] for s in body["slots"]] == ["2030-01-07T10:30"]


def test_another_services_slots_do_not_cause_skips(generate, api):
    other = api.service(name="Other")
    generate(serviceId=other["id"])
    assert generate().json["created"] == 4


def test_slots_follow_the_service_time_zone_across_a_dst_change(generate, api, check):
    berlin = api.service(timezone="Europe/Berlin")
    body = generate(
        serviceId=berlin["id"],
        fromDate="2030-03-29",
        toDate="2030-04-01",
        dayEnd="10:00",
        weekdays=[1, 2, 3, 4, 5, 6, 7],
    ).json
    starts = [start for start, _ in windows(check, body["slots"])]
    assert starts[:2] == [utc(2030, 3, 29, 8, 0), utc(2030, 3, 29, 8, 30)]  # CET, UTC+1
    assert starts[-2:] == [utc(2030, 4, 1, 7, 0), utc(2030, 4, 1, 7, 30)]  # CEST, UTC+2
    assert utc(2030, 3, 31, 7, 0) in starts  # the change day itself, 09:00 CEST
    assert len(starts) == 8


def test_slots_of_a_service_west_of_utc_start_later_in_utc(generate, api, check):
    new_york = api.service(timezone="America/New_York")
    body = generate(serviceId=new_york["id"], dayEnd="09:30").json
    assert windows(check, body["slots"]) == [(utc(2030, 1, 7, 14), utc(2030, 1, 7, 14, 30))]


def test_a_plan_with_no_matching_day_creates_nothing(generate):
    body = generate(weekdays=[6, 7]).json  # a single Monday
    assert (body["created"], body["skipped"], body["slots"]) == (0, 0, [])


def test_more_than_5000_slots_in_one_call_is_a_422_and_creates_nothing(generate, check):
    # 25 days of 24 hours of 5-minute slots: 7200
    response = generate(
        fromDate="2030-01-01",
        toDate="2030-01-25",
        dayStart="00:00",
        dayEnd="23:59",
        durationMinutes=5,
        weekdays=[1, 2, 3, 4, 5, 6, 7],
    )
    check.error(response, 422)
    assert check.listing("/api/v1/slots") == []


def test_a_to_date_366_days_after_the_from_date_is_accepted(generate):
    response = generate(fromDate="2030-01-01", toDate="2031-01-02", dayEnd="09:30", weekdays=[1])
    assert response.status_code == 201 and response.json["created"] == 52


@pytest.mark.parametrize("to_date", ["2031-01-03", "2032-01-01", "2029-12-31"])
def test_a_to_date_outside_0_to_366_days_after_the_from_date_is_a_422(generate, check, to_date):
    check.invalid(generate(fromDate="2030-01-01", toDate=to_date), "json", "toDate")
    assert check.listing("/api/v1/slots") == []


@pytest.mark.parametrize("day_end", ["09:00", "08:59"])
def test_day_end_must_be_after_day_start(generate, check, day_end):
    check.invalid(generate(dayStart="09:00", dayEnd=day_end), "json", "dayEnd")


@pytest.mark.parametrize("field", ["dayStart", "dayEnd"])
@pytest.mark.parametrize("value", ["9:00", "24:00", "09:60", "0900", "09:00:00", "nine", 900, None])
def test_clock_times_must_be_hh_mm(generate, check, field, value):
    check.invalid(generate(**{field: value}), "json", field)


@pytest.mark.parametrize(
    "field, value",
    [
        ("durationMinutes", 4),
        ("durationMinutes", 1441),
        ("durationMinutes", 30.5),
        ("durationMinutes", "30"),
        ("gapMinutes", -1),
        ("gapMinutes", True),
        ("capacity", 0),
        ("capacity", 10001),
        ("weekdays", []),
        ("weekdays", [0]),
        ("weekdays", [8]),
        ("weekdays", "1,2"),
        ("fromDate", "2030-01-07T00:00:00Z"),
        ("fromDate", "07/01/2030"),
        ("toDate", None),
    ],
)
def test_invalid_plan_fields_are_a_422(generate, check, field, value):
    check.invalid(generate(**{field: value}), "json", field)
    assert check.listing("/api/v1/slots") == []


def test_every_missing_required_field_is_named(client, check):
    response = client.post(GENERATE, json={})
    check.invalid(
        response, "json", "serviceId", "fromDate", "toDate", "dayStart", "dayEnd", "durationMinutes"
    )


def test_generating_for_an_unknown_service_is_a_404(generate, check):
    check.error(generate(serviceId="0" * 24), 404)


@pytest.mark.parametrize(
    "zone, from_date, to_date",
    [
        ("Pacific/Kiritimati", "9999-12-29", "9999-12-31"),
        ("America/Los_Angeles", "9999-12-29", "9999-12-31"),
        ("Asia/Tokyo", "0001-01-01", "0001-01-03"),
    ],
)
def test_dates_at_the_ends_of_the_calendar_are_a_422_not_a_crash(
    generate, api, check, zone, from_date, to_date
):
    service = api.service(timezone=zone)
    response = generate(
        serviceId=service["id"],
        fromDate=from_date,
        toDate=to_date,
        dayStart="00:00",
        dayEnd="23:59",
        durationMinutes=60,
        weekdays=[1, 2, 3, 4, 5, 6, 7],
    )
    check.error(response, 422)
    assert check.listing("/api/v1/slots") == []
