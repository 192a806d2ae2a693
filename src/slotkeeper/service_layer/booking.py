"""Taking seats on a slot for a new appointment: hold and book."""

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from slotkeeper.domain.actor import Actor
from slotkeeper.domain.errors import Conflict, DomainError, Forbidden, ServiceInactive
from slotkeeper.domain.ledger import Claim, holder_key
from slotkeeper.domain.status import Status
from slotkeeper.repositories import Repositories
from slotkeeper.service_layer.idempotency import run_once
from slotkeeper.service_layer.policies import count_user, user_tally
from slotkeeper.service_layer.reading import Populated, populate_one
from slotkeeper.service_layer.seats import (
    WRITE_GRACE,
    AlreadyTaken,
    Taken,
    check_open,
    check_slot,
    take_seats,
)


@dataclass(frozen=True)
class BookingRequest:
    slot_id: str
    user_id: str
    seats: int = 1
    user_name: str | None = None
    user_email: str | None = None


def hold_seats(
    repos: Repositories,
    request: BookingRequest,
    now: datetime,
    ttl: timedelta,
    *,
    actor: Actor,
    idempotency_key: str | None = None,
) -> Populated:
    """Hold seats on a slot until now + ttl (PENDING)."""
    check_acts_for(actor, request)

    def hold(appointment_id: str, claim_id: str) -> Populated:
        claim = Claim(
            claim_id,
            appointment_id,
            holder_key(request.user_id),
            request.seats,
            Status.PENDING,
            until=now + ttl,
            check_at=now + ttl,
        )
        return _take(repos, request, claim, now)

    return _once(repos, idempotency_key, "hold", request, now, hold)


def book_seats(
    repos: Repositories,
    request: BookingRequest,
    now: datetime,
    *,
    actor: Actor,
    idempotency_key: str | None = None,
) -> Populated:
    """Book seats on a slot at once (BOOKED)."""
    check_acts_for(actor, request)

    def book(appointment_id: str, claim_id: str) -> Populated:
        claim = Claim(
            claim_id,
            appointment_id,
            holder_key(request.user_id),
            request.seats,
            Status.BOOKED,
            check_at=now + WRITE_GRACE,
        )
        return _take(repos, request, claim, now)

    return _once(repos, idempotency_key, "book", request, now, book)


def check_acts_for(actor: Actor, request: BookingRequest) -> None:
    """A user books for themselves; only an admin may name another userId."""
    if not actor.may_act_for(request.user_id):
        raise Forbidden(
            "a user may book only for themselves: leave out userId or send the token's sub"
        )


def _once(repos, key, kind, request, now, create) -> Populated:
    if key is None:
        return create(repos.appointments.new_id(), repos.appointments.new_id())
    return run_once(repos, key, kind, request, now, create)


def _take(repos: Repositories, request: BookingRequest, claim: Claim, now: datetime) -> Populated:
    slot = repos.slots.get(request.slot_id)
    check_slot(slot, claim.seats, now)
    service = repos.services.get(slot.service_id)
    service.booking_policy.check_take(slot.start_time, now)
    if claim.until is not None and claim.until > slot.start_time:  # a hold ends by the start
        claim = replace(claim, until=slot.start_time, check_at=slot.start_time)
    counted = count_user(
        repos, service, request.user_id, claim.appointment_id, slot.start_time, now
    )
    try:
        taken = _take_seats(repos, slot, claim, now, service.active)
        service = check_open(repos, slot.service_id, slot.id, claim, now)
    except DomainError:
        if counted:  # refused: this attempt's mark no longer counts
            repos.tallies.unmark(user_tally(service.id, request.user_id), claim.appointment_id)
        raise
    appointment = repos.appointments.add(
        dict(
            id=claim.appointment_id,
            slot_id=slot.id,
            service_id=slot.service_id,
            user_id=request.user_id,
            user_name=request.user_name,
            user_email=request.user_email,
            seats=claim.seats,
            status=claim.state.value,
            expires_at=claim.until,
            claim_id=claim.claim_id,
            created_at=now,
            updated_at=now,
        )
    )
    if appointment is None:  # a resumed idempotent request: its first run wrote it
        return populate_one(repos, repos.appointments.get(claim.appointment_id))
    if claim.state is Status.BOOKED:  # the appointment names the claim now: keep the ledger small
        repos.ledger.settle(slot.id, claim)
    match taken:
        case Taken(slot=slot_after):
            return Populated(appointment, service, slot_after)
        case _:  # taken by an earlier run: the counts are read fresh
            return populate_one(repos, appointment)


def _take_seats(
    repos: Repositories, slot, claim: Claim, now: datetime, active: bool
) -> Taken | AlreadyTaken:
    """take_seats; a refusal says SERVICE_INACTIVE when the service was archived as this
    request read it before the take. An archive between that read and the take leaves the
    ledger's refusal: the seats were not there either, and a second read of the service
    would cost every refused request one more round trip."""
    try:
        return take_seats(repos, slot, claim, now)
    except Conflict:
        if not active:
            raise ServiceInactive("the service is archived and takes no new appointments") from None
        raise
