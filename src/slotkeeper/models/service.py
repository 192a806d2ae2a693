from mongoengine import BooleanField, DateTimeField, DictField, Document, FloatField, StringField

from slotkeeper.domain.policy import Policy


class Service(Document):
    """Whatever gets booked: a doctor, a salon chair, a cinema hall."""

    name = StringField(required=True, max_length=200)
    description = StringField(max_length=2000)
    address = StringField(max_length=500)
    category = StringField(max_length=100)
    price = FloatField(default=0)
    currency = StringField(default="USD")
    timezone = StringField(default="UTC")
    active = BooleanField(default=True)
    # the booking policy's fields that differ from their defaults (see domain/policy.py)
    policy = DictField()
    # set while an archive decides; a booking that sees it cancels it (see catalog.archive)
    closing = StringField()
    created_at = DateTimeField(db_field="createdAt")
    updated_at = DateTimeField(db_field="updatedAt")

    @property
    def booking_policy(self) -> Policy:
        return Policy.stored(self.policy)

    meta = {
        "collection": "services",
        # indexes are built by migrations/ (see database/migrations.py), never lazily on first use;
        # this list declares what they must be (tests compare the two)
        "auto_create_index": False,
        "indexes": [("name", "id"), "category"],
    }
