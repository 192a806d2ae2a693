"""Offers to a slot's waiting list (a step shared by the use cases that free seats and by the
sweep, not a use case itself).

Seats are reserved for the first waiting entries by the very update that frees them (see
repositories/seat_ledger.py). Making an offer from a reservation takes three writes, each
repairable: (1) slot: the reservation becomes a hold's claim, with the ids the entry was
given when it joined; (2) appointment: insert the hold, with the events `appointment.held`
and `waitlist.offered` in its outbox; (3) entry: record that it was offered. A process that
dies after (1) leaves a claim that knows its entry and user: the sweep writes (2) and (3)
from it. One that dies before (1) leaves the reservation: the sweep makes the offer.
"""

from dataclasses import replace
from datetime import datetime

from slotkeeper.domain.events import offer_event
from slotkeeper.domain.ledger import OFFER_GRACE, Claim, Ledger, Released, Waiting, holder_key
from slotkeeper.domain.status import USED, Status
from slotkeeper.domain.waitlist import EntryStatus, status_of_offer
from slotkeeper.repositories import Repositories
from slotkeeper.repositories.tally_repository import tally_key


def reservations(ledger: Ledger) -> Released:
    """The offers a ledger as read still has to have made."""
    return Released(ledger.slot_id, str(ledger.service_id), ledger.start, tuple(ledger.reserved()))


def make_offers(repos: Repositories, released: Released | None, now: datetime) -> int:
    """Make the offers of the reservations a release (or leave) left; the number made here."""
    if released is None or released.start is None:
        return 0
    made = 0
    for waiting in released.reserved:
        claim = waiting.offer(now, released.start)
        if repos.ledger.offer(released.slot_id, waiting, claim, now):
            write_offer(repos, released.slot_id, released.service_id, claim, now)
            made += 1
    return made


def write_offer(repos: Repositories, slot_id, service_id, claim: Claim, now: datetime) -> None:
    """The hold of an offer whose claim is on the slot, then its entry's record of it (each
    a no-op when written already)."""
    repos.appointments.add(
        dict(
            id=claim.appointment_id,
            slot_id=slot_id,
            service_id=service_id,
            user_id=claim.user_id,
            seats=claim.seats,
            status=Status.PENDING.value,
            expires_at=claim.until,
            claim_id=claim.claim_id,
            entry_id=claim.entry,
            created_at=now,
            updated_at=now,
        ),
        also=(offer_event(now, str(claim.entry)),),
    )
    if repos.waitlist.offered(claim.entry, now) is not None:
        return
    # no entry to mark (or marked already): the join may have died before writing it, so
    # write it as it is now; if the join wrote it meanwhile, mark that one
    added = repos.waitlist.add(
        dict(
            id=claim.entry,
            slot_id=slot_id,
            service_id=service_id,
            user_id=claim.user_id,
            seats=claim.seats,
            status=EntryStatus.OFFERED.value,
            appointment_id=claim.appointment_id,
            offered_at=now,
            created_at=now,
            updated_at=now,
        )
    )
    if added is None:
        repos.waitlist.offered(claim.entry, now)


def write_missing_entries(repos: Repositories, ledger: Ledger, now: datetime) -> int:
    """Entries of the waiting list whose join died before writing them (past the grace)."""
    written = 0
    for waiting in ledger.waiting:
        if waiting.at + OFFER_GRACE > now or repos.waitlist.find(waiting.entry) is not None:
            continue
        added = repos.waitlist.add(
            dict(
                id=waiting.entry,
                slot_id=ledger.slot_id,
                service_id=ledger.service_id,
                user_id=waiting.user_id,
                seats=waiting.seats,
                status=EntryStatus.WAITING.value,
                appointment_id=waiting.appointment_id,
                created_at=waiting.at,
                updated_at=waiting.at,
            )
        )
        written += added is not None
    return written


def finish_leaving(repos: Repositories, entry, now: datetime) -> EntryStatus:
    """Take an entry that left off its slot's waiting list, or cancel its offer as it was
    when the entry left, then forget that it is leaving. LEFT, or what its offer became
    first: ACCEPTED (confirmed, it stays booked) or EXPIRED (it ran out)."""
    at = entry.updated_at or now  # when it left: the sweep may finish the leave later
    ledger = repos.ledger.read(entry.slot_id)
    if ledger is not None:
        waiting = ledger.waiting_entry(str(entry.id))
        if waiting is not None and not waiting.reserved:
            released = repos.ledger.leave(entry.slot_id, waiting, now)
            if released is not None:
                make_offers(repos, released, now)
                repos.waitlist.left(entry.id)
                return EntryStatus.LEFT
            ledger = repos.ledger.read(entry.slot_id)  # seats were reserved for it meanwhile
    if ledger is not None and ledger.reserved():
        make_offers(repos, reservations(ledger), now)  # its own offer too: cancelled below
        ledger = repos.ledger.read(entry.slot_id)
    offer = ledger.offer_for(str(entry.id)) if ledger is not None else None
    if offer is not None and repos.appointments.find(offer.appointment_id) is None:
        # made by another process that has not written its hold yet: write it, to cancel it
        write_offer(repos, entry.slot_id, entry.service_id, offer, now)
    ended = cancel_offer(repos, entry, at, now)
    repos.waitlist.left(entry.id)
    return ended


