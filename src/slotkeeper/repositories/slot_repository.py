from bson import ObjectId
from mongoengine import NotUniqueError
from pymongo.errors import BulkWriteError

from slotkeeper.domain.errors import NotFound, SlotExists
from slotkeeper.models import Slot
from slotkeeper.repositories.ids import load_many, load_one, object_id
from slotkeeper.repositories.page import Page, PageRequest, fetch_page

LEDGER_FIELDS = ("claims", "holders", "waiting")
WITHOUT_LEDGER = {field: 0 for field in LEDGER_FIELDS}
DUPLICATE_KEY = 11000


class MongoSlotRepository:
    """Slots as catalogue items; seat changes go through MongoSeatLedger only."""

    def new_id(self) -> ObjectId:
        """An id for a slot about to be laid (no database operation)."""
        return ObjectId()

    def _objects(self):
        return Slot.objects.exclude(*LEDGER_FIELDS)

    def get(self, slot_id) -> Slot:
        slot = load_one(Slot, object_id(slot_id, "slot"), WITHOUT_LEDGER)
        if slot is None:
            raise NotFound(f"slot {slot_id} not found")
        return slot

    def get_many(self, ids) -> dict:
        return load_many(Slot, ids, WITHOUT_LEDGER)

    def capacities(self, ids) -> dict:
        """{slot id: capacity} of those of `ids` whose slot exists: what a use case decides on
        (get_many is for answers)."""
        ids = [object_id(i, "slot") for i in set(ids)]
        cursor = Slot._get_collection().find({"_id": {"$in": ids}}, {"capacity": 1})
        return {doc["_id"]: doc.get("capacity", 1) for doc in cursor}

    def add(self, fields: dict) -> Slot:
        try:
            return Slot(**fields).save(force_insert=True)
        except NotUniqueError:
            raise SlotExists("the service already has a slot at that startTime") from None

    def add_many(self, rows: list[dict]) -> list[Slot]:
        """Insert what is new; rows whose (service, startTime) exists are skipped."""
        if not rows:
            return []
        docs = [Slot(**{"id": ObjectId(), **row}) for row in rows]
        try:
            Slot._get_collection().insert_many([d.to_mongo() for d in docs], ordered=False)
            failed = set()
        except BulkWriteError as err:
            if any(e["code"] != DUPLICATE_KEY for e in err.details["writeErrors"]):
                raise
            failed = {e["index"] for e in err.details["writeErrors"]}
        return [d for i, d in enumerate(docs) if i not in failed]

    def start_times(self, service_id, start, end) -> set:
        query = Slot.objects(service_id=service_id, start_time__gte=start, start_time__lte=end)
        return {s.start_time for s in query.only("start_time")}

    def list_page(self, page: PageRequest, **filters) -> Page:
        return fetch_page(
            self._objects().filter(__raw__=slot_query(**filters)).order_by("start_time", "id"), page
        )

    def future_with_seats_taken(self, service_id, now) -> list[str]:
        """Ids of the service's future slots on which some seats are held or booked, or
        claimed by a waiting list (its entries' seats are `waitingSeats` until reserved, then
        held)."""
        query = {
            "serviceId": service_id,
            "startTime": {"$gt": now},
            "$or": [
                {"bookedSeats": {"$gt": 0}},
                {"heldSeats": {"$gt": 0}},
                {"waitingSeats": {"$gt": 0}},
            ],
        }
        return [str(s.id) for s in Slot.objects(__raw__=query).only("id")]

    def seats_held(self) -> int:
        """Seats held on all slots (served by the partial index of slots with held seats)."""
        rows = Slot._get_collection().aggregate(
            [
                {"$match": {"heldSeats": {"$gt": 0}}},
                {"$group": {"_id": None, "seats": {"$sum": "$heldSeats"}}},
            ]
        )
        first: dict = next(iter(rows), {})
        return first.get("seats", 0)

    def delete_if_idle(self, slot_id) -> bool:
        """Delete the slot only while no seat of it is held or booked and nobody waits for it
        (one atomic operation)."""
        result = Slot._get_collection().delete_one(
            {
                "_id": object_id(slot_id, "slot"),
                "bookedSeats": 0,
                "heldSeats": 0,
                "waiting.0": {"$exists": False},
            }
        )
        return result.deleted_count == 1


def slot_query(
    service_id=None, status=None, start_from=None, start_to=None, available=None, now=None
) -> dict:
    query: dict = {}
    if service_id is not None:
        query["serviceId"] = object_id(service_id, "service")
    if status is not None:
        query["status"] = status
    start = {}
    if start_from is not None:
        start["$gte"] = start_from
    if start_to is not None:
        start["$lt"] = start_to
    if available is not None:
        query.update(availability_query(available, now, start))
    if start:
        query.setdefault("startTime", {}).update(start)
    return query


def availability_query(available: bool, now, start: dict) -> dict:
    """Available: a newcomer could take a seat (free seats beyond what the waiting list
    claims) and the slot has not started."""
    free_seats = {
        "$subtract": [
            "$capacity",
            {"$add": ["$bookedSeats", "$heldSeats", {"$ifNull": ["$waitingSeats", 0]}]},
        ]
    }
    if available:
        return {"$expr": {"$gt": [free_seats, 0]}, "startTime": {"$gt": now}}
    # $lte rather than $not of $gt: the embedded engine (mongomock) gets $not in $expr wrong
    return {"$or": [{"$expr": {"$lte": [free_seats, 0]}}, {"startTime": {"$lte": now}}]}
