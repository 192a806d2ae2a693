"""The contract's invariants, checked from the database after any sequence of requests."""

from datetime import datetime

from slotkeeper.domain.ledger import claim_key, holder_key
from slotkeeper.domain.policy import Policy
from slotkeeper.domain.rules import slot_status
from slotkeeper.models import Appointment, Calendar, Service, Slot, Tally, WaitlistEntry

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


def assert_waitlist_invariants(slot_id, as_of: datetime | None = None) -> None:
    """The slot's waiting list and its entries agree, and no seat a waiting entry could have
    is left to anyone else: waitingSeats is the sum of the seats of its WAITING entries, in
    join order on the slot; no seats are left reserved without an offer; nobody waiting
    holds seats there; and while the slot has not started the first in line does not fit
    in the free seats (else it would have been offered them, strictly in order)."""
    slot = Slot.objects.get(id=slot_id)
    line = slot.waiting or []
    assert not [w for w in line if w.get("reserved")], "seats reserved without an offer"
    assert slot.waiting_seats == sum(w["seats"] for w in line), "waitingSeats"
    waiting = WaitlistEntry.objects(slot_id=slot.id, status="WAITING")
    assert {w["entry"] for w in line} == {str(e.id) for e in waiting}, "entries and the line"
    assert not WaitlistEntry.objects(slot_id=slot.id, leaving=True), "a leave left unfinished"
    holders = {holder for holder, key in slot.holders.items() if key}
    assert not holders & {w["holder"] for w in line}, "someone waiting holds seats"
    started = as_of is not None and slot.start_time.replace(tzinfo=as_of.tzinfo) <= as_of
    if line and not started:
        free = slot.capacity - slot.booked_seats - slot.held_seats
        assert line[0]["seats"] > free, "the first in line fits in the free seats"
    if line and not started:  # an archived service's slots make no offers: nobody waits
        assert Service.objects.get(id=slot.service_id).active, "waiting for an archived service"
    for offer in Appointment.objects(slot_id=slot.id, entry_id__ne=None):
        entry = WaitlistEntry.objects(id=offer.entry_id).first()
        assert entry is not None, "an offer without its entry"
        assert entry.appointment_id == offer.id and entry.offered_at is not None, "offer"
        assert entry.status != "WAITING", "an offered entry still WAITING"


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
    """No user has more live appointments and places in waiting lines on a service's slots
    that have not started than its maxActivePerUser, and each of them is marked on the user's
    tally (a place under the id its offer will have)."""
    for service in Service.objects:
        limit = Policy.stored(service.policy).max_active_per_user
        if limit is None:
            continue
        slots = list(Slot.objects(service_id=service.id))
        starts = {s.id: s.start_time for s in slots}
        by_user: dict = {}
        for a in Appointment.objects(service_id=service.id, status__in=LIVE):
            if as_of is not None and (
                starts[a.slot_id] <= as_of or (a.status == "PENDING" and a.expires_at <= as_of)
            ):
                continue  # over as the API shows it
            by_user.setdefault(a.user_id, []).append(str(a.id))
        for slot in slots:
            if as_of is not None and slot.start_time <= as_of:
                continue
            for w in slot.waiting or []:
                by_user.setdefault(w["user"], []).append(w["appointment"])
        for user, ids in by_user.items():
            assert len(ids) <= limit, f"{user} has {len(ids)} live appointments, limit {limit}"
            tally = Tally.objects(id=f"{service.id}:{holder_key(user)}").first()
            marked = {m["appointment"] for m in (tally.marks if tally else [])}
            assert set(ids) <= marked, f"unmarked live appointments of {user}"


def assert_all_invariants(as_of: datetime | None = None) -> None:
    for slot in Slot.objects.only("id"):
        assert_slot_invariants(slot.id, as_of)
        assert_waitlist_invariants(slot.id, as_of)
    assert_calendar_invariants()
    assert_policy_invariants(as_of)
