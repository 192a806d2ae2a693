"""The contract's invariants, checked from the database after any sequence of requests."""

from datetime import datetime

from slotkeeper.domain.ledger import claim_key, holder_key
from slotkeeper.domain.policy import Policy
from slotkeeper.domain.rules import slot_status
from slotkeeper.models import Appointment, Calendar, Service, Slot, Tally

LIVE = ("PENDING", "BOOKED")
USED = ("ATTENDED", "NO_SHOW")  # terminal, but their seats stay booked


def _counted(appointment, slot, as_of: datetime | None) -> bool:
    """Whether a live appointment's seats must be counted on its slot. With `as_of`, a hold
    past its deadline whose claim is gone counts as expired, as the API shows it."""
    if appointment.status in USED:
        return True
    if appointment.status not in LIVE:
        return False
    if as_of is None or appointment.status == "BOOKED" or appointment.expires_at > as_of:
        return True
    key = claim_key(appointment.claim_id)
    return key in slot.claims or slot.holders.get(holder_key(appointment.user_id)) == key


def assert_slot_invariants(slot_id, as_of: datetime | None = None) -> None:
    slot = Slot.objects.get(id=slot_id)
    live = [a for a in Appointment.objects(slot_id=slot.id) if _counted(a, slot, as_of)]
    booked = sum(a.seats for a in live if a.status in ("BOOKED", *USED))
    held = sum(a.seats for a in live if a.status == "PENDING")
    assert 0 <= slot.booked_seats + slot.held_seats <= slot.capacity, "overbooked"
    assert (slot.booked_seats, slot.held_seats) == (booked, held), "counts disagree"
    assert slot.status == slot_status(slot.capacity, slot.booked_seats, slot.held_seats).value
    # the ledger: every live appointment's claim, and nothing else, has its user's holder pointer
    pointers = {holder: key for holder, key in slot.holders.items() if key}
    assert pointers == {holder_key(a.user_id): claim_key(a.claim_id) for a in live}, "pointers"
    for key, claim in slot.claims.items():
        if claim["state"] in LIVE:  # a claim in flight says what its appointment is
            assert any(claim_key(a.claim_id) == key and a.status == claim["state"] for a in live), (
                "a live claim no appointment names"
            )
        if claim["state"] in USED:  # a used claim is its appointment's, in that status
            assert any(claim_key(a.claim_id) == key and a.status == claim["state"] for a in live), (
                "a used claim no appointment names"
            )


def assert_calendar_invariants() -> None:
    """No two slots of a service overlap, and every slot's span is on its service's calendar
    (a span without a slot, left by a crash, is allowed: it is dropped when in the way)."""
    by_service: dict = {}
    for slot in Slot.objects.only("service_id", "start_time", "end_time"):
        by_service.setdefault(slot.service_id, []).append(slot)
    for service_id, slots in by_service.items():
        slots.sort(key=lambda s: s.start_time)
        for one, next_ in zip(slots, slots[1:], strict=False):
            assert one.end_time <= next_.start_time, f"slots overlap: {one.id} {next_.id}"
        calendar = Calendar.objects(id=service_id).first()
        spans = {(s["slot"], s["start"], s["end"]) for s in (calendar.spans if calendar else [])}
        ended = calendar.ended if calendar else None  # spans ended before it were dropped
        for slot in slots:
            if ended is not None and slot.end_time < ended:
                continue
            assert (slot.id, slot.start_time, slot.end_time) in spans, f"no span: {slot.id}"


def assert_policy_invariants(as_of: datetime | None = None) -> None:
    """No user has more live appointments on a service's slots that have not started than its
    maxActivePerUser, and each of them is marked on the user's tally."""
    for service in Service.objects:
        limit = Policy.stored(service.policy).max_active_per_user
        if limit is None:
            continue
        starts = {s.id: s.start_time for s in Slot.objects(service_id=service.id)}
        by_user: dict = {}
        for a in Appointment.objects(service_id=service.id, status__in=LIVE):
            if as_of is not None and (
                starts[a.slot_id] <= as_of or (a.status == "PENDING" and a.expires_at <= as_of)
            ):
                continue  # over as the API shows it
            by_user.setdefault(a.user_id, []).append(str(a.id))
        for user, ids in by_user.items():
            assert len(ids) <= limit, f"{user} has {len(ids)} live appointments, limit {limit}"
            tally = Tally.objects(id=f"{service.id}:{holder_key(user)}").first()
            marked = {m["appointment"] for m in (tally.marks if tally else [])}
            assert set(ids) <= marked, f"unmarked live appointments of {user}"


def assert_all_invariants(as_of: datetime | None = None) -> None:
    for slot in Slot.objects.only("id"):
        assert_slot_invariants(slot.id, as_of)
    assert_calendar_invariants()
    assert_policy_invariants(as_of)
