"""The ownership rule lives in the use cases: they take the caller as `actor`."""

from datetime import timedelta

import pytest

from slotkeeper.domain.actor import TRUSTED, Actor
from slotkeeper.domain.errors import Forbidden, NotFound
from slotkeeper.repositories import PageRequest
from slotkeeper.service_layer import booking, history, lifecycle, reschedule
from slotkeeper.service_layer.booking import BookingRequest
from tests.conftest import NOW

ALICE, BOB, ADMIN = Actor("alice"), Actor("bob"), Actor("root", is_admin=True)
PAGE = PageRequest(1, 20)


@pytest.fixture
def alices(api, repos):
    service = api.service()
    slot, spare = api.slot(service["id"]), api.slot(service["id"], start=NOW + timedelta(days=2))
    held = booking.hold_seats(
        repos, BookingRequest(slot["id"], "alice"), NOW, timedelta(minutes=2), actor=ALICE
    )
    return {"id": str(held.id), "slot": slot["id"], "spare": spare["id"]}


def test_an_actor_acts_for_themselves_an_admin_and_the_trusted_caller_for_anyone():
    assert ALICE.may_act_for("alice") and not ALICE.may_act_for("bob")
    assert ADMIN.may_act_for("bob") and TRUSTED.may_act_for("bob")
    assert not Actor(None).may_act_for(None)


def test_booking_for_someone_else_is_forbidden(api, repos):
    request = BookingRequest(api.slot()["id"], "bob")
    with pytest.raises(Forbidden):
        booking.book_seats(repos, request, NOW, actor=ALICE)
    assert booking.book_seats(repos, request, NOW, actor=ADMIN).user_id == "bob"


@pytest.mark.parametrize(
    "use_case",
    [
        lambda repos, ids, actor: history.get_appointment(repos, ids["id"], NOW, actor=actor),
        lambda repos, ids, actor: lifecycle.confirm_appointment(repos, ids["id"], NOW, actor=actor),
        lambda repos, ids, actor: lifecycle.cancel_appointment(repos, ids["id"], NOW, actor=actor),
        lambda repos, ids, actor: reschedule.reschedule_appointment(
            repos, ids["id"], ids["spare"], NOW, actor=actor
        ),
    ],
    ids=["read", "confirm", "cancel", "reschedule"],
)
def test_someone_elses_appointment_is_not_found_for_a_user_but_found_for_an_admin(
    repos, alices, use_case
):
    with pytest.raises(NotFound, match=f"appointment {alices['id']} not found"):
        use_case(repos, alices, BOB)
    assert repos.appointments.get(alices["id"]).status == "PENDING"
    assert use_case(repos, alices, ADMIN).user_id == "alice"


def test_lists_are_scoped_to_the_actor(repos, alices):
    assert history.list_appointments(repos, PAGE, NOW, actor=BOB).total == 0
    assert history.list_appointments(repos, PAGE, NOW, actor=ALICE).total == 1
    with pytest.raises(Forbidden):
        history.list_appointments(repos, PAGE, NOW, actor=BOB, user_id="alice")
    assert history.list_appointments(repos, PAGE, NOW, actor=ADMIN, user_id="alice").total == 1
    assert history.slot_appointments(repos, alices["slot"], PAGE, NOW, actor=BOB).total == 0
    assert history.slot_appointments(repos, alices["slot"], PAGE, NOW, actor=ADMIN).total == 1
