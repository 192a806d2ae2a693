"""Check-in and no-show are an admin's to record (with authentication on)."""

from datetime import timedelta

import pytest

from tests.auth.conftest import BOOK, assert_error
from tests.conftest import NOW


@pytest.mark.parametrize("action", ["attend", "no-show"])
def test_a_user_may_not_record_their_own_attendance(admin, alice, catalogue, clock, action):
    slot = catalogue.slot(start=NOW + timedelta(minutes=30))
    booked = alice.take(BOOK, slot["id"]).json
    clock.advance(minutes=31)
    assert_error(alice.post(f"/api/v1/appointments/{booked['id']}/{action}"), 403)
    assert alice.get(f"/api/v1/appointments/{booked['id']}").json["status"] == "BOOKED"
    response = admin.post(f"/api/v1/appointments/{booked['id']}/{action}")
    assert response.status_code == 200, response.json
