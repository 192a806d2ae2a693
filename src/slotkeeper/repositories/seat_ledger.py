"""Every change of a slot's seats: one conditional update of the slot document each.

MongoDB applies an update to one document atomically, so the filter (enough free seats, the
entry in the expected state, ...) and the change (counts, ledger entry, status) cannot be
separated by another writer. Pipeline updates let the status be recomputed from the new
counts in the same operation. Keys are hex strings prefixed with a letter, so they are safe
as field names; no user-supplied string ever enters a pipeline.
"""
from datetime import datetime

from pymongo import ReturnDocument

from slotkeeper.domain.ledger import Allocation, Ledger, entry_key
from slotkeeper.domain.status import Status
from slotkeeper.models import Slot
from slotkeeper.repositories.ids import object_id

FREE_SEATS = {"$subtract": ["$capacity", {"$add": ["$bookedSeats", "$heldSeats"]}]}
STATUS_FROM_COUNTS = {"$switch": {"branches": [
    {"case": {"$gte": ["$bookedSeats", "$capacity"]}, "then": "BOOKED"},
    {"case": {"$gte": [{"$add": ["$bookedSeats", "$heldSeats"]}, "$capacity"]}, "then": "LOCKED"}],
    "default": "AVAILABLE"}}
COUNTER = {Status.PENDING: "heldSeats", Status.BOOKED: "bookedSeats"}


def _counts(delta: dict) -> dict:
    return {field: {"$add": [f"${field}", change]} for field, change in delta.items()}


def _set_stage(now: datetime, changes: dict) -> list:
    """The pipeline: apply `changes`, stamp the document, then derive status from the counts."""
    return [{"$set": {**changes, "updatedAt": now, "rev": {"$add": [{"$ifNull": ["$rev", 0]}, 1]}}},
            {"$set": {"status": STATUS_FROM_COUNTS}}]


def _entry_doc(a: Allocation) -> dict:
    return {"holder": a.holder, "seats": a.seats, "state": a.state.value,
            "until": a.until, "checkAt": a.check_at}


def _due(check_at: datetime | None) -> dict:
    return {"due": {"$min": ["$due", check_at]}} if check_at else {}


