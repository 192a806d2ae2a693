"""The "embedded" engine: in-process mongomock with MongoDB's atomicity guarantees.

MongoDB makes every single-document operation atomic; mongomock does not, so
e.g. two threads calling ``find_one_and_update({"_id": x, "taken": False}, ...)``
can both win. ``SerializedMongoClient`` runs every database operation under one
re-entrant lock shared by the client, its databases and its collections.

Use it via ``mongoengine.connect(..., mongo_client_class=SerializedMongoClient)``.
Plain ``mongomock.MongoClient`` is left untouched.
"""

import functools
import threading
import weakref

import mongomock
from mongomock import aggregate, helpers
from mongomock.collection import Collection
from mongomock.database import Database
from mongomock.filtering import filter_applies
from pymongo import ReturnDocument

from slotkeeper.database.embedded_cursor import WindowedCursor, plain, whole, window
from slotkeeper.database.embedded_indexes import (
    NO_ID,
    Secondaries,
    UniqueIndex,
    documents_by_id,
    hashable_key,
    plain_ids,
)

__all__ = ["SerializedMongoClient"]

# Public data methods, plus the private funnels that other mongomock code calls
# directly (e.g. bulk builders call ``_update``), so every path to the store is locked.
_LOCKED_COLLECTION_METHODS = (
    "insert_one",
    "insert_many",
    "_insert",
    "update_one",
    "update_many",
    "replace_one",
    "_update",
    "delete_one",
    "delete_many",
    "_delete",
    "find_one",
    "find_one_and_delete",
    "find_one_and_replace",
    "find_one_and_update",
    "_find_and_modify",
    "count_documents",
    "estimated_document_count",
    "distinct",
    "aggregate",
    "bulk_write",
    "create_index",
    "create_indexes",
    "drop_index",
    "drop_indexes",
    "index_information",
    "drop",
    "rename",
)
_LOCKED_DATABASE_METHODS = (
    "get_collection",
    "list_collection_names",
    "create_collection",
    "drop_collection",
    "rename_collection",
    "dereference",
    "command",
)
_LOCKED_CLIENT_METHODS = ("get_database", "list_database_names", "drop_database")

# Clients can share one data store (mongomock's ``_store=`` argument); they must then
# share the lock too, so it is keyed by the store rather than owned by the client.
_store_locks: weakref.WeakKeyDictionary[object, threading.RLock] = weakref.WeakKeyDictionary()
_store_locks_guard = threading.Lock()


def _lock_for(store):
    with _store_locks_guard:
        return _store_locks.setdefault(store, threading.RLock())


def _locked(method):
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        with self._lock:
            return method(self, *args, **kwargs)

    return wrapper


def _lock_methods(names):
    def decorate(cls):
        for name in names:
            setattr(cls, name, _locked(getattr(cls, name)))
        return cls

    return decorate


