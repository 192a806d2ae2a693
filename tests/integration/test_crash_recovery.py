"""A process may die between any two database writes: the sweep must restore the invariants.

Each use case runs against the real repositories wrapped so that the n-th write raises
instead of happening, for every n the use case has; then one sweep runs and the contract's
invariants must hold, with no seat leaked and nothing done twice by a second sweep.
"""

import zlib
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

import pytest

from slotkeeper.api.appointments.schemas import AppointmentSchema
from slotkeeper.domain.actor import TRUSTED
from slotkeeper.domain.errors import (
    DomainError,
    HasActiveAppointments,
    ServiceClosed,
    ServiceInactive,
    TooEarly,
)
from slotkeeper.domain.events import EVENT_OF_STATUS
from slotkeeper.domain.opening_hours import Hours, Schedule, windows
from slotkeeper.domain.status import Status, can_transition
from slotkeeper.models import Appointment, Calendar, Delivery, Slot, Webhook
from slotkeeper.outbound.network import Destinations
from slotkeeper.repositories.calendar_repository import Span
from slotkeeper.service_layer import (
    booking,
    catalog,
    checkin,
    lifecycle,
    opening_hours,
    reschedule,
    spans,
    waitlist,
)
from slotkeeper.service_layer.booking import BookingRequest
from slotkeeper.service_layer.deliveries import RetryPolicy, hand_over_events, send_due
from slotkeeper.service_layer.expiry import sweep
from slotkeeper.service_layer.webhooks import subscribe
from tests.conftest import FakeClock, on_a_server
from tests.invariants import assert_all_invariants

TTL = timedelta(minutes=2)
WRITES = {
    "ledger": {
        "take",
        "confirm",
        "release",
        "settle",
        "reset_due",
        "mark_used",
        "unmark_used",
        "join",
        "leave",
        "offer",
    },
    "appointments": {"add", "transition", "move", "left", "handed_over"},
    "idempotency": {"add", "renew", "forget"},
    "services": {"begin_closing", "finish_closing", "stop_closing", "reopen"},
    "webhooks": {"add", "update", "remove"},
    "deliveries": {"add", "take_due", "finish", "again", "drop_pending", "drop"},
    "slots": {"add", "add_many", "delete_if_idle"},
    "calendars": {
        "reserve",
        "reserve_all",
        "free",
        "close",
        "reopen",
        "set_schedule",
        "forget_ended",
        "take_back",
        "settle_span",
        "settle_closure",
        "reset_due",
    },
    "tallies": {"mark", "create", "unmark", "move_mark"},
    "waitlist": {"add", "offered", "leave", "left", "settle"},
}


class Crash(Exception):
    """The process died here."""


class CrashAfter:
    """Forwards to a repository, but the write after the first `allowed` ones raises Crash."""

    def __init__(self, target, writes: set[str], budget: dict):
        self._target, self._writes, self._budget = target, writes, budget

    def __getattr__(self, name):
        attribute = getattr(self._target, name)
        if name not in self._writes:
            return attribute

        def write(*args, **kwargs):
            if self._budget["left"] == 0:
                raise Crash(name)
            self._budget["left"] -= 1
            self._budget["done"] += 1
            return attribute(*args, **kwargs)

        return write


def crashing(repos, allowed: int):
    budget = {"left": allowed, "done": 0}
    wrapped = {
        name: CrashAfter(getattr(repos, name), writes, budget) for name, writes in WRITES.items()
    }
    return replace(repos, **wrapped), budget


def _hold(repos, now, slot, user="u1", seats=1):
    return booking.hold_seats(
        repos, BookingRequest(slot["id"], user, seats), now, TTL, actor=TRUSTED
    )


def _book(repos, now, slot, user="u1", seats=1):
    return booking.book_seats(repos, BookingRequest(slot["id"], user, seats), now, actor=TRUSTED)


