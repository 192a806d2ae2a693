"""A service's calendar: the spans of its slots, changed only by conditional single-document
updates, so that two overlapping slots of one service can never both be reserved."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo.errors import DuplicateKeyError

from slotkeeper.models import Calendar
from slotkeeper.repositories.ids import object_id


@dataclass(frozen=True)
class Span:
    """The time range `[start, end)` one slot occupies on its service's calendar."""

    start: datetime
    end: datetime
    slot_id: Any  # the slot's ObjectId
    at: datetime | None = None

    def overlaps(self, start: datetime, end: datetime) -> bool:
        return self.start < end and start < self.end


@dataclass(frozen=True)
class CalendarView:
    """A calendar as read: its spans and the `rev` they were read at."""

    spans: list[Span]
    rev: int


def _doc(span: Span, now: datetime) -> dict:
    return {
        "start": span.start,
        "end": span.end,
        "slot": object_id(span.slot_id, "slot"),
        "at": now,
    }


def _overlapping(start: datetime, end: datetime) -> dict:
    return {"$elemMatch": {"start": {"$lt": end}, "end": {"$gt": start}}}


class MongoCalendarRepository:
    @property
    def collection(self):
        return Calendar._get_collection()

    def read(self, service_id) -> CalendarView:
        """The service's spans (none when it has no calendar yet)."""
        doc = self.collection.find_one({"_id": object_id(service_id, "service")})
        if doc is None:
            return CalendarView([], 0)
        spans = [Span(s["start"], s["end"], s["slot"], s.get("at")) for s in doc.get("spans") or []]
        return CalendarView(spans, doc.get("rev", 0))

    def reserve(self, service_id, span: Span, now: datetime) -> bool:
        """Add `span`, only while no span of the service overlaps it (the calendar is created
        on first use). False when one does."""
        query = {
            "_id": object_id(service_id, "service"),
            "spans": {"$not": _overlapping(span.start, span.end)},
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
        except DuplicateKeyError:  # it exists and a span overlaps, or another first use won
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

    def free(self, service_id, slot_id) -> bool:
        """Drop the span of `slot_id` (its slot is deleted, or was never inserted)."""
        return (
            self.collection.update_one(
                {"_id": object_id(service_id, "service"), "spans.slot": object_id(slot_id, "slot")},
                {"$pull": {"spans": {"slot": object_id(slot_id, "slot")}}, "$inc": {"rev": 1}},
            ).modified_count
            == 1
        )
