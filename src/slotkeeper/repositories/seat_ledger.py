"""Every change of a slot's seats: one conditional update of the slot document each.

MongoDB applies an update to one document atomically, so the filter (enough free seats, the
claim in the expected state, ...) and the change (counts, claim, holder pointer, status)
cannot be separated by another writer. Pipeline updates let the status be recomputed from
the new counts in the same operation. Keys are hex strings prefixed with a letter, so they
are safe as field names; no user-supplied string ever enters a pipeline.
"""

from datetime import datetime

from pymongo import ReturnDocument

from slotkeeper.domain.ledger import Claim, Ledger, Released, Waiting, claim_key
from slotkeeper.domain.status import USED, Status
from slotkeeper.models import Slot
from slotkeeper.repositories.documents import from_son
from slotkeeper.repositories.ids import object_id

FREE_SEATS = {"$subtract": ["$capacity", {"$add": ["$bookedSeats", "$heldSeats"]}]}
WAITING = {"$ifNull": ["$waiting", []]}
WAITING_SEATS = {"$ifNull": ["$waitingSeats", 0]}
# what anyone not on the waiting list may take
FREE_FOR_NEWCOMERS = {"$subtract": [FREE_SEATS, WAITING_SEATS]}
WAITING_FIELDS = ("entry", "holder", "user", "seats", "at", "n", "claim", "appointment", "ttl")
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


def _seats_of(entries: dict) -> dict:
    # `$sum` of an array variable: the one form both engines read as the array's sum
    seats = {"$map": {"input": entries, "as": "x", "in": "$$x.seats"}}
    return {"$let": {"vars": {"seats": seats}, "in": {"$sum": "$$seats"}}}


def _not_reserved(up_to_n=None) -> dict:
    """The waiting entries not yet reserved (those joined up to number `up_to_n`, if given)."""
    conditions: list = [{"$ne": ["$$v.reserved", True]}]
    if up_to_n is not None:
        conditions.append({"$lte": ["$$v.n", up_to_n]})
    return {"$filter": {"input": WAITING, "as": "v", "cond": {"$and": conditions}}}


def _reserve_stages(now: datetime) -> list:
    """Stages that hold the free seats for the first waiting entries they fit, in join order:
    an entry fits when the seats of the unreserved entries up to it are free, so the first
    that does not fit stops every one behind it. Reserved seats count as held; `waitingSeats`
    drops by as much. No offers once the slot has started."""
    fits = {
        "$and": [
            {"$gt": ["$startTime", now]},
            {"$ne": ["$$w.reserved", True]},
            {"$lte": [_seats_of(_not_reserved("$$w.n")), FREE_SEATS]},
        ]
    }
    reserved = {name: f"$$w.{name}" for name in WAITING_FIELDS} | {"reserved": True}
    left = _seats_of(_not_reserved())
    return [
        {
            "$set": {
                "waiting": {
                    "$map": {"input": WAITING, "as": "w", "in": {"$cond": [fits, reserved, "$$w"]}}
                }
            }
        },
        {
            "$set": {
                "heldSeats": {"$add": ["$heldSeats", {"$subtract": [WAITING_SEATS, left]}]},
                "waitingSeats": left,
            }
        },
    ]


def _counts(delta: dict) -> dict:
    return {field: {"$add": [f"${field}", change]} for field, change in delta.items()}


def _set_stage(now: datetime, changes: dict, then: list | None = None) -> list:
    """The pipeline: apply `changes`, stamp the document, run the stages `then`, then derive
    status from the counts."""
    return [
        {"$set": {**changes, "updatedAt": now, "rev": {"$add": [{"$ifNull": ["$rev", 0]}, 1]}}},
        *(then or []),
        {"$set": {"status": STATUS_FROM_COUNTS}},
    ]


