"""Services over HTTP: create, read, list, update, archive (API.md, "Services")."""

import re
from datetime import timedelta

import pytest

pytestmark = pytest.mark.usefixtures("no_server_errors")

SERVICES = "/api/v1/services"
UNKNOWN_ID = "0" * 24
NOT_AN_ID = ["xyz", "123", "0" * 25, "g" * 24]


def create(client, **fields):
    return client.post(SERVICES, json={"name": "Dr. Who", **fields})


# --- create and read ------------------------------------------------------------------------


def test_creating_a_service_fills_in_the_defaults(client):
    response = client.post(SERVICES, json={"name": "Dr. Who"})
    assert response.status_code == 201
    service = response.json
    assert (
        service["name"],
        service["price"],
        service["currency"],
        service["timezone"],
        service["active"],
    ) == ("Dr. Who", 0, "USD", "UTC", True)
    assert re.fullmatch(r"[0-9a-f]{24}", service["id"])


def test_creating_a_service_keeps_every_given_field(client):
    fields = {
        "name": "Dr. Ada Lovelace",
        "description": "Heart doctor",
        "address": "1 Main St",
        "category": "Cardiology",
        "price": 80.5,
        "currency": "EUR",
        "timezone": "Europe/Berlin",
        "active": True,
    }
    service = create(client, **fields).json
    assert {key: service[key] for key in fields} == fields


def test_a_new_service_is_stamped_with_now_in_utc(client, check, now):
    service = create(client).json
    assert check.utc(service["createdAt"]) == now
    assert check.utc(service["updatedAt"]) == now


def test_a_created_service_can_be_read_back(client, api):
    service = api.service(category="Dentistry", price=12.25)
    response = client.get(f"{SERVICES}/{service['id']}")
    assert response.status_code == 200
    assert response.json == service


@pytest.mark.parametrize("service_id", [UNKNOWN_ID, *NOT_AN_ID])
def test_reading_an_unknown_or_malformed_service_id_is_a_404(client, check, service_id):
    check.error(client.get(f"{SERVICES}/{service_id}"), 404)


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": None}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"name": "A", "description": "x" * 2001}, "description"),
        ({"name": "A", "address": "x" * 501}, "address"),
        ({"name": "A", "category": "x" * 101}, "category"),
        ({"name": "A", "price": -1}, "price"),
        ({"name": "A", "price": 1.005}, "price"),
        ({"name": "A", "currency": "usd"}, "currency"),
        ({"name": "A", "currency": "EURO"}, "currency"),
        ({"name": "A", "timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"name": "A", "active": "maybe"}, "active"),
    ],
)
def test_creating_a_service_with_an_invalid_field_is_a_422_and_creates_nothing(
    client, check, body, field
):
    before = check.state()
    check.invalid(client.post(SERVICES, json=body), "json", field)
    assert check.state() == before


def test_the_longest_allowed_texts_are_accepted(client):
    response = create(
        client, name="x" * 200, description="d" * 2000, address="a" * 500, category="c" * 100
    )
    assert response.status_code == 201


# --- list ------------------------------------------------------------------------------------


def names(services: list) -> list:
    return [s["name"] for s in services]


def test_services_are_listed_sorted_by_name(api, check):
    for name in ["Charlie", "Alpha", "Bravo"]:
        api.service(name=name)
    assert names(check.listing(SERVICES)) == ["Alpha", "Bravo", "Charlie"]


def test_services_can_be_filtered_by_category(api, check):
    api.service(name="Heart", category="Cardiology")
    api.service(name="Teeth", category="Dentistry")
    api.service(name="Uncategorised")
    assert names(check.listing(SERVICES, category="Cardiology")) == ["Heart"]


def test_services_can_be_filtered_by_active(client, api, check):
    api.service(name="Open")
    closed = api.service(name="Closed")
    assert client.delete(f"{SERVICES}/{closed['id']}").status_code == 204
    assert names(check.listing(SERVICES, active="true")) == ["Open"]
    assert names(check.listing(SERVICES, active="false")) == ["Closed"]
    assert names(check.listing(SERVICES)) == ["Closed", "Open"]


def test_q_finds_a_case_insensitive_substring_of_the_name(api, check):
    for name in ["Dr. Ada Lovelace", "ADA's salon", "Grace Hopper"]:
        api.service(name=name)
    assert names(check.listing(SERVICES, q="aDa")) == ["ADA's salon", "Dr. Ada Lovelace"]
    assert names(check.listing(SERVICES, q="opp")) == ["Grace Hopper"]


@pytest.mark.parametrize("q", [".", "(", "*", "[a-z]", "\\"])
def test_q_is_matched_literally_never_as_a_pattern(api, check, q):
    api.service(name="Plain name")
    api.service(name=f"Odd {q} name")
    assert names(check.listing(SERVICES, q=q)) == [f"Odd {q} name"]


