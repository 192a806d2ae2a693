"""A body over 1 MiB is a 413 in the error shape, whichever endpoint it is sent to, and
changes nothing (API.md, "Conventions"; issue 15, item 6)."""

import io
import json

import pytest

pytestmark = pytest.mark.usefixtures("no_server_errors")
MIB = 1024 * 1024


@pytest.fixture
def ids(api) -> dict:
    slot = api.slot(capacity=3)
    return {"slot": slot["id"], "appointment": api.book(slot["id"], user="ada").json["id"]}


ENDPOINTS = [
    ("POST", "/api/v1/services"),
    ("POST", "/api/v1/appointments/book"),
    ("POST", "/api/v1/appointments/hold"),
    ("PATCH", "/api/v1/appointments/{appointment}/cancel"),
    ("POST", "/api/v1/appointments/{appointment}/confirm"),
]


@pytest.mark.parametrize("method, path", ENDPOINTS)
def test_a_body_over_one_mib_is_a_413_and_changes_nothing(client, check, ids, method, path):
    before = check.state()
    body = json.dumps({"slotId": ids["slot"], "userId": "grace", "name": "x" * MIB})
    response = client.open(
        path.format(**ids), method=method, data=body, content_type="application/json"
    )
    assert check.error(response, 413)["message"] == (
        "The body is larger than 1 MiB (1048576 bytes); send a smaller one."
    )
    assert check.state() == before


def test_a_body_over_one_mib_without_a_length_is_a_413_too(client, check, ids):
    body = json.dumps({"slotId": ids["slot"], "userId": "grace", "userName": "x" * MIB})
    before = check.state()
    # a chunked upload, as a server hands it over: no length, the input ends by itself
    response = client.post(
        "/api/v1/appointments/book",
        input_stream=io.BytesIO(body.encode()),
        content_type="application/json",
        headers={"Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    check.error(response, 413)
    assert check.state() == before


def test_a_body_just_under_the_limit_is_read_and_judged(client, check):
    body = json.dumps({"name": "x" * (MIB - 100)})
    response = client.post("/api/v1/services", data=body, content_type="application/json")
    check.invalid(response, "json", "name")
