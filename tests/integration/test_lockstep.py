"""The explorer itself: it must visit every order of conflicting calls, and only one order of
calls that commute."""

from math import comb

from bson import ObjectId

from slotkeeper.domain.ledger import Claim
from slotkeeper.domain.status import Status
from tests.integration import lockstep

NOBODY = Claim("none", "none", "u", 1, Status.CANCELLED)


def writer(slot_id: str, calls: int, seen: list, name: str):
    def use_case(repos):
        for i in range(calls):
            repos.ledger.settle(slot_id, NOBODY)  # a conditional write that matches nothing
            seen.append(f"{name}{i}")
        return name

    use_case.__name__ = name
    return use_case


def orders(repos, use_cases, seen: list) -> list[tuple]:
    """The order of the calls in every schedule explored."""
    executions = []
    for execution in lockstep.explore(repos, use_cases, seen.clear):
        executions.append(tuple(seen))
        assert [o.value for o in execution.outcomes] == [u.__name__ for u in use_cases]
    return executions


def test_calls_on_one_document_are_explored_in_every_order(repos):
    slot, seen = str(ObjectId()), []
    found = orders(repos, [writer(slot, 3, seen, "a"), writer(slot, 2, seen, "b")], seen)
    assert len(found) == len(set(found)) == comb(5, 2)


def test_calls_on_different_documents_are_explored_once(repos):
    seen: list = []
    found = orders(
        repos, [writer(str(ObjectId()), 3, seen, "a"), writer(str(ObjectId()), 3, seen, "b")], seen
    )
    assert len(found) == 1


def test_only_the_conflicting_calls_multiply_the_orders(repos):
    shared, seen = str(ObjectId()), []

    def mixed(repos):  # one call on its own document, then one on the shared one
        repos.ledger.settle(str(ObjectId()), NOBODY)
        seen.append("c0")
        repos.ledger.settle(shared, NOBODY)
        seen.append("c1")
        return "mixed"

    found = orders(repos, [writer(shared, 1, seen, "a"), mixed], seen)
    # only the order of a0 and c1 matters: two classes of schedules
    assert len({(s.index("a0") < s.index("c1")) for s in found}) == 2
    assert len(found) == 2