def turn_away(repos: Repositories, slot_id, service_id, waiting: Waiting, now: datetime) -> None:
    """Give up a place taken on the line of a slot whose service was archived meanwhile (the
    archive looked at the slot before the place was there). Off the line at once while no
    seats are reserved for it and its entry is not written: then nothing of it remains.
    Otherwise it leaves as an entry does (written LEFT first, if need be)."""
    if repos.waitlist.find(waiting.entry) is None:
        released = repos.ledger.leave(slot_id, waiting, now)
        if released is not None:
            make_offers(repos, released, now)
            key = tally_key(service_id, waiting.holder)
            repos.tallies.unmark(key, waiting.appointment_id)
            return
    entry = repos.waitlist.add(
        dict(
            id=waiting.entry,
            slot_id=slot_id,
            service_id=service_id,
            user_id=waiting.user_id,
            seats=waiting.seats,
            status=EntryStatus.LEFT.value,
            leaving=True,
            appointment_id=waiting.appointment_id,
            created_at=waiting.at,
            updated_at=now,
        )
    )
    if entry is None:  # written already (by an offer, or the sweep): leave it
        entry = repos.waitlist.leave(waiting.entry, now) or repos.waitlist.get(waiting.entry)
    if entry.leaving:
        finish_leaving(repos, entry, now)


def turn_away_archived(repos: Repositories, ledger: Ledger, now: datetime) -> int:
    """Turn away the line of a future slot of an archived service: places whose joins died
    before they read the service (an archive is refused while anyone waits for a future
    slot, so nobody else can be there). Only those past the grace: a younger join may still
    be under way, and turns itself away. The number turned away."""
    if not ledger.waiting or ledger.start is None or ledger.start <= now:
        return 0
    if repos.services.get(ledger.service_id).active:
        return 0
    old = [w for w in ledger.waiting if w.at + OFFER_GRACE <= now]
    for waiting in old:
        turn_away(repos, ledger.slot_id, ledger.service_id, waiting, now)
    return len(old)


def cancel_offer(repos: Repositories, entry, at: datetime, now: datetime) -> EntryStatus:
    """Cancel the entry's offer if it was a hold at `at`; its seats pass on. LEFT when it
    is cancelled (or there is none), else what it became first: ACCEPTED or EXPIRED."""
    offer = repos.appointments.find(entry.appointment_id)
    if offer is None:
        return EntryStatus.LEFT
    if str(offer.slot_id) != str(entry.slot_id):  # moved away: no longer the line's to cancel
        stored = EntryStatus(repos.waitlist.get(entry.id).status)
        return status_of_offer(stored, offer, at, entry.slot_id)
    if offer.status != Status.PENDING.value:
        return _ending(Status(offer.status))
    claim = Claim(
        offer.claim_id,
        str(offer.id),
        holder_key(offer.user_id),
        offer.seats,
        Status.PENDING,
        until=offer.expires_at,
    )
    released = repos.ledger.release(offer.slot_id, claim, Status.CANCELLED, at, held_only=True)
    if released is None:  # confirmed, or over, first: the ledger says which
        return _how_it_ended(repos, offer, claim, at)
    repos.appointments.transition(
        offer.id, claim.claim_id, {Status.PENDING}, Status.CANCELLED, now, cancelledAt=at
    )
    repos.ledger.settle(offer.slot_id, replace(claim, state=Status.CANCELLED))
    make_offers(repos, released, now)
    return EntryStatus.LEFT


def _ending(status: Status) -> EntryStatus:
    if status is Status.BOOKED or status in USED:
        return EntryStatus.ACCEPTED
    if status is Status.EXPIRED:
        return EntryStatus.EXPIRED
    return EntryStatus.LEFT


def _how_it_ended(repos: Repositories, offer, claim: Claim, at: datetime) -> EntryStatus:
    """What became of an offer whose hold could not be cancelled (read slot first: the
    appointment follows it)."""
    ledger = repos.ledger.read(offer.slot_id, holder=claim.holder)
    found = ledger.claim(claim.claim_id) if ledger is not None else None
    if found is not None:
        if found.state is Status.PENDING:
            return EntryStatus.EXPIRED if found.is_stale(at) else EntryStatus.LEFT
        return _ending(found.state)
    if ledger is not None and ledger.holder_claim(claim.holder) == claim.claim_id:
        return EntryStatus.ACCEPTED  # a booking, settled
    now_it_is = repos.appointments.find(offer.id)
    return _ending(Status(now_it_is.status)) if now_it_is is not None else EntryStatus.LEFT


def accept_offer(repos: Repositories, entry_id, slot_id, now: datetime) -> bool:
    """The entry of an offer confirmed on its slot `slot_id` is ACCEPTED (reads derive it
    from the offer anyway, but not once the offer has moved to another slot). A leave that
    lost to the confirm has marked it LEFT: it is ACCEPTED all the same."""
    return any(
        repos.waitlist.settle(entry_id, stored.value, EntryStatus.ACCEPTED, now, slot_id=slot_id)
        for stored in (EntryStatus.OFFERED, EntryStatus.WAITING, EntryStatus.LEFT)
    )