def test_service_filters_combine(api, check):
    api.service(name="Heart clinic", category="Cardiology")
    api.service(name="Heart centre", category="Surgery")
    api.service(name="Lung clinic", category="Cardiology")
    assert names(check.listing(SERVICES, category="Cardiology", q="heart")) == ["Heart clinic"]


def test_services_are_listed_twenty_to_a_page_by_default(client, api, check):
    for i in range(21):
        api.service(name=f"Service {i:02}")
    response = client.get(SERVICES)
    assert response.status_code == 200
    assert names(response.json) == [f"Service {i:02}" for i in range(20)]
    assert check.pagination(response) == {
        "total": 21,
        "total_pages": 2,
        "first_page": 1,
        "last_page": 2,
        "page": 1,
        "next_page": 2,
    }


def test_the_last_page_holds_the_rest_and_points_back(client, api, check):
    for i in range(5):
        api.service(name=f"Service {i}")
    response = client.get(SERVICES, query_string={"page": 3, "page_size": 2})
    assert names(response.json) == ["Service 4"]
    assert check.pagination(response) == {
        "total": 5,
        "total_pages": 3,
        "first_page": 1,
        "last_page": 3,
        "page": 3,
        "previous_page": 2,
    }


def test_a_page_size_of_100_is_the_maximum(client, check):
    assert client.get(SERVICES, query_string={"page_size": 100}).status_code == 200
    check.invalid(client.get(SERVICES, query_string={"page_size": 101}), "query", "page_size")


@pytest.mark.parametrize(
    "query, field",
    [
        ({"page_size": 0}, "page_size"),
        ({"page": 0}, "page"),
        ({"page": "one"}, "page"),
        ({"active": "maybe"}, "active"),
        ({"q": "x" * 201}, "q"),
    ],
)
def test_invalid_list_parameters_are_a_422(client, check, query, field):
    check.invalid(client.get(SERVICES, query_string=query), "query", field)


# --- update ----------------------------------------------------------------------------------


def test_patching_changes_only_the_given_fields(client, api):
    service = api.service(name="Dr. Who", category="Time", price=10, timezone="Europe/London")
    response = client.patch(
        f"{SERVICES}/{service['id']}", json={"price": 19.99, "category": "Space"}
    )
    assert response.status_code == 200
    changed = {**service, "price": 19.99, "category": "Space"}
    assert {k: v for k, v in response.json.items() if k != "updatedAt"} == {
        k: v for k, v in changed.items() if k != "updatedAt"
    }
    assert client.get(f"{SERVICES}/{service['id']}").json == response.json


def test_patching_moves_updated_at_but_never_created_at(client, api, check, clock, now):
    service = api.service()
    later = clock.advance(hours=1)
    patched = client.patch(f"{SERVICES}/{service['id']}", json={"name": "Renamed"}).json
    assert check.utc(patched["createdAt"]) == now
    assert check.utc(patched["updatedAt"]) == later


def test_patching_a_nullable_text_to_null_clears_it(client, api):
    service = api.service(description="Old words")
    patched = client.patch(f"{SERVICES}/{service['id']}", json={"description": None}).json
    assert patched["description"] is None


@pytest.mark.parametrize(
    "body, field",
    [
        ({"colour": "blue"}, "colour"),
        ({"id": "0" * 24}, "id"),
        ({"createdAt": "2030-01-01T00:00:00Z"}, "createdAt"),
        ({"timezone": "Europe/Atlantis"}, "timezone"),
        ({"timezone": None}, "timezone"),
        ({"price": 10.999}, "price"),
        ({"price": -0.01}, "price"),
        ({"name": ""}, "name"),
        ({"name": None}, "name"),
        ({"active": None}, "active"),
        ({"currency": "dollars"}, "currency"),
    ],
)
def test_patching_with_an_invalid_field_is_a_422_and_changes_nothing(
    client, api, check, body, field
):
    service = api.service(name="Dr. Who", price=10, timezone="Europe/London")
    check.invalid(client.patch(f"{SERVICES}/{service['id']}", json=body), "json", field)
    assert client.get(f"{SERVICES}/{service['id']}").json == service


@pytest.mark.parametrize("service_id", [UNKNOWN_ID, *NOT_AN_ID])
def test_patching_an_unknown_or_malformed_service_id_is_a_404(client, check, service_id):
    check.error(client.patch(f"{SERVICES}/{service_id}", json={"name": "x"}), 404)


# --- archive ---------------------------------------------------------------------------------


def test_archiving_a_service_answers_204_with_no_body(client, api):
    service = api.service()
    response = client.delete(f"{SERVICES}/{service['id']}")
    assert response.status_code == 204
    assert response.get_data() == b""


def test_archiving_a_service_keeps_it_readable_as_inactive(client, api, check, clock):
    service = api.service()
    later = clock.advance(minutes=5)
    client.delete(f"{SERVICES}/{service['id']}")
    archived = client.get(f"{SERVICES}/{service['id']}")
    assert archived.status_code == 200
    assert archived.json["active"] is False
    assert check.utc(archived.json["updatedAt"]) == later
    assert {k: v for k, v in archived.json.items() if k not in ("active", "updatedAt")} == {
        k: v for k, v in service.items() if k not in ("active", "updatedAt")
    }


