"""With authentication on, a user books for themselves and sees and changes only their own
appointments; someone else's answers 404 and nothing changes; role admin may act on any."""

from datetime import timedelta

import pytest

from tests.auth.conftest import BOOK, HOLD, LIST, assert_error, bearer, hs256
from tests.conftest import NOW

TAKES = [BOOK, HOLD]


def everything(admin) -> dict:
    """Every slot and appointment, as the admin sees them."""
    return {
        path: admin.get(path, query_string={"page_size": 100}).json
        for path in ("/api/v1/slots", LIST)
    }


@pytest.mark.parametrize("path", TAKES)
def test_without_userid_the_appointment_is_the_callers(alice, catalogue, path):
    response = alice.take(path, catalogue.slot()["id"])
    assert response.status_code == 201, response.json
    assert response.json["userId"] == "alice"


@pytest.mark.parametrize("path", TAKES)
def test_a_user_may_name_themselves(alice, catalogue, path):
    assert alice.take(path, catalogue.slot()["id"], user="alice").json["userId"] == "alice"


@pytest.mark.parametrize("path", TAKES)
def test_booking_for_another_user_is_403_and_takes_nothing(alice, admin, catalogue, path):
    slot = catalogue.slot()
    before = everything(admin)
    assert "themselves" in assert_error(alice.take(path, slot["id"], user="bob"), 403)["message"]
    assert everything(admin) == before


@pytest.mark.parametrize("path", TAKES)
def test_an_admin_books_for_anyone(admin, catalogue, path):
    response = admin.take(path, catalogue.slot()["id"], user="bob")
    assert response.status_code == 201 and response.json["userId"] == "bob"


@pytest.mark.parametrize("path", TAKES)
def test_appointments_need_a_token(anonymous, catalogue, path):
    response = anonymous.take(path, catalogue.slot()["id"], user="alice")
    assert_error(response, 401)
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="slotkeeper"'


def test_a_missing_userid_without_authentication_is_still_422(client, api):
    response = client.post(HOLD, json={"slotId": api.slot()["id"]})
    assert_error(response, 422)
    assert "userId" in response.json["errors"]["json"]


def test_an_idempotency_key_belongs_to_its_user(alice, bob, catalogue):
    slot = catalogue.slot(capacity=2)
    first = alice.take(BOOK, slot["id"], **{"Idempotency-Key": "k1"})
    again = alice.take(BOOK, slot["id"], **{"Idempotency-Key": "k1"})
    other = bob.take(BOOK, slot["id"], **{"Idempotency-Key": "k1"})
    assert first.json["id"] == again.json["id"] != other.json["id"]
    assert other.json["userId"] == "bob"


# --- someone else's appointment -------------------------------------------------------------


@pytest.fixture
def bobs(bob, catalogue) -> dict:
    """Bob's hold, on a slot of a service with a second, free slot."""
    service = catalogue.service()
    slot = catalogue.slot(service["id"])
    spare = catalogue.slot(service["id"], start=NOW + timedelta(days=2))
    held = bob.take(HOLD, slot["id"])
    assert held.status_code == 201, held.json
    return {"id": held.json["id"], "spare": spare["id"]}


def operations(bobs):
    appointment = f"{LIST}/{bobs['id']}"
    return {
        "read": ("get", appointment, None),
        "confirm": ("post", f"{appointment}/confirm", None),
        "cancel": ("patch", f"{appointment}/cancel", None),
        "reschedule": ("post", f"{appointment}/reschedule", {"slotId": bobs["spare"]}),
    }


OPERATIONS = ["read", "confirm", "cancel", "reschedule"]


@pytest.mark.parametrize("operation", OPERATIONS)
def test_someone_elses_appointment_is_404_and_nothing_changes(alice, admin, bobs, operation):
    method, path, body = operations(bobs)[operation]
    before = everything(admin)
    response = getattr(alice, method)(path, json=body)
    assert_error(response, 404)
    unknown = getattr(alice, method)(path.replace(bobs["id"], "0" * 24), json=body)
    assert response.json["message"] == unknown.json["message"].replace("0" * 24, bobs["id"])
    assert everything(admin) == before


@pytest.mark.parametrize("operation", OPERATIONS)
def test_the_owner_may_do_it(bob, bobs, operation):
    method, path, body = operations(bobs)[operation]
    assert getattr(bob, method)(path, json=body).status_code == 200


@pytest.mark.parametrize("operation", OPERATIONS)
def test_an_admin_may_do_it_to_anyones(admin, bobs, operation):
    method, path, body = operations(bobs)[operation]
    response = getattr(admin, method)(path, json=body)
    assert response.status_code == 200 and response.json["userId"] == "bob"


@pytest.mark.parametrize("operation", OPERATIONS)
def test_without_a_token_it_is_401(anonymous, bobs, operation):
    method, path, body = operations(bobs)[operation]
    assert_error(getattr(anonymous, method)(path, json=body), 401)


# --- lists ----------------------------------------------------------------------------------


@pytest.fixture
def history(alice, bob, catalogue) -> dict:
    service = catalogue.service()
    slots = [
        catalogue.slot(service["id"], start=NOW + timedelta(days=d), capacity=3)["id"]
        for d in (1, 2)
    ]
    made = {
        "a1": alice.take(BOOK, slots[0]),
        "a2": alice.take(HOLD, slots[1]),
        "b1": bob.take(BOOK, slots[0]),
    }
    return {"slots": slots, **{name: r.json["id"] for name, r in made.items()}}


def ids(response) -> set:
    assert response.status_code == 200, response.json
    return {a["id"] for a in response.json}


def test_a_user_lists_only_their_own_appointments(alice, bob, history):
    assert ids(alice.get(LIST)) == {history["a1"], history["a2"]}
    assert ids(bob.get(LIST)) == {history["b1"]}
    assert ids(alice.get(LIST, query_string={"userId": "alice"})) == {history["a1"], history["a2"]}
    assert ids(alice.get(LIST, query_string={"slotId": history["slots"][0]})) == {history["a1"]}


def test_a_user_asking_for_another_users_appointments_is_403(alice, history):
    assert_error(alice.get(LIST, query_string={"userId": "bob"}), 403)


def test_an_admin_lists_everyones_and_filters_by_user(admin, history):
    assert ids(admin.get(LIST)) == {history["a1"], history["a2"], history["b1"]}
    assert ids(admin.get(LIST, query_string={"userId": "bob"})) == {history["b1"]}


def test_a_slots_appointments_are_for_admins_only(alice, admin, anonymous, history):
    path = f"/api/v1/slots/{history['slots'][0]}/appointments"
    assert_error(anonymous.get(path), 401)
    assert_error(alice.get(path), 403)
    assert ids(admin.get(path)) == {history["a1"], history["b1"]}


def test_the_list_needs_a_token(anonymous):
    assert_error(anonymous.get(LIST), 401)


def test_the_caller_comes_from_the_token_not_from_the_body(secured, catalogue):
    client = secured.test_client()
    slot = catalogue.slot()
    forged = client.post(
        HOLD,
        json={"slotId": slot["id"]},
        headers=bearer(hs256(secret="x" * 40, sub="root", roles=["admin"])),
    )
    assert_error(forged, 401)
