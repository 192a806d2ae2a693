"""The waiting list over real HTTP: freed seats go to the first in line, never to a newcomer."""

from collections import Counter
from datetime import timedelta

from slotkeeper.context import current_repos
from slotkeeper.service_layer.expiry import sweep
from tests.conftest import NOW
from tests.invariants import assert_all_invariants


def codes(responses) -> Counter:
    return Counter(r.status_code for r in responses)


def _line(api, live_server, slot_id: str, waiting: int) -> list[dict]:
    """`waiting` users join at once; their entries in line order."""
    responses = live_server.race(
        lambda i: live_server.post(f"/slots/{slot_id}/waitlist", {"userId": f"w{i}"}), waiting
    )
    assert codes(responses) == {201: waiting}
    line = api.client.get(f"/api/v1/slots/{slot_id}/waitlist", query_string={"page_size": 100})
    entries = sorted(line.json, key=lambda e: e["position"])
    assert [e["position"] for e in entries] == list(range(1, waiting + 1))
    return entries


def _statuses(api, entries) -> list[str]:
    return [api.client.get(f"/api/v1/waitlist/{e['id']}").json["status"] for e in entries]


def test_five_cancels_at_once_offer_exactly_the_first_five_in_line(app, api, live_server):
    slot = api.slot(capacity=5)
    holders = [api.book(slot["id"], f"b{i}").json for i in range(5)]
    entries = _line(api, live_server, slot["id"], 20)

    def cancel_or_book(i):
        if i < 5:
            return live_server.patch(f"/appointments/{holders[i]['id']}/cancel")
        return live_server.book(slot["id"], f"newcomer-{i}")

    responses = live_server.race(cancel_or_book, 25, threads=25)
    assert codes(responses[:5]) == {200: 5}
    assert codes(responses[5:]) == {409: 20}
    assert {r.json()["reason"] for r in responses[5:]} == {"SLOT_UNAVAILABLE"}
    assert _statuses(api, entries) == ["OFFERED"] * 5 + ["WAITING"] * 15
    shown = api.get_slot(slot["id"])
    assert (shown["heldSeats"], shown["bookedSeats"], shown["waitingSeats"]) == (5, 0, 15)
    with app.app_context():
        assert_all_invariants()


def test_offers_that_expire_pass_to_the_next_in_line(app, api, live_server, clock):
    slot = api.slot(capacity=5)
    holders = [api.book(slot["id"], f"b{i}").json for i in range(5)]
    entries = _line(api, live_server, slot["id"], 12)
    live_server.race(lambda i: live_server.patch(f"/appointments/{holders[i]['id']}/cancel"), 5)
    assert _statuses(api, entries) == ["OFFERED"] * 5 + ["WAITING"] * 7
    # two accept in time, three let their offers run out
    for entry in entries[:2]:
        offer = api.client.get(f"/api/v1/waitlist/{entry['id']}").json["appointmentId"]
        assert api.client.post(f"/api/v1/appointments/{offer}/confirm").status_code == 200
    clock.advance(seconds=121)
    newcomers = live_server.race(lambda i: live_server.book(slot["id"], f"late-{i}"), 10)
    assert codes(newcomers) == {409: 10}  # the freed seats belong to the line
    with app.app_context():
        sweep(current_repos(), clock.now)
    statuses = _statuses(api, entries)
    assert statuses == ["ACCEPTED"] * 2 + ["EXPIRED"] * 3 + ["OFFERED"] * 3 + ["WAITING"] * 4
    shown = api.get_slot(slot["id"])
    assert (shown["bookedSeats"], shown["heldSeats"], shown["waitingSeats"]) == (2, 3, 4)
    with app.app_context():
        assert_all_invariants(as_of=clock.now)


def test_leaves_and_joins_at_once_keep_the_line_exact(app, api, live_server):
    slot = api.slot(capacity=3)
    holders = [api.book(slot["id"], f"b{i}").json for i in range(3)]
    entries = _line(api, live_server, slot["id"], 10)

    def act(i):
        if i < 5:  # every other entry leaves
            return live_server.session().delete(
                f"{live_server.url}/waitlist/{entries[2 * i]['id']}", timeout=30
            )
        if i < 8:
            return live_server.patch(f"/appointments/{holders[i - 5]['id']}/cancel")
        return live_server.post(f"/slots/{slot['id']}/waitlist", {"userId": f"late-{i}"})

    responses = live_server.race(act, 12, threads=12)
    assert codes(responses[:5]) == {204: 5}
    assert codes(responses[5:8]) == {200: 3}
    with app.app_context():
        assert_all_invariants()
    stayed = [e for i, e in enumerate(entries) if i % 2]
    assert _statuses(api, stayed) == ["OFFERED"] * 3 + ["WAITING"] * 2


