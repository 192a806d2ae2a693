"""Use cases of opening hours: a service's weekly schedule, its closures, and the horizon.

The schedule and the closures live on the service's calendar, the document every slot's
span is reserved on, so each of them orders itself against slot creation on that one
document: a span is reserved only while no closure overlaps it, and a batch of spans decided
from a read (the schedule's, or generate's) is reserved only while the calendar's `rev` is
the one read, which a closure or a schedule bumps.

Laying (the schedule's slots up to its horizon) is idempotent: a window whose span is on the
calendar is skipped, so any number of processes may lay at once; the unique (service,
startTime) of slots is a second guard.
"""

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bson import ObjectId

from slotkeeper.domain.errors import DomainError, Invalid, NotFound, ServiceInactive
from slotkeeper.domain.opening_hours import Closure, Schedule, TooManyWindows, windows
from slotkeeper.domain.schedule import MAX_SLOTS_PER_CALL
from slotkeeper.repositories import Page, PageRequest, Repositories
from slotkeeper.repositories.calendar_repository import CalendarView, Span
from slotkeeper.service_layer.seats import WRITE_GRACE
from slotkeeper.service_layer.spans import (
    Removal,
    drop_phantoms,
    finish_closure,
    keep_standing,
    remove_idle,
    reserve_free_spans,
    take_back,
)

# spans of slots that ended this long ago are dropped from the calendar by the horizon job
ENDED_KEPT = timedelta(days=1)


@dataclass(frozen=True)
class Applied:
    """What writing a schedule did: slots laid, windows skipped (a closure or a slot made by
    hand in the way), slots removed, slots kept for their seats."""

    schedule: Schedule
    created: int
    skipped: int
    removed: int
    kept: list


@dataclass(frozen=True)
class Closed:
    """What a closure did: slots removed, slots kept for their seats."""

    closure: Closure
    removed: int
    kept: list


@dataclass(frozen=True)
class Extended:
    """What one run of the horizon job did, over every scheduled service."""

    services: int
    created: int
    removed: int


def set_schedule(repos: Repositories, service_id: str, schedule: Schedule, now: datetime):
    """Write the weekly schedule of an active service, remove the future slots an earlier
    schedule laid and this one would not (unless seats are taken on them), lay the rest."""
    service = repos.services.get(service_id)
    if not service.active:
        raise ServiceInactive("the service is archived and takes no new slots")
    try:
        windows(schedule, service.timezone, now, limit=MAX_SLOTS_PER_CALL)
    except TooManyWindows:
        raise Invalid(
            f"the schedule lays more than {MAX_SLOTS_PER_CALL} slots up to its horizon; "
            "give fewer days or longer slots",
            "horizonDays",
        ) from None
    repos.calendars.set_schedule(service.id, schedule, now)
    removal = _tidy(repos, service, now)
    laying = _lay(repos, service, now)
    kept = _slots(repos, removal.kept)
    return Applied(schedule, laying.created, laying.skipped, removal.removed, kept)


def get_schedule(repos: Repositories, service_id: str) -> Schedule:
    """The service's weekly schedule; NotFound when it has none."""
    service = repos.services.get(service_id)
    schedule = repos.calendars.read(service.id).schedule
    if schedule is None:
        raise NotFound(f"service {service_id} has no schedule")
    return schedule


def delete_schedule(repos: Repositories, service_id: str, now: datetime) -> None:
    """Stop laying slots for the service; the slots laid so far stay."""
    service = repos.services.get(service_id)
    repos.calendars.clear_schedule(service.id, now)


def add_closure(repos: Repositories, service_id: str, fields: dict, now: datetime) -> Closed:
    """Close the service over a time range: no slot is laid in it from now on, and its
    future slots inside it are removed unless seats are taken on them.

    First the closure is recorded on the calendar (from then on no span inside it is
    reserved), with a check: if this process dies before the slots inside it are removed,
    the sweep removes them. Then the slots whose spans are inside it are removed, made by
    hand or laid, and the closure is settled. A slot being laid meanwhile, its span reserved
    but the slot not yet inserted, is not found here: whoever lays it finds the closure on
    its last read and takes it back (spans.keep_standing); the closure then stays unsettled,
    so that if that layer dies before its last read, the sweep removes the slot.
    """
    service = repos.services.get(service_id)
    closure = Closure(
        id=str(ObjectId()),
        start=fields["start"],
        end=fields["end"],
        note=fields.get("note"),
        created_at=now,
        service_id=str(service.id),
        check_at=now + WRITE_GRACE,
    )
    repos.calendars.close(service.id, closure, now)
    removal = finish_closure(repos, service.id, closure, now)
    return Closed(replace(closure, check_at=None), removal.removed, _slots(repos, removal.kept))


def list_closures(repos: Repositories, service_id: str, page: PageRequest) -> Page:
    """The service's closures, by start."""
    service = repos.services.get(service_id)
    closures = repos.calendars.read(service.id).closures
    return Page(closures[page.skip : page.skip + page.page_size], len(closures))


