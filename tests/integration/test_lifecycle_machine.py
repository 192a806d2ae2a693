"""The appointment lifecycle against a plain model, driven by hypothesis' state machine."""

import functools
from dataclasses import dataclass
from datetime import timedelta

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule

from slotkeeper.context import current_repos
from slotkeeper.database.connection import drop_all
from slotkeeper.domain.actor import TRUSTED
from slotkeeper.domain.errors import (
    DuplicateBooking,
    HoldExpired,
    Invalid,
    InvalidTransition,
    SlotInPast,
    SlotUnavailable,
    TooEarly,
    TooLate,
)
from slotkeeper.service_layer import booking, catalog, checkin, lifecycle, reschedule
from slotkeeper.service_layer.booking import BookingRequest
from slotkeeper.service_layer.expiry import sweep
from tests.conftest import NOW, FakeClock, SessionApp, examples
from tests.invariants import assert_all_invariants

TTL = timedelta(seconds=100)
# two half-hour slots that start while the machine runs, so that every rule meets them before,
# during and after their time (check-in opens an hour before the start)
STARTS = [NOW + timedelta(minutes=20), NOW + timedelta(minutes=60)]
LENGTH = timedelta(minutes=30)
SEATED = ("PENDING", "BOOKED", "ATTENDED", "NO_SHOW")  # their seats are counted
USERS = st.sampled_from(["ann", "bob", "cid"])
SEATS = st.integers(1, 3)


@dataclass
class Modelled:
    slot: int
    user: str
    seats: int
    status: str
    expires_at: object = None


CLOCK = FakeClock(NOW)


@functools.cache
def _app() -> SessionApp:
    """One app for every run of the machine: building one costs a quarter of a second."""
    return SessionApp(CLOCK)


