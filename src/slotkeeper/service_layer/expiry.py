"""The sweep: expire holds past their deadline and repair what dead processes left behind."""

from dataclasses import dataclass
from datetime import datetime

from slotkeeper.repositories import Repositories
from slotkeeper.service_layer.offers import (
    finish_leaving,
    make_offers,
    reservations,
    turn_away_archived,
    write_missing_entries,
)
from slotkeeper.service_layer.reconcile import reconcile_appointment, reconcile_claim
from slotkeeper.service_layer.seats import free_left
from slotkeeper.service_layer.spans import check_calendar

BATCH = 500
MAX_BATCHES = 20  # one pass handles at most this many batches; the next pass goes on


@dataclass(frozen=True)
class SweepReport:
    expired: int  # holds whose seats this sweep returned
    slots_checked: int
    moves_finished: int
    calendars_checked: int = 0


def expire_stale_holds(repos: Repositories, now: datetime) -> int:
    """Expire holds past their deadline; safe to run twice or in parallel."""
    expired = 0
    for _ in range(MAX_BATCHES):
        stale = repos.appointments.stale_holds(now, BATCH)
        expired += sum(1 for appointment in stale if reconcile_appointment(repos, appointment, now))
        if len(stale) < BATCH:
            break
    return expired


def check_due_slots(repos: Repositories, now: datetime) -> tuple[int, int]:
    """Settle the claims whose check time has come; (seats returned, slots checked)."""
    returned = checked = 0
    for _ in range(MAX_BATCHES):
        slot_ids = repos.ledger.slots_due(now, BATCH)
        for slot_id in slot_ids:
            returned += _check_slot(repos, slot_id, now)
        checked += len(slot_ids)
        if len(slot_ids) < BATCH:
            break
    return returned, checked


def _check_slot(repos: Repositories, slot_id, now: datetime) -> int:
    ledger = repos.ledger.read(slot_id)
    if ledger is None:
        return 0
    returned = sum(
        reconcile_claim(repos, ledger, claim, now)
        for claim in {*ledger.due(now), *ledger.stale_holds(now)}
    )
    after = repos.ledger.read(slot_id)
    if after is not None and (after.reserved() or after.waiting):
        make_offers(repos, reservations(after), now)  # a releaser died before making them
        write_missing_entries(repos, after, now)
        turn_away_archived(repos, after, now)  # a join that died before it read the service
        after = repos.ledger.read(slot_id)
    if after is not None:  # a lower bound of the next check, unless the ledger moved on
        repos.ledger.reset_due(slot_id, after.next_check(now), after.rev)
    return returned


def finish_moves(repos: Repositories, now: datetime) -> int:
    """Return the seats of claims that moved appointments left behind."""
    moved = repos.appointments.leaving(BATCH)
    for appointment in moved:
        free_left(repos, appointment, now)
    return len(moved)


def finish_leaves(repos: Repositories, now: datetime) -> int:
    """Take entries that left off their slots' waiting lists (a leave that died midway)."""
    leaving = repos.waitlist.leaving(BATCH)
    for entry in leaving:
        finish_leaving(repos, entry, now)
    return len(leaving)


def check_due_calendars(repos: Repositories, now: datetime) -> int:
    """Finish the closures and the takings back whose writer died; calendars checked."""
    checked = 0
    for _ in range(MAX_BATCHES):
        service_ids = repos.calendars.due(now, BATCH)
        for service_id in service_ids:
            check_calendar(repos, service_id, now)
        checked += len(service_ids)
        if len(service_ids) < BATCH:
            break
    return checked


def sweep(repos: Repositories, now: datetime) -> SweepReport:
    """One full pass; each step is a conditional write, so passes may overlap freely."""
    finish_leaves(repos, now)  # first: a left entry must not be offered seats
    expired = expire_stale_holds(repos, now)
    returned, checked = check_due_slots(repos, now)
    moves = finish_moves(repos, now)
    return SweepReport(expired + returned, checked, moves, check_due_calendars(repos, now))
