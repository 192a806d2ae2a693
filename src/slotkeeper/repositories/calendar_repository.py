"""A service's calendar: the spans of its slots, its closures and its weekly schedule, changed
only by conditional single-document updates, so that two overlapping slots of one service can
never both be reserved, and no slot is reserved inside a closure."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pymongo.errors import DuplicateKeyError

from slotkeeper.domain.opening_hours import Closure, Schedule
from slotkeeper.models import Calendar
from slotkeeper.repositories.ids import object_id


@dataclass(frozen=True)
class Span:
    """The time range `[start, end)` one slot occupies on its service's calendar."""

    start: datetime
    end: datetime
    slot_id: Any  # the slot's ObjectId
    at: datetime | None = None
    laid: bool = False  # laid by the schedule
    check_at: datetime | None = None  # being taken back: when the sweep must finish it

    def overlaps(self, start: datetime, end: datetime) -> bool:
        return self.start < end and start < self.end


@dataclass(frozen=True)
class CalendarView:
    """A calendar as read: its spans, closures and schedule, and the `rev` they were read at."""

    spans: list[Span]
    rev: int
    closures: list[Closure] = field(default_factory=list)
    schedule: Schedule | None = None


def _doc(span: Span, now: datetime) -> dict:
    doc = {
        "start": span.start,
        "end": span.end,
        "slot": object_id(span.slot_id, "slot"),
        "at": now,
    }
    if span.laid:
        doc["laid"] = True
    return doc


def _closure(doc: dict, service_id) -> Closure:
    return Closure(
        str(doc["id"]),
        doc["from"],
        doc["to"],
        doc.get("note"),
        doc.get("createdAt"),
        service_id,
        doc.get("checkAt"),
    )


def _span(doc: dict) -> Span:
    return Span(
        doc["start"],
        doc["end"],
        doc["slot"],
        doc.get("at"),
        bool(doc.get("laid")),
        doc.get("checkAt"),
    )


def _overlapping(start: datetime, end: datetime) -> dict:
    return {"$elemMatch": {"start": {"$lt": end}, "end": {"$gt": start}}}


def _closed(start: datetime, end: datetime) -> dict:
    return {"$elemMatch": {"from": {"$lt": end}, "to": {"$gt": start}}}


def _by_start(closure: Closure):
    return (closure.start, closure.id)


