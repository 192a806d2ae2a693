"""Taking seats: hold and book (confirm and cancel are in lifecycle.py, moving in reschedule.py)."""
from dataclasses import dataclass
from datetime import datetime, timedelta

from slotkeeper.domain.actor import Actor
from slotkeeper.domain.errors import Forbidden, Invalid, ServiceInactive, SlotInPast
from slotkeeper.domain.ledger import Allocation, holder_key
from slotkeeper.domain.status import Status
from slotkeeper.repositories import Repositories
from slotkeeper.service_layer.history import Populated, populate_one
from slotkeeper.service_layer.idempotency import run_once
from slotkeeper.service_layer.reconcile import reclaim_stale_holds

# How long a request may take between its slot write and its appointment write before the
# sweep treats the slot's entry as left behind by a dead process.
WRITE_GRACE = timedelta(seconds=60)


@dataclass(frozen=True)
class BookingRequest:
    slot_id: str
    user_id: str
    seats: int = 1
    user_name: str | None = None
    user_email: str | None = None


def hold_seats(repos: Repositories, request: BookingRequest, now: datetime, ttl: timedelta, *,
               actor: Actor, idempotency_key: str | None = None) -> Populated:
    """Hold seats on a slot until now + ttl (PENDING)."""
    check_acts_for(actor, request)

    def hold(appointment_id=None):
        entry = _allocation(repos, request, Status.PENDING, appointment_id, until=now + ttl)
        return _take_seats(repos, request, entry, now)
    return _present(repos, _once(repos, idempotency_key, "hold", request, now, hold))


def book_seats(repos: Repositories, request: BookingRequest, now: datetime, *,
               actor: Actor, idempotency_key: str | None = None) -> Populated:
    """Book seats on a slot at once (BOOKED)."""
    check_acts_for(actor, request)

    def book(appointment_id=None):
        entry = _allocation(repos, request, Status.BOOKED, appointment_id,
                            check_at=now + WRITE_GRACE)
        return _take_seats(repos, request, entry, now)
    return _present(repos, _once(repos, idempotency_key, "book", request, now, book))


def check_acts_for(actor: Actor, request: BookingRequest) -> None:
    """A user books for themselves; only an admin may name another userId."""
    if not actor.may_act_for(request.user_id):
        raise Forbidden("a user may book only for themselves: leave out userId or send the "
                        "token's sub")


def _once(repos, key, kind, request, now, create):
    return create() if key is None else run_once(repos, key, kind, request, now, create)


def _present(repos: Repositories, made) -> Populated:
    """What was just made comes populated already; a replayed appointment is read fresh."""
    return made if isinstance(made, Populated) else populate_one(repos, made)


def _allocation(repos, request, state, appointment_id, until=None, check_at=None) -> Allocation:
    return Allocation(appointment_id or repos.appointments.new_id(), holder_key(request.user_id),
                      request.seats, state, until=until, check_at=check_at or until)


def _take_seats(repos: Repositories, request: BookingRequest, entry: Allocation,
                now: datetime):
    slot = repos.slots.get(request.slot_id)
    service = check_bookable(repos, slot, entry.seats, now)
    slot_after = take_seats_on(repos, slot, entry, now)
    fields = dict(id=entry.appointment_id, slot_id=slot.id, service_id=slot.service_id,
                  user_id=request.user_id, user_name=request.user_name,
                  user_email=request.user_email, seats=entry.seats, status=entry.state.value,
                  expires_at=entry.until, created_at=now, updated_at=now)
    appointment = repos.appointments.add(fields)
    if appointment is None:  # a resumed idempotent request already wrote it
        return repos.appointments.get(entry.appointment_id)
    if entry.state is Status.BOOKED:  # the appointment agrees now: keep the ledger small
        repos.ledger.settle(slot.id, entry)
    if slot_after is None:  # a resumed request: the counts are read fresh
        return appointment
    return Populated(appointment, service, slot_after)


def check_bookable(repos: Repositories, slot, seats: int, now: datetime):
    """The slot's service, if the slot can take `seats` now."""
    if seats > slot.capacity:
        raise Invalid(f"the slot has {slot.capacity} seat(s) in all", field="seats")
    if slot.start_time <= now:
        raise SlotInPast("the slot has already started")
    service = repos.services.get(slot.service_id)
    if not service.active:
        raise ServiceInactive("the service is archived and takes no new appointments")
    return service


def take_seats_on(repos: Repositories, slot, entry: Allocation, now: datetime):
    """Allocate on the slot's ledger and return the slot as it is after; None when a resumed
    request had already allocated. Stale holds never block: reclaim them, try once more."""
    slot_id = slot.id
    slot_after = repos.ledger.allocate(slot, entry, now)
    if slot_after is not None:
        return slot_after
    ledger = _ledger_or_404(repos, slot_id, entry.holder)
    if reclaim_stale_holds(repos, slot_id, now, ledger):
        slot_after = repos.ledger.allocate(slot, entry, now)
        if slot_after is not None:
            return slot_after
        ledger = _ledger_or_404(repos, slot_id, entry.holder)
    if ledger.allocated(entry.appointment_id, entry.holder):
        return None
    raise ledger.refusal(entry.holder, entry.seats)


def _ledger_or_404(repos: Repositories, slot_id, holder: str):
    ledger = repos.ledger.read(slot_id, holder=holder)
    if ledger is None:
        repos.slots.get(slot_id)  # raises NotFound
    return ledger
