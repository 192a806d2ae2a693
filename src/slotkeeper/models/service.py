from mongoengine import BooleanField, DateTimeField, Document, FloatField, StringField


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
    # set while an archive decides; a booking that sees it cancels it (see catalog.archive)
    closing = StringField()
    created_at = DateTimeField(db_field="createdAt")
    updated_at = DateTimeField(db_field="updatedAt")

    meta = {
        "collection": "services",
        # indexes are built by migrations/ (see database/migrations.py), never lazily on first use;
        # this list declares what they must be (tests compare the two)
        "auto_create_index": False,
        "indexes": [("name", "id"), "category"],
    }
