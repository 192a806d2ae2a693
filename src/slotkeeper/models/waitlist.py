from mongoengine import BooleanField, DateTimeField, Document, IntField, ObjectIdField, StringField


class WaitlistEntry(Document):
    """A user waiting for seats of a slot. The slot's `waiting` list is the truth about who
    waits and in which order; this document is what the API reads (see domain/waitlist.py).
    `appointmentId` is chosen when the entry joins and is the offer's id once it is made
    (`offeredAt`); `leaving` marks a leave whose slot write may not have happened yet."""

    slot_id = ObjectIdField(db_field="slotId", required=True)
    service_id = ObjectIdField(db_field="serviceId", required=True)
    user_id = StringField(db_field="userId", required=True)
    seats = IntField(default=1)
    status = StringField(required=True)
    appointment_id = ObjectIdField(db_field="appointmentId")
    offered_at = DateTimeField(db_field="offeredAt")
    leaving = BooleanField()
    created_at = DateTimeField(db_field="createdAt")
    updated_at = DateTimeField(db_field="updatedAt")

    meta = {
        "collection": "waitlist",
        # indexes are built by migrations/ (see database/migrations.py), never lazily on first use
        "auto_create_index": False,
        "indexes": [
            ("user_id", "-created_at", "-id"),
            ("slot_id", "-created_at", "-id"),
            ("-created_at", "-id"),
            {"fields": ["leaving"], "sparse": True},
        ],
    }
