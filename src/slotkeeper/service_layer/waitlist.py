"""The waiting list of a slot: join, read, leave.

Who waits, and in which order, is the slot's `waiting` list; the seats freed while people
wait are reserved for them by the update that frees them (repositories/seat_ledger.py) and
offered as holds (service_layer/offers.py). The entries read here are what the API shows:
once an offer is made, its appointment says what became of the entry.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from slotkeeper.domain.actor import Actor
from slotkeeper.domain.errors import (
    AlreadyWaiting,
    DomainError,
    DuplicateBooking,
    Forbidden,
    InvalidTransition,
    NotFound,
    ServiceInactive,
    SlotAvailable,
    SlotInPast,
)
from slotkeeper.domain.ledger import OFFER_GRACE, Waiting, holder_key
from slotkeeper.domain.waitlist import FINAL, EntryStatus, Shown, status_of_offer
from slotkeeper.models import WaitlistEntry
from slotkeeper.repositories import Page, PageRequest, Repositories
from slotkeeper.service_layer.offers import finish_leaving, turn_away
from slotkeeper.service_layer.policies import count_user, user_tally
from slotkeeper.service_layer.reconcile import reclaim_stale_holds
from slotkeeper.service_layer.seats import check_slot, ledger_or_404, service_after

# A concurrent offer may change the entry between our reads: follow it this often.
ATTEMPTS = 3
# entries whose offer may have moved on, settled before a list filtered by status
SETTLE_LIMIT = 500


@dataclass(frozen=True)
class JoinRequest:
    slot_id: str
    user_id: str
    seats: int = 1


def join_waitlist(
    repos: Repositories, request: JoinRequest, now: datetime, offer_ttl: timedelta, *, actor: Actor
) -> Shown:
    """Put the user at the end of a full slot's waiting list."""
    if not actor.may_act_for(request.user_id):
        raise Forbidden(
            "a user may join only for themselves: leave out userId or send the token's sub"
        )
    slot = repos.slots.get(request.slot_id)
    check_slot(slot, request.seats, now)
    service = repos.services.get(slot.service_id)
    if not service.active:
        raise ServiceInactive("the service is archived and takes no new appointments")
    service.booking_policy.check_take(slot.start_time, now)
    holder = holder_key(request.user_id)
    reclaim_stale_holds(repos, slot.id, now)  # an expired hold never keeps anyone waiting
    waiting = Waiting(
        repos.waitlist.new_id(),
        holder,
        request.user_id,
        request.seats,
        now,
        repos.appointments.new_id(),
        repos.appointments.new_id(),
        int(offer_ttl.total_seconds()),
    )
    counted = count_user(
        repos,
        service,
        request.user_id,
        waiting.appointment_id,
        slot.start_time,
        now,
        entry=waiting.entry,
        slot_id=slot.id,
    )
    try:
        position = repos.ledger.join(slot.id, waiting, now, now + OFFER_GRACE)
        if position is None:
            raise _refusal(repos, slot.id, holder, request.seats, now)
    except DomainError:
        if counted:  # refused: this place does not count
            repos.tallies.unmark(user_tally(service.id, request.user_id), waiting.appointment_id)
        raise
    if not service_after(repos, slot.service_id).active:
        # archived while we joined, after the archive looked at this slot: give it up again
        turn_away(repos, slot.id, slot.service_id, waiting, now)
        raise ServiceInactive("the service is archived and takes no new appointments")
    added = repos.waitlist.add(
        dict(
            id=waiting.entry,
            slot_id=slot.id,
            service_id=slot.service_id,
            user_id=request.user_id,
            seats=request.seats,
            status=EntryStatus.WAITING.value,
            appointment_id=waiting.appointment_id,
            created_at=now,
            updated_at=now,
        )
    )
    entry = added or repos.waitlist.get(waiting.entry)  # an offer made already wrote it
    # the answer is the entry as it joined: a concurrent offer is the next change, not this one
    return Shown(entry, EntryStatus.WAITING.value, position, None, now)


def _refusal(repos: Repositories, slot_id, holder: str, seats: int, now: datetime) -> DomainError:
    """Why the slot's line did not take the user."""
    ledger = ledger_or_404(repos, slot_id, holder)
    if holder in ledger.holders:
        return DuplicateBooking("this user already holds or booked seats on this slot")
    if ledger.is_waiting(holder):
        return AlreadyWaiting("this user is already on the slot's waiting list")
    if ledger.start is not None and ledger.start <= now:
        return SlotInPast("the slot has already started")
    return SlotAvailable(
        f"{ledger.free_for_newcomers} seat(s) are free for this user, {seats} "
        "asked: book or hold them instead"
    )


