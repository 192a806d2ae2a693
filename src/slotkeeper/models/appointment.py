from mongoengine import DateTimeField, Document, IntField, ObjectIdField, StringField


class Appointment(Document):
    """A customer's claim on seats of a slot. Its status follows the slot's ledger entry."""

    slot_id = ObjectIdField(db_field="slotId", required=True)
    service_id = ObjectIdField(db_field="serviceId", required=True)
    user_id = StringField(db_field="userId", required=True)
    user_name = StringField(db_field="userName")
    user_email = StringField(db_field="userEmail")
    seats = IntField(default=1)
    status = StringField(required=True)
    expires_at = DateTimeField(db_field="expiresAt")
    created_at = DateTimeField(db_field="createdAt")
    updated_at = DateTimeField(db_field="updatedAt")
    cancelled_at = DateTimeField(db_field="cancelledAt")
    # set while a reschedule has moved the appointment but not yet freed the old slot
    moved_from = ObjectIdField(db_field="movedFrom")

    meta = {
        "collection": "appointments",
        # indexes are built by migrations/ (see database/migrations.py), never lazily on first use;
        # this list declares what they must be (tests compare the two)
        "auto_create_index": False,
        "indexes": [
            ("user_id", "-created_at", "-id"),
            ("slot_id", "created_at", "id"),
            ("service_id", "-created_at", "-id"),
            ("-created_at", "-id"),
            ("status", "expires_at"),
            {"fields": ["moved_from"], "sparse": True},
        ],
    }