def scenario_hold(repos, api, now):
    slot = api.slot(capacity=3)
    return lambda r: _hold(r, now, slot, seats=2)


def scenario_book(repos, api, now):
    slot = api.slot(capacity=3)
    return lambda r: _book(r, now, slot, seats=2)


def scenario_book_with_key(repos, api, now):
    slot = api.slot(capacity=3)
    request = BookingRequest(slot["id"], "u1", 1)
    return lambda r: booking.book_seats(r, request, now, actor=TRUSTED, idempotency_key="key-1")


def scenario_confirm(repos, api, now):
    held = _hold(repos, now, api.slot(capacity=2), seats=2)
    return lambda r: lifecycle.confirm_appointment(r, str(held.id), now, actor=TRUSTED)


def scenario_cancel_booking(repos, api, now):
    booked = _book(repos, now, api.slot(capacity=2))
    return lambda r: lifecycle.cancel_appointment(r, str(booked.id), now, actor=TRUSTED)


def scenario_cancel_hold(repos, api, now):
    held = _hold(repos, now, api.slot(capacity=2))
    return lambda r: lifecycle.cancel_appointment(r, str(held.id), now, actor=TRUSTED)


def _reschedule(repos, api, now, take):
    service = api.service()
    old, new = api.slot(service["id"]), api.slot(service["id"], start=now + timedelta(days=2))
    appointment = take(repos, now, old, seats=1)
    return lambda r: reschedule.reschedule_appointment(
        r, str(appointment.id), new["id"], now, actor=TRUSTED
    )


def scenario_reschedule_booking(repos, api, now):
    return _reschedule(repos, api, now, _book)


def scenario_reschedule_hold(repos, api, now):
    return _reschedule(repos, api, now, _hold)


def scenario_reschedule_back(repos, api, now):
    """Back to the slot it came from: the old claim there must not be taken for the new one."""
    service = api.service()
    first, second = api.slot(service["id"]), api.slot(service["id"], start=now + timedelta(days=2))
    appointment = _book(repos, now, first, seats=1)
    reschedule.reschedule_appointment(repos, str(appointment.id), second["id"], now, actor=TRUSTED)
    return lambda r: reschedule.reschedule_appointment(
        r, str(appointment.id), first["id"], now, actor=TRUSTED
    )


def scenario_archive_refused(repos, api, now):
    service = api.service()
    _book(repos, now, api.slot(service["id"]))
    return lambda r: catalog.archive_service(r, service["id"], now)


def scenario_archive(repos, api, now):
    service = api.service()
    api.slot(service["id"])
    return lambda r: catalog.archive_service(r, service["id"], now)


def scenario_expiry(repos, api, now):
    slot = api.slot(capacity=2)
    _hold(repos, now, slot, "u1")
    _hold(repos, now, slot, "u2")
    return lambda r: sweep(r, now + TTL + timedelta(seconds=1))


def scenario_create_slot(repos, api, now):
    service = api.service()
    fields = {
        "service_id": service["id"],
        "start_time": now + timedelta(days=3),
        "end_time": now + timedelta(days=3, minutes=30),
    }
    return lambda r: catalog.create_slot(r, fields, now)


def scenario_generate(repos, api, now):
    service = api.service()
    day = (now + timedelta(days=6)).date()
    plan = {
        "from_date": day,
        "to_date": day,
        "day_start": time(9),
        "day_end": time(10),
        "duration": timedelta(minutes=30),
        "gap": timedelta(0),
        "weekdays": frozenset(range(1, 8)),
    }
    return lambda r: catalog.generate_slots(r, service["id"], plan, 1, now)


def _hours(weekdays, capacity: int = 1) -> Schedule:
    weekly = {day: (Hours(time(9), time(11)),) for day in weekdays}
    return Schedule(weekly=weekly, slot=timedelta(hours=1), capacity=capacity, horizon_days=7)


