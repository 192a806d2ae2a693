from datetime import time, timedelta

from marshmallow import ValidationError, fields, post_load, validate, validates_schema

from slotkeeper.api import examples
from slotkeeper.api.fields import FullMatch, ObjectIdString, UtcDateTime, strict_int
from slotkeeper.api.schemas import ApiSchema
from slotkeeper.domain.rules import free_seats
from slotkeeper.domain.status import SlotStatus

MAX_CAPACITY = 10000
MAX_RANGE_DAYS = 366
HHMM = FullMatch(r"([01]\d|2[0-3]):[0-5]\d", "A time of day as HH:MM, like 09:00.")


class SlotCreateSchema(ApiSchema):
    service_id = ObjectIdString(examples.SERVICE_ID, data_key="serviceId", required=True)
    start_time = UtcDateTime(examples.START, data_key="startTime", required=True)
    end_time = UtcDateTime(examples.END, data_key="endTime", required=True)
    capacity = strict_int(1, MAX_CAPACITY, load_default=1, metadata={"example": 1})

    @validates_schema
    def ends_after_start(self, data, **kwargs):
        start, end = data.get("start_time"), data.get("end_time")
        if start and end and end <= start:
            raise ValidationError("A date-time after startTime.", "endTime")


def _clock_time(text: str) -> time:
    return time(int(text[:2]), int(text[3:]))


class SlotGenerateSchema(ApiSchema):
    service_id = ObjectIdString(examples.SERVICE_ID, data_key="serviceId", required=True)
    from_date = fields.Date(data_key="fromDate", required=True, metadata={"example": "2030-01-07"})
    to_date = fields.Date(data_key="toDate", required=True, metadata={"example": "2030-01-11"})
    day_start = fields.String(
        data_key="dayStart", required=True, validate=HHMM, metadata={"example": "09:00"}
    )
    day_end = fields.String(
        data_key="dayEnd", required=True, validate=HHMM, metadata={"example": "17:00"}
    )
    duration_minutes = strict_int(
        5, 1440, data_key="durationMinutes", required=True, metadata={"example": 30}
    )
    gap_minutes = strict_int(
        0, 1440, data_key="gapMinutes", load_default=0, metadata={"example": 0}
    )
    weekdays = fields.List(
        strict_int(1, 7),
        load_default=lambda: [1, 2, 3, 4, 5],
        validate=validate.Length(1, 7),
        metadata={"description": "ISO weekdays, 1=Mon..7=Sun", "example": [1, 2, 3, 4, 5]},
    )
    capacity = strict_int(1, MAX_CAPACITY, load_default=1, metadata={"example": 1})

    @validates_schema
    def coherent(self, data, **kwargs):
        if {"from_date", "to_date"} <= data.keys():
            days = (data["to_date"] - data["from_date"]).days
            if not 0 <= days <= MAX_RANGE_DAYS:
                raise ValidationError(
                    f"A date 0 to {MAX_RANGE_DAYS} days after fromDate.", "toDate"
                )
        if {"day_start", "day_end"} <= data.keys() and data["day_end"] <= data["day_start"]:
            raise ValidationError("A time of day after dayStart.", "dayEnd")

    @post_load
    def to_plan(self, data, **kwargs):
        return {
            "service_id": data["service_id"],
            "capacity": data["capacity"],
            "plan": {
                "from_date": data["from_date"],
                "to_date": data["to_date"],
                "day_start": _clock_time(data["day_start"]),
                "day_end": _clock_time(data["day_end"]),
                "duration": timedelta(minutes=data["duration_minutes"]),
                "gap": timedelta(minutes=data["gap_minutes"]),
                "weekdays": frozenset(data["weekdays"]),
            },
        }


class SlotSchema(ApiSchema):
    id = ObjectIdString(examples.SLOT_ID, dump_only=True)
    service_id = ObjectIdString(examples.SERVICE_ID, data_key="serviceId")
    start_time = UtcDateTime(examples.START, data_key="startTime")
    end_time = UtcDateTime(examples.END, data_key="endTime")
    capacity = fields.Integer(metadata={"example": 1})
    booked_seats = fields.Integer(data_key="bookedSeats", metadata={"example": 0})
    held_seats = fields.Integer(data_key="heldSeats", metadata={"example": 0})
    available_seats = fields.Method(
        "_available",
        data_key="availableSeats",
        metadata={
            "type": "integer",
            "example": 1,
            "description": "capacity - bookedSeats - heldSeats",
        },
    )
    waiting_seats = fields.Integer(
        data_key="waitingSeats",
        metadata={
            "example": 0,
            "description": "Seats asked by the slot's WAITING entries: reserved for them, so "
            "anyone else can take only availableSeats - waitingSeats",
        },
    )
    status = fields.String(validate=validate.OneOf([s.value for s in SlotStatus]))
    created_at = UtcDateTime(examples.CREATED, data_key="createdAt")
    updated_at = UtcDateTime(examples.CREATED, data_key="updatedAt")

    def _available(self, slot) -> int:
        return free_seats(slot.capacity, slot.booked_seats, slot.held_seats)


class GeneratedSlotsSchema(ApiSchema):
    created = fields.Integer(metadata={"example": 1})
    skipped = fields.Integer(
        metadata={"example": 0, "description": "Start times the service already had, or past"}
    )
    slots = fields.List(fields.Nested(SlotSchema), metadata={"description": "The slots created"})


class SlotQueryArgsSchema(ApiSchema):
    service_id = ObjectIdString(examples.SERVICE_ID, data_key="serviceId")
    status = fields.String(validate=validate.OneOf([s.value for s in SlotStatus]))
    start_from = UtcDateTime(
        None,
        data_key="from",
        metadata={"description": "startTime >= from, like 2030-01-07T00:00:00Z"},
    )
    start_to = UtcDateTime(
        None, data_key="to", metadata={"description": "startTime < to, like 2030-01-08T00:00:00Z"}
    )
    available = fields.Boolean(
        metadata={
            "description": "true: a newcomer could take a seat (availableSeats - waitingSeats "
            "> 0) and the slot has not started; false: the others"
        }
    )
