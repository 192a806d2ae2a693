from datetime import time, timedelta

from marshmallow import ValidationError, fields, post_load, pre_dump, validate, validates_schema

from slotkeeper.api import examples
from slotkeeper.api.fields import ObjectIdString, Text, UtcDateTime, strict_int
from slotkeeper.api.schemas import ApiSchema
from slotkeeper.api.slots.schemas import HHMM, MAX_CAPACITY, SlotSchema
from slotkeeper.domain.opening_hours import Hours, Schedule

DAYS = [str(day) for day in range(1, 8)]
DAY = validate.OneOf(DAYS, error='An ISO weekday from "1" (Monday) to "7" (Sunday).')


def _clock(text: str) -> time:
    return time(int(text[:2]), int(text[3:]))


class HoursSchema(ApiSchema):
    start = fields.String(required=True, validate=HHMM, metadata={"example": "09:00"})
    end = fields.String(required=True, validate=HHMM, metadata={"example": "17:00"})

    @validates_schema
    def ends_after_start(self, data, **kwargs):
        if {"start", "end"} <= data.keys() and data["end"] <= data["start"]:
            raise ValidationError("A time of day after start.", "end")


class ScheduleSchema(ApiSchema):
    """A weekly schedule: local-time ranges per ISO weekday, and how slots are laid in them."""

    weekly = fields.Dict(
        keys=fields.String(validate=DAY),
        values=fields.List(fields.Nested(HoursSchema), validate=validate.Length(max=48)),
        load_default=dict,
        metadata={
            "description": 'Keys "1" (Monday) to "7" (Sunday), each a list of local-time '
            'ranges {"start": "HH:MM", "end": "HH:MM"} that do not overlap; a missing key '
            "is a closed day",
            "example": examples.WEEKLY,
        },
    )
    slot_minutes = strict_int(
        5, 1440, data_key="slotMinutes", required=True, metadata={"example": 30}
    )
    gap_minutes = strict_int(
        0, 1440, data_key="gapMinutes", load_default=0, metadata={"example": 0}
    )
    capacity = strict_int(1, MAX_CAPACITY, load_default=1, metadata={"example": 1})
    horizon_days = strict_int(
        1,
        366,
        data_key="horizonDays",
        load_default=60,
        metadata={"example": 60, "description": "Slots are kept laid this many days ahead"},
    )

    @validates_schema
    def ranges_apart(self, data, **kwargs):
        for day, ranges in (data.get("weekly") or {}).items():
            spans = sorted((r["start"], r["end"]) for r in ranges)
            for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
                if start < end:
                    raise ValidationError(
                        {day: [f"Ranges that do not overlap ({start} is before {end})."]},
                        "weekly",
                    )

    @post_load
    def to_schedule(self, data, **kwargs) -> Schedule:
        return Schedule(
            weekly={
                int(day): tuple(
                    Hours(_clock(r["start"]), _clock(r["end"]))
                    for r in sorted(ranges, key=lambda r: r["start"])
                )
                for day, ranges in data["weekly"].items()
                if ranges
            },
            slot=timedelta(minutes=data["slot_minutes"]),
            gap=timedelta(minutes=data["gap_minutes"]),
            capacity=data["capacity"],
            horizon_days=data["horizon_days"],
        )

    @pre_dump
    def from_schedule(self, schedule: Schedule, **kwargs) -> dict:
        stored = schedule.to_stored()
        return {
            "weekly": stored["weekly"],
            "slot_minutes": stored["slotMinutes"],
            "gap_minutes": stored["gapMinutes"],
            "capacity": stored["capacity"],
            "horizon_days": stored["horizonDays"],
        }


class AppliedScheduleSchema(ApiSchema):
    schedule = fields.Nested(ScheduleSchema)
    created = fields.Integer(metadata={"example": 60, "description": "Slots laid"})
    skipped = fields.Integer(
        metadata={
            "example": 0,
            "description": "Windows up to the horizon not laid: inside a closure, or "
            "overlapping a slot made by hand",
        }
    )
    removed = fields.Integer(
        metadata={
            "example": 0,
            "description": "Future slots an earlier schedule laid that this one would not",
        }
    )
    kept = fields.List(
        fields.Nested(SlotSchema),
        metadata={
            "description": "Slots this schedule would not lay that stay, for the seats held "
            "or booked on them"
        },
    )


class ClosureCreateSchema(ApiSchema):
    start = UtcDateTime(examples.CLOSURE_FROM, data_key="from", required=True)
    end = UtcDateTime(examples.CLOSURE_TO, data_key="to", required=True)
    note = Text(
        allow_none=True, validate=validate.Length(max=500), metadata={"example": "Public holiday"}
    )

    @validates_schema
    def ends_after_start(self, data, **kwargs):
        if {"start", "end"} <= data.keys() and data["end"] <= data["start"]:
            raise ValidationError("A date-time after from.", "to")


class ClosureSchema(ApiSchema):
    id = ObjectIdString(examples.CLOSURE_ID, dump_only=True)
    service_id = ObjectIdString(examples.SERVICE_ID, data_key="serviceId", dump_only=True)
    start = UtcDateTime(examples.CLOSURE_FROM, data_key="from", dump_only=True)
    end = UtcDateTime(examples.CLOSURE_TO, data_key="to", dump_only=True)
    note = fields.String(allow_none=True, dump_only=True, metadata={"example": "Public holiday"})
    created_at = UtcDateTime(examples.CREATED, data_key="createdAt", dump_only=True)


class ClosedSchema(ApiSchema):
    closure = fields.Nested(ClosureSchema)
    removed = fields.Integer(
        metadata={"example": 0, "description": "Future slots inside the closure removed"}
    )
    kept = fields.List(
        fields.Nested(SlotSchema),
        metadata={
            "description": "Future slots inside the closure that stay, for the seats held or "
            "booked on them"
        },
    )
