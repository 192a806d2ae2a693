"""Malformed input over HTTP: always a 4xx in flask-smorest's error shape, never a 5xx, and a
refused request changes nothing (API.md, "Conventions")."""

import json
from datetime import UTC, datetime

import pytest

pytestmark = pytest.mark.usefixtures("no_server_errors")


@pytest.fixture
def ids(api) -> dict:
    """A service, two slots with free seats and a booking on the first, to aim requests at."""
    service = api.service()
    slot = api.slot(service["id"], capacity=5)
    later = api.slot(service["id"], start=datetime(2030, 1, 3, 9, tzinfo=UTC))
    appointment = api.book(slot["id"], user="existing").json
    return {
        "service": service["id"],
        "slot": slot["id"],
        "later": later["id"],
        "appointment": appointment["id"],
    }


# Every endpoint that takes a JSON body: method, path, a body it accepts.
BODY_ENDPOINTS = {
    "create service": ("POST", "/api/v1/services", lambda ids: {"name": "New"}),
    "patch service": ("PATCH", "/api/v1/services/{service}", lambda ids: {"name": "New"}),
    "create slot": (
        "POST",
        "/api/v1/slots",
        lambda ids: {
            "serviceId": ids["service"],
            "startTime": "2030-02-01T09:00:00Z",
            "endTime": "2030-02-01T09:30:00Z",
        },
    ),
    "generate slots": (
        "POST",
        "/api/v1/slots/generate",
        lambda ids: {
            "serviceId": ids["service"],
            "fromDate": "2030-02-04",
            "toDate": "2030-02-04",
            "dayStart": "09:00",
            "dayEnd": "10:00",
            "durationMinutes": 30,
        },
    ),
    "book": (
        "POST",
        "/api/v1/appointments/book",
        lambda ids: {"slotId": ids["slot"], "userId": "newcomer"},
    ),
    "hold": (
        "POST",
        "/api/v1/appointments/hold",
        lambda ids: {"slotId": ids["slot"], "userId": "newcomer"},
    ),
    "reschedule": (
        "POST",
        "/api/v1/appointments/{appointment}/reschedule",
        lambda ids: {"slotId": ids["later"]},
    ),
}
ENDPOINT_NAMES = list(BODY_ENDPOINTS)


def send(client, ids, endpoint: str, **kwargs):
    method, path, _ = BODY_ENDPOINTS[endpoint]
    return client.open(path.format(**ids), method=method, **kwargs)


def valid_body(ids, endpoint: str) -> dict:
    return BODY_ENDPOINTS[endpoint][2](ids)


@pytest.fixture
def refused(client, ids, check):
    """Send a request, check it is refused with `code` in the error shape, and that the
    state the API shows is the same before and after."""

    def attempt(endpoint: str, code: int | tuple, **kwargs) -> dict:
        before = check.state()
        response = send(client, ids, endpoint, **kwargs)
        codes = code if isinstance(code, tuple) else (code,)
        assert response.status_code in codes, (response.status_code, response.json)
        body = check.error(response, response.status_code)
        assert check.state() == before
        return body

    return attempt


@pytest.mark.parametrize("endpoint", ENDPOINT_NAMES)
def test_every_body_endpoint_accepts_its_valid_body(client, ids, endpoint):
    """The baseline the refusals below are measured against."""
    assert send(client, ids, endpoint, json=valid_body(ids, endpoint)).status_code in (200, 201)


@pytest.mark.parametrize("endpoint", ENDPOINT_NAMES)
@pytest.mark.parametrize(
    "raw", ["not json", "{", "{'name': 'x'}", '{"name": "x",}', "[1, 2", b"\xff\xfe\x00"]
)
def test_a_body_that_is_not_json_is_a_400_in_the_error_shape(refused, endpoint, raw):
    refused(endpoint, 400, data=raw, content_type="application/json")


@pytest.mark.parametrize("endpoint", [e for e in ENDPOINT_NAMES if e != "patch service"])
@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"]
)
def test_a_json_body_sent_as_another_content_type_is_a_4xx(refused, ids, endpoint, content_type):
    refused(
        endpoint,
        (400, 415, 422),
        data=json.dumps(valid_body(ids, endpoint)),
        content_type=content_type,
    )


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded"])
def test_a_patch_sent_as_another_content_type_is_a_4xx(refused, clock, content_type):
    clock.advance(minutes=1)
    refused("patch service", (400, 415, 422), data='{"name": "New"}', content_type=content_type)