def test_one_user_joining_twenty_lines_at_once_gets_exactly_the_limit(app, api, live_server):
    service = api.service(policy={"maxActivePerUser": 2})
    slots = [api.slot(service["id"], start=NOW + timedelta(hours=1 + i)) for i in range(20)]
    booked = [api.book(slot["id"], f"b{i}").json for i, slot in enumerate(slots)]
    responses = live_server.race(
        lambda i: live_server.post(f"/slots/{slots[i]['id']}/waitlist", {"userId": "ann"}), 20
    )
    assert codes(responses) == {201: 2, 409: 18}
    assert {r.json()["reason"] for r in responses if r.status_code == 409} == {"USER_LIMIT_REACHED"}
    # every seat is freed at once: ann is offered exactly the two she waits for
    live_server.race(lambda i: live_server.patch(f"/appointments/{booked[i]['id']}/cancel"), 20)
    mine = live_server.get("/appointments", userId="ann", page_size=100).json()
    assert len([a for a in mine if a["status"] == "PENDING"]) == 2
    with app.app_context():
        assert_all_invariants()


def test_joins_racing_an_archive_never_leave_anyone_waiting_for_it(app, api, live_server):
    """The archive comes first (every join is SERVICE_INACTIVE and nobody waits) or some join
    does (the archive is refused), never both; round after round."""
    outcomes = Counter()
    for round_ in range(6):
        service = api.service()
        slot = api.slot(service["id"], start=NOW + timedelta(minutes=30))
        booked = api.book(slot["id"], "b1").json  # its seat used: it does not keep the archive
        assert api.client.post(f"/api/v1/appointments/{booked['id']}/attend").status_code == 200

        def act(i, slot=slot, service=service):
            if i == 0:
                return live_server.session().delete(
                    f"{live_server.url}/services/{service['id']}", timeout=30
                )
            return live_server.post(f"/slots/{slot['id']}/waitlist", {"userId": f"w{i}"})

        responses = live_server.race(act, 8, threads=8)
        archive, joins = responses[0], responses[1:]
        waiting = api.get_slot(slot["id"])["waitingSeats"]
        if archive.status_code == 204:
            assert codes(joins) == {409: 7}, round_
            assert {r.json()["reason"] for r in joins} == {"SERVICE_INACTIVE"}
            assert waiting == 0
        else:
            assert archive.status_code == 409 and archive.json()["reason"] == (
                "HAS_ACTIVE_APPOINTMENTS"
            )
            assert api.client.get(f"/api/v1/services/{service['id']}").json["active"] is True
            assert codes(joins)[201] >= 1 and waiting == codes(joins)[201]
        outcomes[archive.status_code] += 1
        with app.app_context():
            assert_all_invariants()
    print(f"archives: {dict(outcomes)}")


def test_a_leave_racing_the_move_of_its_offer_never_cancels_the_moved_hold(app, api, live_server):
    """The move comes first (the hold stays, on its new slot; the leave changes nothing) or
    the leave does (the offer is cancelled, the move refused); either way the entry has left
    and its seat went to the next in line."""
    outcomes = Counter()
    for _ in range(8):
        service = api.service()
        slot = api.slot(service["id"])
        other = api.slot(service["id"], start=NOW + timedelta(days=2))
        booked = api.book(slot["id"], "b1").json
        first, second = (
            api.client.post(f"/api/v1/slots/{slot['id']}/waitlist", json={"userId": u}).json
            for u in ("w1", "w2")
        )
        api.client.patch(f"/api/v1/appointments/{booked['id']}/cancel")
        offer = api.client.get(f"/api/v1/waitlist/{first['id']}").json["appointmentId"]

        def act(i, first=first, offer=offer, other=other):
            if i == 0:
                return live_server.post(
                    f"/appointments/{offer}/reschedule", {"slotId": other["id"]}
                )
            return live_server.session().delete(
                f"{live_server.url}/waitlist/{first['id']}", timeout=30
            )

        moved, left = live_server.race(act, 2, threads=2)
        assert left.status_code == 204
        held = api.client.get(f"/api/v1/appointments/{offer}").json
        if moved.status_code == 200:
            assert (held["status"], held["slotId"]) == ("PENDING", other["id"])
        else:
            assert moved.json()["reason"] == "INVALID_TRANSITION"
            assert held["status"] == "CANCELLED"
        assert _statuses(api, [first, second]) == ["LEFT", "OFFERED"]
        outcomes[moved.status_code] += 1
        with app.app_context():
            assert_all_invariants()
    print(f"moves: {dict(outcomes)}")
