"""migrations/: versioned scripts applied in order, each once, even by two runners at once
(threads here, and two `slotkeeper migrate` processes on a server), under their own
generous timeout rather than the client's."""

import os
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from mongoengine.connection import get_db
from pymongo import MongoClient
from pymongo.errors import DuplicateKeyError, PyMongoError

from slotkeeper.database.connection import mongodb_options
from slotkeeper.database.migrations import (
    COLLECTION,
    DEFAULT_DIR,
    LOCK_ID,
    MigrationError,
    MigrationLock,
    _load,
    applied_versions,
    apply_migrations,
    discover,
)
from slotkeeper.models import (
    Appointment,
    Calendar,
    Delivery,
    IdempotencyRecord,
    Service,
    Slot,
    Tally,
    WaitlistEntry,
    Webhook,
)
from tests.conftest import test_settings
from tests.production.conftest import failpoint, needs_server, server_uri

ROOT = Path(__file__).resolve().parents[2]

MODELS = [
    Service,
    Slot,
    Appointment,
    IdempotencyRecord,
    Webhook,
    Delivery,
    Calendar,
    Tally,
    WaitlistEntry,
]
OPTIONS = ("unique", "sparse", "expireAfterSeconds", "partialFilterExpression")
COUNTING = """
import time

def up(db):
    db.runs.update_one({{"_id": "{version}"}}, {{"$inc": {{"count": 1}}}}, upsert=True)
    db.order.update_one({{"_id": "order"}}, {{"$push": {{"versions": "{version}"}}}}, upsert=True)
    time.sleep(0.05)  # a window for a second runner to barge in
"""


@pytest.fixture
def db(app):
    """The configured database with nothing in it, not even indexes; migrated again after."""
    with app.app_context():
        database = get_db()
        for name in database.list_collection_names():
            database.drop_collection(name)
        yield database
        for name in database.list_collection_names():
            database.drop_collection(name)
        apply_migrations(database, DEFAULT_DIR)


def write_scripts(directory, *versions: str, body: str = COUNTING):
    for version in versions:
        (directory / f"{version}_step.py").write_text(body.format(version=version))
    return directory


def test_all_migrations_apply_in_order_and_a_second_run_applies_nothing(db):
    first = apply_migrations(db, DEFAULT_DIR)
    assert [m.version for m in first] == [m.version for m in discover(DEFAULT_DIR)]
    assert first[0].version == "0001"
    assert apply_migrations(db, DEFAULT_DIR) == []
    assert set(applied_versions(db)) == {m.version for m in first}


def test_versions_run_in_numeric_order(db, tmp_path):
    write_scripts(tmp_path, "0010", "0002", "0001")
    apply_migrations(db, tmp_path)
    assert db.order.find_one()["versions"] == ["0001", "0002", "0010"]