def _scheduled(repos, api, now):
    """A service whose schedule laid two slots a day on weekdays, one of them booked."""
    service = api.service()
    opening_hours.set_schedule(repos, service["id"], _hours(range(1, 6)), now)
    first = api.client.get("/api/v1/slots", query_string={"serviceId": service["id"]}).json[0]
    _book(repos, now, first)
    return service


def scenario_write_schedule(repos, api, now):  # removes the idle laid slots, lays new ones
    service = _scheduled(repos, api, now)
    return lambda r: opening_hours.set_schedule(r, service["id"], _hours({6, 7}, 2), now)


def scenario_close(repos, api, now):  # removes the idle slots inside it, keeps the booked one
    service = _scheduled(repos, api, now)
    closure = {"start": now, "end": now + timedelta(days=3)}
    return lambda r: opening_hours.add_closure(r, service["id"], closure, now)


def scenario_reopen(repos, api, now):  # lays the slots of the closed days again
    service = _scheduled(repos, api, now)
    closure = {"start": now, "end": now + timedelta(days=3)}
    closed = opening_hours.add_closure(repos, service["id"], closure, now)
    return lambda r: opening_hours.remove_closure(r, service["id"], closed.closure.id, now)


class Meanwhile:
    """Forwards to a repository, but right after the first call of `method` whose result
    `lets(args, result)` approves, runs `meanwhile` (another process's steps) once."""

    def __init__(self, target, method: str, lets, meanwhile):
        self._target, self._method, self._lets, self._meanwhile = target, method, lets, meanwhile
        self._done = False

    def __getattr__(self, name):
        attribute = getattr(self._target, name)
        if name != self._method:
            return attribute

        def call(*args, **kwargs):
            result = attribute(*args, **kwargs)
            if not self._done and self._lets(args, result):
                self._done = True
                self._meanwhile()
            return result

        return call


def _laying_meanwhile(repos, api, now, booked=False):
    """A schedule write (weekends from weekdays) while a horizon job lays the old schedule's
    next Wednesday: the job reserved its span and inserts the slot (then looks at the
    calendar: its span is still there; with `booked`, someone books it at once) right after
    the write's tidy looked for that slot and found none."""
    service = _scheduled(repos, api, now)
    start = datetime.combine(now.date() + timedelta(days=8), time(9), UTC)
    span = Span(start, start + timedelta(hours=1), repos.slots.new_id(), laid=True)
    assert repos.calendars.reserve(service["id"], span, now)

    def lay():
        row = {"id": span.slot_id, "start_time": span.start, "end_time": span.end, "laid": True}
        slot = repos.slots.add({**row, "service_id": service["id"], "capacity": 1})
        assert spans.keep_standing(repos, service["id"], [slot], now) == [slot]
        if booked:
            _book(repos, now, {"id": str(slot.id)}, user="early")

    def looked_and_missed(args, found) -> bool:
        return span.slot_id in args[0] and span.slot_id not in found

    def write(r):
        slots = Meanwhile(r.slots, "capacities", looked_and_missed, lay)
        return opening_hours.set_schedule(
            replace(r, slots=slots), service["id"], _hours({6, 7}), now
        )

    return write


def scenario_write_schedule_while_a_slot_is_laid(repos, api, now):
    return _laying_meanwhile(repos, api, now)


def scenario_write_schedule_while_a_slot_is_laid_and_booked(repos, api, now):
    return _laying_meanwhile(repos, api, now, booked=True)


def _dead_after(repos, operation, write: str) -> None:
    """`operation` run by a process that dies right after its first calendar `write`."""

    def die():
        raise Crash(write)

    with pytest.raises(Crash):
        operation(replace(repos, calendars=Meanwhile(repos.calendars, write, _always, die)))


def _always(args, result) -> bool:
    return True


def scenario_sweep_finishing_a_taking_back(repos, api, now):
    """The schedule write died right after marking the span it takes back."""
    _dead_after(repos, _laying_meanwhile(repos, api, now), "take_back")
    return lambda r: sweep(r, now + timedelta(minutes=10))


