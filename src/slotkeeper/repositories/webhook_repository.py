from datetime import datetime

from bson import ObjectId
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from slotkeeper.domain.errors import NotFound
from slotkeeper.domain.events import DeliveryStatus
from slotkeeper.models import Delivery, Webhook
from slotkeeper.repositories.documents import from_son
from slotkeeper.repositories.ids import load_one, object_id
from slotkeeper.repositories.page import Page, PageRequest, fetch_page


class MongoWebhookRepository:
    def get(self, webhook_id) -> Webhook:
        found = self.find(webhook_id)
        if found is None:
            raise NotFound(f"webhook {webhook_id} not found")
        return found

    def find(self, webhook_id) -> Webhook | None:
        return load_one(Webhook, object_id(webhook_id, "webhook"))

    def add(self, fields: dict) -> Webhook:
        return Webhook(**fields).save(force_insert=True)

    def update(self, webhook: Webhook, fields: dict) -> Webhook:
        for name, value in fields.items():
            setattr(webhook, name, value)
        return webhook.save()

    def remove(self, webhook_id) -> bool:
        found = Webhook._get_collection().delete_one({"_id": object_id(webhook_id, "webhook")})
        return found.deleted_count == 1

    def following(self, event_type: str) -> list[Webhook]:
        """The active webhooks whose events include `event_type`."""
        return list(Webhook.objects(active=True, events=event_type))

    def list_page(self, page: PageRequest) -> Page:
        return fetch_page(Webhook.objects.order_by("created_at", "id"), page)


class MongoDeliveryRepository:
    def get(self, webhook_id, delivery_id) -> Delivery:
        son = Delivery._get_collection().find_one(
            {
                "_id": object_id(delivery_id, "delivery"),
                "webhookId": object_id(webhook_id, "webhook"),
            }
        )
        if son is None:
            raise NotFound(f"delivery {delivery_id} not found")
        return from_son(Delivery, son)

    def add(self, webhook_id, event_id: str, event_type: str, body: str, now: datetime) -> bool:
        """A delivery of the event to the webhook, due now; False when it exists already (a
        hand-over that ran twice)."""
        doc = {
            "_id": ObjectId(),
            "webhookId": object_id(webhook_id, "webhook"),
            "eventId": event_id,
            "eventType": event_type,
            "body": body,
            "status": DeliveryStatus.PENDING.value,
            "attempts": 0,
            "nextAttemptAt": now,
            "createdAt": now,
        }
        try:
            Delivery._get_collection().insert_one(doc)
        except DuplicateKeyError:
            return False
        return True

    def take_due(self, now: datetime, lease: str, lease_until: datetime) -> Delivery | None:
        """Lease the delivery due first for one attempt (counted now): only while it is
        PENDING, due, and nobody else's lease on it is running."""
        doc = Delivery._get_collection().find_one_and_update(
            {
                "status": DeliveryStatus.PENDING.value,
                "nextAttemptAt": {"$lte": now},
                "$or": [{"leaseUntil": None}, {"leaseUntil": {"$lte": now}}],
            },
            {"$set": {"lease": lease, "leaseUntil": lease_until}, "$inc": {"attempts": 1}},
            sort=[("nextAttemptAt", 1)],
            return_document=ReturnDocument.AFTER,
        )
        return None if doc is None else from_son(Delivery, doc)

    def finish(self, delivery_id, lease: str, fields: dict) -> bool:
        """Record an attempt's outcome, only while its lease is still the one it ran under."""
        update = {"$set": fields, "$unset": {"lease": "", "leaseUntil": ""}}
        return (
            Delivery._get_collection()
            .update_one({"_id": object_id(delivery_id, "delivery"), "lease": lease}, update)
            .modified_count
            == 1
        )

    def again(self, webhook_id, delivery_id, now: datetime) -> Delivery:
        """Put a delivery back in line, due now, with a fresh count of attempts."""
        doc = Delivery._get_collection().find_one_and_update(
            {
                "_id": object_id(delivery_id, "delivery"),
                "webhookId": object_id(webhook_id, "webhook"),
            },
            {
                "$set": {
                    "status": DeliveryStatus.PENDING.value,
                    "attempts": 0,
                    "nextAttemptAt": now,
                    "deliveredAt": None,
                },
                "$unset": {"lease": "", "leaseUntil": ""},
            },
            return_document=ReturnDocument.AFTER,
        )
        if doc is None:
            raise NotFound(f"delivery {delivery_id} not found")
        return from_son(Delivery, doc)

    def drop_pending(self, webhook_id) -> int:
        return (
            Delivery._get_collection()
            .delete_many(
                {
                    "webhookId": object_id(webhook_id, "webhook"),
                    "status": DeliveryStatus.PENDING.value,
                }
            )
            .deleted_count
        )

    def drop(self, delivery_id) -> bool:
        found = Delivery._get_collection().delete_one({"_id": object_id(delivery_id, "delivery")})
        return found.deleted_count == 1

    def list_page(
        self, webhook_id, page: PageRequest, status: str | None = None, event_id: str | None = None
    ) -> Page:
        query = Delivery.objects(webhook_id=object_id(webhook_id, "webhook"))
        if status is not None:
            query = query.filter(status=status)
        if event_id is not None:
            query = query.filter(event_id=event_id)
        return fetch_page(query.order_by("-created_at", "-id"), page)