class LifecycleMachine(RuleBasedStateMachine):
    appointments = Bundle("appointments")

    def __init__(self):
        super().__init__()
        self.clock = CLOCK
        self.clock.now = NOW
        self.app = _app().connected()
        self.context = self.app.app_context()
        self.context.push()
        drop_all()
        self.repos = current_repos()
        service = catalog.create_service(self.repos, {"name": "s"}, NOW)
        self.capacity = [2, 3]
        self.slot_ids = [
            str(
                catalog.create_slot(
                    self.repos,
                    {
                        "service_id": str(service.id),
                        "start_time": STARTS[d],
                        "end_time": STARTS[d] + LENGTH,
                        "capacity": c,
                    },
                    NOW,
                ).id
            )
            for d, c in enumerate(self.capacity)
        ]
        self.model: dict[str, Modelled] = {}

    def teardown(self):
        self.context.pop()

    # the model's rules

    def _effective(self, m: Modelled) -> str:
        expired = m.status == "PENDING" and m.expires_at <= self.clock.now
        return "EXPIRED" if expired else m.status

    def _taken(self, slot: int) -> int:
        return sum(
            m.seats for m in self.model.values() if m.slot == slot and self._effective(m) in SEATED
        )

    def _started(self, slot: int) -> bool:
        return STARTS[slot] <= self.clock.now

    def _expected_refusal(self, slot: int, user: str, seats: int, ignore: str | None = None):
        if seats > self.capacity[slot]:
            return Invalid
        if self._started(slot):
            return SlotInPast
        if any(
            m.slot == slot and m.user == user and self._effective(m) in SEATED
            for key, m in self.model.items()
            if key != ignore
        ):
            return DuplicateBooking
        if self.capacity[slot] - self._taken(slot) < seats:
            return SlotUnavailable
        return None

    def _attempt(self, expected, call):
        try:
            result = call()
        except Exception as err:  # compared with the model right below
            assert expected is not None and isinstance(err, expected), (expected, err)
            return None
        assert expected is None, f"expected {expected.__name__}, got success"
        return result

    # the rules

    @rule(
        target=appointments,
        slot=st.integers(0, 1),
        user=USERS,
        seats=SEATS,
        kind=st.sampled_from(["hold", "book"]),
    )
    def take(self, slot, user, seats, kind):
        expected = self._expected_refusal(slot, user, seats)
        request = BookingRequest(self.slot_ids[slot], user, seats)
        now = self.clock.now
        if kind == "hold":
            made = self._attempt(
                expected, lambda: booking.hold_seats(self.repos, request, now, TTL, actor=TRUSTED)
            )
        else:
            made = self._attempt(
                expected, lambda: booking.book_seats(self.repos, request, now, actor=TRUSTED)
            )
        if made is None:
            return "none"
        self.model[str(made.id)] = Modelled(slot, user, seats, made.status, made.expires_at)
        return str(made.id)

    @rule(appointment=appointments)
    def confirm(self, appointment):
        if appointment == "none":
            return
        m = self.model[appointment]
        expired = SlotInPast if self._started(m.slot) else HoldExpired
        expected = {
            "BOOKED": None,
            "PENDING": None,
            "CANCELLED": InvalidTransition,
            "EXPIRED": expired,
            "ATTENDED": InvalidTransition,
            "NO_SHOW": InvalidTransition,
        }[self._effective(m)]
        if (
            self._attempt(
                expected,
                lambda: lifecycle.confirm_appointment(
                    self.repos, appointment, self.clock.now, actor=TRUSTED
                ),
            )
            is not None
        ):
            m.status = "BOOKED"

    @rule(appointment=appointments)
    def cancel(self, appointment):
        if appointment == "none":
            return
        m = self.model[appointment]
        final = ("EXPIRED", "ATTENDED", "NO_SHOW")
        expected = InvalidTransition if self._effective(m) in final else None
        if (
            self._attempt(
                expected,
                lambda: lifecycle.cancel_appointment(
                    self.repos, appointment, self.clock.now, actor=TRUSTED
                ),
            )
            is not None
        ):
            m.status = "CANCELLED"

    @rule(appointment=appointments, slot=st.integers(0, 1))
    def move(self, appointment, slot):
        if appointment == "none":
            return
        m = self.model[appointment]
        state = self._effective(m)
        if state in ("CANCELLED", "EXPIRED", "ATTENDED", "NO_SHOW"):
            expected = HoldExpired if state == "EXPIRED" else InvalidTransition
        elif slot == m.slot:
            expected = None
        else:
            expected = self._expected_refusal(slot, m.user, m.seats, ignore=appointment)
        if (
            self._attempt(
                expected,
                lambda: reschedule.reschedule_appointment(
                    self.repos, appointment, self.slot_ids[slot], self.clock.now, actor=TRUSTED
                ),
            )
            is not None
        ):
            m.slot = slot

    @rule(appointment=appointments, to=st.sampled_from(["ATTENDED", "NO_SHOW"]))
    def use(self, appointment, to):
        if appointment == "none":
            return
        m = self.model[appointment]
        state, now, start = self._effective(m), self.clock.now, STARTS[m.slot]
        if state == to:
            expected = None
        elif state != "BOOKED":
            expected = InvalidTransition
        elif to == "ATTENDED":
            expected = (
                TooEarly
                if now < start - timedelta(hours=1)
                else TooLate
                if now >= start + LENGTH
                else None
            )
        else:
            expected = TooEarly if now < start else None
        action = checkin.attend if to == "ATTENDED" else checkin.mark_no_show
        if (
            self._attempt(expected, lambda: action(self.repos, appointment, now, actor=TRUSTED))
            is not None
        ):
            m.status = to

    @rule(seconds=st.integers(1, 200))
    def wait(self, seconds):
        self.clock.advance(seconds=seconds)

    @rule()
    def run_sweep(self):
        sweep(self.repos, self.clock.now)
        for m in self.model.values():
            m.status = self._effective(m)

    @invariant()
    def books_match_the_model(self):
        assert_all_invariants()
        for key, m in self.model.items():
            stored = self.repos.appointments.get(key)
            assert stored.slot_id is not None and str(stored.slot_id) == self.slot_ids[m.slot]
            stored_state = (
                "EXPIRED"
                if (stored.status == "PENDING" and stored.expires_at <= self.clock.now)
                else stored.status
            )
            assert stored_state == self._effective(m), (key, stored.status, m)


LifecycleMachine.TestCase.settings = settings(
    max_examples=examples(40), stateful_step_count=25, deadline=None
)
# forty runs of up to 25 steps: over the default two minutes on a busy machine
test_lifecycle_follows_the_model = pytest.mark.timeout(600)(LifecycleMachine.TestCase)
