"""Seat arithmetic: the one definition of free seats and of a slot's status."""

from slotkeeper.domain.status import SlotStatus


def free_seats(capacity: int, booked: int, held: int) -> int:
    return capacity - booked - held


def slot_status(capacity: int, booked: int, held: int) -> SlotStatus:
    if booked >= capacity:
        return SlotStatus.BOOKED
    if booked + held >= capacity:
        return SlotStatus.LOCKED
    return SlotStatus.AVAILABLE
