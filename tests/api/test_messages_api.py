"""Messages a client can act on: each names the field and says what is expected, and checks
match the whole value, not a prefix of it (issue 15, items 3 and 5)."""

import pytest

pytestmark = pytest.mark.usefixtures("no_server_errors")

DATE_TIME = "a date-time with an offset, like 2030-01-07T09:00:00Z"


def slot_body(service_id: str, **fields) -> dict:
    return {
        "serviceId": service_id,
        "startTime": "2030-02-01T09:00:00Z",
        "endTime": "2030-02-01T09:30:00Z",
        **fields,
    }


@pytest.mark.parametrize("value", ["2030-02-01T09:00:00", "tomorrow", "2030-02-01"])
def test_a_date_time_without_an_offset_is_refused_saying_what_is_expected(
    api, client, check, value
):
    response = client.post("/api/v1/slots", json=slot_body(api.service()["id"], startTime=value))
    body = check.invalid(response, "json", "startTime")
    assert body["errors"]["json"]["startTime"] == [
        "A date-time with an offset, like 2030-01-07T09:00:00Z."
    ]
    assert body["message"] == f"startTime: {DATE_TIME}"


def test_a_date_time_query_parameter_names_itself_too(client, check):
    body = check.invalid(client.get("/api/v1/slots", query_string={"from": "9am"}), "query", "from")
    assert body["message"] == f"from: {DATE_TIME}"


def test_the_message_of_a_422_names_every_field_in_error(api, client, check):
    response = client.post(
        "/api/v1/slots",
        json=slot_body(api.service()["id"], startTime="soon", capacity="two", colour="red"),
    )
    message = check.invalid(response, "json", "startTime", "capacity", "colour")["message"]
    assert f"startTime: {DATE_TIME}" in message
    assert "capacity: a whole number" in message
    assert "colour: unknown field" in message


def test_an_end_before_the_start_is_named_by_the_end(api, client, check):
    response = client.post(
        "/api/v1/slots", json=slot_body(api.service()["id"], endTime="2030-02-01T08:00:00Z")
    )
    assert check.invalid(response, "json", "endTime")["message"] == (
        "endTime: a date-time after startTime"
    )


def test_a_wrong_item_of_a_list_is_named_with_its_index(api, client, check):
    body = {
        "serviceId": api.service()["id"],
        "fromDate": "2030-02-04",
        "toDate": "2030-02-04",
        "dayStart": "09:00",
        "dayEnd": "10:00",
        "durationMinutes": 30,
        "weekdays": [1, "x"],
    }
    message = check.invalid(client.post("/api/v1/slots/generate", json=body), "json", "weekdays")[
        "message"
    ]
    assert message == "weekdays[1]: a whole number"


def test_a_missing_field_is_named(client, check):
    body = check.invalid(client.post("/api/v1/services", json={}), "json", "name")
    assert body["message"] == "name: missing data for required field"


@pytest.mark.parametrize(
    "raw, where",
    [
        ('{"name": "x",}', "line 1, column 14"),
        ('{"name": "x"\n "category": "y"}', "line 2, column 2"),
        ("not json", "line 1, column 1"),
    ],
)
def test_a_body_that_is_not_json_says_so_and_where(client, check, raw, where):
    response = client.post("/api/v1/services", data=raw, content_type="application/json")
    message = check.error(response, 400)["message"]
    assert message.startswith("The body is not valid JSON: ") and where in message, message
    assert "browser" not in message


def test_a_body_that_is_not_utf8_is_not_json_either(client, check):
    response = client.post(
        "/api/v1/services", data=b"\xff\xfe\x00", content_type="application/json"
    )
    assert check.error(response, 400)["message"] == (
        "The body is not valid JSON: it is not UTF-8 text."
    )


@pytest.mark.parametrize(
    "field, value",
    [
        ("currency", "USD\n"),
        ("currency", "usd"),
        ("currency", "USDX"),
        ("timezone", "localtime"),
        ("timezone", "Mars/Olympus"),
        ("timezone", "Europe/Berlin\n"),
    ],
)
def test_service_values_must_match_whole(client, check, field, value):
    before = check.state()
    response = client.post("/api/v1/services", json={"name": "X", field: value})
    assert check.invalid(response, "json", field)["message"].startswith(f"{field}: ")
    assert check.state() == before


@pytest.mark.parametrize("value", ["09:00\n", "9:00", "09:00:00", "24:00"])
def test_a_time_of_day_must_match_whole(api, client, check, value):
    body = {
        "serviceId": api.service()["id"],
        "fromDate": "2030-02-04",
        "toDate": "2030-02-04",
        "dayStart": value,
        "dayEnd": "17:00",
        "durationMinutes": 30,
    }
    before = check.state()
    message = check.invalid(client.post("/api/v1/slots/generate", json=body), "json", "dayStart")[
        "message"
    ]
    assert message == "dayStart: a time of day as HH:MM, like 09:00"
    assert check.state() == before


def test_an_id_with_a_trailing_newline_is_refused(api, client, check):
    slot = api.slot()
    response = client.post(
        "/api/v1/appointments/book", json={"slotId": slot["id"] + "\n", "userId": "ada"}
    )
    assert check.invalid(response, "json", "slotId")["message"].startswith(
        "slotId: an id: 24 hexadecimal digits"
    )


@pytest.mark.parametrize(
    "field, value",
    [
        ("currency", "EUR"),
        ("timezone", "Europe/Berlin"),
        ("timezone", "UTC"),
        ("timezone", "US/Eastern"),
    ],
)
def test_whole_valid_values_are_still_accepted(client, field, value):
    response = client.post("/api/v1/services", json={"name": "X", field: value})
    assert response.status_code == 201 and response.json[field] == value


def test_a_refusal_found_past_validation_names_its_field_too(api, client, check):
    slot = api.slot(capacity=2)
    response = client.post(
        "/api/v1/appointments/book", json={"slotId": slot["id"], "userId": "ada", "seats": 3}
    )
    body = check.invalid(response, "json", "seats")
    assert body["message"] == "seats: the slot has 2 seat(s) in all"
