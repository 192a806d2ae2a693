"""RATE_LIMIT_BOOKING: one budget for book, hold and reschedule, per user (per address without
a token); 429 in the error shape with Retry-After; nothing is limited unless it is set."""

from datetime import timedelta

import pytest

from tests.auth.conftest import BOOK, HOLD, LIST, SECRET, Caller, assert_error, hs256
from tests.conftest import NOW, Api


@pytest.fixture
def limited(make_app):
    return make_app(auth_jwt_secret=SECRET, rate_limit_booking="3/minute")


def caller(app, sub, roles=()) -> Caller:
    return Caller(app.test_client(), hs256(sub=sub, roles=roles))


def slots(app, count) -> list[str]:
    catalogue = Api(caller(app, "root", ["admin"]))
    service = catalogue.service()
    return [
        catalogue.slot(service["id"], start=NOW + timedelta(hours=i + 1))["id"]
        for i in range(count)
    ]


def test_past_the_limit_the_answer_is_429_with_retry_after(limited):
    alice, free = caller(limited, "alice"), slots(limited, 4)
    assert [alice.take(BOOK, slot).status_code for slot in free[:3]] == [201, 201, 201]
    refused = alice.take(BOOK, free[3])
    body = assert_error(refused, 429)
    assert "3 per 1 minute" in body["message"]
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert alice.get(f"/api/v1/slots/{free[3]}").json["availableSeats"] == 1


def test_book_hold_and_reschedule_share_one_budget(limited):
    alice, free = caller(limited, "alice"), slots(limited, 4)
    held = alice.take(HOLD, free[0]).json
    assert alice.take(BOOK, free[1]).status_code == 201
    moved = alice.post(f"{LIST}/{held['id']}/reschedule", json={"slotId": free[2]})
    assert moved.status_code == 200
    assert_error(alice.post(f"{LIST}/{held['id']}/reschedule", json={"slotId": free[3]}), 429)


def test_each_user_has_their_own_budget(limited):
    alice, bob, free = caller(limited, "alice"), caller(limited, "bob"), slots(limited, 5)
    for slot in free[:3]:
        alice.take(HOLD, slot)
    assert_error(alice.take(HOLD, free[3]), 429)
    assert bob.take(HOLD, free[3]).status_code == 201


def test_reads_and_other_endpoints_are_not_limited(limited):
    alice, free = caller(limited, "alice"), slots(limited, 4)
    for slot in free[:3]:
        alice.take(HOLD, slot)
    assert all(alice.get(LIST).status_code == 200 for _ in range(10))
    mine = alice.get(LIST).json[0]["id"]
    assert alice.patch(f"{LIST}/{mine}/cancel").status_code == 200


def test_requests_without_a_valid_token_spend_no_users_budget(limited):
    alice, free = caller(limited, "alice"), slots(limited, 3)
    stranger = Caller(limited.test_client(), None)
    for _ in range(5):
        assert_error(stranger.take(HOLD, free[0], user="alice"), 401)
    assert [alice.take(HOLD, slot).status_code for slot in free] == [201, 201, 201]


def test_without_authentication_the_key_is_the_client_address(make_app):
    app = make_app(rate_limit_booking="2/minute")
    catalogue, client = Api(app.test_client()), app.test_client()
    free = [catalogue.slot(start=NOW + timedelta(hours=i + 1))["id"] for i in range(4)]

    def hold(slot, address, user):
        return client.post(
            HOLD, json={"slotId": slot, "userId": user}, environ_base={"REMOTE_ADDR": address}
        )

    assert [
        hold(free[0], "10.0.0.1", "u1").status_code,
        hold(free[1], "10.0.0.1", "u2").status_code,
    ] == [201, 201]
    assert_error(hold(free[2], "10.0.0.1", "u3"), 429)
    assert hold(free[2], "10.0.0.2", "u3").status_code == 201


def test_no_limit_unless_one_is_configured(make_app):
    app = make_app(auth_jwt_secret=SECRET)
    alice = caller(app, "alice")
    free = slots(app, 1)[0]
    for _ in range(30):
        held = alice.take(HOLD, free)
        assert held.status_code == 201
        assert alice.patch(f"{LIST}/{held.json['id']}/cancel").status_code == 200


def test_apps_keep_their_own_counters(make_app):
    first = make_app(auth_jwt_secret=SECRET, rate_limit_booking="1/minute")
    alice = caller(first, "alice")
    free = slots(first, 2)
    assert alice.take(HOLD, free[0]).status_code == 201
    assert_error(alice.take(HOLD, free[1]), 429)
    second = make_app(auth_jwt_secret=SECRET, rate_limit_booking="1/minute")
    assert caller(second, "alice").take(HOLD, slots(second, 1)[0]).status_code == 201
    assert_error(alice.take(HOLD, free[1]), 429)  # the first app still remembers
