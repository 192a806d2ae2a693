"""Repairs that bring appointments in line with the slot's seat ledger, the one source of truth.

Every multi-document operation writes the slot first and the appointment second. If a process
dies in between, the ledger entry says what the appointment is entitled to; these functions
make the appointment agree, or return the seats of an entry nobody owns any more. Each step is
a conditional write, so running them twice, or in two processes at once, changes nothing more.
"""
from dataclasses import replace
from datetime import datetime

from slotkeeper.domain.ledger import Allocation, Ledger, holder_key
from slotkeeper.domain.status import FINAL, LIVE, Status
from slotkeeper.repositories import Repositories


def reconcile_entry(repos: Repositories, ledger: Ledger, entry: Allocation, now: datetime) -> bool:
    """Settle one ledger entry with its appointment; True when this call returned its seats."""
    appointment = repos.appointments.find(entry.appointment_id)
    owned = appointment is not None and str(appointment.slot_id) == ledger.slot_id
    returned = False
    if entry.live:
        orphaned = not owned or Status(appointment.status) in FINAL
        if not (entry.is_stale(now) or (orphaned and entry.is_due(now))):
            if owned:
                _sync_live(repos, ledger.slot_id, entry, appointment, now)
            return False
        target = Status.EXPIRED if entry.is_stale(now) else Status.CANCELLED
        if not repos.ledger.release(ledger.slot_id, entry, target, now):
            return False  # someone else changed this entry first; they finish the job
        returned, entry = True, replace(entry, state=target, check_at=now)
    if owned and Status(appointment.status) in LIVE:
        _follow(repos, ledger.slot_id, appointment, entry.state, now)
    repos.ledger.settle(ledger.slot_id, entry)
    return returned


def _sync_live(repos, slot_id, entry: Allocation, appointment, now) -> None:
    agrees = appointment.status == entry.state.value
    if not agrees and Status(appointment.status) in LIVE:
        extra = {"expiresAt": entry.until} if entry.state is Status.PENDING else {}
        agrees = repos.appointments.transition(appointment.id, slot_id,
                                               {Status(appointment.status)}, entry.state, now,
                                               **extra)
    if agrees and (entry.state is Status.BOOKED or entry.is_due(now)):
        repos.ledger.settle(slot_id, entry)


def _follow(repos, slot_id, appointment, state: Status, now) -> None:
    extra = {"cancelledAt": now} if state is Status.CANCELLED else {}
    repos.appointments.transition(appointment.id, slot_id, set(LIVE), state, now, **extra)


def reconcile_appointment(repos: Repositories, appointment, now: datetime) -> bool:
    """Settle an appointment from its slot's entry; one with no entry holds no seats."""
    ledger = repos.ledger.read(appointment.slot_id, holder=holder_key(appointment.user_id))
    entry = ledger.entry(str(appointment.id)) if ledger else None
    if entry is not None:
        return reconcile_entry(repos, ledger, entry, now)
    if ledger and ledger.allocated(str(appointment.id), holder_key(appointment.user_id)):
        return False  # a settled booking: nothing in flight
    if appointment.status == Status.PENDING.value and appointment.expires_at <= now:
        repos.appointments.transition(appointment.id, appointment.slot_id, {Status.PENDING},
                                      Status.EXPIRED, now)
    return False


def reclaim_stale_holds(repos: Repositories, slot_id, now: datetime,
                        ledger: Ledger | None = None) -> int:
    """Expire the holds on one slot whose deadline has passed; the number of seats freed."""
    ledger = ledger or repos.ledger.read(slot_id)
    if ledger is None:
        return 0
    stale = ledger.stale_holds(now)
    return sum(e.seats for e in stale if reconcile_entry(repos, ledger, e, now))
