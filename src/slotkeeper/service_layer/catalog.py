"""Use cases of the catalogue: services and their slots."""

from datetime import datetime

from slotkeeper.domain.errors import (
    HasActiveAppointments,
    Invalid,
    ServiceClosed,
    ServiceInactive,
    SlotExists,
    SlotOverlap,
)
from slotkeeper.domain.opening_hours import closed
from slotkeeper.domain.policy import Policy
from slotkeeper.domain.schedule import MAX_SLOTS_PER_CALL, SlotPlan, TooManySlots, plan_slots
from slotkeeper.repositories import Page, PageRequest, Repositories
from slotkeeper.repositories.calendar_repository import Span
from slotkeeper.service_layer.reconcile import reclaim_stale_holds
from slotkeeper.service_layer.spans import (
    closed_message,
    keep_standing,
    reserve_free_spans,
    reserve_span,
)


def create_service(repos: Repositories, fields: dict, now: datetime):
    """Create a bookable service."""
    fields = _with_policy(Policy(), fields)
    return repos.services.add({**fields, "created_at": now, "updated_at": now})


def _with_policy(policy: Policy, fields: dict) -> dict:
    """`fields` with the policy changes they name merged into `policy`, as stored."""
    if "policy" not in fields:
        return fields
    return {**fields, "policy": policy.merged(fields["policy"] or {}).to_stored()}


def get_service(repos: Repositories, service_id: str):
    """Read one service."""
    return repos.services.get(service_id)


def list_services(repos: Repositories, page: PageRequest, **filters) -> Page:
    """Services sorted by name, filtered by category, active and a name substring."""
    return repos.services.list_page(page, **filters)


def update_service(repos: Repositories, service_id: str, fields: dict, now: datetime):
    """Change some fields of a service; setting active to false is archiving, with its rule."""
    service = repos.services.get(service_id)
    fields = _with_policy(service.booking_policy, dict(fields))
    active = fields.pop("active", None)
    if active is False and service.active:
        archive_service(repos, service_id, now)
    elif active is True and not service.active:
        repos.services.reopen(service.id, now)
    if active is not None:
        service = repos.services.get(service_id)
    return repos.services.update(service, {**fields, "updated_at": now})


def archive_service(repos: Repositories, service_id: str, now: datetime) -> None:
    """Archive a service unless seats of its future slots are held or booked, or somebody
    waits for one of them (an archived service's slots make no offers, so they would wait
    forever).

    Linearizable with booking and joining, without transactions: the service is first marked
    `closing`; every booking reads the service after taking its seats (every join, after
    joining the line) and, finding the mark, removes it. So either the archive's look sees
    the booking's seats (the join's place), or the booking sees the mark and the archive's
    final compare-and-set on the mark fails; both refuse the archive, which has then changed
    nothing anyone can see. Bookings never see the mark as "archived", so a refused archive
    never turns a customer away.
    """
    service = repos.services.get(service_id)
    if not service.active:
        return
    token = service.closing or repos.appointments.new_id()  # a dead archive's mark is reused
    if not service.closing and not repos.services.begin_closing(service.id, token):
        service = repos.services.get(service_id)
        if not service.active:
            return
        token = service.closing or token
    if _is_busy(repos, service.id, now):
        repos.services.stop_closing(service.id, token)
        raise HasActiveAppointments(BUSY)
    if repos.services.finish_closing(service.id, token, now):
        return
    if repos.services.get(service_id).active:  # a booking or join came in and ended the archive
        raise HasActiveAppointments(BUSY)


BUSY = "the service has held or booked seats on future slots, or people wait for them"


def _is_busy(repos: Repositories, service_id, now: datetime) -> bool:
    """Whether a future slot of the service has seats of PENDING or BOOKED appointments
    (stale holds are reclaimed first; ATTENDED and NO_SHOW ones are history and do not
    count) or a waiting list. Each slot's ledger is read after the `closing` mark is
    written."""
    for slot_id in repos.slots.future_with_seats_taken(service_id, now):
        ledger = repos.ledger.read(slot_id)
        if ledger is None:
            continue
        if reclaim_stale_holds(repos, slot_id, now, ledger):
            ledger = repos.ledger.read(slot_id)
        if ledger is not None and (ledger.live_seats > 0 or ledger.waiting):
            return True
    return False


