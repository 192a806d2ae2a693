"""Moving an appointment to another slot: take the new seats first, then free the old ones."""
from dataclasses import replace
from datetime import datetime

from slotkeeper.domain.actor import Actor
from slotkeeper.domain.errors import HoldExpired, Invalid, InvalidTransition
from slotkeeper.domain.ledger import Allocation, holder_key
from slotkeeper.domain.status import Status
from slotkeeper.repositories import Repositories
from slotkeeper.service_layer.booking import WRITE_GRACE, check_bookable, take_seats_on
from slotkeeper.service_layer.history import get_owned, populate_one
from slotkeeper.service_layer.lifecycle import entry_of
from slotkeeper.service_layer.reconcile import reconcile_appointment


def reschedule_appointment(repos: Repositories, appointment_id: str, slot_id: str,
                           now: datetime, *, actor: Actor):
    """Move the actor's hold or booking to a slot of the same service, same seats and status."""
    appointment = get_owned(repos, appointment_id, actor)
    _refuse_unless_live(repos, appointment, now)
    slot = repos.slots.get(slot_id)
    if slot.id == appointment.slot_id:
        return populate_one(repos, appointment)
    if slot.service_id != appointment.service_id:
        raise Invalid("the new slot must belong to the same service", field="slotId")
    check_bookable(repos, slot, appointment.seats, now)
    entry = _new_entry(entry_of(appointment), now)
    take_seats_on(repos, slot, entry, now)
    if not repos.appointments.move(appointment.id, appointment.slot_id, slot.id, entry.state, now):
        give_back(repos, slot.id, entry, now)
        raise InvalidTransition("the appointment changed while it was being rescheduled")
    if entry.state is Status.BOOKED:  # the appointment points here now: settle the entry
        repos.ledger.settle(slot.id, entry)
    free_old_slot(repos, appointment, appointment.slot_id, now)
    return populate_one(repos, repos.appointments.get(appointment_id))


def _refuse_unless_live(repos: Repositories, appointment, now: datetime) -> None:
    if appointment.status == Status.BOOKED.value:
        return
    if appointment.status == Status.PENDING.value and appointment.expires_at > now:
        return
    if appointment.status == Status.CANCELLED.value:
        raise InvalidTransition("a cancelled appointment cannot be rescheduled")
    reconcile_appointment(repos, appointment, now)  # as confirm does: the refusal is the truth
    raise HoldExpired("the hold has expired; its seats are free again")


def _new_entry(old: Allocation, now: datetime) -> Allocation:
    # until the appointment points here, the entry is an orphan candidate after the grace
    check_at = now + WRITE_GRACE
    if old.until is not None:
        check_at = min(check_at, old.until)
    return replace(old, check_at=check_at)


def give_back(repos: Repositories, slot_id, entry: Allocation, now: datetime) -> bool:
    """Release a live entry on behalf of nobody (its appointment is elsewhere) and forget it."""
    target = Status.EXPIRED if entry.is_stale(now) else Status.CANCELLED
    released = repos.ledger.release(slot_id, entry, target, now)
    if released:
        repos.ledger.settle(slot_id, replace(entry, state=target))
    return released


def free_old_slot(repos: Repositories, appointment, old_slot_id, now: datetime) -> None:
    """Free the seats a moved appointment left on its old slot, whatever state they are in."""
    holder, key = holder_key(appointment.user_id), str(appointment.id)
    for _ in range(3):  # the entry may change state under us (a late confirm): read again
        ledger = repos.ledger.read(old_slot_id, holder=holder)
        if ledger is None:
            break
        entry = ledger.entry(key) or ledger.settled_booking(key, holder, appointment.seats)
        if entry is None or not entry.live or give_back(repos, old_slot_id, entry, now):
            break
    repos.appointments.finish_move(appointment.id)