def scenario_sweep_finishing_a_closure(repos, api, now):
    """The closure's writer died right after recording it."""
    _dead_after(repos, scenario_close_over_slots_made_by_hand(repos, api, now), "close")
    return lambda r: sweep(r, now + timedelta(minutes=10))


def scenario_close_over_slots_made_by_hand(repos, api, now):
    """No schedule: the idle slot made by hand inside the closure goes, the booked one stays."""
    service = api.service()
    api.slot(service["id"], start=now + timedelta(days=1))
    _book(repos, now, api.slot(service["id"], start=now + timedelta(days=2)))
    closure = {"start": now, "end": now + timedelta(days=3)}
    return lambda r: opening_hours.add_closure(r, service["id"], closure, now)


def scenario_create_slot_while_closing(repos, api, now):
    """The closure is written between the creation's reservation and its insert: it finds the
    span, but not yet the slot; the creation's last look finds the closure."""
    service = api.service()
    start = now + timedelta(days=3)
    fields = {"service_id": service["id"], "start_time": start, "end_time": start + TTL}
    closure = {"start": now, "end": now + timedelta(days=4)}

    def close():
        opening_hours.add_closure(repos, service["id"], closure, now)

    def create(r):
        calendars = Meanwhile(r.calendars, "reserve", lambda args, reserved: reserved, close)
        return catalog.create_slot(replace(r, calendars=calendars), fields, now)

    return create


def scenario_delete_slot(repos, api, now):
    slot = api.slot()
    return lambda r: catalog.delete_slot(r, slot["id"], now)


def _limited(repos, api, now):
    service = catalog.create_service(
        repos, {"name": "Dr. Limit", "policy": {"max_active_per_user": 1}}, now
    )
    return [api.slot(str(service.id), start=now + timedelta(days=d)) for d in (1, 2)]


def scenario_book_limited(repos, api, now):
    slots = _limited(repos, api, now)
    return lambda r: _book(r, now, slots[0])


def scenario_cancel_limited(repos, api, now):
    slots = _limited(repos, api, now)
    booked = _book(repos, now, slots[0])
    return lambda r: lifecycle.cancel_appointment(r, str(booked.id), now, actor=TRUSTED)


def scenario_reschedule_limited(repos, api, now):
    slots = _limited(repos, api, now)
    booked = _book(repos, now, slots[0])
    return lambda r: reschedule.reschedule_appointment(
        r, str(booked.id), slots[1]["id"], now, actor=TRUSTED
    )


def scenario_attend(repos, api, now):
    booked = _book(repos, now, api.slot(start=now + timedelta(minutes=30), capacity=2))
    return lambda r: checkin.attend(r, str(booked.id), now, actor=TRUSTED)


def scenario_no_show(repos, api, now):
    booked = _book(repos, now, api.slot(start=now + timedelta(minutes=1), capacity=2))
    later = now + timedelta(minutes=2)  # the sweep runs 10 minutes after `now`
    return lambda r: checkin.mark_no_show(r, str(booked.id), later, actor=TRUSTED)


def scenario_attend_after_a_move(repos, api, now):
    """The appointment moves between the check-in's slot write and its appointment write."""
    service = api.service()
    old = api.slot(service["id"], start=now + timedelta(minutes=30))
    new = api.slot(service["id"], start=now + timedelta(days=2))
    booked = _book(repos, now, old)

    def attend_while_moving(r):
        class MovingFirst:
            def __init__(self, target):
                self._target = target

            def __getattr__(self, name):
                if name != "transition":
                    return getattr(self._target, name)

                def transition(*args, **kwargs):
                    reschedule.reschedule_appointment(
                        repos, str(booked.id), new["id"], now, actor=TRUSTED
                    )
                    return self._target.transition(*args, **kwargs)

                return transition

        try:
            return checkin.attend(
                replace(r, appointments=MovingFirst(r.appointments)),
                str(booked.id),
                now,
                actor=TRUSTED,
            )
        except TooEarly as refused:  # moved first, the new slot is a day ahead: as in sequence
            return refused

    return attend_while_moving


