"""Seat ledgers keyed by claim rather than by appointment (version 0002).

Before, a slot recorded seats in flight under `entries`, keyed "a" + appointment id, and a
holder pointer named that key. Now every attempt has a claim of its own under `claims`, keyed
"c" + claim id, and the appointment names it in `claimId`; a move remembers the claims it left
in `leaving` instead of `movedFrom`. Existing data keeps its meaning with the appointment id as
the claim id of the seats it holds. Safe to run twice: only documents still in the old shape
are rewritten.
"""

from pymongo import ASCENDING as ASC


def _claim_key(key: str) -> str:
    return "c" + key[1:] if key and key.startswith("a") else key


def up(db) -> None:
    for slot in db.slots.find({"entries": {"$exists": True}}, {"entries": 1, "holders": 1}):
        claims = {
            _claim_key(key): {**entry, "appointment": key[1:]}
            for key, entry in (slot.get("entries") or {}).items()
        }
        holders = {user: _claim_key(key) for user, key in (slot.get("holders") or {}).items()}
        db.slots.update_one(
            {"_id": slot["_id"], "entries": {"$exists": True}},
            {"$set": {"claims": claims, "holders": holders}, "$unset": {"entries": ""}},
        )
    for appointment in db.appointments.find({"claimId": {"$exists": False}}, {"movedFrom": 1}):
        update = {"$set": {"claimId": str(appointment["_id"])}, "$unset": {"movedFrom": ""}}
        if appointment.get("movedFrom"):
            update["$set"]["leaving"] = [
                {"slotId": appointment["movedFrom"], "claimId": str(appointment["_id"])}
            ]
        db.appointments.update_one(
            {"_id": appointment["_id"], "claimId": {"$exists": False}}, update
        )
    if "movedFrom_1" in db.appointments.index_information():
        db.appointments.drop_index("movedFrom_1")
    # appointments whose move has not yet returned the seats of the claims they left
    db.appointments.create_index([("leaving.claimId", ASC)], sparse=True)
