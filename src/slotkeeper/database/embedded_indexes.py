"""Indexes mongomock does not have: lookups by _id and unique checks in constant time, and
the collection's other indexes where a query can use them.

mongomock answers every query by testing each document of the collection, and checks a unique
index after every insert and update with such a query, so each write to a collection of n
documents costs O(n). These replacements keep the same results in O(1) for what the service
does most: reads and updates of one document by _id, and inserts and updates under unique
indexes. The declared secondary indexes (SecondaryIndex) give candidates the way MongoDB's
would: the few documents a sparse or partial index holds (the sweep's `due`, the seats-held
gauge, moves and outboxes in flight), the documents with one value of a plain index's first
field (a user's appointments), or the start of a plain index kept in key order (the first page
of the slots). The filter itself is still mongomock's, on those candidates only.
"""

import bisect
from collections.abc import Hashable, Iterator
from datetime import datetime

from bson import ObjectId
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


def documents_by_id(store, search_filter, ids: list, order: dict) -> list:
    """The documents with those ids that match, in the store's (natural) order as a scan
    gives them (`order`: id -> position); each id is a dictionary lookup."""
    if len(ids) == 1:
        candidates = [store[ids[0]]] if ids[0] in store else []
    else:
        found = {i for i in ids if i in store._documents}
        candidates = [store._documents[i] for i in sorted(found, key=lambda i: order.get(i, -1))]
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


# Equality on these types means the same in Python and in MongoDB, and they hash alike.
KEY_TYPES = (str, ObjectId)
RANGE = ("$lt", "$lte", "$gt", "$gte")
ORDERED_TYPES = (datetime, ObjectId, str, int)


class SecondaryIndex:
    """The ids of the documents one sparse or partial index holds, or, for a plain index, the
    ids by the value of its first field; kept up to date after every insert and update, like
    UniqueIndex. Queries it serves get these ids as candidates, then the full filter."""

    def __init__(self, spec: dict):
        self.spec = spec
        self.field = spec["key"][0][0]
        self.partial = spec.get("partialFilterExpression")
        self.sparse = bool(spec.get("sparse")) and len(spec["key"]) == 1
        self.members: set = set()
        self.by_value: dict = {}
        self.value_of: dict = {}
        # a plain index ending in _id (so no two keys are equal) whose fields hold one plain
        # type each is also kept in key order, so a page sorted like the index is read off
        # its start (None: not usable)
        self.directions = [d for _, d in spec["key"]]
        unique_keys = spec["key"][-1][0] == "_id"
        self.ordered: list | None = [] if unique_keys and len(set(self.directions)) == 1 else None
        self.types: list | None = None
        self.ordered_key: dict = {}

    @property
    def filtered(self) -> bool:
        return self.partial is not None or self.sparse

    def holds(self, document) -> bool:
        if self.partial is None:  # sparse: the field is there (quick answers first)
            head = self.field.split(".", 1)[0]
            if head not in document:
                return False
            if head == self.field:
                return True
            if document[head] in ([], {}, None):
                return False
        condition = self.partial if self.partial is not None else {self.field: {"$exists": True}}
        return filter_applies(condition, document)

    def key(self, document):
        """The value under which a plain index files `document` (Ellipsis: any value)."""
        try:
            value = helpers.get_value_by_dot(document, self.field)
        except KeyError:  # missing; a dotted path may also end inside an array
            return ... if "." in self.field else None
        except (TypeError, IndexError):
            return ...
        return value if value is None or isinstance(value, KEY_TYPES) else ...

    def record(self, document) -> None:
        doc_id = document["_id"]
        if self.filtered:
            if self.holds(document):
                self.members.add(doc_id)
            else:
                self.members.discard(doc_id)
            return
        self._order(doc_id, document)
        key = self.key(document)
        old = self.value_of.get(doc_id, NO_ID)
        if old is not NO_ID and old != key:
            self.by_value.get(old, set()).discard(doc_id)
        self.value_of[doc_id] = key
        self.by_value.setdefault(key, set()).add(doc_id)

    def _order(self, doc_id, document) -> None:
        if self.ordered is None:
            return
        key = tuple(document.get(f) if "." not in f else None for f, _ in self.spec["key"])
        types = [type(v) for v in key]
        if self.types is None:
            self.types = types
        if types != self.types or not all(issubclass(t, ORDERED_TYPES) for t in types):
            self.ordered = None  # mixed or unorderable values: sorted by a scan, as upstream
            return
        old = self.ordered_key.get(doc_id)
        if old == key:
            return
        try:
            if old is not None:
                del self.ordered[bisect.bisect_left(self.ordered, (old, doc_id))]
            bisect.insort(self.ordered, (key, doc_id))
        except TypeError:  # values Python cannot compare (naive and aware dates, say)
            self.ordered = None
            return
        self.ordered_key[doc_id] = key

    def walk(self, sort) -> Iterator | None:
        """The ids in the order of `sort` when it is this index's order or its reverse; None
        when the index cannot give it. Deleted ids may be among them."""
        if self.ordered is None or not sort:
            return None
        fields = [f for f, _ in self.spec["key"]]
        if [f for f, _ in sort] != fields or len(set(self.directions)) != 1:
            return None
        asked = {d for _, d in sort}
        if len(asked) != 1:
            return None
        entries = self.ordered if asked.pop() == 1 else reversed(self.ordered)
        return (doc_id for _, doc_id in entries)

    def serves(self, spec: dict) -> set | None:
        """The ids that may match `spec`, when this index can tell; None when it cannot."""
        if not isinstance(spec, dict) or self.field not in spec:
            return None
        wanted = spec[self.field]
        if self.partial is not None:
            if all(k in spec and spec[k] == v for k, v in self.partial.items()):
                return self.members
            return None
        if self.sparse:  # a condition that no document without the field can meet
            if isinstance(wanted, dict):
                if wanted.get("$exists") is True or any(wanted.get(op) is not None for op in RANGE):
                    return self.members
                return None
            return self.members if isinstance(wanted, KEY_TYPES) else None
        if isinstance(wanted, dict) and set(wanted) == {"$in"} and isinstance(wanted["$in"], list):
            values = wanted["$in"]
        else:
            values = [wanted]
        if not all(isinstance(v, KEY_TYPES) for v in values):
            return None
        found = set(self.by_value.get(..., ()))
        for value in values:
            found |= self.by_value.get(value, set())
        return found


