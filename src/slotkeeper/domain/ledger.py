"""The seat ledger a slot keeps of who holds its seats, as plain values.

Each slot document records an entry for every appointment whose seats are in flight (a hold,
or a booking whose appointment document may not agree yet), changed in the same atomic update
as the seat counts. The entry's `state` is the status the appointment is entitled to, so an
appointment whose own write was lost can be repaired from the slot without guessing.
CANCELLED and EXPIRED entries are tombstones: their seats are already returned, they only wait
until the appointment document agrees.

Once a booking's appointment agrees, its entry is settled (dropped), so the ledger stays as
small as the work in flight however many seats a slot has. What remains for every live
appointment is its user's holder pointer (user key -> entry key): it refuses a second
appointment of the same user and lets the booking's seats be returned exactly once.
"""
import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from slotkeeper.domain.errors import DomainError, DuplicateBooking, SlotUnavailable
from slotkeeper.domain.rules import free_seats
from slotkeeper.domain.status import LIVE, Status


def holder_key(user_id: str) -> str:
    """A field-name-safe key for a user id (user ids may contain '.' or '$')."""
    return "u" + hashlib.sha256(user_id.encode()).hexdigest()[:32]


def entry_key(appointment_id: str) -> str:
    return "a" + appointment_id


@dataclass(frozen=True)
class Allocation:
    appointment_id: str
    holder: str
    seats: int
    state: Status
    until: datetime | None = None  # the hold's deadline while PENDING
    check_at: datetime | None = None  # when the sweep compares the appointment with this entry

    @property
    def live(self) -> bool:
        return self.state in LIVE

    def is_stale(self, now: datetime) -> bool:
        return self.state is Status.PENDING and self.until is not None and self.until <= now

    def is_due(self, now: datetime) -> bool:
        return self.check_at is not None and self.check_at <= now


@dataclass(frozen=True)
class Ledger:
    slot_id: str
    capacity: int
    booked: int
    held: int
    entries: dict[str, Allocation] = field(default_factory=dict)
    rev: int = 0  # changes with every ledger write; guards the sweep's bookkeeping
    holders: dict[str, str] = field(default_factory=dict)  # only those asked for when read

    @property
    def free(self) -> int:
        return free_seats(self.capacity, self.booked, self.held)

    def entry(self, appointment_id: str) -> Allocation | None:
        return self.entries.get(appointment_id)

    def holds_seats(self, holder: str) -> bool:
        """Whether `holder` has a live appointment here (read with that holder named)."""
        return holder in self.holders

    def allocated(self, appointment_id: str, holder: str) -> bool:
        """Whether the appointment holds seats here, in flight or settled."""
        entry = self.entries.get(appointment_id)
        return (entry is not None and entry.live) or self.holders.get(holder) == entry_key(
            appointment_id)

    def settled_booking(self, appointment_id: str, holder: str, seats: int) -> Allocation | None:
        """The booking `appointment_id` as the holder pointer still records it, entry dropped."""
        if appointment_id in self.entries or self.holders.get(holder) != entry_key(appointment_id):
            return None
        return Allocation(appointment_id, holder, seats, Status.BOOKED)

    def stale_holds(self, now: datetime) -> list[Allocation]:
        return [e for e in self.entries.values() if e.is_stale(now)]

    def due(self, now: datetime) -> list[Allocation]:
        return [e for e in self.entries.values() if e.is_due(now)]

    def next_check(self) -> datetime | None:
        return min((e.check_at for e in self.entries.values() if e.check_at), default=None)

    def refusal(self, holder: str, seats: int) -> DomainError:
        """Why an allocation of `seats` for `holder` cannot succeed on this ledger."""
        if self.holds_seats(holder):
            return DuplicateBooking("this user already holds or booked seats on this slot")
        return SlotUnavailable(f"{self.free} seat(s) free, {seats} asked")
