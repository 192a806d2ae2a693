from mongoengine import DateTimeField, Document, ObjectIdField, StringField

KEY_LIFETIME_SECONDS = 24 * 3600


class IdempotencyRecord(Document):
    """One Idempotency-Key of one user: the request it answered, and the appointment and claim
    it makes (named before any seat is taken, so a resumed request recognises its own)."""

    user_id = StringField(db_field="userId", required=True)
    key = StringField(required=True)
    fingerprint = StringField(required=True)
    appointment_id = ObjectIdField(db_field="appointmentId", required=True)
    claim_id = StringField(db_field="claimId")
    created_at = DateTimeField(db_field="createdAt", required=True)

    meta = {
        "collection": "idempotency_keys",
        # indexes are built by migrations/ (see database/migrations.py), never lazily on first use;
        # this list declares what they must be (tests compare the two)
        "auto_create_index": False,
        "indexes": [
            {"fields": ["user_id", "key"], "unique": True},
            {"fields": ["created_at"], "expireAfterSeconds": KEY_LIFETIME_SECONDS},
        ],
    }
