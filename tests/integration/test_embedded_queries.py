"""The embedded engine's shortcuts answer exactly what plain mongomock answers."""

from datetime import UTC, datetime, timedelta

import mongomock
import pytest
from bson import ObjectId
from hypothesis import given, settings
from hypothesis import strategies as st
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
