from mongoengine import DateTimeField, Document, IntField, ListField, ObjectIdField


class Calendar(Document):
    """The time ranges a service's slots occupy, one document per service (`_id` is the
    service's id), so that "no slot of this service overlaps this one" is a condition on one
    document: a span is added only by a conditional update (see repositories/calendar_repository).

    `spans` holds `{"start", "end", "slot", "at"}` per slot: its range, the slot's id (chosen
    before the slot is inserted) and when the span was reserved. `rev` is bumped by every
    change, so a batch of spans decided from a read is added only if nothing changed since.
    """

    id = ObjectIdField(primary_key=True)
    spans = ListField()
    rev = IntField(default=0)
    updated_at = DateTimeField(db_field="updatedAt")

    meta = {
        "collection": "calendars",
        # indexes are built by migrations/ (see database/migrations.py), never lazily on first use;
        # this list declares what they must be (tests compare the two): _id alone
        "auto_create_index": False,
        "indexes": [],
    }
