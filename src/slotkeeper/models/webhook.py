from mongoengine import (
    BooleanField,
    DateTimeField,
    Document,
    IntField,
    ListField,
    ObjectIdField,
    StringField,
)


class Webhook(Document):
    """A subscription: where to POST the events of the types in `events`, signed with `secret`."""

    url = StringField(required=True)
    events = ListField(StringField())
    description = StringField()
    active = BooleanField(default=True)
    secret = StringField(required=True)
    created_at = DateTimeField(db_field="createdAt")
    updated_at = DateTimeField(db_field="updatedAt")

    meta = {
        "collection": "webhooks",
        # indexes are built by migrations/ (see database/migrations.py), never lazily on first use;
        # this list declares what they must be (tests compare the two)
        "auto_create_index": False,
        "indexes": [("created_at", "id"), "active"],
    }


class Delivery(Document):
    """One event sent to one webhook: the exact body, the attempts so far and the next one.

    A sender takes it with a lease (`lease`, `leaseUntil`) before each attempt, so two
    processes never try it at the same time; a lease whose sender died runs out."""

    webhook_id = ObjectIdField(db_field="webhookId", required=True)
    event_id = StringField(db_field="eventId", required=True)
    event_type = StringField(db_field="eventType", required=True)
    body = StringField(required=True)
    status = StringField(required=True)
    attempts = IntField(default=0)
    last_status_code = IntField(db_field="lastStatusCode")
    last_error = StringField(db_field="lastError")
    next_attempt_at = DateTimeField(db_field="nextAttemptAt")
    lease = StringField()
    lease_until = DateTimeField(db_field="leaseUntil")
    created_at = DateTimeField(db_field="createdAt")
    delivered_at = DateTimeField(db_field="deliveredAt")

    meta = {
        "collection": "webhook_deliveries",
        # indexes are built by migrations/ (see database/migrations.py), never lazily on first use;
        # this list declares what they must be (tests compare the two)
        "auto_create_index": False,
        "indexes": [
            {"fields": ["webhook_id", "event_id"], "unique": True},
            ("webhook_id", "-created_at", "-id"),
            ("status", "next_attempt_at"),
        ],
    }