def _waiting(repos, now, slot, *users, seats=1):
    return [
        waitlist.join_waitlist(
            repos, waitlist.JoinRequest(slot["id"], user, seats), now, TTL, actor=TRUSTED
        )
        for user in users
    ]


def scenario_join(repos, api, now):
    slot = api.slot(capacity=1)
    _book(repos, now, slot)
    return lambda r: _waiting(r, now, slot, "w1")


def scenario_offer_on_cancel(repos, api, now):
    """A cancellation offers its two seats to two entries; a third waits on."""
    slot = api.slot(capacity=2)
    booked = _book(repos, now, slot, seats=2)
    _waiting(repos, now, slot, "w1", "w2", "w3")
    return lambda r: lifecycle.cancel_appointment(r, str(booked.id), now, actor=TRUSTED)


def scenario_offer_on_expiry(repos, api, now):
    slot = api.slot(capacity=1)
    _hold(repos, now, slot)
    _waiting(repos, now, slot, "w1", "w2")
    return lambda r: sweep(r, now + TTL + timedelta(seconds=1))


def scenario_offer_on_reschedule_away(repos, api, now):
    service = api.service()
    old, new = api.slot(service["id"]), api.slot(service["id"], start=now + timedelta(days=2))
    booked = _book(repos, now, old)
    _waiting(repos, now, old, "w1")
    return lambda r: reschedule.reschedule_appointment(
        r, str(booked.id), new["id"], now, actor=TRUSTED
    )


def scenario_offer_expiry(repos, api, now):
    """An offer runs out: its seats pass to the next in line."""
    slot = api.slot(capacity=1)
    booked = _book(repos, now, slot)
    _waiting(repos, now, slot, "w1", "w2")
    lifecycle.cancel_appointment(repos, str(booked.id), now, actor=TRUSTED)
    return lambda r: sweep(r, now + TTL + timedelta(seconds=1))


def scenario_confirm_offer(repos, api, now):
    slot = api.slot(capacity=1)
    booked = _book(repos, now, slot)
    (entry,) = _waiting(repos, now, slot, "w1")
    lifecycle.cancel_appointment(repos, str(booked.id), now, actor=TRUSTED)
    return lambda r: lifecycle.confirm_appointment(
        r, str(entry.entry.appointment_id), now, actor=TRUSTED
    )


def scenario_leave_waiting(repos, api, now):
    """The first in line leaves: the seat it held up goes to the one behind."""
    slot = api.slot(capacity=2)
    first = _book(repos, now, slot)
    _book(repos, now, slot, user="u2")
    big, _ = _waiting(repos, now, slot, "big", seats=2) + _waiting(repos, now, slot, "small")
    lifecycle.cancel_appointment(repos, str(first.id), now, actor=TRUSTED)
    return lambda r: waitlist.leave_waitlist(r, str(big.id), now, actor=TRUSTED)


def scenario_leave_offered(repos, api, now):
    slot = api.slot(capacity=1)
    booked = _book(repos, now, slot)
    first, _ = _waiting(repos, now, slot, "w1", "w2")
    lifecycle.cancel_appointment(repos, str(booked.id), now, actor=TRUSTED)
    return lambda r: waitlist.leave_waitlist(r, str(first.id), now, actor=TRUSTED)


def _limited_full(repos, api, now):
    """A slot of a service allowing one live appointment per user, booked full by "b1"."""
    slot = _limited(repos, api, now)[0]
    return slot, _book(repos, now, slot, user="b1")


def scenario_join_limited(repos, api, now):
    slot, _ = _limited_full(repos, api, now)
    return lambda r: _waiting(r, now, slot, "w1")


