"""Webhook deliveries against a real receiver on 127.0.0.1: signatures, retries, timeouts,
redirects, destinations, leases, and the event of every use case.

The clock is injected: a retry becomes due when the test moves the clock, never by waiting.
Only the receiver's own slowness (the timeout tests) takes real time.
"""

import json
import threading
import time
from datetime import datetime, timedelta

import pytest
from standardwebhooks.webhooks import Webhook as Verifier
from standardwebhooks.webhooks import WebhookVerificationError

from slotkeeper import create_app
from slotkeeper.api.appointments.schemas import AppointmentSchema
from slotkeeper.context import current_repos, utc_now
from slotkeeper.database.connection import drop_all
from slotkeeper.jobs.webhook_job import policy_for, run_webhooks, sender_for
from slotkeeper.outbound import network
from slotkeeper.service_layer.deliveries import hand_over_events, send_due
from tests.conftest import Api, FakeClock, test_settings
from tests.receiver import Receiver, Step

HOOKS = "/api/v1/webhooks"
SETTINGS = {
    "webhook_allow_private_networks": True,
    "webhook_timeout_seconds": 5,  # the timeout test sets 1 s: a busy machine answers slowly
    "webhook_retry_base_seconds": 5,
    "webhook_max_attempts": 3,
}


@pytest.fixture
def clock() -> FakeClock:
    # near the wall clock, so that standardwebhooks accepts the signed timestamps
    return FakeClock(utc_now())


def make_app(clock, **overrides):
    app = create_app(test_settings(**{**SETTINGS, **overrides}), clock=clock)
    with app.app_context():
        drop_all()
    return app


@pytest.fixture
def app(clock):
    return make_app(clock)


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


def subscribe(client, url: str, **fields) -> dict:
    response = client.post(HOOKS, json={"url": url, **fields})
    assert response.status_code == 201, response.json
    return response.json


def deliveries(client, webhook: dict, **query) -> list[dict]:
    response = client.get(f"{HOOKS}/{webhook['id']}/deliveries", query_string=query)
    assert response.status_code == 200, response.json
    return response.json


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def bodies(receiver: Receiver) -> list[dict]:
    return [json.loads(r.body) for r in receiver.received]


def test_a_delivery_is_signed_so_that_standardwebhooks_verifies_it(app, api, receiver):
    webhook = subscribe(api.client, receiver.url)
    booked = api.book(api.slot()["id"]).json
    run_webhooks(app)
    [received] = receiver.received
    payload = Verifier(webhook["secret"]).verify(received.body, received.headers)
    assert payload["type"] == "appointment.booked"
    assert payload["id"] == received.headers["webhook-id"] and payload["id"].startswith("evt_")
    assert payload["data"]["id"] == booked["id"] and payload["data"]["status"] == "BOOKED"
    assert payload["data"]["service"]["id"] == booked["serviceId"]
    assert payload["data"]["slot"]["id"] == booked["slotId"]
    assert payload["timestamp"].endswith("Z")
    with pytest.raises(WebhookVerificationError):  # the check is not vacuous
        Verifier(webhook["secret"]).verify(
            received.body.replace(b"BOOKED", b"PENDING"), received.headers
        )
    [delivery] = deliveries(api.client, webhook)
    assert delivery["status"] == "SUCCEEDED" and delivery["attempts"] == 1
    assert delivery["lastStatusCode"] == 204 and delivery["deliveredAt"]
    assert delivery["eventId"] == payload["id"]


def test_500s_then_success_are_retried_after_5_then_10_seconds_with_the_same_webhook_id(
    app, api, receiver, clock
):
    receiver.answer(Step(500), Step(500), Step(200))
    webhook = subscribe(api.client, receiver.url)
    api.book(api.slot()["id"])
    run_webhooks(app)
    [delivery] = deliveries(api.client, webhook)
    assert (delivery["status"], delivery["attempts"], delivery["lastStatusCode"]) == (
        "PENDING",
        1,
        500,
    )
    assert delivery["lastError"] == "answered 500"
    first_retry = clock.now + timedelta(seconds=5)
    assert instant(delivery["nextAttemptAt"]) == first_retry
    clock.advance(seconds=4)
    run_webhooks(app)
    assert len(receiver.received) == 1, "retried before it was due"
    clock.advance(seconds=1)
    run_webhooks(app)
    [delivery] = deliveries(api.client, webhook)
    assert instant(delivery["nextAttemptAt"]) == clock.now + timedelta(seconds=10)
    clock.advance(seconds=9)
    run_webhooks(app)
    assert len(receiver.received) == 2
    clock.advance(seconds=1)
    run_webhooks(app)
    [delivery] = deliveries(api.client, webhook)
    assert (delivery["status"], delivery["attempts"], delivery["lastStatusCode"]) == (
        "SUCCEEDED",
        3,
        200,
    )
    assert len({r.headers["webhook-id"] for r in receiver.received}) == 1
    assert len({r.body for r in receiver.received}) == 1


