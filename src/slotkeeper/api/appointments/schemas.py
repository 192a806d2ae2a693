from marshmallow import EXCLUDE, fields, pre_load, validate

from slotkeeper.api import examples
from slotkeeper.api.fields import ObjectIdString, Text, UtcDateTime, strict_int
from slotkeeper.api.schemas import ApiSchema
from slotkeeper.api.services.schemas import ServiceSchema
from slotkeeper.api.slots.schemas import MAX_CAPACITY, SlotSchema
from slotkeeper.auth.guard import signed_in_user
from slotkeeper.domain.status import Status


class AppointmentCreateSchema(ApiSchema):
    slot_id = ObjectIdString(examples.SLOT_ID, data_key="slotId", required=True)
    user_id = Text(
        data_key="userId",
        required=True,
        validate=validate.Length(1, 200),
        metadata={
            "example": "patient-42",
            "description": "Required while authentication is off. With a "
            "bearer token it may be left out and is the "
            "token's sub; another user's id needs role admin",
        },
    )
    user_name = Text(
        data_key="userName",
        allow_none=True,
        validate=validate.Length(max=200),
        metadata={"example": "Grace Hopper"},
    )
    user_email = fields.Email(
        data_key="userEmail",
        allow_none=True,
        validate=validate.Length(max=254),
        metadata={"example": "grace@example.com"},
    )
    seats = strict_int(1, MAX_CAPACITY, load_default=1, metadata={"example": 1})

    @pre_load
    def _user_defaults_to_the_caller(self, data, **kwargs):
        user = signed_in_user()
        if isinstance(data, dict) and "userId" not in data and user is not None:
            return {**data, "userId": user}
        return data


class RescheduleSchema(ApiSchema):
    slot_id = ObjectIdString(
        examples.OTHER_SLOT_ID,
        data_key="slotId",
        required=True,
        metadata={"description": "A slot of the same service"},
    )


class IdempotencyHeaderSchema(ApiSchema):
    class Meta:
        unknown = EXCLUDE  # every other header

    idempotency_key = Text(
        data_key="Idempotency-Key",
        validate=validate.Length(1, 255),
        metadata={
            "description": "Repeats with the same key and userId "
            "within 24 h return the original appointment"
        },
    )


class AppointmentSchema(ApiSchema):
    id = ObjectIdString(examples.APPOINTMENT_ID, dump_only=True)
    slot_id = ObjectIdString(examples.SLOT_ID, data_key="slotId")
    service_id = ObjectIdString(examples.SERVICE_ID, data_key="serviceId")
    user_id = fields.String(data_key="userId", metadata={"example": "patient-42"})
    user_name = fields.String(
        data_key="userName", allow_none=True, metadata={"example": "Grace Hopper"}
    )
    user_email = fields.String(
        data_key="userEmail", allow_none=True, metadata={"example": "grace@example.com"}
    )
    seats = fields.Integer(metadata={"example": 1})
    status = fields.String(
        validate=validate.OneOf([s.value for s in Status]), metadata={"example": "BOOKED"}
    )
    expires_at = UtcDateTime(
        None,
        data_key="expiresAt",
        allow_none=True,
        metadata={"description": "Set while PENDING", "example": None},
    )
    created_at = UtcDateTime(examples.CREATED, data_key="createdAt")
    updated_at = UtcDateTime(examples.CREATED, data_key="updatedAt")
    cancelled_at = UtcDateTime(
        None, data_key="cancelledAt", allow_none=True, metadata={"example": None}
    )
    service = fields.Nested(ServiceSchema)
    slot = fields.Nested(
        SlotSchema, allow_none=True, metadata={"description": "null once the slot has been deleted"}
    )


class AppointmentQueryArgsSchema(ApiSchema):
    """Filters; none is filled in as an example, so that trying the list shows every one."""

    user_id = Text(data_key="userId", validate=validate.Length(1, 200))
    status = fields.String(validate=validate.OneOf([s.value for s in Status]))
    service_id = ObjectIdString(None, data_key="serviceId")
    slot_id = ObjectIdString(None, data_key="slotId")
