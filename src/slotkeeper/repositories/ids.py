from bson import ObjectId
from bson.errors import InvalidId

from slotkeeper.domain.errors import NotFound


def object_id(value, what: str) -> ObjectId:
    """The ObjectId named by `value`; a malformed id names nothing, so it is a NotFound."""
    if isinstance(value, ObjectId):
        return value
    try:
        return ObjectId(value)
    except (InvalidId, TypeError):
        raise NotFound(f"{what} {value!r} not found") from None
