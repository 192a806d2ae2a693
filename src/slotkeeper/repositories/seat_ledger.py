"""Every change of a slot's seats: one conditional update of the slot document each.

MongoDB applies an update to one document atomically, so the filter (enough free seats, the
claim in the expected state, ...) and the change (counts, claim, holder pointer, status)
cannot be separated by another writer. Pipeline updates let the status be recomputed from
the new counts in the same operation. Keys are hex strings prefixed with a letter, so they
are safe as field names; no user-supplied string ever enters a pipeline.
"""

from datetime import datetime

from pymongo import ReturnDocument

from slotkeeper.domain.ledger import Claim, Ledger, claim_key
from slotkeeper.domain.status import USED, Status
from slotkeeper.models import Slot
from slotkeeper.repositories.ids import object_id

FREE_SEATS = {"$subtract": ["$capacity", {"$add": ["$bookedSeats", "$heldSeats"]}]}
STATUS_FROM_COUNTS = {
    "$switch": {
        "branches": [
            {"case": {"$gte": ["$bookedSeats", "$capacity"]}, "then": "BOOKED"},
            {
                "case": {"$gte": [{"$add": ["$bookedSeats", "$heldSeats"]}, "$capacity"]},
                "then": "LOCKED",
            },
        ],
        "default": "AVAILABLE",
    }
}
COUNTER = {Status.PENDING: "heldSeats", Status.BOOKED: "bookedSeats"}
# states whose claim stays on the ledger once settled (only its check goes)
KEPT = {Status.PENDING, *USED}


def _counts(delta: dict) -> dict:
    return {field: {"$add": [f"${field}", change]} for field, change in delta.items()}


def _set_stage(now: datetime, changes: dict) -> list:
    """The pipeline: apply `changes`, stamp the document, then derive status from the counts."""
    return [
        {"$set": {**changes, "updatedAt": now, "rev": {"$add": [{"$ifNull": ["$rev", 0]}, 1]}}},
        {"$set": {"status": STATUS_FROM_COUNTS}},
    ]


def _claim_doc(c: Claim) -> dict:
    return {
        "appointment": c.appointment_id,
        "holder": c.holder,
        "seats": c.seats,
        "state": c.state.value,
        "until": c.until,
        "checkAt": c.check_at,
    }


def _drop_stages(path: str) -> list:
    """The pipeline that drops a claim, and `due` with it once no claim is left: the slot
    then leaves the sweep's index instead of being visited once more for nothing. (`$set` to
    `$$REMOVE` would do in one stage on MongoDB; mongomock only removes by `$project`.)"""
    nothing_left = {"$eq": ["$claims", {"$literal": {}}]}
    return [
        {"$project": {path: 0}},
        {
            "$set": {
                "rev": {"$add": [{"$ifNull": ["$rev", 0]}, 1]},
                "dueKept": {"$cond": [nothing_left, "$$REMOVE", "$due"]},
            }
        },
        {"$project": {"due": 0}},
        {"$set": {"due": "$dueKept"}},
        {"$project": {"dueKept": 0}},
    ]


def _due(check_at: datetime | None) -> dict:
    return {"due": {"$min": ["$due", check_at]}} if check_at else {}


