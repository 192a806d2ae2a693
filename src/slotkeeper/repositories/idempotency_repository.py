from datetime import datetime, timedelta

from mongoengine import NotUniqueError
from pymongo import ReturnDocument

from slotkeeper.models import IdempotencyRecord
from slotkeeper.models.idempotency import KEY_LIFETIME_SECONDS
from slotkeeper.repositories.documents import from_son

KEY_LIFETIME = timedelta(seconds=KEY_LIFETIME_SECONDS)


class MongoIdempotencyRepository:
    """Records of Idempotency-Keys; each method is one database operation."""

    def add(self, fields: dict) -> IdempotencyRecord | None:
        """Insert the record of a new (user, key); None when one exists already."""
        try:
            return IdempotencyRecord(**fields).save(force_insert=True)
        except NotUniqueError:
            return None

    def find(self, user_id: str, key: str) -> IdempotencyRecord | None:
        son = IdempotencyRecord._get_collection().find_one({"userId": user_id, "key": key})
        return None if son is None else from_son(IdempotencyRecord, son)

    def renew(
        self, old: IdempotencyRecord, fields: dict, now: datetime
    ) -> IdempotencyRecord | None:
        """Reuse the record of a key older than its lifetime (the TTL index removes it only
        eventually) for a new request; None if it changed or went in the meantime."""
        if old.created_at > now - KEY_LIFETIME:
            return None
        son = IdempotencyRecord._get_collection().find_one_and_update(
            {"_id": old.id, "createdAt": old.created_at},
            {"$set": IdempotencyRecord(**fields).to_mongo().to_dict()},
            return_document=ReturnDocument.AFTER,
        )
        return None if son is None else from_son(IdempotencyRecord, son)

    def forget(self, record: IdempotencyRecord) -> None:
        IdempotencyRecord._get_collection().delete_one(
            {"_id": record.id, "appointmentId": record.appointment_id}
        )