def test_a_receiver_that_always_answers_500_ends_failed_after_the_last_attempt(
    app, api, receiver, clock
):
    receiver.answer(Step(500))
    webhook = subscribe(api.client, receiver.url)
    api.book(api.slot()["id"])
    for _ in range(6):
        run_webhooks(app)
        clock.advance(hours=1)
    [delivery] = deliveries(api.client, webhook, status="FAILED")
    assert delivery["attempts"] == SETTINGS["webhook_max_attempts"] == len(receiver.received)
    assert delivery["nextAttemptAt"] is None and delivery["lastStatusCode"] == 500
    assert deliveries(api.client, webhook, status="PENDING") == []


def test_a_receiver_slower_than_the_timeout_fails_the_attempt_and_it_is_retried(receiver, clock):
    app = make_app(clock, webhook_timeout_seconds=1)
    api = Api(app.test_client())
    receiver.answer(Step(204, delay=2.5), Step(204))
    webhook = subscribe(api.client, receiver.url)
    api.book(api.slot()["id"])
    started = time.monotonic()
    run_webhooks(app)
    assert time.monotonic() - started < 2.4, "the sender waited past its timeout"
    [delivery] = deliveries(api.client, webhook)
    assert delivery["status"] == "PENDING" and delivery["lastError"] == "no answer within 1 s"
    assert delivery["lastStatusCode"] is None
    clock.advance(seconds=5)
    run_webhooks(app)
    [delivery] = deliveries(api.client, webhook)
    assert delivery["status"] == "SUCCEEDED" and delivery["attempts"] == 2


def test_a_slow_receiver_within_the_timeout_is_a_success(app, api, receiver):
    receiver.answer(Step(202, delay=0.3))
    webhook = subscribe(api.client, receiver.url)
    api.book(api.slot()["id"])
    run_webhooks(app)
    [delivery] = deliveries(api.client, webhook)
    assert delivery["status"] == "SUCCEEDED" and delivery["lastStatusCode"] == 202


def test_a_receiver_that_hangs_does_not_slow_the_request_that_caused_the_event(app, api, receiver):
    release = threading.Event()
    receiver.answer(Step(204, hold=release))
    subscribe(api.client, receiver.url)
    slot = api.slot(capacity=2)
    api.book(slot["id"], user="first")
    job = threading.Thread(target=run_webhooks, args=[app])
    job.start()
    try:
        assert receiver.arrived.wait(5), "the job sent nothing"
        started = time.monotonic()
        response = api.book(slot["id"], user="second")
        took = time.monotonic() - started
        assert response.status_code == 201
        assert job.is_alive(), "the delivery did not hang while the request ran"
        assert took < 0.5, f"the booking took {took:.2f} s while a delivery hung"
    finally:
        release.set()
        job.join(10)
    run_webhooks(app)
    assert [b["data"]["userId"] for b in bodies(receiver)] == ["first", "second"]


def test_a_redirect_is_not_followed(app, api, receiver):
    with Receiver() as elsewhere:
        receiver.answer(Step(307, location=elsewhere.url))
        webhook = subscribe(api.client, receiver.url)
        api.book(api.slot()["id"])
        run_webhooks(app)
        assert elsewhere.received == []
    [delivery] = deliveries(api.client, webhook)
    assert delivery["status"] == "PENDING" and delivery["lastStatusCode"] == 307
    assert "redirect" in delivery["lastError"]


def test_a_host_that_resolves_to_a_private_address_at_delivery_time_gets_nothing(
    clock, receiver, monkeypatch
):
    app = make_app(clock, webhook_allow_private_networks=False)
    api = Api(app.test_client())
    port = receiver.server.server_address[1]
    webhook = subscribe(api.client, f"http://hooks.example.com:{port}/hooks")  # public then
    real = network.resolve
    monkeypatch.setattr(
        network,
        "resolve",
        lambda host, port: ["127.0.0.1"] if host == "hooks.example.com" else real(host, port),
    )  # DNS changed
    api.book(api.slot()["id"])
    run_webhooks(app)
    assert receiver.received == []
    [delivery] = deliveries(api.client, webhook)
    assert delivery["status"] == "PENDING" and delivery["lastStatusCode"] is None
    assert "127.0.0.1" in delivery["lastError"] and "public" in delivery["lastError"]


def test_two_senders_at_once_send_every_attempt_exactly_once(app, api, receiver, clock):
    receiver.answer(Step(204, delay=0.05))
    subscribe(api.client, receiver.url)
    slot = api.slot(capacity=6)
    for user in range(6):
        api.book(slot["id"], user=f"u{user}")
    with app.app_context():
        assert hand_over_events(current_repos(), AppointmentSchema().dump) == 6
        config = app.extensions["slotkeeper"].settings
    start = threading.Barrier(2)

    def sender():
        with app.app_context():
            start.wait()
            send_due(current_repos(), sender_for(config), policy_for(config), clock)

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    ids = [r.headers["webhook-id"] for r in receiver.received]
    assert len(ids) == 6 == len(set(ids))


