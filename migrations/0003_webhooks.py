"""Webhooks (version 0003): subscriptions, their deliveries, and the appointments' outbox.

Appointments record the events of their changes in `outbox` until a job hands them to the
webhooks; existing appointments simply have none. Safe to run twice: create_index is a no-op
for an index that already exists.
"""

from pymongo import ASCENDING as ASC
from pymongo import DESCENDING as DESC


def up(db) -> None:
    # appointments with events not yet handed to the webhooks
    db.appointments.create_index([("outbox.id", ASC)], sparse=True)
    db.webhooks.create_index([("createdAt", ASC), ("_id", ASC)])
    db.webhooks.create_index([("active", ASC)])
    # one delivery per event and webhook, even when the hand-over runs twice
    db.webhook_deliveries.create_index([("webhookId", ASC), ("eventId", ASC)], unique=True)
    db.webhook_deliveries.create_index([("webhookId", ASC), ("createdAt", DESC), ("_id", DESC)])
    # deliveries due for an attempt
    db.webhook_deliveries.create_index([("status", ASC), ("nextAttemptAt", ASC)])
