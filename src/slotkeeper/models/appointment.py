from mongoengine import (
    DateTimeField,
    DictField,
    Document,
    IntField,
    ListField,
    ObjectIdField,
    StringField,
)


class Appointment(Document):
    """A customer's seats on a slot. `claimId` names the claim on the slot's ledger that holds
    them; its status follows that claim."""

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
    claim_id = StringField(db_field="claimId")
    # claims it moved away from ({"slotId", "claimId"}) until their seats are returned
    leaving = ListField(DictField())
    # events of changes not yet handed to the webhooks, pushed by the write that made the change
    outbox = ListField(DictField())
    # grows by one with every change of the appointment (a calendar file's SEQUENCE)
    sequence = IntField(default=0)
    # an offer: the waiting-list entry it was made for
    entry_id = ObjectIdField(db_field="waitlistEntryId")

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
            {"fields": ["leaving.claimId"], "sparse": True},
            {"fields": ["outbox.id"], "sparse": True},
        ],
    }
