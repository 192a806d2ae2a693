"""The embedded engine's shortcuts answer exactly what plain mongomock answers."""

import itertools
from datetime import UTC, datetime, timedelta

import mongomock
import pytest
from bson import ObjectId
from hypothesis import example, given, settings
from hypothesis import strategies as st
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from slotkeeper.database.embedded import SerializedMongoClient

VALUES = st.one_of(
    st.datetimes(min_value=datetime(2030, 1, 1), max_value=datetime(2031, 1, 1)),
    st.integers(-5, 5),
    st.none(),
    st.text(max_size=2),
    st.just([1, 2]),
)
DOCS = st.lists(st.fixed_dictionaries({"a": VALUES, "b": st.integers(0, 3)}), max_size=25)
SORTS = st.lists(
    st.tuples(st.sampled_from(["a", "b", "_id"]), st.sampled_from([1, -1])),
    min_size=1,
    max_size=2,
    unique_by=lambda s: s[0],
)


def both(docs):
    plain, ours = mongomock.MongoClient()["t"]["c"], SerializedMongoClient()["t"]["c"]
    for collection in (plain, ours):
        for i, d in enumerate(docs):
            collection.insert_one({**d, "_id": i})
    return plain, ours


@settings(max_examples=150, deadline=None)
@given(
    docs=DOCS,
    sort=SORTS,
    skip=st.integers(0, 30),
    limit=st.integers(0, 10),
    match=st.sampled_from([{}, {"b": 1}, {"b": {"$gte": 2}}]),
)
def test_a_page_is_the_page_plain_mongomock_gives(docs, sort, skip, limit, match):
    plain, ours = both(docs)
    expected = list(plain.find(match).sort(sort).skip(skip).limit(limit))
    assert list(ours.find(match).sort(sort).skip(skip).limit(limit)) == expected


def test_a_page_of_dates_comes_back_time_zone_aware():
    client = SerializedMongoClient(tz_aware=True)
    collection = client["t"]["c"]
    start = datetime(2030, 1, 1, tzinfo=UTC)
    collection.insert_many([{"at": start + timedelta(hours=h)} for h in (3, 1, 2)])
    page = list(collection.find({}, {"_id": 0}).sort("at", -1).limit(2))
    assert page == [{"at": start + timedelta(hours=3)}, {"at": start + timedelta(hours=2)}]
    assert all(d["at"].tzinfo is not None for d in page)


def test_lookups_by_id_and_by_a_list_of_ids_find_what_a_scan_finds():
    plain, ours = both([{"b": i % 3} for i in range(10)])
    for query in (
        {"_id": 4},
        {"_id": 4, "b": 0},
        {"_id": 4, "b": 1},
        {"_id": 99},
        {"_id": {"$in": [3, 1, 99, 3]}},
        {"_id": {"$in": []}},
    ):
        assert list(ours.find(query)) == list(plain.find(query)), query


def test_a_unique_index_refuses_duplicates_on_insert_and_on_update_alike():
    collection = SerializedMongoClient()["t"]["c"]
    collection.create_index([("service", 1), ("start", 1)], unique=True)
    service = ObjectId()
    collection.insert_one({"_id": 1, "service": service, "start": 1})
    collection.insert_one({"_id": 2, "service": service, "start": 2})
    with pytest.raises(DuplicateKeyError):
        collection.insert_one({"_id": 3, "service": service, "start": 1})
    with pytest.raises(DuplicateKeyError):
        collection.update_one({"_id": 2}, {"$set": {"start": 1}})
    assert collection.find_one({"_id": 2})["start"] == 2  # the refused update was rolled back
    collection.delete_one({"_id": 1})
    collection.insert_one({"_id": 4, "service": service, "start": 1})  # free again
    collection.update_one({"_id": 2}, {"$set": {"start": 3}})
    collection.insert_one({"_id": 5, "service": service, "start": 2})  # freed by the update
    assert collection.count_documents({}) == 3


INDEXED = [
    ([("due", 1)], {"sparse": True}),
    ([("held", 1)], {"partialFilterExpression": {"held": {"$gt": 0}}}),
    ([("user", 1), ("at", -1)], {}),
    ([("moves.claim", 1)], {"sparse": True}),
    ([("at", 1), ("_id", 1)], {}),
]
ROWS = st.fixed_dictionaries(
    {
        "due": st.one_of(st.none(), st.integers(0, 5), st.just("x")),
        "held": st.integers(-1, 2),
        "user": st.one_of(st.sampled_from(["ann", "bob"]), st.none(), st.just(["ann", "eve"])),
        "moves": st.one_of(st.just([]), st.just([{"claim": "c1"}]), st.just({"claim": 1})),
        "at": st.datetimes(min_value=datetime(2030, 1, 1), max_value=datetime(2030, 1, 2)),
    }
)
QUERIES = [
    {"due": {"$lte": 3}},
    {"due": {"$exists": True}},
    {"due": "x"},
    {"held": {"$gt": 0}},
    {"held": {"$gt": 0}, "user": "ann"},
    {"user": "ann"},
    {"user": {"$in": ["bob", "eve"]}},
    {"user": None},
    {"moves.claim": {"$exists": True}},
]