class MongoCalendarRepository:
    @property
    def collection(self):
        return Calendar._get_collection()

    def read(self, service_id) -> CalendarView:
        """The service's calendar (empty when it has none yet)."""
        doc = self.collection.find_one({"_id": object_id(service_id, "service")})
        if doc is None:
            return CalendarView([], 0)
        spans = [_span(s) for s in doc.get("spans") or []]
        schedule = Schedule.stored(doc["schedule"]) if doc.get("schedule") else None
        closures = sorted(
            (_closure(c, str(doc["_id"])) for c in doc.get("closures") or []), key=_by_start
        )
        return CalendarView(spans, doc.get("rev", 0), closures, schedule)

    def scheduled(self) -> list:
        """Ids of the services that have a weekly schedule."""
        cursor = self.collection.find({"schedule": {"$type": "object"}}, {"_id": 1})
        return [doc["_id"] for doc in cursor]

    def set_schedule(self, service_id, schedule: Schedule, now: datetime) -> None:
        """Store the service's weekly schedule (creating its calendar on first use)."""
        self.collection.update_one(
            {"_id": object_id(service_id, "service")},
            {
                "$set": {"schedule": schedule.to_stored(), "updatedAt": now},
                "$inc": {"rev": 1},
            },
            upsert=True,
        )

    def clear_schedule(self, service_id, now: datetime) -> bool:
        """Remove the service's weekly schedule; False when it had none."""
        result = self.collection.update_one(
            {"_id": object_id(service_id, "service"), "schedule": {"$type": "object"}},
            {"$unset": {"schedule": ""}, "$set": {"updatedAt": now}, "$inc": {"rev": 1}},
        )
        return result.modified_count == 1

    def close(self, service_id, closure: Closure, now: datetime) -> None:
        """Add `closure`: from now on no span is reserved that overlaps it. Its `check_at`
        (the calendar is due then) says when the sweep finishes removing the slots inside it
        unless the closure is settled first."""
        doc = {
            "id": object_id(closure.id, "closure"),
            "from": closure.start,
            "to": closure.end,
            "note": closure.note,
            "createdAt": closure.created_at,
            "checkAt": closure.check_at,
        }
        update: dict = {"$push": {"closures": doc}, "$set": {"updatedAt": now}, "$inc": {"rev": 1}}
        if closure.check_at is not None:
            update["$min"] = {"due": closure.check_at}
        self.collection.update_one({"_id": object_id(service_id, "service")}, update, upsert=True)

    def settle_closure(self, service_id, closure_id) -> bool:
        """The slots inside the closure are dealt with: its check goes (`due` stays a lower
        bound). False when the service has no such closure."""
        key = object_id(closure_id, "closure")
        result = self.collection.update_one(
            {"_id": object_id(service_id, "service"), "closures.id": key},
            {"$unset": {"closures.$.checkAt": ""}},
        )
        return result.matched_count == 1

    def take_back(self, service_id, slot_id, check_at: datetime) -> bool:
        """Mark the span of `slot_id` as being taken back: it stays in the way of other spans
        until it is freed or settled, and the sweep finishes it at `check_at` if whoever marked
        it dies first. False when the span is not there."""
        key = object_id(slot_id, "slot")
        result = self.collection.update_one(
            {"_id": object_id(service_id, "service"), "spans.slot": key},
            {"$set": {"spans.$.checkAt": check_at}, "$min": {"due": check_at}, "$inc": {"rev": 1}},
        )
        return result.matched_count == 1

    def settle_span(self, service_id, slot_id) -> bool:
        """The span of `slot_id` stays (its slot is kept for its seats): a taking back is
        called off. False when the span is not there."""
        key = object_id(slot_id, "slot")
        result = self.collection.update_one(
            {"_id": object_id(service_id, "service"), "spans.slot": key},
            {"$unset": {"spans.$.checkAt": ""}},
        )
        return result.matched_count == 1

    def due(self, now: datetime, limit: int) -> list:
        """Ids of the calendars with a check whose time has come (served by the sparse index
        on `due`)."""
        cursor = self.collection.find({"due": {"$lte": now}}, {"_id": 1}).limit(limit)
        return [doc["_id"] for doc in cursor]

    def reset_due(self, service_id, next_check: datetime | None, seen_rev: int) -> bool:
        """Lower bound of the next check, unless the calendar changed since it was read (every
        write that adds a check bumps `rev`)."""
        update = {"$set": {"due": next_check}} if next_check else {"$unset": {"due": ""}}
        result = self.collection.update_one(
            {"_id": object_id(service_id, "service"), "rev": seen_rev}, update
        )
        return result.matched_count == 1

    def reopen(self, service_id, closure_id, now: datetime) -> bool:
        """Remove a closure; False when the service has no such closure."""
        key = object_id(closure_id, "closure")
        result = self.collection.update_one(
            {"_id": object_id(service_id, "service"), "closures.id": key},
            {"$pull": {"closures": {"id": key}}, "$set": {"updatedAt": now}, "$inc": {"rev": 1}},
        )
        return result.modified_count == 1

    def reserve(self, service_id, span: Span, now: datetime) -> bool:
        """Add `span`, only while no span of the service overlaps it (the calendar is created
        on first use). False when one does."""
        query = {
            "_id": object_id(service_id, "service"),
            "spans": {"$not": _overlapping(span.start, span.end)},
            "closures": {"$not": _closed(span.start, span.end)},
        }
        try:
            result = self.collection.update_one(
                query,
                {
                    "$push": {"spans": _doc(span, now)},
                    "$inc": {"rev": 1},
                    "$set": {"updatedAt": now},
                },
                upsert=True,
            )
        except (
            DuplicateKeyError
        ):  # it exists and a span or closure overlaps, or another first use won
            return False
        return result.modified_count == 1 or result.upserted_id is not None

    def reserve_all(self, service_id, spans: list[Span], seen_rev: int, now: datetime) -> bool:
        """Add every one of `spans` at once, only if the calendar is as it was read at
        `seen_rev` (so the caller's check that none overlaps still holds). False otherwise."""
        query = {
            "_id": object_id(service_id, "service"),
            "rev": seen_rev if seen_rev else {"$exists": False},
        }
        update = {
            "$push": {"spans": {"$each": [_doc(s, now) for s in spans]}},
            "$inc": {"rev": 1},
            "$set": {"updatedAt": now},
        }
        try:
            result = self.collection.update_one(query, update, upsert=not seen_rev)
        except DuplicateKeyError:  # created meanwhile: changed since it was read
            return False
        return result.modified_count == 1 or result.upserted_id is not None

    def forget_ended(self, service_id, before: datetime) -> bool:
        """Drop the spans that ended before `before` (no new slot can reach back to them: a
        slot starts in the future), recording `ended` = `before`; False when none were.
        `rev` is left alone: no decision about future spans depends on these."""
        result = self.collection.update_one(
            {"_id": object_id(service_id, "service"), "spans.end": {"$lt": before}},
            {"$pull": {"spans": {"end": {"$lt": before}}}, "$set": {"ended": before}},
        )
        return result.modified_count == 1

    def free(self, service_id, slot_id) -> bool:
        """Drop the span of `slot_id` (its slot is deleted, or was never inserted)."""
        return (
            self.collection.update_one(
                {"_id": object_id(service_id, "service"), "spans.slot": object_id(slot_id, "slot")},
                {"$pull": {"spans": {"slot": object_id(slot_id, "slot")}}, "$inc": {"rev": 1}},
            ).modified_count
            == 1
        )
