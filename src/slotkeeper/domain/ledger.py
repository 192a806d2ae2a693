"""The seat ledger a slot keeps of who holds its seats, as plain values.

Every attempt to take seats (a hold, a booking, each try of a reschedule) makes a *claim* with
an id of its own, recorded on the slot in the same atomic update as the seat counts. The
claim's `state` is the status its appointment is entitled to, so an appointment whose own
write was lost can be repaired from the slot without guessing; the appointment names its
current claim (`claimId`), and a claim no appointment names is an orphan. CANCELLED and
EXPIRED claims are tombstones: their seats are already returned, they only wait until the
appointment agrees.

Once a booking's appointment names it, its claim is settled (dropped from `claims`), so the
ledger stays as small as the work in flight however many seats a slot has. What remains for
every live claim is its user's *holder* pointer (user key -> claim key): it refuses a second
appointment of the same user on the slot and lets a settled booking's seats be returned
exactly once, by the one release that finds the pointer still naming that claim.

A slot also keeps its waiting list (`waiting`), in join order. The release that frees seats
reserves them, in the same update, for the first waiting entries they fit (strictly in order:
one that does not fit stops those behind it); a reserved entry becomes an offer, a claim like
any hold, by a second update (see service_layer/offers.py). `waitingSeats` counts the seats of
the entries not yet reserved, and nobody else can take those.
"""

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from slotkeeper.domain.errors import AlreadyWaiting, DomainError, DuplicateBooking, SlotUnavailable
from slotkeeper.domain.rules import free_seats
from slotkeeper.domain.status import LIVE, USED, Status


def holder_key(user_id: str) -> str:
    """A field-name-safe key for a user id (user ids may contain '.' or '$')."""
    return "u" + hashlib.sha256(user_id.encode()).hexdigest()[:32]


def claim_key(claim_id: str) -> str:
    return "c" + claim_id


@dataclass(frozen=True)
class Claim:
    claim_id: str
    appointment_id: str
    holder: str
    seats: int
    state: Status
    until: datetime | None = None  # the hold's deadline while PENDING
    check_at: datetime | None = None  # when the sweep compares the appointment with this claim
    entry: str | None = None  # an offer: the waiting entry it was made for
    user_id: str | None = None  # an offer: its user, to write the appointment from the claim

    @property
    def live(self) -> bool:
        return self.state in LIVE

    def is_stale(self, now: datetime) -> bool:
        """A hold whose deadline has passed: its seats are free to be reclaimed."""
        return self.state is Status.PENDING and self.until is not None and self.until <= now

    def is_due(self, now: datetime) -> bool:
        return self.check_at is not None and self.check_at <= now

    def ending(self, now: datetime) -> Status:
        """The tombstone a release leaves: a hold past its deadline expired, the rest cancel."""
        return Status.EXPIRED if self.is_stale(now) else Status.CANCELLED


@dataclass(frozen=True)
class Released:
    """A release happened; the waiting entries whose offers it (or an earlier one not yet
    finished) reserved seats for, to be made now."""

    slot_id: str
    service_id: str
    start: datetime | None
    reserved: tuple["Waiting", ...] = ()


# how long an offer's claim may wait for its appointment before the sweep writes it
OFFER_GRACE = timedelta(seconds=60)


@dataclass(frozen=True)
class Waiting:
    """One entry of a slot's waiting list, with the ids its offer will have (chosen when it
    joins, so that whoever makes the offer, a request or the sweep, makes the same one)."""

    entry: str
    holder: str
    user_id: str
    seats: int
    at: datetime  # when it joined
    claim_id: str
    appointment_id: str
    offer_seconds: int  # how long its offer is held
    reserved: bool = False  # freed seats are held for it; its offer is being made

    def offer(self, now: datetime, start: datetime) -> Claim:
        """The hold an offer made now is: a claim like any hold, ending by the slot's start."""
        until = min(now + timedelta(seconds=self.offer_seconds), start)
        return Claim(
            self.claim_id,
            self.appointment_id,
            self.holder,
            self.seats,
            Status.PENDING,
            until=until,
            check_at=min(now + OFFER_GRACE, until),
            entry=self.entry,
            user_id=self.user_id,
        )