@_lock_methods(_LOCKED_COLLECTION_METHODS)
class SerializedCollection(Collection):
    @property
    def _lock(self):
        return self.database._lock

    # A cursor computes its results lazily by calling ``_get_dataset``, a generator
    # over the live store, possibly long after ``find()`` returned. Materialising
    # copies under the lock gives the cursor a consistent snapshot.
    def _get_dataset(self, spec, sort, fields, as_class):
        with self._lock:
            return list(super()._get_dataset(spec, sort, fields, as_class))

    def find(self, *args, **kwargs):
        cursor = super().find(*args, **kwargs)
        cursor.__class__ = WindowedCursor  # same state, pages computed without copying all
        return cursor

    def _get_window(self, spec, sort, fields, skip, limit):
        with self._lock:
            return window(self, spec, sort, fields, skip, limit)

    def _find_and_modify(
        self,
        query,
        projection=None,
        update=None,
        upsert=False,
        sort=None,
        return_document=ReturnDocument.BEFORE,
        session=None,
        **kwargs,
    ):
        """Upstream reads a copy of the first matching document only to learn its _id when the
        answer is the document as the update left it; that _id is read off the stored
        document instead (the same document is updated, the same answer read)."""
        after = return_document is ReturnDocument.AFTER or kwargs.get("new")
        if not after or update is None or upsert or sort or session or kwargs.get("remove"):
            return super()._find_and_modify(
                query, projection, update, upsert, sort, return_document, session, **kwargs
            )
        kept = plain(projection)
        if not (whole(projection) or (kept is not None and kept.keep_id)):  # the answer has _id
            return super()._find_and_modify(
                query, projection, update, upsert, sort, return_document, session, **kwargs
            )
        spec = helpers.patch_datetime_awareness_in_document(query)  # as a cursor reads it
        first = next(self._iter_documents(spec), None)
        if first is None:
            return None
        where = {"_id": first["_id"]}
        self._update(where, update, upsert)
        return self.find_one(where, projection)

    def _iter_documents(self, filter):
        ids = plain_ids(filter)
        if ids is not NO_ID:
            return iter(documents_by_id(self._store, filter, ids, self._secondaries().order))
        candidates = self._secondaries().candidates(self._store, filter)
        if candidates is None:
            return super()._iter_documents(filter)
        return iter([doc for doc in candidates if filter_applies(filter, doc)])

    def _secondaries(self) -> Secondaries:
        found = self._store.__dict__.get("_slotkeeper_secondary")
        if found is None:
            found = self._store.__dict__["_slotkeeper_secondary"] = Secondaries(self._store)
        return found

    def _ensure_uniques(self, new_data):
        # mongomock calls this after every insert and every update that changed a document
        self._check_uniques(new_data)
        self._secondaries().record(self._store, new_data)  # only once the write stands

    def _check_uniques(self, new_data):
        for name, spec in self._store.indexes.items():
            if not spec.get("unique") or name == "_id_":
                continue
            index = self._unique_index(name, spec)
            if index is None or not hashable_key(index, new_data):
                return super()._ensure_uniques(new_data)  # what we do not index, as upstream
            index.check(self._store, new_data)

    def count_documents(self, filter, **kwargs):
        if not filter and not kwargs:
            return len(self._store)
        return super().count_documents(filter, **kwargs)

    def aggregate(self, pipeline, session=None, **kwargs):
        """Upstream copies the whole collection first; a leading $match picks the documents
        through the indexes instead (the stage still runs, on those)."""
        if not pipeline or "$match" not in pipeline[0]:
            return super().aggregate(pipeline, session=session, **kwargs)
        matched = list(self.find(pipeline[0]["$match"]))
        return aggregate.process_pipeline(matched, self.database, pipeline, session)

    def _unique_index(self, name, spec) -> UniqueIndex | None:
        """Our index for a unique index spec; None for partial ones (left to mongomock)."""
        if spec.get("partialFilterExpression") is not None:
            return None
        cache = self._store.__dict__.setdefault("_slotkeeper_unique", {})
        fields = [field for field, _ in spec["key"]]
        index = cache.get(name)
        if index is None or index.fields != fields:
            index = cache[name] = UniqueIndex(fields, bool(spec.get("sparse")))
            index.rebuild(d for d in self._store._documents.values())
        return index

    def list_indexes(self, session=None):  # a generator upstream: materialise it too
        with self._lock:
            return iter(list(super().list_indexes(session=session)))

    # Upstream builds a plain ``Collection(...)`` here, which would escape the lock.
    def with_options(self, *args, **kwargs):
        clone = super().with_options(*args, **kwargs)
        if clone is self:
            return self
        return SerializedCollection(
            self.database,
            self.name,
            _db_store=self._db_store,
            write_concern=clone.write_concern,
            read_concern=clone.read_concern,
            read_preference=clone.read_preference,
            codec_options=clone.codec_options,
        )


@_lock_methods(_LOCKED_DATABASE_METHODS)
class SerializedDatabase(Database):
    @property
    def _lock(self):
        return self._client._lock

    def get_collection(self, name, *args, **kwargs):
        # Upstream constructs a plain ``Collection`` on a cache miss; seeding the cache
        # makes it derive the requested collection from ours via ``with_options``.
        if name not in self._collection_accesses:
            self._ensure_valid_collection_name(name)
            self._collection_accesses[name] = SerializedCollection(
                self,
                name,
                _db_store=self._store,
                read_preference=self.read_preference,
                codec_options=self.codec_options,
            )
        return super().get_collection(name, *args, **kwargs)

    def with_options(self, *args, **kwargs):
        clone = super().with_options(*args, **kwargs)
        if clone is self:
            return self
        return SerializedDatabase(
            self._client,
            self.name,
            self._store,
            read_preference=clone.read_preference,
            codec_options=clone.codec_options,
            read_concern=clone.read_concern,
        )


@_lock_methods(_LOCKED_CLIENT_METHODS)
class SerializedMongoClient(mongomock.MongoClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Re-entrant: locked operations call each other (find_one_and_update ->
        # find_one -> _get_dataset; aggregate's $lookup reads other collections).
        self._lock = _lock_for(self._store)

    def get_database(
        self,
        name=None,
        codec_options=None,
        read_preference=None,
        write_concern=None,
        read_concern=None,
    ):
        # Same cache-seeding trick as SerializedDatabase.get_collection.
        if name is not None and name not in self._database_accesses:
            self._database_accesses[name] = SerializedDatabase(
                self,
                name,
                _store=self._store[name],
                read_preference=read_preference or self.read_preference,
                codec_options=codec_options or self.codec_options,
                read_concern=read_concern,
            )
        return super().get_database(
            name, codec_options, read_preference, write_concern, read_concern
        )
