"""Random malformed bodies for every POST and PATCH endpoint: always a 4xx in the contract's
error shape, and the database exactly as it was (every document compared, not only counted).

Malformed means: wrong JSON types, missing required fields, unknown fields, numbers out of
range or of thousands of digits, invalid values, nesting (up to 100,000 deep), JSON that is not
an object, bytes that are not JSON or not UTF-8, JSON sent under another content type (or
none), an over-long Idempotency-Key. confirm and cancel
take no body: any body is ignored (checked on no-op transitions, so nothing may change).
"""

import json
import string

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from tests.conftest import examples

ERROR_KEYS = {"code", "status", "message", "errors", "reason"}
FIELD_NAME = st.text(string.ascii_letters + "_$.", min_size=1, max_size=12)
LEAF = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.text(max_size=20),
    st.floats(allow_nan=False, allow_infinity=False),
)
JSON = st.recursive(
    LEAF,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(FIELD_NAME, inner, max_size=3)
    ),
    max_leaves=8,
)
CONTAINERS = st.one_of(st.lists(JSON, max_size=3), st.dictionaries(FIELD_NAME, JSON, max_size=3))
OTHER_CONTENT_TYPES = [
    "text/plain",
    "application/x-www-form-urlencoded",
    "application/xml",
    "multipart/form-data; boundary=x",
    "application/octet-stream",
    None,
]


def _not_a_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return True
    return False


def _not_a_json_object(raw: bytes) -> bool:
    try:
        return not isinstance(json.loads(raw), dict)
    except ValueError:
        return True


def _not_a_bool(value) -> bool:
    from marshmallow import fields

    try:
        return value not in fields.Boolean.truthy | fields.Boolean.falsy
    except TypeError:  # unhashable: a list or a dict
        return True


NOT_TEXT = st.one_of(st.integers(), st.floats(allow_nan=False), st.booleans(), CONTAINERS)
WRONG_TYPE = {  # kind -> JSON values that kind never accepts (null is added when not nullable)
    "text": NOT_TEXT,
    "int": st.one_of(st.text(max_size=5), st.floats(allow_nan=False), st.booleans(), CONTAINERS),
    "number": st.one_of(st.text(max_size=5).filter(_not_a_float), st.booleans(), CONTAINERS),
    "bool": st.one_of(
        st.text(max_size=5), st.floats(allow_nan=False), CONTAINERS, st.integers()
    ).filter(_not_a_bool),
    "list": st.one_of(
        st.text(max_size=5),
        st.integers(),
        st.booleans(),
        st.dictionaries(FIELD_NAME, JSON, max_size=3),
        st.lists(
            st.one_of(st.text(max_size=3), st.booleans(), st.floats()), min_size=1, max_size=3
        ),
    ),
}
HUGE = st.one_of(
    st.integers(min_value=10**10, max_value=10**4000),
    st.integers(max_value=-(10**10), min_value=-(10**4000)),
    st.sampled_from([1e300, -1e300, 1.7976931348623157e308]),
)


class Endpoint:
    """One POST/PATCH endpoint: how to reach it and the shape of a valid body."""

    def __init__(self, method, path, body, fields, required=(), invalid=()):
        self.method, self.path, self.body = method, path, body
        self.fields = fields  # name -> (kind, nullable)
        self.required = list(required)
        self.invalid = list(invalid)  # (field, value) pairs of the right type but not allowed

    def url(self, ids) -> str:
        return self.path.format(**{k: v[0] for k, v in ids.items()}, booked=ids["appointment"][0])

    def valid(self, ids) -> dict:
        return self.body(ids)


def _service_body(ids):
    return {
        "name": "Vet",
        "category": "Pets",
        "price": 12.5,
        "currency": "EUR",
        "timezone": "Europe/Berlin",
        "active": True,
    }


def _slot_body(ids):
    return {
        "serviceId": ids["service"][0],
        "startTime": "2030-02-01T09:00:00Z",
        "endTime": "2030-02-01T09:30:00+00:00",
        "capacity": 2,
    }


