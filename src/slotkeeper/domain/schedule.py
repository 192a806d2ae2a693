"""Slot-generation planner: turns a daily local-time window into UTC (start, end) pairs."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MAX_SLOTS_PER_CALL = 5000

Slot = tuple[datetime, datetime]


class TooManySlots(ValueError):
    """A plan would produce more slots than the caller allows."""


@dataclass(frozen=True)
class SlotPlan:
    """What to generate: a local wall-clock window repeated on chosen weekdays of a date range."""

    from_date: date
    to_date: date
    day_start: time
    day_end: time
    duration: timedelta
    gap: timedelta
    weekdays: frozenset[int]
    timezone: str

    def __post_init__(self) -> None:
        # Ranges are the API's job; these two only keep the stepping loop finite and overlap-free.
        if self.duration <= timedelta(0) or self.gap < timedelta(0):
            raise ValueError("duration must be positive and gap non-negative")


def plan_slots(plan: SlotPlan, limit: int | None = None) -> list[Slot]:
    """(start, end) pairs in UTC, sorted by start; raises TooManySlots past `limit`."""
    tz = ZoneInfo(plan.timezone)
    slots: list[Slot] = []
    for day in _matching_days(plan):
        for slot in _day_slots(plan, day, tz):
            if slots and slot[0] < slots[-1][1]:
                continue  # an offset change made this day reach back into the previous one
            if limit is not None and len(slots) >= limit:
                raise TooManySlots(f"plan yields more than {limit} slots")
            slots.append(slot)
    return slots


def _matching_days(plan: SlotPlan) -> Iterator[date]:
    """Local dates in the inclusive range whose ISO weekday was chosen."""
    day = plan.from_date
    while day <= plan.to_date:
        if day.isoweekday() in plan.weekdays:
            yield day
        day += timedelta(days=1)


def _day_slots(plan: SlotPlan, day: date, tz: ZoneInfo) -> Iterator[Slot]:
    """One day's slots, stepped in absolute time so DST never changes a slot's real length."""
    last_end = datetime.combine(day, plan.day_end)
    start = _to_utc(datetime.combine(day, plan.day_start), tz)
    while True:
        end = start + plan.duration
        # Naive comparison on purpose: day_end is a wall-clock bound, whichever fold the end is in.
        if end.astimezone(tz).replace(tzinfo=None) > last_end:
            return
        yield start, end
        start = end + plan.gap


def _to_utc(local: datetime, tz: ZoneInfo) -> datetime:
    """UTC instant of naive local time: first occurrence if ambiguous, end of the gap if missing."""
    first = local.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if first.astimezone(tz).replace(tzinfo=None) == local:
        return first
    # Inside a gap fold=1 lands before the transition and fold=0 after it.
    before = local.replace(tzinfo=tz, fold=1).astimezone(UTC)
    return _transition_between(before, first, tz)


def _transition_between(before: datetime, after: datetime, tz: ZoneInfo) -> datetime:
    """The whole second in (before, after] where the UTC offset switches to after's."""
    target = after.astimezone(tz).utcoffset()
    lo, hi = int(before.timestamp()) - 1, int(after.timestamp()) + 1
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if datetime.fromtimestamp(mid, UTC).astimezone(tz).utcoffset() == target:
            hi = mid
        else:
            lo = mid
    return datetime.fromtimestamp(hi, UTC)
