"""Calendars: one document per service holding the spans of its slots (version 0004).

From now on a slot is laid only after its span is reserved on its service's calendar by a
conditional update that matches only while no span overlaps it, so slots of one service never
overlap. This builds the calendar of every service that has slots from the slots it has (slots
laid earlier may overlap; they keep their spans and nothing new may overlap either). Safe to
run twice: a service that already has a calendar is left alone.
"""

from datetime import UTC, datetime

from pymongo.errors import DuplicateKeyError


def up(db) -> None:
    now = datetime.now(UTC)
    for service_id in db.slots.distinct("serviceId"):
        if db.calendars.find_one({"_id": service_id}, {"_id": 1}) is not None:
            continue
        spans = [
            {"start": s["startTime"], "end": s["endTime"], "slot": s["_id"], "at": now}
            for s in db.slots.find({"serviceId": service_id}, {"startTime": 1, "endTime": 1}).sort(
                "startTime", 1
            )
        ]
        try:
            db.calendars.insert_one({"_id": service_id, "spans": spans, "rev": 1, "updatedAt": now})
        except DuplicateKeyError:  # a second runner, or a slot laid meanwhile, made it first
            pass