@dataclass(frozen=True)
class Ledger:
    slot_id: str
    capacity: int
    booked: int
    held: int
    claims: dict[str, Claim] = field(default_factory=dict)  # claim id -> claim in flight
    rev: int = 0  # changes with every ledger write; guards the sweep's `due` bookkeeping
    holders: dict[str, str] = field(default_factory=dict)  # only those asked for when read
    waiting: tuple[Waiting, ...] = ()  # in join order
    waiting_seats: int = 0  # of the entries not yet reserved
    start: datetime | None = None
    service_id: str | None = None

    @property
    def free(self) -> int:
        return free_seats(self.capacity, self.booked, self.held)

    @property
    def live_seats(self) -> int:
        """Seats of PENDING and BOOKED appointments: those held, and those booked but not
        used (ATTENDED and NO_SHOW keep their seats booked as history, on used claims)."""
        used = sum(c.seats for c in self.claims.values() if c.state in USED)
        return self.held + self.booked - used

    def free_for_newcomers(self) -> int:
        """What anyone not waiting may take: the free seats the waiting list does not claim."""
        return max(self.free - self.waiting_seats, 0)

    def waiting_entry(self, entry: str) -> Waiting | None:
        return next((w for w in self.waiting if w.entry == entry), None)

    def is_waiting(self, holder: str) -> bool:
        return any(w.holder == holder for w in self.waiting)

    def offer_for(self, entry: str) -> Claim | None:
        """The live claim of the offer made for `entry`, if it is in flight."""
        return next((c for c in self.claims.values() if c.entry == entry and c.live), None)

    def reserved(self) -> list[Waiting]:
        return [w for w in self.waiting if w.reserved]

    def claim(self, claim_id: str | None) -> Claim | None:
        return self.claims.get(claim_id) if claim_id else None

    def holder_claim(self, holder: str) -> str | None:
        """The id of the claim `holder` points at (read with that holder named)."""
        key = self.holders.get(holder)
        return key[1:] if key else None

    def live_claim(
        self, claim_id: str | None, holder: str, appointment_id: str, seats: int
    ) -> Claim | None:
        """The claim if its seats are still taken: in flight, or a booking settled into the
        holder pointer alone."""
        found = self.claim(claim_id)
        if found is not None:
            return found if found.live else None
        if claim_id and self.holder_claim(holder) == claim_id:
            return Claim(claim_id, appointment_id, holder, seats, Status.BOOKED)
        return None

    def stale_holds(self, now: datetime) -> list[Claim]:
        return [c for c in self.claims.values() if c.is_stale(now)]

    def due(self, now: datetime) -> list[Claim]:
        return [c for c in self.claims.values() if c.is_due(now)]

    def next_check(self, now: datetime) -> datetime | None:
        """The earliest check still to come: a claim's, an offer still to make (now), or a
        waiting entry's whose join may have died before writing it."""
        checks = [c.check_at for c in self.claims.values() if c.check_at]
        checks += [now for w in self.waiting if w.reserved]
        checks += [w.at + OFFER_GRACE for w in self.waiting if w.at + OFFER_GRACE > now]
        return min(checks, default=None)

    def refusal(self, holder: str, seats: int) -> DomainError:
        """Why a claim of `seats` for `holder` cannot be taken on this ledger."""
        if holder in self.holders:
            return DuplicateBooking("this user already holds or booked seats on this slot")
        if self.is_waiting(holder):
            return AlreadyWaiting(
                "this user is on the slot's waiting list: wait for the offer, or leave the list"
            )
        if self.waiting_seats:
            return SlotUnavailable(
                f"{self.free_for_newcomers} seat(s) free for newcomers ({self.waiting_seats} "
                f"reserved for the waiting list), {seats} asked"
            )
        return SlotUnavailable(f"{self.free} seat(s) free, {seats} asked")