class MongoSeatLedger:
    @property
    def collection(self):
        return Slot._get_collection()

    def _update(self, slot_id, conditions: dict, update) -> bool:
        query = {"_id": object_id(slot_id, "slot"), **conditions}
        return self.collection.update_one(query, update).modified_count == 1

    def read(self, slot_id, holder: str | None = None) -> Ledger | None:
        """The slot's counts and claims, and where `holder` points if one is named."""
        fields = {"capacity": 1, "bookedSeats": 1, "heldSeats": 1, "claims": 1, "rev": 1}
        if holder:
            fields[f"holders.{holder}"] = 1
        doc = self.collection.find_one({"_id": object_id(slot_id, "slot")}, fields)
        return None if doc is None else to_ledger(doc)

    def take(self, slot: Slot, c: Claim, now: datetime) -> Slot | None:
        """Take `c.seats` for the new claim `c`: only while that many are free and its user
        has none here. The slot as it is after (without its ledger), or None when refused."""
        key = claim_key(c.claim_id)
        conditions = {
            "$expr": {"$gte": [FREE_SEATS, c.seats]},
            f"holders.{c.holder}": None,
            f"claims.{key}": {"$exists": False},
        }
        changes = {
            **_counts({COUNTER[c.state]: c.seats}),
            f"claims.{key}": _claim_doc(c),
            f"holders.{c.holder}": key,
            **_due(c.check_at),
        }
        # the shard key {serviceId, startTime} in the filter lets a sharded cluster route a
        # findAndModify to one shard (before MongoDB 7.1, _id alone is not enough there)
        where = {"_id": slot.id, "serviceId": slot.service_id, "startTime": slot.start_time}
        doc = self.collection.find_one_and_update(
            {**where, **conditions},
            _set_stage(now, changes),
            projection={"claims": 0, "holders": 0},
            return_document=ReturnDocument.AFTER,
        )
        return None if doc is None else Slot._from_son(doc)

    def confirm(self, slot_id, c: Claim, now: datetime, check_at: datetime) -> bool:
        """Turn the claim of an unexpired hold into a booking."""
        key = f"claims.{claim_key(c.claim_id)}"
        conditions = {f"{key}.state": "PENDING", f"{key}.until": {"$gt": now}}
        changes = {
            **_counts({"heldSeats": -c.seats, "bookedSeats": c.seats}),
            f"{key}.state": "BOOKED",
            f"{key}.checkAt": check_at,
            **_due(check_at),
        }
        return self._update(slot_id, conditions, _set_stage(now, changes))

    def release(self, slot_id, c: Claim, to: Status, now: datetime) -> bool:
        """Give back the seats of claim `c`, whatever live state it is in now, and leave a
        tombstone in state `to`: EXPIRED only for a hold past its deadline, CANCELLED for a
        hold before it or a booking. A settled booking has no claim document any more: its
        user's holder pointer, cleared here, is what guarantees its seats come back once."""
        key = claim_key(c.claim_id)
        path, holder = f"claims.{key}", f"holders.{c.holder}"
        conditions: dict
        if to is Status.EXPIRED:
            conditions = {f"{path}.state": "PENDING", f"{path}.until": {"$lte": now}}
        else:
            conditions = {
                "$or": [
                    {f"{path}.state": "PENDING", f"{path}.until": {"$gt": now}},
                    {f"{path}.state": "BOOKED"},
                    {path: {"$exists": False}, holder: key},
                ]
            }
        was_held = {"$eq": [f"${path}.state", "PENDING"]}
        tombstone = _claim_doc(
            Claim(c.claim_id, c.appointment_id, c.holder, c.seats, to, check_at=now)
        )
        unless_moved_on = {"$cond": [{"$eq": [f"${holder}", key]}, None, f"${holder}"]}
        changes = {
            "heldSeats": {"$subtract": ["$heldSeats", {"$cond": [was_held, c.seats, 0]}]},
            "bookedSeats": {"$subtract": ["$bookedSeats", {"$cond": [was_held, 0, c.seats]}]},
            path: tombstone,
            holder: unless_moved_on,
            **_due(now),
        }
        return self._update(slot_id, conditions, _set_stage(now, changes))

    def mark_used(self, slot_id, c: Claim, to: Status, now: datetime, check_at: datetime) -> bool:
        """Turn a booking's claim (in flight, or settled into its holder pointer) into a used
        one, ATTENDED or NO_SHOW: its seats stay booked, and no release matches it any more."""
        key = claim_key(c.claim_id)
        path, holder = f"claims.{key}", f"holders.{c.holder}"
        conditions = {"$or": [{f"{path}.state": "BOOKED"}, {path: {"$exists": False}, holder: key}]}
        used = _claim_doc(
            Claim(c.claim_id, c.appointment_id, c.holder, c.seats, to, check_at=check_at)
        )
        return self._update(slot_id, conditions, _set_stage(now, {path: used, **_due(check_at)}))

    def unmark_used(self, slot_id, c: Claim, now: datetime) -> bool:
        """A used claim whose appointment has moved on is a booking again, due now: its seats
        are given back like any claim no appointment names."""
        path = f"claims.{claim_key(c.claim_id)}"
        conditions = {f"{path}.state": {"$in": [s.value for s in USED]}}
        changes = {f"{path}.state": "BOOKED", f"{path}.checkAt": now, **_due(now)}
        return self._update(slot_id, conditions, _set_stage(now, changes))

    def settle(self, slot_id, c: Claim) -> bool:
        """Drop a claim the appointment now agrees with: a booking (its seats stay counted and
        its holder pointer stays) or a tombstone. A hold and a used booking keep their claim,
        only its check goes."""
        path = f"claims.{claim_key(c.claim_id)}"
        conditions = {f"{path}.state": c.state.value}
        if c.state in KEPT:
            update: dict | list = {"$set": {f"{path}.checkAt": None}, "$inc": {"rev": 1}}
        else:
            update = _drop_stages(path)
        return self._update(slot_id, conditions, update)

    def slots_due(self, now: datetime, limit: int) -> list:
        cursor = self.collection.find({"due": {"$lte": now}}, {"_id": 1}).limit(limit)
        return [doc["_id"] for doc in cursor]

    def reset_due(self, slot_id, next_check: datetime | None, seen_rev: int) -> bool:
        """Lower bound of the next check, unless the ledger changed since it was read."""
        update = {"$set": {"due": next_check}} if next_check else {"$unset": {"due": ""}}
        return self._update(slot_id, {"rev": seen_rev}, update)


def to_ledger(doc: dict) -> Ledger:
    claims = {}
    for key, c in (doc.get("claims") or {}).items():
        claims[key[1:]] = Claim(
            key[1:],
            c["appointment"],
            c["holder"],
            c["seats"],
            Status(c["state"]),
            c.get("until"),
            c.get("checkAt"),
        )
    holders = {k: v for k, v in (doc.get("holders") or {}).items() if v}
    return Ledger(
        str(doc["_id"]),
        doc["capacity"],
        doc.get("bookedSeats", 0),
        doc.get("heldSeats", 0),
        claims,
        doc.get("rev", 0),
        holders,
    )
