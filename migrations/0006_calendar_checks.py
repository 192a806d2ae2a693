"""Calendar checks (version 0006): the sparse index on `calendars.due`.

A closure whose slots are still to be removed, or a span being taken back, carries a
`checkAt`, and its calendar a `due` (a lower bound of them), so the sweep finds the few
calendars a dead process left work on without reading the others. Calendars without one are
not in the index. Safe to run twice: create_index is a no-op for an index that exists.
"""

from pymongo import ASCENDING as ASC


def up(db) -> None:
    db.calendars.create_index([("due", ASC)], sparse=True)
