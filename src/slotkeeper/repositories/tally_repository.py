"""Tallies: a user's live appointments on a service, marked by conditional single-document
updates, so that parallel bookings of one user can never exceed the service's limit."""

from dataclasses import dataclass
from datetime import datetime

from pymongo.errors import DuplicateKeyError

from slotkeeper.models import Tally


@dataclass(frozen=True)
class Mark:
    """One appointment counted on a tally: the start of its slot and when it was marked. A
    place in a waiting line counts too, under the id its offer will have, with its entry and
    slot (its appointment does not exist until the offer is made)."""

    appointment_id: str
    start: datetime
    at: datetime | None = None
    entry: str | None = None
    slot_id: str | None = None


def _mark_doc(mark: Mark, now: datetime) -> dict:
    doc = {"appointment": mark.appointment_id, "start": mark.start, "at": now}
    if mark.entry is not None:
        doc.update(entry=mark.entry, slot=mark.slot_id)
    return doc


def tally_key(service_id, holder: str) -> str:
    return f"{service_id}:{holder}"


def _still_counted(now: datetime) -> dict:
    """The number of marks on slots that have not started (a pipeline expression)."""
    return {
        "$size": {
            "$filter": {
                "input": {"$ifNull": ["$marks", []]},
                "cond": {"$gt": ["$$this.start", now]},
            }
        }
    }


class MongoTallyRepository:
    @property
    def collection(self):
        return Tally._get_collection()

    def mark(self, key: str, mark: Mark, limit: int, now: datetime) -> bool:
        """Count `mark`'s appointment, only while the tally exists, fewer than `limit` of its
        marks are on slots that have not started, and it is not counted already."""
        query = {
            "_id": key,
            "marks.appointment": {"$ne": mark.appointment_id},
            "$expr": {"$lt": [_still_counted(now), limit]},
        }
        doc = _mark_doc(mark, now)
        return (
            self.collection.update_one(
                query, {"$push": {"marks": doc}, "$inc": {"rev": 1}, "$set": {"updatedAt": now}}
            ).modified_count
            == 1
        )

    def create(self, key: str, marks: list[Mark], now: datetime) -> bool:
        """Start the tally with the marks of the user's live appointments (on a service whose
        limit was set after they were made); False when it exists already."""
        docs = [_mark_doc(m, now) for m in marks]
        try:
            self.collection.insert_one({"_id": key, "marks": docs, "rev": 1, "updatedAt": now})
        except DuplicateKeyError:
            return False
        return True

    def read(self, key: str) -> list[Mark] | None:
        """The tally's marks; None when the user has no tally on the service yet."""
        doc = self.collection.find_one({"_id": key})
        if doc is None:
            return None
        return [
            Mark(m["appointment"], m["start"], m.get("at"), m.get("entry"), m.get("slot"))
            for m in doc.get("marks") or []
        ]

    def unmark(self, key: str, appointment_id: str) -> bool:
        """Stop counting the appointment (it ended, was refused, or was never written)."""
        return (
            self.collection.update_one(
                {"_id": key, "marks.appointment": appointment_id},
                {"$pull": {"marks": {"appointment": appointment_id}}, "$inc": {"rev": 1}},
            ).modified_count
            == 1
        )

    def move_mark(self, key: str, appointment_id: str, start: datetime) -> bool:
        """The appointment moved to a slot starting at `start`: count it until then."""
        return (
            self.collection.update_one(
                {"_id": key, "marks.appointment": appointment_id},
                {"$set": {"marks.$.start": start}, "$inc": {"rev": 1}},
            ).modified_count
            == 1
        )
