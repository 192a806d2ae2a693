"""Use cases on an existing appointment: confirm and cancel."""

from dataclasses import replace
from datetime import datetime

from slotkeeper.domain.actor import Actor
from slotkeeper.domain.errors import HoldExpired, InvalidTransition, SlotInPast
from slotkeeper.domain.status import LIVE, Status, check_transition
from slotkeeper.repositories import Repositories
from slotkeeper.service_layer.offers import accept_offer, make_offers
from slotkeeper.service_layer.policies import check_policy, user_tally
from slotkeeper.service_layer.reading import Populated, get_owned, populate_one
from slotkeeper.service_layer.reconcile import reconcile_appointment
from slotkeeper.service_layer.seats import WRITE_GRACE, claim_of

# A concurrent reschedule may move the appointment between our reads: follow it this often.
ATTEMPTS = 3


def confirm_appointment(
    repos: Repositories, appointment_id: str, now: datetime, *, actor: Actor
) -> Populated:
    """Turn the actor's unexpired hold into a booking; confirming a booking changes nothing."""
    for _ in range(ATTEMPTS):
        appointment = get_owned(repos, appointment_id, actor)
        if appointment.status == Status.BOOKED.value:
            return populate_one(repos, appointment)
        if appointment.status == Status.EXPIRED.value or _hold_over(appointment, now):
            reconcile_appointment(repos, appointment, now)
            if repos.slots.get(appointment.slot_id).start_time <= now:
                raise SlotInPast("the slot has already started; its hold ended at the start")
            raise HoldExpired("the hold has expired; its seats are free again")
        check_transition(Status(appointment.status), Status.BOOKED)  # refuses a cancelled one
        held = claim_of(appointment)
        if not repos.ledger.confirm(appointment.slot_id, held, now, now + WRITE_GRACE):
            reconcile_appointment(repos, appointment, now)
            continue
        booked = repos.appointments.transition(
            appointment.id, held.claim_id, {Status.PENDING}, Status.BOOKED, now
        )
        if booked is not None:
            repos.ledger.settle(appointment.slot_id, replace(held, state=Status.BOOKED))
            if booked.entry_id is not None:  # an offer: its entry is accepted
                accept_offer(repos, booked.entry_id, booked.slot_id, now)
            return populate_one(repos, booked)
    raise InvalidTransition("the appointment changed while it was being confirmed")


def cancel_appointment(
    repos: Repositories, appointment_id: str, now: datetime, *, actor: Actor
) -> Populated:
    """Cancel the actor's hold or booking, seats back at once; cancelling twice is a no-op."""
    for _ in range(ATTEMPTS):
        appointment = get_owned(repos, appointment_id, actor)
        if appointment.status == Status.CANCELLED.value:
            return populate_one(repos, appointment)
        if _hold_over(appointment, now):
            reconcile_appointment(repos, appointment, now)
            appointment = repos.appointments.get(appointment_id)
        check_transition(Status(appointment.status), Status.CANCELLED)  # refuses an expired one
        policy = check_policy(repos, appointment, now, actor)
        claim = claim_of(appointment)
        released = repos.ledger.release(appointment.slot_id, claim, Status.CANCELLED, now)
        if released is None:
            reconcile_appointment(repos, appointment, now)
            continue
        cancelled = repos.appointments.transition(
            appointment.id, claim.claim_id, set(LIVE), Status.CANCELLED, now, cancelledAt=now
        )
        repos.ledger.settle(appointment.slot_id, replace(claim, state=Status.CANCELLED))
        make_offers(repos, released, now)  # the seats pass to the waiting list first
        if cancelled is not None:
            if policy.max_active_per_user is not None:
                repos.tallies.unmark(
                    user_tally(appointment.service_id, appointment.user_id), str(appointment.id)
                )
            return populate_one(repos, cancelled)
        # it moved to another claim between our read and our write: cancel that one
    raise InvalidTransition("the appointment changed while it was being cancelled")


def _hold_over(appointment, now: datetime) -> bool:
    return appointment.status == Status.PENDING.value and appointment.expires_at <= now
