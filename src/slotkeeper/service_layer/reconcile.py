"""Repairs that bring appointments in line with the slots' seat ledgers, the one source of truth.

Every multi-document operation writes the slot first and the appointment second. If a process
dies in between, the claim says what the appointment is entitled to; these functions make the
appointment agree, or return the seats of a claim no appointment names any more (an orphan,
once its check time has come). Each step is a conditional write, so running them twice, or in
two processes at once, changes nothing more.
"""

from dataclasses import replace
from datetime import datetime

from slotkeeper.domain.ledger import Claim, Ledger, holder_key
from slotkeeper.domain.status import LIVE, USED, Status
from slotkeeper.repositories import Repositories
from slotkeeper.service_layer.offers import make_offers, write_offer


def reconcile_claim(repos: Repositories, ledger: Ledger, claim: Claim, now: datetime) -> bool:
    """Settle one claim with its appointment; True when this call returned its seats."""
    appointment = repos.appointments.find(claim.appointment_id)
    if claim.entry is not None and claim.live:  # an offer: its hold is written, never dropped
        if appointment is None:
            write_offer(repos, ledger.slot_id, ledger.service_id, claim, now)
            appointment = repos.appointments.find(claim.appointment_id)
        elif claim.is_due(now):  # its entry may not know yet that it was offered
            write_offer(repos, ledger.slot_id, ledger.service_id, claim, now)
    named = (
        appointment is not None
        and appointment.claim_id == claim.claim_id
        and str(appointment.slot_id) == ledger.slot_id
    )
    returned = False
    if claim.state in USED and not named:  # a check-in that lost to a move: a booking again
        if not repos.ledger.unmark_used(ledger.slot_id, claim, now):
            return False
        claim = replace(claim, state=Status.BOOKED, check_at=now)
    if claim.live:
        if not (claim.is_stale(now) or (not named and claim.is_due(now))):
            if named:
                _sync_live(repos, ledger.slot_id, claim, appointment, now)
            return False
        ending = claim.ending(now)
        released = repos.ledger.release(ledger.slot_id, claim, ending, now)
        if released is None:
            return False  # someone else changed this claim first; they finish the job
        returned, claim = True, replace(claim, state=ending, check_at=now)
    if named and appointment is not None and Status(appointment.status) in LIVE:
        extra = {"cancelledAt": now} if claim.state is Status.CANCELLED else {}
        repos.appointments.transition(
            appointment.id, claim.claim_id, set(LIVE), claim.state, now, **extra
        )
    repos.ledger.settle(ledger.slot_id, claim)
    if returned:
        make_offers(repos, released, now)
    return returned


def _sync_live(repos, slot_id, claim: Claim, appointment, now) -> None:
    """A live claim its appointment names: the appointment takes the claim's state (a confirm
    that died after its slot write), then the claim is settled."""
    agrees = appointment.status == claim.state.value
    if not agrees and Status(appointment.status) in LIVE:
        agrees = (
            repos.appointments.transition(
                appointment.id, claim.claim_id, {Status(appointment.status)}, claim.state, now
            )
            is not None
        )
    if agrees and (claim.state is Status.BOOKED or claim.is_due(now)):
        repos.ledger.settle(slot_id, claim)


def reconcile_appointment(repos: Repositories, appointment, now: datetime) -> bool:
    """Settle an appointment from the claim it names; True when this call returned seats."""
    holder = holder_key(appointment.user_id)
    ledger = repos.ledger.read(appointment.slot_id, holder=holder)
    claim = ledger.claim(appointment.claim_id) if ledger else None
    if ledger is not None and claim is not None:
        return reconcile_claim(repos, ledger, claim, now)
    if ledger and ledger.holder_claim(holder) == appointment.claim_id:
        return False  # a settled booking: nothing in flight
    if appointment.status == Status.PENDING.value and appointment.expires_at <= now:
        repos.appointments.transition(
            appointment.id, appointment.claim_id, {Status.PENDING}, Status.EXPIRED, now
        )
    return False


def reclaim_stale_holds(
    repos: Repositories, slot_id, now: datetime, ledger: Ledger | None = None
) -> int:
    """Expire the holds on one slot whose deadline has passed; the number of seats freed."""
    ledger = ledger or repos.ledger.read(slot_id)
    if ledger is None:
        return 0
    return sum(c.seats for c in ledger.stale_holds(now) if reconcile_claim(repos, ledger, c, now))
