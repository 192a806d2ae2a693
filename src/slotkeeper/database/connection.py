"""One connection module, two engines: embedded (in-process) or a real MongoDB."""

import atexit

import mongoengine
from mongoengine.connection import DEFAULT_CONNECTION_NAME, get_db
from pymongo.errors import ConfigurationError, ConnectionFailure, PyMongoError

from slotkeeper.config import ConfigError, Settings, uri_database


def mongodb_options(settings: Settings) -> dict:
    """MongoClient keyword arguments; they win over the same options in MONGODB_URI."""
    timeout = settings.mongodb_timeout_ms
    return {
        # an acknowledged seat change survives a failover: majority-replicated and journaled
        "w": "majority",
        "journal": True,
        # a write interrupted by an election is retried once (replica sets and sharded clusters)
        "retryWrites": True,
        "retryReads": True,
        "serverSelectionTimeoutMS": timeout,
        "connectTimeoutMS": timeout,
        # the whole operation, retries, pool wait and replication wait included
        # (client-side operation timeout, pymongo >= 4.2); socketTimeoutMS bounds what it does not
        "timeoutMS": 2 * timeout,
        "socketTimeoutMS": 2 * timeout,
        "appname": "slotkeeper",
        "tz_aware": True,
        "uuidRepresentation": "standard",
    }


def connect(settings: Settings) -> str:
    """(Re)connect MongoEngine's default alias for `settings`; the engine's name.

    The embedded engine starts empty in memory, so it gets every migration at once.
    """
    mongoengine.disconnect(DEFAULT_CONNECTION_NAME)
    if settings.mongodb_uri:
        _connect_mongodb(settings)
    else:
        from slotkeeper.database.embedded import SerializedMongoClient

        mongoengine.connect(
            db=settings.mongodb_db,
            tz_aware=True,
            uuidRepresentation="standard",
            mongo_client_class=SerializedMongoClient,
        )
    if settings.engine == "embedded" or settings.migrate_on_start:
        from slotkeeper.database.migrations import apply_migrations, migrations_dir

        apply_migrations(get_db(), migrations_dir(settings))
    return settings.engine


# closing the client ends its server sessions and stops its monitor threads
atexit.register(mongoengine.disconnect_all)


def _connect_mongodb(settings: Settings) -> None:
    named = uri_database(settings.mongodb_uri or "")
    if named is not None and named != settings.mongodb_db:
        raise ConfigError(
            f"MONGODB_URI names database {named!r} but the settings say {settings.mongodb_db!r}"
        )
    try:
        # mongodb+srv:// names are resolved here, once; a DNS failure stops start-up
        mongoengine.connect(
            host=settings.mongodb_uri, db=settings.mongodb_db, **mongodb_options(settings)
        )
    except ConfigurationError as err:
        raise ConfigError(f"MONGODB_URI: {err}") from None


def is_unavailable(err: BaseException | None) -> bool:
    """Whether `err`, or an error it was raised from, means the database did not answer in
    time (MongoEngine re-raises some driver errors as its own)."""
    seen = set()
    while err is not None and id(err) not in seen:
        seen.add(id(err))
        if isinstance(err, ConnectionFailure):
            return True
        if isinstance(err, PyMongoError) and (
            err.timeout or err.has_error_label("RetryableWriteError")
        ):
            return True
        err = err.__cause__ or err.__context__
    return False


def ping() -> bool:
    """Whether the database answers."""
    try:
        get_db().command("ping")
        return True
    except PyMongoError:
        return False


def drop_all() -> None:
    """Empty every collection but the migrations record, which the kept indexes still match
    (tests and demo resets only)."""
    from slotkeeper.database.migrations import COLLECTION

    db = get_db()
    for name in db.list_collection_names():
        if name != COLLECTION and not name.startswith("system."):
            db[name].delete_many({})
