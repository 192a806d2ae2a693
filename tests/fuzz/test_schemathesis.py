"""Schemathesis fuzzes every operation of the app's own /openapi.json, on a seeded database.

Every response must be documented (status code and content type), match its documented schema
and never be a 5xx. Path ids and body references are seeded ids half of the time, so requests
get past the 404s into validation, conflicts and successes. The database is restored to the
seeded state before each request, so a failure replays exactly.

The schema is read once at import (schemathesis' lazy `pytest.from_fixture` loader does not run
on pytest 9: it writes `Function._nodeid`, which pytest 9 no longer has); each request goes to
the test's own app, built by the `app` fixture with its fake clock.
"""

import os
from functools import partial

import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from slotkeeper import create_app
from tests.conftest import examples, test_settings

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
MAX_EXAMPLES = examples(15)
ID_KINDS = {
    "service_id": "service",
    "slot_id": "slot",
    "appointment_id": "appointment",
    "serviceId": "service",
    "slotId": "slot",
}
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
SEEDED: dict[str, list[str]] = {}  # kind -> ids of the running test's seed


def _documented_spec() -> dict:
    """The app's OpenAPI document without flask-smorest's catch-all "default" response, so
    status_code_conformance demands that every status code be listed explicitly."""
    spec = create_app(test_settings()).test_client().get("/openapi.json").json
    for operations in spec["paths"].values():
        for operation in operations.values():
            if isinstance(operation, dict):
                operation.get("responses", {}).pop("default", None)
    return spec


schema = schemathesis.openapi.from_dict(_documented_spec())
schema.config.generation.update(max_examples=MAX_EXAMPLES)
# The coverage phase sends every operation its boundary and near-miss inputs: what it varies is
# the input, which the embedded run covers; on a server each costs tens of round trips.
schema.config.phases.coverage.enabled = not os.environ.get("MONGODB_URI")


def _maybe_seeded(values) -> st.SearchStrategy:
    """The generated values, or the same with each id replaced by a seeded one of its kind."""
    if not isinstance(values, dict):
        return st.just(values)
    real = {
        name: st.sampled_from(SEEDED[ID_KINDS[name]])
        for name in values
        if SEEDED.get(ID_KINDS.get(name))
    }
    if not real:
        return st.just(values)
    return st.one_of(st.just(values), st.fixed_dictionaries(real).map(partial(_merged, values)))


def _merged(values: dict, replacements: dict) -> dict:
    return {**values, **replacements}


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    return _maybe_seeded(path_parameters)


@schema.hook
def flatmap_body(context, body):
    return _maybe_seeded(body)


@schema.parametrize()
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])  # restored per example
def test_every_response_is_documented_and_never_a_server_error(case, app, seed):
    SEEDED.clear()
    SEEDED.update(seed.ids)
    seed.restore()
    seed.dirty = case.method.upper() not in SAFE_METHODS
    case.call_and_validate(checks=CHECKS, app=app)


def _call(seed, app, path: str, method: str, **parts):
    seed.dirty = True  # the calls build on each other: never restored in between
    case = schema[path][method].Case(**parts)
    response = case.call(app=app)
    case.validate_response(response, checks=CHECKS)
    return response


def test_every_refusal_of_book_and_hold_is_documented(app, seed):
    """States random data seldom reaches, checked against the same document and checks."""
    free, archived = seed.ids["slot"][1], seed.ids["slot"][3]
    book = "/api/v1/appointments/book"
    key = {"Idempotency-Key": "k1"}
    assert (
        _call(
            seed, app, book, "POST", body={"slotId": free, "userId": "u"}, headers=key
        ).status_code
        == 201
    )
    for body, headers, code in [
        ({"slotId": free, "userId": "u", "seats": 1}, key, 201),  # the same request again
        ({"slotId": free, "userId": "u", "seats": 2}, key, 422),  # IDEMPOTENCY_MISMATCH
        ({"slotId": free, "userId": "v"}, {}, 409),  # SLOT_UNAVAILABLE
        ({"slotId": free, "userId": "u"}, {}, 409),  # DUPLICATE_BOOKING
        ({"slotId": archived, "userId": "u"}, {}, 409),  # SERVICE_INACTIVE
        ({"slotId": seed.ids["slot"][0], "userId": "u", "seats": 9}, {}, 422),
    ]:  # > capacity
        assert _call(seed, app, book, "POST", body=body, headers=headers).status_code == code