def _claim_doc(c: Claim) -> dict:
    doc = {
        "appointment": c.appointment_id,
        "holder": c.holder,
        "seats": c.seats,
        "state": c.state.value,
        "until": c.until,
        "checkAt": c.check_at,
    }
    if c.entry is not None:  # an offer; never inside a pipeline (the user id is any string)
        doc.update(entry=c.entry, user=c.user_id)
    return doc


def _drop_stages(path: str) -> list:
    """The pipeline that drops a claim, and `due` with it once no claim is left and nobody
    waits (seats reserved for the line still need their offer, which the sweep makes if the
    request that freed them died): the slot then leaves the sweep's index instead of being
    visited once more for nothing. (`$set` to `$$REMOVE` would do in one stage on MongoDB;
    mongomock only removes by `$project`.)"""
    nothing_left = {
        "$and": [
            {"$eq": ["$claims", {"$literal": {}}]},
            {"$eq": [{"$ifNull": ["$waiting", []]}, []]},
        ]
    }
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
        fields = {
            "capacity": 1,
            "bookedSeats": 1,
            "heldSeats": 1,
            "claims": 1,
            "rev": 1,
            "waiting": 1,
            "waitingSeats": 1,
            "startTime": 1,
            "serviceId": 1,
        }
        if holder:
            fields[f"holders.{holder}"] = 1
        doc = self.collection.find_one({"_id": object_id(slot_id, "slot")}, fields)
        return None if doc is None else to_ledger(doc)

    def take(self, slot: Slot, c: Claim, now: datetime) -> Slot | None:
        """Take `c.seats` for the new claim `c`: only while that many are free beyond what the
        waiting list claims, and its user has none here and is not waiting. The slot as it is
        after (without its ledger), or None when refused."""
        key = claim_key(c.claim_id)
        conditions = {
            "$expr": {"$gte": [FREE_FOR_NEWCOMERS, c.seats]},
            f"holders.{c.holder}": None,
            "waiting.holder": {"$ne": c.holder},
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
            projection={"claims": 0, "holders": 0, "waiting": 0},
            return_document=ReturnDocument.AFTER,
        )
        return None if doc is None else from_son(Slot, doc)

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

    def release(
        self, slot_id, c: Claim, to: Status, now: datetime, held_only: bool = False
    ) -> Released | None:
        """Give back the seats of claim `c`, whatever live state it is in now, and leave a
        tombstone in state `to`: EXPIRED only for a hold past its deadline, CANCELLED for a
        hold before it or a booking. A settled booking has no claim document any more: its
        user's holder pointer, cleared here, is what guarantees its seats come back once.
        The seats freed are reserved for the waiting list, as far as they fit, in the same
        update. With `held_only`, only a hold not yet over is released."""
        key = claim_key(c.claim_id)
        path, holder = f"claims.{key}", f"holders.{c.holder}"
        conditions: dict
        if to is Status.EXPIRED:
            conditions = {f"{path}.state": "PENDING", f"{path}.until": {"$lte": now}}
        elif held_only:
            conditions = {f"{path}.state": "PENDING", f"{path}.until": {"$gt": now}}
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
        return self._released(slot_id, conditions, _set_stage(now, changes, _reserve_stages(now)))

    def _released(self, slot_id, conditions: dict, pipeline: list) -> Released | None:
        doc = self.collection.find_one_and_update(
            {"_id": object_id(slot_id, "slot"), **conditions},
            pipeline,
            projection={"waiting": 1, "startTime": 1, "serviceId": 1},
            return_document=ReturnDocument.AFTER,
        )
        if doc is None:
            return None
        waiting = (to_waiting(w) for w in doc.get("waiting") or ())
        return Released(
            str(doc["_id"]),
            str(doc["serviceId"]),
            doc["startTime"],
            tuple(w for w in waiting if w.reserved),
        )

    def join(self, slot_id, w: Waiting, now: datetime, check_at: datetime) -> int | None:
        """Put `w` at the end of the waiting list: only while the seats it asks for cannot be
        taken by a newcomer, and its user neither holds seats here nor waits already. Its
        place in the line (from 1), or None when refused."""
        conditions = {
            "$expr": {"$lt": [FREE_FOR_NEWCOMERS, w.seats]},
            f"holders.{w.holder}": None,
            "waiting.holder": {"$ne": w.holder},
            "startTime": {"$gt": now},
        }
        joins = {"$add": [{"$ifNull": ["$joins", 0]}, 1]}
        entry = {
            "entry": w.entry,
            "holder": w.holder,
            "user": {"$literal": w.user_id},
            "seats": w.seats,
            "at": w.at,
            "n": joins,
            "claim": w.claim_id,
            "appointment": w.appointment_id,
            "ttl": w.offer_seconds,
            "reserved": False,
        }
        # an array of one computed object: $map over a literal, as both engines evaluate it
        one = {"$map": {"input": {"$literal": [0]}, "as": "z", "in": entry}}
        changes = {
            "waiting": {"$concatArrays": [WAITING, one]},
            "waitingSeats": {"$add": [WAITING_SEATS, w.seats]},
            "joins": joins,
            **_due(check_at),
        }
        doc = self.collection.find_one_and_update(
            {"_id": object_id(slot_id, "slot"), **conditions},
            _set_stage(now, changes),
            projection={"waiting.entry": 1},
            return_document=ReturnDocument.AFTER,
        )
        if doc is None:
            return None
        return 1 + [x["entry"] for x in doc["waiting"]].index(w.entry)

    def leave(self, slot_id, w: Waiting, now: datetime) -> Released | None:
        """Take `w` off the waiting list while no seats are reserved for it; seats it stood in
        front of may now be reserved for those behind it."""
        conditions = {"waiting": {"$elemMatch": {"entry": w.entry, "reserved": False}}}
        changes = {
            "waiting": {
                "$filter": {"input": WAITING, "as": "v", "cond": {"$ne": ["$$v.entry", w.entry]}}
            },
            "waitingSeats": {"$subtract": [WAITING_SEATS, w.seats]},
            **_due(now),
        }
        return self._released(slot_id, conditions, _set_stage(now, changes, _reserve_stages(now)))

    def offer(self, slot_id, w: Waiting, c: Claim, now: datetime) -> bool:
        """Turn the seats reserved for `w` into its offer, the claim `c` (a hold): only while
        they are still reserved for it. The counts do not change."""
        key = claim_key(c.claim_id)
        conditions = {
            "waiting": {"$elemMatch": {"entry": w.entry, "reserved": True}},
            f"holders.{c.holder}": None,
        }
        update = {
            "$pull": {"waiting": {"entry": w.entry}},
            "$set": {f"claims.{key}": _claim_doc(c), f"holders.{c.holder}": key, "updatedAt": now},
            "$min": {"due": c.check_at},
            "$inc": {"rev": 1},
        }
        return self._update(slot_id, conditions, update)

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

    def waiting_of(self, slot_ids) -> dict[str, list[str]]:
        """The entry ids of each slot's waiting list, in join order."""
        ids = [object_id(i, "slot") for i in set(slot_ids)]
        cursor = self.collection.find({"_id": {"$in": ids}}, {"waiting.entry": 1})
        return {str(d["_id"]): [w["entry"] for w in d.get("waiting") or ()] for d in cursor}

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
            c.get("entry"),
            c.get("user"),
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
        tuple(to_waiting(w) for w in doc.get("waiting") or ()),
        doc.get("waitingSeats", 0),
        doc.get("startTime"),
        str(doc["serviceId"]) if "serviceId" in doc else None,
    )


def to_waiting(w: dict) -> Waiting:
    return Waiting(
        w["entry"],
        w["holder"],
        w["user"],
        w["seats"],
        w["at"],
        w["claim"],
        w["appointment"],
        w["ttl"],
        bool(w.get("reserved")),
    )
