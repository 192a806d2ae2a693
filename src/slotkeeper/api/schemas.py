"""Schemas shared by every resource."""
from flask_smorest.error_handler import ErrorSchema
from marshmallow import fields


class ConflictSchema(ErrorSchema):
    reason = fields.String(metadata={"description": "Stable machine-readable reason",
                                     "example": "SLOT_UNAVAILABLE"})


__all__ = ["ConflictSchema", "ErrorSchema"]
