"""Use cases at the slot's time: a booking is attended, or its customer did not come.

Both keep the seats counted (the slot was used). Like every seat change, the slot is written
first: the booking's claim becomes a used one (ATTENDED or NO_SHOW), which no cancel or
reschedule can release; then the appointment follows, only while it names that claim. If it
no longer does (a reschedule moved it in between), the claim is turned back into a booking
no appointment names, and its seats are given back like any other such claim.
"""

from dataclasses import replace
from datetime import datetime, timedelta

from slotkeeper.domain.actor import Actor
from slotkeeper.domain.errors import InvalidTransition, TooEarly, TooLate
from slotkeeper.domain.status import Status, check_transition
from slotkeeper.repositories import Repositories
from slotkeeper.service_layer.reading import Populated, get_owned, populate_one
from slotkeeper.service_layer.reconcile import reconcile_appointment
from slotkeeper.service_layer.seats import WRITE_GRACE, claim_of, give_back

# check-in opens this long before the slot starts
CHECK_IN_OPENS = timedelta(hours=1)
ATTEMPTS = 3


def attend(repos: Repositories, appointment_id: str, now: datetime, *, actor: Actor) -> Populated:
    """BOOKED -> ATTENDED, from an hour before the slot starts until it ends."""

    def in_time(slot) -> None:
        if now < slot.start_time - CHECK_IN_OPENS:
            raise TooEarly("check-in opens one hour before the slot starts")
        if now >= slot.end_time:
            raise TooLate("the slot has ended")

    return _use(repos, appointment_id, Status.ATTENDED, in_time, now, actor)


def mark_no_show(
    repos: Repositories, appointment_id: str, now: datetime, *, actor: Actor
) -> Populated:
    """BOOKED -> NO_SHOW, once the slot has started."""

    def in_time(slot) -> None:
        if now < slot.start_time:
            raise TooEarly("a no-show can be recorded once the slot has started")

    return _use(repos, appointment_id, Status.NO_SHOW, in_time, now, actor)


def _use(
    repos: Repositories, appointment_id: str, to: Status, in_time, now: datetime, actor: Actor
) -> Populated:
    for _ in range(ATTEMPTS):
        appointment = get_owned(repos, appointment_id, actor)
        if appointment.status == to.value:
            return populate_one(repos, appointment)
        check_transition(Status(appointment.status), to)  # BOOKED only
        in_time(repos.slots.get(appointment.slot_id))
        booked = claim_of(appointment)
        if not repos.ledger.mark_used(appointment.slot_id, booked, to, now, now + WRITE_GRACE):
            reconcile_appointment(repos, appointment, now)
            continue
        used = replace(booked, state=to)
        done = repos.appointments.transition(
            appointment.id, booked.claim_id, {Status.BOOKED}, to, now
        )
        if done is None:
            done = repos.appointments.find(appointment.id)
            if done is None or done.claim_id != booked.claim_id or done.status != to.value:
                # it moved to another claim meanwhile: this claim is nobody's booking now
                if repos.ledger.unmark_used(appointment.slot_id, used, now):
                    give_back(repos, appointment.slot_id, booked, now)
                continue
        repos.ledger.settle(appointment.slot_id, used)
        return populate_one(repos, done)
    raise InvalidTransition("the appointment changed while it was being checked in")
