"""The embedded engine must give MongoDB's single-document atomicity under threads."""

import contextlib
import datetime
import sys
import threading

import mongoengine
import mongomock
import pytest
from pymongo import ReadPreference

from slotkeeper.database.embedded import SerializedMongoClient

ROUNDS = 10
DOCS = 100
THREADS = 8


@contextlib.contextmanager
def _fast_thread_switching():
    # Switching threads every microsecond makes harmful interleavings near-certain.
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(previous)


def _run_threads(count, target):
    """Start ``count`` threads on ``target(index, barrier)``; re-raise their errors."""
    barrier = threading.Barrier(count, timeout=30)
    errors = []

    def run(index):
        try:
            target(index, barrier)
        except BaseException as exc:  # noqa: BLE001 - reported to the test thread
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
        assert not thread.is_alive(), "worker thread hung"
    if errors:
        raise errors[0]


def _booking_race(collection):
    """One round: THREADS threads all try to claim each of DOCS slots; wins per slot."""
    collection.drop()
    collection.insert_many([{"_id": i, "taken": False} for i in range(DOCS)])
    wins = [0] * DOCS
    wins_lock = threading.Lock()

    def claim_all(_index, barrier):
        barrier.wait()
        for slot in range(DOCS):
            won = collection.find_one_and_update(
                {"_id": slot, "taken": False}, {"$set": {"taken": True}}
            )
            if won is not None:
                with wins_lock:
                    wins[slot] += 1

    _run_threads(THREADS, claim_all)
    return wins


def test_plain_mongomock_double_books_under_a_race():
    collection = mongomock.MongoClient()["race"]["slots"]
    with _fast_thread_switching():
        for round_number in range(1, ROUNDS + 1):
            wins = _booking_race(collection)
            double_booked = [slot for slot, won in enumerate(wins) if won > 1]
            if double_booked:
                print(
                    f"plain mongomock double-booked {len(double_booked)} slots in round "
                    f"{round_number}"
                )
                break
    assert double_booked, f"no double booking seen in {ROUNDS} rounds"


def test_serialized_engine_never_double_books():
    collection = SerializedMongoClient()["race"]["slots"]
    with _fast_thread_switching():
        for round_number in range(1, ROUNDS + 1):
            wins = _booking_race(collection)
            assert wins == [1] * DOCS, f"round {round_number}: wins per slot {wins}"
            assert collection.count_documents({"taken": False}) == 0


def test_serialized_engine_conditional_increment_respects_capacity():
    capacity, threads, attempts = 100, 16, 50
    collection = SerializedMongoClient()["race"]["slots"]
    collection.insert_one({"_id": "slot", "booked": 0})
    successes = []

    def book(_index, barrier):
        barrier.wait()
        for _ in range(attempts):
            result = collection.update_one(
                {"_id": "slot", "booked": {"$lt": capacity}}, {"$inc": {"booked": 1}}
            )
            if result.modified_count:
                successes.append(1)  # list.append is atomic

    with _fast_thread_switching():
        _run_threads(threads, book)

    assert len(successes) == capacity
    assert collection.find_one({"_id": "slot"})["booked"] == capacity


def test_serialized_cursors_see_whole_documents_while_others_write():
    collection = SerializedMongoClient()["race"]["slots"]
    collection.insert_many([{"_id": i, "a": 0, "b": 0} for i in range(50)])
    stop = threading.Event()

    def write(index, barrier):
        barrier.wait()
        step = 0
        while not stop.is_set():
            step += 1
            # Multi-field updates of live documents: a torn read would see a != b.
            collection.update_many({}, {"$set": {"a": step, "b": step}})
            collection.insert_one({"_id": f"tmp-{index}-{step}", "a": step, "b": step})
            collection.delete_one({"_id": f"tmp-{index}-{step}"})

    def read(_index, barrier):
        barrier.wait()
        try:
            for iteration in range(50):
                sort = [("a", -1)] if iteration % 2 else None
                cursor = collection.find({}, sort=sort)
                seen = 0
                for document in cursor:
                    assert set(document) == {"_id", "a", "b"}
                    assert document["a"] == document["b"], document
                    seen += 1
                assert seen >= 50
        finally:
            stop.set()

    def worker(index, barrier):
        (read if index == 0 else write)(index, barrier)

    with _fast_thread_switching():
        _run_threads(3, worker)


def test_serialized_engine_shares_one_lock_and_stays_serialized():
    client = SerializedMongoClient()
    slots, other = client["a"]["slots"], client["b"].get_collection("other")
    assert slots._lock is other._lock is client._lock
    derived = slots.with_options(read_preference=ReadPreference.SECONDARY_PREFERRED)
    assert isinstance(derived, type(slots)) and derived._lock is client._lock
    assert isinstance(
        client["a"].with_options(read_preference=ReadPreference.SECONDARY_PREFERRED)["slots"],
        type(slots),
    )
    # Plain mongomock must stay untouched.
    assert type(mongomock.MongoClient()["a"]["slots"]) is mongomock.Collection


ALIAS = "embedded-test"


class EmbeddedEngineProbe(mongoengine.Document):
    name = mongoengine.StringField(required=True)
    starts_at = mongoengine.DateTimeField()
    taken = mongoengine.BooleanField(default=False)
    meta = {"db_alias": ALIAS, "collection": "embedded_engine_probe"}


@pytest.fixture
def embedded_connection():
    client = mongoengine.connect(
        db="t",
        alias=ALIAS,
        mongo_client_class=SerializedMongoClient,
        tz_aware=True,
        uuidRepresentation="standard",
    )
    try:
        yield client
    finally:
        mongoengine.disconnect(alias=ALIAS)


def test_mongoengine_uses_the_serialized_engine(embedded_connection):
    assert isinstance(embedded_connection, SerializedMongoClient)
    starts_at = datetime.datetime(2030, 1, 2, 9, 30, tzinfo=datetime.UTC)
    probe = EmbeddedEngineProbe(name="dentist", starts_at=starts_at).save()

    loaded = EmbeddedEngineProbe.objects.get(id=probe.id)
    assert loaded.name == "dentist" and loaded.starts_at == starts_at
    assert loaded.starts_at.tzinfo is not None

    collection = EmbeddedEngineProbe._get_collection()
    assert collection._lock is embedded_connection._lock
    assert type(collection).__module__ == "slotkeeper.database.embedded"
    queryset = EmbeddedEngineProbe.objects(name="dentist")
    assert queryset._cursor.collection._lock is embedded_connection._lock

    winners = []

    def claim(_index, barrier):
        barrier.wait()
        if EmbeddedEngineProbe.objects(id=probe.id, taken=False).update_one(set__taken=True):
            winners.append(1)

    with _fast_thread_switching():
        _run_threads(THREADS, claim)
    assert len(winners) == 1
