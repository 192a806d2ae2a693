"""Booking-policy steps shared by the use cases that take, leave or change a slot (not a use
case itself).

`maxActivePerUser` is kept by the user's tally on the service: before seats are taken, a mark
for the new appointment is added by one conditional update that matches only while fewer than
the limit are counted. The mark is removed when the attempt is refused, when the appointment
is cancelled, and, for marks whose appointment has ended (expired, cancelled, or never written
because a process died), by whoever the tally would otherwise refuse: so a dead mark never
refuses anyone, as a stale hold never does.
"""

from datetime import datetime

from slotkeeper.domain.actor import Actor
from slotkeeper.domain.errors import UserLimitReached
from slotkeeper.domain.ledger import holder_key
from slotkeeper.domain.policy import Policy
from slotkeeper.domain.status import Status
from slotkeeper.repositories import Repositories
from slotkeeper.repositories.tally_repository import Mark, tally_key
from slotkeeper.service_layer.seats import WRITE_GRACE

# A tally that changes under a booking's feet (created, marks dropped) is tried again this often.
ATTEMPTS = 4


def check_policy(repos: Repositories, appointment, now: datetime, actor: Actor, to=None) -> Policy:
    """The service's policy, once leaving the appointment's slot is allowed: not inside the
    cancel cutoff (unless an admin by token asks), and for a reschedule, taking the slot `to`
    meets the notice rules."""
    policy = repos.services.get(appointment.service_id).booking_policy
    if to is not None:
        policy.check_take(to.start_time, now)
    if policy.cancel_cutoff_minutes and not actor.exempt_from_cutoff:
        policy.check_leave(repos.slots.get(appointment.slot_id).start_time, now)
    return policy


def user_tally(service_id, user_id: str) -> str:
    return tally_key(service_id, holder_key(user_id))


def count_user(
    repos: Repositories, service, user_id: str, appointment_id: str, start: datetime, now: datetime
) -> bool:
    """Count a new appointment on the user's tally if the service limits them; True when it
    is counted (the caller uncounts it if it is refused later), False when there is no limit.
    Raises USER_LIMIT_REACHED when the user has as many live appointments as allowed."""
    limit = service.booking_policy.max_active_per_user
    if limit is None:
        return False
    key = user_tally(service.id, user_id)
    for _ in range(ATTEMPTS):
        if repos.tallies.mark(key, Mark(appointment_id, start), limit, now):
            return True
        marks = repos.tallies.read(key)
        if marks is None:  # the first booking since the limit was set: count what is live
            start_tally(repos, key, service.id, user_id, now)
            continue
        if any(m.appointment_id == appointment_id for m in marks):
            return True  # an earlier run of this same attempt counted it
        if drop_ended(repos, key, marks, now):
            continue
        if sum(m.start > now for m in marks) < limit:
            continue  # marks went away since ours was refused: try again
        break
    raise UserLimitReached(
        f"this user already has {limit} live appointment(s) with the "
        "service, the most its policy allows"
    )


def start_tally(repos: Repositories, key: str, service_id, user_id: str, now: datetime) -> None:
    """Create the user's tally with a mark for each of their live appointments with the
    service (made before its limit was set). Nothing can be marked before the tally exists,
    so no booking under the limit is missed; a second creator's insert changes nothing."""
    live = repos.appointments.live_of(user_id, service_id)
    starts = (
        {str(i): s.start_time for i, s in repos.slots.get_many([a.slot_id for a in live]).items()}
        if live
        else {}
    )
    repos.tallies.create(
        key,
        [Mark(str(a.id), starts[str(a.slot_id)]) for a in live if str(a.slot_id) in starts],
        now,
    )


def drop_ended(repos: Repositories, key: str, marks: list[Mark], now: datetime) -> bool:
    """Remove the marks that no longer count: of appointments that ended, of slots that have
    started, and of appointments never written (older than the write grace). True when one
    of them still counted and is gone."""
    counted = [m for m in marks if m.start > now]
    found = (
        {
            str(i): a
            for i, a in repos.appointments.get_many([m.appointment_id for m in counted]).items()
        }
        if counted
        else {}
    )
    dropped = False
    for m in marks:
        appointment = found.get(m.appointment_id)
        if m.start <= now:
            ended = True
        elif appointment is None:
            ended = m.at is None or m.at <= now - WRITE_GRACE
        else:
            ended = appointment.status not in (Status.PENDING.value, Status.BOOKED.value) or (
                appointment.status == Status.PENDING.value and appointment.expires_at <= now
            )
        if ended:
            gone = repos.tallies.unmark(key, m.appointment_id)
            dropped = dropped or (gone and m.start > now)
    return dropped
