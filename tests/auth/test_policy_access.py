"""The cancel cutoff binds users, not admins (with authentication on)."""

from datetime import timedelta

from tests.auth.conftest import BOOK, assert_error
from tests.conftest import NOW


def _booked_inside_cutoff(admin, alice, catalogue) -> dict:
    service = catalogue.service()
    admin.patch(f"/api/v1/services/{service['id']}", json={"policy": {"cancelCutoffMinutes": 60}})
    slot = catalogue.slot(service["id"], start=NOW + timedelta(minutes=30))
    response = alice.take(BOOK, slot["id"])
    assert response.status_code == 201, response.json
    return response.json


def test_a_user_may_not_cancel_inside_the_cutoff(admin, alice, catalogue):
    booked = _booked_inside_cutoff(admin, alice, catalogue)
    body = assert_error(alice.patch(f"/api/v1/appointments/{booked['id']}/cancel"), 409)
    assert body["reason"] == "CANCEL_CUTOFF"


def test_an_admin_may_cancel_inside_the_cutoff(admin, alice, catalogue):
    booked = _booked_inside_cutoff(admin, alice, catalogue)
    response = admin.patch(f"/api/v1/appointments/{booked['id']}/cancel")
    assert response.status_code == 200 and response.json["status"] == "CANCELLED"


def test_an_admin_may_reschedule_inside_the_cutoff(admin, alice, catalogue):
    booked = _booked_inside_cutoff(admin, alice, catalogue)
    other = catalogue.slot(booked["serviceId"], start=NOW + timedelta(days=1))
    response = admin.post(
        f"/api/v1/appointments/{booked['id']}/reschedule", json={"slotId": other["id"]}
    )
    assert response.status_code == 200, response.json
    assert response.json["slotId"] == other["id"]
