"""Webhook deliveries: hand the events of the outboxes over to the webhooks, then send them.

Hand-over: for each event in an appointment's outbox, one delivery per active webhook that
follows its type (a unique index on webhook and event makes a repeated hand-over add
nothing), then the event leaves the outbox. A crash in between leaves the event in the
outbox, and the next run finishes the job.

Sending: a sender leases one due delivery at a time (a conditional update that also counts
the attempt), sends it, and records the outcome only while its lease still holds. A sender
that dies mid-attempt leaves a lease that runs out; the next one tries again.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from slotkeeper.domain.events import DeliveryStatus, EventType, event_body, retry_delay
from slotkeeper.domain.waitlist import EntryStatus, Shown
from slotkeeper.repositories import Repositories
from slotkeeper.service_layer.reading import Populated, populate_one

BATCH = 100
# a lease outlives the longest attempt (connect and read timeouts) by this much
LEASE_MARGIN = timedelta(seconds=30)

Render = Callable[[Populated], dict]
RenderEntry = Callable[[Shown], dict]


class Outcome(Protocol):
    @property
    def status_code(self) -> int | None: ...

    @property
    def error(self) -> str | None: ...


class Sender(Protocol):
    timeout_seconds: float

    def send(self, url: str, secret: str, message_id: str, body: str, at: datetime) -> Outcome: ...


@dataclass(frozen=True)
class RetryPolicy:
    base_seconds: int
    max_attempts: int


@dataclass(frozen=True)
class SendReport:
    succeeded: int
    failed: int  # attempts that failed (retried later, or FAILED for good)


def hand_over_events(
    repos: Repositories, render: Render, render_entry: RenderEntry | None = None
) -> int:
    """Turn the events waiting in outboxes into deliveries; the number of events handed over.

    The webhooks following a type are read once per run, and an event no webhook follows is
    neither rendered nor read around: it only leaves the outbox."""
    handed = 0
    followers: dict[str, list] = {}
    for appointment in repos.appointments.with_events(BATCH):
        for event, slot_id in _slots(appointment):
            kind = event["type"]
            if kind not in followers:
                followers[kind] = repos.webhooks.following(kind)
            if followers[kind]:
                state = _state(appointment, event, slot_id)
                data = render(populate_one(repos, state))
                if "previousSlotId" in event:
                    data["previousSlotId"] = str(event["previousSlotId"])
                if kind == EventType.WAITLIST_OFFERED.value:
                    entry = repos.waitlist.find(event["entry"])
                    if entry is None or render_entry is None:
                        break  # its entry is written by the sweep first (a join that died)
                    offered = Shown(
                        entry, EntryStatus.OFFERED.value, None, str(state.id), event["at"]
                    )
                    data = {**render_entry(offered), "appointment": data}
                body = event_body(event["id"], kind, event["at"], data)
                for webhook in followers[kind]:
                    repos.deliveries.add(webhook.id, event["id"], kind, body, event["at"])
            repos.appointments.handed_over(appointment.id, event["id"])
            handed += 1
    return handed


def _slots(appointment):
    """Each event of the outbox with the slot the appointment was on after that change. The
    slot before the first event in the outbox is the one the first move there left, else the
    one the appointment is on now."""
    events = list(appointment.outbox)
    moves = [e for e in events if "previousSlotId" in e]
    slot_id = moves[0]["previousSlotId"] if moves else appointment.slot_id
    for event in events:
        slot_id = event.get("slotId", slot_id)
        yield event, slot_id


def _state(appointment, event: dict, slot_id):
    """The appointment as the change of `event` left it. An event holds what its change set
    (status, expiresAt, cancelledAt, the slot of a creation or a move); the rest never
    changes."""
    state = type(appointment)._from_son(appointment.to_mongo())
    state.slot_id, state.status, state.updated_at = slot_id, event["status"], event["at"]
    if "expiresAt" in event:
        state.expires_at = event["expiresAt"]
    if "cancelledAt" in event:
        state.cancelled_at = event["cancelledAt"]
    return state


def send_due(
    repos: Repositories,
    sender: Sender,
    policy: RetryPolicy,
    clock: Callable[[], datetime],
    limit: int = BATCH,
) -> SendReport:
    """Send the deliveries that are due, one leased attempt each, at most `limit` of them.

    The clock is read once per attempt, not once per run: attempts take time (up to twice
    the timeout each), and each one's signature carries its own timestamp, which receivers
    check against their clock."""
    succeeded = failed = 0
    for _ in range(limit):
        now = clock()
        lease_until = now + timedelta(seconds=2 * sender.timeout_seconds) + LEASE_MARGIN
        lease = uuid.uuid4().hex
        delivery = repos.deliveries.take_due(now, lease, lease_until)
        if delivery is None:
            break
        if _attempt(repos, sender, policy, delivery, lease, now):
            succeeded += 1
        else:
            failed += 1
    return SendReport(succeeded, failed)


def _attempt(
    repos, sender: Sender, policy: RetryPolicy, delivery, lease: str, now: datetime
) -> bool:
    webhook = repos.webhooks.find(delivery.webhook_id)
    if webhook is None:  # unsubscribed after the hand-over: dropped, as its pending ones were
        repos.deliveries.drop(delivery.id)
        return False
    if delivery.attempts > policy.max_attempts:  # its last sender died mid-attempt
        repos.deliveries.finish(
            delivery.id,
            lease,
            {
                "status": DeliveryStatus.FAILED.value,
                "nextAttemptAt": None,
                "attempts": policy.max_attempts,
            },
        )
        return False
    outcome_code: int | None = None
    error: str | None = "not sent: the webhook is inactive"
    if webhook.active:
        outcome = sender.send(webhook.url, webhook.secret, delivery.event_id, delivery.body, now)
        outcome_code, error = outcome.status_code, outcome.error
    fields: dict = {"lastStatusCode": outcome_code, "lastError": error}
    if error is None:
        fields.update(status=DeliveryStatus.SUCCEEDED.value, deliveredAt=now, nextAttemptAt=None)
    elif delivery.attempts >= policy.max_attempts or not webhook.active:
        fields.update(status=DeliveryStatus.FAILED.value, nextAttemptAt=None)
    else:
        fields["nextAttemptAt"] = now + retry_delay(delivery.attempts, policy.base_seconds)
    repos.deliveries.finish(delivery.id, lease, fields)
    return error is None
