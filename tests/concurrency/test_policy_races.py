"""One user booking many slots of a service at once over HTTP never exceeds its limit."""

from collections import Counter
from datetime import timedelta

from tests.conftest import NOW
from tests.invariants import assert_all_invariants


def _limited_service(live_server, api, limit: int) -> dict:
    service = api.service()
    response = live_server.session().patch(
        f"{live_server.url}/services/{service['id']}",
        json={"policy": {"maxActivePerUser": limit}},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return service


def test_thirty_parallel_bookings_by_one_user_on_thirty_slots_win_exactly_the_limit(
    app, api, live_server
):
    service = _limited_service(live_server, api, limit=3)
    slots = [api.slot(service["id"], start=NOW + timedelta(hours=1 + i)) for i in range(30)]
    responses = live_server.race(lambda i: live_server.book(slots[i]["id"], "ann"), 30)
    assert Counter(r.status_code for r in responses) == {201: 3, 409: 27}
    assert {r.json()["reason"] for r in responses if r.status_code == 409} == {"USER_LIMIT_REACHED"}
    mine = live_server.get("/appointments", userId="ann", page_size=100).json()
    assert len([a for a in mine if a["status"] == "BOOKED"]) == 3
    with app.app_context():
        assert_all_invariants()


def test_parallel_holds_and_cancels_by_one_user_never_exceed_the_limit(app, api, live_server):
    service = _limited_service(live_server, api, limit=2)
    slots = [api.slot(service["id"], start=NOW + timedelta(hours=1 + i)) for i in range(40)]

    def step(i):
        response = live_server.hold(slots[i]["id"], "ann")
        if response.status_code == 201 and i % 2:
            live_server.patch(f"/appointments/{response.json()['id']}/cancel")
        return response

    live_server.race(step, 40, threads=20)
    live = [
        a
        for a in live_server.get("/appointments", userId="ann", page_size=100).json()
        if a["status"] in ("PENDING", "BOOKED")
    ]
    assert 1 <= len(live) <= 2
    with app.app_context():
        assert_all_invariants()
