"""The database unreachable or going away: every request is a quick 503 in the contract's
error shape (never a traceback page, never a hang), health says "unavailable", and the same
app answers again by itself once the database does."""

import logging
import os
import time

import pytest
from mongoengine.connection import get_connection
from mongoengine.errors import OperationError
from pymongo.errors import (
    AutoReconnect,
    ExecutionTimeout,
    NetworkTimeout,
    NotPrimaryError,
    OperationFailure,
    ServerSelectionTimeoutError,
    WTimeoutError,
)

from slotkeeper import create_app
from slotkeeper.database.connection import is_unavailable
from slotkeeper.jobs.expiry_job import run_expiry
from slotkeeper.models import Slot
from tests.conftest import test_settings

ID = "0123456789abcdef01234567"
REQUESTS = {
    "GET list": ("get", "/api/v1/slots", None),
    "GET by id": ("get", f"/api/v1/appointments/{ID}", None),
    "POST book": ("post", "/api/v1/appointments/book", {"slotId": ID, "userId": "ada"}),
}
embedded_only = pytest.mark.skipif(
    bool(os.environ.get("MONGODB_URI")), reason="injects faults into the embedded engine"
)
QUICKLY = 3.0  # seconds: the 150 ms timeout plus pymongo's 0.5 s re-check granularity, with room
DRIVER_ERRORS = [
    ServerSelectionTimeoutError("127.0.0.1:27017: connection refused"),
    AutoReconnect("connection reset by peer"),
    NetworkTimeout("timed out"),
    NotPrimaryError("not primary"),
    WTimeoutError("waiting for replication timed out", 64, {"code": 64}),
    ExecutionTimeout("operation exceeded time limit", 50),
]


def assert_unavailable(response) -> None:
    assert response.status_code == 503, response.get_data(as_text=True)
    assert response.is_json
    assert response.json["code"] == 503
    assert response.json["status"] == "Service Unavailable"
    assert response.json["message"]


@pytest.fixture
def unreachable_app(closed_port_uri):
    settings = test_settings().with_overrides(
        mongodb_uri=closed_port_uri, mongodb_timeout_ms=150, migrate_on_start=False
    )
    return create_app(settings)


@pytest.mark.parametrize("method, path, body", REQUESTS.values(), ids=REQUESTS.keys())
def test_every_kind_of_request_is_a_quick_503_when_mongodb_is_unreachable(
    unreachable_app, method, path, body
):
    started = time.monotonic()
    response = getattr(unreachable_app.test_client(), method)(path, json=body)
    assert_unavailable(response)
    assert time.monotonic() - started < QUICKLY


def test_health_is_a_quick_503_saying_the_database_is_unavailable(unreachable_app):
    started = time.monotonic()
    response = unreachable_app.test_client().get("/api/v1/health")
    assert time.monotonic() - started < QUICKLY
    assert response.status_code == 503
    assert response.json["database"] == "unavailable"


def test_an_index_built_lazily_on_first_use_fails_as_a_503_too(unreachable_app, monkeypatch):
    monkeypatch.setitem(Slot._meta, "auto_create_index", True)  # as MongoEngine does by default
    monkeypatch.setattr(Slot, "_collection", None)
    assert_unavailable(unreachable_app.test_client().get("/api/v1/slots"))


def test_the_client_writes_majority_journaled_retryable_with_bounded_timeouts(closed_port_uri):
    uri = closed_port_uri + "&w=1&journal=false&retryWrites=false&timeoutMS=0"
    create_app(
        test_settings().with_overrides(
            mongodb_uri=uri, mongodb_timeout_ms=150, migrate_on_start=False
        )
    )
    client = get_connection()
    # the settings win over the URI
    assert client.write_concern.document == {"w": "majority", "j": True}
    assert client.options.retry_writes is True
    assert client.options.server_selection_timeout == 0.15
    assert client.options.pool_options.connect_timeout == 0.15
    assert client.options.timeout == 0.3
    assert client.codec_options.tz_aware is True


@embedded_only
@pytest.mark.parametrize("error", DRIVER_ERRORS, ids=lambda e: type(e).__name__)
def test_when_the_database_goes_away_requests_are_503_and_the_same_app_recovers(
    app, api, outage, error
):
    slot = api.slot(capacity=2)
    outage.start(error)
    for method, path, body in REQUESTS.values():
        assert_unavailable(getattr(api.client, method)(path, json=body))
    assert_unavailable(api.hold(slot["id"]))
    assert api.client.get("/api/v1/health").json["database"] == "unavailable"
    outage.stop()
    assert api.client.get("/api/v1/health").status_code == 200
    assert api.hold(slot["id"]).status_code == 201
    assert api.client.get("/api/v1/slots").status_code == 200


@embedded_only
def test_a_write_concern_timeout_that_mongoengine_rewraps_is_a_503(client, outage):
    outage.start(WTimeoutError("waiting for replication timed out", 64, {"code": 64}))
    assert_unavailable(client.post("/api/v1/services", json={"name": "Dr. Who"}))  # Document.save


@embedded_only
def test_a_driver_error_that_is_not_an_outage_stays_a_500(client, outage):
    outage.start(OperationFailure("unsupported operator", 2))
    response = client.get("/api/v1/slots")
    assert response.status_code == 500 and response.json["code"] == 500


def test_outages_are_told_apart_from_other_errors_through_mongoengines_wrapping():
    try:
        try:
            raise WTimeoutError("waiting for replication timed out", 64, {})
        except OperationFailure as err:
            raise OperationError(f"Could not save document ({err})")  # noqa: B904, as MongoEngine
    except OperationError as wrapped:
        assert is_unavailable(wrapped)
    assert not is_unavailable(OperationFailure("duplicate key", 11000))
    assert not is_unavailable(ValueError("no"))


@embedded_only
def test_the_expiry_job_logs_one_line_and_carries_on_while_the_database_is_down(
    app, outage, caplog
):
    outage.start(AutoReconnect("connection reset by peer"))
    with caplog.at_level(logging.WARNING, logger="slotkeeper.jobs.expiry_job"):
        run_expiry(app)
    assert [r.getMessage() for r in caplog.records if r.name == "slotkeeper.jobs.expiry_job"] == [
        "expiry sweep skipped, the database is unavailable: AutoReconnect"
    ]
    outage.stop()
    run_expiry(app)
