"""Seat steps shared by the use cases that take or give back seats (not a use case itself)."""

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from slotkeeper.domain.errors import Invalid, NotFound, ServiceInactive, SlotInPast
from slotkeeper.domain.ledger import Claim, Ledger, holder_key
from slotkeeper.domain.status import USED, Status
from slotkeeper.models import Slot
from slotkeeper.repositories import Repositories
from slotkeeper.service_layer.offers import make_offers
from slotkeeper.service_layer.reconcile import reclaim_stale_holds

# How long a request may take between its slot write and its appointment write before the
# sweep treats the slot's claim as left behind by a dead process.
WRITE_GRACE = timedelta(seconds=60)


@dataclass(frozen=True)
class Taken:
    """The seats are ours now; the slot as the taking left it."""

    slot: Slot


@dataclass(frozen=True)
class AlreadyTaken:
    """An earlier run of this same attempt (a resumed idempotent request) took them."""

    claim_id: str


def claim_of(appointment) -> Claim:
    """The claim the appointment names on its slot, as far as the appointment knows it."""
    return Claim(
        appointment.claim_id,
        str(appointment.id),
        holder_key(appointment.user_id),
        appointment.seats,
        Status(appointment.status),
        until=appointment.expires_at,
    )


def check_slot(slot, seats: int, now: datetime) -> None:
    """Refuse a slot that cannot take `seats` whatever its ledger says."""
    if seats > slot.capacity:
        raise Invalid(f"the slot has {slot.capacity} seat(s) in all", field="seats")
    if slot.start_time <= now:
        raise SlotInPast("the slot has already started")


def take_seats(repos: Repositories, slot, claim: Claim, now: datetime) -> Taken | AlreadyTaken:
    """Take the claim's seats on the slot. Stale holds never block: they are reclaimed and the
    claim tried once more. Raises the ledger's refusal when the seats cannot be had."""
    slot_after = repos.ledger.take(slot, claim, now)
    if slot_after is not None:
        return Taken(slot_after)
    ledger = ledger_or_404(repos, slot.id, claim.holder)
    if reclaim_stale_holds(repos, slot.id, now, ledger):
        slot_after = repos.ledger.take(slot, claim, now)
        if slot_after is not None:
            return Taken(slot_after)
        ledger = ledger_or_404(repos, slot.id, claim.holder)
    if ledger.live_claim(claim.claim_id, claim.holder, claim.appointment_id, claim.seats):
        return AlreadyTaken(claim.claim_id)
    raise ledger.refusal(claim.holder, claim.seats)


def ledger_or_404(repos: Repositories, slot_id, holder: str | None = None) -> Ledger:
    ledger = repos.ledger.read(slot_id, holder=holder)
    if ledger is None:
        raise NotFound(f"slot {slot_id} not found")
    return ledger


def check_open(repos: Repositories, service_id, slot_id, claim: Claim | None, now: datetime):
    """The service, once seats were taken on one of its slots, if it still takes appointments;
    if it does not, the `claim` this attempt took is given back.

    Read after the taking, so that an archive and a booking always see each other: an archive
    marks the service `closing` before it looks for taken seats, so a booking that finds the
    mark ends that archive (the archive then refuses, as it would have on seeing these seats),
    and a booking that finds the service archived gives its seats back and is refused.
    """
    service = service_after(repos, service_id)
    if not service.active:
        if claim is not None:
            give_back(repos, slot_id, claim, now)
        raise ServiceInactive("the service is archived and takes no new appointments")
    return service


def service_after(repos: Repositories, service_id):
    """The service as read after writing to one of its slots (seats taken, a place in line):
    a `closing` mark found there is removed, so that the archive that put it refuses."""
    service = repos.services.get(service_id)
    if service.active and service.closing:
        if not repos.services.stop_closing(service_id, service.closing):
            service = repos.services.get(service_id)  # the archive finished first, or another
    return service


def give_back(repos: Repositories, slot_id, claim: Claim, now: datetime) -> bool:
    """Return the seats of a claim no appointment keeps (taken by this attempt, or left behind
    by a move) and forget it; False when they were returned already."""
    ending = claim.ending(now)
    released = repos.ledger.release(slot_id, claim, ending, now)
    if released is None:
        return False
    repos.ledger.settle(slot_id, replace(claim, state=ending))
    make_offers(repos, released, now)  # the seats pass to the waiting list first
    return True


def free_left(repos: Repositories, appointment, now: datetime) -> None:
    """Return the seats of every claim the appointment has moved away from, then forget them."""
    holder = holder_key(appointment.user_id)
    for left in appointment.leaving or []:
        ledger = repos.ledger.read(left["slotId"], holder=holder)
        if ledger is not None:
            used = ledger.claim(left["claimId"])
            if used is not None and used.state in USED:
                continue  # a check-in on the old slot in flight: it gives the claim back
            claim = ledger.live_claim(
                left["claimId"], holder, str(appointment.id), appointment.seats
            )
            if claim is not None:
                give_back(repos, left["slotId"], claim, now)
        repos.appointments.left(appointment.id, left["claimId"])
