"""GET /appointments/{id}/ics: one VEVENT read back with icalendar, through every change."""

from datetime import UTC, timedelta

import pytest
from icalendar import Calendar

APPOINTMENTS = "/api/v1/appointments"


def vevent(client, appointment_id: str):
    response = client.get(f"{APPOINTMENTS}/{appointment_id}/ics")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/calendar"
    calendar = Calendar.from_ical(response.data)
    [event] = calendar.walk("VEVENT")
    return event


def test_the_event_names_the_slot_in_utc_the_service_and_its_address(api, client):
    service = api.service(
        name="Dr. Ada Lovelace", address="Hauptstr. 1, Berlin", timezone="Europe/Berlin"
    )
    slot = api.slot(service["id"], minutes=45)
    booked = api.book(slot["id"]).json
    event = vevent(client, booked["id"])
    start, end = event.decoded("dtstart"), event.decoded("dtend")
    assert start.utcoffset() == timedelta(0) and end.utcoffset() == timedelta(0)
    raw = client.get(f"{APPOINTMENTS}/{booked['id']}/ics").get_data(as_text=True)
    assert "DTSTART:" in raw and raw.split("DTSTART:")[1].split("\r\n")[0].endswith("Z")
    assert start.astimezone(UTC).isoformat() == slot["startTime"].replace("Z", "+00:00")
    assert end - start == timedelta(minutes=45)
    assert str(event["summary"]) == "Dr. Ada Lovelace"
    assert str(event["location"]) == "Hauptstr. 1, Berlin"
    assert str(event["status"]) == "CONFIRMED"


def test_uid_stays_and_sequence_grows_with_each_change_and_only_then(api, client, clock):
    service = api.service()
    first, second = (
        api.slot(service["id"]),
        api.slot(service["id"], start=clock.now + timedelta(days=2)),
    )
    held = api.hold(first["id"]).json
    path = f"{APPOINTMENTS}/{held['id']}"
    seen = []

    def look():
        event = vevent(client, held["id"])
        seen.append((str(event["uid"]), int(event["sequence"]), str(event["status"])))

    look()
    look()  # reading changes nothing
    client.post(f"{path}/reschedule", json={"slotId": second["id"]})
    look()
    client.post(f"{path}/confirm")
    look()
    client.post(f"{path}/confirm")  # already BOOKED: no change
    look()
    client.patch(f"{path}/cancel")
    look()
    client.patch(f"{path}/cancel")  # already CANCELLED: no change
    look()
    assert len({uid for uid, _, _ in seen}) == 1
    assert [(sequence, status) for _, sequence, status in seen] == [
        (0, "TENTATIVE"),
        (0, "TENTATIVE"),
        (1, "TENTATIVE"),
        (2, "CONFIRMED"),
        (2, "CONFIRMED"),
        (3, "CANCELLED"),
        (3, "CANCELLED"),
    ]


def test_an_expired_hold_is_cancelled_in_the_calendar_with_a_higher_sequence(api, client, clock):
    held = api.hold(api.slot()["id"]).json
    assert int(vevent(client, held["id"])["sequence"]) == 0
    clock.advance(seconds=121)
    event = vevent(client, held["id"])
    assert str(event["status"]) == "CANCELLED" and int(event["sequence"]) == 1


def test_another_appointment_has_another_uid(api, client):
    slot = api.slot(capacity=2)
    one, two = api.book(slot["id"], user="a").json, api.book(slot["id"], user="b").json
    assert vevent(client, one["id"])["uid"] != vevent(client, two["id"])["uid"]


@pytest.mark.parametrize("appointment_id", ["6650f0c2a1b2c3d4e5f60744", "nope", "1" * 500])
def test_an_unknown_or_malformed_id_is_a_404(client, check, no_server_errors, appointment_id):
    check.error(client.get(f"{APPOINTMENTS}/{appointment_id}/ics"), 404)
