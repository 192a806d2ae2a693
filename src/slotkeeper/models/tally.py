from mongoengine import DateTimeField, Document, IntField, ListField, StringField


class Tally(Document):
    """One user's live appointments on one service, counted for its `maxActivePerUser`: one
    document per (service, user) (`_id` is "<serviceId>:<user key>"), so that "fewer than the
    limit" is a condition on one document. A mark `{"appointment", "start", "at"}` is added by
    a conditional update (see repositories/tally_repository.py) before seats are taken; a
    waiting-list entry's mark also names its `entry` and `slot`.
    """

    id = StringField(primary_key=True)
    marks = ListField()
    rev = IntField(default=0)
    updated_at = DateTimeField(db_field="updatedAt")

    meta = {
        "collection": "tallies",
        # indexes are built by migrations/ (see database/migrations.py), never lazily on first use;
        # this list declares what they must be (tests compare the two): _id alone
        "auto_create_index": False,
        "indexes": [],
    }
