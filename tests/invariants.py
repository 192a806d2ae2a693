"""The contract's invariants, checked from the database after any sequence of requests."""
from slotkeeper.domain.ledger import entry_key, holder_key
from slotkeeper.domain.rules import slot_status
from slotkeeper.models import Appointment, Slot

LIVE = ("PENDING", "BOOKED")


def assert_slot_invariants(slot_id) -> None:
    slot = Slot.objects.get(id=slot_id)
    appointments = list(Appointment.objects(slot_id=slot.id))
    live = [a for a in appointments if a.status in LIVE]
    booked = sum(a.seats for a in live if a.status == "BOOKED")
    held = sum(a.seats for a in live if a.status == "PENDING")
    assert 0 <= slot.booked_seats + slot.held_seats <= slot.capacity
    assert (slot.booked_seats, slot.held_seats) == (booked, held)
    assert slot.status == slot_status(slot.capacity, slot.booked_seats, slot.held_seats).value
    # the ledger: every live appointment, and nothing else, has its user's holder pointer
    pointers = {holder: key for holder, key in slot.holders.items() if key}
    assert pointers == {holder_key(a.user_id): entry_key(str(a.id)) for a in live}
    for key, entry in slot.entries.items():
        if entry["state"] in LIVE:  # an entry in flight says what its appointment is
            assert any(entry_key(str(a.id)) == key and a.status == entry["state"] for a in live)


def assert_all_invariants() -> None:
    for slot in Slot.objects.only("id"):
        assert_slot_invariants(slot.id)
