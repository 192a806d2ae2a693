"""The webhook endpoints through the test client: subscribe, read, change, unsubscribe, ping,
deliveries and redeliver; every refusal in the contract's error shape, changing nothing."""

import pytest

from slotkeeper import create_app
from slotkeeper.database.connection import drop_all
from slotkeeper.jobs.webhook_job import run_webhooks
from tests.conftest import test_settings

HOOKS = "/api/v1/webhooks"
PUBLIC_URL = "https://hooks.example.com/slotkeeper"  # resolved offline to a public address
ALL_TYPES = [
    "appointment.held",
    "appointment.booked",
    "appointment.cancelled",
    "appointment.expired",
    "appointment.rescheduled",
    "appointment.attended",
    "appointment.no_show",
    "waitlist.offered",
]
FIELDS = {"id", "url", "events", "description", "active", "createdAt", "updatedAt"}


def subscribe(client, **body):
    return client.post(HOOKS, json={"url": PUBLIC_URL, **body})


def test_subscribe_answers_201_with_a_secret_and_every_type_by_default(client, check):
    response = subscribe(client, description="SMS reminders")
    assert response.status_code == 201
    webhook = response.json
    assert set(webhook) == FIELDS | {"secret"}
    assert webhook["secret"].startswith("whsec_") and len(webhook["secret"]) > 20
    assert webhook["events"] == ALL_TYPES and webhook["active"] is True
    assert webhook["url"] == PUBLIC_URL and webhook["description"] == "SMS reminders"
    check.utc(webhook["createdAt"])


def test_the_secret_appears_in_no_get(client):
    webhook = subscribe(client).json
    for path in (HOOKS, f"{HOOKS}/{webhook['id']}"):
        text = client.get(path).get_data(as_text=True)
        assert webhook["secret"] not in text and "secret" not in text
    patched = client.patch(f"{HOOKS}/{webhook['id']}", json={"description": "x"})
    assert "secret" not in patched.json
    assert set(client.get(f"{HOOKS}/{webhook['id']}").json) == FIELDS


def test_each_subscription_gets_its_own_secret(client):
    assert subscribe(client).json["secret"] != subscribe(client).json["secret"]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hooks",
        "http://localhost:8080/hooks",
        "http://[::1]/hooks",
        "http://10.0.0.7/hooks",
        "http://192.168.1.20/hooks",
        "http://172.16.0.1/hooks",
        "http://169.254.169.254/latest/meta-data",
        "http://224.0.0.1/hooks",
        "http://[fe80::1]/hooks",
        "http://[::ffff:127.0.0.1]/hooks",
        "http://0.0.0.0/hooks",
    ],
)
def test_loopback_private_link_local_and_multicast_destinations_are_refused(
    client, check, no_server_errors, url
):
    body = check.invalid(subscribe(client, url=url), "json", "url")
    assert body["message"].startswith("url: ")
    assert client.get(HOOKS).json == []


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/hooks",
        "example.com/hooks",
        "https://",
        "http:///nohost",
        "javascript:alert(1)",
        "https://example.com:99999/hooks",
        "https://exa mple.com/",
        "https://" + "a" * 2000 + ".example.com/",
    ],
)
def test_a_url_that_is_not_http_or_https_with_a_host_is_a_422_naming_url(
    client, check, no_server_errors, url
):
    check.invalid(subscribe(client, url=url), "json", "url")


def test_a_host_that_does_not_resolve_is_a_422_naming_url(client, check):
    body = check.invalid(subscribe(client, url="https://nowhere.invalid/hooks"), "json", "url")
    assert "resolve" in body["message"]


@pytest.mark.parametrize(
    "body, field",
    [
        ({"events": ["appointment.exploded"]}, "events"),
        ({"events": ["ping"]}, "events"),
        ({"events": []}, "events"),
        ({"events": "appointment.booked"}, "events"),
        ({"description": "x" * 501}, "description"),
        ({"secret": "whsec_mine"}, "secret"),
        ({"active": False}, "active"),
    ],
)
def test_invalid_subscriptions_are_a_422_naming_the_field(
    client, check, no_server_errors, body, field
):
    check.invalid(subscribe(client, **body), "json", field)
    assert client.get(HOOKS).json == []


def test_a_missing_url_and_a_body_that_is_not_json_are_refused(client, check):
    check.invalid(client.post(HOOKS, json={}), "json", "url")
    check.error(client.post(HOOKS, data="{", content_type="application/json"), 400)


def test_private_destinations_are_accepted_when_the_setting_allows_them(clock):
    app = create_app(test_settings(webhook_allow_private_networks=True), clock=clock)
    with app.app_context():
        drop_all()
    response = app.test_client().post(HOOKS, json={"url": "http://127.0.0.1:9/hooks"})
    assert response.status_code == 201


