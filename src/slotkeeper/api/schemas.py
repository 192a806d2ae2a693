"""Schemas shared by every resource."""

from collections.abc import Mapping
from functools import cache

from flask_smorest.error_handler import ErrorSchema as SmorestErrorSchema
from marshmallow import Schema, fields
from marshmallow.validate import OneOf

from slotkeeper.api.fields import expected_messages
from slotkeeper.domain.errors import REASONS


@cache
def _is_mapping(kind: type) -> bool:
    # an abstract class's isinstance check costs more than the attribute read it guards
    return issubclass(kind, Mapping)


class ApiSchema(Schema):
    """The base of the API's schemas: each field's messages say what it expects."""

    error_messages = {"type": "A JSON object."}

    def get_attribute(self, obj, attr, default):
        # marshmallow tries obj[attr] before getattr for anything with __getitem__, which
        # MongoEngine documents have (and answer with getattr); read them directly
        if _is_mapping(type(obj)) or "." in attr:
            return super().get_attribute(obj, attr, default)
        return getattr(obj, attr, default)

    def on_bind_field(self, field_name: str, field_obj: fields.Field) -> None:
        expected = expected_messages(field_obj)
        field_obj.error_messages = {**field_obj.error_messages, **expected}
        if isinstance(field_obj, fields.List):
            inner = field_obj.inner
            inner.error_messages = {**inner.error_messages, **expected_messages(inner)}


class ErrorSchema(SmorestErrorSchema):
    """The error answer; every documented response shows a whole example of it."""

    code = fields.Integer(metadata={"description": "The HTTP status code", "example": 404})
    status = fields.String(metadata={"description": "Its name", "example": "Not Found"})
    message = fields.String(
        metadata={
            "description": "What went wrong; for a 422, each field and what it expects",
            "example": "Unknown slot",
        }
    )
    errors = fields.Dict(
        metadata={
            "description": "Validation errors by location (json, query, headers), then field",
            "example": {
                "json": {"startTime": ["A date-time with an offset, like 2030-01-07T09:00:00Z."]}
            },
        }
    )


class ConflictSchema(ErrorSchema):
    reason = fields.String(
        validate=OneOf(REASONS),
        metadata={"description": "Stable machine-readable reason", "example": "SLOT_UNAVAILABLE"},
    )


__all__ = ["ApiSchema", "ConflictSchema", "ErrorSchema"]