def scenario_leave_waiting_limited(repos, api, now):
    slot, _ = _limited_full(repos, api, now)
    (entry,) = _waiting(repos, now, slot, "w1")
    return lambda r: waitlist.leave_waitlist(r, str(entry.id), now, actor=TRUSTED)


def scenario_leave_offered_limited(repos, api, now):
    slot, booked = _limited_full(repos, api, now)
    (entry,) = _waiting(repos, now, slot, "w1")
    lifecycle.cancel_appointment(repos, str(booked.id), now, actor=TRUSTED)
    return lambda r: waitlist.leave_waitlist(r, str(entry.id), now, actor=TRUSTED)


def _offered(repos, api, now, confirmed: bool):
    """An offer on a full slot (a second entry waits behind it), and another slot."""
    service = api.service()
    slot = api.slot(service["id"])
    other = api.slot(service["id"], start=now + timedelta(days=2))
    booked = _book(repos, now, slot)
    first, _ = _waiting(repos, now, slot, "w1", "w2")
    lifecycle.cancel_appointment(repos, str(booked.id), now, actor=TRUSTED)
    offer_id = str(first.entry.appointment_id)
    if confirmed:
        lifecycle.confirm_appointment(repos, offer_id, now, actor=TRUSTED)
    return offer_id, other


def scenario_reschedule_offer(repos, api, now):
    """The offer moves away: its entry leaves the line, its seat goes to the next in line."""
    offer_id, other = _offered(repos, api, now, confirmed=False)
    return lambda r: reschedule.reschedule_appointment(r, offer_id, other["id"], now, actor=TRUSTED)


def scenario_reschedule_accepted_offer(repos, api, now):
    offer_id, other = _offered(repos, api, now, confirmed=True)
    return lambda r: reschedule.reschedule_appointment(r, offer_id, other["id"], now, actor=TRUSTED)


def _used_full(repos, api, now):
    """A service with a slot full of seats already used (attended): it may be archived."""
    service = api.service()
    slot = api.slot(service["id"], start=now + timedelta(minutes=30))
    booked = _book(repos, now, slot, user="b1")
    checkin.attend(repos, str(booked.id), now, actor=TRUSTED)
    return service, slot


def scenario_archive_refused_by_the_line(repos, api, now):
    service, slot = _used_full(repos, api, now)
    _waiting(repos, now, slot, "w1")
    return lambda r: catalog.archive_service(r, service["id"], now)


def scenario_join_while_archived(repos, api, now):
    """The service is archived after the join found it active, before it joins the line:
    the archive did not see the entry, so the join must leave again."""
    service, slot = _used_full(repos, api, now)

    def join_as_archived(r):
        class ArchivedFirst:
            def __init__(self, target):
                self._target = target

            def __getattr__(self, name):
                if name != "join":
                    return getattr(self._target, name)

                def join(*args, **kwargs):
                    catalog.archive_service(repos, service["id"], now)
                    return self._target.join(*args, **kwargs)

                return join

        try:
            return _waiting(replace(r, ledger=ArchivedFirst(r.ledger)), now, slot, "w1")
        except ServiceInactive as refused:
            return refused

    return join_as_archived


