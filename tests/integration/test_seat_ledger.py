"""The slot ledger's atomic operations, on the configured engine."""

from dataclasses import replace
from datetime import timedelta

from bson import ObjectId

from slotkeeper.domain.ledger import Claim, holder_key
from slotkeeper.domain.status import Status
from slotkeeper.models import Slot
from tests.conftest import NOW

LATER = NOW + timedelta(minutes=2)


def new_slot(capacity: int) -> str:
    slot = Slot(
        service_id=ObjectId(),
        start_time=NOW + timedelta(days=1),
        end_time=NOW + timedelta(days=1, hours=1),
        capacity=capacity,
    ).save()
    return str(slot.id)


def claim(user="ann", seats=1, state=Status.PENDING, until=LATER, check_at=None) -> Claim:
    return Claim(
        str(ObjectId()),
        str(ObjectId()),
        holder_key(user),
        seats,
        state,
        until=until,
        check_at=check_at or until,
    )


def stored(slot_id) -> Slot:
    return Slot.objects.get(id=slot_id)


def test_allocation_takes_seats_and_derives_status_in_one_update(repos):
    slot_id = new_slot(3)
    assert repos.ledger.take(stored(slot_id), claim("ann", 2), NOW) is not None
    assert (stored(slot_id).held_seats, stored(slot_id).status) == (2, "AVAILABLE")
    booked = claim("bob", 1, Status.BOOKED, until=None)
    assert repos.ledger.take(stored(slot_id), booked, NOW) is not None
    slot = stored(slot_id)
    assert (slot.held_seats, slot.booked_seats, slot.status) == (2, 1, "LOCKED")


def test_allocation_is_refused_when_fewer_seats_are_free(repos):
    slot_id = new_slot(2)
    assert repos.ledger.take(stored(slot_id), claim("ann", 1), NOW) is not None
    assert repos.ledger.take(stored(slot_id), claim("bob", 2), NOW) is None
    assert stored(slot_id).held_seats == 1


def test_allocation_is_refused_to_a_user_who_already_holds_seats(repos):
    slot_id = new_slot(5)
    assert repos.ledger.take(stored(slot_id), claim("ann"), NOW) is not None
    assert repos.ledger.take(stored(slot_id), claim("ann"), NOW) is None
    assert stored(slot_id).held_seats == 1


def test_the_same_claim_cannot_be_taken_twice(repos):
    slot_id, first = new_slot(5), claim("ann")
    assert repos.ledger.take(stored(slot_id), first, NOW) is not None
    again = Claim(
        first.claim_id, first.appointment_id, holder_key("bob"), 1, Status.PENDING, LATER, LATER
    )
    assert repos.ledger.take(stored(slot_id), again, NOW) is None


def test_a_release_names_its_claim_so_another_attempts_claim_is_never_given_back(repos):
    slot_id, mine = new_slot(5), claim("ann", seats=2)
    theirs = Claim(
        str(ObjectId()), mine.appointment_id, mine.holder, 2, Status.PENDING, LATER, LATER
    )  # another attempt for the same appointment and user
    assert repos.ledger.take(stored(slot_id), theirs, NOW) is not None
    assert repos.ledger.take(stored(slot_id), mine, NOW) is None
    assert not repos.ledger.release(slot_id, mine, Status.CANCELLED, NOW)
    assert stored(slot_id).held_seats == 2


def test_confirm_turns_an_unexpired_hold_into_a_booking_once(repos):
    slot_id, held = new_slot(1), claim("ann")
    repos.ledger.take(stored(slot_id), held, NOW)
    assert repos.ledger.confirm(slot_id, held, NOW, LATER)
    assert not repos.ledger.confirm(slot_id, held, NOW, LATER)
    slot = stored(slot_id)
    assert (slot.held_seats, slot.booked_seats, slot.status) == (0, 1, "BOOKED")


def test_confirm_refuses_a_hold_past_its_deadline(repos):
    slot_id, held = new_slot(1), claim("ann", until=LATER)
    repos.ledger.take(stored(slot_id), held, NOW)
    assert not repos.ledger.confirm(slot_id, held, LATER, LATER)
    assert stored(slot_id).held_seats == 1


def test_a_cancelling_release_takes_a_claim_in_whatever_live_state_it_is_now(repos):
    slot_id, held = new_slot(2), claim("ann", seats=2)
    repos.ledger.take(stored(slot_id), held, NOW)
    assert repos.ledger.confirm(slot_id, held, NOW, LATER)  # read as PENDING, BOOKED by now
    assert repos.ledger.release(slot_id, held, Status.CANCELLED, NOW)
    slot = stored(slot_id)
    assert (slot.held_seats, slot.booked_seats, slot.status) == (0, 0, "AVAILABLE")


def test_release_returns_seats_exactly_once_and_frees_the_user(repos):
    slot_id, held = new_slot(2), claim("ann", seats=2)
    repos.ledger.take(stored(slot_id), held, NOW)
    assert repos.ledger.release(slot_id, held, Status.CANCELLED, NOW)
    assert not repos.ledger.release(slot_id, held, Status.CANCELLED, NOW)
    slot = stored(slot_id)
    assert (slot.held_seats, slot.status) == (0, "AVAILABLE")
    assert repos.ledger.take(stored(slot_id), claim("ann"), NOW) is not None


