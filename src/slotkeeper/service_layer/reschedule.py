"""Moving an appointment to another slot: take the new seats first, then free the old ones."""

from datetime import datetime

from slotkeeper.domain.actor import Actor
from slotkeeper.domain.errors import DuplicateBooking, HoldExpired, Invalid, InvalidTransition
from slotkeeper.domain.ledger import Claim, Ledger
from slotkeeper.domain.status import USED, Status
from slotkeeper.repositories import Repositories
from slotkeeper.service_layer.offers import accept_offer
from slotkeeper.service_layer.policies import check_policy, user_tally
from slotkeeper.service_layer.reading import Populated, get_owned, populate_one
from slotkeeper.service_layer.reconcile import reconcile_appointment
from slotkeeper.service_layer.seats import (
    WRITE_GRACE,
    check_open,
    check_slot,
    claim_of,
    free_left,
    give_back,
    ledger_or_404,
    take_seats,
)

# Another reschedule of the same appointment may move it between our reads: try this often.
ATTEMPTS = 3


def reschedule_appointment(
    repos: Repositories, appointment_id: str, slot_id: str, now: datetime, *, actor: Actor
) -> Populated:
    """Move the actor's hold or booking to a slot of the same service, same seats and status.

    The attempt takes a claim of its own on the new slot, then moves the appointment to it
    by compare-and-set on the claim the appointment names; if the appointment changed in
    between, the attempt gives back exactly the claim it took and starts over."""
    slot = repos.slots.get(slot_id)
    for _ in range(ATTEMPTS):
        appointment = get_owned(repos, appointment_id, actor)
        _refuse_unless_live(repos, appointment, now)
        if slot.id == appointment.slot_id:
            return populate_one(repos, appointment)
        if slot.service_id != appointment.service_id:
            raise Invalid("the new slot must belong to the same service", field="slotId")
        check_slot(slot, appointment.seats, now)
        policy = check_policy(repos, appointment, now, actor, to=slot)
        if appointment.entry_id is not None and appointment.status == Status.BOOKED.value:
            # a confirmed offer: its entry is ACCEPTED before the offer leaves its slot (once
            # moved, the entry could no longer tell from it)
            accept_offer(repos, appointment.entry_id, appointment.slot_id, now)
        claim = _new_claim(repos, appointment, slot, now)
        ours: Claim | None = claim
        try:
            take_seats(repos, slot, claim, now)
        except DuplicateBooking:
            ledger = ledger_or_404(repos, slot.id, claim.holder)
            there = repos.appointments.get(appointment_id)  # read after the ledger, on purpose
            if str(there.slot_id) == str(slot.id):  # another attempt has just moved it here
                _refuse_unless_live(repos, there, now)
                return populate_one(repos, there)
            claim, ours = _claim_of_same_move(ledger, claim, now), None
        check_open(repos, slot.service_id, slot.id, ours, now)
        moved = repos.appointments.move(
            appointment.id,
            Status(appointment.status),
            appointment.slot_id,
            appointment.claim_id,
            slot.id,
            claim.claim_id,
            now,
            claim.until if claim.state is Status.PENDING else appointment.expires_at,
        )
        if moved is None:
            moved = repos.appointments.find(appointment.id)
            if moved is None or moved.claim_id != claim.claim_id:  # changed: not this move
                if ours is not None:
                    give_back(repos, slot.id, ours, now)
                continue
        if claim.state is Status.BOOKED:  # the appointment names the claim: settle it
            repos.ledger.settle(slot.id, claim)
        free_left(repos, moved, now)
        if policy.max_active_per_user is not None:  # counted until the new slot starts
            repos.tallies.move_mark(
                user_tally(moved.service_id, moved.user_id), str(moved.id), slot.start_time
            )
        return populate_one(repos, moved)
    raise InvalidTransition("the appointment changed while it was being rescheduled")


def _refuse_unless_live(repos: Repositories, appointment, now: datetime) -> None:
    if appointment.status == Status.BOOKED.value:
        return
    if appointment.status == Status.PENDING.value and appointment.expires_at > now:
        return
    if appointment.status == Status.CANCELLED.value or Status(appointment.status) in USED:
        raise InvalidTransition(f"a {appointment.status} appointment cannot be rescheduled")
    reconcile_appointment(repos, appointment, now)  # as confirm does: the refusal is the truth
    raise HoldExpired("the hold has expired; its seats are free again")


def _new_claim(repos: Repositories, appointment, slot, now: datetime) -> Claim:
    # until the appointment names it, the claim is an orphan candidate after the grace;
    # a hold never outlives its slot's start, so a hold moved earlier ends by the new start
    old = claim_of(appointment)
    until = None if old.until is None else min(old.until, slot.start_time)
    check_at = now + WRITE_GRACE
    if until is not None:
        check_at = min(check_at, until)
    return Claim(
        repos.appointments.new_id(),
        old.appointment_id,
        old.holder,
        old.seats,
        old.state,
        until,
        check_at,
    )


def _claim_of_same_move(ledger: Ledger, ours: Claim, now: datetime) -> Claim:
    """The user already holds seats on the slot. If they are a claim another attempt to move
    this same appointment here has just taken, finish that move with it (the appointment ends
    up here either way); otherwise the refusal stands. (A settled claim there means the move
    was finished before the ledger was read, which the caller's later read of the appointment
    has seen.)"""
    theirs = ledger.claim(ledger.holder_claim(ours.holder))
    if (
        theirs is None
        or theirs.appointment_id != ours.appointment_id
        or theirs.state is not ours.state
        or theirs.is_due(now)
    ):
        raise ledger.refusal(ours.holder, ours.seats)
    return theirs
