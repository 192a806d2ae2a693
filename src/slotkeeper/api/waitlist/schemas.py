from marshmallow import fields, pre_load, validate

from slotkeeper.api import examples
from slotkeeper.api.fields import ObjectIdString, Text, UtcDateTime, strict_int
from slotkeeper.api.schemas import ApiSchema
from slotkeeper.api.slots.schemas import MAX_CAPACITY
from slotkeeper.auth.guard import signed_in_user
from slotkeeper.domain.waitlist import EntryStatus


class WaitlistJoinSchema(ApiSchema):
    user_id = Text(
        data_key="userId",
        required=True,
        validate=validate.Length(1, 200),
        metadata={
            "example": "patient-42",
            "description": "As for book: required while authentication is off; with a bearer "
            "token it may be left out and is the token's sub; another user's id needs role "
            "admin",
        },
    )
    seats = strict_int(1, MAX_CAPACITY, load_default=1, metadata={"example": 1})

    @pre_load
    def _user_defaults_to_the_caller(self, data, **kwargs):
        user = signed_in_user()
        if isinstance(data, dict) and "userId" not in data and user is not None:
            return {**data, "userId": user}
        return data


class WaitlistEntrySchema(ApiSchema):
    id = ObjectIdString(examples.ENTRY_ID, dump_only=True)
    slot_id = ObjectIdString(examples.SLOT_ID, data_key="slotId")
    service_id = ObjectIdString(examples.SERVICE_ID, data_key="serviceId")
    user_id = fields.String(data_key="userId", metadata={"example": "patient-42"})
    seats = fields.Integer(metadata={"example": 1})
    status = fields.String(
        validate=validate.OneOf([s.value for s in EntryStatus]),
        metadata={
            "example": "WAITING",
            "description": "WAITING, then OFFERED (a hold was made for the entry: confirm it "
            "as any hold), then ACCEPTED (confirmed), EXPIRED (not confirmed in time) or LEFT "
            "(left the list, or cancelled the offer)",
        },
    )
    position = fields.Integer(
        allow_none=True,
        metadata={"example": 1, "description": "Place in the line, from 1, while WAITING"},
    )
    appointment_id = ObjectIdString(
        None,
        data_key="appointmentId",
        allow_none=True,
        metadata={"description": "The offer (a PENDING appointment), once made", "example": None},
    )
    created_at = UtcDateTime(examples.CREATED, data_key="createdAt")
    updated_at = UtcDateTime(examples.CREATED, data_key="updatedAt")


class WaitlistQueryArgsSchema(ApiSchema):
    user_id = Text(data_key="userId", validate=validate.Length(1, 200))
    slot_id = ObjectIdString(None, data_key="slotId")
    status = fields.String(validate=validate.OneOf([s.value for s in EntryStatus]))
