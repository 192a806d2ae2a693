"""Webhook subscriptions (admin only): subscribe, read, change, unsubscribe, ping, redeliver."""

import base64
import secrets
from datetime import datetime
from typing import Protocol

from slotkeeper.domain.errors import Invalid
from slotkeeper.domain.events import SUBSCRIBABLE, EventType, event_body, new_event_id
from slotkeeper.models import Delivery, Webhook
from slotkeeper.repositories import Page, PageRequest, Repositories

SECRET_BYTES = 24


class Destinations(Protocol):
    def refusal(self, url: str) -> str | None: ...


def new_secret() -> str:
    """`whsec_` and base64 of random bytes, as Standard Webhooks' libraries read it."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def _check_url(destinations: Destinations, url: str) -> None:
    refusal = destinations.refusal(url)
    if refusal is not None:
        raise Invalid(refusal, field="url")


def subscribe(
    repos: Repositories, fields: dict, now: datetime, destinations: Destinations
) -> Webhook:
    """A new webhook following `events` (every type when not given); its secret is in the
    answer, and only there."""
    _check_url(destinations, fields["url"])
    events = fields.get("events") or list(SUBSCRIBABLE)
    return repos.webhooks.add(
        dict(
            url=fields["url"],
            events=list(dict.fromkeys(events)),
            description=fields.get("description"),
            active=fields.get("active", True),
            secret=new_secret(),
            created_at=now,
            updated_at=now,
        )
    )


def list_webhooks(repos: Repositories, page: PageRequest) -> Page:
    return repos.webhooks.list_page(page)


def get_webhook(repos: Repositories, webhook_id: str) -> Webhook:
    return repos.webhooks.get(webhook_id)


def change_webhook(
    repos: Repositories, webhook_id: str, fields: dict, now: datetime, destinations: Destinations
) -> Webhook:
    webhook = repos.webhooks.get(webhook_id)
    if "url" in fields:
        _check_url(destinations, fields["url"])
    if "events" in fields:
        fields["events"] = list(dict.fromkeys(fields["events"]))
    return repos.webhooks.update(webhook, {**fields, "updated_at": now})


def unsubscribe(repos: Repositories, webhook_id: str) -> None:
    """Remove the webhook; its pending deliveries are dropped (a sender that took one just
    before finds the webhook gone and drops it too)."""
    webhook = repos.webhooks.get(webhook_id)
    repos.webhooks.remove(webhook.id)
    repos.deliveries.drop_pending(webhook.id)


def ping(repos: Repositories, webhook_id: str, now: datetime) -> Delivery:
    """A `ping` event for this webhook alone, due now, whatever events it follows."""
    webhook = repos.webhooks.get(webhook_id)
    event_id = new_event_id()
    body = event_body(
        event_id, EventType.PING.value, now, {"webhookId": str(webhook.id), "url": webhook.url}
    )
    repos.deliveries.add(webhook.id, event_id, EventType.PING.value, body, now)
    return _delivery_of(repos, webhook.id, event_id)


def _delivery_of(repos: Repositories, webhook_id, event_id: str) -> Delivery:
    page = repos.deliveries.list_page(webhook_id, PageRequest(1, 1), event_id=event_id)
    return page.items[0]


def list_deliveries(
    repos: Repositories, webhook_id: str, page: PageRequest, status: str | None = None
) -> Page:
    webhook = repos.webhooks.get(webhook_id)
    return repos.deliveries.list_page(webhook.id, page, status=status)


def redeliver(repos: Repositories, webhook_id: str, delivery_id: str, now: datetime) -> Delivery:
    """Send that event again, due now, with the same body and webhook-id."""
    webhook = repos.webhooks.get(webhook_id)
    return repos.deliveries.again(webhook.id, delivery_id, now)