def get_entry(repos: Repositories, entry_id: str, now: datetime, *, actor: Actor) -> Shown:
    return show(repos, [_get_owned(repos, entry_id, actor)], now, settle=True)[0]


def list_entries(
    repos: Repositories, page: PageRequest, now: datetime, *, actor: Actor, **filters
) -> Page:
    """The actor's entries (an admin's: anyone's), newest first."""
    if not actor.is_admin:
        if filters.get("user_id", actor.user_id) != actor.user_id:
            raise Forbidden("a user may list only their own entries; leave out userId")
        filters["user_id"] = actor.user_id
    if filters.get("status") is not None:  # the stored status must have caught up first
        scope = {k: v for k, v in filters.items() if k != "status"}
        show(repos, repos.waitlist.offered_unsettled(SETTLE_LIMIT, **scope), now, settle=True)
    found = repos.waitlist.list_page(page, **filters)
    return Page(show(repos, found.items, now, settle=True), found.total)


def slot_entries(repos: Repositories, slot_id: str, page: PageRequest, now: datetime) -> Page:
    """A slot's entries in the order they joined."""
    slot = repos.slots.get(slot_id)
    found = repos.waitlist.list_page(page, newest_first=False, slot_id=slot.id)
    return Page(show(repos, found.items, now, settle=True), found.total)


def leave_waitlist(repos: Repositories, entry_id: str, now: datetime, *, actor: Actor) -> None:
    """Leave a slot's waiting list: a waiting entry gives up its place, an offered one its
    hold (its seats pass on). Leaving twice changes nothing."""
    for _ in range(ATTEMPTS):
        entry = _get_owned(repos, entry_id, actor)
        shown = EntryStatus(show(repos, [entry], now)[0].status)
        if entry.status != EntryStatus.LEFT.value:
            if shown is EntryStatus.LEFT:
                return  # its offer was cancelled: it left that way
            if shown in FINAL:
                raise InvalidTransition(f"a {shown.value} entry cannot leave")
            left = repos.waitlist.leave(entry.id, now)
            if left is None:
                continue  # it changed meanwhile
            entry = left
        elif not entry.leaving:  # left already, unless its offer was confirmed first
            if shown is EntryStatus.ACCEPTED:
                raise InvalidTransition("the offer was confirmed first: the entry is ACCEPTED")
            return
        # ours, or another leave of it still under way: finish it (each step is conditional)
        ended = finish_leaving(repos, entry, now)
        if ended is not EntryStatus.LEFT:
            raise InvalidTransition(f"the offer ended first: the entry is {ended.value}")
        return
    raise InvalidTransition("the entry changed while it was leaving")


def _get_owned(repos: Repositories, entry_id: str, actor: Actor) -> WaitlistEntry:
    entry = repos.waitlist.get(entry_id)
    if not actor.may_act_for(entry.user_id):  # as for appointments: ids cannot be probed
        raise NotFound(f"waiting-list entry {entry_id} not found")
    return entry


def show(repos: Repositories, entries: list, now: datetime, settle: bool = False) -> list[Shown]:
    """Entries as the API shows them; with `settle`, a stored status that lags behind its
    offer is written (so that filters by status find it)."""
    if not entries:
        return []
    offers = repos.appointments.get_many(e.appointment_id for e in entries)
    waiting_slots = {e.slot_id for e in entries if e.status == EntryStatus.WAITING.value}
    lines = repos.ledger.waiting_of(waiting_slots) if waiting_slots else {}
    shown = []
    for entry in entries:
        offer = offers.get(entry.appointment_id)
        status = status_of_offer(EntryStatus(entry.status), offer, now, entry.slot_id)
        if settle and status.value != entry.status:
            repos.waitlist.settle(entry.id, entry.status, status, now)
        position = None
        if status is EntryStatus.WAITING:
            line = lines.get(str(entry.slot_id), [])
            position = line.index(str(entry.id)) + 1 if str(entry.id) in line else None
        offer_id = str(offer.id) if offer is not None else None
        shown.append(Shown(entry, status.value, position, offer_id, entry.updated_at))
    return shown