def test_patch_changes_url_events_description_and_active(client, check):
    webhook = subscribe(client).json
    response = client.patch(
        f"{HOOKS}/{webhook['id']}",
        json={
            "url": "https://other.example.com/x",
            "events": ["appointment.cancelled"],
            "description": None,
            "active": False,
        },
    )
    assert response.status_code == 200, response.json
    changed = response.json
    assert (changed["url"], changed["events"], changed["description"], changed["active"]) == (
        "https://other.example.com/x",
        ["appointment.cancelled"],
        None,
        False,
    )
    assert client.get(f"{HOOKS}/{webhook['id']}").json == changed


def test_patch_to_a_private_url_is_a_422_and_changes_nothing(client, check):
    webhook = subscribe(client).json
    before = client.get(f"{HOOKS}/{webhook['id']}").json
    check.invalid(
        client.patch(f"{HOOKS}/{webhook['id']}", json={"url": "http://10.1.2.3/"}), "json", "url"
    )
    assert client.get(f"{HOOKS}/{webhook['id']}").json == before


@pytest.mark.parametrize(
    "method, suffix",
    [
        ("get", ""),
        ("patch", ""),
        ("delete", ""),
        ("post", "/ping"),
        ("get", "/deliveries"),
        ("post", "/deliveries/6650f0c2a1b2c3d4e5f60766/redeliver"),
    ],
)
@pytest.mark.parametrize("webhook_id", ["6650f0c2a1b2c3d4e5f60755", "not-an-id"])
def test_an_unknown_or_malformed_webhook_id_is_a_404(
    client, check, no_server_errors, method, suffix, webhook_id
):
    kwargs = {"json": {"description": "x"}} if method == "patch" else {}
    check.error(getattr(client, method)(f"{HOOKS}/{webhook_id}{suffix}", **kwargs), 404)


def test_the_list_is_paginated_oldest_first(client, check):
    ids = [subscribe(client).json["id"] for _ in range(3)]
    response = client.get(HOOKS, query_string={"page_size": 2})
    assert [w["id"] for w in response.json] == ids[:2]
    assert check.pagination(response)["total"] == 3


def test_ping_is_a_202_with_a_pending_delivery_of_a_ping_event(client):
    webhook = subscribe(client, events=["appointment.cancelled"]).json
    response = client.post(f"{HOOKS}/{webhook['id']}/ping")
    assert response.status_code == 202
    delivery = response.json
    assert delivery["eventType"] == "ping" and delivery["status"] == "PENDING"
    assert delivery["eventId"].startswith("evt_") and delivery["attempts"] == 0
    assert client.get(f"{HOOKS}/{webhook['id']}/deliveries").json == [delivery]


def test_deliveries_are_newest_first_and_filter_by_status(client, check):
    webhook = subscribe(client).json
    first = client.post(f"{HOOKS}/{webhook['id']}/ping").json
    second = client.post(f"{HOOKS}/{webhook['id']}/ping").json
    path = f"{HOOKS}/{webhook['id']}/deliveries"
    assert [d["id"] for d in client.get(path).json] == [second["id"], first["id"]]
    assert len(client.get(path, query_string={"status": "PENDING"}).json) == 2
    assert client.get(path, query_string={"status": "SUCCEEDED"}).json == []
    check.invalid(client.get(path, query_string={"status": "DONE"}), "query", "status")
    check.invalid(client.get(path, query_string={"colour": "red"}), "query", "colour")


def test_unsubscribing_drops_the_pending_deliveries(app, client, check):
    webhook = subscribe(client).json
    client.post(f"{HOOKS}/{webhook['id']}/ping")
    assert client.delete(f"{HOOKS}/{webhook['id']}").status_code == 204
    check.error(client.get(f"{HOOKS}/{webhook['id']}"), 404)
    with app.app_context():
        from slotkeeper.models import Delivery

        assert Delivery.objects.count() == 0
    check.error(client.delete(f"{HOOKS}/{webhook['id']}"), 404)


def test_redeliver_puts_the_delivery_back_in_line_with_the_same_event(app, client, check):
    webhook = subscribe(client).json
    client.patch(f"{HOOKS}/{webhook['id']}", json={"active": False})
    pinged = client.post(f"{HOOKS}/{webhook['id']}/ping").json
    run_webhooks(app)  # an inactive webhook: FAILED without sending anything
    [failed] = client.get(f"{HOOKS}/{webhook['id']}/deliveries").json
    assert failed["status"] == "FAILED" and failed["lastError"].endswith("inactive")
    response = client.post(f"{HOOKS}/{webhook['id']}/deliveries/{pinged['id']}/redeliver")
    assert response.status_code == 202
    again = response.json
    assert (again["id"], again["eventId"]) == (pinged["id"], pinged["eventId"])
    assert again["status"] == "PENDING" and again["attempts"] == 0
    other = subscribe(client).json  # a delivery is found only under its own webhook
    check.error(client.post(f"{HOOKS}/{other['id']}/deliveries/{pinged['id']}/redeliver"), 404)
    check.error(client.post(f"{HOOKS}/{webhook['id']}/deliveries/nope/redeliver"), 404)
