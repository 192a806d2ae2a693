"""Request ids, JSON logs with one line per booking decision, and Prometheus metrics."""

import json
import logging

import pytest
from prometheus_client.parser import text_string_to_metric_families

from slotkeeper import create_app
from slotkeeper.jobs.expiry_job import run_expiry
from tests.conftest import Api, test_settings


def sample(client, name: str, **labels) -> float:
    """The value of one sample on /metrics (0 when it has not appeared yet)."""
    response = client.get("/metrics")
    assert response.status_code == 200
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return s.value
    return 0.0


def decisions(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "slotkeeper.decisions"]


# --- X-Request-ID ----------------------------------------------------------------------------


def test_a_sane_incoming_request_id_is_echoed(client):
    response = client.get("/api/v1/health", headers={"X-Request-ID": "lb-7f3a:42"})
    assert response.headers["X-Request-ID"] == "lb-7f3a:42"


@pytest.mark.parametrize("incoming", [None, "", "two words", "x" * 201, "<script>"])
def test_a_missing_or_insane_request_id_is_replaced_by_a_new_one(client, incoming):
    headers = {} if incoming is None else {"X-Request-ID": incoming}
    generated = client.get("/api/v1/services", headers=headers).headers["X-Request-ID"]
    assert len(generated) == 32 and int(generated, 16) >= 0
    assert client.get("/api/v1/services", headers=headers).headers["X-Request-ID"] != generated


def test_errors_carry_the_request_id_too(client):
    response = client.get("/api/v1/slots/nope", headers={"X-Request-ID": "req-404"})
    assert response.status_code == 404 and response.headers["X-Request-ID"] == "req-404"


# --- logs ------------------------------------------------------------------------------------


def test_a_refused_booking_logs_who_which_slot_the_reason_and_the_request_id(api, caplog):
    slot = api.slot(capacity=1)
    assert api.book(slot["id"], user="ada").status_code == 201
    with caplog.at_level(logging.INFO, logger="slotkeeper.decisions"):
        refused = api.book(slot["id"], user="bob", **{"X-Request-ID": "req-refused"})
    assert refused.status_code == 409
    [record] = decisions(caplog)
    assert (record.operation, record.result) == ("book", "refused")
    assert record.reason == "SLOT_UNAVAILABLE"
    assert (record.userId, record.slotId, record.request_id) == ("bob", slot["id"], "req-refused")


def test_each_step_of_a_hold_logs_its_decision(api, caplog):
    slot = api.slot(capacity=2)
    with caplog.at_level(logging.INFO, logger="slotkeeper.decisions"):
        hold = api.hold(slot["id"], user="ada", seats=2).json
        api.client.post(f"/api/v1/appointments/{hold['id']}/confirm")
        api.client.patch(f"/api/v1/appointments/{hold['id']}/cancel")
    steps = [
        (r.operation, r.result, r.userId, r.slotId, r.appointmentId, r.appointmentStatus)
        for r in decisions(caplog)
    ]
    assert steps == [
        ("hold", "accepted", "ada", slot["id"], hold["id"], "PENDING"),
        ("confirm", "accepted", "ada", slot["id"], hold["id"], "BOOKED"),
        ("cancel", "accepted", "ada", slot["id"], hold["id"], "CANCELLED"),
    ]


def test_log_lines_are_json_objects_with_the_request_id(api, caplog, capsys):
    slot = api.slot()
    capsys.readouterr()
    with caplog.at_level(logging.INFO, logger="slotkeeper.decisions"):
        api.hold(slot["id"], user="ada", **{"X-Request-ID": "req-json"})
    [line] = [
        json.loads(text)
        for text in capsys.readouterr().err.splitlines()
        if '"slotkeeper.decisions"' in text
    ]
    assert line["level"] == "INFO" and line["time"] and line["message"] == "hold accepted"
    assert (line["request_id"], line["userId"], line["reason"]) == ("req-json", "ada", None)


def test_a_refusal_of_any_input_still_logs_one_json_line(api, caplog, capsys):
    slot = api.slot()
    capsys.readouterr()
    huge = 10**30  # no 64-bit integer: the line carries it as text
    with caplog.at_level(logging.INFO, logger="slotkeeper.decisions"):
        response = api.client.post(
            "/api/v1/appointments/hold", json={"slotId": slot["id"], "userId": "ada", "seats": huge}
        )
    assert response.status_code == 422
    [line] = [
        json.loads(text)
        for text in capsys.readouterr().err.splitlines()
        if '"slotkeeper.decisions"' in text
    ]
    assert (line["result"], line["seats"]) == ("refused", str(huge))


# --- metrics ---------------------------------------------------------------------------------


@pytest.mark.fresh_app
def test_the_booking_counters_move(api):
    client = api.client
    slot = api.slot(capacity=1)
    assert sample(client, "slotkeeper_holds_total") == 0
    hold = api.hold(slot["id"], user="ada").json
    client.post(f"/api/v1/appointments/{hold['id']}/confirm")
    assert api.book(slot["id"], user="bob").status_code == 409
    client.patch(f"/api/v1/appointments/{hold['id']}/cancel")
    assert api.book(slot["id"], user="bob").status_code == 201
    assert [
        sample(client, f"slotkeeper_{name}_total")
        for name in ("holds", "confirmations", "cancellations", "bookings")
    ] == [1, 1, 1, 1]
    assert (
        sample(client, "slotkeeper_conflicts_total", operation="book", reason="SLOT_UNAVAILABLE")
        == 1
    )


@pytest.mark.fresh_app
def test_request_latency_is_measured_by_endpoint(api):
    api.client.get("/api/v1/services")
    assert (
        sample(
            api.client,
            "flask_http_request_duration_seconds_count",
            endpoint="services.Services",
            method="GET",
            status="200",
        )
        >= 1
    )


@pytest.mark.fresh_app
def test_the_sweep_counts_expirations_and_updates_the_seats_held_gauge(app, api, clock):
    slot = api.slot(capacity=3)
    api.hold(slot["id"], user="ada", seats=2)
    run_expiry(app)
    assert sample(api.client, "slotkeeper_seats_held") == 2
    clock.advance(seconds=121)
    run_expiry(app)
    assert sample(api.client, "slotkeeper_seats_held") == 0
    assert sample(api.client, "slotkeeper_expirations_total") == 1
    assert sample(api.client, "slotkeeper_sweep_seconds_count") == 2  # each pass is timed


@pytest.mark.fresh_app
def test_apps_in_one_process_keep_their_own_metrics(api, clock):
    other = create_app(test_settings(), clock=clock)
    assert api.hold(api.slot()["id"]).status_code == 201
    assert sample(other.test_client(), "slotkeeper_holds_total") == 0


def test_metrics_can_be_turned_off(clock):
    app = create_app(test_settings(metrics_enabled=False), clock=clock)
    assert app.test_client().get("/metrics").status_code == 404
    assert Api(app.test_client()).slot()["id"]
