"""Unknown query parameters are refused as unknown body fields are: 422 naming each, and
nothing changes (API.md, "Conventions"; issue 15, item 4)."""

from datetime import timedelta

import pytest

from tests.conftest import NOW

pytestmark = pytest.mark.usefixtures("no_server_errors")


@pytest.fixture
def ids(api) -> dict:
    service = api.service()
    slot = api.slot(service["id"], capacity=3)
    appointment = api.book(slot["id"], user="ada").json
    return {"service": service["id"], "slot": slot["id"], "appointment": appointment["id"]}


GETS = [
    "/api/v1/services",
    "/api/v1/services/{service}",
    "/api/v1/slots",
    "/api/v1/slots/{slot}",
    "/api/v1/slots/{slot}/appointments",
    "/api/v1/appointments",
    "/api/v1/appointments/{appointment}",
    "/api/v1/health",
]


@pytest.mark.parametrize("path", GETS)
@pytest.mark.parametrize("name", ["pageSize", "service_id", "bogus"])
def test_an_unknown_query_parameter_is_a_422_naming_it(client, check, ids, path, name):
    response = client.get(path.format(**ids), query_string={name: "1"})
    body = check.invalid(response, "query", name)
    assert body["errors"]["query"] == {name: ["Unknown field."]}
    assert body["message"].startswith(f"{name}: not a query parameter of this endpoint")


def test_page_size_misspelt_no_longer_gives_a_full_page(client, check, api, ids):
    for hour in range(1, 4):
        api.slot(ids["service"], start=NOW + timedelta(days=2, hours=hour))
    assert check.invalid(client.get("/api/v1/slots?pageSize=1"), "query", "pageSize")
    assert len(client.get("/api/v1/slots?page_size=1").json) == 1


def test_the_message_lists_what_the_endpoint_takes(client, check):
    message = check.invalid(client.get("/api/v1/slots?service_id=x"), "query", "service_id")[
        "message"
    ]
    assert message == (
        "service_id: not a query parameter of this endpoint (it takes: "
        "available, from, page, page_size, serviceId, status, to)"
    )


def test_every_unknown_parameter_is_named_and_known_ones_are_not(client, check):
    response = client.get("/api/v1/services?q=ada&colour=red&size=2&page=1")
    assert set(check.invalid(response, "query")["errors"]["query"]) == {"colour", "size"}


@pytest.mark.parametrize(
    "method, path, body",
    [
        ("POST", "/api/v1/appointments/book", {"userId": "grace"}),
        ("POST", "/api/v1/appointments/hold", {"userId": "grace"}),
        ("PATCH", "/api/v1/appointments/{appointment}/cancel", None),
        ("POST", "/api/v1/services", {"name": "New"}),
        ("DELETE", "/api/v1/services/{service}", None),
    ],
)
def test_a_write_with_an_unknown_query_parameter_changes_nothing(
    client, check, ids, method, path, body
):
    before = check.state()
    json_body = {**body, "slotId": ids["slot"]} if body and "userId" in body else body
    response = client.open(
        path.format(**ids), method=method, json=json_body, query_string={"dryRun": "true"}
    )
    check.invalid(response, "query", "dryRun")
    assert check.state() == before


@pytest.mark.parametrize(
    "query",
    [{"serviceId": "6650f0c2a1b2c3d4e5f60718"}, {"page": 1}, {"available": "true", "page_size": 5}],
)
def test_documented_parameters_are_still_accepted(client, query):
    assert client.get("/api/v1/slots", query_string=query).status_code == 200