class MongoSeatLedger:
    @property
    def collection(self):
        return Slot._get_collection()

    def _update(self, slot_id, conditions: dict, pipeline: list) -> bool:
        query = {"_id": object_id(slot_id, "slot"), **conditions}
        return self.collection.update_one(query, pipeline).modified_count == 1

    def read(self, slot_id, holder: str | None = None) -> Ledger | None:
        """The slot's counts and entries, and where `holder` points if one is named."""
        fields = {"capacity": 1, "bookedSeats": 1, "heldSeats": 1, "entries": 1, "rev": 1}
        if holder:
            fields[f"holders.{holder}"] = 1
        doc = self.collection.find_one({"_id": object_id(slot_id, "slot")}, fields)
        return None if doc is None else to_ledger(doc)

    def allocate(self, slot: Slot, a: Allocation, now: datetime) -> Slot | None:
        """Take `a.seats` for a new entry: only while that many are free and the user has none.
        The slot as it is after (without its ledger), or None when refused."""
        key = entry_key(a.appointment_id)
        conditions = {"$expr": {"$gte": [FREE_SEATS, a.seats]},
                      f"holders.{a.holder}": None, f"entries.{key}": {"$exists": False}}
        changes = {**_counts({COUNTER[a.state]: a.seats}), f"entries.{key}": _entry_doc(a),
                   f"holders.{a.holder}": key, **_due(a.check_at)}
        # the shard key {serviceId, startTime} in the filter lets a sharded cluster route a
        # findAndModify to one shard (before MongoDB 7.1, _id alone is not enough there)
        where = {"_id": slot.id, "serviceId": slot.service_id, "startTime": slot.start_time}
        doc = self.collection.find_one_and_update(
            {**where, **conditions}, _set_stage(now, changes),
            projection={"entries": 0, "holders": 0}, return_document=ReturnDocument.AFTER)
        return None if doc is None else Slot._from_son(doc)

    def confirm(self, slot_id, a: Allocation, now: datetime, check_at: datetime) -> bool:
        """Turn an unexpired hold into a booking."""
        key = entry_key(a.appointment_id)
        conditions = {f"entries.{key}.state": "PENDING", f"entries.{key}.until": {"$gt": now},
                      f"entries.{key}.seats": a.seats}
        changes = {**_counts({"heldSeats": -a.seats, "bookedSeats": a.seats}),
                   f"entries.{key}.state": "BOOKED", f"entries.{key}.checkAt": check_at,
                   **_due(check_at)}
        return self._update(slot_id, conditions, _set_stage(now, changes))

    def release(self, slot_id, a: Allocation, to: Status, now: datetime) -> bool:
        """Give back the seats of the live allocation `a` (in the state `a.state`, as read) and
        leave a tombstone in state `to`. A settled booking has no entry any more: the user's
        holder pointer, cleared here, is what guarantees its seats come back only once."""
        key, holder = entry_key(a.appointment_id), f"holders.{a.holder}"
        current = {f"entries.{key}.state": a.state.value, f"entries.{key}.seats": a.seats}
        if a.state is Status.PENDING:  # an expiry needs the hold to be over, a cancel the opposite
            current[f"entries.{key}.until"] = {"$lte" if to is Status.EXPIRED else "$gt": now}
            conditions = current
        else:
            conditions = {"$or": [current, {f"entries.{key}": {"$exists": False}, holder: key}]}
        tombstone = _entry_doc(Allocation(a.appointment_id, a.holder, a.seats, to, check_at=now))
        unless_moved_on = {"$cond": [{"$eq": [f"${holder}", key]}, None, f"${holder}"]}
        changes = {**_counts({COUNTER[a.state]: -a.seats}), f"entries.{key}": tombstone,
                   holder: unless_moved_on, **_due(now)}
        return self._update(slot_id, conditions, _set_stage(now, changes))

    def settle(self, slot_id, a: Allocation) -> bool:
        """Drop an entry the appointment now agrees with: a booking (its seats stay counted and
        its holder pointer stays) or a tombstone. A hold keeps its entry, only its check goes."""
        key = entry_key(a.appointment_id)
        query = {"_id": object_id(slot_id, "slot"), f"entries.{key}.state": a.state.value}
        if a.state is Status.PENDING:
            update = {"$set": {f"entries.{key}.checkAt": None}, "$inc": {"rev": 1}}
        else:
            update = {"$unset": {f"entries.{key}": ""}, "$inc": {"rev": 1}}
        return self.collection.update_one(query, update).modified_count == 1

    def slots_due(self, now: datetime, limit: int) -> list:
        cursor = self.collection.find({"due": {"$lte": now}}, {"_id": 1}).limit(limit)
        return [doc["_id"] for doc in cursor]

    def reset_due(self, slot_id, next_check: datetime | None, seen_rev: int) -> bool:
        """Lower bound of the next check, unless the ledger changed since it was read."""
        query = {"_id": object_id(slot_id, "slot"), "rev": seen_rev}
        update = {"$set": {"due": next_check}} if next_check else {"$unset": {"due": ""}}
        return self.collection.update_one(query, update).modified_count == 1


def to_ledger(doc: dict) -> Ledger:
    entries = {}
    for key, e in (doc.get("entries") or {}).items():
        entries[key[1:]] = Allocation(key[1:], e["holder"], e["seats"], Status(e["state"]),
                                      e.get("until"), e.get("checkAt"))
    holders = {k: v for k, v in (doc.get("holders") or {}).items() if v}
    return Ledger(str(doc["_id"]), doc["capacity"], doc.get("bookedSeats", 0),
                  doc.get("heldSeats", 0), entries, doc.get("rev", 0), holders)
