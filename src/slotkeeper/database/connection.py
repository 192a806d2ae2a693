"""One connection module, two engines: embedded (in-process) or a real MongoDB."""
import mongoengine
from mongoengine.connection import DEFAULT_CONNECTION_NAME, get_db
from pymongo.errors import PyMongoError

from slotkeeper.config import Settings


def connect(settings: Settings) -> str:
    """(Re)connect MongoEngine's default alias for `settings`; the engine's name."""
    mongoengine.disconnect(DEFAULT_CONNECTION_NAME)
    if settings.mongodb_uri:
        mongoengine.connect(host=settings.mongodb_uri, db=settings.mongodb_db, tz_aware=True,
                            w="majority", journal=True, retryWrites=True,
                            serverSelectionTimeoutMS=settings.mongodb_timeout_ms,
                            connectTimeoutMS=settings.mongodb_timeout_ms,
                            socketTimeoutMS=settings.mongodb_timeout_ms * 2,
                            uuidRepresentation="standard")
    else:
        from slotkeeper.database.embedded import SerializedMongoClient
        mongoengine.connect(db=settings.mongodb_db, tz_aware=True, uuidRepresentation="standard",
                            mongo_client_class=SerializedMongoClient)
    return settings.engine


def ping() -> bool:
    """Whether the database answers."""
    try:
        get_db().command("ping")
        return True
    except PyMongoError:
        return False


def drop_all() -> None:
    """Empty every collection (tests and demo resets only)."""
    db = get_db()
    for name in db.list_collection_names():
        db[name].delete_many({})