class Secondaries:
    """The secondary indexes of one collection, and the natural order of its documents."""

    def __init__(self, store) -> None:
        self.indexes: dict[str, SecondaryIndex] = {}
        self.order: dict = {}  # id -> position of first insertion
        self.signature: list = []  # which index declarations `current` was built from
        self.current: list[SecondaryIndex] = []
        for document in store._documents.values():
            self.place(document)

    def sync(self, store) -> list[SecondaryIndex]:
        """The collection's indexes as declared now; new or changed ones are built."""
        signature = [(name, id(spec)) for name, spec in store.indexes.items()]
        if signature == self.signature:
            return self.current
        declared = {
            name: spec
            for name, spec in store.indexes.items()
            if name != "_id_" and not spec.get("unique")
        }
        for name in set(self.indexes) - set(declared):
            del self.indexes[name]
        for name, spec in declared.items():
            if name not in self.indexes or self.indexes[name].spec != spec:
                index = self.indexes[name] = SecondaryIndex(dict(spec))
                for document in store._documents.values():
                    self.place(document)
                    index.record(document)
        self.signature, self.current = signature, list(self.indexes.values())
        return self.current

    def place(self, document) -> None:
        self.order.setdefault(document["_id"], len(self.order))

    def record(self, store, document) -> None:
        self.place(document)
        for index in self.sync(store):
            index.record(document)

    def walk(self, store, sort) -> Iterator | None:
        """The documents in the order of `sort`, read off an index kept in that order; None
        when no index is."""
        sort = list(sort.items() if isinstance(sort, dict) else sort or [])
        for index in self.sync(store):
            ids = index.walk(sort)
            if ids is not None:
                documents = store._documents
                return (documents[i] for i in ids if i in documents)
        return None

    def candidates(self, store, spec) -> list | None:
        """The documents that may match `spec` in natural order, from the smallest index that
        serves it; None when none does."""
        best = None
        for index in self.sync(store):
            ids = index.serves(spec)
            if ids is not None and (best is None or len(ids) < len(best)):
                best = ids
        if best is None:
            return None
        if store._ttl_indexes:
            store._remove_expired_documents()
        present = [i for i in best if i in store._documents]
        if len(present) < len(best) and best is not present:
            best.intersection_update(present)  # deleted documents leave lazily
        present.sort(key=lambda i: self.order.get(i, -1))
        return [store._documents[i] for i in present]
