"""The contract's invariants, checked from the database after any sequence of requests."""
from slotkeeper.domain.rules import slot_status
from slotkeeper.models import Appointment, Slot


def assert_slot_invariants(slot_id) -> None:
    slot = Slot.objects.get(id=slot_id)
    appointments = Appointment.objects(slot_id=slot.id)
    booked = sum(a.seats for a in appointments if a.status == "BOOKED")
    held = sum(a.seats for a in appointments if a.status == "PENDING")
    assert 0 <= slot.booked_seats + slot.held_seats <= slot.capacity
    assert (slot.booked_seats, slot.held_seats) == (booked, held)
    assert slot.status == slot_status(slot.capacity, slot.booked_seats, slot.held_seats).value
    live = {key[1:]: e for key, e in slot.entries.items() if e["state"] in ("PENDING", "BOOKED")}
    assert {str(a.id): a.status for a in appointments if a.status in ("PENDING", "BOOKED")} == \
        {key: e["state"] for key, e in live.items()}


def assert_all_invariants() -> None:
    for slot in Slot.objects.only("id"):
        assert_slot_invariants(slot.id)
