"""Database round trips per API call, counted at the driver level, against recorded budgets.

A test fails when a call needs more round trips than recorded (when one needs fewer, lower
its figure here), e.g. an N+1 in the history: a page of 20 populated appointments must cost as many
queries as a page of one.

How they are counted, the same way on both engines:
- a real MongoDB (MONGODB_URI set): a pymongo CommandListener sees every command on the wire
  (find, getMore, insert, update, findAndModify, aggregate, ...), so it counts what the server
  really receives. It is registered when this module is imported, before any client exists.
- the embedded engine: mongomock sends no commands, so the methods of the collection class
  MongoEngine uses are wrapped and only the outermost call counts (mongomock's
  find_one_and_update calls find_one, which calls find: one round trip on MongoDB). A query is
  counted when it runs (mongomock's `_get_dataset`, when a cursor is first read), not when
  `find()` builds the cursor: like pymongo, MongoEngine builds cursors it never reads (its
  `count()` does), and those cost nothing on the wire.
Index management (createIndexes, listIndexes) is excluded: MongoEngine does it once per
collection, not per request, and every test warms the collections up before counting.
"""

import functools
import os
import threading
from contextlib import contextmanager
from datetime import timedelta

import pytest
from mongoengine.connection import get_db
from pymongo import monitoring

from tests.conftest import NOW

BUDGET = {  # round trips per call, as measured when recorded
    # slot, service (its booking policy, before any seat is taken), take the claim (returns
    # the slot), service (read after the taking: archive ordering), appointment insert, settle
    "book": 6,
    "hold": 5,  # the same without the settle
    "confirm": 6,  # read, ledger confirm, appointment update (returns it), settle, populate (2)
    # read, service (its cancel cutoff), ledger release, appointment update (returns it),
    # settle, populate (2)
    "cancel": 7,
    "slots page": 2,  # count, page
    "appointments page": 4,  # count, page, then services and slots of the whole page at once
}
DATA_COMMANDS = {
    "find",
    "getMore",
    "insert",
    "update",
    "delete",
    "findAndModify",
    "aggregate",
    "count",
    "distinct",
}
COLLECTION_METHODS = (  # "find" only builds a cursor; "_get_dataset" runs the query
    "_get_dataset",
    "find_one",
    "insert_one",
    "insert_many",
    "update_one",
    "update_many",
    "replace_one",
    "delete_one",
    "delete_many",
    "find_one_and_update",
    "find_one_and_replace",
    "find_one_and_delete",
    "count_documents",
    "estimated_document_count",
    "aggregate",
    "distinct",
    "bulk_write",
)


class RoundTrips(monitoring.CommandListener):
    """Counts data commands while armed: wire commands on MongoDB, outermost calls on mongomock."""

    def __init__(self):
        self.armed, self.seen = False, []
        self._depth = threading.local()

    def started(self, event):
        if self.armed and event.command_name in DATA_COMMANDS:
            self.seen.append(event.command_name)

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass

    def wrap(self, collection_class) -> None:
        """Count calls on a collection class that sends no commands (mongomock's)."""
        if getattr(collection_class, "_round_trips_wrapped", False):
            return
        for name in COLLECTION_METHODS:
            setattr(collection_class, name, self._counting(name, getattr(collection_class, name)))
        collection_class._round_trips_wrapped = True

    def _counting(self, name, method):
        @functools.wraps(method)
        def counted(collection, *args, **kwargs):
            depth = getattr(self._depth, "n", 0)
            if self.armed and depth == 0:
                self.seen.append("find" if name == "_get_dataset" else name)
            self._depth.n = depth + 1
            try:
                return method(collection, *args, **kwargs)
            finally:
                self._depth.n = depth

        return counted

    @contextmanager
    def counting(self):
        self.seen, self.armed = [], True
        try:
            yield self.seen
        finally:
            self.armed = False


ROUND_TRIPS = RoundTrips()
if os.environ.get("MONGODB_URI"):
    monitoring.register(ROUND_TRIPS)  # every MongoClient made from now on reports to it


@pytest.fixture
def trips(app):
    if not os.environ.get("MONGODB_URI"):
        ROUND_TRIPS.wrap(type(get_db()["slots"]))
    return ROUND_TRIPS


@pytest.fixture
def world(api, client):
    """A service with 30 future slots, two of them with a booking, every collection warmed up."""
    service = api.service()
    slots = [
        api.slot(service["id"], start=NOW + timedelta(days=1, minutes=30 * i), capacity=25)
        for i in range(30)
    ]
    for slot in slots[:2]:
        assert api.book(slot["id"], user="warm-up").status_code == 201
    assert client.get("/api/v1/appointments").status_code == 200
    return {"service": service, "slots": slots}


def within_budget(trips, budget: str, call) -> bool:
    with trips.counting() as seen:
        response = call()
    assert response.status_code < 300, response.json
    assert len(seen) <= BUDGET[budget], f"{budget}: {len(seen)} round trips {seen}"
    return True


def test_booking_costs_its_budget(trips, world, api):
    assert within_budget(trips, "book", lambda: api.book(world["slots"][5]["id"], user="ada"))


def test_holding_costs_its_budget(trips, world, api):
    assert within_budget(trips, "hold", lambda: api.hold(world["slots"][5]["id"], user="ada"))


def test_confirming_costs_its_budget(trips, world, api, client):
    held = api.hold(world["slots"][5]["id"], user="ada").json
    confirm = f"/api/v1/appointments/{held['id']}/confirm"
    assert within_budget(trips, "confirm", lambda: client.post(confirm))


def test_cancelling_costs_its_budget(trips, world, api, client):
    booked = api.book(world["slots"][5]["id"], user="ada").json
    cancel = f"/api/v1/appointments/{booked['id']}/cancel"
    assert within_budget(trips, "cancel", lambda: client.patch(cancel))


def test_a_page_of_slots_costs_its_budget(trips, world, client):
    page = client.get("/api/v1/slots", query_string={"page_size": 20})
    assert len(page.json) == 20
    assert within_budget(
        trips, "slots page", lambda: client.get("/api/v1/slots", query_string={"page_size": 20})
    )


@pytest.mark.parametrize("appointments", [1, 20])
def test_a_page_of_populated_appointments_costs_the_same_for_1_or_20(
    trips, world, api, client, appointments
):
    for i in range(appointments):  # on different slots, so each needs its own slot document
        assert api.book(world["slots"][10 + i]["id"], user=f"user-{i}").status_code == 201
    query = {"page_size": appointments}
    page = client.get("/api/v1/appointments", query_string=query)
    assert len(page.json) == appointments and all(a["slot"] and a["service"] for a in page.json)
    assert within_budget(
        trips, "appointments page", lambda: client.get("/api/v1/appointments", query_string=query)
    )
