"""With authentication on, webhooks are for admins only (401 without a token, 403 without the
role, nothing created); a calendar file is its owner's or an admin's, anyone else's is 404."""

import pytest

from tests.auth.conftest import BOOK, assert_error

HOOKS = "/api/v1/webhooks"
ID = "6650f0c2a1b2c3d4e5f60755"
CALLS = [
    ("get", HOOKS, None),
    ("post", HOOKS, {"url": "https://hooks.example.com/x"}),
    ("get", f"{HOOKS}/{ID}", None),
    ("patch", f"{HOOKS}/{ID}", {"active": False}),
    ("delete", f"{HOOKS}/{ID}", None),
    ("post", f"{HOOKS}/{ID}/ping", None),
    ("get", f"{HOOKS}/{ID}/deliveries", None),
    ("post", f"{HOOKS}/{ID}/deliveries/{ID}/redeliver", None),
]


@pytest.mark.parametrize("method, path, body", CALLS)
def test_webhooks_refuse_a_user_403_and_nobody_401(alice, anonymous, admin, method, path, body):
    kwargs = {"json": body} if body is not None else {}
    assert_error(getattr(alice, method)(path, **kwargs), 403)
    assert_error(getattr(anonymous, method)(path, **kwargs), 401)
    assert admin.get(HOOKS).json == []


def test_an_admin_subscribes_and_manages_webhooks(admin):
    made = admin.post(HOOKS, json={"url": "https://hooks.example.com/x"})
    assert made.status_code == 201 and made.json["secret"].startswith("whsec_")
    assert admin.post(f"{HOOKS}/{made.json['id']}/ping").status_code == 202
    assert admin.delete(f"{HOOKS}/{made.json['id']}").status_code == 204


def test_a_calendar_file_is_for_its_owner_and_admins_only(alice, bob, admin, catalogue):
    booked = alice.take(BOOK, catalogue.slot()["id"]).json
    path = f"/api/v1/appointments/{booked['id']}/ics"
    assert alice.get(path).status_code == 200
    assert admin.get(path).status_code == 200
    assert_error(bob.get(path), 404)
