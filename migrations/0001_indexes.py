"""Every index the models need, as they were at version 0001.

create_index is a no-op for an index that already exists with the same keys and options,
so running this twice changes nothing. The names are pymongo's defaults, which are also the
names MongoEngine gives the same declarations in the models' meta.
"""

from pymongo import ASCENDING as ASC
from pymongo import DESCENDING as DESC

KEY_LIFETIME_SECONDS = 24 * 3600

INDEXES = {
    "services": [
        ([("name", ASC), ("_id", ASC)], {}),  # the list is sorted by name, then id
        ([("category", ASC)], {}),
    ],
    "slots": [
        # one slot per service and start time: SLOT_EXISTS, and generate's idempotency
        ([("serviceId", ASC), ("startTime", ASC)], {"unique": True}),
        ([("startTime", ASC), ("_id", ASC)], {}),
        # slots whose ledger needs the sweep's attention
        ([("due", ASC)], {"sparse": True}),
        # only slots with seats held: the seats-held gauge sums them cheaply
        ([("heldSeats", ASC)], {"partialFilterExpression": {"heldSeats": {"$gt": 0}}}),
    ],
    "appointments": [
        ([("userId", ASC), ("createdAt", DESC), ("_id", DESC)], {}),
        ([("slotId", ASC), ("createdAt", ASC), ("_id", ASC)], {}),
        ([("serviceId", ASC), ("createdAt", DESC), ("_id", DESC)], {}),
        ([("createdAt", DESC), ("_id", DESC)], {}),
        # the sweep's stale holds
        ([("status", ASC), ("expiresAt", ASC)], {}),
        # reschedules that have not yet freed their old slot
        ([("movedFrom", ASC)], {"sparse": True}),
    ],
    "idempotency_keys": [
        ([("userId", ASC), ("key", ASC)], {"unique": True}),
        ([("createdAt", ASC)], {"expireAfterSeconds": KEY_LIFETIME_SECONDS}),
    ],
}


def up(db) -> None:
    for collection, indexes in INDEXES.items():
        for keys, options in indexes:
            db[collection].create_index(keys, **options)