def _open_service(repos: Repositories, service_id: str):
    service = repos.services.get(service_id)
    if not service.active:
        raise ServiceInactive("the service is archived and takes no new slots")
    return service


def create_slot(repos: Repositories, fields: dict, now: datetime):
    """Create one slot that starts in the future, overlaps no slot of its service and no
    closure.

    Two writes: the slot's span is reserved on the service's calendar (one conditional
    update, refused while any span or closure overlaps it), then the slot is inserted under
    the id the span names. A crash in between leaves a phantom span, dropped once it is older
    than the write grace by the next slot it stands in the way of. A closure written between
    the two is found by a last read of the calendar: the slot is deleted again and refused.
    """
    if fields["start_time"] <= now:
        raise Invalid("a slot may not start in the past; give a later startTime", "startTime")
    service = _open_service(repos, fields["service_id"])
    slot_id = repos.slots.new_id()
    span = Span(fields["start_time"], fields["end_time"], slot_id)
    reserve_span(repos, service.id, span, now)
    slot = _insert_slot(repos, service.id, fields, slot_id, now)
    if keep_standing(repos, service.id, [slot], now):
        return slot
    calendar = repos.calendars.read(service.id)
    if closed(calendar.closures, span.start, span.end):
        raise ServiceClosed(closed_message(calendar, span))
    raise SlotOverlap("the service's calendar changed while the slot was laid; try again")


def _insert_slot(repos: Repositories, service_id, fields: dict, slot_id, now: datetime):
    try:
        return repos.slots.add(
            {
                **fields,
                "id": slot_id,
                "service_id": service_id,
                "created_at": now,
                "updated_at": now,
            }
        )
    except SlotExists:  # a slot laid before calendars existed: its span is not ours to keep
        repos.calendars.free(service_id, slot_id)
        raise


def generate_slots(
    repos: Repositories, service_id: str, plan: dict, capacity: int, now: datetime
) -> tuple[list, int]:
    """Lay slots over a date range in the service's time zone; (created, skipped). Windows
    that start in the past, overlap a slot of the service or a closure are skipped."""
    service = _open_service(repos, service_id)
    windows = _plan(service.timezone, plan)
    future = [(start, end) for start, end in windows if start > now]
    laid = reserve_free_spans(
        repos, service.id, [Span(start, end, repos.slots.new_id()) for start, end in future], now
    )
    rows = [
        {
            "id": span.slot_id,
            "service_id": service.id,
            "start_time": span.start,
            "end_time": span.end,
            "capacity": capacity,
            "created_at": now,
            "updated_at": now,
        }
        for span in laid.spans
    ]
    created = repos.slots.add_many(rows)
    if len(created) < len(rows):  # slots laid before calendars existed: give their spans back
        made = {slot.id for slot in created}
        for row in rows:
            if row["id"] not in made:
                repos.calendars.free(service.id, row["id"])
    created = keep_standing(repos, service.id, created, now)
    return created, len(windows) - len(created)


def _plan(timezone: str, plan: dict) -> list:
    try:
        return plan_slots(SlotPlan(timezone=timezone, **plan), limit=MAX_SLOTS_PER_CALL)
    except TooManySlots:
        raise Invalid(f"more than {MAX_SLOTS_PER_CALL} slots in one call") from None
    except OverflowError:  # local dates at the very ends of the calendar have no UTC instant
        raise Invalid("the dates are out of range in the service's time zone", "fromDate") from None


def get_slot(repos: Repositories, slot_id: str):
    """Read one slot."""
    return repos.slots.get(slot_id)


def list_slots(repos: Repositories, page: PageRequest, now: datetime, **filters) -> Page:
    """Slots sorted by start time, filtered by service, status, time range and availability."""
    return repos.slots.list_page(page, now=now, **filters)


def delete_slot(repos: Repositories, slot_id: str, now: datetime) -> None:
    """Delete a slot on which no seat is held or booked (expired holds do not count) and
    for which nobody waits."""
    slot = repos.slots.get(slot_id)
    if repos.slots.delete_if_idle(slot_id) or (
        reclaim_stale_holds(repos, slot_id, now) and repos.slots.delete_if_idle(slot_id)
    ):
        repos.calendars.free(slot.service_id, slot.id)  # a crash before: a phantom, dropped later
        return
    repos.slots.get(slot_id)  # deleted meanwhile by someone else: NotFound, as after them
    raise HasActiveAppointments("seats of this slot are held or booked, or people wait for it")
