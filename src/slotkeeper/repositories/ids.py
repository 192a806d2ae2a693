from bson import ObjectId
from bson.errors import InvalidId

from slotkeeper.domain.errors import NotFound
from slotkeeper.repositories.documents import from_son


def object_id(value, what: str) -> ObjectId:
    """The ObjectId named by `value`; a malformed id names nothing, so it is a NotFound."""
    if isinstance(value, ObjectId):
        return value
    try:
        return ObjectId(value)
    except (InvalidId, TypeError):
        raise NotFound(f"{what} {value!r} not found") from None


def load_one(document_class, doc_id, projection: dict | None = None):
    """One document by _id straight from the collection (a queryset costs a dozen copies of
    itself per call on the hot path), or None."""
    son = document_class._get_collection().find_one({"_id": doc_id}, projection)
    return None if son is None else from_son(document_class, son)


def load_many(document_class, ids, projection: dict | None = None) -> dict:
    """Documents by _id, as {id: document}."""
    cursor = document_class._get_collection().find({"_id": {"$in": list(set(ids))}}, projection)
    return {son["_id"]: from_son(document_class, son) for son in cursor}
