"""Field types shared by the resources' schemas."""
import re
from datetime import UTC

from marshmallow import ValidationError, fields, validate

OBJECT_ID = re.compile(r"^[0-9a-fA-F]{24}$")


class ObjectIdString(fields.String):
    """A MongoDB ObjectId as 24 hex characters."""

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {}).setdefault("example", "6650f0c2a1b2c3d4e5f60718")
        super().__init__(validate=validate.Regexp(OBJECT_ID, error="Not a valid id."), **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else str(value)


class Text(fields.String):
    """A string MongoDB can store: a JSON escape like "\\ud800" decodes to a lone surrogate."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise ValidationError("Not valid Unicode text.") from None
        return text


class UtcDateTime(fields.AwareDateTime):
    """ISO 8601 with an offset in, UTC out; stored with MongoDB's millisecond precision."""

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {}).setdefault("example", "2030-01-07T09:00:00Z")
        super().__init__(format="iso", **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        parsed = super()._deserialize(value, attr, data, **kwargs)
        try:
            utc = parsed.astimezone(UTC)
        except (OverflowError, ValueError):
            raise ValidationError("Date-time out of range.") from None
        return utc.replace(microsecond=utc.microsecond // 1000 * 1000)

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return super()._serialize(value.astimezone(UTC), attr, obj, **kwargs)


def strict_int(low: int, high: int | None = None, **kwargs) -> fields.Integer:
    return fields.Integer(strict=True, validate=validate.Range(min=low, max=high), **kwargs)
