"""Versioned migrations: numbered scripts in migrations/, applied in order, each exactly once.

A script `NNNN_name.py` defines `up(db)`, taking a pymongo Database; it must be safe to run
again (a runner that dies after `up` but before recording it repeats it), and it must not
import the app's models, so it keeps meaning what it meant when it was written.

Bookkeeping lives in the `migrations` collection: one document per applied version
(`{_id: "0001", name, checksum, appliedAt, appliedBy}`) and one lock document
(`{_id: "lock", owner, expiresAt}`). A runner takes the lock with one conditional upsert
(free or expired -> mine; a concurrent insert of the same `_id` fails with a duplicate key),
so runs never interleave and versions are applied in order even when two processes start
together; the loser waits and then finds nothing left to do. The lock is a lease, renewed
before each version, so a runner that dies cannot block the others for longer than LEASE.
"""

import functools
import hashlib
import importlib.util
import logging
import os
import re
import socket
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pymongo.errors import DuplicateKeyError

log = logging.getLogger(__name__)

COLLECTION = "migrations"
LOCK_ID = "lock"
LEASE = timedelta(minutes=10)
SCRIPT = re.compile(r"^(\d{4})_(\w+)\.py$")
# the repository's migrations/, next to src/ (an editable install or a checkout)
DEFAULT_DIR = Path(__file__).resolve().parents[3] / "migrations"


class MigrationError(RuntimeError):
    """Migrations cannot be found, loaded or applied."""


@dataclass(frozen=True)
class Migration:
    version: str
    name: str
    path: Path

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()

    def __str__(self) -> str:
        return f"{self.version}_{self.name}"


def migrations_dir(settings) -> Path:
    return Path(settings.migrations_dir) if settings.migrations_dir else DEFAULT_DIR


def discover(directory: Path) -> list[Migration]:
    """The scripts of `directory` in version order; a misnamed or duplicate one is an error."""
    if not directory.is_dir():
        raise MigrationError(f"no migrations directory at {directory} (set MIGRATIONS_DIR)")
    found: dict[str, Migration] = {}
    for path in sorted(directory.glob("*.py")):
        if path.name.startswith("_"):
            continue
        match = SCRIPT.match(path.name)
        if match is None:
            raise MigrationError(f"{path.name}: a migration is named NNNN_name.py")
        version, name = match.groups()
        if version in found:
            raise MigrationError(
                f"{path.name}: version {version} is also {found[version].path.name}"
            )
        found[version] = Migration(version, name, path)
    return [found[v] for v in sorted(found)]


def applied_versions(db) -> dict[str, dict]:
    return {doc["_id"]: doc for doc in db[COLLECTION].find({"appliedAt": {"$exists": True}})}


def pending(db, migrations: list[Migration]) -> list[Migration]:
    done = applied_versions(db)
    for m in migrations:
        if m.version in done and done[m.version].get("checksum") != m.checksum:
            log.warning("migration %s changed after it was applied; it is not run again", m)
    return [m for m in migrations if m.version not in done]


def apply_migrations(
    db, directory: Path, wait: float | None = None, lease: timedelta = LEASE
) -> list[Migration]:
    """Apply the pending migrations of `directory` in order; the ones this call applied."""
    migrations = discover(directory)
    if not pending(db, migrations):
        return []
    applied = []
    wait = lease.total_seconds() + 30 if wait is None else wait
    with MigrationLock(db, lease).held(wait) as lock:
        for migration in pending(db, migrations):
            lock.renew()
            _run(db, migration, lock.owner)
            applied.append(migration)
    return applied


def _run(db, migration: Migration, owner: str) -> None:
    started = time.monotonic()
    _load(migration.path, migration.checksum).up(db)
    record = {
        "_id": migration.version,
        "name": migration.name,
        "checksum": migration.checksum,
        "appliedAt": _now(),
        "appliedBy": owner,
    }
    try:
        db[COLLECTION].insert_one(record)
    except DuplicateKeyError:  # our lease ran out and another runner applied it too
        log.warning("migration %s was recorded by another runner", migration)
    log.info(
        "applied migration %s in %.2f s",
        migration,
        time.monotonic() - started,
        extra={"migration": str(migration)},
    )


@functools.lru_cache(maxsize=64)
def _load(path: Path, checksum: str):
    spec = importlib.util.spec_from_file_location(f"slotkeeper_migration_{checksum[:12]}", path)
    if spec is None or spec.loader is None:
        raise MigrationError(f"{path.name} cannot be loaded as a Python module")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as err:
        raise MigrationError(f"{path.name} cannot be loaded: {err}") from err
    if not callable(getattr(module, "up", None)):
        raise MigrationError(f"{path.name} defines no up(db)")
    return module


def _now() -> datetime:
    return datetime.now(UTC)


class MigrationLock:
    """A lease on the `lock` document of the migrations collection."""

    def __init__(self, db, lease: timedelta):
        self.collection = db[COLLECTION]
        self.lease = lease
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    def try_acquire(self) -> bool:
        now = _now()
        free = {"_id": LOCK_ID, "$or": [{"owner": None}, {"expiresAt": {"$lte": now}}]}
        try:
            self.collection.update_one(
                free, {"$set": {"owner": self.owner, "expiresAt": now + self.lease}}, upsert=True
            )
        except DuplicateKeyError:  # held: the filter missed and the upsert's insert collided
            return False
        return True

    def acquire(self, wait: float) -> None:
        deadline, pause = time.monotonic() + wait, 0.02
        while not self.try_acquire():
            if time.monotonic() >= deadline:
                holder = self.collection.find_one({"_id": LOCK_ID}) or {}
                raise MigrationError(
                    f"the migration lock is held by {holder.get('owner')} "
                    f"until {holder.get('expiresAt')}"
                )
            time.sleep(pause)
            pause = min(pause * 2, 1.0)

    def renew(self) -> None:
        mine = {"_id": LOCK_ID, "owner": self.owner}
        renewed = self.collection.update_one(mine, {"$set": {"expiresAt": _now() + self.lease}})
        if renewed.matched_count != 1:
            raise MigrationError("the migration lock expired and was taken by another runner")

    def release(self) -> None:
        self.collection.update_one(
            {"_id": LOCK_ID, "owner": self.owner}, {"$set": {"owner": None, "expiresAt": None}}
        )

    def held(self, wait: float) -> "MigrationLock":
        self.acquire(wait)
        return self

    def __enter__(self) -> "MigrationLock":
        return self

    def __exit__(self, *exc) -> None:
        self.release()
