from datetime import UTC, datetime, timedelta

import pytest

from slotkeeper.domain.errors import DuplicateBooking, InvalidTransition, SlotUnavailable
from slotkeeper.domain.ledger import Claim, Ledger, claim_key, holder_key
from slotkeeper.domain.rules import free_seats, slot_status
from slotkeeper.domain.status import Status, can_transition, check_transition

NOON = datetime(2030, 5, 1, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    "capacity, booked, held, status",
    [
        (1, 0, 0, "AVAILABLE"),
        (1, 0, 1, "LOCKED"),
        (1, 1, 0, "BOOKED"),
        (80, 0, 79, "AVAILABLE"),
        (80, 40, 40, "LOCKED"),
        (80, 79, 1, "LOCKED"),
        (80, 80, 0, "BOOKED"),
    ],
)
def test_slot_status_follows_the_seat_counts(capacity, booked, held, status):
    assert slot_status(capacity, booked, held).value == status


def test_free_seats_are_capacity_minus_booked_and_held():
    assert free_seats(10, 3, 4) == 3


@pytest.mark.parametrize(
    "current, target",
    [
        (Status.PENDING, Status.BOOKED),
        (Status.PENDING, Status.CANCELLED),
        (Status.PENDING, Status.EXPIRED),
        (Status.BOOKED, Status.CANCELLED),
    ],
)
def test_the_lifecycle_allows_its_transitions(current, target):
    assert can_transition(current, target)
    check_transition(current, target)


@pytest.mark.parametrize("current", [Status.CANCELLED, Status.EXPIRED])
def test_nothing_leaves_cancelled_or_expired(current):
    for target in Status:
        with pytest.raises(InvalidTransition):
            check_transition(current, target)


def test_a_booking_cannot_go_back_to_pending_or_expire():
    assert not can_transition(Status.BOOKED, Status.PENDING)
    assert not can_transition(Status.BOOKED, Status.EXPIRED)


def hold(claim_id, holder="u", seats=1, until=NOON, check_at=None):
    return Claim(
        claim_id, "appt-" + claim_id, holder, seats, Status.PENDING, until, check_at or until
    )


def booked(claim_id, holder="u", seats=1, check_at=None):
    return Claim(claim_id, "appt-" + claim_id, holder, seats, Status.BOOKED, check_at=check_at)


def test_holder_and_claim_keys_are_safe_field_names_for_any_user_id():
    for user in ["a.b", "$where", "ü", "x" * 200, ""]:
        key = holder_key(user)
        assert key.startswith("u") and key[1:].isalnum() and "." not in key and "$" not in key
    assert holder_key("ann") != holder_key("Ann")
    assert claim_key("6650f0c2a1b2c3d4e5f60718") == "c6650f0c2a1b2c3d4e5f60718"


def test_a_hold_is_stale_once_its_deadline_has_passed():
    claim = hold("1", until=NOON)
    assert not claim.is_stale(NOON - timedelta(seconds=1))
    assert claim.is_stale(NOON)
    assert not booked("2").is_stale(NOON + timedelta(days=1))


def test_a_release_ends_a_stale_hold_as_expired_and_anything_else_as_cancelled():
    assert hold("1", until=NOON).ending(NOON) is Status.EXPIRED
    assert hold("1", until=NOON).ending(NOON - timedelta(seconds=1)) is Status.CANCELLED
    assert booked("2").ending(NOON) is Status.CANCELLED


def test_the_ledger_lists_stale_holds_and_due_claims():
    ledger = Ledger(
        "s",
        5,
        1,
        2,
        {
            "1": hold("1", until=NOON - timedelta(minutes=1)),
            "2": hold("2", until=NOON + timedelta(minutes=1)),
            "3": booked("3", "v", check_at=NOON - timedelta(seconds=5)),
            "4": Claim("4", "appt-4", "w", 1, Status.CANCELLED, check_at=None),
        },
    )
    assert [c.claim_id for c in ledger.stale_holds(NOON)] == ["1"]
    assert sorted(c.claim_id for c in ledger.due(NOON)) == ["1", "3"]
    assert ledger.next_check(NOON) == NOON - timedelta(minutes=1)
    assert ledger.free == 2


def test_a_refusal_names_a_duplicate_before_a_full_slot():
    ledger = Ledger("s", 1, 0, 1, {"1": hold("1", holder="ann")}, holders={"ann": "c1"})
    assert isinstance(ledger.refusal("ann", 1), DuplicateBooking)
    assert isinstance(ledger.refusal("bob", 1), SlotUnavailable)


def test_a_settled_booking_is_known_by_its_holder_pointer_alone():
    ledger = Ledger("s", 2, 1, 0, {}, holders={"ann": "c1"})
    settled = ledger.live_claim("1", "ann", "appt-1", seats=1)
    assert (settled.state, settled.seats, settled.appointment_id) == (Status.BOOKED, 1, "appt-1")
    assert ledger.live_claim("2", "ann", "appt-2", seats=1) is None  # another attempt's claim
    assert ledger.holder_claim("ann") == "1" and ledger.holder_claim("bob") is None


def test_a_released_claim_is_not_live_and_does_not_make_its_user_a_duplicate():
    ledger = Ledger("s", 1, 0, 0, {"1": Claim("1", "appt-1", "ann", 1, Status.CANCELLED)})
    assert ledger.live_claim("1", "ann", "appt-1", 1) is None
    assert isinstance(ledger.refusal("ann", 1), SlotUnavailable)
