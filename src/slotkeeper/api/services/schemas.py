from decimal import Decimal
from importlib.resources import files

from marshmallow import ValidationError, fields, validate

from slotkeeper.api import examples
from slotkeeper.api.fields import FullMatch, ObjectIdString, Text, UtcDateTime
from slotkeeper.api.schemas import ApiSchema

# The IANA names the tzdata package ships (the host's files add "localtime" and the like)
TIMEZONES = frozenset(files("tzdata").joinpath("zones").read_text(encoding="ascii").split())
MAX_PRICE = 1_000_000_000
CURRENCY = FullMatch(r"[A-Z]{3}", "An ISO 4217 currency code of 3 capital letters, like EUR.")


def two_decimals(value: float) -> None:
    exponent = Decimal(str(value)).as_tuple().exponent
    if not isinstance(exponent, int) or exponent < -2:  # "n", "N", "F": NaN or infinite
        raise ValidationError("A number with at most 2 decimals, like 80.25.")


def known_timezone(value: str) -> None:
    if value not in TIMEZONES:
        raise ValidationError("An IANA time zone name, like Europe/Berlin or UTC.")


MAX_MINUTES = 366 * 24 * 60  # a year and a day


class PolicySchema(ApiSchema):
    """A service's booking policy; every field optional, null puts it back to its default."""

    min_notice_minutes = fields.Integer(
        strict=True,
        allow_none=True,
        data_key="minNoticeMinutes",
        validate=validate.Range(0, MAX_MINUTES),
        metadata={
            "example": 60,
            "description": "book, hold and reschedule-to need startTime - "
            "now >= this many minutes (default 0), else 409 NOTICE_TOO_SHORT",
        },
    )
    max_advance_days = fields.Integer(
        strict=True,
        allow_none=True,
        data_key="maxAdvanceDays",
        validate=validate.Range(1, 3660),
        metadata={
            "example": 90,
            "description": "book, hold and reschedule-to need startTime - "
            "now <= this many days (default null: no limit), else 409 TOO_FAR_AHEAD",
        },
    )
    cancel_cutoff_minutes = fields.Integer(
        strict=True,
        allow_none=True,
        data_key="cancelCutoffMinutes",
        validate=validate.Range(0, MAX_MINUTES),
        metadata={
            "example": 1440,
            "description": "a user (not an admin; with authentication "
            "off everyone counts as a user) may cancel or reschedule only while "
            "startTime - now >= this many minutes (default 0), else 409 CANCEL_CUTOFF",
        },
    )
    max_active_per_user = fields.Integer(
        strict=True,
        allow_none=True,
        data_key="maxActivePerUser",
        validate=validate.Range(1, 10000),
        metadata={
            "example": 2,
            "description": "a user's PENDING and BOOKED appointments on "
            "slots of this service that have not started may not exceed this (default "
            "null: no limit), else 409 USER_LIMIT_REACHED. A place on a waiting list counts "
            "as the appointment its offer will be, from when it joins until it leaves or its "
            "offer is declined or runs out",
        },
    )


class ServiceFieldsSchema(ApiSchema):
    name = Text(validate=validate.Length(1, 200), metadata={"example": "Dr. Ada Lovelace"})
    description = Text(
        allow_none=True,
        validate=validate.Length(max=2000),
        metadata={"example": "General cardiology"},
    )
    address = Text(
        allow_none=True,
        validate=validate.Length(max=500),
        metadata={"example": "Hauptstr. 1, Berlin"},
    )
    category = Text(
        allow_none=True, validate=validate.Length(max=100), metadata={"example": "Cardiology"}
    )
    price = fields.Float(
        allow_nan=False,
        validate=[validate.Range(0, MAX_PRICE), two_decimals],
        metadata={"example": 80.0},
    )
    currency = fields.String(validate=CURRENCY, metadata={"example": "EUR"})
    timezone = fields.String(validate=known_timezone, metadata={"example": "Europe/Berlin"})
    active = fields.Boolean(metadata={"example": True})
    policy = fields.Nested(
        PolicySchema,
        metadata={
            "description": "Booking policy. PATCH merges the fields given; null puts a field back "
            "to its default"
        },
    )


class ServiceCreateSchema(ServiceFieldsSchema):
    name = Text(
        required=True, validate=validate.Length(1, 200), metadata={"example": "Dr. Ada Lovelace"}
    )
    price = fields.Float(
        load_default=0,
        allow_nan=False,
        validate=[validate.Range(0, MAX_PRICE), two_decimals],
        metadata={"example": 80.0},
    )
    currency = fields.String(load_default="USD", validate=CURRENCY, metadata={"example": "EUR"})
    timezone = fields.String(
        load_default="UTC", validate=known_timezone, metadata={"example": "Europe/Berlin"}
    )
    active = fields.Boolean(load_default=True, metadata={"example": True})


class ServiceUpdateSchema(ServiceFieldsSchema):
    """Any writable field; absent fields stay as they are."""


class ServiceSchema(ServiceFieldsSchema):
    id = ObjectIdString(examples.SERVICE_ID, dump_only=True)
    policy = fields.Nested(
        PolicySchema,
        attribute="booking_policy",
        dump_only=True,
        metadata={"description": "Booking policy, every field shown"},
    )
    created_at = UtcDateTime(examples.CREATED, data_key="createdAt", dump_only=True)
    updated_at = UtcDateTime(examples.CREATED, data_key="updatedAt", dump_only=True)


class ServiceQueryArgsSchema(ApiSchema):
    category = Text(validate=validate.Length(max=100))
    active = fields.Boolean()
    q = Text(
        validate=validate.Length(max=200),
        metadata={"description": "Case-insensitive substring of the name"},
    )
