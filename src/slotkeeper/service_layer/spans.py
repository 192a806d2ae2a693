"""Calendar steps shared by the use cases that lay slots (not a use case itself).

A slot is laid in two writes: (1) its span is reserved on the service's calendar, by a
conditional update that matches only while no span overlaps it; (2) the slot is inserted with
the id its span names. A process that dies between them leaves a span without a slot: a
phantom. A phantom older than the write grace is dropped by whoever it stands in the way of,
so it never refuses a slot for long (as a stale hold never refuses a booking).
"""

from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from slotkeeper.domain.errors import SlotExists, SlotOverlap
from slotkeeper.repositories import Repositories
from slotkeeper.repositories.calendar_repository import CalendarView, Span
from slotkeeper.service_layer.seats import WRITE_GRACE

# A reservation refused by spans that vanish meanwhile (phantoms dropped, slots deleted) is
# tried again this often.
ATTEMPTS = 3


@dataclass(frozen=True)
class Laid:
    """The spans reserved by one batch, and how many windows were skipped."""

    spans: list[Span]
    skipped: int


def reserve_span(repos: Repositories, service_id, span: Span, now: datetime) -> None:
    """Reserve the span of one new slot, or refuse: SLOT_EXISTS when a slot of the service
    starts at the same time, SLOT_OVERLAP when one overlaps it."""
    for _ in range(ATTEMPTS):
        if repos.calendars.reserve(service_id, span, now):
            return
        calendar = repos.calendars.read(service_id)
        in_the_way = [s for s in calendar.spans if s.overlaps(span.start, span.end)]
        if drop_phantoms(repos, service_id, in_the_way, now):
            continue
        if any(s.start == span.start for s in in_the_way):
            raise SlotExists("the service already has a slot at that startTime")
        if in_the_way:
            raise SlotOverlap(
                "startTime: the slot overlaps another slot of the service "
                f"({in_the_way[0].start.isoformat()} to "
                f"{in_the_way[0].end.isoformat()})"
            )
    raise SlotOverlap("the service's calendar kept changing; try again")


def reserve_free_spans(repos: Repositories, service_id, wanted: list[Span], now: datetime) -> Laid:
    """Reserve every one of `wanted` (sorted, not overlapping each other) that overlaps no
    span of the service, in one conditional update; the others are skipped."""
    for _ in range(ATTEMPTS):
        calendar = repos.calendars.read(service_id)
        free, blocking = _partition(calendar, wanted)
        if drop_phantoms(repos, service_id, blocking, now):
            continue
        if not free or repos.calendars.reserve_all(service_id, free, calendar.rev, now):
            return Laid(free if free else [], len(wanted) - len(free))
    return Laid([], len(wanted))


def _partition(calendar: CalendarView, wanted: list[Span]) -> tuple[list[Span], list[Span]]:
    """(the wanted spans no existing span overlaps, the existing spans in the way)."""
    spans = sorted(calendar.spans, key=lambda s: s.start)
    starts = [s.start for s in spans]
    ends_so_far: list[datetime] = []
    for s in spans:
        ends_so_far.append(max(ends_so_far[-1], s.end) if ends_so_far else s.end)
    free, blocking = [], []
    for span in wanted:
        before = bisect_left(starts, span.end)
        if before and ends_so_far[before - 1] > span.start:
            blocking += [s for s in spans[:before] if s.overlaps(span.start, span.end)]
        else:
            free.append(span)
    return free, blocking


def drop_phantoms(repos: Repositories, service_id, spans: Iterable[Span], now: datetime) -> bool:
    """Drop the spans among `spans` whose slot was never inserted (or is gone) and that are
    older than the write grace; True when one was dropped."""
    old = {s.slot_id: s for s in spans if s.at is None or s.at <= now - WRITE_GRACE}
    if not old:
        return False
    existing = set(repos.slots.get_many(list(old)))
    dropped = False
    for slot_id in old.keys() - existing:
        dropped = repos.calendars.free(service_id, slot_id) or dropped
    return dropped
