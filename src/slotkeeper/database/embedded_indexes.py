"""Indexes mongomock does not have: lookups by _id and unique checks in constant time.

mongomock answers every query by testing each document of the collection, and checks a unique
index after every insert and update with such a query, so each write to a collection of n
documents costs O(n). These two replacements keep the same results in O(1) for what the
service does most: reads and updates of one document by _id, and inserts and updates under
unique indexes.
"""

from collections.abc import Hashable

from mongomock import DuplicateKeyError, helpers
from mongomock.filtering import filter_applies

NO_ID = object()


def plain_ids(search_filter) -> list | object:
    """The _id values an equality (or $in) filter names, or NO_ID when it names none."""
    if not isinstance(search_filter, dict) or "_id" not in search_filter:
        return NO_ID
    wanted = search_filter["_id"]
    if isinstance(wanted, dict):
        if set(wanted) != {"$in"} or not isinstance(wanted["$in"], list | tuple):
            return NO_ID
        wanted = list(wanted["$in"])
    else:
        wanted = [wanted]
    if all(isinstance(w, Hashable) and not isinstance(w, dict | list) for w in wanted):
        return wanted
    return NO_ID


def documents_by_id(store, search_filter, ids: list) -> list:
    """The documents with those ids that match, in the store's (natural) order as a scan
    gives them; one id is a dictionary lookup, several a pass over the keys only."""
    if len(ids) == 1:
        candidates = [store[ids[0]]] if ids[0] in store else []
    else:
        wanted = set(ids)
        candidates = [doc for key, doc in store._documents.items() if key in wanted]
    return [doc for doc in candidates if filter_applies(search_filter, doc)]


class UniqueIndex:
    """Key tuple -> ids of one unique index, kept up to date by the unique checks themselves
    (mongomock runs one after every insert and every update); deleted ids are pruned lazily."""

    def __init__(self, fields: list[str], sparse: bool):
        self.fields, self.sparse = fields, sparse
        self.ids_by_key: dict = {}
        self.key_by_id: dict = {}

    def key_of(self, document):
        values = []
        for name in self.fields:
            try:
                values.append(helpers.get_value_by_dot(document, name))
            except KeyError:
                values.append(None)
        return tuple(values)

    def rebuild(self, documents) -> None:
        self.ids_by_key.clear()
        self.key_by_id.clear()
        for document in documents:
            self._add(document["_id"], self.key_of(document))

    def _add(self, doc_id, key) -> None:
        self.key_by_id[doc_id] = key
        self.ids_by_key.setdefault(key, set()).add(doc_id)

    def _remove(self, doc_id) -> None:
        key = self.key_by_id.pop(doc_id, None)
        if key is not None:
            self.ids_by_key.get(key, set()).discard(doc_id)

    def check(self, store, document) -> None:
        """Record `document` (just written), or raise DuplicateKeyError and record nothing."""
        doc_id, key = document["_id"], self.key_of(document)
        if self.sparse and set(key) == {None}:
            self._remove(doc_id)
            return
        others = {
            i
            for i in self.ids_by_key.get(key, ())
            if i != doc_id and i in store and self.key_of(store[i]) == key
        }
        if others:
            raise DuplicateKeyError("E11000 Duplicate Key Error", 11000)
        self._remove(doc_id)
        self._add(doc_id, key)


def hashable_key(index: UniqueIndex, document) -> bool:
    try:
        hash(index.key_of(document))
        return True
    except TypeError:
        return False
