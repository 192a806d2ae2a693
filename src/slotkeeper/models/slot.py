from mongoengine import (
    BooleanField,
    DateTimeField,
    DictField,
    Document,
    IntField,
    ListField,
    ObjectIdField,
    StringField,
)


class Slot(Document):
    """A time window of a service with a number of seats.

    `claims` is the seat ledger (claim key -> claim in flight) and `holders` maps a user key
    to the claim holding seats for it; both change only in the same atomic update as the
    counts (see repositories/seat_ledger.py). `due` is a lower bound of the earliest
    `checkAt` of the claims, so the sweep finds slots needing attention through an index.
    `waiting` is the waiting list in join order (`joins` numbers them), `waitingSeats` the
    seats of its entries not yet reserved for an offer; they change with the counts too.
    """

    service_id = ObjectIdField(db_field="serviceId", required=True)
    start_time = DateTimeField(db_field="startTime", required=True)
    end_time = DateTimeField(db_field="endTime", required=True)
    capacity = IntField(default=1, min_value=1)
    booked_seats = IntField(db_field="bookedSeats", default=0)
    held_seats = IntField(db_field="heldSeats", default=0)
    status = StringField(default="AVAILABLE")
    claims = DictField()
    holders = DictField()
    waiting = ListField(DictField())
    waiting_seats = IntField(db_field="waitingSeats", default=0)
    joins = IntField(default=0)
    due = DateTimeField()
    rev = IntField(default=0)
    laid = BooleanField()  # true on a slot laid by the service's schedule, absent otherwise
    created_at = DateTimeField(db_field="createdAt")
    updated_at = DateTimeField(db_field="updatedAt")

    meta = {
        "collection": "slots",
        # indexes are built by migrations/ (see database/migrations.py), never lazily on first use;
        # this list declares what they must be (tests compare the two)
        "auto_create_index": False,
        "indexes": [
            {"fields": ["service_id", "start_time"], "unique": True},
            ("start_time", "id"),
            {"fields": ["due"], "sparse": True},
            {"fields": ["held_seats"], "partialFilterExpression": {"heldSeats": {"$gt": 0}}},
        ],
    }
