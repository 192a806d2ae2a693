"""Waiting lists (version 0005): the `waitlist` collection of entries.

A slot's own waiting list lives on the slot document (`waiting`, `waitingSeats`, `joins`);
slots without one simply have none. Safe to run twice: create_index is a no-op for an index
that already exists.
"""

from pymongo import ASCENDING as ASC
from pymongo import DESCENDING as DESC


def up(db) -> None:
    db.waitlist.create_index([("userId", ASC), ("createdAt", DESC), ("_id", DESC)])
    db.waitlist.create_index([("slotId", ASC), ("createdAt", DESC), ("_id", DESC)])
    db.waitlist.create_index([("createdAt", DESC), ("_id", DESC)])
    # leaves whose slot write may not have happened (a process died in between)
    db.waitlist.create_index([("leaving", ASC)], sparse=True)