SCENARIOS = [
    scenario_join_limited,
    scenario_leave_waiting_limited,
    scenario_leave_offered_limited,
    scenario_reschedule_offer,
    scenario_reschedule_accepted_offer,
    scenario_archive_refused_by_the_line,
    scenario_join_while_archived,
    scenario_join,
    scenario_offer_on_cancel,
    scenario_offer_on_expiry,
    scenario_offer_on_reschedule_away,
    scenario_offer_expiry,
    scenario_confirm_offer,
    scenario_leave_waiting,
    scenario_leave_offered,
    scenario_attend,
    scenario_no_show,
    scenario_attend_after_a_move,
    scenario_create_slot,
    scenario_generate,
    scenario_write_schedule,
    scenario_close,
    scenario_reopen,
    scenario_write_schedule_while_a_slot_is_laid,
    scenario_write_schedule_while_a_slot_is_laid_and_booked,
    scenario_close_over_slots_made_by_hand,
    scenario_create_slot_while_closing,
    scenario_sweep_finishing_a_taking_back,
    scenario_sweep_finishing_a_closure,
    scenario_delete_slot,
    scenario_book_limited,
    scenario_cancel_limited,
    scenario_reschedule_limited,
    scenario_hold,
    scenario_book,
    scenario_book_with_key,
    scenario_confirm,
    scenario_cancel_booking,
    scenario_cancel_hold,
    scenario_reschedule_booking,
    scenario_reschedule_hold,
    scenario_reschedule_back,
    scenario_archive_refused,
    scenario_archive,
    scenario_expiry,
]


def cut_points(total: int, scenario) -> list[int]:
    """After how many writes the process dies: after each, on the embedded engine. On a
    server, where each cut rebuilds the scenario's world through round trips, every third,
    from an offset the scenario's name picks, so that the scenarios together cut at every
    position: what varies between the cuts is the use case's logic, which the embedded run
    covers; the server run covers each kind of write's way to a real database."""
    if not on_a_server():
        return list(range(total))
    offset = zlib.crc32(scenario.__name__.encode()) % 3
    return list(range(offset, total, 3)) or [total - 1]


def writes_of(scenario, repos, api, clock) -> int:
    operation = scenario(repos, api, clock.now)
    wrapped, budget = crashing(repos, allowed=10**6)
    try:
        operation(wrapped)
    except DomainError:
        pass  # a refusal still writes: the archive's mark, then its removal, say
    return budget["done"]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.__name__[len("scenario_") :])
def test_a_crash_between_any_two_writes_is_repaired_by_the_sweep(scenario, app, api, repos, clock):
    from slotkeeper.database.connection import drop_all

    total = writes_of(scenario, repos, api, clock)
    assert total >= 2, "a use case with one write cannot be torn"
    for allowed in cut_points(total, scenario):
        drop_all()
        operation = scenario(repos, api, clock.now)
        wrapped, _ = crashing(repos, allowed)
        with pytest.raises((Crash, HasActiveAppointments, ServiceClosed)):
            operation(wrapped)
        later = clock.now + timedelta(minutes=10)
        sweep(repos, later)
        assert_all_invariants()
        assert_events_follow_changes()
        assert_closures_hold()
        assert sweep(repos, later).expired == 0, "a second sweep found seats to return"
        assert_all_invariants()
        assert_events_follow_changes()


def assert_closures_hold() -> None:
    """Every slot a closure overlaps has seats taken: it was kept for them."""
    for calendar in Calendar.objects:
        for closure in calendar.closures:
            inside = Slot.objects(
                service_id=calendar.id, start_time__lt=closure["to"], end_time__gt=closure["from"]
            )
            idle = [str(s.id) for s in inside if not (s.booked_seats or s.held_seats)]
            assert not idle, f"idle slots inside a closure: {idle}"


def assert_events_follow_changes() -> None:
    """Each appointment's outbox tells each of its changes once, and only those: a creation
    (held or booked), then one event per change of status or slot, the last as it is now."""
    for appointment in Appointment.objects:
        offered = [e for e in appointment.outbox if e["type"] == "waitlist.offered"]
        assert len(offered) == (appointment.entry_id is not None), "an offer is told once"
        events = [e for e in appointment.outbox if e["type"] != "waitlist.offered"]
        assert len(events) == appointment.sequence + 1, "an event per change, and no more"
        assert events[0]["type"] in ("appointment.held", "appointment.booked")
        for before, after in zip(events, events[1:], strict=False):
            if after["type"] == "appointment.rescheduled":
                assert after["status"] == before["status"]
            else:
                assert can_transition(Status(before["status"]), Status(after["status"]))
                assert after["type"] == EVENT_OF_STATUS[Status(after["status"])].value
        assert events[-1]["status"] == appointment.status
        assert len({e["id"] for e in events}) == len(events)


