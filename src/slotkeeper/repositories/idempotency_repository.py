from datetime import datetime, timedelta

from mongoengine import NotUniqueError

from slotkeeper.models import IdempotencyRecord
from slotkeeper.models.idempotency import KEY_LIFETIME_SECONDS

KEY_LIFETIME = timedelta(seconds=KEY_LIFETIME_SECONDS)


class MongoIdempotencyRepository:
    def claim(self, user_id: str, key: str, fingerprint: str, appointment_id: str,
              now: datetime) -> tuple[IdempotencyRecord, bool]:
        """The record of (user, key) and whether this call created it. A record older than
        the key lifetime counts as gone (the TTL index removes it only eventually)."""
        record = IdempotencyRecord(user_id=user_id, key=key, fingerprint=fingerprint,
                                   appointment_id=appointment_id, created_at=now)
        try:
            return record.save(force_insert=True), True
        except NotUniqueError:
            pass
        old = IdempotencyRecord.objects(user_id=user_id, key=key).first()
        if old is None:  # expired and removed in between: claim again
            return self.claim(user_id, key, fingerprint, appointment_id, now)
        if old.created_at > now - KEY_LIFETIME:
            return old, False
        replaced = IdempotencyRecord.objects(id=old.id, created_at=old.created_at).update_one(
            set__fingerprint=fingerprint, set__appointment_id=appointment_id, set__created_at=now)
        return (IdempotencyRecord.objects.get(id=old.id), bool(replaced))

    def forget(self, record: IdempotencyRecord) -> None:
        IdempotencyRecord.objects(id=record.id, appointment_id=record.appointment_id).delete()
