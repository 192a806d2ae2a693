"""The sweep: expire holds past their deadline and repair what dead processes left behind."""
from dataclasses import dataclass
from datetime import datetime

from slotkeeper.repositories import Repositories
from slotkeeper.service_layer.reconcile import reconcile_appointment, reconcile_entry
from slotkeeper.service_layer.reschedule import free_old_slot

BATCH = 500


@dataclass(frozen=True)
class SweepReport:
    expired: int  # holds whose seats this sweep returned
    slots_checked: int
    moves_finished: int


def expire_stale_holds(repos: Repositories, now: datetime) -> int:
    """Expire holds past their deadline; safe to run twice or in parallel."""
    stale = repos.appointments.stale_holds(now, BATCH)
    return sum(1 for appointment in stale if reconcile_appointment(repos, appointment, now))


def check_due_slots(repos: Repositories, now: datetime) -> tuple[int, int]:
    """Settle the ledger entries whose check time has come; (seats returned, slots checked)."""
    returned = 0
    slot_ids = repos.ledger.slots_due(now, BATCH)
    for slot_id in slot_ids:
        ledger = repos.ledger.read(slot_id)
        if ledger is None:
            continue
        for entry in {*ledger.due(now), *ledger.stale_holds(now)}:
            returned += reconcile_entry(repos, ledger, entry, now)
        after = repos.ledger.read(slot_id)
        repos.ledger.reset_due(slot_id, after.next_check(), after.rev)
    return returned, len(slot_ids)


def finish_moves(repos: Repositories, now: datetime) -> int:
    moving = repos.appointments.moving(BATCH)
    for appointment in moving:
        free_old_slot(repos, appointment, appointment.moved_from, now)
    return len(moving)


def sweep(repos: Repositories, now: datetime) -> SweepReport:
    """One full pass; each step is a conditional write, so passes may overlap freely."""
    expired = expire_stale_holds(repos, now)
    returned, checked = check_due_slots(repos, now)
    return SweepReport(expired + returned, checked, finish_moves(repos, now))