def test_archiving_twice_is_harmless(client, api):
    service = api.service()
    assert client.delete(f"{SERVICES}/{service['id']}").status_code == 204
    assert client.delete(f"{SERVICES}/{service['id']}").status_code == 204
    assert client.get(f"{SERVICES}/{service['id']}").json["active"] is False


def test_patching_active_true_restores_an_archived_service(client, api):
    service = api.service()
    client.delete(f"{SERVICES}/{service['id']}")
    restored = client.patch(f"{SERVICES}/{service['id']}", json={"active": True})
    assert restored.status_code == 200 and restored.json["active"] is True
    api.slot(service["id"])  # takes new slots again


@pytest.mark.parametrize("service_id", [UNKNOWN_ID, *NOT_AN_ID])
def test_archiving_an_unknown_or_malformed_service_id_is_a_404(client, check, service_id):
    check.error(client.delete(f"{SERVICES}/{service_id}"), 404)


@pytest.mark.parametrize("take", ["book", "hold"])
def test_a_service_with_live_appointments_on_future_slots_cannot_be_archived(
    client, api, check, clock, take
):
    service = api.service()
    slot = api.slot(service["id"], capacity=2)
    assert getattr(api, take)(slot["id"]).status_code == 201
    clock.advance(seconds=30)
    check.error(client.delete(f"{SERVICES}/{service['id']}"), 409, "HAS_ACTIVE_APPOINTMENTS")
    assert client.get(f"{SERVICES}/{service['id']}").json == service  # active, updatedAt kept
    assert api.book(slot["id"], user="u2").status_code == 201  # and still takes appointments


@pytest.mark.parametrize("take", ["book", "hold"])
def test_patching_active_false_follows_the_archiving_rule(client, api, check, take):
    service = api.service()
    slot = api.slot(service["id"])
    getattr(api, take)(slot["id"])
    check.error(
        client.patch(f"{SERVICES}/{service['id']}", json={"active": False, "name": "Renamed"}),
        409,
        "HAS_ACTIVE_APPOINTMENTS",
    )
    assert client.get(f"{SERVICES}/{service['id']}").json == service


def test_patching_active_false_archives_a_service_with_no_live_appointments(client, api):
    service = api.service()
    response = client.patch(f"{SERVICES}/{service['id']}", json={"active": False})
    assert response.status_code == 200 and response.json["active"] is False


def test_a_service_whose_holds_have_expired_can_be_archived(client, api, clock):
    service = api.service()
    api.hold(api.slot(service["id"])["id"])
    clock.advance(seconds=121)  # past the 120 s hold time
    assert client.delete(f"{SERVICES}/{service['id']}").status_code == 204


def test_a_service_whose_bookings_are_on_past_slots_can_be_archived(client, api, clock, now):
    service = api.service()
    slot = api.slot(service["id"], start=now + timedelta(hours=1))
    assert api.book(slot["id"]).status_code == 201
    clock.advance(hours=2)
    assert client.delete(f"{SERVICES}/{service['id']}").status_code == 204


def test_a_service_whose_appointments_were_cancelled_can_be_archived(client, api):
    service = api.service()
    appointment = api.book(api.slot(service["id"])["id"]).json
    assert client.patch(f"/api/v1/appointments/{appointment['id']}/cancel").status_code == 200
    assert client.delete(f"{SERVICES}/{service['id']}").status_code == 204


def test_an_archived_service_takes_no_new_slots(client, api, check, now):
    service = api.service()
    client.delete(f"{SERVICES}/{service['id']}")
    before = check.state()
    start = now + timedelta(days=1)
    response = client.post(
        "/api/v1/slots",
        json={
            "serviceId": service["id"],
            "startTime": start.isoformat(),
            "endTime": (start + timedelta(minutes=30)).isoformat(),
        },
    )
    check.error(response, 409, "SERVICE_INACTIVE")
    assert check.state() == before


def test_an_archived_service_generates_no_slots(client, api, check):
    service = api.service()
    client.delete(f"{SERVICES}/{service['id']}")
    response = client.post(
        "/api/v1/slots/generate",
        json={
            "serviceId": service["id"],
            "fromDate": "2030-01-07",
            "toDate": "2030-01-11",
            "dayStart": "09:00",
            "dayEnd": "12:00",
            "durationMinutes": 30,
        },
    )
    check.error(response, 409, "SERVICE_INACTIVE")
    assert check.listing("/api/v1/slots") == []


@pytest.mark.parametrize("take", ["book", "hold"])
def test_slots_of_an_archived_service_take_no_new_appointments(client, api, check, take):
    service = api.service()
    slot = api.slot(service["id"])
    client.delete(f"{SERVICES}/{service['id']}")
    check.error(getattr(api, take)(slot["id"]), 409, "SERVICE_INACTIVE")
    assert api.get_slot(slot["id"]) == slot
    assert check.listing("/api/v1/appointments") == []
