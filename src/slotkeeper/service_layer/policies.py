"""Booking-policy steps shared by the use cases that take, leave or change a slot (not a use
case itself).

`maxActivePerUser` is kept by the user's tally on the service: before seats are taken, a mark
for the new appointment is added by one conditional update that matches only while fewer than
the limit are counted. The mark is removed when the attempt is refused, when the appointment
is cancelled, and, for marks whose appointment has ended (expired, cancelled, or never written
because a process died), by whoever the tally would otherwise refuse: so a dead mark never
refuses anyone, as a stale hold never does.

A place in a waiting line is marked the same way when it joins, under the id its offer will
have: the offer inherits the mark, so an offer never takes a user past the limit. Until the
offer is made, the slot's line (not the appointment) says whether the mark still counts; a
leave does not touch the tally: the entry it leaves LEFT, or its cancelled offer, ends the
mark for whoever it would refuse.
"""

from datetime import datetime

from slotkeeper.domain.actor import Actor
from slotkeeper.domain.errors import UserLimitReached
from slotkeeper.domain.ledger import holder_key
from slotkeeper.domain.policy import Policy
from slotkeeper.domain.status import Status
from slotkeeper.domain.waitlist import EntryStatus
from slotkeeper.repositories import PageRequest, Repositories
from slotkeeper.repositories.tally_repository import Mark, tally_key
from slotkeeper.service_layer.seats import WRITE_GRACE

# A tally that changes under a booking's feet (created, marks dropped) is tried again this often.
ATTEMPTS = 4
WAITING_PAGE = 100


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
    repos: Repositories,
    service,
    user_id: str,
    appointment_id: str,
    start: datetime,
    now: datetime,
    *,
    entry: str | None = None,
    slot_id=None,
) -> bool:
    """Count a new appointment (or, with `entry`, a place in the line of slot `slot_id`,
    under the id its offer will have) on the user's tally if the service limits them; True
    when it is counted (the caller uncounts it if it is refused later), False when there is
    no limit. Raises USER_LIMIT_REACHED when the user has as many live appointments as
    allowed."""
    limit = service.booking_policy.max_active_per_user
    if limit is None:
        return False
    key = user_tally(service.id, user_id)
    slot = None if slot_id is None else str(slot_id)
    for _ in range(ATTEMPTS):
        if repos.tallies.mark(
            key, Mark(appointment_id, start, entry=entry, slot_id=slot), limit, now
        ):
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
    service and each of their places in its waiting lines (taken before its limit was set).
    Nothing can be marked before the tally exists, so no booking under the limit is missed;
    a second creator's insert changes nothing."""
    live = repos.appointments.live_of(user_id, service_id)
    offered = {str(a.id) for a in live}  # an entry whose stored status lags behind its offer
    waiting = [
        e for e in _waiting_of(repos, user_id, service_id) if str(e.appointment_id) not in offered
    ]
    slot_ids = [a.slot_id for a in live] + [e.slot_id for e in waiting]
    starts = (
        {str(i): s.start_time for i, s in repos.slots.get_many(slot_ids).items()}
        if slot_ids
        else {}
    )
    marks = [Mark(str(a.id), starts[str(a.slot_id)]) for a in live if str(a.slot_id) in starts]
    marks += [
        Mark(str(e.appointment_id), starts[str(e.slot_id)], entry=str(e.id), slot_id=str(e.slot_id))
        for e in waiting
        if str(e.slot_id) in starts
    ]
    repos.tallies.create(key, marks, now)


def _waiting_of(repos: Repositories, user_id: str, service_id) -> list:
    """The user's WAITING entries on slots of the service, page by page."""
    found: list = []
    page = PageRequest(1, WAITING_PAGE)
    while True:
        entries = repos.waitlist.list_page(
            page, user_id=user_id, service_id=str(service_id), status=EntryStatus.WAITING.value
        )
        found += entries.items
        if page.page * page.page_size >= entries.total:
            return found
        page = PageRequest(page.page + 1, page.page_size)


def drop_ended(repos: Repositories, key: str, marks: list[Mark], now: datetime) -> bool:
    """Remove the marks that no longer count: of appointments that ended, of slots that have
    started, of places in line that are no longer there nor offered, and of appointments
    never written (older than the write grace). True when one of them still counted and is
    gone."""
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
        if _ended(repos, m, found.get(m.appointment_id), now):
            gone = repos.tallies.unmark(key, m.appointment_id)
            dropped = dropped or (gone and m.start > now)
    return dropped


def _ended(repos: Repositories, m: Mark, appointment, now: datetime) -> bool:
    if m.start <= now:
        return True
    if appointment is None and m.entry is not None:
        # a place in line: the slot is read after the appointment, so an offer made in
        # between is on the slot (a live claim) or, finished already, found by a new read
        if _in_line(repos, m, now):
            return False
        appointment = repos.appointments.find(m.appointment_id)
        if appointment is None and _left(repos, m.entry):
            return True  # off the line before any offer was made for it
    if appointment is None:
        return m.at is None or m.at <= now - WRITE_GRACE
    return appointment.status not in (Status.PENDING.value, Status.BOOKED.value) or (
        appointment.status == Status.PENDING.value and appointment.expires_at <= now
    )


def _left(repos: Repositories, entry_id: str) -> bool:
    entry = repos.waitlist.find(entry_id)
    return entry is not None and entry.status == EntryStatus.LEFT.value


def _in_line(repos: Repositories, m: Mark, now: datetime) -> bool:
    """Whether the place `m` marks is still in its slot's line, or its offer is being made."""
    ledger = repos.ledger.read(m.slot_id)
    if ledger is None:
        return False
    offer = ledger.offer_for(str(m.entry))
    return ledger.waiting_entry(str(m.entry)) is not None or (
        offer is not None and not offer.is_stale(now)
    )
