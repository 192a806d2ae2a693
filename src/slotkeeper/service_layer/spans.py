"""Calendar steps shared by the use cases that lay slots (not a use case itself).

A slot is laid in two writes: (1) its span is reserved on the service's calendar, by a
conditional update that matches only while no span overlaps it; (2) the slot is inserted with
the id its span names. A process that dies between them leaves a span without a slot: a
phantom. A phantom older than the write grace is dropped by whoever it stands in the way of,
so it never refuses a slot for long (as a stale hold never refuses a booking).

No span is reserved inside a closure (the reservation's condition says so). A closure or a
schedule written while a slot is between its two writes may remove the span, or cover it:
so whoever lays slots reads the calendar once more after inserting them and takes back the
ones that may no longer stand (`keep_standing`).

Work that a dead process would leave half done is marked on the calendar first, with a
`checkAt`: a closure whose slots are still to be removed, a span being taken back. The sweep
finishes what is due (`check_calendar`); each step is a conditional write or a delete of an
idle slot, so it may run in several processes at once and twice.
"""

from bisect import bisect_left
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from slotkeeper.domain.errors import NotFound, ServiceClosed, SlotExists, SlotOverlap
from slotkeeper.domain.opening_hours import Closure, closed
from slotkeeper.repositories import Repositories
from slotkeeper.repositories.calendar_repository import CalendarView, Span
from slotkeeper.service_layer.reconcile import reclaim_stale_holds
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
    """Reserve the span of one new slot, or refuse: SERVICE_CLOSED when a closure overlaps
    it, SLOT_EXISTS when a slot of the service starts at the same time, SLOT_OVERLAP when one
    overlaps it."""
    for _ in range(ATTEMPTS):
        if repos.calendars.reserve(service_id, span, now):
            return
        calendar = repos.calendars.read(service_id)
        if closed(calendar.closures, span.start, span.end):
            raise ServiceClosed(closed_message(calendar, span))
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


def reserve_free_spans(
    repos: Repositories,
    service_id,
    wanted: list[Span] | Callable[[CalendarView], list[Span]],
    now: datetime,
) -> Laid:
    """Reserve every one of `wanted` (sorted, not overlapping each other) that overlaps no
    span or closure of the service, in one conditional update; the others are skipped.
    `wanted` may be decided from the calendar as read (the schedule on it, say): it is then
    decided again whenever the calendar changed before the update."""
    for _ in range(ATTEMPTS):
        calendar = repos.calendars.read(service_id)
        spans = wanted(calendar) if callable(wanted) else wanted
        free, blocking = _partition(calendar, spans)
        if drop_phantoms(repos, service_id, blocking, now):
            continue
        if not free or repos.calendars.reserve_all(service_id, free, calendar.rev, now):
            return Laid(free if free else [], len(spans) - len(free))
    return Laid([], len(spans))


def closed_message(calendar: CalendarView, span: Span) -> str:
    closure = next(c for c in calendar.closures if c.overlaps(span.start, span.end))
    return (
        f"startTime: the service is closed from {closure.start.isoformat()} "
        f"to {closure.end.isoformat()}"
    )


def _partition(calendar: CalendarView, wanted: list[Span]) -> tuple[list[Span], list[Span]]:
    """(the wanted spans no existing span or closure overlaps, the existing spans in the
    way)."""
    spans = sorted(calendar.spans, key=lambda s: s.start)
    starts = [s.start for s in spans]
    ends_so_far: list[datetime] = []
    for s in spans:
        ends_so_far.append(max(ends_so_far[-1], s.end) if ends_so_far else s.end)
    free, blocking = [], []
    for span in wanted:
        if closed(calendar.closures, span.start, span.end):
            continue
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
    existing = set(repos.slots.capacities(list(old)))
    dropped = False
    for slot_id in old.keys() - existing:
        dropped = repos.calendars.free(service_id, slot_id) or dropped
    return dropped


def keep_standing(repos: Repositories, service_id, slots: list, now: datetime) -> list:
    """The slots among `slots` (just inserted by the caller) that stand.

    One that lost its span meanwhile, or whose span is being taken back (a schedule that
    found no slot for it), or that a closure written meanwhile overlaps is deleted again,
    unless seats were taken on it already: then it stands (as a slot a closure keeps), and
    keeps or gets back its span. A slot already deleted by someone else counts as standing:
    it was laid, then removed.

    Whoever takes a span back marks it first and then looks for the slot, while the slot's
    layer inserts first and then looks for the span: one of the two sees the other.
    """
    if not slots:
        return []
    calendar = repos.calendars.read(service_id)
    spans = {s.slot_id for s in calendar.spans if s.check_at is None}
    standing = []
    for slot in slots:
        lost = slot.id not in spans
        if not lost and not closed(calendar.closures, slot.start_time, slot.end_time):
            standing.append(slot)
            continue
        outcome = _remove(repos, service_id, slot.id, now)
        if outcome == KEPT and lost:
            restore_span(repos, service_id, slot, now)
        if outcome != REMOVED:
            standing.append(slot)
    return standing


