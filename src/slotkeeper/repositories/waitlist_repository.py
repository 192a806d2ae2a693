"""Waiting-list entries as the API reads them; who waits, and in which order, is on the slot."""

from datetime import datetime

from bson import ObjectId
from mongoengine import NotUniqueError
from pymongo import ReturnDocument

from slotkeeper.domain.errors import NotFound
from slotkeeper.domain.waitlist import EntryStatus
from slotkeeper.models import WaitlistEntry
from slotkeeper.repositories.documents import from_son
from slotkeeper.repositories.ids import load_many, load_one, object_id
from slotkeeper.repositories.page import Page, PageRequest, fetch_page

FILTER_FIELDS = {
    "user_id": "userId",
    "slot_id": "slotId",
    "service_id": "serviceId",
    "status": "status",
}
NOT_FINAL = [EntryStatus.WAITING.value, EntryStatus.OFFERED.value]


class MongoWaitlistRepository:
    def new_id(self) -> str:
        return str(ObjectId())

    @property
    def collection(self):
        return WaitlistEntry._get_collection()

    def find(self, entry_id) -> WaitlistEntry | None:
        return load_one(WaitlistEntry, object_id(entry_id, "waiting-list entry"))

    def get(self, entry_id) -> WaitlistEntry:
        found = self.find(entry_id)
        if found is None:
            raise NotFound(f"waiting-list entry {entry_id} not found")
        return found

    def get_many(self, ids) -> dict:
        return load_many(WaitlistEntry, [object_id(i, "waiting-list entry") for i in ids])

    def add(self, fields: dict) -> WaitlistEntry | None:
        """Insert an entry; None when one with that id exists already."""
        try:
            return WaitlistEntry(**fields).save(force_insert=True)
        except NotUniqueError:
            return None

    def offered(self, entry_id, now: datetime) -> WaitlistEntry | None:
        """Record that the entry's offer is made (once): a WAITING entry becomes OFFERED, one
        that left meanwhile stays LEFT (its leave cancels the offer)."""
        status = {
            "$cond": [
                {"$eq": ["$status", EntryStatus.WAITING.value]},
                EntryStatus.OFFERED.value,
                "$status",
            ]
        }
        return self._find_and_update(
            {"_id": object_id(entry_id, "entry"), "offeredAt": None},
            [{"$set": {"offeredAt": now, "status": status, "updatedAt": now}}],
        )

    def leave(self, entry_id, now: datetime) -> WaitlistEntry | None:
        """WAITING or OFFERED -> LEFT, marked `leaving` until its slot agrees."""
        return self._find_and_update(
            {"_id": object_id(entry_id, "entry"), "status": {"$in": NOT_FINAL}},
            {"$set": {"status": EntryStatus.LEFT.value, "leaving": True, "updatedAt": now}},
        )

    def left(self, entry_id) -> bool:
        """The slot agrees that the entry left: forget the mark."""
        result = self.collection.update_one(
            {"_id": object_id(entry_id, "entry")}, {"$unset": {"leaving": ""}}
        )
        return result.modified_count == 1

    def settle(self, entry_id, from_: str, to: EntryStatus, now: datetime, slot_id=None) -> bool:
        """Write the status the entry's offer says it has, only from the one it was read in
        (and, given `slot_id`, only for an entry waiting for that slot)."""
        query = {"_id": object_id(entry_id, "entry"), "status": from_}
        if slot_id is not None:
            query["slotId"] = object_id(slot_id, "slot")
        result = self.collection.update_one(
            query,
            {"$set": {"status": to.value, "updatedAt": now}},
        )
        return result.modified_count == 1

    def leaving(self, limit: int) -> list[WaitlistEntry]:
        """Entries that left but whose slot may still list them."""
        return list(WaitlistEntry.objects(leaving=True).limit(limit))

    def offered_unsettled(self, limit: int, **filters) -> list[WaitlistEntry]:
        """Entries with an offer whose status may lag behind it."""
        query = self._query(filters)
        query.update(offeredAt={"$ne": None}, status={"$in": NOT_FINAL})
        return list(WaitlistEntry.objects(__raw__=query).limit(limit))

    def list_page(self, page: PageRequest, newest_first=True, **filters) -> Page:
        order = ("-created_at", "-id") if newest_first else ("created_at", "id")
        query = WaitlistEntry.objects(__raw__=self._query(filters)).order_by(*order)
        return fetch_page(query, page)

    def _query(self, filters: dict) -> dict:
        query = {FILTER_FIELDS[k]: v for k, v in filters.items() if v is not None}
        if "slotId" in query:
            query["slotId"] = object_id(query["slotId"], "slot")
        if "serviceId" in query:
            query["serviceId"] = object_id(query["serviceId"], "service")
        return query

    def _find_and_update(self, query: dict, update) -> WaitlistEntry | None:
        doc = self.collection.find_one_and_update(
            query, update, return_document=ReturnDocument.AFTER
        )
        return None if doc is None else from_son(WaitlistEntry, doc)