def test_expiry_releases_only_holds_whose_deadline_has_passed(repos):
    slot_id, held = new_slot(1), claim("ann", until=LATER)
    repos.ledger.take(stored(slot_id), held, NOW)
    assert not repos.ledger.release(slot_id, held, Status.EXPIRED, NOW)
    assert repos.ledger.release(slot_id, held, Status.EXPIRED, LATER)
    assert stored(slot_id).held_seats == 0


def test_the_tombstone_of_a_release_stays_until_settled(repos):
    slot_id, held = new_slot(1), claim("ann")
    repos.ledger.take(stored(slot_id), held, NOW)
    repos.ledger.release(slot_id, held, Status.CANCELLED, NOW)
    ledger = repos.ledger.read(slot_id)
    assert ledger.claim(held.claim_id).state is Status.CANCELLED
    tombstone = ledger.claim(held.claim_id)
    assert repos.ledger.settle(slot_id, tombstone)
    assert repos.ledger.read(slot_id).claim(held.claim_id) is None


def test_due_slots_are_found_until_their_due_time_is_reset(repos):
    slot_id, held = new_slot(1), claim("ann", until=LATER)
    repos.ledger.take(stored(slot_id), held, NOW)
    assert repos.ledger.slots_due(NOW, 10) == []
    assert [str(s) for s in repos.ledger.slots_due(LATER, 10)] == [slot_id]
    ledger = repos.ledger.read(slot_id)
    assert repos.ledger.reset_due(slot_id, None, ledger.rev)
    assert repos.ledger.slots_due(LATER, 10) == []


def test_resetting_the_due_time_is_refused_after_a_concurrent_change(repos):
    slot_id = new_slot(3)
    repos.ledger.take(stored(slot_id), claim("ann"), NOW)
    seen = repos.ledger.read(slot_id).rev
    repos.ledger.take(stored(slot_id), claim("bob"), NOW)
    assert not repos.ledger.reset_due(slot_id, None, seen)


def test_a_hall_of_ten_thousand_seats_books_every_seat_and_no_more(repos):
    slot_id = new_slot(10000)
    big = claim("crowd", seats=9990, state=Status.BOOKED, until=None)
    assert repos.ledger.take(stored(slot_id), big, NOW) is not None
    taken = sum(
        repos.ledger.take(stored(slot_id), claim(f"user-{i}"), NOW) is not None for i in range(12)
    )
    assert taken == 10
    slot = stored(slot_id)
    assert (slot.booked_seats + slot.held_seats, slot.status) == (10000, "LOCKED")


def test_a_settled_booking_is_released_exactly_once_through_its_holder_pointer(repos):
    slot_id, booked = new_slot(2), claim("ann", seats=2, state=Status.BOOKED, until=None)
    repos.ledger.take(stored(slot_id), booked, NOW)
    assert repos.ledger.settle(slot_id, booked)
    assert stored(slot_id).claims == {} and stored(slot_id).booked_seats == 2
    assert repos.ledger.release(slot_id, booked, Status.CANCELLED, NOW)
    assert not repos.ledger.release(slot_id, booked, Status.CANCELLED, NOW)
    slot = stored(slot_id)
    assert (slot.booked_seats, slot.status) == (0, "AVAILABLE")


def test_settled_bookings_leave_the_ledger_as_small_as_the_work_in_flight(repos):
    slot_id = new_slot(10000)
    for i in range(200):
        booked = claim(f"user-{i}", state=Status.BOOKED, until=None)
        repos.ledger.take(stored(slot_id), booked, NOW)
        repos.ledger.settle(slot_id, booked)
    repos.ledger.take(stored(slot_id), claim("holder"), NOW)
    slot = stored(slot_id)
    assert (slot.booked_seats, slot.held_seats, len(slot.claims)) == (200, 1, 1)


def test_settling_the_last_claim_takes_the_slot_off_the_sweeps_list(repos):
    slot_id = new_slot(3)
    booked = claim("ann", state=Status.BOOKED, check_at=LATER, until=None)
    hold = claim("bob")
    repos.ledger.take(stored(slot_id), booked, NOW)
    repos.ledger.take(stored(slot_id), hold, NOW)
    assert repos.ledger.settle(slot_id, booked)
    assert stored(slot_id).due == LATER  # the hold is still to be checked
    assert repos.ledger.slots_due(LATER, 10) == [ObjectId(slot_id)]
    assert repos.ledger.release(slot_id, hold, Status.EXPIRED, LATER)
    assert repos.ledger.settle(slot_id, replace(hold, state=Status.EXPIRED))
    slot = stored(slot_id)
    assert (slot.claims, slot.due, slot.held_seats, slot.booked_seats) == ({}, None, 0, 1)
    assert "due" not in Slot._get_collection().find_one({"_id": ObjectId(slot_id)})
    assert repos.ledger.slots_due(LATER + timedelta(days=9), 10) == []