def test_two_runners_at_once_apply_each_version_exactly_once(db, tmp_path):
    write_scripts(tmp_path, "0001", "0002", "0003")
    start, results = threading.Barrier(2), []

    def runner():
        start.wait()
        results.append(apply_migrations(db, tmp_path, wait=10))

    threads = [threading.Thread(target=runner) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert sorted(m.version for result in results for m in result) == ["0001", "0002", "0003"]
    assert {doc["_id"]: doc["count"] for doc in db.runs.find()} == {"0001": 1, "0002": 1, "0003": 1}
    assert db.order.find_one()["versions"] == ["0001", "0002", "0003"]


def test_the_real_migrations_from_two_runners_at_once_leave_every_index(db):
    results = []
    threads = [
        threading.Thread(target=lambda: results.append(apply_migrations(db, DEFAULT_DIR)))
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert sorted(str(m) for result in results for m in result) == [
        str(m) for m in discover(DEFAULT_DIR)
    ]
    assert_declared_indexes_exist(db)


def index_options(info: dict) -> dict:
    return {key: info[key] for key in OPTIONS if key in info}


def assert_declared_indexes_exist(db) -> None:
    for model in MODELS:
        existing = {
            tuple(tuple(k) for k in info["key"]): index_options(info)
            for name, info in db[model._get_collection_name()].index_information().items()
            if name != "_id_"
        }
        declared = {
            tuple(spec["fields"]): index_options(spec) for spec in model._meta["index_specs"]
        }
        assert existing == declared, model.__name__


def test_after_the_migrations_the_indexes_are_exactly_those_the_models_declare(db):
    apply_migrations(db, DEFAULT_DIR)
    assert_declared_indexes_exist(db)
    slots = db.slots.index_information()
    assert slots["serviceId_1_startTime_1"].get("unique") is True
    assert db.idempotency_keys.index_information()["createdAt_1"]["expireAfterSeconds"] == 24 * 3600


def test_the_unique_slot_index_refuses_a_second_slot_at_the_same_start(db):
    apply_migrations(db, DEFAULT_DIR)
    slot = {"serviceId": "s1", "startTime": datetime(2030, 1, 7, 9, tzinfo=UTC)}
    db.slots.insert_one(dict(slot))
    with pytest.raises(DuplicateKeyError):
        db.slots.insert_one(dict(slot))


def test_a_failing_migration_is_not_recorded_and_frees_the_lock(db, tmp_path):
    write_scripts(tmp_path, "0001")
    (tmp_path / "0002_broken.py").write_text("def up(db):\n    raise RuntimeError('half done')\n")
    with pytest.raises(RuntimeError, match="half done"):
        apply_migrations(db, tmp_path)
    assert set(applied_versions(db)) == {"0001"}
    assert db[COLLECTION].find_one({"_id": LOCK_ID})["owner"] is None
    (tmp_path / "0002_broken.py").write_text("def up(db):\n    pass\n")
    assert [m.version for m in apply_migrations(db, tmp_path)] == ["0002"]


def test_a_runner_that_died_holding_the_lock_delays_others_only_until_its_lease_ends(db, tmp_path):
    write_scripts(tmp_path, "0001")
    until = datetime.now(UTC) + timedelta(milliseconds=300)
    db[COLLECTION].insert_one({"_id": LOCK_ID, "owner": "dead-runner", "expiresAt": until})
    with pytest.raises(MigrationError, match="dead-runner"):
        apply_migrations(db, tmp_path, wait=0.05)
    started = time.monotonic()
    assert [m.version for m in apply_migrations(db, tmp_path, wait=10)] == ["0001"]
    assert time.monotonic() - started < 5


def test_a_runner_whose_lease_was_taken_over_stops(db):
    lock = MigrationLock(db, timedelta(minutes=1))
    assert lock.try_acquire()
    assert not MigrationLock(db, timedelta(minutes=1)).try_acquire()
    db[COLLECTION].update_one({"_id": LOCK_ID}, {"$set": {"owner": "someone-else"}})
    with pytest.raises(MigrationError, match="taken"):
        lock.renew()


@pytest.mark.parametrize("name", ["1_short.py", "0001-dash.py", "0001_.txt.py"])
def test_a_misnamed_script_is_an_error_not_silently_skipped(tmp_path, name):
    (tmp_path / name).write_text("def up(db):\n    pass\n")
    with pytest.raises(MigrationError, match="NNNN_name"):
        discover(tmp_path)


def test_two_scripts_with_one_version_are_an_error(tmp_path):
    write_scripts(tmp_path, "0001")
    (tmp_path / "0001_other.py").write_text("def up(db):\n    pass\n")
    with pytest.raises(MigrationError, match="0001"):
        discover(tmp_path)


def test_a_missing_directory_is_an_error_naming_the_setting(tmp_path):
    with pytest.raises(MigrationError, match="MIGRATIONS_DIR"):
        discover(tmp_path / "nowhere")


def test_ledgers_of_version_0001_become_claims_the_appointments_name(db):
    from bson import ObjectId

    slot_id, booked, moved, old_slot = ObjectId(), ObjectId(), ObjectId(), ObjectId()
    db.slots.insert_one(
        {
            "_id": slot_id,
            "capacity": 3,
            "bookedSeats": 2,
            "heldSeats": 0,
            "entries": {
                f"a{moved}": {"holder": "ubob", "seats": 1, "state": "BOOKED", "checkAt": None}
            },
            "holders": {"uann": f"a{booked}", "ubob": f"a{moved}"},
        }
    )
    db.appointments.insert_many(
        [
            {"_id": booked, "slotId": slot_id, "status": "BOOKED", "seats": 1},
            {
                "_id": moved,
                "slotId": slot_id,
                "status": "BOOKED",
                "seats": 1,
                "movedFrom": old_slot,
            },
        ]
    )
    apply_migrations(db, DEFAULT_DIR)
    apply_migrations(db, DEFAULT_DIR)  # nothing left to convert
    slot = db.slots.find_one({"_id": slot_id})
    assert "entries" not in slot
    assert slot["holders"] == {"uann": f"c{booked}", "ubob": f"c{moved}"}
    assert slot["claims"][f"c{moved}"]["appointment"] == str(moved)
    assert db.appointments.find_one({"_id": booked})["claimId"] == str(booked)
    after_move = db.appointments.find_one({"_id": moved})
    assert "movedFrom" not in after_move
    assert after_move["leaving"] == [{"slotId": old_slot, "claimId": str(moved)}]


def test_a_script_longer_than_the_lease_keeps_the_lock_while_it_runs(db, tmp_path):
    (tmp_path / "0001_slow.py").write_text("import time\n\ndef up(db):\n    time.sleep(3.0)\n")
    lease, done = timedelta(seconds=2), []  # renewed every 500 ms while the script runs
    runner = threading.Thread(
        target=lambda: done.append(apply_migrations(db, tmp_path, lease=lease))
    )
    runner.start()
    rival, barged_in = MigrationLock(db, lease), None
    deadline = time.monotonic() + 20
    while runner.is_alive() and time.monotonic() < deadline:  # the script's 3 s
        lock = db[COLLECTION].find_one({"_id": LOCK_ID}) or {}
        # the runner records the script, then frees the lock: taking it before the record
        # exists is taking it from a running script
        if lock.get("owner") and rival.try_acquire() and "0001" not in applied_versions(db):
            barged_in = (lock, datetime.now(UTC))
            break
        time.sleep(0.02)
    runner.join(timeout=20)
    assert barged_in is None, f"another runner took the lock while the script ran: {barged_in}"
    assert [m.version for m in done[0]] == ["0001"]


@needs_server
def test_a_script_gets_the_migration_timeout_not_the_clients_short_one(app, tmp_path):
    """An index build that takes longer than the client's timeoutMS (a failpoint holds the
    createIndexes command 1.5 s; the client allows 300 ms) completes inside a migration."""
    settings = test_settings().with_overrides(mongodb_timeout_ms=300)
    client = MongoClient(server_uri(), **mongodb_options(settings))
    admin = MongoClient(server_uri(), appname="slotkeeper-tests", serverSelectionTimeoutMS=5000)
    db = client[f"slotkeeper_timeout_{uuid.uuid4().hex[:8]}"]
    (tmp_path / "0001_index.py").write_text('def up(db):\n    db.things.create_index("x")\n')
    slow = {
        "failCommands": ["createIndexes"],
        "blockConnection": True,
        "blockTimeMS": 1500,
        "appName": "slotkeeper",
    }
    try:
        with failpoint(admin, slow, mode={"times": 1}):
            with pytest.raises(PyMongoError) as cut_off:  # what the client's own timeout does
                db.others.create_index("x")
            assert cut_off.value.timeout
        with failpoint(admin, slow, mode={"times": 1}):
            applied = apply_migrations(db, tmp_path, timeout=timedelta(seconds=60))
        assert [m.version for m in applied] == ["0001"]
        assert "x_1" in admin[db.name].things.index_information()
    finally:
        admin.drop_database(db.name)
        admin.close()
        client.close()


@needs_server
def test_two_migrate_processes_started_together_apply_each_migration_once(tmp_path):
    write_scripts(tmp_path, "0001", "0002", "0003")
    name = f"slotkeeper_migrate_{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "MONGODB_URI": server_uri(),
        "MONGODB_DB": name,
        "MIGRATIONS_DIR": str(tmp_path),
        "LOG_LEVEL": "INFO",
    }
    argv = [sys.executable, "-m", "slotkeeper", "migrate", "--wait", "60"]
    runners = [
        subprocess.Popen(
            argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        for _ in range(2)
    ]
    outputs = [runner.communicate(timeout=90)[0] for runner in runners]
    client = MongoClient(server_uri(), serverSelectionTimeoutMS=5000)
    try:
        db = client[name]
        assert [runner.returncode for runner in runners] == [0, 0], outputs
        applied = [
            line for out in outputs for line in out.splitlines() if line.startswith("applied ")
        ]
        assert sorted(applied) == ["applied 0001_step", "applied 0002_step", "applied 0003_step"]
        assert {doc["_id"]: doc["count"] for doc in db.runs.find()} == {
            "0001": 1,
            "0002": 1,
            "0003": 1,
        }
        assert db.order.find_one()["versions"] == ["0001", "0002", "0003"]
        assert sorted(applied_versions(db)) == ["0001", "0002", "0003"]
    finally:
        client.drop_database(name)
        client.close()


def test_the_calendar_migration_gives_every_service_with_slots_the_spans_of_its_slots(db):
    start = datetime(2030, 1, 7, 9, tzinfo=UTC)
    service_id = db.services.insert_one({"name": "Dr. Old"}).inserted_id
    db.services.insert_one({"name": "Dr. Without Slots"})
    later, earlier = (
        db.slots.insert_one(
            {
                "serviceId": service_id,
                "startTime": start + timedelta(hours=h),
                "endTime": start + timedelta(hours=h, minutes=30),
                "capacity": 1,
            }
        ).inserted_id
        for h in (1, 0)
    )
    apply_migrations(db, DEFAULT_DIR)
    calendar = db.calendars.find_one({"_id": service_id})
    assert [s["slot"] for s in calendar["spans"]] == [earlier, later]
    assert [s["start"].replace(tzinfo=UTC) for s in calendar["spans"]] == [
        start,
        start + timedelta(hours=1),
    ]
    assert db.calendars.count_documents({}) == 1
    script = next(m for m in discover(DEFAULT_DIR) if m.version == "0004")
    _load(script.path, script.checksum).up(db)  # a second run changes nothing
    assert db.calendars.find_one({"_id": service_id}) == calendar
