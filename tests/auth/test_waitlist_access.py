"""With authentication on, a user waits for themselves and sees and leaves only their own
entries; someone else's entry answers 404 and nothing changes; role admin may act on any."""

import pytest

from tests.auth.conftest import BOOK, assert_error

WAITLIST = "/api/v1/waitlist"


@pytest.fixture
def full(admin, catalogue) -> str:
    slot = catalogue.slot()
    assert admin.post(BOOK, json={"slotId": slot["id"], "userId": "carol"}).status_code == 201
    return slot["id"]


def test_without_userid_the_entry_is_the_callers(alice, full):
    response = alice.post(f"/api/v1/slots/{full}/waitlist", json={})
    assert response.status_code == 201 and response.json["userId"] == "alice"


def test_waiting_for_another_user_is_403_and_an_admin_may(alice, admin, full):
    assert_error(alice.post(f"/api/v1/slots/{full}/waitlist", json={"userId": "bob"}), 403)
    response = admin.post(f"/api/v1/slots/{full}/waitlist", json={"userId": "bob"})
    assert response.status_code == 201 and response.json["userId"] == "bob"


def test_joining_needs_a_token(anonymous, full):
    assert_error(anonymous.post(f"/api/v1/slots/{full}/waitlist", json={"userId": "x"}), 401)


def test_someone_elses_entry_is_404_and_cannot_be_left(alice, bob, admin, full):
    bobs = bob.post(f"/api/v1/slots/{full}/waitlist", json={}).json["id"]
    read = assert_error(alice.get(f"{WAITLIST}/{bobs}"), 404)
    unknown = alice.get(f"{WAITLIST}/{'0' * 24}").json
    assert read["message"] == unknown["message"].replace("0" * 24, bobs)
    assert_error(alice.delete(f"{WAITLIST}/{bobs}"), 404)
    assert bob.get(f"{WAITLIST}/{bobs}").json["status"] == "WAITING"
    assert admin.get(f"{WAITLIST}/{bobs}").status_code == 200


def test_a_user_lists_only_their_own_and_an_admin_everyones(alice, bob, admin, full):
    alice.post(f"/api/v1/slots/{full}/waitlist", json={})
    bob.post(f"/api/v1/slots/{full}/waitlist", json={})
    assert [e["userId"] for e in alice.get(WAITLIST).json] == ["alice"]
    assert_error(alice.get(WAITLIST, query_string={"userId": "bob"}), 403)
    assert {e["userId"] for e in admin.get(WAITLIST).json} == {"alice", "bob"}
    assert [e["userId"] for e in admin.get(WAITLIST, query_string={"userId": "bob"}).json] == [
        "bob"
    ]


def test_the_slots_line_is_for_admins(alice, admin, full):
    alice.post(f"/api/v1/slots/{full}/waitlist", json={})
    assert_error(alice.get(f"/api/v1/slots/{full}/waitlist"), 403)
    assert [e["userId"] for e in admin.get(f"/api/v1/slots/{full}/waitlist").json] == ["alice"]


def test_the_owner_and_an_admin_may_leave(alice, bob, admin, full):
    alices = alice.post(f"/api/v1/slots/{full}/waitlist", json={}).json["id"]
    bobs = bob.post(f"/api/v1/slots/{full}/waitlist", json={}).json["id"]
    assert alice.delete(f"{WAITLIST}/{alices}").status_code == 204
    assert admin.delete(f"{WAITLIST}/{bobs}").status_code == 204
    assert admin.get(f"{WAITLIST}/{bobs}").json["status"] == "LEFT"