def _generate_body(ids):
    return {
        "serviceId": ids["service"][0],
        "fromDate": "2030-02-04",
        "toDate": "2030-02-05",
        "dayStart": "09:00",
        "dayEnd": "10:00",
        "durationMinutes": 30,
        "gapMinutes": 0,
        "weekdays": [1, 2],
        "capacity": 1,
    }


def _take_body(ids):
    return {
        "slotId": ids["slot"][1],
        "userId": "zed",
        "userName": "Zed",
        "userEmail": "zed@example.com",
        "seats": 1,
    }


SERVICE_FIELDS = {
    "name": ("text", False),
    "description": ("text", True),
    "address": ("text", True),
    "category": ("text", True),
    "price": ("number", False),
    "currency": ("text", False),
    "timezone": ("text", False),
    "active": ("bool", False),
}
SERVICE_INVALID = [
    ("name", ""),
    ("name", "x" * 201),
    ("description", "x" * 2001),
    ("price", -0.01),
    ("price", 1.005),
    ("currency", "usd"),
    ("currency", "EURO"),
    ("timezone", "Mars/Olympus_Mons"),
    ("timezone", ""),
]
TAKE_FIELDS = {
    "slotId": ("text", False),
    "userId": ("text", False),
    "userName": ("text", True),
    "userEmail": ("text", True),
    "seats": ("int", False),
}
TAKE_INVALID = [
    ("slotId", "not-an-id"),
    ("slotId", "0" * 23),
    ("userId", ""),
    ("userId", "u" * 201),
    ("userEmail", "not-an-email"),
    ("seats", 0),
    ("seats", -1),
    ("seats", 4),
]  # the free slot has capacity 1
ENDPOINTS = {
    "create service": Endpoint(
        "POST",
        "/api/v1/services",
        _service_body,
        SERVICE_FIELDS,
        required=["name"],
        invalid=SERVICE_INVALID,
    ),
    "patch service": Endpoint(
        "PATCH",
        "/api/v1/services/{service}",
        _service_body,
        SERVICE_FIELDS,
        invalid=SERVICE_INVALID,
    ),
    "create slot": Endpoint(
        "POST",
        "/api/v1/slots",
        _slot_body,
        {
            "serviceId": ("text", False),
            "startTime": ("text", False),
            "endTime": ("text", False),
            "capacity": ("int", False),
        },
        required=["serviceId", "startTime", "endTime"],
        invalid=[
            ("startTime", "2030-02-01T09:00:00"),
            ("endTime", "2030-02-01T08:00:00Z"),
            ("startTime", "tomorrow"),
            ("endTime", "2030-02-30T09:00:00Z"),
            ("capacity", 0),
            ("capacity", 10001),
            ("serviceId", "xyz"),
        ],
    ),
    "generate slots": Endpoint(
        "POST",
        "/api/v1/slots/generate",
        _generate_body,
        {
            "serviceId": ("text", False),
            "fromDate": ("text", False),
            "toDate": ("text", False),
            "dayStart": ("text", False),
            "dayEnd": ("text", False),
            "durationMinutes": ("int", False),
            "gapMinutes": ("int", False),
            "weekdays": ("list", False),
            "capacity": ("int", False),
        },
        required=["serviceId", "fromDate", "toDate", "dayStart", "dayEnd", "durationMinutes"],
        invalid=[
            ("fromDate", "2030-02-31"),
            ("toDate", "2030-02-03"),
            ("toDate", "2031-02-06"),
            ("dayStart", "9:00"),
            ("dayStart", "24:00"),
            ("dayEnd", "08:59"),
            ("durationMinutes", 4),
            ("durationMinutes", 1441),
            ("gapMinutes", -1),
            ("weekdays", []),
            ("weekdays", [0]),
            ("weekdays", [8]),
            ("capacity", 0),
        ],
    ),
    "book": Endpoint(
        "POST",
        "/api/v1/appointments/book",
        _take_body,
        TAKE_FIELDS,
        required=["slotId", "userId"],
        invalid=TAKE_INVALID,
    ),
    "hold": Endpoint(
        "POST",
        "/api/v1/appointments/hold",
        _take_body,
        TAKE_FIELDS,
        required=["slotId", "userId"],
        invalid=TAKE_INVALID,
    ),
    "reschedule": Endpoint(
        "POST",
        "/api/v1/appointments/{booked}/reschedule",
        lambda ids: {"slotId": ids["slot"][1]},
        {"slotId": ("text", False)},
        required=["slotId"],
        invalid=[("slotId", "nope"), ("slotId", "")],
    ),
}
TAKES = {"book", "hold"}


