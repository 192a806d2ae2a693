"""Slots over HTTP: create, read, list with filters, delete, a slot's appointments
(API.md, "Slots")."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

pytestmark = pytest.mark.usefixtures("no_server_errors")

SLOTS = "/api/v1/slots"
UNKNOWN_ID = "0" * 24
NOT_AN_ID = ["xyz", "123", "0" * 25, "g" * 24]
HOLD_TTL = timedelta(seconds=120)
DAY = datetime(2030, 1, 2, tzinfo=UTC)


def slot_body(
    service_id: str, start: str = "2030-01-02T09:00:00Z", end: str = "2030-01-02T09:30:00Z", **extra
) -> dict:
    return {"serviceId": service_id, "startTime": start, "endTime": end, **extra}


def starts(slots: list) -> list[str]:
    return [s["startTime"] for s in slots]


@pytest.fixture
def service(api) -> dict:
    return api.service()


# --- create and read ------------------------------------------------------------------------


def test_a_new_slot_has_one_free_seat_by_default(client, check, service, now):
    response = client.post(SLOTS, json=slot_body(service["id"]))
    assert response.status_code == 201
    slot = response.json
    assert (
        slot["serviceId"],
        slot["capacity"],
        slot["bookedSeats"],
        slot["heldSeats"],
        slot["availableSeats"],
        slot["status"],
    ) == (service["id"], 1, 0, 0, 1, "AVAILABLE")
    assert check.utc(slot["startTime"]) == DAY.replace(hour=9)
    assert check.utc(slot["endTime"]) == DAY.replace(hour=9, minute=30)
    assert check.utc(slot["createdAt"]) == check.utc(slot["updatedAt"]) == now


def test_a_new_slot_with_capacity_offers_every_seat(client, service):
    slot = client.post(SLOTS, json=slot_body(service["id"], capacity=12)).json
    assert (slot["capacity"], slot["availableSeats"], slot["status"]) == (12, 12, "AVAILABLE")


def test_times_given_with_an_offset_are_answered_in_utc(client, check, service):
    slot = client.post(
        SLOTS,
        json=slot_body(
            service["id"], start="2030-01-02T10:00:00+01:00", end="2030-01-02T05:30:00-04:00"
        ),
    ).json
    assert check.utc(slot["startTime"]) == DAY.replace(hour=9)
    assert check.utc(slot["endTime"]) == DAY.replace(hour=9, minute=30)


def test_a_created_slot_can_be_read_back(client, api):
    slot = api.slot(capacity=3)
    response = client.get(f"{SLOTS}/{slot['id']}")
    assert response.status_code == 200
    assert response.json == slot


@pytest.mark.parametrize("slot_id", [UNKNOWN_ID, *NOT_AN_ID])
def test_reading_an_unknown_or_malformed_slot_id_is_a_404(client, check, slot_id):
    check.error(client.get(f"{SLOTS}/{slot_id}"), 404)


def test_a_slot_for_an_unknown_service_is_a_404_and_creates_nothing(client, check):
    check.error(client.post(SLOTS, json=slot_body(UNKNOWN_ID)), 404)
    assert check.listing(SLOTS) == []


def test_a_second_slot_at_the_same_start_time_is_a_409_slot_exists(client, check, service):
    first = client.post(SLOTS, json=slot_body(service["id"])).json
    again = client.post(
        SLOTS, json=slot_body(service["id"], end="2030-01-02T10:00:00Z", capacity=5)
    )
    check.error(again, 409, "SLOT_EXISTS")
    assert check.listing(SLOTS) == [first]


def test_the_same_instant_written_with_another_offset_is_the_same_start_time(
    client, check, service
):
    client.post(SLOTS, json=slot_body(service["id"]))
    again = client.post(
        SLOTS,
        json=slot_body(
            service["id"], start="2030-01-02T11:00:00+02:00", end="2030-01-02T11:30:00+02:00"
        ),
    )
    check.error(again, 409, "SLOT_EXISTS")
    assert len(check.listing(SLOTS)) == 1


def test_another_service_may_have_a_slot_at_the_same_time(client, api, service):
    client.post(SLOTS, json=slot_body(service["id"]))
    other = api.service(name="Dr. Other")
    assert client.post(SLOTS, json=slot_body(other["id"])).status_code == 201


@pytest.mark.parametrize(
    "end", ["2030-01-02T09:00:00Z", "2030-01-02T08:59:00Z", "2030-01-02T10:00:00+01:00"]
)
def test_a_slot_must_end_after_it_starts(client, check, service, end):
    check.invalid(client.post(SLOTS, json=slot_body(service["id"], end=end)), "json", "endTime")
    assert check.listing(SLOTS) == []


@pytest.mark.parametrize(
    "field, value",
    [
        ("startTime", "2030-01-02T09:00:00"),
        ("endTime", "2030-01-02T09:30:00"),
        ("startTime", "2030-01-02"),
        ("startTime", "tomorrow at nine"),
        ("startTime", 1893574800),
    ],
)
def test_date_times_without_an_offset_or_unparseable_are_a_422(
    client, check, service, field, value
):
    body = {**slot_body(service["id"]), field: value}
    check.invalid(client.post(SLOTS, json=body), "json", field)
    assert check.listing(SLOTS) == []


@pytest.mark.parametrize("capacity", [0, -1, 10001, 1.5, 2.0, "2", True, None])
def test_capacity_must_be_a_whole_number_from_1_to_10000(client, check, service, capacity):
    response = client.post(SLOTS, json=slot_body(service["id"], capacity=capacity))
    check.invalid(response, "json", "capacity")
    assert check.listing(SLOTS) == []


def test_a_capacity_of_10000_is_accepted(client, service):
    response = client.post(SLOTS, json=slot_body(service["id"], capacity=10000))
    assert response.status_code == 201 and response.json["availableSeats"] == 10000


@pytest.mark.parametrize("missing", ["serviceId", "startTime", "endTime"])
def test_each_required_slot_field_is_named_when_missing(client, check, service, missing):
    body = slot_body(service["id"])
    del body[missing]
    check.invalid(client.post(SLOTS, json=body), "json", missing)


# --- list ------------------------------------------------------------------------------------


def test_slots_are_listed_sorted_by_start_time(api, check, now):
    service = api.service()
    for hours in (30, 10, 20):
        api.slot(service["id"], start=now + timedelta(hours=hours))
    assert [check.utc(s) for s in starts(check.listing(SLOTS))] == [
        now + timedelta(hours=h) for h in (10, 20, 30)
    ]


def test_slots_can_be_filtered_by_service(api, check, now):
    mine, other = api.service(name="Mine"), api.service(name="Other")
    wanted = api.slot(mine["id"], start=now + timedelta(hours=2))
    api.slot(other["id"], start=now + timedelta(hours=1))
    assert check.listing(SLOTS, serviceId=mine["id"]) == [wanted]


def test_slots_can_be_filtered_by_status(api, check, now):
    service = api.service()
    free, held, booked = (
        api.slot(service["id"], start=now + timedelta(hours=h)) for h in (1, 2, 3)
    )
    api.hold(held["id"])
    api.book(booked["id"])
    for status, slot in [("AVAILABLE", free), ("LOCKED", held), ("BOOKED", booked)]:
        assert [s["id"] for s in check.listing(SLOTS, status=status)] == [slot["id"]]


def test_from_is_inclusive_and_to_is_exclusive(api, check, now):
    service = api.service()
    for hours in (1, 2, 3, 4):
        api.slot(service["id"], start=now + timedelta(hours=hours))
    listed = check.listing(
        SLOTS,
        **{
            "from": (now + timedelta(hours=2)).isoformat(),
            "to": (now + timedelta(hours=4)).isoformat(),
        },
    )
    assert [check.utc(s) for s in starts(listed)] == [now + timedelta(hours=h) for h in (2, 3)]


def test_from_and_to_accept_any_offset(api, check, now):
    service = api.service()
    slot = api.slot(service["id"], start=now + timedelta(hours=2))
    berlin = timezone(timedelta(hours=1))
    listed = check.listing(
        SLOTS, **{"from": (now + timedelta(hours=2)).astimezone(berlin).isoformat()}
    )
    assert listed == [slot]


def test_available_lists_only_future_slots_with_a_free_seat(api, check, now):
    service = api.service()
    free, partly, full, locked = (
        api.slot(service["id"], start=now + timedelta(hours=h), capacity=c)
        for h, c in ((1, 1), (2, 2), (3, 1), (4, 1))
    )
    api.book(partly["id"])
    api.book(full["id"])
    api.hold(locked["id"])
    assert [s["id"] for s in check.listing(SLOTS, available="true")] == [free["id"], partly["id"]]


def test_available_leaves_out_slots_that_have_started(api, check, clock, now):
    service = api.service()
    started = api.slot(service["id"], start=now + timedelta(hours=1))
    later = api.slot(service["id"], start=now + timedelta(hours=2))
    clock.advance(hours=1)  # the first slot starts right now
    assert [s["id"] for s in check.listing(SLOTS, available="true")] == [later["id"]]
    assert [s["id"] for s in check.listing(SLOTS)] == [started["id"], later["id"]]


def test_available_false_lists_the_started_and_the_full_slots(api, check, clock, now):
    service = api.service()
    started, free, full = (
        api.slot(service["id"], start=now + timedelta(hours=h)) for h in (1, 2, 3)
    )
    api.book(full["id"])
    clock.advance(hours=1, minutes=1)
    assert [s["id"] for s in check.listing(SLOTS, available="false")] == [started["id"], full["id"]]


def test_slot_filters_combine(api, check, now):
    mine, other = api.service(name="Mine"), api.service(name="Other")
    early, late = (api.slot(mine["id"], start=now + timedelta(hours=h)) for h in (1, 5))
    api.slot(other["id"], start=now + timedelta(hours=5))
    api.book(early["id"])
    listed = check.listing(
        SLOTS,
        serviceId=mine["id"],
        available="true",
        status="AVAILABLE",
        **{"from": now.isoformat()},
    )
    assert listed == [late]


def test_slots_are_listed_twenty_to_a_page_by_default(client, api, check, now):
    service = api.service()
    for hours in range(1, 23):
        api.slot(service["id"], start=now + timedelta(hours=hours))
    first = client.get(SLOTS)
    assert len(first.json) == 20
    assert check.pagination(first) == {
        "total": 22,
        "total_pages": 2,
        "first_page": 1,
        "last_page": 2,
        "page": 1,
        "next_page": 2,
    }
    second = client.get(SLOTS, query_string={"page": 2})
    assert [check.utc(s) for s in starts(second.json)] == [
        now + timedelta(hours=h) for h in (21, 22)
    ]


@pytest.mark.parametrize(
    "query, field",
    [
        ({"status": "FREE"}, "status"),
        ({"from": "2030-01-02T09:00:00"}, "from"),
        ({"to": "soon"}, "to"),
        ({"available": "maybe"}, "available"),
        ({"serviceId": "xyz"}, "serviceId"),
        ({"page_size": 101}, "page_size"),
    ],
)
def test_invalid_slot_filters_are_a_422(client, check, query, field):
    check.invalid(client.get(SLOTS, query_string=query), "query", field)


# --- delete ----------------------------------------------------------------------------------


def test_deleting_a_free_slot_removes_it(client, api, check):
    slot = api.slot()
    response = client.delete(f"{SLOTS}/{slot['id']}")
    assert response.status_code == 204 and response.get_data() == b""
    check.error(client.get(f"{SLOTS}/{slot['id']}"), 404)
    assert check.listing(SLOTS) == []


@pytest.mark.parametrize("take", ["hold", "book"])
def test_a_slot_with_held_or_booked_seats_cannot_be_deleted(client, api, check, take):
    slot = api.slot(capacity=3)
    getattr(api, take)(slot["id"])
    before = check.state()
    check.error(client.delete(f"{SLOTS}/{slot['id']}"), 409, "HAS_ACTIVE_APPOINTMENTS")
    assert check.state() == before


def test_a_hold_within_its_hold_time_still_blocks_deletion(client, api, check, clock):
    slot = api.slot()
    api.hold(slot["id"])
    clock.advance(seconds=HOLD_TTL.total_seconds() - 1)
    check.error(client.delete(f"{SLOTS}/{slot['id']}"), 409, "HAS_ACTIVE_APPOINTMENTS")


def test_a_slot_whose_only_hold_has_expired_can_be_deleted(client, api, check, clock):
    slot = api.slot()
    hold = api.hold(slot["id"]).json
    clock.advance(seconds=HOLD_TTL.total_seconds() + 1)
    assert client.delete(f"{SLOTS}/{slot['id']}").status_code == 204
    check.error(client.get(f"{SLOTS}/{slot['id']}"), 404)
    assert client.get(f"/api/v1/appointments/{hold['id']}").json["status"] == "EXPIRED"


def test_a_slot_whose_appointments_were_cancelled_can_be_deleted(client, api):
    slot = api.slot()
    booking = api.book(slot["id"]).json
    client.patch(f"/api/v1/appointments/{booking['id']}/cancel")
    assert client.delete(f"{SLOTS}/{slot['id']}").status_code == 204


@pytest.mark.parametrize("slot_id", [UNKNOWN_ID, *NOT_AN_ID])
def test_deleting_an_unknown_or_malformed_slot_id_is_a_404(client, check, slot_id):
    check.error(client.delete(f"{SLOTS}/{slot_id}"), 404)


# --- a slot's appointments -------------------------------------------------------------------


def test_a_slots_appointments_come_oldest_first_in_any_status(client, api, check, clock):
    slot = api.slot(capacity=2)
    booked = api.book(slot["id"], user="u1").json
    clock.advance(minutes=1)
    cancelled = api.hold(slot["id"], user="u2").json
    client.patch(f"/api/v1/appointments/{cancelled['id']}/cancel")
    clock.advance(minutes=1)
    expired = api.hold(slot["id"], user="u3").json
    clock.advance(seconds=HOLD_TTL.total_seconds() + 1)
    latest = api.book(slot["id"], user="u4").json  # reclaims u3's stale hold
    listed = check.listing(f"{SLOTS}/{slot['id']}/appointments")
    assert [(a["id"], a["status"]) for a in listed] == [
        (booked["id"], "BOOKED"),
        (cancelled["id"], "CANCELLED"),
        (expired["id"], "EXPIRED"),
        (latest["id"], "BOOKED"),
    ]


def test_a_slots_appointments_embed_their_service_and_slot(client, api, check):
    service = api.service()
    slot = api.slot(service["id"])
    api.book(slot["id"])
    [appointment] = check.listing(f"{SLOTS}/{slot['id']}/appointments")
    assert appointment["service"] == service
    assert appointment["slot"] == api.get_slot(slot["id"])


def test_a_slots_appointments_leave_out_other_slots(api, check, now):
    service = api.service()
    mine, other = (api.slot(service["id"], start=now + timedelta(hours=h)) for h in (1, 2))
    own = api.book(mine["id"]).json
    api.book(other["id"])
    assert [a["id"] for a in check.listing(f"{SLOTS}/{mine['id']}/appointments")] == [own["id"]]


def test_a_slots_appointments_are_paginated(client, api, check, clock):
    slot = api.slot(capacity=3)
    ids = []
    for user in ("u1", "u2", "u3"):
        ids.append(api.book(slot["id"], user=user).json["id"])
        clock.advance(seconds=1)
    first = client.get(f"{SLOTS}/{slot['id']}/appointments", query_string={"page_size": 2})
    assert [a["id"] for a in first.json] == ids[:2]
    assert check.pagination(first) == {
        "total": 3,
        "total_pages": 2,
        "first_page": 1,
        "last_page": 2,
        "page": 1,
        "next_page": 2,
    }
    second = client.get(
        f"{SLOTS}/{slot['id']}/appointments", query_string={"page_size": 2, "page": 2}
    )
    assert [a["id"] for a in second.json] == ids[2:]


def test_a_slot_with_no_appointments_lists_none(api, check):
    assert check.listing(f"{SLOTS}/{api.slot()['id']}/appointments") == []


@pytest.mark.parametrize("slot_id", [UNKNOWN_ID, *NOT_AN_ID])
def test_appointments_of_an_unknown_or_malformed_slot_id_are_a_404(client, check, slot_id):
    check.error(client.get(f"{SLOTS}/{slot_id}/appointments"), 404)
