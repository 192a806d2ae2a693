"""GET /appointments (history) and GET /appointments/{id}: filtered, newest first, populated."""

import json
from datetime import timedelta

import pytest

from tests.conftest import NOW

LIST = "/api/v1/appointments"
UNKNOWN_ID = "0123456789abcdef01234567"


def ids(response) -> list[str]:
    assert response.status_code == 200, response.json
    return [a["id"] for a in response.json]


@pytest.fixture
def history(api, clock):
    """Four appointments ten seconds apart: two services, three slots, two users, all statuses
    but EXPIRED (the holds are still running)."""
    dentist, surgeon = api.service(name="Dentist"), api.service(name="Surgeon")
    morning = api.slot(dentist["id"], start=NOW + timedelta(days=1), capacity=5)
    noon = api.slot(dentist["id"], start=NOW + timedelta(days=1, hours=3), capacity=5)
    other = api.slot(surgeon["id"], start=NOW + timedelta(days=2), capacity=5)
    made = {}
    for name, (slot, user, take) in {
        "a1": (morning, "alice", "book"),
        "b1": (morning, "bob", "hold"),
        "a2": (noon, "alice", "hold"),
        "a3": (other, "alice", "book"),
    }.items():
        clock.advance(seconds=10)
        made[name] = getattr(api, take)(slot["id"], user=user).json
    clock.advance(seconds=10)
    api.client.patch(f"/api/v1/appointments/{made['a2']['id']}/cancel")
    made.update(dentist=dentist, surgeon=surgeon, morning=morning, noon=noon, other=other)
    return made


def test_history_lists_every_appointment_newest_first(client, history):
    assert ids(client.get(LIST)) == [history[n]["id"] for n in ("a3", "a2", "b1", "a1")]


def test_history_filters_by_user(client, history):
    assert ids(client.get(LIST, query_string={"userId": "bob"})) == [history["b1"]["id"]]
    assert ids(client.get(LIST, query_string={"userId": "alice"})) == [
        history[n]["id"] for n in ("a3", "a2", "a1")
    ]
    assert ids(client.get(LIST, query_string={"userId": "nobody"})) == []


def test_history_filters_by_status(client, history):
    def having(status):
        return ids(client.get(LIST, query_string={"status": status}))

    assert having("BOOKED") == [history["a3"]["id"], history["a1"]["id"]]
    assert having("PENDING") == [history["b1"]["id"]]
    assert having("CANCELLED") == [history["a2"]["id"]]
    assert having("EXPIRED") == []


def test_history_filters_by_service(client, history):
    found = ids(client.get(LIST, query_string={"serviceId": history["dentist"]["id"]}))
    assert found == [history[n]["id"] for n in ("a2", "b1", "a1")]


def test_history_filters_by_slot(client, history):
    found = ids(client.get(LIST, query_string={"slotId": history["morning"]["id"]}))
    assert found == [history["b1"]["id"], history["a1"]["id"]]


def test_history_filters_combine(client, history):
    query = {"userId": "alice", "serviceId": history["dentist"]["id"], "status": "BOOKED"}
    assert ids(client.get(LIST, query_string=query)) == [history["a1"]["id"]]


def test_history_filters_by_an_unknown_service_find_nothing(client, history):
    assert ids(client.get(LIST, query_string={"serviceId": UNKNOWN_ID})) == []


@pytest.mark.parametrize(
    "query",
    [
        {"status": "DONE"},
        {"serviceId": "nope"},
        {"slotId": "x"},
        {"userId": ""},
        {"page": 0},
        {"page_size": 101},
    ],
)
def test_invalid_history_queries_are_422(client, history, query):
    response = client.get(LIST, query_string=query)
    assert response.status_code == 422, response.json
    assert "query" in response.json["errors"]


def test_unknown_query_parameters_are_a_422_naming_them(client, history):
    response = client.get(LIST, query_string={"colour": "blue"})
    assert response.status_code == 422
    assert response.json["errors"]["query"] == {"colour": ["Unknown field."]}