def _json(body) -> tuple[bytes, str]:
    return json.dumps(body).encode(), "application/json"


@st.composite
def malformed(draw, endpoint: Endpoint, name: str, ids) -> tuple[bytes, str | None, dict]:
    """(raw body, content type, headers) that the endpoint must refuse with a 4xx."""
    body, headers = endpoint.valid(ids), {}
    kinds = [
        "wrong type",
        "unknown field",
        "invalid value",
        "nested",
        "not an object",
        "not JSON",
        "not UTF-8",
    ]
    kinds += ["missing field"] if endpoint.required else []
    kinds += ["other content type"]
    kinds += (
        ["huge number"]
        if any(k == "int" or k == "number" for k, _ in endpoint.fields.values())
        else []
    )
    kinds += ["long idempotency key"] if name in TAKES else []
    kind = draw(st.sampled_from(kinds))
    if kind == "wrong type":
        field = draw(st.sampled_from(sorted(endpoint.fields)))
        type_, nullable = endpoint.fields[field]
        wrong = WRONG_TYPE[type_] if nullable else st.one_of(st.none(), WRONG_TYPE[type_])
        return (*_json({**body, field: draw(wrong)}), headers)
    if kind == "unknown field":
        extra = draw(
            st.dictionaries(
                FIELD_NAME.filter(lambda f: f not in endpoint.fields), JSON, min_size=1, max_size=3
            )
        )
        return (*_json({**body, **extra}), headers)
    if kind == "invalid value":
        field, value = draw(st.sampled_from(endpoint.invalid))
        return (*_json({**body, field: value}), headers)
    if kind == "nested":
        field = draw(st.sampled_from(sorted(endpoint.fields)))
        depth = draw(st.one_of(st.integers(1, 400), st.integers(1, 100_000)))
        opener, closer = draw(st.sampled_from([("[", "]"), ('{"a":', "}")]))
        value = opener * depth + "1" + closer * depth
        raw = json.dumps({**body, field: "\x00"}).replace('"\\u0000"', value)
        return raw.encode(), "application/json", headers
    if kind == "not an object":
        top = draw(st.one_of(LEAF, st.lists(JSON, max_size=3), st.just([body])))
        return (*_json(top), headers)
    if kind == "not JSON":
        raw = draw(
            st.one_of(
                st.binary(min_size=1, max_size=40).filter(_not_a_json_object),
                st.sampled_from(
                    [
                        b"{",
                        b'{"a":}',
                        b"{'a': 1}",
                        b"[1,]",
                        b"nul",
                        json.dumps(body).encode()[:-1],
                        b"\xef\xbb\xbf{",
                    ]
                ),
            )
        )
        return raw, "application/json", headers
    if kind == "not UTF-8":
        text = json.dumps({**body, draw(st.sampled_from(sorted(endpoint.fields))): "\x00"})
        bad = draw(st.sampled_from([b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xf8\x88\x80\x80"]))
        return text.encode().replace(b"\\u0000", bad), "application/json", headers
    if kind == "missing field":
        field = draw(st.sampled_from(endpoint.required))
        return (*_json({k: v for k, v in body.items() if k != field}), headers)
    if kind == "other content type":
        return json.dumps(body).encode(), draw(st.sampled_from(OTHER_CONTENT_TYPES)), headers
    if kind == "huge number":
        field = draw(
            st.sampled_from(
                sorted(f for f, (k, _) in endpoint.fields.items() if k in ("int", "number"))
            )
        )
        if draw(st.booleans()):
            return (*_json({**body, field: draw(HUGE)}), headers)
        digits = "9" * draw(st.integers(4300, 20_000))  # more than Python parses by default
        raw = json.dumps({**body, field: "\x00"}).replace('"\\u0000"', digits)
        return raw.encode(), "application/json", headers
    key = draw(st.text(string.ascii_letters, min_size=256, max_size=400))
    return (*_json(body), {"Idempotency-Key": key})


def assert_error_shape(response, codes=range(400, 500)) -> dict:
    assert response.status_code in codes, (response.status_code, response.get_data()[:300])
    assert response.is_json, response.get_data()[:300]
    payload = response.get_json()
    assert isinstance(payload, dict) and set(payload) <= ERROR_KEYS, payload
    assert payload["code"] == response.status_code, payload
    assert isinstance(payload["status"], str) and payload["status"], payload
    assert isinstance(payload["message"], str) and payload["message"], payload
    if response.status_code == 422:
        assert isinstance(payload.get("errors"), dict) and payload["errors"], payload
    return payload


def send(client, endpoint: Endpoint, ids, raw: bytes, content_type, headers):
    return client.open(
        endpoint.url(ids),
        method=endpoint.method,
        data=raw,
        content_type=content_type,
        headers=headers,
    )


FUZZ = settings(
    max_examples=examples(40),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.mark.parametrize("name", sorted(ENDPOINTS))
def test_a_malformed_body_is_a_4xx_in_the_error_shape_and_changes_nothing(client, seed, name):
    endpoint = ENDPOINTS[name]

    @FUZZ
    @given(request=malformed(endpoint, name, seed.ids))
    def check(request):
        seed.restore()
        seed.dirty = True
        raw, content_type, headers = request
        note(f"{endpoint.method} {endpoint.url(seed.ids)} {content_type} {headers} {raw[:300]!r}")
        assert_error_shape(send(client, endpoint, seed.ids, *request))
        assert seed.unchanged()
        seed.dirty = False

    check()


@pytest.mark.parametrize(
    "path, appointment, status",
    [
        ("/api/v1/appointments/{}/confirm", 0, "BOOKED"),  # confirming a booking changes nothing
        ("/api/v1/appointments/{}/cancel", 2, "CANCELLED"),  # cancelling twice changes nothing
    ],
)
def test_confirm_and_cancel_ignore_any_body(client, seed, path, appointment, status):
    url = path.format(seed.ids["appointment"][appointment])
    method = "POST" if path.endswith("confirm") else "PATCH"
    bodies = st.one_of(JSON.map(json.dumps).map(str.encode), st.binary(max_size=40))

    @FUZZ
    @given(raw=bodies, content_type=st.sampled_from(["application/json", *OTHER_CONTENT_TYPES]))
    def check(raw, content_type):
        response = client.open(url, method=method, data=raw, content_type=content_type)
        assert response.status_code == 200 and response.json["status"] == status
        assert seed.unchanged()

    check()


@pytest.mark.parametrize(
    "path", ["book", "hold", "{booked}/reschedule", "{booked}/confirm", "{booked}/cancel"]
)
def test_deeply_nested_json_is_a_4xx_on_appointment_operations(client, seed, path):
    url = "/api/v1/appointments/" + path.format(booked=seed.ids["appointment"][0])
    raw = '{"slotId": %s}' % ("[" * 100_000 + "]" * 100_000)
    response = client.open(
        url,
        method="PATCH" if path.endswith("cancel") else "POST",
        data=raw,
        content_type="application/json",
    )
    assert response.status_code < 500
    if not path.endswith(("confirm", "cancel")):  # those take no body and ignore it
        assert response.status_code == 400
        assert seed.unchanged()
