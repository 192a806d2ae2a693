"""Opening hours: which slots a weekly schedule lays from now to its horizon, and closures.

Plain rules, no database: the service layer reads the calendar, asks `windows` what the
schedule wants, and reserves what is free.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from slotkeeper.domain.schedule import SlotPlan, plan_slots

Window = tuple[datetime, datetime]


@dataclass(frozen=True)
class Hours:
    """A local-time range `[start, end)` of one weekday."""

    start: time
    end: time


@dataclass(frozen=True)
class Schedule:
    """A weekly schedule: ranges per ISO weekday (1=Mon..7=Sun; a missing day is closed)."""

    weekly: dict[int, tuple[Hours, ...]]
    slot: timedelta
    gap: timedelta = timedelta(0)
    capacity: int = 1
    horizon_days: int = 60

    @classmethod
    def stored(cls, doc: dict) -> Schedule:
        return cls(
            weekly={
                int(day): tuple(Hours(_clock(r["start"]), _clock(r["end"])) for r in ranges)
                for day, ranges in (doc.get("weekly") or {}).items()
            },
            slot=timedelta(minutes=doc["slotMinutes"]),
            gap=timedelta(minutes=doc.get("gapMinutes", 0)),
            capacity=doc.get("capacity", 1),
            horizon_days=doc.get("horizonDays", 60),
        )

    def to_stored(self) -> dict:
        return {
            "weekly": {
                str(day): [{"start": _hhmm(h.start), "end": _hhmm(h.end)} for h in ranges]
                for day, ranges in sorted(self.weekly.items())
            },
            "slotMinutes": int(self.slot.total_seconds() // 60),
            "gapMinutes": int(self.gap.total_seconds() // 60),
            "capacity": self.capacity,
            "horizonDays": self.horizon_days,
        }

    def horizon(self, now: datetime) -> datetime:
        return now + timedelta(days=self.horizon_days)


@dataclass(frozen=True)
class Closure:
    """A time range `[start, end)` in which a service lays no slot. `check_at`: when the
    sweep must finish removing the slots inside it, unless its writer did (None once done)."""

    id: str
    start: datetime
    end: datetime
    note: str | None = None
    created_at: datetime | None = None
    service_id: str | None = None
    check_at: datetime | None = None

    def overlaps(self, start: datetime, end: datetime) -> bool:
        return self.start < end and start < self.end


def closed(closures: Sequence[Closure], start: datetime, end: datetime) -> bool:
    """Whether `[start, end)` overlaps any of `closures` at all."""
    return any(c.overlaps(start, end) for c in closures)


@dataclass(frozen=True)
class Planned:
    """The windows a schedule lays (sorted, none overlapping, none closed) and how many of
    its windows fell in a closure."""

    windows: list[Window]
    closed: int


def windows(
    schedule: Schedule,
    timezone: str,
    now: datetime,
    closures: Sequence[Closure] = (),
    limit: int | None = None,
) -> Planned:
    """The slots `schedule` lays in `timezone` that start after `now` and before its horizon.

    Each weekly range is stepped as `POST /slots/generate` steps a day (in absolute time, so
    a slot always lasts `slot`); where an offset change makes two ranges reach into each
    other, the later slot is dropped, so no two windows overlap.
    """
    tz = ZoneInfo(timezone)
    until = schedule.horizon(now)
    # from the day before: a window of yesterday may reach into today's across an offset change
    first = now.astimezone(tz).date() - timedelta(days=1)
    last = until.astimezone(tz).date()
    by_hours: dict[Hours, set[int]] = {}
    for day, ranges in schedule.weekly.items():
        for hours in ranges:
            by_hours.setdefault(hours, set()).add(day)
    found: list[Window] = []
    for hours, days in by_hours.items():
        plan = SlotPlan(
            from_date=first,
            to_date=last,
            day_start=hours.start,
            day_end=hours.end,
            duration=schedule.slot,
            gap=schedule.gap,
            weekdays=frozenset(days),
            timezone=timezone,
        )
        found += plan_slots(plan)
    # Overlaps are settled before `now` and the horizon cut, so that whenever the horizon is
    # extended (a later `now`), the windows agree with those laid before.
    apart: list[Window] = []
    for window in sorted(found):
        if not apart or window[0] >= apart[-1][1]:
            apart.append(window)
    ahead = [w for w in apart if now < w[0] < until]
    if limit is not None and len(ahead) > limit:
        raise TooManyWindows(f"the schedule lays more than {limit} slots")
    laid = [w for w in ahead if not closed(closures, *w)]
    return Planned(laid, len(ahead) - len(laid))


class TooManyWindows(ValueError):
    """A schedule would lay more slots up to its horizon than allowed."""


def _clock(text: str) -> time:
    return time(int(text[:2]), int(text[3:5]))


def _hhmm(value: time) -> str:
    return f"{value.hour:02d}:{value.minute:02d}"
