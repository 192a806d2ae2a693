"""Booking-policy steps shared by the use cases that leave or change a slot (not a use case)."""

from datetime import datetime

from slotkeeper.domain.actor import Actor
from slotkeeper.repositories import Repositories


def check_policy(repos: Repositories, appointment, now: datetime, actor: Actor, to=None) -> None:
    """Refuse leaving the appointment's slot inside the service's cancel cutoff (unless an
    admin by token asks) and, for a reschedule, taking the slot `to` against the notice rules."""
    policy = repos.services.get(appointment.service_id).booking_policy
    if to is not None:
        policy.check_take(to.start_time, now)
    if policy.cancel_cutoff_minutes and not actor.exempt_from_cutoff:
        policy.check_leave(repos.slots.get(appointment.slot_id).start_time, now)