def remove_closure(repos: Repositories, service_id: str, closure_id: str, now: datetime) -> None:
    """Reopen: drop the closure, and let the schedule lay its slots again at once."""
    service = repos.services.get(service_id)
    if not repos.calendars.reopen(service.id, closure_id, now):
        raise NotFound(f"closure {closure_id} not found")
    if service.active:
        _lay(repos, service, now)


def extend_horizons(repos: Repositories, now: datetime) -> Extended:
    """Keep every active scheduled service's slots laid up to its horizon (the job)."""
    services = created = removed = 0
    for service_id in repos.calendars.scheduled():
        try:
            service = repos.services.get(service_id)
            if not service.active:
                continue
            removed += _tidy(repos, service, now).removed
            created += _lay(repos, service, now).created
            # a laying calendar grows by the day: what ended long ago can go
            repos.calendars.forget_ended(service.id, now - ENDED_KEPT)
        except DomainError:  # one service's trouble (it vanished, say) stops no other
            continue
        services += 1
    return Extended(services, created, removed)


@dataclass(frozen=True)
class Laying:
    """What one laying did: slots laid, and windows of the horizon left out because a
    closure or a slot not laid by the schedule (made by hand) is in the way."""

    created: int
    skipped: int


def _lay(repos: Repositories, service, now: datetime) -> Laying:
    """Lay the missing slots of the schedule on the calendar, as read."""

    decided: list[tuple[Schedule, int]] = []  # the schedule of the last decision, and closed

    def wanted(calendar: CalendarView) -> list[Span]:
        if calendar.schedule is None:
            return []
        planned = windows(calendar.schedule, service.timezone, now, calendar.closures)
        decided.append((calendar.schedule, planned.closed))
        laid_before = {(s.start, s.end) for s in calendar.spans if s.laid}
        return [
            Span(s, e, repos.slots.new_id(), laid=True)
            for s, e in planned.windows
            if (s, e) not in laid_before
        ]

    laid = reserve_free_spans(repos, service.id, wanted, now)
    closed_windows = decided[-1][1] if decided else 0
    if not laid.spans:
        return Laying(0, laid.skipped + closed_windows)
    rows = [
        {
            "id": span.slot_id,
            "service_id": service.id,
            "start_time": span.start,
            "end_time": span.end,
            "capacity": decided[-1][0].capacity,
            "laid": True,
            "created_at": now,
            "updated_at": now,
        }
        for span in laid.spans
    ]
    created = repos.slots.add_many(rows)
    if len(created) < len(rows):  # slots at those start times from before calendars existed
        made = {slot.id for slot in created}
        for row in rows:
            if row["id"] not in made:
                repos.calendars.free(service.id, row["id"])
    standing = len(keep_standing(repos, service.id, created, now))
    return Laying(standing, laid.skipped + closed_windows + len(rows) - standing)


def _tidy(repos: Repositories, service, now: datetime) -> Removal:
    """Remove the future slots laid by an earlier schedule that the calendar's schedule
    would not lay (other times, another capacity, beyond its horizon, inside a closure: so
    the job finishes a closure whose writer died), unless seats are taken on them. Spans
    still waiting for their slot are taken back (spans.take_back): whoever lays that slot
    finds its span marked or gone and takes the slot back, or it is found here on a second
    look. The span of a wanted window whose slot never came (its layer died between its two
    writes) is dropped once older than the write grace, so the lay that follows lays it.

    The schedule and the spans come from one read, so a span laid under a newer schedule is
    never judged by an older one; whether a span's slot is there is decided on a read of
    their capacities (an insert between the two is a race of its own)."""
    calendar = repos.calendars.read(service.id)
    schedule = calendar.schedule
    if schedule is None:
        return Removal(0, [])
    # a day of slack: a process whose clock reads a little later lays a little further
    longer = replace(schedule, horizon_days=schedule.horizon_days + 1)
    keep = set(windows(longer, service.timezone, now, calendar.closures).windows)
    candidates = [s for s in calendar.spans if s.laid and s.start > now]
    capacities = repos.slots.capacities([s.slot_id for s in candidates]) if candidates else {}
    remove, late, missing = [], [], []
    for span in candidates:
        wanted = (span.start, span.end) in keep
        if span.slot_id not in capacities:
            if not wanted:  # its slot is not inserted yet, or never will be
                late.append(span)
            else:  # a wanted window stays unlaid while its phantom is there: drop it
                missing.append(span)
        elif not wanted or capacities[span.slot_id] != schedule.capacity:
            remove.append(span.slot_id)
    drop_phantoms(repos, service.id, missing, now)
    removal = remove_idle(repos, service.id, remove, now)
    taken = take_back(repos, service.id, late, now)
    return Removal(removal.removed + taken.removed, removal.kept + taken.kept)


def _slots(repos: Repositories, ids: list) -> list:
    found = repos.slots.get_many(ids) if ids else {}
    return sorted(found.values(), key=lambda slot: (slot.start_time, str(slot.id)))