@settings(max_examples=40, deadline=None)
@given(
    rows=st.lists(ROWS, max_size=20),
    changes=st.lists(st.tuples(st.integers(0, 19), ROWS), max_size=10),
    deleted=st.lists(st.integers(0, 19), max_size=4, unique=True),
)
def test_what_an_index_serves_is_what_a_scan_finds(rows, changes, deleted):
    """Sparse, partial and plain indexes pick candidates; the answers, their order, counts
    and a leading $match stay those of plain mongomock, through updates and deletes."""
    plain, ours = mongomock.MongoClient()["t"]["c"], SerializedMongoClient()["t"]["c"]
    for collection in (plain, ours):
        for keys, options in INDEXED[:2]:  # some built before the documents, some after
            collection.create_index(keys, **options)
        for i, row in enumerate(rows):
            collection.insert_one({**row, "_id": i})
        for keys, options in INDEXED[2:]:
            collection.create_index(keys, **options)
        for i, row in changes:
            collection.update_one({"_id": i}, {"$set": row})
        for i in deleted:
            collection.delete_one({"_id": i})
            if rows:
                collection.insert_one({**rows[0], "_id": 100 + i})
    for query in QUERIES:
        assert list(ours.find(query)) == list(plain.find(query)), query
        assert ours.count_documents(query) == plain.count_documents(query), query
        page = list(ours.find(query).sort("_id", -1).limit(3))
        assert page == list(plain.find(query).sort("_id", -1).limit(3)), query
        grouped = [{"$match": query}, {"$group": {"_id": None, "n": {"$sum": "$held"}}}]
        assert list(ours.aggregate(grouped)) == list(plain.aggregate(grouped)), query
    assert ours.count_documents({}) == plain.count_documents({})
    for query in ({}, {"held": {"$gte": 1}}):  # pages read off the (at, _id) index
        for order in ([("at", 1), ("_id", 1)], [("at", -1), ("_id", -1)]):
            for skip in (0, 2):
                page = list(ours.find(query).sort(order).skip(skip).limit(4))
                assert page == list(plain.find(query).sort(order).skip(skip).limit(4))


def test_a_page_sorted_like_an_index_reads_only_its_start():
    collection = SerializedMongoClient()["t"]["c"]
    collection.create_index([("at", 1), ("_id", 1)])
    collection.insert_many(
        [{"_id": i, "at": datetime(2030, 1, 1) + timedelta(hours=i)} for i in range(50)]
    )
    store = collection._store
    walk = collection._secondaries().walk(store, [("at", 1), ("_id", 1)])
    assert [d["_id"] for d in itertools.islice(walk, 3)] == [0, 1, 2]
    assert collection._secondaries().walk(store, [("at", 1)]) is None
    collection.insert_one({"_id": 99, "at": "not a date"})  # mixed types: sorted by a scan
    assert collection._secondaries().walk(store, [("at", 1), ("_id", 1)]) is None
    assert [d["_id"] for d in collection.find().sort([("at", 1), ("_id", 1)]).limit(2)] == [
        99,  # BSON orders strings before dates
        0,
    ]


def test_a_partial_index_serves_only_queries_that_imply_its_filter():
    collection = SerializedMongoClient()["t"]["c"]
    collection.create_index([("held", 1)], partialFilterExpression={"held": {"$gt": 0}})
    collection.insert_many([{"held": h} for h in (0, 1, 2, 0)])
    secondaries = collection._secondaries()
    assert len(secondaries.candidates(collection._store, {"held": {"$gt": 0}})) == 2
    assert secondaries.candidates(collection._store, {"held": {"$gte": 0}}) is None
    assert collection.count_documents({"held": {"$gte": 0}}) == 4


def test_keys_python_cannot_order_leave_the_sorting_to_a_scan():
    plain, ours = mongomock.MongoClient()["t"]["c"], SerializedMongoClient()["t"]["c"]
    at = datetime(2030, 1, 1)
    for collection in (plain, ours):
        collection.create_index([("at", 1), ("_id", 1)])
        collection.insert_many([{"_id": 1, "at": at}, {"_id": "x", "at": at}, {"_id": 2, "at": at}])
    order = [("at", 1), ("_id", 1)]
    assert list(ours.find().sort(order).limit(3)) == list(plain.find().sort(order).limit(3))