def test_a_sender_that_died_mid_attempt_leaves_a_lease_that_runs_out(app, api, receiver, clock):
    webhook = subscribe(api.client, receiver.url)
    api.book(api.slot()["id"])
    with app.app_context():
        repos = current_repos()
        hand_over_events(repos, AppointmentSchema().dump)
        lease_until = clock.now + timedelta(minutes=1)
        assert repos.deliveries.take_due(clock.now, "dead-sender", lease_until) is not None
    run_webhooks(app)
    assert receiver.received == [], "sent while another sender held the lease"
    clock.advance(minutes=1)
    run_webhooks(app)
    assert len(receiver.received) == 1
    [delivery] = deliveries(api.client, webhook)
    assert delivery["status"] == "SUCCEEDED" and delivery["attempts"] == 2


def test_the_sender_connects_to_the_address_it_checked_and_names_the_host(
    app, api, receiver, monkeypatch
):
    real = network.resolve
    monkeypatch.setattr(
        network,
        "resolve",
        lambda host, port: ["127.0.0.1"] if host == "hooks.example.com" else real(host, port),
    )
    port = receiver.server.server_address[1]
    webhook = subscribe(api.client, f"http://hooks.example.com:{port}/hooks?clinic=7")
    api.book(api.slot()["id"])
    run_webhooks(app)
    [received] = receiver.received  # no second lookup could have sent it elsewhere
    assert {k.lower(): v for k, v in received.headers.items()}["host"] == (
        f"hooks.example.com:{port}"
    )
    assert received.path == "/hooks?clinic=7"
    assert Verifier(webhook["secret"]).verify(received.body, received.headers)


def test_each_attempt_of_a_run_is_signed_at_its_own_time(app, api, receiver, clock):
    subscribe(api.client, receiver.url)
    slot = api.slot(capacity=2)
    api.book(slot["id"], user="a")
    api.book(slot["id"], user="b")
    start = clock.now
    with app.app_context():
        hand_over_events(current_repos(), AppointmentSchema().dump)
        config = app.extensions["slotkeeper"].settings
        report = send_due(
            current_repos(),
            sender_for(config),
            policy_for(config),
            lambda: clock.advance(minutes=7),
        )  # each attempt takes a while
    assert report.succeeded == 2
    stamps = [int(r.headers["webhook-timestamp"]) for r in receiver.received]
    assert stamps == [int((start + timedelta(minutes=m)).timestamp()) for m in (7, 14)]


def test_a_ping_reaches_the_webhook_pinged_whatever_it_follows(app, api, receiver):
    webhook = subscribe(api.client, receiver.url, events=["appointment.cancelled"])
    assert api.client.post(f"{HOOKS}/{webhook['id']}/ping").status_code == 202
    run_webhooks(app)
    [received] = receiver.received
    payload = Verifier(webhook["secret"]).verify(received.body, received.headers)
    assert payload["type"] == "ping"
    assert payload["data"] == {"webhookId": webhook["id"], "url": receiver.url}


def test_redeliver_sends_the_same_event_again_with_the_same_webhook_id(app, api, receiver, clock):
    receiver.answer(Step(500))
    webhook = subscribe(api.client, receiver.url)
    api.book(api.slot()["id"])
    for _ in range(3):  # WEBHOOK_MAX_ATTEMPTS is 3 here
        run_webhooks(app)
        clock.advance(hours=1)
    [failed] = deliveries(api.client, webhook, status="FAILED")
    receiver.answer(Step(204))
    path = f"{HOOKS}/{webhook['id']}/deliveries/{failed['id']}/redeliver"
    assert api.client.post(path).status_code == 202
    run_webhooks(app)
    [delivery] = deliveries(api.client, webhook)
    assert delivery["status"] == "SUCCEEDED" and delivery["attempts"] == 1
    assert len(receiver.received) == 4
    assert len({r.headers["webhook-id"] for r in receiver.received}) == 1
    assert len({r.body for r in receiver.received}) == 1


def test_an_event_no_webhook_follows_leaves_the_outbox_without_being_rendered(app, api, receiver):
    webhook = subscribe(api.client, receiver.url, events=["appointment.cancelled"])
    booked = api.book(api.slot()["id"]).json
    rendered = []

    def render(populated):
        rendered.append(populated.appointment.status)
        return AppointmentSchema().dump(populated)

    with app.app_context():
        repos = current_repos()
        assert hand_over_events(repos, render) == 1
        assert (rendered, repos.appointments.with_events(10)) == ([], [])
        cancelled = api.client.patch(f"/api/v1/appointments/{booked['id']}/cancel")
        assert cancelled.status_code == 200, cancelled.json
        assert hand_over_events(repos, render) == 1
    assert rendered == ["CANCELLED"]
    assert [d["eventType"] for d in deliveries(api.client, webhook)] == ["appointment.cancelled"]