class Delivered:
    """A sender that reaches nobody: every attempt succeeds."""

    timeout_seconds = 1

    def __init__(self):
        self.sent: list[str] = []

    def send(self, url, secret, message_id, body, at):
        self.sent.append(message_id)
        return type("Outcome", (), {"status_code": 204, "error": None})()


def _following(api, repos, now, hooks=2):
    for n in range(hooks):
        subscribe(repos, {"url": f"http://127.0.0.1:{9000 + n}/hooks"}, now, Destinations(True))
    return _book(repos, now, api.slot(capacity=2))


def delivery_hand_over(repos, api, now):
    _following(api, repos, now)
    return lambda r: hand_over_events(r, AppointmentSchema().dump)


def delivery_send(repos, api, now):
    _following(api, repos, now, hooks=1)
    hand_over_events(repos, AppointmentSchema().dump)
    return lambda r: send_due(r, Delivered(), RetryPolicy(5, 8), lambda: now)


@pytest.mark.parametrize("scenario", [delivery_hand_over, delivery_send], ids=lambda s: s.__name__)
def test_a_crash_while_handing_over_or_sending_is_finished_by_the_next_run(
    scenario, app, api, repos, clock
):
    from slotkeeper.database.connection import drop_all

    total = writes_of(scenario, repos, api, clock)
    assert total >= 2
    for allowed in cut_points(total, scenario):
        drop_all()
        operation = scenario(repos, api, clock.now)
        wrapped, _ = crashing(repos, allowed)
        with pytest.raises(Crash):
            operation(wrapped)
        later = FakeClock(clock.now + timedelta(minutes=10))  # past any lease
        hand_over_events(repos, AppointmentSchema().dump)
        sender = Delivered()
        send_due(repos, sender, RetryPolicy(5, 8), later)
        assert not any(a.outbox for a in Appointment.objects), "an event left in an outbox"
        events = {e for e in Delivery.objects.distinct("event_id")}
        assert Delivery.objects.count() == len(events) * Webhook.objects.count(), (
            "one delivery per event and webhook"
        )
        assert {d.status for d in Delivery.objects} == {"SUCCEEDED"}
        assert send_due(repos, sender, RetryPolicy(5, 8), later).succeeded == 0


@pytest.mark.parametrize(
    "scenario", [scenario_write_schedule, scenario_close, scenario_reopen], ids=lambda s: s.__name__
)
def test_a_crash_while_writing_opening_hours_is_finished_by_the_horizon_job(
    scenario, app, api, repos, clock
):
    from slotkeeper.database.connection import drop_all

    total = writes_of(scenario, repos, api, clock)
    for allowed in cut_points(total, scenario):
        drop_all()
        operation = scenario(repos, api, clock.now)
        wrapped, _ = crashing(repos, allowed)
        with pytest.raises(Crash):
            operation(wrapped)
        later = clock.now + timedelta(minutes=10)  # past the write grace
        opening_hours.extend_horizons(repos, later)
        assert_all_invariants()
        service_id = str(repos.calendars.scheduled()[0])
        calendar = repos.calendars.read(service_id)
        assert calendar.schedule is not None
        laid = {s.start_time for s in Slot.objects(service_id=service_id)}
        wanted = windows(calendar.schedule, "UTC", later, calendar.closures).windows
        assert [start for start, _ in wanted if start not in laid] == [], allowed
        again = opening_hours.set_schedule(repos, service_id, calendar.schedule, later)
        assert (again.created, again.removed) == (0, 0), allowed
        for closure in repos.calendars.read(service_id).closures:
            inside = Slot.objects(
                service_id=service_id, start_time__lt=closure.end, end_time__gt=closure.start
            )
            assert all(s.booked_seats or s.held_seats for s in inside), allowed
