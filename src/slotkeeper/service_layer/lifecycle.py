"""Use cases on an existing appointment: confirm and cancel."""
from datetime import datetime

from slotkeeper.domain.actor import Actor
from slotkeeper.domain.errors import HoldExpired, InvalidTransition
from slotkeeper.domain.ledger import Allocation, holder_key
from slotkeeper.domain.status import LIVE, Status, check_transition
from slotkeeper.repositories import Repositories
from slotkeeper.service_layer.booking import WRITE_GRACE
from slotkeeper.service_layer.history import get_owned, populate_one
from slotkeeper.service_layer.reconcile import reconcile_appointment

# A concurrent reschedule may move the appointment between our reads: follow it this often.
ATTEMPTS = 3


def confirm_appointment(repos: Repositories, appointment_id: str, now: datetime, *,
                        actor: Actor):
    """Turn the actor's unexpired hold into a booking; confirming a booking changes nothing."""
    for _ in range(ATTEMPTS):
        appointment = get_owned(repos, appointment_id, actor)
        if appointment.status == Status.BOOKED.value:
            return populate_one(repos, appointment)
        if appointment.status == Status.EXPIRED.value or _hold_over(appointment, now):
            reconcile_appointment(repos, appointment, now)
            raise HoldExpired("the hold has expired; its seats are free again")
        check_transition(Status(appointment.status), Status.BOOKED)  # refuses a cancelled one
        held = entry_of(appointment)
        if repos.ledger.confirm(appointment.slot_id, held, now, now + WRITE_GRACE):
            if repos.appointments.transition(appointment.id, appointment.slot_id,
                                             {Status.PENDING}, Status.BOOKED, now):
                repos.ledger.settle(appointment.slot_id, _as(held, Status.BOOKED))
        else:
            reconcile_appointment(repos, appointment, now)
    appointment = repos.appointments.get(appointment_id)
    if appointment.status == Status.BOOKED.value:
        return populate_one(repos, appointment)
    raise HoldExpired("the hold could not be confirmed")


def cancel_appointment(repos: Repositories, appointment_id: str, now: datetime, *,
                       actor: Actor):
    """Cancel the actor's hold or booking, seats back at once; cancelling twice is a no-op."""
    for _ in range(ATTEMPTS):
        appointment = get_owned(repos, appointment_id, actor)
        if appointment.status == Status.CANCELLED.value:
            return populate_one(repos, appointment)
        if _hold_over(appointment, now):
            reconcile_appointment(repos, appointment, now)
            appointment = repos.appointments.get(appointment_id)
        check_transition(Status(appointment.status), Status.CANCELLED)  # refuses an expired one
        entry = entry_of(appointment)
        if repos.ledger.release(appointment.slot_id, entry, Status.CANCELLED, now):
            repos.appointments.transition(appointment.id, appointment.slot_id, set(LIVE),
                                          Status.CANCELLED, now, cancelledAt=now)
            repos.ledger.settle(appointment.slot_id, _as(entry, Status.CANCELLED))
        else:
            reconcile_appointment(repos, appointment, now)
    appointment = repos.appointments.get(appointment_id)
    if appointment.status == Status.CANCELLED.value:
        return populate_one(repos, appointment)
    raise InvalidTransition("the appointment changed while it was being cancelled")


def _hold_over(appointment, now: datetime) -> bool:
    return appointment.status == Status.PENDING.value and appointment.expires_at <= now


def entry_of(appointment) -> Allocation:
    """The ledger entry the appointment should have on its slot, as far as it knows."""
    return Allocation(str(appointment.id), holder_key(appointment.user_id), appointment.seats,
                      Status(appointment.status), until=appointment.expires_at)


def _as(entry: Allocation, state: Status) -> Allocation:
    return Allocation(entry.appointment_id, entry.holder, entry.seats, state)
