from mongoengine import DateTimeField, DictField, Document, IntField, ListField, ObjectIdField


class Calendar(Document):
    """The time ranges a service's slots occupy, one document per service (`_id` is the
    service's id), so that "no slot of this service overlaps this one" is a condition on one
    document: a span is added only by a conditional update (see repositories/calendar_repository).

    `spans` holds `{"start", "end", "slot", "at"}` per slot: its range, the slot's id (chosen
    before the slot is inserted) and when the span was reserved. `rev` is bumped by every
    change, so a batch of spans decided from a read is added only if nothing changed since.
    A span laid by the schedule carries `"laid": true`.

    The service's opening hours live here too, so that every write that decides where slots
    may be is a write of this one document: `schedule` (the weekly schedule, as stored by
    domain/opening_hours.Schedule) and `closures` (`{"id", "from", "to", "note", "createdAt"}`
    each). A span is reserved only while no closure overlaps it, and a closure or a schedule
    bumps `rev`, so a batch decided before either is refused.

    Work a dead process may leave half done carries a `checkAt`: a closure whose slots may
    still be to remove, a span being taken back (a schedule found no slot for it): when the
    sweep finishes it. `due` is a lower bound of them, indexed (sparse), so the sweep finds
    only the calendars with something to check.
    """

    id = ObjectIdField(primary_key=True)
    spans = ListField()
    rev = IntField(default=0)
    schedule = DictField(default=None)
    closures = ListField()
    ended = DateTimeField()  # spans that ended before this are dropped (the horizon job)
    due = DateTimeField()
    updated_at = DateTimeField(db_field="updatedAt")

    meta = {
        "collection": "calendars",
        # indexes are built by migrations/ (see database/migrations.py), never lazily on first use;
        # this list declares what they must be (tests compare the two)
        "auto_create_index": False,
        "indexes": [{"fields": ["due"], "sparse": True}],
    }