LEAVES = st.one_of(
    st.datetimes(min_value=datetime(2030, 1, 1), max_value=datetime(2031, 1, 1)),
    st.integers(-5, 5),
    st.booleans(),
    st.floats(allow_nan=False),
    st.none(),
    st.text(max_size=2),
    st.binary(max_size=2),
    st.builds(ObjectId),
)
NESTED = st.recursive(
    LEAVES,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.sampled_from("xyz"), inner, max_size=3)
    ),
    max_leaves=8,
)
PROJECTIONS = [
    None,
    {},
    {"a": 0},
    {"a": 0, "b": False},
    {"_id": 0},
    {"a": 0, "_id": 0},
    {"a": 0, "_id": 1},  # what mongomock leaves in a projection it was given
    {"a": 1},
    {"b": 1, "_id": 0},
    {"a.x": 1},
    {"a.x": 1, "a.y": True, "b": 1},
    {"a.x": 1, "_id": 0},
    {"a.x.y": 1},
    {"a": 0, "b": 1},  # refused: keeping and dropping mixed
    {"a": 1, "a.x": 1},  # refused: a path collision
]


def outcome(read):
    try:
        return repr(read())
    except Exception as error:  # noqa: BLE001 - the same refusal is the same outcome
        return type(error).__name__


@settings(max_examples=60, deadline=None)
@given(docs=st.lists(st.fixed_dictionaries({"a": NESTED, "b": NESTED}), max_size=5))
def test_documents_read_are_copied_as_plain_mongomock_copies_them(docs):
    """Whole documents and projections of plain names are copied in one pass; the answers
    are those of plain mongomock, with or without time zones, value for value and type for
    type (or the same refusal), and the stored documents stay apart from what was read."""
    for tz_aware in (False, True):
        plain = mongomock.MongoClient(tz_aware=tz_aware)["t"]["c"]
        ours = SerializedMongoClient(tz_aware=tz_aware)["t"]["c"]
        for collection in (plain, ours):
            for i, d in enumerate(docs):
                collection.insert_one({**d, "_id": i})
        for projection in PROJECTIONS:
            for query in ({}, {"_id": 0}):

                def read(collection, query=query, projection=projection):
                    asked = None if projection is None else dict(projection)
                    return lambda: list(collection.find(query, asked))

                assert outcome(read(ours)) == outcome(read(plain)), projection
        for d in ours.find():
            for value in (d["a"], d["b"]):
                if isinstance(value, dict):
                    value["x"] = "changed"
                elif isinstance(value, list):
                    value.append("changed")
        assert repr(list(ours.find())) == repr(list(plain.find()))


UPDATES = st.sampled_from(
    [
        {"$inc": {"b": 1}},
        {"$set": {"a": {"x": [1, datetime(2030, 1, 1)]}}},
        [{"$set": {"b": {"$add": ["$b", 2]}}}],
        [{"$set": {"c": "$b"}}, {"$project": {"a": 0}}],
    ]
)


@settings(max_examples=100, deadline=None)
@example(  # the first match no longer matches after the update; another one still does
    docs=[{"a": 1, "b": 1}, {"a": 2, "b": 1}],
    steps=[({"b": 1}, {"$inc": {"b": 1}}, None, True)],
)
@given(
    docs=st.lists(st.fixed_dictionaries({"a": NESTED, "b": st.integers(0, 2)}), max_size=6),
    steps=st.lists(
        st.tuples(
            st.sampled_from([{"b": 1}, {"b": {"$gte": 2}}, {"_id": 2}, {"_id": 2, "b": 0}]),
            UPDATES,
            st.sampled_from([None, {"a": 0}, {"b": 1}, {"_id": 0}]),
            st.booleans(),
        ),
        max_size=6,
    ),
)
def test_find_one_and_update_answers_and_writes_what_plain_mongomock_does(docs, steps):
    """The document as the update left it is found without a copy of it first; answers and
    the stored documents stay those of plain mongomock, whatever the projection or order."""
    plain = mongomock.MongoClient(tz_aware=True)["t"]["c"]
    ours = SerializedMongoClient(tz_aware=True)["t"]["c"]
    for collection in (plain, ours):
        for i, d in enumerate(docs):
            collection.insert_one({**d, "_id": i})
    for query, update, projection, after in steps:
        returned = ReturnDocument.AFTER if after else ReturnDocument.BEFORE
        expected = plain.find_one_and_update(
            query, update, projection=projection, return_document=returned
        )
        answer = ours.find_one_and_update(
            query, update, projection=projection, return_document=returned
        )
        assert repr(answer) == repr(expected), (query, update, projection, after)
    assert repr(list(ours.find())) == repr(list(plain.find()))