def restore_span(repos: Repositories, service_id, slot, now: datetime) -> None:
    """Give a slot that stays (seats are taken on it) its span back: the one being taken
    back, or a new one."""
    if repos.calendars.settle_span(service_id, slot.id):
        return
    span = Span(slot.start_time, slot.end_time, slot.id, laid=bool(slot.laid))
    repos.calendars.reserve(service_id, span, now)


@dataclass(frozen=True)
class Removal:
    """Slots removed, the ids of those kept because seats are taken on them, and the ids
    whose slot was not there (not inserted yet, or deleted by someone else)."""

    removed: int
    kept: list
    missing: list = field(default_factory=list)


def take_back(repos: Repositories, service_id, spans: list[Span], now: datetime) -> Removal:
    """Take back `spans`, whose slots were not there when looked for (their layer may be
    inserting them right now): each span is marked first, then its slot looked for once more
    and deleted while idle; then the span is freed, or, if the slot is kept for its seats,
    settled. A process that dies in between leaves the mark, which the sweep finishes once it
    is due."""
    removed, kept = 0, []
    for span in spans:
        if not repos.calendars.take_back(service_id, span.slot_id, now + WRITE_GRACE):
            continue  # freed meanwhile
        outcome = finish_taking_back(repos, service_id, span, now)
        removed += outcome == REMOVED
        if outcome == KEPT:
            kept.append(span.slot_id)
    return Removal(removed, kept)


def finish_taking_back(repos: Repositories, service_id, span: Span, now: datetime) -> str:
    """The rest of taking back a marked span (also the sweep's, for a dead writer's mark):
    REMOVED (the span is freed), GONE or KEPT (the span is settled).

    A span whose slot is still missing is freed only once older than the write grace: a
    younger one's slot may be inserted, and booked, after this look; freed, its time could go
    to another slot, and the booked one would stand beside it without a span. Marked, it
    stays in everyone's way until the sweep frees it at its check, by when its layer has
    either looked again (and deleted its slot, or settled the span for its seats) or died."""
    outcome = _remove(repos, service_id, span.slot_id, now)
    if outcome == GONE and (span.at is None or span.at <= now - WRITE_GRACE):
        repos.calendars.free(service_id, span.slot_id)
    elif outcome == KEPT:
        repos.calendars.settle_span(service_id, span.slot_id)
    return outcome


def finish_closure(repos: Repositories, service_id, closure: Closure, now: datetime) -> Removal:
    """Remove the future slots inside `closure` on which no seat is held or booked, made by
    hand or laid; then settle the closure, unless a span inside it was reserved so recently
    that its slot may still be inserted: its layer's last look finds the closure, and if
    that layer dies first, the sweep comes back at the closure's check."""
    calendar = repos.calendars.read(service_id)
    inside = {
        s.slot_id: s for s in calendar.spans if closure.overlaps(s.start, s.end) and s.start > now
    }
    removal = remove_idle(repos, service_id, list(inside), now)
    missing = [inside[slot_id] for slot_id in removal.missing]
    drop_phantoms(repos, service_id, missing, now)
    if not any(s.at is not None and s.at > now - WRITE_GRACE for s in missing):
        repos.calendars.settle_closure(service_id, closure.id)
    return removal


def check_calendar(repos: Repositories, service_id, now: datetime) -> None:
    """Finish what is due on a calendar (the sweep): spans being taken back and closures
    whose slots are still to be removed; then lower `due` to the next check."""
    calendar = repos.calendars.read(service_id)
    for span in calendar.spans:
        if span.check_at is not None and span.check_at <= now:
            finish_taking_back(repos, service_id, span, now)
    for closure in calendar.closures:
        if closure.check_at is not None and closure.check_at <= now:
            finish_closure(repos, service_id, closure, now)
    after = repos.calendars.read(service_id)
    checks = [s.check_at for s in after.spans if s.check_at is not None]
    checks += [c.check_at for c in after.closures if c.check_at is not None]
    repos.calendars.reset_due(service_id, min(checks, default=None), after.rev)


def remove_idle(repos: Repositories, service_id, slot_ids: list, now: datetime) -> Removal:
    """Delete each of the slots on which no seat is held or booked (holds past their deadline
    are reclaimed first), by the same conditional delete as `DELETE /slots/{id}`; keep the
    others. Each deleted slot's span is dropped after it (a crash in between: a phantom)."""
    removed, kept, missing = 0, [], []
    for slot_id in slot_ids:
        outcome = _remove(repos, service_id, slot_id, now)
        removed += outcome == REMOVED
        if outcome == KEPT:
            kept.append(slot_id)
        elif outcome == GONE:
            missing.append(slot_id)
    return Removal(removed, kept, missing)


REMOVED, GONE, KEPT = "removed", "gone", "kept"


def _remove(repos: Repositories, service_id, slot_id, now: datetime) -> str:
    for _ in range(ATTEMPTS):
        if repos.slots.delete_if_idle(slot_id):
            repos.calendars.free(service_id, slot_id)
            return REMOVED
        try:
            slot = repos.slots.get(slot_id)
        except NotFound:  # deleted by someone else, or its span's slot is not inserted yet
            return GONE
        if (slot.booked_seats or slot.held_seats) and not reclaim_stale_holds(repos, slot_id, now):
            return KEPT
        # idle now: its stale holds were reclaimed, or it was inserted since: try again
    return KEPT
