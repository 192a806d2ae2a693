"""Appointment and slot statuses, and the transitions the appointment lifecycle allows."""

from enum import StrEnum

from slotkeeper.domain.errors import InvalidTransition


class Status(StrEnum):
    PENDING = "PENDING"
    BOOKED = "BOOKED"
    CANCELLED = "CANCELLED"
    EXPIRED = "EXPIRED"
    ATTENDED = "ATTENDED"
    NO_SHOW = "NO_SHOW"


class SlotStatus(StrEnum):
    AVAILABLE = "AVAILABLE"
    LOCKED = "LOCKED"
    BOOKED = "BOOKED"


LIVE = frozenset({Status.PENDING, Status.BOOKED})
# a booking's end once the slot was used: terminal, its seats stay counted as booked
USED = frozenset({Status.ATTENDED, Status.NO_SHOW})
FINAL = frozenset({Status.CANCELLED, Status.EXPIRED}) | USED

NEXT = {
    Status.PENDING: {Status.BOOKED, Status.CANCELLED, Status.EXPIRED},
    Status.BOOKED: {Status.CANCELLED, Status.ATTENDED, Status.NO_SHOW},
}


def can_transition(current: Status, target: Status) -> bool:
    return target in NEXT.get(current, set())


def check_transition(current: Status, target: Status) -> None:
    if not can_transition(current, target):
        raise InvalidTransition(f"cannot go from {current.value} to {target.value}")