@pytest.mark.parametrize("endpoint", ENDPOINT_NAMES)
def test_unknown_fields_are_a_422_naming_each_of_them(refused, ids, endpoint):
    body = {**valid_body(ids, endpoint), "bogus": 1, "_id": "0" * 24}
    errors = refused(endpoint, 422, json=body)["errors"]["json"]
    assert errors == {"bogus": ["Unknown field."], "_id": ["Unknown field."]}


@pytest.mark.parametrize(
    "endpoint, field, value",
    [
        ("create service", "price", 10**30),
        ("create service", "price", -(10**30)),
        ("create service", "price", 1e308),
        ("patch service", "price", 10**30),
        ("create slot", "capacity", 10**30),
        ("create slot", "capacity", -(10**30)),
        ("generate slots", "durationMinutes", 10**30),
        ("generate slots", "gapMinutes", 10**30),
        ("generate slots", "capacity", 10**30),
        ("generate slots", "weekdays", [10**30]),
        ("book", "seats", 10**30),
        ("hold", "seats", 10**30),
    ],
)
def test_huge_numbers_are_a_422(refused, ids, endpoint, field, value):
    body = {**valid_body(ids, endpoint), field: value}
    errors = refused(endpoint, 422, json=body)["errors"]["json"]
    assert field in errors


@pytest.mark.parametrize("literal", ["1e400", "-1e400", "NaN", "Infinity"])
def test_numbers_json_cannot_hold_as_finite_are_a_4xx(refused, literal):
    refused(
        "create service",
        (400, 422),
        data=f'{{"name": "x", "price": {literal}}}',
        content_type="application/json",
    )


def test_an_integer_with_thousands_of_digits_is_a_4xx(refused):
    refused(
        "create slot",
        (400, 422),
        content_type="application/json",
        data='{"capacity": 1%s}' % ("0" * 5000),
    )


@pytest.mark.parametrize("depth", [100_000])
def test_deeply_nested_json_is_a_4xx(refused, depth):
    refused(
        "create service",
        (400, 422),
        content_type="application/json",
        data='{"name": %s}' % ("[" * depth + "]" * depth),
    )


def test_moderately_nested_json_is_a_422(refused):
    refused("create service", 422, json={"name": json.loads("[" * 500 + "]" * 500)})


@pytest.mark.parametrize(
    "endpoint, field, value",
    [
        ("create service", "name", {"a": [1, {"b": None}]}),
        ("create service", "category", ["Cardiology"]),
        ("create service", "price", "ten"),
        ("patch service", "timezone", {"$regex": ".*"}),
        ("create slot", "serviceId", {"$gt": ""}),
        ("create slot", "startTime", ["2030-02-01T09:00:00Z"]),
        ("create slot", "capacity", {"value": 2}),
        ("generate slots", "weekdays", [[1, 2]]),
        ("generate slots", "dayStart", {"hour": 9}),
        ("book", "slotId", {"$ne": None}),
        ("book", "userId", ["u1"]),
        ("hold", "seats", [1]),
        ("reschedule", "slotId", {"$ne": None}),
    ],
)
def test_nested_garbage_in_a_field_is_a_422_naming_it(refused, ids, endpoint, field, value):
    body = {**valid_body(ids, endpoint), field: value}
    assert field in refused(endpoint, 422, json=body)["errors"]["json"]


@pytest.mark.parametrize("endpoint", ENDPOINT_NAMES)
@pytest.mark.parametrize("wrap", ["empty array", "array of the body"])
def test_an_array_instead_of_an_object_is_a_422(refused, ids, endpoint, wrap):
    body = [] if wrap == "empty array" else [valid_body(ids, endpoint)]
    refused(endpoint, 422, json=body)


@pytest.mark.parametrize("endpoint", ENDPOINT_NAMES)
@pytest.mark.parametrize("raw", ['"a string"', "42", "true", "null"])
def test_a_json_scalar_instead_of_an_object_is_a_422(refused, endpoint, raw):
    refused(endpoint, 422, data=raw, content_type="application/json")


