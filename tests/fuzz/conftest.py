"""A seeded database for the fuzz tests: real ids of every kind and every appointment status,
restored before each generated request so every example starts from the same state."""

from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from mongoengine.connection import get_db

from tests.conftest import NOW


@dataclass
class Seed:
    """The ids the seeded database holds, and a snapshot of it to restore."""

    ids: dict[str, list[str]] = field(default_factory=dict)
    snapshot: dict[str, list[dict]] = field(default_factory=dict)
    dirty: bool = False  # whether a request may have changed the database since the snapshot

    def take_snapshot(self) -> None:
        db = get_db()
        self.snapshot = {name: list(db[name].find()) for name in db.list_collection_names()}
        self.dirty = False

    def restore(self) -> None:
        """Back to the snapshot (a no-op unless a request since then may have written)."""
        if not self.dirty:
            return
        self.dirty = False
        db = get_db()
        for name in db.list_collection_names():
            db[name].delete_many({})
        for name, docs in self.snapshot.items():
            if docs:
                db[name].insert_many([dict(doc) for doc in docs])

    def unchanged(self) -> bool:
        """Whether every document is as in the snapshot (and no document was added)."""
        db = get_db()
        now = {name: list(db[name].find()) for name in db.list_collection_names()}
        return {k: v for k, v in now.items() if v} == {k: v for k, v in self.snapshot.items() if v}


@pytest.fixture
def seed(app, api, clock) -> Seed:
    """Two services (one archived), four slots and appointments PENDING, BOOKED, CANCELLED."""
    open_, archived = api.service(name="Dentist"), api.service(name="Closed")
    slots = [
        api.slot(open_["id"], start=NOW + timedelta(days=1, hours=h), capacity=c)
        for h, c in ((0, 3), (1, 1), (2, 5))
    ]
    slots.append(api.slot(archived["id"], start=NOW + timedelta(days=1)))
    booked = api.book(slots[0]["id"], user="alice").json
    pending = api.hold(slots[0]["id"], user="bob").json
    cancelled = api.book(slots[2]["id"], user="carol").json
    assert api.client.patch(f"/api/v1/appointments/{cancelled['id']}/cancel").status_code == 200
    assert api.client.delete(f"/api/v1/services/{archived['id']}").status_code == 204
    seed = Seed(
        ids={
            "service": [open_["id"], archived["id"]],
            "slot": [s["id"] for s in slots],
            "appointment": [booked["id"], pending["id"], cancelled["id"]],
        }
    )
    with app.app_context():
        seed.take_snapshot()
    return seed
