"""The benchmark's slotkeeper: `wsgi:app` plus one bench-only endpoint that stores data fast.

    POST /bench/seed {"slots": n, "appointments": m, "users": u}

inserts n fully booked slots (one holder pointer per booking) and m BOOKED appointments on
them naming their claims, spread over u users, straight into the
database the app uses. Growing a collection to 50k slots and 100k appointments through the
API would take minutes; this takes seconds. The documents have the shape the use cases
write (settled bookings: no claims in flight, no `due`), so the sweep has nothing to do on
them, as on a real database after its bookings settled. Never part of the service.
"""

import hashlib
from datetime import UTC, datetime, timedelta

from bson import ObjectId
from flask import request
from wsgi import app

FIRST_DAY = datetime(2031, 1, 1, tzinfo=UTC)
seeded = {"slots": 0}


def _holder(user: str) -> str:
    return "u" + hashlib.sha256(user.encode()).hexdigest()[:32]


@app.post("/bench/seed")
def seed():
    from slotkeeper.models import Appointment, Service, Slot

    body = request.get_json()
    n, users = body["slots"], body.get("users", 5000)
    each, extra = divmod(body.get("appointments", n), n)
    now = datetime.now(UTC)
    service = Service(name="Seeded", created_at=now, updated_at=now).save()
    slots, appointments = [], []
    for i in range(n):
        k = seeded["slots"] + i
        start = FIRST_DAY + timedelta(minutes=5 * k)
        slot_id, holders = ObjectId(), {}
        per_slot = max(1, each + (i < extra))
        for _ in range(per_slot):
            user, claim = f"user-{len(appointments) % users}", str(ObjectId())
            holders[_holder(user)] = "c" + claim
            appointments.append(
                {
                    "_id": ObjectId(),
                    "slotId": slot_id,
                    "serviceId": service.id,
                    "userId": user,
                    "seats": 1,
                    "status": "BOOKED",
                    "claimId": claim,
                    "createdAt": now - timedelta(days=30, seconds=-len(appointments)),
                    "updatedAt": now,
                    "leaving": [],
                    "outbox": [],
                    "sequence": 0,
                }
            )
        slots.append(
            {
                "_id": slot_id,
                "serviceId": service.id,
                "startTime": start,
                "endTime": start + timedelta(minutes=5),
                "capacity": per_slot,
                "bookedSeats": per_slot,
                "heldSeats": 0,
                "status": "BOOKED",
                "claims": {},
                "holders": holders,
                "rev": 2 * per_slot,
                "createdAt": now,
                "updatedAt": now,
            }
        )
    Slot._get_collection().insert_many(slots)
    Appointment._get_collection().insert_many(appointments)
    seeded["slots"] += n
    return {"slots": n, "appointments": len(appointments)}, 201