@pytest.mark.parametrize(
    "endpoint, field",
    [
        ("create service", "name"),
        ("patch service", "name"),
        ("create slot", "serviceId"),
        ("create slot", "startTime"),
        ("create slot", "endTime"),
        ("generate slots", "serviceId"),
        ("generate slots", "fromDate"),
        ("generate slots", "dayStart"),
        ("generate slots", "durationMinutes"),
        ("book", "slotId"),
        ("book", "userId"),
        ("hold", "userId"),
        ("reschedule", "slotId"),
    ],
)
def test_null_for_a_required_field_is_a_422(refused, ids, endpoint, field):
    body = {**valid_body(ids, endpoint), field: None}
    assert field in refused(endpoint, 422, json=body)["errors"]["json"]


@pytest.mark.parametrize("endpoint", [e for e in ENDPOINT_NAMES if e != "patch service"])
def test_an_empty_object_names_the_required_fields(refused, endpoint):
    errors = refused(endpoint, 422, json={})["errors"]["json"]
    assert all(message == ["Missing data for required field."] for message in errors.values())


@pytest.mark.parametrize(
    "endpoint, field",
    [
        ("create service", "name"),
        ("create service", "description"),
        ("patch service", "address"),
        ("patch service", "category"),
    ],
)
def test_text_with_a_lone_surrogate_is_a_422(refused, ids, endpoint, field):
    body = {**valid_body(ids, endpoint), field: "Dr. \ud800"}
    raw = json.dumps(body)  # ASCII-escaped: "\\ud800", valid JSON text, invalid Unicode
    assert (
        field in refused(endpoint, 422, data=raw, content_type="application/json")["errors"]["json"]
    )


@pytest.mark.parametrize("field", ["userId", "userName"])
def test_appointment_text_with_a_lone_surrogate_is_a_422(refused, ids, field):
    body = {**valid_body(ids, "book"), "userId": "someone", field: "a\ud800"}
    refused("book", 422, data=json.dumps(body), content_type="application/json")


@pytest.mark.parametrize(
    "query",
    [
        {"page_size": 10**30},
        {"page_size": -1},
        {"page": -(10**30)},
        {"page": "1e3"},
        {"page_size": "ten"},
    ],
)
@pytest.mark.parametrize("path", ["/api/v1/services", "/api/v1/slots"])
def test_huge_or_malformed_pagination_is_a_422(client, check, path, query):
    check.invalid(client.get(path, query_string=query), "query", *query)


@pytest.mark.parametrize("path", ["/api/v1/services", "/api/v1/slots", "/api/v1/appointments"])
def test_a_page_far_beyond_the_last_is_an_empty_page(client, ids, check, path):
    response = client.get(path, query_string={"page": 10**20, "page_size": 100})
    assert response.status_code == 200
    assert response.json == []
    assert check.pagination(response)["total"] >= 1


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/nope",
        "/api/v2/services",
        "/api/v1/services/a/b",
        "/api",
        "/api/v1/slots/generate/now",
    ],
)
def test_an_unknown_route_is_a_404_in_the_error_shape(client, check, path):
    check.error(client.get(path), 404)


@pytest.mark.parametrize(
    "method, path",
    [
        ("PUT", "/api/v1/services"),
        ("DELETE", "/api/v1/services"),
        ("PUT", "/api/v1/services/{service}"),
        ("POST", "/api/v1/services/{service}"),
        ("PATCH", "/api/v1/slots"),
        ("PUT", "/api/v1/slots/{slot}"),
        ("PATCH", "/api/v1/slots/{slot}"),
        ("POST", "/api/v1/slots/{slot}/appointments"),
        ("POST", "/api/v1/health"),
        ("DELETE", "/api/v1/appointments/{appointment}"),
    ],
)
def test_a_wrong_method_is_a_405_in_the_error_shape(client, ids, check, method, path):
    before = check.state()
    check.error(client.open(path.format(**ids), method=method, json={"name": "x"}), 405)
    assert check.state() == before


def test_errors_are_json_even_for_a_client_that_prefers_html(client, check):
    response = client.get("/api/v1/services/nope", headers={"Accept": "text/html"})
    check.error(response, 404)