def test_history_is_paginated(client, history):
    first = client.get(LIST, query_string={"page": 1, "page_size": 3})
    second = client.get(LIST, query_string={"page": 2, "page_size": 3})
    assert ids(first) == [history[n]["id"] for n in ("a3", "a2", "b1")]
    assert ids(second) == [history["a1"]["id"]]
    pagination = json.loads(second.headers["X-Pagination"])
    assert pagination == {
        "total": 4,
        "total_pages": 2,
        "first_page": 1,
        "last_page": 2,
        "page": 2,
        "previous_page": 1,
    }
    assert json.loads(first.headers["X-Pagination"])["next_page"] == 2


def test_history_pages_hold_twenty_by_default(api, client):
    slot = api.slot(capacity=25)
    for n in range(21):
        api.book(slot["id"], user=f"user-{n}")
    response = client.get(LIST)
    assert len(response.json) == 20
    assert json.loads(response.headers["X-Pagination"])["total"] == 21


def test_history_entries_embed_their_current_service_and_slot(client, history):
    entries = {a["id"]: a for a in client.get(LIST).json}
    a3, b1 = entries[history["a3"]["id"]], entries[history["b1"]["id"]]
    assert (a3["service"]["id"], a3["service"]["name"]) == (history["surgeon"]["id"], "Surgeon")
    assert a3["slot"]["id"] == history["other"]["id"]
    assert (b1["service"]["name"], b1["slot"]["id"]) == ("Dentist", history["morning"]["id"])
    assert b1["slot"]["bookedSeats"] == 1 and b1["slot"]["heldSeats"] == 1


def test_the_embedded_service_is_the_current_one(api, client):
    slot = api.slot()
    booking = api.book(slot["id"]).json
    client.patch(f"/api/v1/services/{slot['serviceId']}", json={"name": "Renamed"})
    assert client.get(LIST).json[0]["service"]["name"] == "Renamed"
    assert client.get(f"{LIST}/{booking['id']}").json["service"]["name"] == "Renamed"


def test_reading_one_appointment_answers_it_populated(client, history):
    response = client.get(f"{LIST}/{history['b1']['id']}")
    assert response.status_code == 200
    body = response.json
    assert (body["id"], body["userId"], body["status"]) == (history["b1"]["id"], "bob", "PENDING")
    assert body["expiresAt"] == history["b1"]["expiresAt"]
    assert body["service"]["id"] == history["dentist"]["id"]
    assert body["slot"]["id"] == history["morning"]["id"]


def test_reading_a_cancelled_appointment_shows_when(client, history):
    body = client.get(f"{LIST}/{history['a2']['id']}").json
    assert body["status"] == "CANCELLED" and body["cancelledAt"] is not None


@pytest.mark.parametrize("appointment_id", [UNKNOWN_ID, "nope", "0" * 23, "zz" * 12])
def test_reading_an_unknown_or_malformed_appointment_is_404(client, appointment_id):
    response = client.get(f"{LIST}/{appointment_id}")
    assert response.status_code == 404
    assert response.json["code"] == 404


def test_a_slots_appointments_are_listed_oldest_first(client, history):
    response = client.get(f"/api/v1/slots/{history['morning']['id']}/appointments")
    assert ids(response) == [history["a1"]["id"], history["b1"]["id"]]
    assert response.json[0]["service"]["id"] == history["dentist"]["id"]


def test_an_appointment_of_a_deleted_slot_still_reads_with_slot_null(api, client):
    slot = api.slot()
    booking = api.book(slot["id"]).json
    client.patch(f"{LIST}/{booking['id']}/cancel")
    assert client.delete(f"/api/v1/slots/{slot['id']}").status_code == 204
    body = client.get(f"{LIST}/{booking['id']}").json
    assert (body["status"], body["slot"]) == ("CANCELLED", None)
    assert body["service"]["id"] == slot["serviceId"]
    assert client.get(LIST).json[0]["slot"] is None
